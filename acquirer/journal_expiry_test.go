package acquirer

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// movingClock is a journal clock the test moves.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// expiringJournal opens a journal at path whose holds expire after a day of clock, swept
// every interval (0: the default minute, so never within a test).
func expiringJournal(t *testing.T, path string, clock *movingClock, interval time.Duration) (*Journal, *Acquirer) {
	t.Helper()
	acq, _ := mustAcquirer(t, DefaultConfig())
	j, err := OpenJournal(context.Background(), path, acq, JournalOptions{Synchronous: "off",
		Log: zerolog.New(zerolog.NewTestWriter(t)), Now: clock.Now, HoldExpiry: 24 * time.Hour, SweepInterval: interval})
	require.NoError(t, err)
	t.Cleanup(func() { _ = j.Close() })
	return j, acq
}

func kinds(es []Entry) []EntryKind {
	out := make([]EntryKind, len(es))
	for i, e := range es {
		out[i] = e.Kind
	}
	return out
}

func TestJournalExpiresUncapturedHolds(t *testing.T) {
	ctx := context.Background()
	t.Run("an uncaptured hold expires after hold_expiry, giving back its fee", func(t *testing.T) {
		clock := &movingClock{now: journalClock}
		j, acq := expiringJournal(t, filepath.Join(t.TempDir(), "journal.db"), clock, 0)
		hold := request("0100", "000000", "000001", 10000)
		recordSale(t, j, acq, hold, approvedCredit)
		clock.Advance(24*time.Hour - time.Second)
		n, err := j.ExpireHolds(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not yet")
		clock.Advance(time.Second)
		n, err = j.ExpireHolds(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		es := entries(t, j)
		require.Equal(t, []EntryKind{EntrySale, EntryExpiry}, kinds(es))
		require.Equal(t, bandeira.Amount(-10000), es[1].Fee.Gross)
		require.Equal(t, int64(1), es[1].OriginalID)
		require.Empty(t, OpenHolds(es))
		require.Empty(t, Effective(es))
		require.InDelta(t, 1, counterValue(t, j.counts[EntryExpiry]), 0)

		require.NoError(t, j.Record(ctx, completionOf(hold, "000002", 10000), acked(0), bandeira.Fee{}))
		require.Len(t, entries(t, j), 2, "a completion after the expiry captures nothing")
	})
	t.Run("captured, fully reversed and 0200 sales never expire; a partly reversed hold expires what is left", func(t *testing.T) {
		clock := &movingClock{now: journalClock}
		j, acq := expiringJournal(t, filepath.Join(t.TempDir(), "journal.db"), clock, 0)
		captured, reversed, partial := request("0100", "000000", "000001", 1000), request("0100", "000000", "000002", 2000),
			request("0100", "000000", "000003", 3000)
		for _, a := range []bandeira.Authorization{captured, reversed, partial, request("0200", "000000", "000004", 4000)} {
			recordSale(t, j, acq, a, approvedCredit)
		}
		require.NoError(t, j.Record(ctx, completionOf(captured, "000005", 1000), acked(1000), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(reversed, "000006", nil), acked(0), bandeira.Fee{}))
		require.NoError(t, j.Record(ctx, reversalOf(partial, "000007", amount(1200)), acked(1200), bandeira.Fee{}))
		clock.Advance(48 * time.Hour)
		n, err := j.ExpireHolds(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		es := entries(t, j)
		last := es[len(es)-1]
		require.Equal(t, EntryExpiry, last.Kind)
		require.Equal(t, int64(3), last.OriginalID)
		require.Equal(t, bandeira.Amount(-1200), last.Fee.Gross)
		n, err = j.ExpireHolds(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "each hold expires once")
	})
	t.Run("holds journaled before a restart expire at open, and only once", func(t *testing.T) {
		clock := &movingClock{now: journalClock}
		path := filepath.Join(t.TempDir(), "journal.db")
		j, acq := expiringJournal(t, path, clock, 0)
		recordSale(t, j, acq, request("0100", "000000", "000001", 10000), approvedCredit)
		recordSale(t, j, acq, request("0100", "000000", "000002", 500), approvedCredit)
		require.NoError(t, j.Record(ctx, completionOf(request("0100", "000000", "000002", 500), "000003", 500), acked(500), bandeira.Fee{}))
		require.NoError(t, j.Close())
		clock.Advance(25 * time.Hour)
		j, _ = expiringJournal(t, path, clock, 0)
		require.Equal(t, []EntryKind{EntrySale, EntrySale, EntryCompletion, EntryExpiry}, kinds(entries(t, j)))
		require.NoError(t, j.Close())
		j, _ = expiringJournal(t, path, clock, 0)
		require.Len(t, entries(t, j), 4)
	})
	t.Run("the journal sweeps for due holds by itself", func(t *testing.T) {
		clock := &movingClock{now: journalClock}
		j, acq := expiringJournal(t, filepath.Join(t.TempDir(), "journal.db"), clock, 5*time.Millisecond)
		recordSale(t, j, acq, request("0100", "000000", "000001", 10000), approvedCredit)
		clock.Advance(25 * time.Hour)
		require.Eventually(t, func() bool {
			es, err := j.Entries(ctx)
			return err == nil && len(es) == 2
		}, 10*time.Second, 5*time.Millisecond)
		require.Equal(t, EntryExpiry, entries(t, j)[1].Kind)
	})
}
