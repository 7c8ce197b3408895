package saf

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/bandeira/bandeira"
)

// Queue is one link's queue: its sender delivers the queue's items to its Deliverer.
type Queue struct {
	s       *Store
	name    string
	d       Deliverer
	wake    chan struct{}
	pending []*item // guarded by s.mu; in order of enqueueing
}

// Name returns the queue's name.
func (q *Queue) Name() string { return q.name }

// poke wakes the sender to look at its items again.
func (q *Queue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// run is the sender: it delivers the earliest due item, waits until the next one is due
// (or an item arrives), and stops when the store closes.
func (q *Queue) run() {
	defer q.s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-q.s.stop: // an item due at once must not keep a closing sender busy
			return
		default:
		}
		it, wait := q.next()
		if it != nil {
			q.attempt(it)
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-q.s.stop:
			timer.Stop()
			return
		case <-q.wake:
		case <-tick.C: // refresh the age gauge and the expiries
		case <-timer.C:
		}
		timer.Stop()
	}
}

// next returns the earliest due item that no earlier item about the same transaction
// holds back, or none and how long to wait for the next one. It drops the items that are
// too old, and refreshes the queue's gauges.
func (q *Queue) next() (*item, time.Duration) {
	s := q.s
	now := s.opts.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		best   *item
		before map[bandeira.Key]bool // the transactions of the items kept so far
	)
	if len(q.pending) > 1 {
		before = make(map[bandeira.Key]bool, len(q.pending))
	}
	kept := q.pending[:0]
	for _, it := range q.pending {
		if now.Sub(it.enqueued) > s.opts.MaxAge {
			s.expire(q, it)
			continue
		}
		kept = append(kept, it)
		if before[it.orig] {
			continue // behind an earlier message about its transaction
		}
		if before != nil {
			before[it.orig] = true
		}
		if best == nil || it.due.Before(best.due) {
			best = it
		}
	}
	clear(q.pending[len(kept):])
	q.pending = kept
	s.opts.Metrics.depth(q.name, len(kept))
	oldest := time.Duration(0)
	if len(kept) > 0 {
		oldest = now.Sub(kept[0].enqueued)
	}
	s.opts.Metrics.age(q.name, oldest)
	switch {
	case best == nil:
		return nil, time.Minute
	case !best.due.After(now):
		return best, 0
	}
	return nil, best.due.Sub(now)
}

// expire drops an item that has waited longer than MaxAge. s.mu is held.
func (s *Store) expire(q *Queue, it *item) {
	s.log.Error().Str("queue", q.name).Str("key", it.key).Str("mti", string(it.msg.MTI)).
		Int("attempts", it.attempts).Float64("age_ms", float64(s.opts.Now().Sub(it.enqueued))/float64(time.Millisecond)).
		Msg("dropping an undelivered message older than the queue's maximum age")
	s.opts.Metrics.sent(q.name, resultExpired)
	delete(s.waiting, it.waitKey())
	now := s.opts.Now()
	s.w.Batch().Changes.outcomes = append(s.w.Batch().Changes.outcomes, outcomeRow{itemID: it.id,
		at: now.UnixNano(), attempts: it.attempts, result: resultExpired})
	if s.w.Err() == nil {
		s.w.Join()
	}
}

// attempt delivers it once and records what came of it.
func (q *Queue) attempt(it *item) {
	s := q.s
	msg := it.msg
	if it.attempts > 0 {
		msg.MTI = msg.MTI.Repeat()
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.AttemptTimeout)
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	res, err := q.d.Authorize(ctx, msg)
	cancel()
	it.attempts++
	select {
	case <-s.stop:
		return // closing: the item stays pending for the next start
	default:
	}
	if err == nil && res.Code != "" && !retryable(res.Code) {
		q.done(it, res.Code)
		return
	}
	step := s.opts.BackoffMin << min(it.attempts-1, 30)
	if step > s.opts.BackoffMax || step <= 0 {
		step = s.opts.BackoffMax
	}
	wait := step/2 + time.Duration(rand.Int64N(int64(step/2)+1))
	s.mu.Lock()
	it.due = s.opts.Now().Add(wait)
	s.mu.Unlock()
	s.opts.Metrics.sent(q.name, resultRetried)
	ev := s.log.Debug().Str("queue", q.name).Str("key", it.key).Str("mti", string(msg.MTI)).
		Int("attempts", it.attempts).Float64("retry_in_ms", float64(wait)/float64(time.Millisecond))
	if err != nil {
		ev = ev.Err(err)
	} else {
		ev = ev.Str("response_code", string(res.Code))
	}
	ev.Msg("delivery failed; trying again")
}

// done removes a delivered item and records its outcome.
func (q *Queue) done(it *item, code bandeira.ResponseCode) {
	s := q.s
	result := resultAcknowledged
	if !code.Approved() {
		result = resultRefused
		s.log.Warn().Str("queue", q.name).Str("key", it.key).Str("mti", string(it.msg.MTI)).
			Str("response_code", string(code)).Msg("the receiver refused a stored message; it is not sent again")
	}
	s.mu.Lock()
	for i, p := range q.pending {
		if p == it {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
			break
		}
	}
	s.opts.Metrics.depth(q.name, len(q.pending))
	s.mu.Unlock()
	s.opts.Metrics.sent(q.name, result)
	s.finish(it, result, string(code))
}

// retryable reports whether an answer means the receiver could not decide: 91 (the
// receiver or the party behind it unreachable) and 96 (a malfunction).
func retryable(c bandeira.ResponseCode) bool {
	return c == bandeira.IssuerUnavailable || c == bandeira.SystemMalfunction
}
