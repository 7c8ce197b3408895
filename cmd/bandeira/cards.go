package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/issuers"
)

const cardsHelp = `
Usage: bandeira cards [--issuer NAME] [--per-bin N | --all] [--json] [--config FILE]

Lists the test cards of the simulated issuers. Cards are generated deterministically from
the configured seed, so the same configuration always yields the same cards: PAN, expiry
(YYMM), CVV2, PIN, and the opening available amount (balance or credit limit, centavos).
Scenario cards always produce one outcome (insufficient funds, expired, lost, stolen,
blocked, wrong PIN, issuer down, slow, no answer); they are always listed.

These are fictitious test numbers on fictitious BINs: they are printed in full on purpose.

Examples:
  bandeira cards                          # scenario cards + 3 cards per BIN row
  bandeira cards --issuer nubank --per-bin 10
  bandeira cards --json --all > cards.json   # every card, for scripts and loadtest
`

// cardJSON is one card in `bandeira cards --json`; the shape is documented in the README
// and read back by other tools, so its keys are stable.
type cardJSON struct {
	PAN       string `json:"pan"`
	Expiry    string `json:"expiry"`
	CVV2      string `json:"cvv2"`
	PIN       string `json:"pin"`
	Issuer    string `json:"issuer"`
	Brand     string `json:"brand"`
	Product   string `json:"product"`
	Available int64  `json:"available"`
	Scenario  string `json:"scenario"`
}

func cardsCommand(_ context.Context, args []string, s stdio) int {
	fs := newFlagSet("cards", cardsHelp, s)
	issuer := fs.String("issuer", "", "only this issuer's cards: bancodobrasil, nubank or sicredi")
	perBIN := fs.Int("per-bin", 3, "regular cards to list per BIN row (scenario cards are always listed)")
	all := fs.Bool("all", false, "list every generated card (cards_per_bin per BIN row)")
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	configPath := fs.String("config", "", "YAML `file` whose issuers section (seed, cards_per_bin, banks) to use")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, err := configs.Load(*configPath)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira cards: %v\n", err)
		return exitUsage
	}
	if *issuer != "" && !hasBank(cfg.Issuers, *issuer) {
		fmt.Fprintf(s.err, "bandeira cards: unknown issuer %q (want one of %v)\n", *issuer, bankNames(cfg.Issuers))
		return exitUsage
	}
	if *perBIN < 0 {
		fmt.Fprintln(s.err, "bandeira cards: --per-bin must be 0 or more")
		return exitUsage
	}
	cards := selectCards(issuers.Cards(cfg.Issuers), *issuer, *perBIN, *all)
	if *asJSON {
		return printCardsJSON(s.out, cards)
	}
	printCardsTable(s.out, cards)
	return exitOK
}

// selectCards keeps scenario cards and up to perBIN regular cards per BIN row (all when
// all is set), filtered by issuer when issuer is not empty.
func selectCards(cards []issuers.Card, issuer string, perBIN int, all bool) []issuers.Card {
	seen := make(map[string]int)
	var out []issuers.Card
	for _, c := range cards {
		if issuer != "" && c.Issuer != issuer {
			continue
		}
		if c.Scenario == "" && !all {
			bin := c.PAN.BIN(8)
			if seen[bin] >= perBIN {
				continue
			}
			seen[bin]++
		}
		out = append(out, c)
	}
	return out
}

func printCardsJSON(w io.Writer, cards []issuers.Card) int {
	out := make([]cardJSON, len(cards))
	for i, c := range cards {
		out[i] = cardJSON{
			PAN: c.PAN.Digits(), Expiry: c.Expiry, CVV2: c.CVV2, PIN: c.PIN,
			Issuer: c.Issuer, Brand: string(c.Brand), Product: string(c.Product),
			Available: int64(c.Available), Scenario: c.Scenario,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return exitFail
	}
	return exitOK
}

func printCardsTable(w io.Writer, cards []issuers.Card) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PAN\tEXPIRY\tCVV2\tPIN\tISSUER\tBRAND\tPRODUCT\tAVAILABLE\tSCENARIO")
	for _, c := range cards {
		scenario := c.Scenario
		if scenario == "" {
			scenario = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.PAN.Digits(), c.Expiry, c.CVV2, c.PIN,
			c.Issuer, c.Brand, c.Product, c.Available, scenario)
	}
	_ = tw.Flush()
}

func hasBank(cfg issuers.Config, name string) bool {
	for _, b := range cfg.Banks {
		if b.Name == name {
			return true
		}
	}
	return false
}

func bankNames(cfg issuers.Config) []string {
	names := make([]string, len(cfg.Banks))
	for i, b := range cfg.Banks {
		names[i] = b.Name
	}
	return names
}
