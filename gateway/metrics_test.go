package gateway

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// metricValue gathers reg and returns the value of the series of family name whose labels
// include want: a counter's or gauge's value, or a histogram's sample count. It returns 0
// when no series matches. (prometheus/testutil would do, but its godebug dependency is not
// in go.sum.)
func metricValue(tb testing.TB, reg *prometheus.Registry, name string, want map[string]string) float64 {
	tb.Helper()
	families, err := reg.Gather()
	require.NoError(tb, err)
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m.GetLabel(), want) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}

func hasLabels[L interface {
	GetName() string
	GetValue() string
}](labels []L, want map[string]string) bool {
	n := 0
	for _, l := range labels {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// seriesCount returns how many series family name has.
func seriesCount(tb testing.TB, reg *prometheus.Registry, name string) int {
	tb.Helper()
	families, err := reg.Gather()
	require.NoError(tb, err)
	for _, mf := range families {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}

func TestLabels(t *testing.T) {
	t.Run("MTI labels keep supported MTIs and fold the rest into other", func(t *testing.T) {
		cases := map[string]string{
			"0100": "0100", "0421": "0421", "0801": "other",
			"0120": "other", "0110": "other", "9999": "other", "": "other", "01A0": "other",
		}
		for in, want := range cases {
			require.Equal(t, want, mtiLabel(bandeiraMTI(in)), "MTI %q", in)
		}
	})
	t.Run("response code labels keep two alphanumerics and fold the rest into other", func(t *testing.T) {
		cases := map[string]string{"00": "00", "N7": "N7", "": "other", "000": "other", "0\n": "other"}
		for in, want := range cases {
			require.Equal(t, want, codeLabel(bandeiraCode(in)), "code %q", in)
		}
	})
	t.Run("all collectors register on a fresh registry", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		require.NotPanics(t, func() { NewMetrics(reg) })
		require.Panics(t, func() { NewMetrics(reg) }, "a second registration is a programmer error")
	})
}
