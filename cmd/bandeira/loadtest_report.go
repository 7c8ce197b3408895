package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bandeira/bandeira/loadtest"
)

// reportLoadtest prints the table, writes the JSON and HTML reports and applies the
// thresholds. The table goes to stdout unless a report does.
func reportLoadtest(sum *loadtest.Summary, o loadtestOptions, s stdio) int {
	passed := loadtest.CheckAll(sum, o.thresholds)
	if !o.quiet && isTerminal(s.err) {
		fmt.Fprintln(s.err)
	}
	text := s.out
	if o.jsonFile == "-" || o.htmlFile == "-" {
		text = s.err
	}
	if err := sum.WriteText(text); err != nil {
		fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
	}
	code := exitOK
	for _, out := range []struct {
		path  string
		write func(io.Writer) error
	}{{o.jsonFile, sum.WriteJSON}, {o.htmlFile, sum.WriteHTML}} {
		if out.path == "" {
			continue
		}
		err := writeReport(out.path, s.out, out.write)
		if err != nil {
			fmt.Fprintf(s.err, "bandeira loadtest: %v\n", err)
			code = exitFail
		}
	}
	if !passed {
		var failed []string
		for _, t := range sum.Thresholds {
			if !t.Passed {
				failed = append(failed, t.Threshold+" (actual "+t.ActualText()+")")
			}
		}
		fmt.Fprintf(s.err, "bandeira loadtest: threshold failed: %s\n", strings.Join(failed, ", "))
		if code == exitOK {
			code = exitThresholds
		}
	}
	return code
}

// writeReport writes a report to path, or to stdout when path is "-".
func writeReport(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// shellJoin quotes args for a POSIX shell, so the command line in a report can be run
// again as printed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		safe := a != ""
		for _, c := range a {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:=,@%+", c)) {
				safe = false
				break
			}
		}
		if safe {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
