package gateway

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// windowKey returns the packed key of the n-th request of a test terminal.
func windowKey(n int) packedKey {
	return packKey(bandeira.Key{AcquirerID: "1", TerminalID: "T", STAN: fmt.Sprintf("%06d", n%1_000_000),
		TransmissionTime: fmt.Sprintf("%010d", n/1_000_000)}, '1')
}

// answered claims key fresh at now and completes it with res and err.
func answered(t *testing.T, d *dupStore, key packedKey, now int64, res bandeira.Result, err error) {
	t.Helper()
	c := d.claim(key, fingerprint{class: '1', amount: 1}, now)
	require.Equal(t, claimFresh, c.kind)
	d.complete(c.entry, res, err)
}

// sideLen returns how many outcomes the side maps of d's shards hold.
func sideLen(d *dupStore) int {
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		n += len(s.cur.side) + len(s.prev.side)
		s.mu.Unlock()
	}
	return n
}

func TestWindowOutcomes(t *testing.T) {
	remaining, balances := bandeira.Amount(250), &bandeira.Balances{Ledger: 10, Available: 5, Currency: "986"}
	token := &bandeira.Token{Number: "4000010000000001", Expiry: "3012"}
	failed := fmt.Errorf("calling visa: %w", context.DeadlineExceeded)
	full := bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3", Issuer: "nubank", Brand: bandeira.Visa,
		Product: bandeira.Credit, StandIn: bandeira.IssuerDecided}
	with := func(edit func(*bandeira.Result)) bandeira.Result { r := full; edit(&r); return r }
	cases := []struct {
		name  string
		res   bandeira.Result
		err   error
		aside bool // kept in the side map
	}{
		{"an approval with every plain field", full, nil, false},
		{"a decline without an authorization code or names", bandeira.Result{Code: bandeira.DoNotHonour}, nil, false},
		{"a result with no code at all", bandeira.Result{}, nil, false},
		{"a stand-in approval with a short authorization code", with(func(r *bandeira.Result) {
			r.AuthCode, r.StandIn = "42", bandeira.StandInReason('1')
		}), nil, false},
		{"a balance inquiry's balances", with(func(r *bandeira.Result) { r.Balances = balances }), nil, true},
		{"a reversal's remaining amount", with(func(r *bandeira.Result) { r.Remaining = &remaining }), nil, true},
		{"a token", with(func(r *bandeira.Result) { r.Token = token }), nil, true},
		{"an error with the brand", bandeira.Result{Brand: bandeira.Mastercard}, failed, true},
		{"a response code longer than two characters", bandeira.Result{Code: "000"}, nil, true},
		{"an authorization code longer than six characters", with(func(r *bandeira.Result) { r.AuthCode = "1234567" }), nil, true},
	}
	for i, c := range cases {
		t.Run(c.name+" is read back whole", func(t *testing.T) {
			d := newDupStore(int64(time.Hour), 1000)
			key := windowKey(i)
			answered(t, d, key, 1, c.res, c.err)
			replay := d.claim(key, fingerprint{class: '1', amount: 1}, 2)
			require.Equal(t, claimReplay, replay.kind)
			require.Equal(t, c.res, replay.res)
			require.Equal(t, c.err, replay.err)
			res, ok := d.outcome(key, 3)
			require.True(t, ok)
			require.Equal(t, c.res, res)
			require.Equal(t, map[bool]int{false: 0, true: 1}[c.aside], sideLen(d))
		})
	}
	t.Run("a packed answer rebound to a side one and back keeps one side entry at most", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		answered(t, d, windowKey(1), 1, full, nil)
		rest := with(func(r *bandeira.Result) { r.Remaining = &remaining })
		_, _, ok := d.rebind(windowKey(1), 2, rest)
		require.True(t, ok)
		require.Equal(t, 1, sideLen(d))
		res, _ := d.outcome(windowKey(1), 3)
		require.Equal(t, rest, res)
		_, _, ok = d.rebind(windowKey(1), 4, full)
		require.True(t, ok)
		require.Zero(t, sideLen(d))
		res, _ = d.outcome(windowKey(1), 5)
		require.Equal(t, full, res)
	})
	t.Run("every field of a Result is either packed or sends it to the side map", func(t *testing.T) {
		// pack names the nine fields; a new field must be taught to it.
		require.Equal(t, 9, reflect.TypeFor[bandeira.Result]().NumField())
	})
	t.Run("a slot holds no pointer, so the garbage collector does not scan the window", func(t *testing.T) {
		require.False(t, hasPointers(reflect.TypeFor[slot]()))
		require.False(t, hasPointers(reflect.TypeFor[packedKey]()))
	})
}

