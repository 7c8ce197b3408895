package books_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// BenchmarkApplyHold measures durable authorizations (one hold each, a new key, spread
// over 100,000 accounts) with 1, 8 and 64 concurrent requesters, with synchronous=FULL
// and group commit beside synchronous=OFF.
func BenchmarkApplyHold(b *testing.B) {
	for _, sync := range []string{books.SyncFull, books.SyncOff} {
		for _, par := range []int{1, 8, 64} {
			b.Run(fmt.Sprintf("sync=%s/requesters=%d", sync, par), func(b *testing.B) {
				benchHolds(b, sync, par)
			})
		}
	}
}

// BenchmarkApplyHoldKeysOnDisk is BenchmarkApplyHold's 64 requesters with 1,024 keys in
// memory per generation (keys=bounded), as books that have outgrown Options.KeysInMemory:
// past the first 2,048 holds the index drops keys, and a new key is looked for on disk
// (the requests_key index) whenever the index's filter cannot prove it new, which grows
// with b.N (its 524,288 bits pass about 0.15% of new keys for dropped at 20,000 holds,
// 60% at 500,000). keys=memory is the default bound, which these runs never reach.
func BenchmarkApplyHoldKeysOnDisk(b *testing.B) {
	for _, sync := range []string{books.SyncFull, books.SyncOff} {
		for _, keys := range []struct {
			name string
			n    int
		}{{"memory", 0}, {"bounded", 1024}} {
			b.Run(fmt.Sprintf("sync=%s/keys=%s", sync, keys.name), func(b *testing.B) {
				benchHoldsWith(b, sync, 64, books.Options{KeysInMemory: keys.n})
			})
		}
	}
}

func benchHolds(b *testing.B, sync string, par int) { benchHoldsWith(b, sync, par, books.Options{}) }

func benchHoldsWith(b *testing.B, sync string, par int, opts books.Options) {
	cfg := books.DefaultConfig()
	cfg.Synchronous = sync
	bk, err := books.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), cfg, opts)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = bk.Close() }()
	var next atomic.Uint64
	b.ReportAllocs()
	b.SetParallelism(max(1, par/ncpu()))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := next.Add(1)
			ref := ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: uint32(n % 100_000)},
				Opening: ledger.Opening{Balance: 1 << 40}}
			e := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: newKey("12345", "T1", fmt.Sprint(n), "1126120000"),
				Amount: 100, AuthCode: "ABC123"}
			out, err := bk.Apply(context.Background(), e)
			if err != nil || out.Status != ledger.StatusApplied {
				b.Errorf("apply: %v %v", out.Status, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
