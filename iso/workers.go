package iso

import (
	"time"

	"github.com/bandeira/bandeira"
)

// workerIdle is how long a request goroutine waits for another request of its connection
// before it exits.
const workerIdle = 10 * time.Second

// job is one accepted request for a request goroutine to decide and answer.
type job struct {
	req   Message
	a     bandeira.Authorization
	start time.Time
}

// spawn hands j to an idle request goroutine of the connection, or starts a new one.
//
// Request goroutines are reused because a request decided in process goes deep (gateway,
// network, issuer, books): a new goroutine's stack starts small and is copied each time it
// doubles on the way down, which cost about a tenth of the server's CPU per round trip
// (docs/performance.md). A reused one keeps the stack it grew. They exit when the
// connection has closed and answered everything, or after workerIdle without a request.
func (c *serverConn) spawn(j job) {
	select {
	case c.jobs <- j:
	default:
		go c.worker(j)
	}
}

// worker runs j, then the requests spawn hands it, until it has been idle for workerIdle
// or the connection is done.
func (c *serverConn) worker(j job) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		c.handle(j.req, j.a, j.start)
		j = job{} // keep nothing of the request alive while idle
		idle.Reset(workerIdle)
		select {
		case j = <-c.jobs:
		case <-idle.C:
			return
		case <-c.finished:
			return
		}
	}
}
