// Package metrics holds what every party's Prometheus metrics share: the one bucket layout
// of latency histograms. It sits below every party (gateway, network, issuers, acquirer,
// iso), so that their histograms line up without the parties importing each other.
//
// Every latency histogram of Bandeira uses Latency, so a dashboard can compare the p99 of
// one hop with the p99 of the hop that contains it: with identical bucket bounds, a
// request that took at most x at the outer hop took at most x at the inner one, so the
// inner hop's cumulative count at every bound is at least the outer one's, and its
// estimated quantile is never above the outer's (docs/metrics.md).
package metrics

import (
	"slices"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Bounds of the latency bucket layout, in seconds.
const (
	// LatencyLowest is the upper bound of the first bucket: 50 µs, below an in-process
	// issuer's decision.
	LatencyLowest = 50e-6
	// LatencyHighest is the upper bound of the last finite bucket: 20 s, above the
	// default server request timer.
	LatencyHighest = 20.0
	// LatencyPerDecade is the number of buckets per factor of ten: ten, the R10
	// preferred numbers of ISO 3 (1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8), so each
	// bound is about 1.26 times the previous one and reads as a round number.
	LatencyPerDecade = 10
)

// r10 are the ISO 3 R10 preferred numbers, the mantissas of the bucket bounds.
var r10 = [LatencyPerDecade]float64{1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8}

// latencyBuckets is the layout, built once: every R10 number from LatencyLowest to
// LatencyHighest inclusive (57 bounds).
var latencyBuckets = func() []float64 {
	var out []float64
	for exp := -5; exp <= 1; exp++ {
		for _, m := range r10 {
			// Formatting through decimal text gives the shortest float for "6.3e-05"
			// rather than 6.3*1e-5's 6.300000000000001e-05, so le labels stay round.
			v, _ := strconv.ParseFloat(strconv.FormatFloat(m, 'f', -1, 64)+"e"+strconv.Itoa(exp), 64)
			if v >= LatencyLowest*(1-1e-9) && v <= LatencyHighest*(1+1e-9) {
				out = append(out, v)
			}
		}
	}
	return out
}()

// LatencyBuckets returns the upper bounds, in seconds, of the classic buckets every
// latency histogram uses: 50 µs to 20 s, ten a decade. The caller owns the slice.
func LatencyBuckets() []float64 { return slices.Clone(latencyBuckets) }

// Native histogram settings of Latency. A scraper that asks for the protobuf format (a
// Prometheus with native histograms enabled) gets a native histogram beside the classic
// buckets; the text format carries the classic buckets only.
const (
	// NativeBucketFactor bounds the growth from one native bucket to the next: 1.1 gives
	// a relative error of at most about 5% on any quantile.
	NativeBucketFactor = 1.1
	// NativeMaxBuckets caps the native buckets of one series; past it the resolution is
	// halved, so memory and series size stay bounded whatever the latencies.
	// (Without a minimum reset duration a histogram is never reset: it halves its
	// resolution instead, and its counts stay monotonic for rate().)
	NativeMaxBuckets = 160
)

// Latency returns histogram options for a latency in seconds: the given name and help,
// the shared classic buckets and native histogram settings. Use it for every histogram
// of a duration, so that hops compare bucket for bucket.
func Latency(name, help string) prometheus.HistogramOpts {
	return prometheus.HistogramOpts{
		Name:                           name,
		Help:                           help,
		Buckets:                        LatencyBuckets(),
		NativeHistogramBucketFactor:    NativeBucketFactor,
		NativeHistogramMaxBucketNumber: NativeMaxBuckets,
	}
}
