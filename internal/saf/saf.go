// Package saf is store-and-forward: durable queues of messages that a party must deliver
// (the acquirer's reversals, a network's stand-in advices), each delivered until its
// receiver answers, whatever happens to the link or to either process in between.
//
// A Store is one SQLite database on the storage core holding any number of named queues,
// one per link. Enqueue returns once its item is committed, so an item survives kill -9
// and power loss; Open loads every item without an outcome. A queue's sender delivers its
// items in order of when they are due: the first attempt at once with the item's own MTI
// (0400, 0420, 0120...), every later one with the repeat MTI (0401, 0421, 0121...), after a
// capped exponential back-off with jitter. An answer ends an item: acknowledged when it
// is 00, refused for any other code but 91 and 96, which (like an error or a timeout) mean
// the receiver could not decide and the item is tried again. Messages about one
// transaction (items naming the same original, bandeira.Authorization.OriginalKey) go in
// the order they were enqueued: an item waits until those before it are answered, so that
// a reversal never overtakes the stand-in advice of its original. An item older than MaxAge is
// dropped with an error log. Receivers deduplicate by the request key, so a message
// delivered twice (its outcome was not yet committed when the process died) is applied
// once.
//
// Nothing stored holds card data in clear: a message is stored packed and sealed
// (internal/seal), without its CVV2 and PIN block, which are never stored; the table holds
// its key and MTI for inspection.
package saf

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/iso"
)

// Errors of the Store.
var (
	// ErrClosed reports an Enqueue after Close.
	ErrClosed = errors.New("saf: closed")
	// ErrFailed reports that a commit failed: the store takes nothing more until reopened.
	ErrFailed = errors.New("saf: failed")
)

// Options are the settings and collaborators of Open. Zero fields take their defaults.
type Options struct {
	// Synchronous is SQLite's synchronous setting: full (default), normal or off.
	Synchronous string
	// Sealer seals the stored messages. Required.
	Sealer *seal.Sealer
	// Log gets component=saf.
	Log zerolog.Logger
	// Metrics may be nil.
	Metrics *Metrics
	// Now is the clock of due times and ages; nil means time.Now.
	Now func() time.Time
	// BackoffMin and BackoffMax bound the wait before another attempt: BackoffMin after
	// the first failure, doubling up to BackoffMax, each wait jittered between half and
	// all of its step. Defaults 1 s and 60 s.
	BackoffMin, BackoffMax time.Duration
	// MaxAge is how long an item is tried before it is dropped; default 24 h.
	MaxAge time.Duration
	// AttemptTimeout bounds one delivery attempt; default 10 s.
	AttemptTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(60*time.Second, o.BackoffMin)
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 24 * time.Hour
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 10 * time.Second
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	return o
}

// Deliverer delivers one message and returns its receiver's answer: a bandeira.Authorizer,
// the receiving party in process or an iso.Client linked to it.
type Deliverer interface {
	Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error)
}

// Store is one database of queues. It is safe for concurrent use.
type Store struct {
	opts   Options
	log    zerolog.Logger
	db     *store.DB
	w      *store.Writer[changes, changes]
	items  *store.Insert
	outs   *store.Insert
	mu     sync.Mutex // guards what follows, and is the Writer's mutex
	nextID int64
	queues map[string]*Queue
	loaded map[string][]*item // loaded at Open for queues not started yet
	// waiting indexes the items not yet delivered (or being committed), so that the same
	// message is queued once however often it is enqueued.
	waiting map[waitKey]*waiter
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
}

// waitKey names a message in a queue: its key and its MTI, a repeat counting as its
// original (0421 is 0420).
type waitKey struct {
	queue, key string
	mti        bandeira.MTI
}

func (it *item) waitKey() waitKey { return waitKey{it.queue, it.key, it.msg.MTI.Original()} }

