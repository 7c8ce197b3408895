package loadtest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Threshold is a pass/fail condition on a summary, for CI: "p99<20ms", "errors<0.1%",
// "rate>0.99". Metrics: p50, p90, p99, p99.9, max, mean (latencies, with a unit ms, us,
// µs or s); errors, dropped, timeouts (shares of scheduled requests), approvals (share of
// answers), rate (answered / scheduled, open model only), cpu (generator µs per request).
// Shares take a percent sign or a fraction. Operators: <, <=, >, >=.
type Threshold struct {
	Expr   string
	metric string
	op     string
	value  float64 // ms for latencies, a fraction for shares, µs for cpu
}

// CheckResult is one threshold evaluated against a summary.
type CheckResult struct {
	Threshold string  `json:"threshold"`
	Actual    float64 `json:"actual"` // in Unit
	Unit      string  `json:"unit"`   // "ms" (latencies), "fraction" (shares, 0 to 1) or "us" (cpu)
	Passed    bool    `json:"passed"`
}

// The units of CheckResult.Actual.
const (
	UnitMS       = "ms"
	UnitFraction = "fraction"
	UnitUS       = "us"
)

// ActualText formats the actual value with its unit for people: "8.93ms", "0.12%",
// "5.2µs".
func (r CheckResult) ActualText() string {
	switch r.Unit {
	case UnitMS:
		if r.Actual <= 0 {
			return "0ms"
		}
		return fmtMS(r.Actual)
	case UnitFraction:
		return fmtPercent(r.Actual)
	case UnitUS:
		return strconv.FormatFloat(r.Actual, 'f', 1, 64) + "µs"
	}
	return strconv.FormatFloat(r.Actual, 'g', 4, 64)
}

// fmtPercent formats a fraction as a percentage with up to three significant digits:
// 0.0012 is "0.12%", 1 is "100%".
func fmtPercent(f float64) string {
	return strconv.FormatFloat(100*f, 'g', 3, 64) + "%"
}

// unit returns the unit the threshold's metric is measured in.
func (t Threshold) unit() string {
	switch {
	case latencyMetrics[t.metric]:
		return UnitMS
	case shareMetrics[t.metric]:
		return UnitFraction
	}
	return UnitUS
}

var latencyMetrics = map[string]bool{"p50": true, "p90": true, "p99": true, "p99.9": true, "max": true, "mean": true}

var shareMetrics = map[string]bool{"errors": true, "dropped": true, "timeouts": true, "approvals": true, "rate": true}

// ParseThreshold parses one condition such as "p99<20ms".
func ParseThreshold(s string) (Threshold, error) {
	expr := strings.ReplaceAll(s, " ", "")
	i := strings.IndexAny(expr, "<>")
	if i <= 0 {
		return Threshold{}, fmt.Errorf("threshold %q: want METRIC<VALUE or METRIC>VALUE, e.g. p99<20ms", s)
	}
	t := Threshold{Expr: expr, metric: expr[:i], op: expr[i : i+1]}
	rest := expr[i+1:]
	if strings.HasPrefix(rest, "=") {
		t.op += "="
		rest = rest[1:]
	}
	var err error
	switch {
	case latencyMetrics[t.metric]:
		t.value, err = parseLatency(rest)
	case shareMetrics[t.metric]:
		t.value, err = parseShare(rest)
	case t.metric == "cpu":
		t.value, err = strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(rest, "us"), "µs"), 64)
	default:
		err = fmt.Errorf("unknown metric %q (want p50, p90, p99, p99.9, max, mean, errors, dropped, timeouts, approvals, rate or cpu)", t.metric)
	}
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w", s, err)
	}
	return t, nil
}

// parseLatency reads "20ms", "500us", "1.5s" into milliseconds.
func parseLatency(v string) (float64, error) {
	v = strings.ReplaceAll(v, "µs", "us")
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("latency %q: want a duration such as 20ms", v)
	}
	return float64(d) / float64(time.Millisecond), nil
}

// parseShare reads "0.1%" or "0.001" into a fraction.
func parseShare(v string) (float64, error) {
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("share %q: want a fraction such as 0.99 or a percentage such as 0.1%%", v)
	}
	if pct {
		f /= 100
	}
	return f, nil
}

// actual returns the summary's value of the threshold's metric; ok is false when the
// summary cannot say (rate in the closed model).
func (t Threshold) actual(s *Summary) (float64, bool) {
	q := s.Requests
	share := func(n, of int64) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	switch t.metric {
	case "p50":
		return s.Latency.P50, true
	case "p90":
		return s.Latency.P90, true
	case "p99":
		return s.Latency.P99, true
	case "p99.9":
		return s.Latency.P999, true
	case "max":
		return s.Latency.Max, true
	case "mean":
		return s.Latency.Mean, true
	case "errors":
		return s.ErrorShare, true
	case "dropped":
		return share(q.Dropped, q.Scheduled), true
	case "timeouts":
		return share(q.TimedOut, q.Scheduled), true
	case "approvals":
		return s.ApprovalShare, true
	case "rate":
		return s.Rate.Ratio, s.Model == "open"
	case "cpu":
		return s.GeneratorCPU, true
	}
	return 0, false
}

// Check evaluates the threshold. A run that answered nothing fails every latency
// threshold, and rate fails in the closed model, which has no target.
func (t Threshold) Check(s *Summary) CheckResult {
	v, ok := t.actual(s)
	res := CheckResult{Threshold: t.Expr, Actual: v, Unit: t.unit()}
	if !ok || (latencyMetrics[t.metric] && s.Requests.Answered == 0) {
		return res
	}
	switch t.op {
	case "<":
		res.Passed = v < t.value
	case "<=":
		res.Passed = v <= t.value
	case ">":
		res.Passed = v > t.value
	case ">=":
		res.Passed = v >= t.value
	}
	return res
}

// CheckAll evaluates every threshold, stores the results in s and reports whether all
// passed.
func CheckAll(s *Summary, ts []Threshold) bool {
	ok := true
	s.Thresholds = s.Thresholds[:0]
	for _, t := range ts {
		r := t.Check(s)
		s.Thresholds = append(s.Thresholds, r)
		ok = ok && r.Passed
	}
	return ok
}
