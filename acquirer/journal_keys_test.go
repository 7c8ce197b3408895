package acquirer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// mustJournalKeys opens a journal at path whose key index holds keysInMemory keys per
// generation and whose cache holds one entry, synchronous off to keep the tests fast.
func mustJournalKeys(tb testing.TB, path string, keysInMemory int) (*Journal, *Acquirer) {
	tb.Helper()
	acq, _ := mustAcquirer(tb, DefaultConfig())
	j, err := OpenJournal(context.Background(), path, acq, JournalOptions{Synchronous: "off", CacheEntries: 1,
		KeysInMemory: keysInMemory, Log: zerolog.New(zerolog.NewTestWriter(tb)), Now: func() time.Time { return journalClock }})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = j.Close() })
	return j, acq
}

// keysLen is how many keys the index holds in memory.
func keysLen(j *Journal) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.keys.Len()
}

func TestJournalKeysOutOfMemory(t *testing.T) {
	ref, refAcq := mustJournalWith(t, filepath.Join(t.TempDir(), "journal.db"), 0, nil)
	want := amendEvicted(t, ref, refAcq, false)

	t.Run("with two keys in memory, reprices and ignores duplicates as with every key in memory", func(t *testing.T) {
		j, acq := mustJournalKeys(t, filepath.Join(t.TempDir(), "journal.db"), 1)
		require.Equal(t, want, amendEvicted(t, j, acq, true))
		require.LessOrEqual(t, keysLen(j), 2, "two generations of one key")
		require.False(t, j.keys.Complete())
	})
	t.Run("a reopened journal loads the newest keys only and finds the others on disk", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "journal.db")
		j, acq := mustJournalKeys(t, path, 1)
		sale := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, sale, approvedCredit)
		fillers(t, j, acq, 0, 10)
		require.NoError(t, j.Close())
		j, acq = mustJournalKeys(t, path, 1)
		require.LessOrEqual(t, keysLen(j), 2)
		recordSale(t, j, acq, sale, approvedCredit) // a duplicate: nothing
		require.NoError(t, j.Record(context.Background(), reversalOf(sale, "000002", amount(4000)), acked(4000), bandeira.Fee{}))
		es := entries(t, j)
		require.Len(t, es, 1+10+1)
		require.Equal(t, int64(1), es[11].OriginalID, "the reversal found its sale on disk")
	})
	t.Run("the lookup by key uses the partial index, not a scan", func(t *testing.T) {
		j, _ := mustJournalKeys(t, filepath.Join(t.TempDir(), "journal.db"), 1)
		rs, err := j.db.R.Query("EXPLAIN QUERY PLAN "+selectKey, "1206120000", "T1")
		require.NoError(t, err)
		defer func() { _ = rs.Close() }()
		var plan []string
		for rs.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rs.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rs.Err())
		require.Contains(t, strings.Join(plan, "; "), "USING INDEX entries_key")
	})
}
