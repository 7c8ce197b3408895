package metrics

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

func TestLatencyBuckets(t *testing.T) {
	b := LatencyBuckets()
	t.Run("spans 50 µs to 20 s, ten a decade, about 1.26 apart", func(t *testing.T) {
		require.Len(t, b, 57)
		require.Equal(t, 50e-6, b[0])
		require.Equal(t, 20.0, b[len(b)-1])
		for i := 1; i < len(b); i++ {
			r := b[i] / b[i-1]
			require.Greater(t, r, 1.2, "bound %d", i)
			require.Less(t, r, 1.3, "bound %d", i)
		}
	})
	t.Run("every bound prints as a round number", func(t *testing.T) {
		for _, v := range b {
			s := strconv.FormatFloat(v, 'g', -1, 64) // as client_golang writes le
			three, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
			require.NoError(t, err)
			require.Equal(t, three, v, "le=%q has at most three significant digits", s)
			require.LessOrEqual(t, len(s), 8, "le=%q", s)
		}
	})
	t.Run("callers get their own copy", func(t *testing.T) {
		b[0] = 42
		require.Equal(t, 50e-6, LatencyBuckets()[0])
	})
}

func TestLatencyKeepsNestedQuantilesOrdered(t *testing.T) {
	// Every request spends some time in the outer hop around the inner one; the classic
	// quantile estimate of the inner hop must never exceed the outer hop's.
	rng := rand.New(rand.NewPCG(1, 2))
	outer := prometheus.NewHistogram(Latency("outer_seconds", "outer"))
	inner := prometheus.NewHistogram(Latency("inner_seconds", "inner"))
	for range 20000 {
		in := 0.0003 * (1 + rng.ExpFloat64()) // an issuer around 0.6 ms
		inner.Observe(in)
		outer.Observe(in + 0.00005 + 0.0001*rng.Float64()) // plus the hop's own work
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		require.LessOrEqual(t, quantile(t, inner, q), quantile(t, outer, q), "q=%v", q)
	}
}

func TestLatencyHasNativeBuckets(t *testing.T) {
	h := prometheus.NewHistogram(Latency("native_seconds", "native"))
	for i := range 1000 {
		h.Observe(float64(i+1) * 1e-4)
	}
	var m dto.Metric
	require.NoError(t, h.Write(&m))
	require.NotNil(t, m.Histogram.Schema, "a native histogram schema is exposed")
	require.NotEmpty(t, m.Histogram.PositiveSpan)
	require.Len(t, m.Histogram.Bucket, 57, "beside the classic buckets")
}

// quantile estimates a quantile from h's classic buckets as PromQL's histogram_quantile
// does: linear interpolation inside the bucket that holds the rank.
func quantile(t *testing.T, h prometheus.Histogram, q float64) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, h.Write(&m))
	total := float64(m.Histogram.GetSampleCount())
	rank := q * total
	lo, below := 0.0, 0.0
	for _, b := range m.Histogram.Bucket {
		c := float64(b.GetCumulativeCount())
		if c >= rank {
			return lo + (b.GetUpperBound()-lo)*(rank-below)/(c-below)
		}
		lo, below = b.GetUpperBound(), c
	}
	return lo
}

func BenchmarkObserve(b *testing.B) {
	classic := Latency("classic_seconds", "classic")
	classic.NativeHistogramBucketFactor = 0
	for _, c := range []struct {
		name string
		opts prometheus.HistogramOpts
	}{{"classic", classic}, {"classic+native", Latency("both_seconds", "both")}} {
		b.Run(c.name, func(b *testing.B) {
			h := prometheus.NewHistogram(c.opts)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				v := 0.0007
				for pb.Next() {
					h.Observe(v)
					v *= 1.0001
					if v > 0.02 {
						v = 0.0007
					}
				}
			})
		})
	}
}
