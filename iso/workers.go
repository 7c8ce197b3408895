package iso

import (
	"slices"
	"time"

	"github.com/bandeira/bandeira"
)

// defaultWorkerIdle is how long a request goroutine waits for another request of its
// connection before it exits.
const defaultWorkerIdle = 10 * time.Second

// job is one accepted request for a request goroutine to decide and answer.
type job struct {
	req   Message
	a     bandeira.Authorization
	start time.Time
}

// worker is a request goroutine's mailbox while it waits in its connection's idle stack.
type worker struct {
	jobs chan job // buffered 1: spawn never blocks on it
}

// spawn hands j to the most recently idle request goroutine of the connection, or starts
// a new one.
//
// Request goroutines are reused because a request decided in process goes deep (gateway,
// network, issuer, books): a new goroutine's stack starts small and is copied each time it
// doubles on the way down, which cost about a tenth of the server's CPU per round trip
// (docs/performance.md). A reused one keeps the stack it grew.
//
// The idle ones wait in a stack, last in first out, so that a connection busy with n
// requests at a time keeps reusing the same n goroutines and the rest, the surplus of a
// burst, stay idle long enough to exit. Handing jobs out first in first out (one shared
// channel) kept every goroutine a burst had started busy in turn, for good: after a stall
// of one second at 3,000 requests/s, a thousand of them and their stacks stayed.
func (c *serverConn) spawn(j job) {
	c.idleMu.Lock()
	if n := len(c.idle); n > 0 {
		w := c.idle[n-1]
		c.idle[n-1] = nil
		c.idle = c.idle[:n-1]
		c.idleMu.Unlock()
		w.jobs <- j
		return
	}
	c.idleMu.Unlock()
	go c.work(j)
}

// work runs j, then the requests spawn hands it, until it has been idle for the Server's
// worker idle time or the connection is done.
func (c *serverConn) work(j job) {
	w := &worker{jobs: make(chan job, 1)}
	idle := time.NewTimer(c.s.workerIdle)
	defer idle.Stop()
	for {
		c.handle(j.req, j.a, j.start)
		j = job{} // keep nothing of the request alive while idle
		c.idleMu.Lock()
		c.idle = append(c.idle, w)
		c.idleMu.Unlock()
		idle.Reset(c.s.workerIdle)
		select {
		case j = <-w.jobs:
		case <-idle.C:
			if !c.retire(w) {
				j = <-w.jobs // spawn took it off the stack just now: its job is on the way
				continue
			}
			return
		case <-c.finished:
			return
		}
	}
}

// retire takes w off the idle stack and reports whether it was still there.
func (c *serverConn) retire(w *worker) bool {
	c.idleMu.Lock()
	defer c.idleMu.Unlock()
	i := slices.Index(c.idle, w) // the longest idle are at the bottom: found early
	if i < 0 {
		return false
	}
	c.idle = slices.Delete(c.idle, i, i+1)
	return true
}
