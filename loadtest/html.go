package loadtest

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
)

// WriteHTML writes one self-contained page (inline SVG and CSS, no scripts or network
// fetches): a pass/fail banner with every threshold, the tool version and command line,
// charts over time of throughput, latency percentiles, response codes, requests in
// flight, answers per kind and each kind's latency, the latency distribution, and the
// text report.
func (s *Summary) WriteHTML(w io.Writer) error {
	data := struct {
		S       *Summary
		Text    string
		Verdict string // "pass", "fail" or "none"
		Failed  int
		Charts  []template.HTML
		ByKind  []template.HTML
		Dist    template.HTML
	}{S: s, Verdict: "none"}
	var sb strings.Builder
	_ = s.WriteText(&sb)
	data.Text = sb.String()
	if len(s.Thresholds) > 0 {
		data.Verdict = "pass"
		for _, t := range s.Thresholds {
			if !t.Passed {
				data.Verdict, data.Failed = "fail", data.Failed+1
			}
		}
	}
	data.Charts, data.ByKind = s.charts()
	data.Dist = distChart(s.Distribution)
	if err := pageTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// charts draws the time-series charts: the overall ones, then one latency chart per kind.
func (s *Summary) charts() (overall, byKind []template.HTML) {
	ss := s.Series
	t := make([]float64, len(ss))
	for i, p := range ss {
		t[i] = p.T
	}
	perSec := func(f func(Second) float64) []float64 {
		out := make([]float64, len(ss))
		for i, p := range ss {
			if p.Interval > 0 {
				out[i] = f(p) / p.Interval
			}
		}
		return out
	}
	val := func(f func(Second) float64) []float64 {
		out := make([]float64, len(ss))
		for i, p := range ss {
			out[i] = f(p)
		}
		return out
	}
	overall = []template.HTML{
		chart{title: "requests per second", x: t, lines: []line{
			{"target", "#999", val(func(p Second) float64 { return p.TargetRate })},
			{"answered", palette[0], val(func(p Second) float64 { return p.Rate })},
			{"timed out + dropped + errors", palette[3], perSec(func(p Second) float64 { return float64(p.TimedOut + p.Dropped + p.Errors) })},
		}}.svg(),
		chart{title: "latency (ms, log scale)", x: t, log: true, lines: []line{
			{"p50", palette[2], val(func(p Second) float64 { return p.P50 })},
			{"p90", palette[0], val(func(p Second) float64 { return p.P90 })},
			{"p99", palette[1], val(func(p Second) float64 { return p.P99 })},
			{"p99.9", palette[3], val(func(p Second) float64 { return p.P999 })},
			{"max", palette[7], val(func(p Second) float64 { return p.Max })},
		}}.svg(),
		chart{title: "answers per second by response code", x: t, lines: s.codeLines(perSec)}.svg(),
		chart{title: "requests in flight", x: t, height: 200, lines: []line{
			{"in flight", palette[4], val(func(p Second) float64 { return float64(p.InFlight) })},
		}}.svg(),
	}
	var kindRate []line
	for i, k := range s.Kinds {
		name := k.Kind
		kindRate = append(kindRate, line{name, palette[i%len(palette)], perSec(func(p Second) float64 { return float64(p.Kinds[name].Answered) })})
		byKind = append(byKind, chart{title: name + ": latency (ms, log scale)", x: t, log: true, height: 200, lines: []line{
			{"p50", palette[2], val(func(p Second) float64 { return p.Kinds[name].P50 })},
			{"p99", palette[1], val(func(p Second) float64 { return p.Kinds[name].P99 })},
		}}.svg())
	}
	overall = append(overall, chart{title: "answers per second by kind", x: t, lines: kindRate}.svg())
	return overall, byKind
}

// codeLines is one line per response code, the most frequent first.
func (s *Summary) codeLines(perSec func(func(Second) float64) []float64) []line {
	codes := make([]string, 0, len(s.Codes))
	for _, c := range s.Codes { // already sorted by count
		codes = append(codes, c.Code)
	}
	for _, p := range s.Series { // a code seen only in the series (none expected) still shows
		for c := range p.Codes {
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
	}
	out := make([]line, len(codes))
	for i, c := range codes {
		out[i] = line{c, palette[i%len(palette)], perSec(func(p Second) float64 { return float64(p.Codes[c]) })}
	}
	return out
}

// distChart draws the latency distribution as bars on a logarithmic latency axis: bucket
// i spans from the bound of bucket i-1 to its own, the bounds growing by a constant factor,
// so round latencies (0.1, 0.2, 0.5, 1 ms, ...) are placed by interpolating the logarithm.
func distChart(buckets []Bucket) template.HTML {
	const h = 280.0
	plotH := h - padT - padB
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img"><title>latency distribution</title>`, chartW, h)
	fmt.Fprintf(&b, `<text x="%.0f" y="18" class="t">latency distribution (answers per bucket; latency in ms, log scale)</text>`, padL)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" class="f"/>`, padL, padT, plotW, plotH)
	var peak int64 = 1
	for _, k := range buckets {
		peak = max(peak, k.Count)
	}
	ya := linearAxis(float64(peak), 4)
	for _, t := range ya.ticks {
		y := padT + plotH - ya.frac(t)*plotH
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="g"/><text x="%.0f" y="%.1f" class="a" text-anchor="end">%s</text>`,
			padL, padL+plotW, y, y, padL-6, y+4, ya.label(t))
	}
	bw := plotW / float64(max(len(buckets), 1))
	for i, k := range buckets {
		bh := ya.frac(float64(k.Count)) * plotH
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1f77b4"><title>≤ %.3g ms: %d</title></rect>`,
			padL+float64(i)*bw, padT+plotH-bh, math.Max(bw-1, 1), bh, k.UpTo, k.Count)
	}
	if len(buckets) >= 2 && buckets[0].UpTo > 0 {
		step := math.Log(buckets[1].UpTo / buckets[0].UpTo) // the bounds' constant factor, as a log
		lowest := buckets[0].UpTo / math.Exp(step)          // the first bucket's lower bound
		xa := logAxis(lowest, buckets[len(buckets)-1].UpTo, 12)
		for _, t := range xa.ticks {
			x := padL + math.Log(t/lowest)/step*bw
			if x < padL-1 || x > padL+plotW+1 {
				continue
			}
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" class="a" stroke="#555"/><text x="%.1f" y="%.0f" class="a" text-anchor="middle">%s</text>`,
				x, x, padT+plotH, padT+plotH+4, x, h-padB+18, xa.label(t))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers only
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bandeira loadtest: {{.S.Target}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:960px;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto}
code{background:#f6f6f6;padding:0 .3em;word-break:break-all}
svg{background:#fff;margin:1em 0;font-size:12px}
.t{font-weight:bold}.a{fill:#555}.g{stroke:#eee}.f{fill:none;stroke:#ccc}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;border-bottom:1px solid #eee}
.banner{padding:.8em 1.2em;border-radius:6px;margin:1em 0;font-size:1.1em}
.banner ul{margin:.4em 0 0;padding-left:1.2em;font-size:.9em}
.pass{background:#e6f4ea;border:2px solid #2ca02c}.fail{background:#fdecea;border:2px solid #d62728}
.none{background:#f6f6f6;border:2px solid #ccc}
.ok{color:#1e7b1e}.bad{color:#b71c1c;font-weight:bold}
</style></head><body>
<h1>bandeira loadtest</h1>
<div class="banner {{.Verdict}}">
{{- if eq .Verdict "pass"}}<strong>PASS</strong>: all {{len .S.Thresholds}} thresholds held
{{- else if eq .Verdict "fail"}}<strong>FAIL</strong>: {{.Failed}} of {{len .S.Thresholds}} thresholds failed
{{- else}}No thresholds were given (--threshold 'p99&lt;20ms' sets one){{end}}
{{- if .S.Thresholds}}<ul>{{range .S.Thresholds}}
<li class="{{if .Passed}}ok{{else}}bad{{end}}">{{if .Passed}}pass{{else}}FAIL{{end}}: {{.Threshold}}, actual {{.ActualText}}</li>{{end}}
</ul>{{end}}
</div>
<table>
<tr><th>target</th><td>{{.S.Target}} ({{.S.Model}} model, {{.S.Connections}} connections)</td></tr>
<tr><th>started</th><td>{{.S.StartedAt.Format "2006-01-02 15:04:05 UTC"}}, {{printf "%.1f" .S.Duration}} s of sending</td></tr>
<tr><th>mix</th><td>{{.S.Mix}}</td></tr>
<tr><th>result</th><td>{{.S.Requests.Answered}} of {{.S.Requests.Scheduled}} answered; latency p50 {{printf "%.3f" .S.Latency.P50}} ms,
p99 {{printf "%.3f" .S.Latency.P99}} ms, p99.9 {{printf "%.3f" .S.Latency.P999}} ms</td></tr>
{{- if .S.ToolVersion}}<tr><th>tool</th><td>{{.S.ToolVersion}}</td></tr>{{end}}
{{- if .S.Command}}<tr><th>command</th><td><code>{{.S.Command}}</code></td></tr>{{end}}
</table>
<h2>Over time</h2>
{{range .Charts}}{{.}}
{{end}}
{{- if .ByKind}}<h2>By kind</h2>
{{range .ByKind}}{{.}}
{{end}}{{end}}
<h2>Distribution</h2>
{{.Dist}}
<h2>Summary</h2>
<pre>{{.Text}}</pre>
</body></html>
`))
