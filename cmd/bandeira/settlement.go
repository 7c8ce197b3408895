package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"text/tabwriter"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
)

const settlementHelp = `
Usage: bandeira settlement [--data-dir DIR] [--config FILE] [--merchant ID] [--from YYYY-MM-DD]
                           [--to YYYY-MM-DD] [--format table|csv|json]

Prints the merchant payouts built from the acquirer's journal (DIR/acquirer/journal.db):
for each business day and merchant, the gross of the sales due, the refunds deducted, the
MDR and the net paid (net = gross - refunds - MDR, to the centavo), and the sales behind
it. Debit is paid D+1 business day, prepaid D+2, credit D+30 and lojista installment k at
D+30*k (rolled to the next business day), refunds are deducted D+1; a reversed sale pays
nothing (docs/economics.md). --from and --to select payout dates, inclusive. It reads one
consistent snapshot, so it can run beside a live 'bandeira run'; the same data is served
at GET /acquirer/settlements?merchant=M&from=D&to=D on the HTTP port.

Amounts in table output are reais; in csv and json they are integer centavos.

Examples:
  bandeira settlement
  bandeira settlement --merchant WACATALOGO00001 --from 2026-12-01 --to 2026-12-31
  bandeira settlement --data-dir /tmp/bd --format json
`

// settlementReport is the JSON of `bandeira settlement --format json` and of
// GET /acquirer/settlements.
type settlementReport struct {
	Payouts []acquirer.Payout `json:"payouts"`
}

func settlementCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("settlement", settlementHelp, s)
	configPath := fs.String("config", "", "YAML `file` for data_dir and the holiday calendar (default: embedded)")
	dataDir := fs.String("data-dir", "", "`directory` holding acquirer/journal.db (default from config: ./bandeira-data)")
	merchant := fs.String("merchant", "", "only this merchant `ID` (field 42)")
	from := fs.String("from", "", "first payout `date`, YYYY-MM-DD")
	to := fs.String("to", "", "last payout `date`, YYYY-MM-DD")
	format := fs.String("format", "table", "output `format`: table, csv or json")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, err := configs.Load(*configPath)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira settlement: %v\n", err)
		return exitUsage
	}
	override(&cfg.DataDir, *dataDir)
	f, err := settlementFilter(*merchant, *from, *to)
	if err == nil && *format != "table" && *format != "csv" && *format != "json" {
		err = fmt.Errorf("format %q: want table, csv or json", *format)
	}
	if err != nil {
		fmt.Fprintf(s.err, "bandeira settlement: %v\n", err)
		return exitUsage
	}
	entries, err := readJournal(ctx, cfg.DataDir)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira settlement: %v\n", err)
		return exitFail
	}
	payouts, err := acquirer.Settle(entries, acquirer.NewCalendar(cfg.Acquirer.Holidays), f)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira settlement: %v\n", err)
		return exitFail
	}
	printSettlement(s.out, payouts, *format)
	return exitOK
}

// readJournal reads the journal under dataDir, with a clear message when there is none.
func readJournal(ctx context.Context, dataDir string) ([]acquirer.Entry, error) {
	path := acquirer.JournalPath(dataDir)
	entries, err := acquirer.ReadJournal(ctx, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no journal at %s (run 'bandeira run' first)", path)
	}
	return entries, err
}

func printSettlement(w io.Writer, payouts []acquirer.Payout, format string) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(settlementReport{Payouts: nonNil(payouts)})
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"date", "merchant_id", "payout_gross", "payout_refunds", "payout_mdr", "payout_net",
			"entry_id", "kind", "sale_date", "stan", "rrn", "brand", "product", "band", "leg", "of", "gross", "mdr", "net"})
		for _, p := range payouts {
			for _, it := range p.Items {
				_ = cw.Write([]string{p.Date.String(), p.MerchantID, cents(p.Gross), cents(p.Refunds), cents(p.MDR), cents(p.Net),
					strconv.FormatInt(it.EntryID, 10), it.Kind.String(), it.SaleDate.String(), it.STAN, it.RRN,
					string(it.Brand), string(it.Product), string(it.Band), strconv.Itoa(it.Leg), strconv.Itoa(it.Of),
					cents(it.Gross), cents(it.MDR), cents(it.Net)})
			}
		}
		cw.Flush()
	default:
		printSettlementTable(w, payouts)
	}
}

func printSettlementTable(w io.Writer, payouts []acquirer.Payout) {
	if len(payouts) == 0 {
		fmt.Fprintln(w, "no payouts")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "date\tmerchant\tgross\trefunds\tmdr\tnet\tsales\t")
	var gross, refunds, mdr, net bandeira.Amount
	for _, p := range payouts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", p.Date, p.MerchantID, reais(p.Gross), reais(p.Refunds),
			reais(p.MDR), reais(p.Net), len(p.Items))
		for _, it := range p.Items {
			fmt.Fprintf(tw, "\t  %s #%d %s/%s %s %d/%d\t%s\t\t%s\t%s\t\t\n", it.Kind, it.EntryID, it.Brand, it.Product,
				it.SaleDate, it.Leg, it.Of, reais(it.Gross), reais(it.MDR), reais(it.Net))
		}
		gross, refunds, mdr, net = gross+p.Gross, refunds+p.Refunds, mdr+p.MDR, net+p.Net
	}
	fmt.Fprintf(tw, "total\t\t%s\t%s\t%s\t%s\t\t\n", reais(gross), reais(refunds), reais(mdr), reais(net))
	_ = tw.Flush()
}

// reais formats centavos as reais with two decimals, without a currency sign: "-12.34".
func reais(a bandeira.Amount) string {
	sign, v := "", int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

func cents(a bandeira.Amount) string { return strconv.FormatInt(int64(a), 10) }

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
