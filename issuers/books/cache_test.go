package books_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// fillCache applies n holds of 1 centavo under new keys on another card, so that a cache
// of fewer than n/2 requests no longer holds the ones before them.
func fillCache(t *testing.T, bk *books.Books, n int) {
	t.Helper()
	for range n {
		out := mustApply(t, bk, ledger.Entry{Ref: debitRef(9, 1_000_000), Kind: ledger.Hold,
			Key: key(fmt.Sprintf("fill-%d", fills.Add(1))), Amount: 1, AuthCode: "F"})
		require.Equal(t, ledger.StatusApplied, out.Status)
	}
}

var fills atomic.Int64 // numbers fillCache's keys

func TestRequestsOutOfTheCache(t *testing.T) {
	t.Run("a retransmit, a partial reversal and a capture find a request read back from disk", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{CacheRequests: 2, Issuer: "nubank", Metrics: books.NewMetrics(reg)})
		ref := debitRef(1, 10_000)
		hold := ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A1"}
		mustApply(t, bk, hold)
		fillCache(t, bk, 10)
		require.Zero(t, sample(t, reg, "bandeira_issuer_books_reads_total"))
		out := mustApply(t, bk, hold)
		require.Equal(t, float64(1), sample(t, reg, "bandeira_issuer_books_reads_total"), "the retransmit read its request back")
		require.Equal(t, ledger.StatusDuplicate, out.Status)
		require.Equal(t, "A1", out.Record.AuthCode)
		fillCache(t, bk, 10)
		partial := bandeira.Amount(1_500)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1"), Replacement: &partial})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(2_500), out.Released)
		fillCache(t, bk, 10)
		out = mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Capture, Key: key("1"), Amount: 1_000})
		require.Equal(t, ledger.StatusApplied, out.Status)
		require.Equal(t, bandeira.Amount(500), out.Released)
		require.Equal(t, ledger.Balances{Balance: 9_000}, out.Balances)
		require.Equal(t, float64(3), sample(t, reg, "bandeira_issuer_books_reads_total"))
		require.Equal(t, float64(bk.Requests()), sample(t, reg, "bandeira_issuer_books_requests"))
	})
	t.Run("a failed read back answers an error and changes nothing", func(t *testing.T) {
		bk := mustOpen(t, filepath.Join(t.TempDir(), "b.db"), books.Options{CacheRequests: 1})
		ref := debitRef(1, 10_000)
		mustApply(t, bk, ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: key("1"), Amount: 4_000, AuthCode: "A1"})
		fillCache(t, bk, 4)
		require.NoError(t, books.CloseReader(bk))
		_, err := bk.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: key("1")})
		require.Error(t, err)
		b, err := bk.Balances(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, ledger.Balances{Balance: 10_000, Holds: 4_000}, b)
	})
	t.Run("keys whose hashes collide stay apart", func(t *testing.T) {
		opts := books.WithKeyHash(books.Options{CacheRequests: 1}, func(bandeira.Key) uint64 { return 7 })
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, opts)
		for i, amount := range []bandeira.Amount{100, 200, 300} {
			out := mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Hold,
				Key: key(fmt.Sprint(i)), Amount: amount, AuthCode: fmt.Sprint("A", i)})
			require.Equal(t, ledger.StatusApplied, out.Status)
		}
		require.NoError(t, bk.Close())
		bk = mustOpen(t, path, opts)
		for i, amount := range []bandeira.Amount{100, 200, 300} {
			out := mustApply(t, bk, ledger.Entry{Ref: debitRef(1, 10_000), Kind: ledger.Reverse, Key: key(fmt.Sprint(i))})
			require.Equal(t, ledger.StatusApplied, out.Status, "key %d", i)
			require.Equal(t, amount, out.Released, "key %d", i)
		}
		require.Equal(t, 3, bk.Requests())
	})
}

