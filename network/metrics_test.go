package network

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

// value reads a counter's value, or a histogram's sample count. (prometheus/testutil needs a
// module missing from go.sum, so the tests read the metric directly.)
func value(tb testing.TB, c any) float64 {
	tb.Helper()
	m, ok := c.(prometheus.Metric)
	require.True(tb, ok, "%T is not a single metric", c)
	var out dto.Metric
	require.NoError(tb, m.Write(&out))
	if h := out.GetHistogram(); h != nil {
		return float64(h.GetSampleCount())
	}
	return out.GetCounter().GetValue()
}

func TestNewMetrics(t *testing.T) {
	t.Run("registers the six metric families under their documented names", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		m := NewMetrics(reg)
		m.Routed.WithLabelValues("visa", "bb").Inc()
		m.Unrouted.WithLabelValues("visa").Inc()
		m.IssuerErrors.WithLabelValues("visa", "bb", ReasonTimeout).Inc()
		m.IssuerDuration.WithLabelValues("visa", "bb").Observe(0.001)
		m.StandIn.WithLabelValues("visa", "bb", "timeout", "00").Inc()
		m.StandInAmount.WithLabelValues("visa", "bb").Add(100)
		families, err := reg.Gather()
		require.NoError(t, err)
		var names []string
		for _, f := range families {
			names = append(names, f.GetName())
		}
		require.Equal(t, []string{
			"bandeira_network_issuer_duration_seconds",
			"bandeira_network_issuer_errors_total",
			"bandeira_network_routed_total",
			"bandeira_network_stand_in_amount_centavos_total",
			"bandeira_network_stand_in_total",
			"bandeira_network_unrouted_total",
		}, names)
	})
	t.Run("panics when registered twice on one registry", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		NewMetrics(reg)
		require.Panics(t, func() { NewMetrics(reg) })
	})
}
