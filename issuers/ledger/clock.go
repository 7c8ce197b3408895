package ledger

import "time"

// Clock is ledger time: Unix nanoseconds read from a wall clock, never going backwards (a
// clock that does is held at its latest reading), so that holds expire in order. It is
// not safe for concurrent use: a store reads it under its lock.
type Clock struct {
	now  func() time.Time
	last int64
}

// NewClock returns ledger time read from now; nil means time.Now.
func NewClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return Clock{now: now}
}

// Now returns the current ledger time.
func (c *Clock) Now() int64 {
	if t := c.now().UnixNano(); t > c.last {
		c.last = t
	}
	return c.last
}