// hasPointers reports whether a value of type t holds a pointer.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Array:
		return hasPointers(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if hasPointers(f.Type) {
				return true
			}
		}
		return false
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint,
		reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return false
	}
	return true
}

func TestWindowNames(t *testing.T) {
	t.Run("names are interned once each, whatever field they come in", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		for i := range 10 {
			answered(t, d, windowKey(i), 1, bandeira.Result{Code: bandeira.Approved, Issuer: "credit",
				Brand: bandeira.Visa, Product: bandeira.Credit}, nil)
		}
		require.Equal(t, []string{"", "credit", string(bandeira.Visa)}, d.names.set.Load().list)
		key := windowKey(3)
		s, h := d.shardOf(key)
		sl, ok := s.cur.keys.get(&key, h)
		require.True(t, ok)
		require.Equal(t, sl.ans.issuer, sl.ans.product, "issuer \"credit\" and product credit share an index")
	})
	t.Run("names interned from many goroutines at once get one index each", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		const workers, count = 4, 50
		ids := make([][count]uint8, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range count {
					res, _ := d.names.pack(bandeira.Result{Issuer: fmt.Sprintf("issuer-%d", (i+w*7)%count)}, nil)
					ids[w][(i+w*7)%count] = res.issuer
				}
			})
		}
		wg.Wait()
		require.Len(t, d.names.set.Load().list, count+1)
		for w := range workers {
			require.Equal(t, ids[0], ids[w])
			for i, id := range ids[w] {
				require.Equal(t, fmt.Sprintf("issuer-%d", i), d.names.unpack(answer{issuer: id}).Issuer)
			}
		}
	})
	t.Run("an answer with a name past the table's room is kept whole in the side map", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		for i := range maxNames {
			_, ok := d.names.id(fmt.Sprintf("issuer-%d", i))
			require.True(t, ok)
		}
		_, ok := d.names.id("one too many")
		require.False(t, ok)
		res := bandeira.Result{Code: bandeira.Approved, Issuer: "one too many", Brand: bandeira.Visa}
		answered(t, d, windowKey(1), 1, res, nil)
		require.Equal(t, 1, sideLen(d))
		got, ok := d.outcome(windowKey(1), 2)
		require.True(t, ok)
		require.Equal(t, res, got)
		known := bandeira.Result{Code: bandeira.Approved, Issuer: "issuer-7"}
		answered(t, d, windowKey(2), 1, known, nil)
		require.Equal(t, 1, sideLen(d), "a known name still packs")
		got, _ = d.outcome(windowKey(2), 2)
		require.Equal(t, known, got)
	})
}

