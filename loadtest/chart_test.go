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
	t.Run("log ticks are 1, 2 and 5 per decade over a short range, decades over a long one", func(t *testing.T) {
		a := logAxis(0.3, 12)
		require.Equal(t, []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}, a.ticks)
		require.Equal(t, "0.2", a.label(0.2))
		require.Equal(t, "50", a.label(50))
		require.Equal(t, []float64{0.01, 0.1, 1, 10, 100, 1000}, logAxis(0.05, 900).ticks)
		require.Equal(t, []float64{1, 2, 5, 10}, logAxis(0, 0).ticks, "nothing to plot")
	})
	t.Run("an x axis in seconds gets round times", func(t *testing.T) {
		svg := string(chart{title: "x", x: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13.4},
			lines: []line{{"a", "#000", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}}}}.svg())
		for _, want := range []string{">0s<", ">2s<", ">4s<", ">14s<"} {
			require.Contains(t, svg, want)
		}
		require.False(t, strings.Contains(svg, ">13.4s<") || strings.Contains(svg, ".67s<"), "no odd ticks")
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
