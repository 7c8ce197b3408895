package loadtest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRealClockSleep(t *testing.T) {
	var c realClock
	t.Run("waits the whole duration, below the timer's grain and above it", func(t *testing.T) {
		for _, d := range []time.Duration{0, 300 * time.Microsecond, timerGrain, timerGrain + 3*time.Millisecond} {
			start := time.Now()
			require.True(t, c.Sleep(context.Background(), d))
			require.GreaterOrEqual(t, time.Since(start), d)
		}
	})
	t.Run("ends early when the context ends while it waits on the timer", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		require.False(t, c.Sleep(ctx, time.Hour))
		require.Less(t, time.Since(start), 10*time.Second)
	})
	t.Run("does not start on an ended context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.False(t, c.Sleep(ctx, 300*time.Microsecond))
		require.False(t, c.Sleep(ctx, time.Hour))
	})
}

// BenchmarkSleepLateness reports how late a sender that waits for its next request wakes:
// the median and p99 of (woken − due) over b.N waits of 300 µs, for the run's clock and for
// a plain Go timer (time.Sleep).
func BenchmarkSleepLateness(b *testing.B) {
	const d = 300 * time.Microsecond
	for _, s := range []struct {
		name  string
		sleep func()
	}{
		{"clock", func() { realClock{}.Sleep(context.Background(), d) }},
		{"time.Sleep", func() { time.Sleep(d) }},
	} {
		b.Run(s.name, func(b *testing.B) {
			late := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				s.sleep()
				late = append(late, time.Since(start)-d)
			}
			slices.Sort(late)
			b.ReportMetric(float64(late[len(late)/2])/1e3, "late-p50-µs")
			b.ReportMetric(float64(late[len(late)*99/100])/1e3, "late-p99-µs")
		})
	}
}
