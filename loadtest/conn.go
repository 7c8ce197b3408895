package loadtest

import (
	"context"
	"net"
	"sync"
	"time"
)

// maxBatch bounds the requests one write carries.
const maxBatch = 256

// conn is one TCP connection to the target with its sender, receiver, window of requests
// in flight and statistics. mu guards win, st, tr and broken.
type conn struct {
	id   int
	r    *Runner
	nc   net.Conn
	mu   sync.Mutex
	win  window
	st   connStats
	tr   *traffic
	clk  clockFields
	hist *histShard // shared with other connections

	broken  bool
	credits chan int64 // closed model: when a worker may send again, ns from the start
}

func newConn(r *Runner, id int, nc net.Conn) *conn {
	base, span := stanSpan(id, r.cfg.Connections)
	c := &conn{id: id, r: r, nc: nc, win: newWindow(r.cfg.MaxInFlight, base, span), st: newConnStats(),
		tr: newTraffic(r.plan, id, r.cfg.Seed), hist: r.hists[id%len(r.hists)]}
	return c
}

// since returns the clock's offset from the start of the run, in ns.
func (c *conn) since() int64 { return int64(c.r.clock.Now().Sub(c.r.start)) }

// sendOpen sends this connection's share of the schedule: requests k ≡ id (mod
// connections). Requests are due at their scheduled time; when the window is full at that
// time they are dropped, never queued, and latency runs from the scheduled time.
func (c *conn) sendOpen(ctx context.Context) {
	step := int64(c.r.cfg.Connections)
	buf := make([]byte, 0, 16<<10)
	for k := int64(c.id); k < c.r.total; {
		due, ok := c.r.sched.At(k)
		if !ok {
			return
		}
		now := c.since()
		if int64(due) > now {
			if !c.r.clock.Sleep(ctx, time.Duration(int64(due)-now)) {
				return
			}
			now = c.since()
		} else if ctx.Err() != nil {
			return
		}
		buf, k = c.batchOpen(buf[:0], k, step, now)
		c.write(buf)
	}
}

// batchOpen appends every request due by now, starting at k, and returns the next k.
func (c *conn) batchOpen(buf []byte, k, step, now int64) ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clk.update(c.r.start.Add(time.Duration(now)))
	for n := 0; n < maxBatch && k < c.r.total; n++ {
		due, ok := c.r.sched.At(k)
		if !ok || int64(due) > now {
			break
		}
		k += step
		buf = c.appendLocked(buf, int64(due), now)
	}
	return buf, k
}

// appendLocked schedules one request: it is dropped when the connection is broken or the
// window full, otherwise appended to buf.
func (c *conn) appendLocked(buf []byte, due, now int64) []byte {
	c.st.scheduled++
	s, ok := c.win.acquire()
	if c.broken || !ok {
		if ok {
			c.win.release(s)
		}
		c.st.dropped++
		return buf
	}
	var sn sent
	buf, sn = c.tr.appendRequest(buf, s.stan, &c.clk)
	s.kind, s.card, s.amount, s.f7 = sn.kind, sn.card, sn.amount, c.clk.f7
	s.due, s.sent = due, now
	c.st.sent++
	c.st.kinds[sn.kind].sent++
	return buf
}

// sendClosed runs the closed model: each credit is one worker; a worker sends, waits for
// its answer (or timeout), thinks, and sends again. Workers ready at the same time share
// one write.
func (c *conn) sendClosed(ctx context.Context) {
	if cap(c.credits) == 0 {
		return // fewer workers than connections: this one has none
	}
	buf := make([]byte, 0, 16<<10)
	for {
		var ready int64
		select {
		case <-ctx.Done():
			return
		case ready = <-c.credits:
		}
		if now := c.since(); ready > now {
			if !c.r.clock.Sleep(ctx, time.Duration(ready-now)) {
				return
			}
		}
		var more bool
		buf, more = c.batchClosed(buf[:0], ready)
		c.write(buf)
		if !more {
			return
		}
	}
}

// batchClosed appends one request for the credit taken, then one for each further credit
// already due, up to maxBatch. more is false when the run's budget is spent or the
// connection is broken.
func (c *conn) batchClosed(buf []byte, ready int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.since()
	c.clk.update(c.r.start.Add(time.Duration(now)))
	for n := 0; n < maxBatch; n++ {
		if n > 0 {
			select {
			case ready = <-c.credits:
			default:
				return buf, true
			}
			if ready > now {
				c.credits <- ready // not due yet: put it back for the next round
				return buf, true
			}
		}
		if c.broken || !c.r.claim() {
			return buf, false
		}
		before := len(buf)
		buf = c.appendLocked(buf, now, now)
		if len(buf) == before {
			c.credit(now) // dropped: the window is full; the worker tries again
		}
	}
	return buf, true
}

// credit returns a worker to the closed model after its think time.
func (c *conn) credit(now int64) {
	if c.credits == nil {
		return
	}
	select {
	case c.credits <- now + int64(c.r.cfg.Think):
	default:
	}
}

// write sends buf; a failure breaks the connection and fails the requests in flight.
func (c *conn) write(buf []byte) {
	if len(buf) == 0 {
		return
	}
	if _, err := c.nc.Write(buf); err != nil {
		c.fail(ErrWrite)
	}
}

// fail marks the connection broken and counts every request in flight as lost to kind.
func (c *conn) fail(kind ErrorKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return
	}
	c.broken = true
	_ = c.nc.Close()
	for i := range c.win.slots {
		if s := &c.win.slots[i]; s.busy {
			c.st.errors[kind]++
			c.win.release(s)
			c.credit(0)
		}
	}
}

// expire counts as timed out every request sent more than timeout before now.
func (c *conn) expire(now int64) {
	limit := int64(c.r.cfg.Timeout)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.win.inFlight == 0 {
		return
	}
	for i := range c.win.slots {
		s := &c.win.slots[i]
		if s.busy && now-s.sent >= limit {
			c.st.timedOut++
			c.st.kinds[s.kind].timedOut++
			c.win.release(s)
			c.credit(now)
		}
	}
}

// inFlight returns the requests waiting for an answer.
func (c *conn) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.win.inFlight
}
