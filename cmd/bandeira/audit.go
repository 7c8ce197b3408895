package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/network"
)

const auditHelp = `
Usage: bandeira audit [--data-dir DIR] [--config FILE] [--issuers-only] [--json]

Audits the data a network left in DIR, one process's or --processes' alike:

  each issuer   its books (DIR/issuers/*.db) against the ledger invariants of
                docs/ledger.md (I1-I5) and SQLite's integrity check
  network-wide  for every request key, the issuers' books and the acquirer's journal
                agree on the amount in effect and on whether a hold was captured; no
                key is approved at two issuers or journaled twice; every stand-in
                approval of the networks reached its issuer; what clearing presents for
                each issuer is what its books settled, and the merchants' payouts pay
                what was presented; no store-and-forward queue (the gateway's, the
                networks', the wallet's) still owes a message

Run it on a stopped network, or one with no traffic in flight: a request between two
parties is a divergence until it is answered. The legs of the wallet's transfers (10, 26)
are the issuers' alone: the acquirer books neither. Prints a summary per issuer and one
for the network, each divergence on its own line; exits 1 on any violation or
divergence, when DIR holds no books, or (without --issuers-only) no acquirer journal.

--json prints one object: passed, issuers (one object each: issuer, passed, accounts,
requests, approved, postings, open_holds, held_centavos, tombstones, funding_centavos,
settlement_centavos, violations), network (keys, stand_ins, queued,
presented_centavos; absent with --issuers-only) and divergences (kind, key, issuer,
brand, issuer_centavos, acquirer_centavos, detail; [] when all agree). Kinds: amount,
state, issuer_only, acquirer_only, doubled, stand_in, clearing, payout, queued.

Examples:
  bandeira audit                          # ./bandeira-data
  bandeira audit --data-dir /tmp/bd --json
  bandeira audit --data-dir /srv/issuer-host --issuers-only
`

// auditResult is one issuer's audit.
type auditResult struct {
	Issuer string
	books.Report
}

// auditJSON is one issuer's audit in --json output, with snake_case keys like every other
// JSON Bandeira prints. Amounts are centavos.
type auditJSON struct {
	Issuer     string   `json:"issuer"`
	Passed     bool     `json:"passed"`
	Accounts   int      `json:"accounts"`
	Requests   int      `json:"requests"`
	Approved   int      `json:"approved"`
	Postings   int      `json:"postings"`
	OpenHolds  int      `json:"open_holds"`
	Held       int64    `json:"held_centavos"`
	Tombstones int      `json:"tombstones"`
	Funding    int64    `json:"funding_centavos"`
	Settlement int64    `json:"settlement_centavos"`
	Violations []string `json:"violations"`
}

func (r auditResult) json() auditJSON {
	return auditJSON{Issuer: r.Issuer, Passed: len(r.Violations) == 0, Accounts: r.Accounts, Requests: r.Requests,
		Approved: r.Approved, Postings: r.Postings, OpenHolds: r.OpenHolds, Held: r.Held, Tombstones: r.Tombstones,
		Funding: r.Funding, Settlement: r.Settlement, Violations: nonNil(r.Violations)}
}

// auditReport is the whole audit of a data directory.
type auditReport struct {
	Issuers     []auditResult
	Network     *netTotals // nil with --issuers-only
	Divergences []divergence
}

// passed reports whether every issuer passed and the parties agree.
func (r auditReport) passed() bool {
	for _, i := range r.Issuers {
		if len(i.Violations) > 0 {
			return false
		}
	}
	return len(r.Divergences) == 0
}

func auditCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("audit", auditHelp, s)
	configPath := fs.String("config", "", "YAML `file` whose data_dir is used when --data-dir is not given")
	dataDir := fs.String("data-dir", "", "`directory` holding the network's data (default from config: ./bandeira-data)")
	issuersOnly := fs.Bool("issuers-only", false, "audit the issuers' books alone, without the network-wide checks")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, err := configs.Load(*configPath)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira audit: %v\n", err)
		return exitUsage
	}
	override(&cfg.DataDir, *dataDir)
	rep, err := audit(ctx, cfg, *issuersOnly)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira audit: %v\n", err)
		return exitFail
	}
	printAudit(s.out, rep, *asJSON)
	if !rep.passed() {
		return exitFail
	}
	return exitOK
}

