package loadtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAxes(t *testing.T) {
	t.Run("linear ticks step by 1, 2 or 5 times a power of ten", func(t *testing.T) {
		for _, c := range []struct {
			max    float64
			ticks  []float64
			labels []string
		}{
			{1668, []float64{0, 500, 1000, 1500, 2000}, []string{"0", "500", "1000", "1500", "2000"}},
			{3000, []float64{0, 1000, 2000, 3000}, nil},
			{0.37, []float64{0, 0.1, 0.2, 0.3, 0.4}, []string{"0", "0.1", "0.2", "0.3", "0.4"}},
			{7, []float64{0, 2, 4, 6, 8}, nil},
			{0, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}, nil},
		} {
			a := linearAxis(c.max, 5)
			require.Equal(t, c.ticks, a.ticks, "max %v", c.max)
			require.GreaterOrEqual(t, a.hi, c.max)
			for i, l := range c.labels {
				require.Equal(t, l, a.label(a.ticks[i]))
			}
		}
	})
	t.Run("log axes end at 1-2-5 values around the data, with 1-2-5 ticks or decades when crowded", func(t *testing.T) {
		a := logAxis(0.3, 12, 20)
		require.Equal(t, []float64{0.2, 0.5, 1, 2, 5, 10, 20}, a.ticks)
		require.Equal(t, 0.2, a.lo)
		require.Equal(t, 20.0, a.hi)
		require.Equal(t, "0.2", a.label(0.2))
		require.Equal(t, "20", a.label(20))
		require.Equal(t, []float64{1, 10, 100}, logAxis(0.3, 90, 6).ticks, "decades when 1-2-5 would crowd")
		require.Equal(t, []float64{1, 2}, logAxis(1, 1, 10).ticks, "one value still spans a step")
		require.Equal(t, []float64{1, 2, 5, 10}, logAxis(0, 0, 10).ticks, "nothing to plot")
	})
	t.Run("an x axis in seconds gets round times and ends with the run", func(t *testing.T) {
		a := timeAxis(13.4, 8)
		require.Equal(t, []float64{0, 2, 4, 6, 8, 10, 12}, a.ticks)
		require.Equal(t, 13.4, a.hi)
		svg := string(chart{title: "x", x: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13.4},
			lines: []line{{"a", "#000", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}}}}.svg())
		for _, want := range []string{">0s<", ">2s<", ">12s<"} {
			require.Contains(t, svg, want)
		}
		require.False(t, strings.Contains(svg, ">13.4s<") || strings.Contains(svg, ">14s<"), "no odd or empty ticks")
	})
	t.Run("the distribution's latency axis has round ticks", func(t *testing.T) {
		var buckets []Bucket
		for v := 0.064; v < 100; v *= 1.189207 {
			buckets = append(buckets, Bucket{UpTo: v, Count: 1})
		}
		svg := string(distChart(buckets))
		for _, want := range []string{">0.1<", ">0.2<", ">0.5<", ">1<", ">10<", ">50<"} {
			require.Contains(t, svg, want)
		}
		require.NotContains(t, svg, ">0.064<")
		require.NotContains(t, svg, ">100<", "beyond the last bucket")
	})
}

func TestCheckResultUnits(t *testing.T) {
	for _, c := range []struct {
		r    CheckResult
		want string
	}{
		{CheckResult{Actual: 8.927, Unit: UnitMS}, "8.93ms"},
		{CheckResult{Actual: 0.35, Unit: UnitMS}, "350µs"},
		{CheckResult{Actual: 1500, Unit: UnitMS}, "1.5s"},
		{CheckResult{Actual: 0, Unit: UnitMS}, "0ms"},
		{CheckResult{Actual: 0.0012, Unit: UnitFraction}, "0.12%"},
		{CheckResult{Actual: 0.99123, Unit: UnitFraction}, "99.1%"},
		{CheckResult{Actual: 5.24, Unit: UnitUS}, "5.2µs"},
	} {
		require.Equal(t, c.want, c.r.ActualText())
	}
	for expr, unit := range map[string]string{"p99<20ms": UnitMS, "errors<0.1%": UnitFraction, "rate>0.99": UnitFraction, "cpu<10us": UnitUS} {
		th, err := ParseThreshold(expr)
		require.NoError(t, err)
		require.Equal(t, unit, th.Check(&Summary{}).Unit, expr)
	}
}
