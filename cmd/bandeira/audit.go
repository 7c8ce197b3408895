package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/issuers/books"
)

const auditHelp = `
Usage: bandeira audit [--data-dir DIR] [--config FILE] [--json]

Checks the issuers' books in DIR/issuers/*.db against the ledger invariants of
docs/ledger.md (invariants I1-I5): conservation to the centavo and double entry, every
hold resolved at most once, no available balance below its floor, every request key stored
once and posted at most once, originals that came after their reversal declined; plus
SQLite's integrity check. It reads one consistent snapshot, so it can run beside a live
'bandeira run'. Prints a summary per issuer; exits 1 on any violation, or when DIR holds no
books.

--json prints an array with one object per issuer: issuer, passed, accounts, requests,
approved, postings, open_holds, held_centavos, tombstones, funding_centavos,
settlement_centavos and violations (one string each, [] when the books pass).

Examples:
  bandeira audit                          # ./bandeira-data
  bandeira audit --data-dir /tmp/bd --json
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

func auditCommand(ctx context.Context, args []string, s stdio) int {
	fs := newFlagSet("audit", auditHelp, s)
	configPath := fs.String("config", "", "YAML `file` whose data_dir is used when --data-dir is not given")
	dataDir := fs.String("data-dir", "", "`directory` holding issuers/<issuer>.db (default from config: ./bandeira-data)")
	asJSON := fs.Bool("json", false, "print the reports as JSON")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	cfg, err := configs.Load(*configPath)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira audit: %v\n", err)
		return exitUsage
	}
	override(&cfg.DataDir, *dataDir)
	paths, err := filepath.Glob(filepath.Join(cfg.DataDir, "issuers", "*.db"))
	if err != nil || len(paths) == 0 {
		fmt.Fprintf(s.err, "bandeira audit: no books in %s\n", filepath.Join(cfg.DataDir, "issuers"))
		return exitFail
	}
	sort.Strings(paths)
	results := make([]auditResult, 0, len(paths))
	for _, p := range paths {
		rep, err := books.Audit(ctx, p)
		if err != nil {
			fmt.Fprintf(s.err, "bandeira audit: %v\n", err)
			return exitFail
		}
		results = append(results, auditResult{Issuer: strings.TrimSuffix(filepath.Base(p), ".db"), Report: rep})
	}
	printAudit(s.out, results, *asJSON)
	for _, r := range results {
		if len(r.Violations) > 0 {
			return exitFail
		}
	}
	return exitOK
}

func printAudit(w io.Writer, results []auditResult, asJSON bool) {
	if asJSON {
		out := make([]auditJSON, len(results))
		for i, r := range results {
			out[i] = r.json()
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		return
	}
	for _, r := range results {
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
}