// audit audits the data directory of cfg: every issuer's books and, unless issuersOnly,
// the parties against each other.
func audit(ctx context.Context, cfg configs.Config, issuersOnly bool) (auditReport, error) {
	var rep auditReport
	paths, err := filepath.Glob(filepath.Join(cfg.DataDir, "issuers", "*.db"))
	if err != nil || len(paths) == 0 {
		return rep, fmt.Errorf("no books in %s", filepath.Join(cfg.DataDir, "issuers"))
	}
	sort.Strings(paths)
	data := partiesData{requests: map[string][]books.Request{}, calendar: acquirer.NewCalendar(cfg.Acquirer.Holidays)}
	for _, p := range paths {
		issuer := strings.TrimSuffix(filepath.Base(p), ".db")
		r, err := books.Audit(ctx, p)
		if err != nil {
			return rep, err
		}
		rep.Issuers = append(rep.Issuers, auditResult{Issuer: issuer, Report: r})
		if !issuersOnly {
			if data.requests[issuer], err = books.ReadRequests(ctx, p); err != nil {
				return rep, err
			}
		}
	}
	if issuersOnly {
		return rep, nil
	}
	if err := readParties(ctx, cfg, &data); err != nil {
		return rep, err
	}
	divs, totals := reconcile(data)
	rep.Network, rep.Divergences = &totals, divs
	return rep, nil
}

// readParties reads the acquirer's journal, the networks' stand-in decisions and every
// store-and-forward queue of cfg's data directory into data.
func readParties(ctx context.Context, cfg configs.Config, data *partiesData) error {
	dir := cfg.DataDir
	journal := acquirer.JournalPath(dir)
	if _, err := os.Stat(journal); err != nil {
		return fmt.Errorf("no acquirer journal at %s: the network-wide audit needs the gateway's data "+
			"(--issuers-only audits the books alone)", journal)
	}
	var err error
	if data.journal, err = acquirer.ReadJournal(ctx, journal); err != nil {
		return err
	}
	for _, brand := range cfg.Brands() {
		ds, err := network.ReadStandIns(ctx, networkStorePath(dir, brand))
		if err != nil {
			return err
		}
		data.standIns = append(data.standIns, ds...)
	}
	queues, _ := filepath.Glob(filepath.Join(dir, "networks", "*-saf.db"))
	queues = append([]string{gatewaySAFPath(dir), filepath.Join(walletDir(dir), "reversals.db")}, queues...)
	for _, q := range queues {
		if _, err := os.Stat(q); err != nil {
			continue // the party never queued anything here
		}
		pending, err := saf.Read(ctx, q)
		if err != nil {
			return err
		}
		data.queued = append(data.queued, pending...)
	}
	return nil
}

// auditOutput is the --json form of an auditReport.
type auditOutput struct {
	Passed      bool         `json:"passed"`
	Issuers     []auditJSON  `json:"issuers"`
	Network     *netTotals   `json:"network,omitempty"`
	Divergences []divergence `json:"divergences"`
}

func printAudit(w io.Writer, rep auditReport, asJSON bool) {
	if asJSON {
		out := auditOutput{Passed: rep.passed(), Network: rep.Network, Divergences: rep.Divergences}
		if out.Divergences == nil {
			out.Divergences = []divergence{}
		}
		for _, r := range rep.Issuers {
			out.Issuers = append(out.Issuers, r.json())
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return
	}
	for _, r := range rep.Issuers {
		verdict := "ok"
		if len(r.Violations) > 0 {
			verdict = fmt.Sprintf("%d VIOLATIONS", len(r.Violations))
		}
		fmt.Fprintf(w, "%-14s %s: %d accounts, %d requests (%d approved), %d postings, %d open holds (%s held), %d tombstones, settlement %s\n",
			r.Issuer, verdict, r.Accounts, r.Requests, r.Approved, r.Postings, r.OpenHolds,
			bandeira.Amount(r.Held), r.Tombstones, bandeira.Amount(r.Settlement))
		for _, v := range r.Violations {
			fmt.Fprintf(w, "  violation: %s\n", v)
		}
	}
	if rep.Network == nil {
		return
	}
	n := rep.Network
	verdict := "ok"
	if len(rep.Divergences) > 0 {
		verdict = fmt.Sprintf("%d DIVERGENCES", len(rep.Divergences))
	}
	fmt.Fprintf(w, "%-14s %s: %d keys compared across the issuers and the acquirer, %d stand-in approvals, %s presented, %d queued\n",
		"network", verdict, n.Keys, n.StandIns, n.Presented, n.Queued)
	for _, d := range rep.Divergences {
		fmt.Fprintf(w, "  divergence: %s\n", d)
	}
}
