package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestDupStore(t *testing.T) {
	fp := fingerprint{class: '1', amount: 1}
	keyN := func(n int) packedKey {
		return packKey(bandeira.Key{AcquirerID: "1", TerminalID: "T", STAN: fmt.Sprintf("%06d", n%1_000_000),
			TransmissionTime: fmt.Sprintf("%010d", n/1_000_000)}, '1')
	}
	t.Run("a full store keeps exactly its capacity, newest keys first", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1000)
		for i := range 1500 {
			c := d.claim(keyN(i), fp, int64(i))
			require.Equal(t, claimFresh, c.kind)
			d.complete(c.entry, bandeira.Result{Code: "00"}, nil)
		}
		require.Equal(t, 1000, d.size())
		require.Equal(t, claimFresh, d.claim(keyN(499), fp, 1500).kind, "evicted key")
		require.Equal(t, claimReplay, d.claim(keyN(1499), fp, 1501).kind)
	})
	t.Run("a generation is freed once its newest key has expired", func(t *testing.T) {
		const window = 100
		d := newDupStore(window, 4) // two generations of two keys
		d.claim(keyN(1), fp, 0)
		d.claim(keyN(2), fp, 0)
		d.claim(keyN(3), fp, window) // rotates: keys 1 and 2 become the previous generation
		require.Equal(t, 3, d.size())
		d.claim(keyN(4), fp, window+1)
		require.Equal(t, 2, d.size(), "keys 1 and 2 are dropped, 3 and 4 kept")
		require.Equal(t, claimWait, d.claim(keyN(3), fp, window+1).kind, "key 3 is still remembered (in flight)")
	})
	t.Run("a large store spreads keys over shards and still bounds them", func(t *testing.T) {
		d := newDupStore(int64(time.Hour), 1<<16)
		require.Len(t, d.shards, maxShards)
		for i := range 1 << 17 {
			d.claim(keyN(i), fp, 0)
		}
		require.LessOrEqual(t, d.size(), 1<<16)
		require.Greater(t, d.size(), 1<<15)
	})
	t.Run("packed keys keep fields apart", func(t *testing.T) {
		a := packKey(bandeira.Key{AcquirerID: "12", TerminalID: "3", STAN: "000001", TransmissionTime: "0115103000"}, '1')
		b := packKey(bandeira.Key{AcquirerID: "1", TerminalID: "23", STAN: "000001", TransmissionTime: "0115103000"}, '1')
		require.NotEqual(t, a, b)
	})
	t.Run("packed keys are in normal form: zero padding of acquirer ID and STAN does not matter", func(t *testing.T) {
		a := packKey(bandeira.Key{AcquirerID: "00000000012", TerminalID: "3", STAN: "000001", TransmissionTime: "0115103000"}, '1')
		b := packKey(bandeira.Key{AcquirerID: "12", TerminalID: "3", STAN: "1", TransmissionTime: "0115103000"}, '1')
		require.Equal(t, a, b)
		c := packKey(bandeira.Key{AcquirerID: "12", TerminalID: "3", STAN: "10", TransmissionTime: "0115103000"}, '1')
		require.NotEqual(t, b, c)
	})
}

func TestConcurrentDuplicates(t *testing.T) {
	h := newHarness(t, nil)
	var routedKeys sync.Map
	h.visa.fn = func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
		if _, loaded := routedKeys.LoadOrStore(a.STAN, true); loaded {
			return bandeira.Result{}, errors.New("routed twice")
		}
		return bandeira.Result{Code: bandeira.Approved}, nil
	}
	const workers, keys = 8, 100
	var mu sync.Mutex
	codes := map[bandeira.ResponseCode]int{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range keys {
				a := purchase()
				a.STAN = fmt.Sprintf("%06d", k)
				if w%2 == 1 {
					a.MTI = bandeira.MTIAuthorizationRepeat
				}
				res, err := h.g.Authorize(context.Background(), a)
				mu.Lock()
				codes[res.Code+bandeira.ResponseCode(fmt.Sprint(err != nil))]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, keys, h.routed(), "each key routed exactly once")
	require.Equal(t, workers*keys, codes["00false"]+codes["94false"], "no errors: %v", codes)
	require.InDelta(t, float64(codes["94false"]), duplicates(h, duplicateRejected), 0)
	require.InDelta(t, float64(codes["00false"]-keys), duplicates(h, duplicateReplayed), 0)
}
