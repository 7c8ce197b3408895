package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/internal/store"
)

// items is a minimal owner of a Writer: a log of (id, v) rows under one mutex.
type items struct {
	mu      sync.Mutex
	db      *store.DB
	w       *store.Writer[[]int64, []int64]
	ins     *store.Insert
	next    int64
	seqs    []uint64 // batches committed, in order
	commits prometheus.Counter
	calls   prometheus.Histogram
	failed  []error
}

var errItemsFailed = errors.New("items: failed")

// value is an item's value as its owner types it: the Insert writes named types as
// database/sql would, as their underlying type.
type value int64

func newItems(t *testing.T, path string) *items {
	t.Helper()
	it := &items{db: mustOpen(t, path, testMigrations), next: 1,
		commits: prometheus.NewCounter(prometheus.CounterOpts{Name: "commits"}),
		calls:   prometheus.NewHistogram(prometheus.HistogramOpts{Name: "calls"})}
	it.ins = store.NewInsert("INSERT INTO items (id, v) VALUES ", "", 2)
	it.w = store.NewWriter(it.db, store.WriterConfig[[]int64, []int64]{
		Mu:   &it.mu,
		Take: func(c *[]int64) []int64 { return *c },
		Stage: func(vs []int64) {
			for i := 0; i < len(vs); i += 2 {
				it.ins.Add(vs[i], value(vs[i+1]))
			}
		},
		Inserts:   []*store.Insert{it.ins},
		Committed: func(seq uint64, _ []int64) { it.seqs = append(it.seqs, seq) },
		Failed:    func(err error) { it.failed = append(it.failed, err) },
		Metrics:   store.Metrics{Commits: it.commits, CommitCalls: it.calls},
		ErrFailed: errItemsFailed,
	})
	t.Cleanup(func() { _ = it.w.Close() })
	return it
}

// add appends rows with new ids and values vs, and waits for their commit.
func (it *items) add(vs ...int64) error {
	bt, err := it.w.Do(func(b *store.Batch[[]int64]) error {
		for _, v := range vs {
			b.Changes = append(b.Changes, it.next, v)
			it.next++
		}
		return nil
	})
	if err != nil {
		return err
	}
	return bt.Wait(context.Background())
}

func (it *items) count(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, it.db.R.QueryRow("SELECT count(*) FROM items").Scan(&n))
	return n
}

func counter(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	require.NoError(t, c.Write(&m))
	return m.GetCounter().GetValue()
}

func TestWriterGroupCommit(t *testing.T) {
	t.Run("concurrent calls share commits, and each returns with its rows on disk", func(t *testing.T) {
		it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Go(func() {
				for i := range 20 {
					if err := it.add(int64(g*100 + i)); err != nil {
						t.Error(err)
						return
					}
					var v int64
					if err := it.db.R.QueryRow("SELECT v FROM items WHERE v = ?", g*100+i).Scan(&v); err != nil {
						t.Errorf("row %d not committed when its call returned: %v", g*100+i, err)
					}
				}
			})
		}
		wg.Wait()
		require.Equal(t, 320, it.count(t))
		require.Less(t, counter(t, it.commits), float64(320), "some commits must serve several calls")
		it.mu.Lock()
		defer it.mu.Unlock()
		for i, seq := range it.seqs {
			require.Equal(t, uint64(i+1), seq, "batches commit in order, none skipped")
		}
	})
	for _, n := range []int{1, store.MaxInsertRows - 1, store.MaxInsertRows, store.MaxInsertRows + 1, 2*store.MaxInsertRows + 3} {
		t.Run("a batch of "+strconv.Itoa(n)+" rows is written whole in one transaction", func(t *testing.T) {
			it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
			vs := make([]int64, n)
			for i := range vs {
				vs[i] = int64(i)
			}
			require.NoError(t, it.add(vs...))
			require.Equal(t, n, it.count(t))
			require.Equal(t, float64(1), counter(t, it.commits))
		})
	}
	t.Run("a call that changed nothing is released once the batches before it commit, with no transaction", func(t *testing.T) {
		it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
		require.NoError(t, it.add())
		require.Zero(t, counter(t, it.commits))
		it.mu.Lock()
		require.Equal(t, uint64(1), it.w.Committed())
		it.mu.Unlock()
	})
}