func TestWindowGenerations(t *testing.T) {
	rest := bandeira.Amount(1)
	side := bandeira.Result{Code: bandeira.Approved, Remaining: &rest}
	t.Run("dropping a full generation drops its side outcomes", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 4) // one shard, two generations of two keys
		answered(t, d, windowKey(1), 1, side, nil)
		answered(t, d, windowKey(2), 1, bandeira.Result{}, errors.New("no answer"))
		require.Equal(t, 2, sideLen(d))
		answered(t, d, windowKey(3), 2, bandeira.Result{Code: bandeira.Approved}, nil) // keys 1 and 2 become the previous generation
		require.Equal(t, 2, sideLen(d))
		answered(t, d, windowKey(4), 2, side, nil)
		answered(t, d, windowKey(5), 2, bandeira.Result{Code: bandeira.Approved}, nil) // keys 1 and 2 are dropped
		require.Equal(t, 1, sideLen(d), "only key 4's outcome is left")
		_, ok := d.outcome(windowKey(1), 3)
		require.False(t, ok)
		res, ok := d.outcome(windowKey(4), 3)
		require.True(t, ok)
		require.Equal(t, side, res)
	})
	t.Run("expired generations drop their side outcomes", func(t *testing.T) {
		const window = 100
		d := newDupStore(window, 4)
		answered(t, d, windowKey(1), 0, side, nil)
		answered(t, d, windowKey(2), 0, side, nil)
		answered(t, d, windowKey(3), 1, side, nil)
		require.Equal(t, 3, sideLen(d))
		answered(t, d, windowKey(4), 2*window, bandeira.Result{Code: bandeira.Approved}, nil)
		require.Zero(t, sideLen(d))
		require.Equal(t, 1, d.size())
	})
	t.Run("a key forgotten while in flight is answered to its waiters, not to its new claim", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 4)
		fp := fingerprint{class: '1', amount: 1}
		first := d.claim(windowKey(1), fp, 1)
		wait := d.claim(windowKey(1), fp, 1)
		require.Equal(t, claimWait, wait.kind)
		for i := 2; i <= 5; i++ { // two rotations drop key 1's generation
			answered(t, d, windowKey(i), 1, bandeira.Result{Code: bandeira.Approved}, nil)
		}
		second := d.claim(windowKey(1), fp, 2)
		require.Equal(t, claimFresh, second.kind, "key 1 was forgotten")
		d.complete(first.entry, bandeira.Result{Code: bandeira.DoNotHonour}, nil)
		res, done, err := d.await(context.Background(), wait)
		require.True(t, done)
		require.NoError(t, err)
		require.Equal(t, bandeira.DoNotHonour, res.Code)
		require.Equal(t, claimWait, d.claim(windowKey(1), fp, 3).kind, "the second claim is still in flight")
		d.complete(second.entry, bandeira.Result{Code: bandeira.Approved}, nil)
		replay := d.claim(windowKey(1), fp, 4)
		require.Equal(t, claimReplay, replay.kind)
		require.Equal(t, bandeira.Approved, replay.res.Code)
		require.Empty(t, d.shards[0].flight)
	})
}

func TestWindowWaiters(t *testing.T) {
	t.Run("every waiter of a key in flight wakes with its outcome, pointers and error included", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		fp := fingerprint{class: '1', amount: 1}
		first := d.claim(windowKey(1), fp, 1)
		require.Equal(t, claimFresh, first.kind)
		waits := make([]claim, 3)
		for i := range waits {
			waits[i] = d.claim(windowKey(1), fp, 2)
			require.Equal(t, claimWait, waits[i].kind)
		}
		balances := &bandeira.Balances{Ledger: 7, Available: 7}
		failed := errors.New("issuer unreachable")
		outcomes := make(chan outcome, len(waits))
		for _, w := range waits {
			go func() {
				res, done, err := d.await(context.Background(), w)
				if !done {
					err = fmt.Errorf("not done: %w", err)
				}
				outcomes <- outcome{res, err}
			}()
		}
		d.complete(first.entry, bandeira.Result{Code: bandeira.Approved, Balances: balances}, failed)
		for range waits {
			o := receive(t, outcomes)
			require.Same(t, balances, o.res.Balances)
			require.Equal(t, failed, o.err)
		}
		s, _ := d.shardOf(windowKey(1))
		require.Empty(t, s.flight)
	})
	t.Run("a repeat of an outcome completed again is claimed fresh after its waiters woke", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		fp := fingerprint{class: '4', amount: 1}
		first := d.claim(windowKey(1), fp, 1)
		wait := d.claim(windowKey(1), fp, 1)
		d.completeAgain(first.entry, bandeira.Result{Code: bandeira.IssuerUnavailable}, nil)
		res, done, _ := d.await(context.Background(), wait)
		require.True(t, done)
		require.Equal(t, bandeira.IssuerUnavailable, res.Code)
		again := d.claim(windowKey(1), fp, 2)
		require.Equal(t, claimFresh, again.kind)
		d.complete(again.entry, bandeira.Result{Code: bandeira.Approved}, nil)
		require.Equal(t, claimReplay, d.claim(windowKey(1), fp, 3).kind)
	})
}
