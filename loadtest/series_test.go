package loadtest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSeriesTail(t *testing.T) {
	second := func(end, interval float64, answered int64, target float64) Second {
		return Second{T: end, Interval: interval, Answered: answered, Rate: float64(answered) / interval,
			TargetRate: target, P99: end}
	}
	t.Run("a final sliver joins the second before it instead of plotting as a spike", func(t *testing.T) {
		s := series{max: maxSeriesPoints}
		s.add(second(1, 1, 2000, 2000))
		s.add(second(2, 1, 2000, 2000))
		s.add(second(2.0004, 0.0004, 1, 0))
		pts := s.all()
		require.Len(t, pts, 2)
		last := pts[1]
		require.Equal(t, int64(2001), last.Answered)
		require.InDelta(t, 1.0004, last.Interval, 1e-9)
		require.InDelta(t, 2001/1.0004, last.Rate, 1e-6)
		require.Equal(t, 2000.0, last.TargetRate)
		require.Equal(t, 2.0004, last.P99, "percentiles keep the upper bound")
	})
	t.Run("a final interval of half a second or more stays a point of its own", func(t *testing.T) {
		s := series{max: maxSeriesPoints}
		s.add(second(1, 1, 2000, 2000))
		s.add(second(1.6, 0.6, 1200, 2000))
		require.Len(t, s.all(), 2)
	})
	t.Run("a run shorter than a sliver keeps its only point", func(t *testing.T) {
		s := series{max: maxSeriesPoints}
		s.add(second(0.2, 0.2, 10, 50))
		require.Len(t, s.all(), 1)
	})
}
