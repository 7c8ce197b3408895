package loadtest

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// WriteHTML writes one self-contained page (inline SVG and CSS, no scripts or network
// fetches) with the summary tables and charts of throughput and latency percentiles over
// time and of the latency distribution.
func (s *Summary) WriteHTML(w io.Writer) error {
	data := struct {
		S                         *Summary
		Text                      string
		Throughput, Latency, Dist template.HTML
	}{S: s}
	var sb strings.Builder
	_ = s.WriteText(&sb)
	data.Text = sb.String()
	t, rate, target, errs := seriesXY(s.Series)
	data.Throughput = lineChart("requests per second", t, []line{
		{"target", "#999", target}, {"answered", "#1f77b4", rate}, {"timed out + dropped + errors", "#d62728", errs},
	}, false)
	data.Latency = lineChart("latency (ms, log scale), per second", t, latencyLines(s.Series), true)
	data.Dist = distChart(s.Distribution)
	if err := pageTemplate.Execute(w, data); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

type line struct {
	name, color string
	y           []float64
}

func seriesXY(ss []Second) (t, rate, target, errs []float64) {
	for _, p := range ss {
		t = append(t, p.T)
		rate = append(rate, p.Rate)
		target = append(target, p.TargetRate)
		e := float64(p.TimedOut + p.Dropped + p.Errors)
		if p.Interval > 0 {
			e /= p.Interval
		}
		errs = append(errs, e)
	}
	return t, rate, target, errs
}

func latencyLines(ss []Second) []line {
	ls := []line{{"p50", "#2ca02c", nil}, {"p90", "#1f77b4", nil}, {"p99", "#ff7f0e", nil}, {"p99.9", "#d62728", nil}, {"max", "#7f7f7f", nil}}
	for _, p := range ss {
		for i, v := range []float64{p.P50, p.P90, p.P99, p.P999, p.Max} {
			ls[i].y = append(ls[i].y, v)
		}
	}
	return ls
}

// Chart geometry, in SVG units.
const (
	chartW, chartH         = 900.0, 280.0
	padL, padR, padT, padB = 70.0, 20.0, 30.0, 40.0
	plotW, plotH           = chartW - padL - padR, chartH - padT - padB
)

// lineChart draws lines over a shared x axis; log scales y by log10 (values ≤ 0 skipped).
func lineChart(title string, x []float64, lines []line, log bool) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img"><title>%s</title>`, chartW, chartH, template.HTMLEscapeString(title))
	fmt.Fprintf(&b, `<text x="%.0f" y="18" class="t">%s</text>`, padL, template.HTMLEscapeString(title))
	xmax := 1.0
	if len(x) > 0 {
		xmax = math.Max(x[len(x)-1], 1)
	}
	ymin, ymax := yRange(lines, log)
	fy := func(v float64) float64 {
		if log {
			v = math.Log10(v)
		}
		return padT + plotH - (v-ymin)/(ymax-ymin)*plotH
	}
	axes(&b, xmax, ymin, ymax, log)
	for i, l := range lines {
		var pts []string
		for j, v := range l.y {
			if j >= len(x) || (log && v <= 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", padL+x[j]/xmax*plotW, fy(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.0f" y="18" fill="%s">%s</text>`, padL+250+float64(i)*120, l.color, template.HTMLEscapeString(l.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped names only
}

func yRange(lines []line, log bool) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, v := range l.y {
			if log {
				if v <= 0 {
					continue
				}
				v = math.Log10(v)
			}
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		return 0, 1
	}
	if log {
		return math.Floor(lo), math.Max(math.Ceil(hi), math.Floor(lo)+1)
	}
	return 0, math.Max(hi*1.1, 1)
}

// axes draws the frame, four y ticks and five x ticks (seconds).
func axes(b *strings.Builder, xmax, ymin, ymax float64, log bool) {
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" class="f"/>`, padL, padT, plotW, plotH)
	for i := 0; i <= 4; i++ {
		v := ymin + (ymax-ymin)*float64(i)/4
		y := padT + plotH - float64(i)/4*plotH
		label := fmt.Sprintf("%.4g", v)
		if log {
			label = fmt.Sprintf("%.3g", math.Pow(10, v))
		}
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="g"/><text x="%.0f" y="%.1f" class="a" text-anchor="end">%s</text>`,
			padL, padL+plotW, y, y, padL-6, y+4, label)
	}
	for i := 0; i <= 5; i++ {
		x := padL + float64(i)/5*plotW
		fmt.Fprintf(b, `<text x="%.1f" y="%.0f" class="a" text-anchor="middle">%.3gs</text>`, x, chartH-padB+18, xmax*float64(i)/5)
	}
}

// distChart draws the latency distribution as bars on a logarithmic latency axis.
func distChart(buckets []Bucket) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img"><title>latency distribution</title>`, chartW, chartH)
	fmt.Fprintf(&b, `<text x="%.0f" y="18" class="t">latency distribution (answers per bucket; bucket upper bound in ms)</text>`, padL)
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" class="f"/>`, padL, padT, plotW, plotH)
	var peak int64 = 1
	for _, k := range buckets {
		peak = max(peak, k.Count)
	}
	n := float64(max(len(buckets), 1))
	bw := plotW / n
	for i, k := range buckets {
		h := float64(k.Count) / float64(peak) * plotH
		x := padL + float64(i)*bw
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1f77b4"><title>≤ %.3g ms: %d</title></rect>`,
			x, padT+plotH-h, math.Max(bw-1, 1), h, k.UpTo, k.Count)
		if i%max(1, len(buckets)/8) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="a" text-anchor="middle">%.3g</text>`, x+bw/2, chartH-padB+18, k.UpTo)
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" class="a" text-anchor="end">%d</text>`, padL-6, padT+4, peak)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers only
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>bandeira loadtest: {{.S.Target}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:960px;color:#222}
pre{background:#f6f6f6;padding:1em;overflow-x:auto}
svg{background:#fff;margin:1em 0;font-size:12px}
.t{font-weight:bold}.a{fill:#555}.g{stroke:#eee}.f{fill:none;stroke:#ccc}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}
</style></head><body>
<h1>bandeira loadtest</h1>
<p>{{.S.Model}} model against {{.S.Target}}, started {{.S.StartedAt.Format "2006-01-02 15:04:05 UTC"}},
{{printf "%.1f" .S.Duration}} s. Latency p50 {{printf "%.3f" .S.Latency.P50}} ms, p99 {{printf "%.3f" .S.Latency.P99}} ms,
p99.9 {{printf "%.3f" .S.Latency.P999}} ms; {{.S.Requests.Answered}} of {{.S.Requests.Scheduled}} answered.</p>
{{.Throughput}}
{{.Latency}}
{{.Dist}}
<h2>Summary</h2>
<pre>{{.Text}}</pre>
</body></html>
`))
