package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/network"
)

// standInSummary describes the default stand-in rules and names the issuers that
// override them, e.g. "purchase up to R$ 200.00, R$ 500.00 a card a day; nubank overridden".
func standInSummary(c network.StandInConfig) string {
	s := "off"
	if c.Enabled {
		s = fmt.Sprintf("%s up to %s, %s a card a day", strings.Join(c.Types, ", "), c.TransactionLimit, c.DailyLimit)
	}
	if len(c.Issuers) > 0 {
		s += "; " + strings.Join(slices.Sorted(maps.Keys(c.Issuers)), ", ") + " overridden"
	}
	return s
}

// printConfigSummary prints what `bandeira run` would start with cfg: the output of
// `bandeira run --check-config`.
func printConfigSummary(w io.Writer, path string, cfg configs.Config) {
	if path == "" {
		path = configs.DefaultName
	}
	fmt.Fprintf(w, "config %s is valid\n\n", path)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ISO 8583 gateway\t%s\n", cfg.Listen.Gateway)
	fmt.Fprintf(tw, "HTTP (metrics, health)\t%s\n", cfg.Listen.HTTP)
	fmt.Fprintf(tw, "data dir\t%s\n", cfg.DataDir)
	fmt.Fprintf(tw, "timers\tissuer %s < gateway %s < server %s; drain at shutdown %s\n",
		cfg.Network.IssuerTimeout, cfg.Gateway.RequestTimeout, cfg.Server.RequestTimeout, cfg.DrainTimeout)
	fmt.Fprintf(tw, "limits\t%d connections, %d in flight (%d per connection), frames ≤ %d bytes\n",
		cfg.Server.MaxConnections, cfg.Server.MaxInFlight, cfg.Server.MaxInFlightPerConn, cfg.Server.MaxFrameSize)
	fmt.Fprintf(tw, "cards\tseed %d, %d per BIN row\n", cfg.Issuers.Seed, cfg.Issuers.CardsPerBIN)
	for _, b := range cfg.Issuers.Banks {
		fmt.Fprintf(tw, "issuer %s (%s)\t", b.Name, b.InstitutionID)
		for i, row := range b.BINs {
			if i > 0 {
				fmt.Fprint(tw, ", ")
			}
			fmt.Fprintf(tw, "%s %s %s", row.BIN, row.Brand, row.Product)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintf(tw, "stand-in\t%s\n", standInSummary(cfg.Network.StandIn))
	fmt.Fprintf(tw, "merchants\t%d\n", len(cfg.Acquirer.Merchants))
	for _, t := range slices.Sorted(maps.Keys(cfg.Faults)) {
		fmt.Fprintf(tw, "fault %s\t%s\n", t, cfg.Faults[t])
	}
	printWalletSummary(tw, cfg)
	_ = tw.Flush()
}