func TestWriterWaitsForTheDisk(t *testing.T) {
	t.Run("a batch stays uncommitted while another connection holds the write lock", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "s.db")
		it := newItems(t, path)
		other, err := store.Open(ctx, path, store.Config{Migrations: testMigrations})
		require.NoError(t, err)
		defer func() { _ = other.Close() }()
		lock, err := other.W.Conn(ctx)
		require.NoError(t, err)
		_, err = lock.ExecContext(ctx, "BEGIN IMMEDIATE")
		require.NoError(t, err)
		bt, err := it.w.Do(func(b *store.Batch[[]int64]) error {
			b.Changes = append(b.Changes, 1, 10)
			return nil
		})
		require.NoError(t, err)
		waitCtx, cancel := context.WithCancel(ctx)
		cancel()
		require.ErrorIs(t, bt.Wait(waitCtx), context.Canceled, "the commit cannot have happened")
		it.mu.Lock()
		require.Less(t, it.w.Committed(), bt.Seq())
		it.mu.Unlock()
		_, err = lock.ExecContext(ctx, "ROLLBACK")
		require.NoError(t, err)
		require.NoError(t, lock.Close())
		require.NoError(t, bt.Wait(ctx))
		require.Equal(t, 1, it.count(t))
	})
}

func TestWriterFailure(t *testing.T) {
	t.Run("a failed commit fails its calls and every later one with the owner's error", func(t *testing.T) {
		it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
		require.NoError(t, it.add(1))
		it.mu.Lock()
		it.next = 1 // the next row reuses id 1: the commit fails
		it.mu.Unlock()
		err := it.add(2)
		require.ErrorIs(t, err, errItemsFailed)
		require.ErrorContains(t, err, "UNIQUE constraint failed")
		require.ErrorIs(t, it.add(3), errItemsFailed)
		require.Len(t, it.failed, 1, "the failure is reported once")
		require.Equal(t, 1, it.count(t))
		_, err = it.w.Do(func(*store.Batch[[]int64]) error { panic("must not run") })
		require.ErrorIs(t, err, errItemsFailed)
	})
	for _, n := range []int{3, 2*store.MaxInsertRows + 3} {
		t.Run("a batch of "+strconv.Itoa(n)+" rows that fails on its last row writes none of them", func(t *testing.T) {
			it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
			require.NoError(t, it.add(1))
			vs := make([]int64, n)
			it.mu.Lock()
			it.next = 2 - int64(n) // the batch's last row reuses id 1
			it.mu.Unlock()
			require.ErrorIs(t, it.add(vs...), errItemsFailed)
			require.Equal(t, 1, it.count(t), "the rows before the failed one were rolled back")
		})
	}
	t.Run("a callback error still joins the batch, which commits what it changed", func(t *testing.T) {
		it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
		bt, err := it.w.Do(func(b *store.Batch[[]int64]) error {
			b.Changes = append(b.Changes, 7, 70)
			return fmt.Errorf("half done")
		})
		require.EqualError(t, err, "half done")
		require.NoError(t, bt.Wait(ctx))
		require.Equal(t, 1, it.count(t))
	})
}

func TestWriterClose(t *testing.T) {
	t.Run("Close commits what is pending, is idempotent, and later calls fail", func(t *testing.T) {
		it := newItems(t, filepath.Join(t.TempDir(), "s.db"))
		bt, err := it.w.Do(func(b *store.Batch[[]int64]) error {
			b.Changes = append(b.Changes, 1, 10)
			return nil
		})
		require.NoError(t, err)
		require.NoError(t, it.w.Close())
		require.NoError(t, it.w.Close())
		require.NoError(t, bt.Wait(ctx))
		require.Equal(t, 1, it.count(t))
		require.ErrorIs(t, it.add(2), store.ErrClosed)
	})
}
