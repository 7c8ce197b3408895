package gateway

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/bandeira/bandeira"
)

// BenchmarkWindowMemory fills a duplicate store of the default capacity (1,000,000 keys)
// with answered keys and reports what it holds: the heap in use per remembered key
// (B/key), the same after three times the capacity has gone through the store, so that
// its generations have been dropped and reused (B/key-steady), the store's whole heap then
// (MB-steady: a shard holds between half and all of its share of the capacity, so the
// keys remembered vary), and the time of one full garbage collection with the store alive
// (gc-ms, the median of three). Run it with
// -benchtime 1x: each iteration fills the store anew. The answers carry an authorization
// code made for each key, as decoded responses do.
func BenchmarkWindowMemory(b *testing.B) {
	const n = 1_000_000
	var perKey, steady, total, gcMillis float64
	for b.Loop() {
		perKey, _, _ = windowHeap(n, n)
		steady, total, gcMillis = windowHeap(n, 3*n)
	}
	b.ReportMetric(perKey, "B/key")
	b.ReportMetric(steady, "B/key-steady")
	b.ReportMetric(total/1e6, "MB-steady")
	b.ReportMetric(gcMillis, "gc-ms")
}

// windowHeap puts keys answered keys into a fresh store of the given capacity and returns
// the growth of the heap in use per key the store remembers and in all, and the median
// time of three runtime.GC calls with the store alive, in milliseconds.
func windowHeap(capacity, keys int) (bytesPerKey, bytes, gcMillis float64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := newDupStore(int64(24*time.Hour), capacity)
	src := newKeySource()
	fp := fingerprint{class: '1', procCode: [6]byte{'0', '0'}, amount: 1000, pan: d.panHash(src.template.PAN)}
	auth := []byte("A00000")
	for i := range keys {
		a := src.next()
		c := d.claim(packKey(a.Key(), '1'), fp, int64(i))
		auth[5] = byte('0' + i%10)
		d.complete(c.entry, bandeira.Result{Code: bandeira.Approved, AuthCode: string(auth), Issuer: "nubank",
			Brand: bandeira.Visa, Product: bandeira.Credit, StandIn: bandeira.IssuerDecided}, nil)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	bytes = float64(int64(after.HeapInuse) - int64(before.HeapInuse))
	var times []time.Duration
	for range 3 {
		start := time.Now()
		runtime.GC()
		times = append(times, time.Since(start))
	}
	runtime.KeepAlive(d)
	slices.Sort(times)
	return bytes / float64(d.size()), bytes, float64(times[1]) / float64(time.Millisecond)
}
