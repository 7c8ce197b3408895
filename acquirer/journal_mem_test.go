package acquirer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// TestJournalHeapPerSale measures the heap the journal keeps per journaled sale, after a
// GC, over BANDEIRA_JOURNAL_MEM sales (e.g. 200000) recorded by 64 goroutines, with a
// cache of BANDEIRA_JOURNAL_CACHE entries (default 0: the default capacity). It is skipped
// unless BANDEIRA_JOURNAL_MEM is set: it takes seconds.
func TestJournalHeapPerSale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BANDEIRA_JOURNAL_MEM"))
	if n <= 0 {
		t.Skip("set BANDEIRA_JOURNAL_MEM to the number of sales to measure")
	}
	capacity, _ := strconv.Atoi(os.Getenv("BANDEIRA_JOURNAL_CACHE"))
	acq, _ := mustAcquirer(t, DefaultConfig())
	f, err := acq.Price(bandeira.Sale{MerchantID: DefaultMerchant().ID, Brand: bandeira.Visa, Product: bandeira.Credit, Amount: 1000})
	require.NoError(t, err)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	j, err := OpenJournal(context.Background(), filepath.Join(t.TempDir(), "journal.db"), acq,
		JournalOptions{Synchronous: "off", CacheEntries: capacity, Log: zerolog.Nop(), Now: func() time.Time { return journalClock }})
	require.NoError(t, err)
	defer func() { _ = j.Close() }()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				a := request("0200", "000000", fmt.Sprintf("%06d", i%1000000), 1000)
				a.TerminalID = fmt.Sprintf("T%07d", i/1000000)
				if err := j.Record(context.Background(), a, approvedCredit, f); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
	t.Logf("%d sales, cache %d: heap %d -> %d bytes, %.1f bytes per sale", n, capacity, before.HeapAlloc, after.HeapAlloc, per)
	require.Len(t, entries(t, j), n)
	runtime.KeepAlive(j)
}