// waiter is an item in the waiting index: done is closed once its commit ended, with err
// its failure (then it is no longer in the index).
type waiter struct {
	done chan struct{}
	err  error
}

// committed is the waiter of an item already stored.
func committed() *waiter {
	w := &waiter{done: make(chan struct{})}
	close(w.done)
	return w
}

// item is one message waiting in a queue.
type item struct {
	id       int64
	queue    string
	key      string
	orig     bandeira.Key // the transaction it is about: its original's key (field 90), normal form
	enqueued time.Time
	msg      bandeira.Authorization
	attempts int
	due      time.Time
}

// Open opens (creating it if needed) the store at path and loads every item without an
// outcome. No queue sends until Start names its Deliverer.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Sealer == nil {
		return nil, errors.New("saf: opening a store: no sealer")
	}
	opts = opts.withDefaults()
	db, err := store.Open(ctx, path, store.Config{Synchronous: opts.Synchronous, Migrations: migrations})
	if err != nil {
		return nil, fmt.Errorf("opening the store-and-forward queues: %w", err)
	}
	s := &Store{opts: opts, log: opts.Log.With().Str("component", "saf").Logger(), db: db,
		items: store.NewInsert(insertItem, "", itemColumns), outs: store.NewInsert(insertOutcome, "", outcomeColumns),
		queues: make(map[string]*Queue), loaded: make(map[string][]*item), waiting: make(map[waitKey]*waiter),
		stop: make(chan struct{})}
	if err := s.load(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening the store-and-forward queues %s: %w", path, err)
	}
	s.w = store.NewWriter(db, store.WriterConfig[changes, changes]{
		Mu:      &s.mu,
		Take:    func(c *changes) changes { return *c },
		Stage:   s.stage,
		Inserts: []*store.Insert{s.items, s.outs},
		Failed: func(err error) {
			s.log.Error().Err(err).Msg("commit failed; the queues take nothing more until reopened")
		},
		ErrClosed: ErrClosed, ErrFailed: ErrFailed,
	})
	for name, its := range s.loaded {
		s.opts.Metrics.depth(name, len(its))
	}
	return s, nil
}

// Start starts delivering queue name's items to d, those loaded at Open included, and
// returns the queue. Starting a queue twice returns the first one.
func (s *Store) Start(name string, d Deliverer) *Queue {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q, ok := s.queues[name]; ok {
		return q
	}
	q := &Queue{s: s, name: name, d: d, wake: make(chan struct{}, 1), pending: s.loaded[name]}
	delete(s.loaded, name)
	s.queues[name] = q
	s.opts.Metrics.depth(name, len(q.pending))
	if !s.closed {
		s.wg.Add(1)
		go q.run()
	}
	return q
}

// Enqueue stores a to be delivered on queue name (which need not be started yet) and
// returns once it is committed. The CVV2 and PIN block are dropped first: they are never
// stored. A message that waits in the queue already (the same key and MTI, a repeat
// counting as its original) is not stored twice: Enqueue returns once that one is
// committed, so a party that gives up on the same request again and again owes its
// receiver one message. The error is ErrClosed, ErrFailed, ctx's, or a message that cannot
// be packed.
func (s *Store) Enqueue(ctx context.Context, name string, a bandeira.Authorization) error {
	a.CVV2, a.PINBlock, a.Track2Present = "", "", false
	now := s.opts.Now()
	it := &item{queue: name, key: keyText(a.Key()), orig: a.OriginalKey().Normal(), enqueued: now, msg: a, due: now}
	wk := it.waitKey()
	s.mu.Lock()
	w, queued := s.waiting[wk]
	if !queued {
		w = &waiter{done: make(chan struct{})}
		s.waiting[wk] = w
	}
	s.mu.Unlock()
	if queued { // the same message waits already: it goes, once its commit is done
		select {
		case <-w.done:
		case <-ctx.Done():
			return fmt.Errorf("enqueueing a %s: %w", a.MTI, ctx.Err())
		}
		if w.err != nil {
			return fmt.Errorf("enqueueing a %s: %w", a.MTI, w.err)
		}
		return nil
	}
	if w.err = s.store(ctx, it); w.err != nil {
		s.mu.Lock()
		delete(s.waiting, wk)
		s.mu.Unlock()
		close(w.done)
		return fmt.Errorf("enqueueing a %s: %w", a.MTI, w.err)
	}
	close(w.done)
	s.add(it)
	return nil
}

