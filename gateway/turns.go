package gateway

import (
	"context"
	"sync"
	"time"

	"github.com/bandeira/bandeira"
)

// turns routes the messages of one transaction one at a time. A transaction is named by
// its original's key (bandeira.Authorization.OriginalKey: a purchase's own key, field 90's
// for a reversal or completion). A timeout reversal is often sent while its original is
// still in flight, on another connection: routed side by side, the issuer may apply the
// original first and the reversal second while their answers reach the gateway the other
// way round, so the reversal would find nothing to amend in the journal and the sale
// would then be journaled in full, released at the issuer. Taking turns makes the order
// the gateway routes in the order the issuer applies and the journal books. It is safe
// for concurrent use.
type turns struct {
	mu   sync.Mutex
	busy map[bandeira.Key]chan struct{} // closed when the transaction's current turn ends
}

func newTurns() *turns { return &turns{busy: make(map[bandeira.Key]chan struct{})} }

// take waits, at most limit or until ctx ends, until no other message of transaction k is
// being routed, and takes the turn. It returns the function that ends the turn, or
// false when the wait ran out.
func (t *turns) take(ctx context.Context, k bandeira.Key, limit time.Duration) (func(), bool) {
	var timer *time.Timer
	for {
		t.mu.Lock()
		held, ok := t.busy[k]
		if !ok {
			done := make(chan struct{})
			t.busy[k] = done
			t.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			return func() { t.end(k, done) }, true
		}
		t.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(limit)
			defer timer.Stop()
		}
		select {
		case <-held:
		case <-timer.C:
			return nil, false
		case <-ctx.Done():
			return nil, false
		}
	}
}

// end ends the turn done of transaction k.
func (t *turns) end(k bandeira.Key, done chan struct{}) {
	t.mu.Lock()
	if t.busy[k] == done {
		delete(t.busy, k)
	}
	t.mu.Unlock()
	close(done)
}

// Tombstones. A reversal the gateway routes for an original it has not seen (a timeout
// reversal that overtook its original, or one whose original is lost) leaves a tombstone
// under the original's key, as it does at the issuer (invariant L4 of
// docs/architecture.md): the original, when it comes, is declined 05 without being routed.
// Otherwise the network could stand in for it and approve, the issuer would void that
// approval's advice against its own tombstone, and the journal would keep a sale no issuer
// holds. A tombstone is durable with the keys, and lasts the duplicate window.

// buryUnseen leaves a tombstone for the original of reversal a, named k, unless the
// gateway has answered that original. The caller holds k's turn, so the original is not
// being routed; but it may have arrived and be waiting for the turn (or about to take it):
// claimed, not answered. That one is unseen too. It finds the tombstone when its turn
// comes and is declined 05 without being routed; counting it as seen would leave no
// tombstone, and routed after its reversal it could be approved in stand-in while the
// issuer voids the approval's advice against its own tombstone, a sale only the journal
// keeps. An original routed whose answer is still being recorded gets a tombstone it will
// never meet: its retransmits are answered from its key. A tombstone that cannot be
// recorded durably is logged: the reversal is routed anyway, and the issuer's own
// tombstone still declines the original.
func (g *Gateway) buryUnseen(ctx context.Context, a *bandeira.Authorization, k bandeira.Key) {
	now := g.now().UnixNano()
	if _, answered := g.dups.outcome(packKey(k, '2'), now); answered {
		return
	}
	fp := fingerprint{class: classTombstone}
	res := bandeira.Result{Code: bandeira.DoNotHonour}
	if evicted := g.dups.bury(packKey(k, classTombstone), fp, now, res); evicted > 0 {
		g.metrics.evicted.Add(float64(evicted))
	}
	if g.keys == nil {
		return
	}
	if err := g.keys.record(ctx, keyRow{at: now, key: k, fp: fp, res: res}); err != nil {
		g.log.Error().Err(err).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
			Msg("the tombstone of a reversal's unseen original could not be recorded")
	}
}

// buried reports whether original a, named k, has a tombstone: its reversal came first.
func (g *Gateway) buried(a *bandeira.Authorization, k bandeira.Key) bool {
	if a.Original != nil || a.MTI.Class() == '4' {
		return false // a completion, a reversal: not an original
	}
	_, ok := g.dups.outcome(packKey(k, classTombstone), g.now().UnixNano())
	return ok
}
