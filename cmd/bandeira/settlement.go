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
                           [--to YYYY-MM-DD] [--detail] [--format table|csv|json]

Prints the merchant payouts built from the acquirer's journal (DIR/acquirer/journal.db):
for each business day and merchant, the gross of the sales due, the refunds deducted, the
MDR, the net paid (net = gross - refunds - MDR, to the centavo) and how many sale legs and
refunds make it up, then the totals. --detail lists every sale leg and refund under its
payout. Debit is paid D+1 business day, prepaid D+2, credit D+30 and lojista installment k at
D+30*k (rolled to the next business day), refunds are deducted D+1; a reversed sale pays
nothing (docs/economics.md). --from and --to select payout dates, inclusive. It reads one
consistent snapshot, so it can run beside a live 'bandeira run'; the same data is served
at GET /acquirer/settlements on the HTTP port, a page at a time (docs/economics.md).

Amounts in table output are reais; in csv and json they are integer centavos. csv has one
row per payout, or with --detail one per sale leg or refund with its payout's totals;
json is {"payouts":[{"date","merchant_id","gross","refunds","mdr","net","items"}]}, each
payout with its "sales" under --detail.

Examples:
  bandeira settlement
  bandeira settlement --merchant WACATALOGO00001 --from 2026-12-01 --to 2026-12-31 --detail
  bandeira settlement --data-dir /tmp/bd --format json
`

func settlementCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("settlement", settlementHelp, s)
	configPath := fs.String("config", "", "YAML `file` for data_dir and the holiday calendar (default: embedded)")
	dataDir := fs.String("data-dir", "", "`directory` holding acquirer/journal.db (default from config: ./bandeira-data)")
	merchant := fs.String("merchant", "", "only this merchant `ID` (field 42)")
	from := fs.String("from", "", "first payout `date`, YYYY-MM-DD")
	to := fs.String("to", "", "last payout `date`, YYYY-MM-DD")
	format := fs.String("format", "table", "output `format`: table, csv or json")
	detail := fs.Bool("detail", false, "list every sale leg and refund of each payout")
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
	printSettlement(s.out, payouts, *format, *detail)
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

func printSettlement(w io.Writer, payouts []acquirer.Payout, format string, detail bool) {
	switch format {
	case "json":
		rep := settlementReport{Payouts: make([]payoutView, len(payouts))}
		for i, p := range payouts {
			rep.Payouts[i] = viewOf(p, detail)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	case "csv":
		printSettlementCSV(w, payouts, detail)
	default:
		printSettlementTable(w, payouts, detail)
	}
}

func printSettlementCSV(w io.Writer, payouts []acquirer.Payout, detail bool) {
	cw := csv.NewWriter(w)
	defer cw.Flush()
	head := []string{"date", "merchant_id", "payout_gross", "payout_refunds", "payout_mdr", "payout_net", "items"}
	if !detail {
		_ = cw.Write(head)
		for _, p := range payouts {
			_ = cw.Write([]string{p.Date.String(), p.MerchantID, cents(p.Gross), cents(p.Refunds), cents(p.MDR),
				cents(p.Net), strconv.Itoa(len(p.Items))})
		}
		return
	}
	_ = cw.Write(append(head[:6:6], "entry_id", "kind", "sale_date", "stan", "rrn", "brand", "product", "band", "leg", "of",
		"gross", "mdr", "net"))
	for _, p := range payouts {
		for _, it := range p.Items {
			_ = cw.Write([]string{p.Date.String(), p.MerchantID, cents(p.Gross), cents(p.Refunds), cents(p.MDR), cents(p.Net),
				strconv.FormatInt(it.EntryID, 10), it.Kind.String(), it.SaleDate.String(), it.STAN, it.RRN,
				string(it.Brand), string(it.Product), string(it.Band), strconv.Itoa(it.Leg), strconv.Itoa(it.Of),
				cents(it.Gross), cents(it.MDR), cents(it.Net)})
		}
	}
}

func printSettlementTable(w io.Writer, payouts []acquirer.Payout, detail bool) {
	if len(payouts) == 0 {
		fmt.Fprintln(w, "no payouts")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "date\tmerchant\tgross\trefunds\tmdr\tnet\titems\t")
	var gross, refunds, mdr, net bandeira.Amount
	var items int
	for _, p := range payouts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t\n", p.Date, p.MerchantID, reais(p.Gross), reais(p.Refunds),
			reais(p.MDR), reais(p.Net), len(p.Items))
		for i := 0; detail && i < len(p.Items); i++ {
			it := p.Items[i]
			fmt.Fprintf(tw, "\t  %s #%d %s/%s %s %d/%d\t%s\t\t%s\t%s\t\t\n", it.Kind, it.EntryID, it.Brand, it.Product,
				it.SaleDate, it.Leg, it.Of, reais(it.Gross), reais(it.MDR), reais(it.Net))
		}
		gross, refunds, mdr, net = gross+p.Gross, refunds+p.Refunds, mdr+p.MDR, net+p.Net
		items += len(p.Items)
	}
	fmt.Fprintf(tw, "total\t%d payouts\t%s\t%s\t%s\t%s\t%d\t\n", len(payouts), reais(gross), reais(refunds), reais(mdr),
		reais(net), items)
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
