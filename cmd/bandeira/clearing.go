package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
)

const clearingHelp = `
Usage: bandeira clearing --date YYYY-MM-DD [--data-dir DIR] [--config FILE] [--out DIR]

Builds the day's clearing from the acquirer's journal (DIR/acquirer/journal.db): the
approved sales and refunds of that Brasília day, as they stand after their reversals
(fully reversed ones are left out), presented to their brand, and each member's net
position per brand (positive receives, negative pays):

  acquirer = sum of sales (amount - interchange - brand fee) - refunds
  issuer   = -sum of sales on its cards (amount - interchange) + refunds on its cards
  brand    = sum of brand fees

Every brand's positions sum to zero. Writes one clearing file per brand,
OUT/clearing-<brand>-<date>.jsonl (JSON lines: header, presentments with BASE II-like
transaction codes 05 sale, 06 refund, 07 cash, positions, trailer; docs/economics.md),
and prints a summary. OUT defaults to DIR/acquirer/clearing.

Examples:
  bandeira clearing --date 2026-11-26
  bandeira clearing --date 2026-11-26 --data-dir /tmp/bd --out /tmp/clearing
`

func clearingCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("clearing", clearingHelp, s)
	configPath := fs.String("config", "", "YAML `file` whose data_dir is used when --data-dir is not given")
	dataDir := fs.String("data-dir", "", "`directory` holding acquirer/journal.db (default from config: ./bandeira-data)")
	date := fs.String("date", "", "the sale `day` to clear, YYYY-MM-DD in Brasília time (required)")
	out := fs.String("out", "", "`directory` for the clearing files (default DIR/acquirer/clearing)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	day, err := acquirer.ParseDate(*date)
	if *date == "" {
		err = fmt.Errorf("--date YYYY-MM-DD is required")
	}
	cfg, cfgErr := configs.Load(*configPath)
	if err == nil {
		err = cfgErr
	}
	if err != nil {
		fmt.Fprintf(s.err, "bandeira clearing: %v\n", err)
		return exitUsage
	}
	override(&cfg.DataDir, *dataDir)
	if *out == "" {
		*out = filepath.Join(cfg.DataDir, "acquirer", "clearing")
	}
	entries, err := readJournal(ctx, cfg.DataDir)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira clearing: %v\n", err)
		return exitFail
	}
	brands := acquirer.Clear(entries, day)
	files, err := writeClearingFiles(*out, brands)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira clearing: %v\n", err)
		return exitFail
	}
	printClearing(s.out, day, brands, files)
	return exitOK
}

// clearingFile is where one brand's clearing file of a day goes.
func clearingFile(dir string, b bandeira.Brand, day acquirer.Date) string {
	return filepath.Join(dir, fmt.Sprintf("clearing-%s-%s.jsonl", b, day))
}

// writeClearingFiles writes each brand's file atomically (a temporary file renamed into
// place) and returns their paths.
func writeClearingFiles(dir string, brands []acquirer.BrandClearing) ([]string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("writing clearing files: %w", err)
	}
	paths := make([]string, 0, len(brands))
	for i := range brands {
		path := clearingFile(dir, brands[i].Brand, brands[i].Date)
		if err := writeFileAtomic(path, brands[i].WriteJSONL); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// printClearing prints per brand its totals and positions, then every member's position
// across brands.
func printClearing(w io.Writer, day acquirer.Date, brands []acquirer.BrandClearing, files []string) {
	fmt.Fprintf(w, "clearing of %s\n", day)
	if len(brands) == 0 {
		fmt.Fprintln(w, "no sales or refunds that day")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "brand\tpresentments\tsales\trefunds\tinterchange\tbrand fees\t")
	total := make(map[[2]string]bandeira.Amount)
	for _, bc := range brands {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", bc.Brand, len(bc.Presentments), reais(bc.Sales),
			reais(bc.Refunds), reais(bc.Interchange), reais(bc.BrandFees))
		for _, p := range bc.Positions {
			total[[2]string{p.Kind, p.Member}] += p.Net
		}
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\npositions (positive receives, negative pays)")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "member\t")
	for _, bc := range brands {
		fmt.Fprintf(tw, "%s\t", bc.Brand)
	}
	fmt.Fprintln(tw, "total\t")
	var sum bandeira.Amount
	for _, k := range sortedMembers(total) {
		fmt.Fprintf(tw, "%s %s\t", k[0], k[1])
		for _, bc := range brands {
			fmt.Fprintf(tw, "%s\t", reais(positionOf(bc.Positions, k)))
		}
		fmt.Fprintf(tw, "%s\t\n", reais(total[k]))
		sum += total[k]
	}
	fmt.Fprintf(tw, "sum\t%s", repeatTab(len(brands)))
	fmt.Fprintf(tw, "%s\t\n", reais(sum))
	_ = tw.Flush()
	fmt.Fprintln(w)
	for _, f := range files {
		fmt.Fprintf(w, "wrote %s\n", f)
	}
}

func positionOf(ps []acquirer.Position, k [2]string) bandeira.Amount {
	for _, p := range ps {
		if p.Kind == k[0] && p.Member == k[1] {
			return p.Net
		}
	}
	return 0
}

func sortedMembers(m map[[2]string]bandeira.Amount) [][2]string {
	rank := map[string]int{acquirer.MemberAcquirer: 0, acquirer.MemberIssuer: 1, acquirer.MemberBrand: 2}
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return rank[keys[i][0]] < rank[keys[j][0]]
		}
		return keys[i][1] < keys[j][1]
	})
	return keys
}

func repeatTab(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '\t'
	}
	return string(b)
}
