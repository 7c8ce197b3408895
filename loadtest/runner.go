package loadtest

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Runner runs one load test. Build it with New; Run it once.
type Runner struct {
	cfg   Config
	log   zerolog.Logger
	plan  *plan
	sched *Schedule
	total int64 // open model: requests in the schedule; closed: the request limit or max
	clock Clock
	start time.Time

	claimed atomic.Int64
	conns   []*conn
	hists   []*histShard
	col     *collector
}

// New validates cfg, builds the request templates from cards and returns a Runner. cards
// must hold regular cards for every kind of the mix but decline and echo, and scenario
// cards of DeclineScenarios when decline is in the mix.
func New(cfg Config, cards []Card, log zerolog.Logger) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	mix, _ := ParseMix(cfg.Mix)
	p, err := newPlan(mix, cards, cfg.Merchant)
	if err != nil {
		return nil, fmt.Errorf("building the traffic: %w", err)
	}
	r := &Runner{cfg: cfg, log: log.With().Str("component", "loadtest").Logger(), plan: p, clock: realClock{}}
	for range min(cfg.Connections, maxHistShards) {
		r.hists = append(r.hists, newHistShard())
	}
	if cfg.Open() {
		r.sched = NewSchedule(cfg.schedule())
		r.total = r.sched.Count()
		if cfg.Requests > 0 {
			r.total = min(r.total, cfg.Requests)
		}
	} else {
		r.total = cfg.Requests
		if r.total == 0 {
			r.total = 1 << 62
		}
	}
	return r, nil
}

// SetClock replaces the wall clock, for tests. Call it before Run.
func (r *Runner) SetClock(c Clock) { r.clock = c }

// claim takes one request from the closed model's budget.
func (r *Runner) claim() bool { return r.claimed.Add(1) <= r.total }

// Run dials the connections, sends the schedule, waits up to the timeout for the last
// answers and returns the summary. progress, if not nil, is called once a second from
// the collecting goroutine. When ctx ends (Ctrl-C) sending stops, the answers in flight
// are awaited as usual and the summary covers what was sent. Run returns an error only
// when it could not start: a connection that cannot be dialed.
func (r *Runner) Run(ctx context.Context, progress func(Second)) (*Summary, error) {
	if err := r.dial(ctx); err != nil {
		return nil, err
	}
	r.log.Info().Str("target", r.cfg.Target).Bool("open", r.cfg.Open()).Int("connections", r.cfg.Connections).
		Int64("requests", r.total).Msg("load test started")
	cpu0 := ProcessCPU()
	r.start = r.clock.Now()
	r.col = newCollector(r)
	sendCtx, cancel := r.sendContext(ctx)
	defer cancel()
	var senders, readers sync.WaitGroup
	for _, c := range r.conns {
		readers.Add(1)
		go func() { defer readers.Done(); c.readLoop() }()
		senders.Add(1)
		go func() { defer senders.Done(); r.send(sendCtx, c) }()
	}
	done := make(chan struct{})
	go func() { senders.Wait(); close(done) }()
	r.col.loop(done, progress)
	sendEnd := r.clock.Now()
	r.drain(ctx)
	for _, c := range r.conns {
		c.fail(ErrConnection) // nothing is in flight any more; closes the socket
	}
	readers.Wait()
	r.col.collect()
	cpu := time.Duration(-1) // not measured
	if cpu1 := ProcessCPU(); cpu0 >= 0 && cpu1 >= 0 {
		cpu = cpu1 - cpu0
	}
	return r.col.summary(sendEnd.Sub(r.start), cpu), nil
}

// sendContext bounds the closed model by Duration; the open model ends with its schedule.
func (r *Runner) sendContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if !r.cfg.Open() && r.cfg.Duration > 0 {
		return context.WithTimeout(ctx, r.cfg.Duration)
	}
	return context.WithCancel(ctx)
}

func (r *Runner) send(ctx context.Context, c *conn) {
	if r.cfg.Open() {
		c.sendOpen(ctx)
		return
	}
	c.sendClosed(ctx)
}

// dial opens every connection; on failure it closes those already open.
func (r *Runner) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: r.cfg.ConnectTimeout}
	per := r.cfg.Concurrency / r.cfg.Connections
	extra := r.cfg.Concurrency % r.cfg.Connections
	for i := range r.cfg.Connections {
		nc, err := d.DialContext(ctx, "tcp", r.cfg.Target)
		if err != nil {
			for _, c := range r.conns {
				_ = c.nc.Close()
			}
			return fmt.Errorf("dialing %s: %w", r.cfg.Target, err)
		}
		c := newConn(r, i, nc)
		if !r.cfg.Open() {
			n := per
			if i < extra {
				n++
			}
			c.credits = make(chan int64, n)
			for range n {
				c.credits <- 0
			}
		}
		r.conns = append(r.conns, c)
	}
	return nil
}

// drain waits until nothing is in flight: answers arrive or time out.
func (r *Runner) drain(ctx context.Context) {
	for {
		now := int64(r.clock.Now().Sub(r.start))
		inFlight := 0
		for _, c := range r.conns {
			c.expire(now)
			inFlight += c.inFlight()
		}
		if inFlight == 0 || !r.clock.Sleep(context.WithoutCancel(ctx), 5*time.Millisecond) {
			return
		}
	}
}
