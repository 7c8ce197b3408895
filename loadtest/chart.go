package loadtest

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Chart geometry, in SVG units.
const (
	chartW                 = 900.0
	padL, padR, padT, padB = 70.0, 20.0, 30.0, 40.0
	plotW                  = chartW - padL - padR
)

// palette colours the lines of a chart in order (Tableau 10).
var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
	"#bcbd22", "#17becf"}

// line is one named series of a chart, y[i] at the chart's x[i].
type line struct {
	name, color string
	y           []float64
}

// chart is a line chart over a shared x axis in seconds; log scales y by powers of ten
// (values ≤ 0 are left out).
type chart struct {
	title  string
	x      []float64
	lines  []line
	log    bool
	height float64
}

// svg draws the chart as inline SVG with round tick values on both axes.
func (c chart) svg() template.HTML {
	h := c.height
	if h == 0 {
		h = 280
	}
	plotH := h - padT - padB
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %.0f %.0f" width="100%%" role="img"><title>%s</title>`, chartW, h, template.HTMLEscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%.0f" y="18" class="t">%s</text>`, padL, template.HTMLEscapeString(c.title))
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" class="f"/>`, padL, padT, plotW, plotH)
	xmax := 0.0
	if len(c.x) > 0 {
		xmax = c.x[len(c.x)-1]
	}
	xa := timeAxis(xmax, 8)
	ya := c.yAxis(int(plotH / 18))
	fx := func(v float64) float64 { return padL + (v-xa.lo)/(xa.hi-xa.lo)*plotW }
	fy := func(v float64) float64 { return padT + plotH - ya.frac(v)*plotH }
	for _, t := range ya.ticks {
		y := fy(t)
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="g"/><text x="%.0f" y="%.1f" class="a" text-anchor="end">%s</text>`,
			padL, padL+plotW, y, y, padL-6, y+4, ya.label(t))
	}
	for _, t := range xa.ticks {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="a" text-anchor="middle">%ss</text>`, fx(t), h-padB+18, xa.label(t))
	}
	legendX := padL + 8.0*float64(len(c.title)) + 20
	for _, l := range c.lines {
		var pts []string
		for j, v := range l.y {
			if j >= len(c.x) || (c.log && v <= 0) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", fx(c.x[j]), fy(v)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, l.color, strings.Join(pts, " "))
		fmt.Fprintf(&b, `<text x="%.0f" y="18" fill="%s">%s</text>`, legendX, l.color, template.HTMLEscapeString(l.name))
		legendX += 12 + 7*float64(len(l.name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from numbers and escaped names only
}

// yAxis fits the y axis to the chart's values, with at most about maxTicks ticks.
func (c chart) yAxis(maxTicks int) axis {
	lo, hi := math.Inf(1), 0.0
	for _, l := range c.lines {
		for _, v := range l.y {
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if c.log {
		return logAxis(lo, hi, maxTicks)
	}
	return linearAxis(hi, min(5, maxTicks))
}

// axis is a chart axis: its range and round tick values.
type axis struct {
	lo, hi float64
	ticks  []float64
	step   float64 // linear axes: the distance between ticks
	log    bool
}

// frac returns where v falls on the axis, 0 at lo and 1 at hi.
func (a axis) frac(v float64) float64 {
	if a.log {
		return (math.Log10(v) - math.Log10(a.lo)) / (math.Log10(a.hi) - math.Log10(a.lo))
	}
	return (v - a.lo) / (a.hi - a.lo)
}

// label formats a tick value with no more decimals than the ticks need.
func (a axis) label(v float64) string {
	step := a.step
	if a.log {
		step = v
	}
	decimals := 0
	if step > 0 && step < 1 {
		decimals = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	rounded, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', decimals, 64), 64)
	return strconv.FormatFloat(rounded, 'f', -1, 64)
}

// linearAxis returns an axis from 0 to top rounded up to a tick, with about n ticks at a
// 1-2-5 step (0, 500, 1000, 1500 rather than 0, 556.1, 1112, 1668).
func linearAxis(top float64, n int) axis {
	if top <= 0 || math.IsInf(top, 0) || math.IsNaN(top) {
		top = 1
	}
	step := niceStep(top / float64(n))
	hi := roundSig(math.Ceil(top/step-1e-9) * step)
	a := axis{lo: 0, hi: hi, step: step}
	for i := 0; float64(i)*step <= hi+step/2; i++ {
		a.ticks = append(a.ticks, roundSig(float64(i)*step))
	}
	return a
}

// timeAxis returns an axis from 0 to exactly top (the end of the run) with about n ticks at
// a 1-2-5 step.
func timeAxis(top float64, n int) axis {
	a := linearAxis(top, n)
	if top <= 0 {
		return a
	}
	a.hi = top
	for len(a.ticks) > 0 && a.ticks[len(a.ticks)-1] > top*(1+1e-9) {
		a.ticks = a.ticks[:len(a.ticks)-1]
	}
	return a
}

// logAxis returns an axis from the 1-2-5 value at or below lo to the one at or above hi,
// with ticks at 1, 2 and 5 times each power of ten, or at the powers of ten alone when
// those would be more than maxTicks.
func logAxis(lo, hi float64, maxTicks int) axis {
	if hi <= 0 || math.IsInf(lo, 0) {
		lo, hi = 1, 10
	}
	var ticks []float64
	for e := math.Floor(math.Log10(lo)) - 1; e <= math.Ceil(math.Log10(hi))+1; e++ {
		for _, m := range []float64{1, 2, 5} {
			ticks = append(ticks, roundSig(m*math.Pow(10, e)))
		}
	}
	first, last := 0, len(ticks)-1
	for first+1 < len(ticks) && ticks[first+1] <= lo*(1+1e-9) {
		first++
	}
	for last-1 >= 0 && ticks[last-1] >= hi*(1-1e-9) {
		last--
	}
	if last <= first {
		last = first + 1
	}
	a := axis{lo: ticks[first], hi: ticks[last], log: true, ticks: ticks[first : last+1]}
	if len(a.ticks) > max(maxTicks, 2) {
		var decades []float64
		for _, t := range a.ticks {
			if m := t / math.Pow(10, math.Floor(math.Log10(t)+1e-9)); math.Abs(m-1) < 1e-9 {
				decades = append(decades, t)
			}
		}
		if len(decades) >= 2 {
			a.ticks = decades
		}
	}
	return a
}

// niceStep returns the smallest of 1, 2 and 5 times a power of ten that is at least raw.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw*(1-1e-9) {
			return roundSig(m * p)
		}
	}
	return roundSig(10 * p)
}

// roundSig drops the floating-point noise of a product such as 5 × 0.1.
func roundSig(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}