func TestConcurrentTrafficWithASmallCache(t *testing.T) {
	t.Run("retransmits and reversals of requests out of the cache stay exact under concurrency", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "b.db")
		bk := mustOpen(t, path, books.Options{CacheRequests: 2})
		const workers, ops, cards = 8, 120, 3
		var wg sync.WaitGroup
		held := make([][cards]bandeira.Amount, workers) // each worker's open holds per card
		for w := range workers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 7))
				type placed struct {
					key      bandeira.Key
					card     int
					amount   bandeira.Amount
					code     string
					reversed bool
				}
				var mine []placed
				for i := range ops {
					p := placed{key: key(fmt.Sprintf("w%d-%d", w, i)), card: rng.IntN(cards),
						amount: bandeira.Amount(1 + rng.IntN(100)), code: fmt.Sprintf("C%d", i)}
					if rng.IntN(4) == 0 { // a hold and its reversal race: either order nets to zero
						raceHoldAndReversal(t, bk, ledger.Entry{Ref: debitRef(uint32(p.card), 1<<40), Kind: ledger.Hold,
							Key: p.key, Amount: p.amount, AuthCode: p.code})
						continue
					}
					out, err := bk.Apply(ctx, ledger.Entry{Ref: debitRef(uint32(p.card), 1<<40), Kind: ledger.Hold,
						Key: p.key, Amount: p.amount, AuthCode: p.code})
					if !assert.NoError(t, err) || !assert.Equal(t, ledger.StatusApplied, out.Status) {
						return
					}
					mine = append(mine, p)
					held[w][p.card] += p.amount
					old := &mine[rng.IntN(len(mine))]
					if rng.IntN(2) == 0 { // retransmit an earlier request: the stored answer
						out, err = bk.Apply(ctx, ledger.Entry{Ref: debitRef(uint32(old.card), 1<<40), Kind: ledger.Hold,
							Key: old.key, Amount: old.amount, AuthCode: "NEW"})
						assert.NoError(t, err)
						assert.Equal(t, ledger.StatusDuplicate, out.Status)
						assert.Equal(t, old.code, out.Record.AuthCode)
						continue
					}
					out, err = bk.Apply(ctx, ledger.Entry{Ref: debitRef(uint32(old.card), 1<<40), Kind: ledger.Reverse, Key: old.key})
					assert.NoError(t, err)
					if old.reversed {
						assert.Equal(t, ledger.StatusAlreadyReversed, out.Status)
						continue
					}
					assert.Equal(t, ledger.StatusApplied, out.Status)
					assert.Equal(t, old.amount, out.Released)
					old.reversed = true
					held[w][old.card] -= old.amount
				}
			})
		}
		wg.Wait()
		for c := range cards {
			var want bandeira.Amount
			for w := range workers {
				want += held[w][c]
			}
			b, err := bk.Balances(ctx, debitRef(uint32(c), 1<<40))
			require.NoError(t, err)
			require.Equal(t, want, b.Holds, "card %d", c)
		}
		require.Equal(t, workers*ops, bk.Requests())
		require.NoError(t, bk.Close())
		requireAudit(t, path)
	})
}

// raceHoldAndReversal applies hold and a reversal of its key at the same time. Whichever
// comes first, nothing stays held: the reversal releases the hold, or leaves a tombstone
// that declines it.
func raceHoldAndReversal(t *testing.T, bk *books.Books, hold ledger.Entry) {
	var wg sync.WaitGroup
	var held, released bandeira.Amount
	wg.Go(func() {
		out, err := bk.Apply(ctx, hold)
		if assert.NoError(t, err) && out.Status == ledger.StatusApplied {
			held = hold.Amount
		}
	})
	wg.Go(func() {
		out, err := bk.Apply(ctx, ledger.Entry{Ref: hold.Ref, Kind: ledger.Reverse, Key: hold.Key})
		if assert.NoError(t, err) {
			released = out.Released
		}
	})
	wg.Wait()
	if held != released { // the reversal came first: the hold must have been declined
		assert.Equal(t, bandeira.Amount(0), held, "hold %v", hold.Key)
	}
}

// BenchmarkHeapPerRequest reports the heap the books keep per request after 100,000
// holds on 1,000 cards (the cards' accounts included): go test -run XXX -bench
// HeapPerRequest ./issuers/books.
func BenchmarkHeapPerRequest(b *testing.B) {
	const n, cards = 100_000, 1_000
	for range b.N {
		cfg := books.DefaultConfig()
		cfg.Synchronous = books.SyncOff
		bk, err := books.Open(ctx, filepath.Join(b.TempDir(), "b.db"), cfg, books.Options{})
		require.NoError(b, err)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			_, err := bk.Apply(ctx, ledger.Entry{Ref: debitRef(uint32(i%cards), 1<<40), Kind: ledger.Hold,
				Key: newKey("10000000001", "WAPP0001", fmt.Sprint(i), "1126120000"), Amount: 100, AuthCode: "ABC123"})
			require.NoError(b, err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/request")
		runtime.KeepAlive(bk)
		require.NoError(b, bk.Close())
	}
}
