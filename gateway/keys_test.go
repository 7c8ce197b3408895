package gateway

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
)

// durable is a data directory with durable keys, opened and reopened as a restart would.
type durable struct {
	t     *testing.T
	dir   string
	clock *fakeClock
	keys  *Keys
}

func newDurable(t *testing.T) *durable {
	t.Helper()
	return &durable{t: t, dir: t.TempDir(), clock: newFakeClock()}
}

// start opens the keys and returns a fresh gateway on them; the previous one's keys are
// closed first, as at a restart.
func (d *durable) start(opts ...Option) *harness {
	d.t.Helper()
	d.stop()
	pans, err := seal.LoadOrCreateHasher(PANKeyPath(d.dir))
	require.NoError(d.t, err)
	k, err := OpenKeys(context.Background(), KeysPath(d.dir), KeysOptions{PANHasher: pans, Window: time.Hour,
		Now: d.clock.Now, Log: zerolog.New(zerolog.NewTestWriter(d.t))})
	require.NoError(d.t, err)
	d.keys = k
	d.t.Cleanup(func() { _ = k.Close() })
	h := newHarnessWith(d.t, func(c *Config) { c.DuplicateWindow = time.Hour }, append(opts, WithKeys(k))...)
	h.g.now = d.clock.Now
	return h
}

func (d *durable) stop() {
	if d.keys != nil {
		require.NoError(d.t, d.keys.Close())
		d.keys = nil
	}
}

