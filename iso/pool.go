package iso

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// errConnectionLost is the cause logged when a live connection closes: the library reports
// the reason to the Client's error handler (logged at debug), not to the pool.
var errConnectionLost = errors.New("connection lost")

// pool is the set of live connections of a Client and the link state derived from it. Its
// methods are safe for concurrent use; requests read the live set without locking.
type pool struct {
	size int
	log  zerolog.Logger
	m    linkSeries

	snapshot atomic.Pointer[[]*pooledConn] // copy of live, for pick

	mu        sync.Mutex
	live      []*pooledConn
	cur       LinkState
	known     bool // a state has been logged
	closed    bool
	lastErr   error
	failures  int // connection slots whose first attempt failed
	firstUp   chan struct{}
	upOnce    sync.Once
	allFailed chan struct{}
}

func (p *pool) init(size int, log zerolog.Logger, m linkSeries) {
	p.size, p.log, p.m = size, log, m
	p.firstUp = make(chan struct{})
	p.allFailed = make(chan struct{})
	p.snapshot.Store(&[]*pooledConn{})
}

// pick returns the live connection at position n modulo their number, or nil when none.
func (p *pool) pick(n uint64) *pooledConn {
	live := *p.snapshot.Load()
	if len(live) == 0 {
		return nil
	}
	return live[n%uint64(len(live))]
}

// state returns the link state from the number of live connections.
func (p *pool) state() LinkState { return linkStateFor(len(*p.snapshot.Load()), p.size) }

// add makes conn live; false means the pool is closed and conn was not added.
func (p *pool) add(conn *pooledConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.live = append(p.live, conn)
	p.publish(nil)
	p.upOnce.Do(func() { close(p.firstUp) })
	return true
}

// remove takes a closed connection out of the live set.
func (p *pool) remove(conn *pooledConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.live, conn); i >= 0 && !p.closed {
		p.live = slices.Delete(p.live, i, i+1)
		p.publish(errConnectionLost)
	}
}

// failed records a failed connection attempt. first marks a slot's first attempt: once
// every slot's has failed, allFailed is closed. The first failure of a link that never
// had a state reports it down.
func (p *pool) failed(err error, first bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastErr = err
	if first {
		if p.failures++; p.failures == p.size {
			close(p.allFailed)
		}
	}
	if !p.known && !p.closed {
		p.publish(err)
	}
}

// lastError returns the error of the latest failed connection attempt.
func (p *pool) lastError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr == nil {
		return errors.New("no connection attempt finished")
	}
	return p.lastErr
}

// takeAll closes the pool and returns the live connections, leaving none. The state is
// not logged: the Client logs its own close.
func (p *pool) takeAll() []*pooledConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	live := p.live
	p.live = nil
	p.snapshot.Store(&[]*pooledConn{})
	p.cur, p.known = LinkDown, true
	return live
}

// publish copies the live set for pick, updates the gauges and logs a change of state
// once: at warn level when the link loses ground (to down, or from up to degraded), at
// info level when it gains. cause, when not nil, is logged with it. p.mu must be held.
func (p *pool) publish(cause error) {
	live := slices.Clone(p.live)
	p.snapshot.Store(&live)
	p.m.connections.Set(float64(len(live)))
	s := linkStateFor(len(live), p.size)
	if p.known && s == p.cur {
		return
	}
	from, known := p.cur, p.known
	p.cur, p.known = s, true
	p.m.up.Set(s.gauge())
	ev := p.log.Info()
	if s == LinkDown || (s == LinkDegraded && known && from == LinkUp) {
		ev = p.log.Warn()
	}
	if known {
		ev = ev.Str("from", from.String())
	}
	ev.Str("state", s.String()).Int("connections", len(live)).Int("pool_size", p.size).
		AnErr("cause", cause).Msg("link state changed")
}
