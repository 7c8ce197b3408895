package ledger

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/bandeira/bandeira"
)

// ErrInvariant reports a broken ledger invariant found by Audit.
var ErrInvariant = errors.New("ledger: invariant violated")

// Memory is an in-process ledger: the Engine's rules over maps, under one mutex. It
// behaves as the durable books do (issuers/books), minus the disk: every request key is
// remembered for good, approved or declined; a reversal before its original leaves a
// tombstone; holds expire after the engine's HoldExpiry in ledger time (WithClock). It
// therefore grows with every request (a few hundred bytes each) for the life of the
// process: it is meant for tests, benchmarks and short runs. It is safe for concurrent
// use; build it with NewMemory.
type Memory struct {
	engine    Engine
	mu        sync.Mutex
	clock     Clock
	accounts  map[AccountID]*Account
	requests  map[bandeira.Key]*Request
	tombs     map[bandeira.Key]struct{}
	holds     []*Request // holds placed, oldest first; resolved ones are skipped when due
	holdsHead int
	seq       uint64                    // the last Request.Seq given
	totals    [Fees + 1]bandeira.Amount // what every posting moved, per party (Card: all cards)
}

// MemoryOption customises NewMemory.
type MemoryOption func(*Memory)

// WithClock makes the ledger read its time from now (nil: time.Now): holds expire
// HoldExpiry after they were placed in this clock's time.
func WithClock(now func() time.Time) MemoryOption {
	return func(m *Memory) { m.clock = NewClock(now) }
}

// WithHoldExpiry sets how long a hold stays open (0: DefaultHoldExpiry).
func WithHoldExpiry(d time.Duration) MemoryOption {
	return func(m *Memory) { m.engine.HoldExpiry = d }
}

// NewMemory returns an empty in-memory ledger.
func NewMemory(opts ...MemoryOption) *Memory {
	m := &Memory{clock: NewClock(nil), accounts: make(map[AccountID]*Account),
		requests: make(map[bandeira.Key]*Request), tombs: make(map[bandeira.Key]struct{})}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Apply performs e (see Engine.Apply) atomically, after expiring the holds that are due.
// Declines, duplicates, conflicts and unknown originals are statuses, not errors; the
// error wraps ErrInvalidEntry for a malformed entry (nothing changes). ctx is unused: the
// memory ledger never blocks on I/O.
func (m *Memory) Apply(_ context.Context, e Entry) (Outcome, error) {
	if err := e.Validate(); err != nil {
		return Outcome{}, err
	}
	e.Key = e.Key.Normal()
	m.mu.Lock()
	defer m.mu.Unlock()
	at := m.clock.Now()
	m.expire(at)
	r := m.requests[e.Key]
	in := Input{Entry: e, Account: m.account(e.Ref), Request: r, Seq: m.seq + 1, At: at}
	if r != nil && (e.Kind == Reverse || e.Kind == Capture) {
		in.Account = *m.accounts[r.Account] // the original's, whatever card the entry names
	}
	_, in.Tombstoned = m.tombs[e.Key]
	out, ch := m.engine.Apply(in)
	m.apply(&ch, e.Key)
	return out, nil
}

// Balances returns the account's balances after expiring the holds that are due; an
// account never touched reads as its opening.
func (m *Memory) Balances(_ context.Context, ref Ref) (Balances, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.clock.Now())
	a := m.account(ref)
	return a.Balances(), nil
}

// PINTry records one PIN verification on the account and returns the number of
// consecutive failures after it: a correct PIN (ok) resets the count to 0, a wrong one
// adds 1.
func (m *Memory) PINTry(_ context.Context, ref Ref, ok bool) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.clock.Now())
	n, ch := m.engine.PINTry(m.account(ref), ok)
	m.apply(&ch, bandeira.Key{})
	return n, nil
}

// Requests returns the number of requests the ledger remembers (approved and declined).
func (m *Memory) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.requests)
}

// account returns ref's account as stored, or as it is before its first use.
func (m *Memory) account(ref Ref) Account {
	if a := m.accounts[ref.ID]; a != nil {
		return *a
	}
	return NewAccount(ref)
}

// apply keeps what one decision changed; key is the entry's (for a tombstone).
func (m *Memory) apply(ch *Changes, key bandeira.Key) {
	if a := m.accounts[ch.Account.ID]; a != nil {
		*a = ch.Account
	} else if ch.Opened {
		a := ch.Account
		m.accounts[a.ID] = &a
	}
	for _, p := range ch.Postings() {
		m.totals[p.From] -= p.Amount
		m.totals[p.To] += p.Amount
	}
	var r *Request
	switch {
	case ch.NewRequest:
		r = new(Request)
		*r = ch.Request
		m.requests[r.Key] = r
		m.seq = r.Seq
	case ch.RequestChanged:
		r = m.requests[ch.Request.Key]
		*r = ch.Request
	}
	if ch.HoldPlaced() {
		m.holds = append(m.holds, r)
	}
	if ch.Tombstone {
		m.tombs[key] = struct{}{}
	}
}

// expire releases every open hold whose expiry has come at ledger time at.
func (m *Memory) expire(at int64) {
	for m.holdsHead < len(m.holds) {
		r := m.holds[m.holdsHead]
		if m.engine.ExpiresAt(r.At) > at {
			break
		}
		if a := m.accounts[r.Account]; a != nil {
			if ch, ok := m.engine.Expire(*a, r); ok {
				m.apply(&ch, r.Key)
			}
		}
		m.holds[m.holdsHead] = nil
		m.holdsHead++
	}
	if m.holdsHead > 1024 && m.holdsHead > len(m.holds)/2 {
		m.holds = append(m.holds[:0], m.holds[m.holdsHead:]...)
		m.holdsHead = 0
	}
}
