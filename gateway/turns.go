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
