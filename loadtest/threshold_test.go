package loadtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestThresholds(t *testing.T) {
	s := &Summary{Model: "open",
		Requests:      RequestCounts{Scheduled: 10_000, Sent: 9_990, Answered: 9_980, Approved: 9_000, TimedOut: 5, Dropped: 10, Errors: map[string]int64{"unmatched": 5}},
		Rate:          RateSummary{Ratio: 0.998},
		Latency:       Latency{P50: 1.5, P90: 4, P99: 19.9, P999: 42, Max: 120, Mean: 2},
		ApprovalShare: 0.9018, ErrorShare: 0.002, GeneratorCPU: 3.5,
	}
	cases := []struct {
		expr string
		pass bool
	}{
		{"p99<20ms", true},
		{"p99<19ms", false},
		{"p99 < 19900us", false},
		{"p99<=19900µs", true},
		{"p99.9<0.05s", true},
		{"p50<1ms", false},
		{"p90<=4ms", true},
		{"max<100ms", false},
		{"mean<3ms", true},
		{"errors<0.1%", false},
		{"errors<0.5%", true},
		{"errors<0.003", true},
		{"dropped<=0.1%", true},
		{"timeouts<0.01%", false},
		{"rate>0.99", true},
		{"rate>=0.999", false},
		{"approvals>90%", true},
		{"cpu<10us", true},
		{"cpu<3", false},
	}
	for _, c := range cases {
		t.Run(c.expr+" evaluates as expected", func(t *testing.T) {
			th, err := ParseThreshold(c.expr)
			require.NoError(t, err)
			require.Equal(t, c.pass, th.Check(s).Passed)
		})
	}
	t.Run("rate fails in the closed model, which has no target", func(t *testing.T) {
		th, err := ParseThreshold("rate>0")
		require.NoError(t, err)
		closed := *s
		closed.Model = "closed"
		require.False(t, th.Check(&closed).Passed)
	})
	t.Run("latency thresholds fail when nothing was answered", func(t *testing.T) {
		th, err := ParseThreshold("p99<1h")
		require.NoError(t, err)
		require.False(t, th.Check(&Summary{Model: "open"}).Passed)
	})
	t.Run("CheckAll fails when one threshold fails and records each", func(t *testing.T) {
		var ts []Threshold
		for _, e := range []string{"p99<20ms", "errors<0.1%"} {
			th, err := ParseThreshold(e)
			require.NoError(t, err)
			ts = append(ts, th)
		}
		require.False(t, CheckAll(s, ts))
		require.Len(t, s.Thresholds, 2)
		require.True(t, s.Thresholds[0].Passed)
		require.False(t, s.Thresholds[1].Passed)
	})
	t.Run("malformed thresholds are refused", func(t *testing.T) {
		for _, bad := range []string{"", "p99", "p99<", "p99<20", "p42<1ms", "errors<x%", "rate>-1", "<1ms", "p99=20ms"} {
			_, err := ParseThreshold(bad)
			require.Error(t, err, bad)
		}
	})
}
