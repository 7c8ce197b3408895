package store

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of the Writer, unless WriterConfig names the owner's own.
var (
	// ErrClosed reports a call after Close.
	ErrClosed = errors.New("store: closed")
	// ErrFailed reports that an earlier commit failed: the owner's memory may be ahead of
	// the disk, so the store takes nothing more until it is reopened.
	ErrFailed = errors.New("store: failed")
)

// Batch is the changes one transaction commits and the calls that wait for it. Batches
// are numbered from 1 in commit order.
type Batch[C any] struct {
	// Changes are what the batch will commit. The owner adds to them under its mutex
	// while the batch is current; the Writer hands them to WriterConfig.Take.
	Changes C
	seq     uint64
	calls   int
	done    chan struct{}
	err     error
}

func newBatch[C any](seq uint64) *Batch[C] { return &Batch[C]{seq: seq, done: make(chan struct{})} }

// Seq returns the batch's sequence number: the Writer commits batch n+1 only after n.
func (b *Batch[C]) Seq() uint64 { return b.seq }

// Wait blocks until the batch, and so every batch before it, has committed (nil), has
// failed (the Writer's failure), or ctx ends (ctx.Err(); the batch may still commit).
func (b *Batch[C]) Wait(ctx context.Context) error {
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WriterConfig is what a Writer needs from its owner. C is the type of a batch's
// changes, R the rows the Writer takes out of them to commit.
type WriterConfig[C, R any] struct {
	// Mu is the owner's mutex, under which its state changes and calls join the current
	// batch. The Writer takes it to swap batches and to record each outcome.
	Mu *sync.Mutex
	// Take runs under Mu when the Writer takes a batch: it returns the rows the batch
	// commits, copied out of the owner's state, so that later batches cannot change
	// them.
	Take func(c *C) R
	// Stage runs on the Writer's goroutine, outside Mu: it stages rows on Inserts (with
	// Insert.Add). A batch that stages nothing commits no transaction.
	Stage func(rows R)
	// Inserts are the owner's INSERTs, written in this order in each transaction.
	Inserts []*Insert
	// Write, if set, commits the rows itself instead of Stage and Inserts: the Writer of
	// a store that is not an SQLite database (a Log: Add every row, then Commit), made by
	// NewWriter with a nil DB. It runs on the Writer's goroutine, outside Mu; an error
	// fails the Writer for good, as a failed transaction does.
	Write func(rows R) error
	// Committed, if set, runs under Mu after batch seq committed (or had nothing to
	// write), before its calls are released.
	Committed func(seq uint64, rows R)
	// Failed, if set, runs under Mu once, when the first commit fails (to log it).
	Failed func(err error)
	// Metrics gets commit counts, durations and calls per commit.
	Metrics Metrics
	// ErrClosed and ErrFailed are the errors of calls after Close and after a failed
	// commit; nil means the store's own.
	ErrClosed, ErrFailed error
}

// Writer is the group-commit writer of one DB. Callers change the owner's in-memory state
// and join the current batch under the owner's mutex (Do, or Err, Batch and Join); one
// goroutine takes each batch, writes it in one transaction and only then releases its
// calls. Batches commit in order, so a call released has every earlier batch committed
// too. The first failed commit fails the Writer for good: that batch and every later call
// get ErrFailed. Close commits what is pending and is idempotent.
type Writer[C, R any] struct {
	db        *DB
	cfg       WriterConfig[C, R]
	cur       *Batch[C]
	committed uint64
	closed    bool
	failed    error
	kick      chan struct{}
	joined    atomic.Int64 // calls joined so far, read without Mu by drain
	done      chan struct{}
	session   session // only the Writer's goroutine, then Close, use it
	closeOnce sync.Once
	closeErr  error
}

// NewWriter starts the Writer of db. Only it writes to db from now on. db is nil for a
// Writer whose WriterConfig.Write commits.
func NewWriter[C, R any](db *DB, cfg WriterConfig[C, R]) *Writer[C, R] {
	if cfg.ErrClosed == nil {
		cfg.ErrClosed = ErrClosed
	}
	if cfg.ErrFailed == nil {
		cfg.ErrFailed = ErrFailed
	}
	w := &Writer[C, R]{db: db, cfg: cfg, cur: newBatch[C](1), kick: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w
}

// Do runs f under Mu with the current batch and then counts the caller as one of the
// batch's calls, even when f fails (the batch commits whatever f changed). It returns the
// batch to Wait on and f's error. After Close or a failed commit it fails (ErrClosed,
// ErrFailed) without running f.
func (w *Writer[C, R]) Do(f func(b *Batch[C]) error) (*Batch[C], error) {
	w.cfg.Mu.Lock()
	defer w.cfg.Mu.Unlock()
	if err := w.Err(); err != nil {
		return nil, err
	}
	bt := w.cur
	err := f(bt)
	w.Join()
	return bt, err
}

// Err returns ErrClosed after Close, ErrFailed (wrapping the commit's error) after a
// failed commit, and nil while the Writer takes calls. Mu must be held.
func (w *Writer[C, R]) Err() error {
	if w.closed {
		return w.cfg.ErrClosed
	}
	return w.failed
}

// Batch returns the current batch, which the owner may add changes to. Mu must be held.
func (w *Writer[C, R]) Batch() *Batch[C] { return w.cur }

// Join counts one more call waiting on the current batch, wakes the Writer and returns the
// batch. Mu must be held, and Err must have been nil under the same hold.
func (w *Writer[C, R]) Join() *Batch[C] {
	w.cur.calls++
	w.joined.Add(1)
	if !w.closed {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
	return w.cur
}

// Committed returns the sequence number of the last batch committed: an item changed by a
// later batch is not current on disk yet. Mu must be held.
func (w *Writer[C, R]) Committed() uint64 { return w.committed }

// Close commits the pending batches, stops the Writer and closes its prepared statements
// (not the DB). Calls after it fail with ErrClosed. It is idempotent.
func (w *Writer[C, R]) Close() error {
	w.closeOnce.Do(func() {
		w.cfg.Mu.Lock()
		w.closed = true
		close(w.kick)
		w.cfg.Mu.Unlock()
		<-w.done
		if w.db != nil {
			w.closeErr = w.raw(func(_ context.Context, c driverConn) error { return w.session.close(c, w.cfg.Inserts) })
		}
	})
	return w.closeErr
}

// run is the Writer's goroutine: it commits whenever woken, until Close closes kick; then
// it commits what is left and returns.
func (w *Writer[C, R]) run() {
	defer close(w.done)
	for range w.kick {
		w.drain()
	}
	w.drain()
}

// CommitsSkipped reports whether this is a benchnostore build, whose Writers write nothing
// (commits.go): the binary says so when it starts.
func CommitsSkipped() bool { return skipCommits }

// maxYields bounds the yields drain makes while calls keep joining the current batch.
const maxYields = 8

// drain commits batches until the current one has no calls.
//
// It yields before taking each batch. Releasing a batch (close(done)) readies its calls on
// the Writer's P; without the yield they wait there until the Writer blocks in a syscall
// or another P steals them, and the callers that would join the next batch wait too, so
// batches shrink and every call pays for more commits. With the yield they run first and
// the next batch fills; when nothing else is runnable it costs nothing. docs/ledger.md
// has the measurements (about 2.5× on the end-to-end round trip). Then, as long as calls
// keep joining between two yields (at most maxYields times), it yields again: under load
// the batch takes in the callers that were about to join, a fifth fewer commits per
// answer (docs/performance.md); on an idle store nothing joins and it commits at once.
func (w *Writer[C, R]) drain() {
	for {
		runtime.Gosched()
		for i, n := 0, w.joined.Load(); i < maxYields; i++ {
			runtime.Gosched()
			m := w.joined.Load()
			if m == n {
				break
			}
			n = m
		}
		w.cfg.Mu.Lock()
		bt := w.cur
		if bt.calls == 0 {
			w.cfg.Mu.Unlock()
			return
		}
		w.cur = newBatch[C](bt.seq + 1)
		rows := w.cfg.Take(&bt.Changes)
		var none C
		bt.Changes = none // keep nothing alive through the batch the callers hold
		calls, err := bt.calls, w.failed
		w.cfg.Mu.Unlock()
		if err == nil {
			err = w.commit(rows, calls)
		}
		w.cfg.Mu.Lock()
		bt.err = w.settle(bt.seq, rows, err)
		w.cfg.Mu.Unlock()
		close(bt.done)
	}
}

// settle records batch seq's outcome under Mu and returns the error its calls get.
func (w *Writer[C, R]) settle(seq uint64, rows R, err error) error {
	if err == nil {
		w.committed = seq
		if w.cfg.Committed != nil {
			w.cfg.Committed(seq, rows)
		}
		return nil
	}
	if w.failed == nil {
		w.failed = fmt.Errorf("%w: %w", w.cfg.ErrFailed, err)
		if w.cfg.Failed != nil {
			w.cfg.Failed(err)
		}
	}
	return w.failed
}

// commit writes rows: through WriterConfig.Write, or staged on the Inserts and written in
// one transaction (nothing staged, no transaction). A benchnostore build writes nothing
// (commits.go).
func (w *Writer[C, R]) commit(rows R, calls int) error {
	statements := 0
	if w.cfg.Write == nil {
		w.cfg.Stage(rows)
		for _, in := range w.cfg.Inserts {
			statements += in.statements()
		}
		defer func() {
			for _, in := range w.cfg.Inserts {
				in.reset()
			}
		}()
		if statements == 0 {
			return nil
		}
	}
	if skipCommits {
		return nil
	}
	start := time.Now()
	if err := w.write(rows, statements); err != nil {
		return err
	}
	w.cfg.Metrics.committed(calls, time.Since(start))
	return nil
}

// write hands rows to WriterConfig.Write, or writes the staged Inserts, which take
// statements statements, in one transaction.
func (w *Writer[C, R]) write(rows R, statements int) error {
	if w.cfg.Write != nil {
		return w.cfg.Write(rows)
	}
	return w.raw(func(ctx context.Context, c driverConn) error {
		return w.session.write(ctx, c, w.cfg.Inserts, statements)
	})
}

// raw runs f on the writer's driver connection, which it holds meanwhile.
func (w *Writer[C, R]) raw(f func(ctx context.Context, c driverConn) error) error {
	ctx := context.Background()
	conn, err := w.db.W.Conn(ctx)
	if err != nil {
		return fmt.Errorf("taking the writer's connection: %w", err)
	}
	defer func() { _ = conn.Close() }()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(driverConn)
		if !ok {
			return fmt.Errorf("the driver's connection (%T) cannot prepare statements", dc)
		}
		return f(ctx, c)
	})
}
