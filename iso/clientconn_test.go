package iso

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBackoff(t *testing.T) {
	b := backoff{min: 100 * time.Millisecond, max: 5 * time.Second}
	t.Run("doubles from the minimum up to the maximum, each wait jittered within its step", func(t *testing.T) {
		steps := []time.Duration{100, 200, 400, 800, 1600, 3200, 5000, 5000}
		for _, step := range steps {
			step *= time.Millisecond
			d := b.next()
			require.GreaterOrEqual(t, d, step/2)
			require.LessOrEqual(t, d, step)
		}
	})
	t.Run("starts over from the minimum after a reset", func(t *testing.T) {
		b.reset()
		d := b.next()
		require.GreaterOrEqual(t, d, 50*time.Millisecond)
		require.LessOrEqual(t, d, 100*time.Millisecond)
	})
	t.Run("spreads waits of one step", func(t *testing.T) {
		seen := map[time.Duration]bool{}
		for range 20 {
			b.reset()
			seen[b.next()] = true
		}
		require.Greater(t, len(seen), 1, "jittered waits differ")
	})
}

func TestSTANSequence(t *testing.T) {
	var s stanSequence
	require.Equal(t, "000001", s.next())
	require.Equal(t, "000002", s.next())
	s.n.Store(999_998)
	require.Equal(t, "999999", s.next())
	require.Equal(t, "000001", s.next(), "wraps without ever giving 000000")
}
