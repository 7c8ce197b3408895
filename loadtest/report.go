package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// WriteText writes the end-of-run table for people.
func (s *Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	q := s.Requests
	fmt.Fprintf(tw, "target\t%s (%s model, %d connections", s.Target, s.Model, s.Connections)
	if s.Concurrency > 0 {
		fmt.Fprintf(tw, ", concurrency %d", s.Concurrency)
	}
	fmt.Fprintf(tw, ")\nmix\t%s\nduration\t%.2fs\n\n", s.Mix, s.Duration)
	fmt.Fprintf(tw, "requests\tscheduled %d\tsent %d\tanswered %d\ttimed out %d\tdropped %d\n",
		q.Scheduled, q.Sent, q.Answered, q.TimedOut, q.Dropped)
	fmt.Fprintf(tw, "errors\t%s\n", errorLine(q.Errors))
	if s.Model == "open" {
		fmt.Fprintf(tw, "rate\ttarget %.1f/s\tachieved %.1f/s\tratio %.4f\n", s.Rate.Target, s.Rate.Achieved, s.Rate.Ratio)
	} else {
		fmt.Fprintf(tw, "rate\tachieved %.1f/s\n", s.Rate.Achieved)
	}
	l := s.Latency
	fmt.Fprintf(tw, "latency\tp50 %s\tp90 %s\tp99 %s\tp99.9 %s\tmax %s\n",
		fmtMS(l.P50), fmtMS(l.P90), fmtMS(l.P99), fmtMS(l.P999), fmtMS(l.Max))
	fmt.Fprintf(tw, "approvals\t%.2f%% of answers\n", 100*s.ApprovalShare)
	if s.GeneratorCPU > 0 {
		fmt.Fprintf(tw, "generator\t%.2f µs CPU per request\n\n", s.GeneratorCPU)
	} else {
		fmt.Fprint(tw, "generator\tCPU not measured on this system\n\n")
	}
	fmt.Fprintln(tw, "code\tcount\tshare\tmeaning")
	for _, c := range s.Codes {
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%s\n", c.Code, c.Count, 100*c.Share, c.Meaning)
	}
	fmt.Fprintln(tw, "\nkind\tsent\tanswered\tapproved\ttimed out\tp50\tp99\tmax")
	for _, k := range s.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", k.Kind, k.Sent, k.Answered, k.Approved, k.TimedOut,
			fmtMS(k.P50), fmtMS(k.P99), fmtMS(k.Max))
	}
	if len(s.Thresholds) > 0 {
		fmt.Fprintln(tw, "\nthreshold\tactual\tresult")
		for _, t := range s.Thresholds {
			res := "pass"
			if !t.Passed {
				res = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Threshold, t.ActualText(), res)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

func errorLine(errs map[string]int64) string {
	names := make([]string, 0, len(errs))
	for k := range errs {
		names = append(names, k)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, fmt.Sprintf("%s %d", k, errs[k]))
	}
	return strings.Join(parts, "\t")
}

// fmtMS formats milliseconds with a unit that keeps three significant digits.
func fmtMS(v float64) string {
	switch {
	case v <= 0:
		return "-"
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.3gms", v)
	default:
		return fmt.Sprintf("%.3gs", v/1000)
	}
}

// WriteJSON writes the summary as indented JSON (the shape is docs/loadtest.md's).
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("writing the JSON summary: %w", err)
	}
	return nil
}

// ProgressLine formats one second of the run for the live view: elapsed time, target and
// achieved rate, requests in flight, p50 and p99 of the second, errors (timeouts, drops
// and errors) and the approvals share.
func ProgressLine(s Second) string {
	target := "-"
	if s.TargetRate > 0 {
		target = fmt.Sprintf("%.0f/s", s.TargetRate)
	}
	approved := "-"
	if s.Answered > 0 {
		approved = fmt.Sprintf("%.1f%%", 100*float64(s.Approved)/float64(s.Answered))
	}
	return fmt.Sprintf("%6.1fs  target %-9s achieved %7.0f/s  in flight %-5d p50 %-7s p99 %-7s errors %-5d approved %s",
		s.T, target, s.Rate, s.InFlight, fmtMS(s.P50), fmtMS(s.P99), s.TimedOut+s.Dropped+s.Errors, approved)
}
