package books_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// TestScale opens BOOKS_SCALE accounts (one authorization hold each, 64 requesters,
// synchronous=full), closes the books, reopens them and reports the time of both, the
// disk used and the heap the loaded state takes, per account. It is skipped unless
// BOOKS_SCALE is set: go test -run TestScale -v -timeout 30m ./issuers/books with
// BOOKS_SCALE=1000000 measures the 1,000,000-card figures of docs/ledger.md.
func TestScale(t *testing.T) {
	n := envInt("BOOKS_SCALE", 0)
	if n == 0 {
		t.Skip("set BOOKS_SCALE to the number of accounts")
	}
	path := filepath.Join(t.TempDir(), "scale.db")
	bk, err := books.Open(ctx, path, books.DefaultConfig(), books.Options{})
	require.NoError(t, err)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				ref := ledger.Ref{ID: ledger.AccountID{BIN: "40000102", Serial: uint32(i)}, Opening: ledger.Opening{Balance: 100_000}}
				_, err := bk.Apply(ctx, ledger.Entry{Ref: ref, Kind: ledger.Hold,
					Key: newKey("10000000001", "WAPP0001", fmt.Sprint(i%1_000_000), fmt.Sprintf("11%08d", i/1_000_000)), Amount: 100, AuthCode: "ABC123"})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	seeded := time.Since(start)
	require.NoError(t, bk.Close())
	size := fileSize(path) + fileSize(path+"-wal")
	bk = nil // let the first instance's state go before measuring the heap

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	bk, err = books.Open(ctx, path, books.DefaultConfig(), books.Options{})
	require.NoError(t, err)
	reopened := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, n, bk.Requests())
	require.NoError(t, bk.Close())
	t.Logf("%d accounts: opened (one hold each) in %s (%.0f/s), reopened in %s; disk %d B/account; heap %d B/account",
		n, seeded.Round(time.Millisecond), float64(n)/seeded.Seconds(), reopened.Round(time.Millisecond),
		size/int64(n), int64(after.HeapAlloc-before.HeapAlloc)/int64(n))
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}