func TestDurableKeys(t *testing.T) {
	t.Run("a key answered before a restart is answered the same after it, without routing", func(t *testing.T) {
		d := newDurable(t)
		first := authorizeOK(t, d.start(), purchase())
		require.Equal(t, bandeira.Approved, first.Code)
		h := d.start()
		again := authorizeOK(t, h, purchase())
		require.Equal(t, first, again)
		require.Zero(t, h.routed())
		require.InDelta(t, 1, duplicates(h, duplicateReplayed), 0)
	})
	t.Run("the same key with another card after a restart gets 94", func(t *testing.T) {
		d := newDurable(t)
		authorizeOK(t, d.start(), purchase())
		h := d.start()
		a := purchase()
		a.PAN = testPAN(masterBIN, 7)
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, a).Code)
		require.Equal(t, bandeira.DuplicateTransmission, authorizeOK(t, h, changed(purchase())).Code)
		require.Zero(t, h.routed())
	})
	t.Run("a decline and a failure stay what they were after a restart", func(t *testing.T) {
		d := newDurable(t)
		h := d.start()
		h.visa.fn = func(_ context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			if a.STAN == "000001" {
				return bandeira.Result{Code: bandeira.CVV2Mismatch, Issuer: "bancodobrasil"}, nil
			}
			return bandeira.Result{}, bandeira.ErrIssuerUnavailable
		}
		failed := purchase()
		failed.STAN = "000002"
		authorizeOK(t, h, purchase())
		_, err := h.g.Authorize(context.Background(), failed)
		require.Error(t, err)
		h = d.start()
		require.Equal(t, bandeira.CVV2Mismatch, authorizeOK(t, h, purchase()).Code)
		require.Equal(t, bandeira.IssuerUnavailable, authorizeOK(t, h, failed).Code)
		require.Zero(t, h.routed())
	})
	t.Run("a reversal reusing its original's STAN and field 7 is not a duplicate after a restart", func(t *testing.T) {
		d := newDurable(t)
		authorizeOK(t, d.start(), purchase())
		h := d.start()
		rev := request(bandeira.MTIReversal)
		rev.STAN = purchase().STAN
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, rev).Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("a stand-in approval is replayed as a stand-in after a restart", func(t *testing.T) {
		d := newDurable(t)
		h := d.start()
		h.visa.fn = func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "S00042", Issuer: "bancodobrasil",
				Product: bandeira.Credit, StandIn: bandeira.StandInTimeout}, nil
		}
		first := authorizeOK(t, h, purchase())
		require.Equal(t, bandeira.StandInTimeout, first.StandIn)
		h = d.start()
		again := authorizeOK(t, h, purchase())
		require.Zero(t, h.routed())
		require.Equal(t, first, again, "field 44 included")
	})
	t.Run("keys older than the window are forgotten at a restart", func(t *testing.T) {
		d := newDurable(t)
		authorizeOK(t, d.start(), purchase())
		d.clock.Advance(time.Hour + time.Second)
		h := d.start()
		require.Equal(t, bandeira.Approved, authorizeOK(t, h, changed(purchase())).Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("balance inquiries are not recorded: their retransmit is asked again after a restart", func(t *testing.T) {
		d := newDurable(t)
		inquiry := purchase()
		inquiry.ProcessingCode, inquiry.Amount = "310000", 0
		authorizeOK(t, d.start(), inquiry)
		h := d.start()
		authorizeOK(t, h, inquiry)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("a reversal names the original's issuer after a restart", func(t *testing.T) {
		d := newDurable(t)
		authorizeOK(t, d.start(), purchase())
		h := d.start(WithInstitutions(institutions))
		authorizeOK(t, h, request(bandeira.MTIReversal))
		require.Equal(t, "001", h.visa.lastRequest().ReceivingInstitution)
	})
	t.Run("an undelivered approval answers 91 after a restart too", func(t *testing.T) {
		d := newDurable(t)
		h := d.start(WithReversals(&fakeReversals{}))
		h.g.Undelivered(purchase(), authorizeOK(t, h, purchase()))
		h = d.start()
		require.Equal(t, bandeira.IssuerUnavailable, authorizeOK(t, h, purchase()).Code)
	})
	t.Run("an outcome that cannot be recorded is answered 96 and the approval reversed", func(t *testing.T) {
		d := newDurable(t)
		q := &fakeReversals{}
		h := d.start(WithReversals(q), WithInstitutions(institutions))
		require.NoError(t, d.keys.Close())
		require.Equal(t, bandeira.SystemMalfunction, authorizeOK(t, h, purchase()).Code)
		requireReversalOf(t, q, purchase())
		require.InDelta(t, 1, autoReversals(h, reasonNotBooked), 0)
	})
}

func TestDurableKeysKeepNoPAN(t *testing.T) {
	d := newDurable(t)
	h := d.start()
	for i := range 20 {
		a := purchase()
		a.STAN = "0000" + string(rune('1'+i/10)) + string(rune('0'+i%10))
		a.PAN = testPAN(visaBIN, i)
		authorizeOK(t, h, a)
	}
	d.stop()
	files, err := filepath.Glob(filepath.Join(KeysPath(d.dir), "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for i := range 20 {
			require.NotContains(t, string(b), testPAN(visaBIN, i).Digits(), "%s holds a PAN", filepath.Base(f))
		}
	}
}

func TestOpenKeysNeedsAPANHasher(t *testing.T) {
	_, err := OpenKeys(context.Background(), KeysPath(t.TempDir()), KeysOptions{})
	require.ErrorContains(t, err, "PAN hasher")
}

func TestDurableKeysLoadCapacity(t *testing.T) {
	t.Run("opening loads the newest Capacity keys of the window, in order", func(t *testing.T) {
		d := newDurable(t)
		h := d.start()
		for i := 1; i <= 5; i++ {
			a := purchase()
			a.STAN = fmt.Sprintf("%06d", i)
			require.Equal(t, bandeira.Approved, authorizeOK(t, h, a).Code)
		}
		d.stop()
		pans, err := seal.LoadOrCreateHasher(PANKeyPath(d.dir))
		require.NoError(t, err)
		for _, tc := range []struct {
			capacity int
			stans    []string
		}{
			{2, []string{"4", "5"}},
			{0, []string{"1", "2", "3", "4", "5"}}, // stored in normal form
		} {
			k, err := OpenKeys(context.Background(), KeysPath(d.dir), KeysOptions{PANHasher: pans, Window: time.Hour,
				Capacity: tc.capacity, Now: d.clock.Now, Log: zerolog.New(zerolog.NewTestWriter(t))})
			require.NoError(t, err)
			var stans []string
			for _, r := range k.loaded {
				stans = append(stans, r.key.STAN)
			}
			require.Equal(t, tc.stans, stans, "capacity %d", tc.capacity)
			require.NoError(t, k.Close())
		}
	})
}
