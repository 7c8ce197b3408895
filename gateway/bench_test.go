package gateway

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// keySource hands out requests with unique keys without allocating: 1,000 terminals ×
// 1,000 STANs × 1,000 transmission times.
type keySource struct {
	n         atomic.Int64
	terminals []string
	stans     []string
	times     []string
	template  bandeira.Authorization
}

func newKeySource() *keySource {
	k := &keySource{template: purchase()}
	for i := range 1000 {
		k.terminals = append(k.terminals, fmt.Sprintf("T%07d", i))
		k.stans = append(k.stans, fmt.Sprintf("%06d", i))
		k.times = append(k.times, fmt.Sprintf("0115%02d%02d%02d", i/3600%24, i/60%60, i%60))
	}
	return k
}

func (k *keySource) next() bandeira.Authorization {
	i := int(k.n.Add(1))
	a := k.template
	a.TerminalID = k.terminals[i%1000]
	a.STAN = k.stans[i/1000%1000]
	a.TransmissionTime = k.times[i/1_000_000%1000]
	return a
}

// BenchmarkAuthorize measures a full pass through the gateway (validation, duplicate
// check, routing to a trivial network, pricing, metrics) with unique keys, in parallel:
// once with no deadline from the caller (the gateway arms its own request timer) and once
// with the caller's deadline already shorter than the timer, as iso.Server sets it.
func BenchmarkAuthorize(b *testing.B) {
	b.Run("own timer", func(b *testing.B) { benchmarkAuthorize(b, context.Background()) })
	b.Run("caller deadline", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		benchmarkAuthorize(b, ctx, func(c *Config) { c.RequestTimeout = 2 * time.Hour })
	})
}

func benchmarkAuthorize(b *testing.B, ctx context.Context, edits ...func(*Config)) {
	network := bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		return bandeira.Result{Code: bandeira.Approved, AuthCode: "123456", Product: bandeira.Credit}, nil
	})
	cfg := DefaultConfig()
	for _, edit := range edits {
		edit(&cfg)
	}
	cfg.DuplicateCapacity = 200_000 // steady state with evictions, without a large heap
	g := New(cfg, map[bandeira.Brand]bandeira.Authorizer{bandeira.Visa: network}, flatAcquirer{},
		zerolog.Nop(), NewMetrics(prometheus.NewRegistry()), time.Now)
	keys := newKeySource()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := g.Authorize(ctx, keys.next()); err != nil || res.Code != bandeira.Approved {
				b.Errorf("got %q, %v", res.Code, err)
				return
			}
		}
	})
}

// BenchmarkDuplicateCheck measures the duplicate store alone: claim and complete of a
// unique key, in parallel, with the store full and evicting. It reports the heap held
// per remembered key.
func BenchmarkDuplicateCheck(b *testing.B) {
	const capacity = 200_000
	d := newDupStore(int64(24*time.Hour), capacity)
	keys := newKeySource()
	res := bandeira.Result{Code: bandeira.Approved, AuthCode: "123456"}
	fp := fingerprint{class: '1', amount: 1000, pan: d.panHash(keys.template.PAN)}
	var clock atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a := keys.next()
			c := d.claim(packKey(a.Key(), '1'), fp, clock.Add(1))
			if c.kind != claimFresh {
				b.Errorf("claim kind %d for a unique key", c.kind)
				return
			}
			d.complete(c.entry, res, nil)
		}
	})
	b.StopTimer()
	b.ReportMetric(bytesPerKey(capacity), "B/key")
}

// bytesPerKey fills a fresh store with n keys and returns the heap growth per key.
func bytesPerKey(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := newDupStore(int64(24*time.Hour), n)
	keys := newKeySource()
	res := bandeira.Result{Code: bandeira.Approved, AuthCode: "123456"}
	for range n {
		a := keys.next()
		c := d.claim(packKey(a.Key(), '1'), fingerprint{class: '1'}, 0)
		d.complete(c.entry, res, nil)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(d)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// flatAcquirer prices at 2% and keeps nothing, so the benchmark measures the gateway.
type flatAcquirer struct{}

func (flatAcquirer) Record(_ context.Context, a bandeira.Authorization, _ bandeira.Result) error {
	if mdr := bandeira.BasisPoints(200).Of(a.Amount); mdr < 0 {
		return errors.New("negative fee")
	}
	return nil
}
