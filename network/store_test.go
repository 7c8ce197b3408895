package network

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
)

// testClock is a settable clock for stores and routers.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// openTestStore opens a network store under dir with a hasher keyed from dir/keys.
func openTestStore(t testing.TB, dir string, clock *testClock) *Store {
	t.Helper()
	h, err := seal.LoadOrCreateHasher(filepath.Join(dir, "keys", "pan-hash.key"))
	require.NoError(t, err)
	s, err := OpenStore(context.Background(), filepath.Join(dir, "networks", "visa.db"), StoreOptions{
		Synchronous: "normal", Hasher: h, Log: zerolog.New(zerolog.NewTestWriter(t)), Now: clock.now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// stip is a stand-in request for pan and amount under STAN stan, by the default rules.
func stip(pan bandeira.PAN, stan string, amount bandeira.Amount) standInRequest {
	a := bandeira.Authorization{MTI: "0100", PAN: pan, ProcessingCode: "000000", Amount: amount, AmountPresent: true,
		TransmissionTime: "1126130000", STAN: stan, AcquirerID: "0010000000001", TerminalID: "TERM0001", Expiry: "3012"}
	return standInRequest{a: &a, issuer: "nubank", product: bandeira.Debit, rules: DefaultStandIn().StandInRules,
		reason: bandeira.StandInUnreachable}
}

func mustDecide(t *testing.T, s *Store, req standInRequest) *StandIn {
	t.Helper()
	d, repeat, err := s.decide(context.Background(), req)
	require.NoError(t, err)
	require.False(t, repeat)
	require.NotNil(t, d)
	return d
}

func TestStore(t *testing.T) {
	outer, dir := t, t.TempDir()
	clock := &testClock{t: stipNow}
	s := openTestStore(t, dir, clock)
	const card, other = bandeira.PAN("5260010200000001"), bandeira.PAN("5260010200000019")

	var codes []string
	t.Run("approves up to the daily limit with unique S codes, then answers 61", func(t *testing.T) {
		for i, want := range []bandeira.ResponseCode{"00", "00", "61"} {
			d := mustDecide(t, s, stip(card, "00000"+string(rune('1'+i)), 20000))
			require.Equal(t, want, d.Code)
			if d.Approved() {
				require.Regexp(t, `^S[0-9A-Z]{5}$`, d.AuthCode)
				codes = append(codes, d.AuthCode)
			} else {
				require.Empty(t, d.AuthCode)
				require.Equal(t, ruleDaily, d.Rule)
			}
		}
		require.NotEqual(t, codes[0], codes[1])
		require.Equal(t, "00", string(mustDecide(t, s, stip(other, "000009", 20000)).Code), "another card has its own total")
	})
	t.Run("gives a key's decision again, and refuses another body under it", func(t *testing.T) {
		d, repeat, err := s.decide(context.Background(), stip(card, "000001", 20000))
		require.NoError(t, err)
		require.True(t, repeat)
		require.Equal(t, codes[0], d.AuthCode)
		d, repeat, err = s.decide(context.Background(), stip(card, "000001", 20001))
		require.NoError(t, err)
		require.True(t, repeat)
		require.Nil(t, d)
		req := stip(card, "1", 20000) // the same key with the STAN unpadded
		prev, same, err := s.previous(context.Background(), req.a)
		require.NoError(t, err)
		require.True(t, same)
		require.Equal(t, codes[0], prev.AuthCode)
		prev, _, err = s.previous(context.Background(), stip(card, "000777", 100).a)
		require.NoError(t, err)
		require.Nil(t, prev)
	})
	t.Run("keeps totals, codes and keys across a restart", func(t *testing.T) {
		require.NoError(t, s.Close())
		s = openTestStore(outer, dir, clock)
		d := mustDecide(t, s, stip(card, "000004", 10001))
		require.Equal(t, bandeira.ExceedsAmountLimit, d.Code, "R$ 400.00 was approved before the restart")
		d = mustDecide(t, s, stip(card, "000005", 10000))
		require.True(t, d.Approved(), "up to the limit exactly")
		d = mustDecide(t, s, stip(other, "000010", 100))
		require.True(t, d.Approved())
		require.NotContains(t, codes, d.AuthCode, "an auth code is never issued twice")
		_, repeat, err := s.decide(context.Background(), stip(card, "000002", 20000))
		require.NoError(t, err)
		require.True(t, repeat, "the keys decided before the restart are known")
	})
	t.Run("starts a card's total over on the next Brasília day", func(t *testing.T) {
		clock.set(stipNow.Add(24 * time.Hour))
		require.True(t, mustDecide(t, s, stip(card, "000011", 20000)).Approved())
	})
	t.Run("never stores the PAN, and reads back every decision for audits", func(t *testing.T) {
		require.NoError(t, s.Close())
		for _, f := range []string{"visa.db", "visa.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, "networks", f))
			if err == nil {
				require.NotContains(t, string(b), card.Digits())
				require.NotContains(t, string(b), other.Digits())
			}
		}
		all, err := ReadStandIns(context.Background(), filepath.Join(dir, "networks", "visa.db"))
		require.NoError(t, err)
		require.Len(t, all, 8)
		require.Equal(t, []int64{1, 2, 3, 4, 5, 6, 7, 8}, []int64{all[0].ID, all[1].ID, all[2].ID, all[3].ID,
			all[4].ID, all[5].ID, all[6].ID, all[7].ID})
		first := all[0]
		require.Equal(t, bandeira.Key{AcquirerID: "10000000001", TerminalID: "TERM0001", STAN: "1", TransmissionTime: "1126130000"}, first.Key)
		require.Equal(t, "nubank", first.Issuer)
		require.Equal(t, bandeira.Amount(20000), first.Amount)
		require.Equal(t, codes[0], first.AuthCode)
		require.Equal(t, bandeira.StandInUnreachable, first.Reason)
		require.Equal(t, "2026-11-26", first.Day)
		empty, err := ReadStandIns(context.Background(), filepath.Join(dir, "networks", "mastercard.db"))
		require.NoError(t, err)
		require.Empty(t, empty)
	})
}

func TestStoreDailyLimitUnderConcurrency(t *testing.T) {
	s := openTestStore(t, t.TempDir(), &testClock{t: stipNow})
	const card = bandeira.PAN("5260010200000001")
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		approved bandeira.Amount
	)
	for i := range 40 {
		wg.Go(func() {
			d, _, err := s.decide(context.Background(), stip(card, leftPad(i+1, 6), 5000))
			if err != nil {
				t.Error(err)
				return
			}
			if d.Approved() {
				mu.Lock()
				approved += d.Amount
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, bandeira.Amount(50000), approved, "ten R$ 50.00 approvals, exactly the daily limit")
}

func TestStandInAuthCode(t *testing.T) {
	t.Run("is S and five base-36 characters, different for every sequence number", func(t *testing.T) {
		seen := make(map[string]bool)
		for seq := uint64(1); seq <= 50000; seq++ {
			c := standInAuthCode(seq)
			require.Len(t, c, 6)
			require.True(t, strings.HasPrefix(c, "S"))
			require.False(t, seen[c], "code %s repeated at %d", c, seq)
			seen[c] = true
		}
	})
}