// store commits it, sealed, and gives it its id.
func (s *Store) store(ctx context.Context, it *item) error {
	body, err := iso.Pack(iso.FromAuthorization(it.msg))
	if err != nil {
		return err
	}
	sealed := s.opts.Sealer.Seal(body)
	bt, err := s.w.Do(func(b *store.Batch[changes]) error {
		it.id = s.nextID
		s.nextID++
		b.Changes.items = append(b.Changes.items, itemRow{id: it.id, queue: it.queue, at: it.enqueued.UnixNano(),
			mti: string(it.msg.MTI), key: it.key, payload: sealed})
		return nil
	})
	if err != nil {
		return err
	}
	return bt.Wait(ctx)
}

// add puts a committed item in its queue, or aside until the queue starts.
func (s *Store) add(it *item) {
	s.mu.Lock()
	q := s.queues[it.queue]
	if q == nil {
		s.loaded[it.queue] = inOrder(s.loaded[it.queue], it)
		s.opts.Metrics.depth(it.queue, len(s.loaded[it.queue]))
		s.mu.Unlock()
		return
	}
	for _, p := range q.pending {
		if p.orig == it.orig && p.due.After(it.due) {
			p.due = it.due // a newcomer waits behind them: try them now
		}
	}
	q.pending = inOrder(q.pending, it)
	s.opts.Metrics.depth(q.name, len(q.pending))
	s.mu.Unlock()
	q.poke()
}

// inOrder appends it to its, items in id order (the order of enqueueing), and keeps that
// order: a concurrent Enqueue committed in the same batch may be added first.
func inOrder(its []*item, it *item) []*item {
	its = append(its, it)
	for i := len(its) - 1; i > 0 && its[i-1].id > it.id; i-- {
		its[i-1], its[i] = its[i], its[i-1]
	}
	return its
}

// Holds reports whether queue name holds a message about the transaction whose original
// has key k (bandeira.Authorization.OriginalKey): an item enqueued after it is delivered
// only once those before it are answered, so a party can keep a later message about the
// transaction from overtaking them.
func (s *Store) Holds(name string, k bandeira.Key) bool {
	k = k.Normal()
	s.mu.Lock()
	defer s.mu.Unlock()
	its := s.loaded[name]
	if q := s.queues[name]; q != nil {
		its = q.pending
	}
	for _, it := range its {
		if it.orig == k {
			return true
		}
	}
	return false
}

// Depth returns how many items wait in each queue, started or not.
func (s *Store) Depth() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int)
	for name, q := range s.queues {
		out[name] = len(q.pending)
	}
	for name, its := range s.loaded {
		out[name] += len(its)
	}
	return out
}

// finish records an item's outcome; the commit is not waited for (a crash before it only
// makes the item go again, which its receiver recognises).
func (s *Store) finish(it *item, result, code string) {
	s.mu.Lock()
	delete(s.waiting, it.waitKey())
	s.mu.Unlock()
	now := s.opts.Now()
	_, _ = s.w.Do(func(b *store.Batch[changes]) error {
		b.Changes.outcomes = append(b.Changes.outcomes, outcomeRow{itemID: it.id, at: now.UnixNano(),
			attempts: it.attempts, result: result, code: code})
		return nil
	})
}

// Close stops the senders (an attempt in flight is abandoned; its item stays pending),
// commits what is pending and closes the database. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
	return errors.Join(s.w.Close(), s.db.Close())
}
