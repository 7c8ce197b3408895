package loadtest

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds, in microseconds: 1 µs to 1 hour.
const (
	histLowest  = 1
	histHighest = int64(time.Hour / time.Microsecond)
)

func newHist(sigfigs int) *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, sigfigs)
}

// record adds a latency to h, clamped to the histogram's range.
func record(h *hdrhistogram.Histogram, d time.Duration) {
	us := int64(d / time.Microsecond)
	_ = h.RecordValue(max(histLowest, min(us, histHighest)))
}

// ErrorKind is a reason a request got no answer other than a timeout or a drop.
type ErrorKind uint8

// The error kinds of the report.
const (
	// ErrUnmatched counts replies matching no request in flight (late, or a wrong key).
	ErrUnmatched ErrorKind = iota
	// ErrMalformed counts frames that are not a response of the dialect; the connection
	// closes after one.
	ErrMalformed
	// ErrConnection counts requests lost to a closed or failed connection.
	ErrConnection
	// ErrWrite counts requests that could not be written.
	ErrWrite
	numErrorKinds
)

var errorKindNames = [numErrorKinds]string{"unmatched", "malformed", "connection", "write"}

// String returns the error kind's name in the report.
func (e ErrorKind) String() string {
	if e >= numErrorKinds {
		return "unknown"
	}
	return errorKindNames[e]
}

// counts are the cumulative counters of a connection or of the whole run.
type counts struct {
	scheduled, sent, answered, approved, timedOut, dropped int64
	errors                                                 [numErrorKinds]int64
}

func (c *counts) add(o *counts) {
	c.scheduled += o.scheduled
	c.sent += o.sent
	c.answered += o.answered
	c.approved += o.approved
	c.timedOut += o.timedOut
	c.dropped += o.dropped
	for i := range c.errors {
		c.errors[i] += o.errors[i]
	}
}

func (c *counts) sub(o *counts) counts {
	d := *c
	d.scheduled -= o.scheduled
	d.sent -= o.sent
	d.answered -= o.answered
	d.approved -= o.approved
	d.timedOut -= o.timedOut
	d.dropped -= o.dropped
	for i := range d.errors {
		d.errors[i] -= o.errors[i]
	}
	return d
}

func (c *counts) errorTotal() int64 {
	var n int64
	for _, e := range c.errors {
		n += e
	}
	return n
}

// kindCounts are a kind's counters.
type kindCounts struct {
	sent, answered, approved, timedOut, dropped int64
}

func (c kindCounts) add(o kindCounts) kindCounts {
	return kindCounts{c.sent + o.sent, c.answered + o.answered, c.approved + o.approved, c.timedOut + o.timedOut,
		c.dropped + o.dropped}
}

func (c kindCounts) sub(o kindCounts) kindCounts {
	return kindCounts{c.sent - o.sent, c.answered - o.answered, c.approved - o.approved, c.timedOut - o.timedOut,
		c.dropped - o.dropped}
}

// connStats is what a connection counts; its connection's mutex guards it.
type connStats struct {
	counts
	kinds [numKinds]kindCounts
	codes map[[2]byte]int64
}

func newConnStats() connStats { return connStats{codes: make(map[[2]byte]int64)} }

// maxHistShards bounds the latency histograms: connections share them by id, so memory
// does not grow with the number of connections.
const maxHistShards = 8

// histShard holds the latencies of some connections. mu guards the histograms; a
// connection takes it while holding its own mutex, never the other way round.
type histShard struct {
	mu      sync.Mutex
	sec     *hdrhistogram.Histogram           // all kinds, since the last collection
	kind    [numKinds]*hdrhistogram.Histogram // per kind, whole run, 2 significant digits
	secKind [numKinds]*hdrhistogram.Histogram // per kind, since the last collection, 2 significant digits
}

func newHistShard() *histShard {
	h := &histShard{sec: newHist(3)}
	for i := range h.kind {
		h.kind[i] = newHist(2)
		h.secKind[i] = newHist(2)
	}
	return h
}

// record adds one answered request's latency.
func (h *histShard) record(k Kind, d time.Duration) {
	h.mu.Lock()
	record(h.sec, d)
	record(h.kind[k], d)
	record(h.secKind[k], d)
	h.mu.Unlock()
}
