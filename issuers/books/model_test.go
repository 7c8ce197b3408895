package books_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// model is the plain reference for the books: maps, no SQL, no batching. Balance includes
// holds (ledger balance), as in ledger.Balances.
type model struct {
	accts map[ledger.AccountID]*ledger.Balances
	reqs  map[bandeira.Key]*mreq
	order []bandeira.Key
	tombs map[bandeira.Key]bool
	ttl   time.Duration
}

type mreq struct {
	acct           ledger.AccountID
	kind           ledger.Kind
	amount, open   bandeira.Amount
	status         ledger.Status
	authCode       string
	resolved, revd bool
	at             time.Time
}

func (m *model) acct(ref ledger.Ref) *ledger.Balances {
	b := m.accts[ref.ID]
	if b == nil {
		b = &ledger.Balances{Balance: ref.Opening.Balance, CreditLimit: ref.Opening.CreditLimit}
		m.accts[ref.ID] = b
	}
	return b
}

func (m *model) expire(now time.Time) {
	for _, k := range m.order {
		r := m.reqs[k]
		if r.kind == ledger.Hold && r.status == ledger.StatusApplied && !r.resolved && !r.at.Add(m.ttl).After(now) {
			m.accts[r.acct].Holds -= r.open
			r.open, r.resolved = 0, true
		}
	}
}

func (m *model) apply(e ledger.Entry, now time.Time) (ledger.Status, bandeira.Amount) {
	m.expire(now)
	r := m.reqs[e.Key]
	if e.Kind == ledger.Reverse || e.Kind == ledger.Capture {
		switch {
		case r == nil && e.Kind == ledger.Reverse:
			m.tombs[e.Key] = true
			m.acct(e.Ref)
			return ledger.StatusNotFound, 0
		case r == nil:
			return ledger.StatusNotFound, 0
		case r.acct != e.Ref.ID:
			return ledger.StatusConflict, 0
		case r.status != ledger.StatusApplied:
			return ledger.StatusNotFound, 0
		case r.resolved:
			return ledger.StatusAlreadyReversed, 0
		}
		if e.Kind == ledger.Capture {
			return m.capture(r, e.Amount)
		}
		return m.reverse(r, e.Replacement)
	}
	if r != nil {
		if r.acct != e.Ref.ID || r.kind != e.Kind || r.amount != e.Amount {
			return ledger.StatusConflict, 0
		}
		return ledger.StatusDuplicate, 0
	}
	b := m.acct(e.Ref)
	r = &mreq{acct: e.Ref.ID, kind: e.Kind, amount: e.Amount, at: now, status: ledger.StatusApplied}
	m.reqs[e.Key] = r
	m.order = append(m.order, e.Key)
	switch {
	case m.tombs[e.Key]:
		r.status = ledger.StatusTombstoned
	case e.Kind != ledger.Credit && b.Available() < e.Amount:
		r.status = ledger.StatusInsufficientFunds
	default:
		r.open, r.authCode = e.Amount, e.AuthCode
		switch e.Kind {
		case ledger.Hold:
			b.Holds += e.Amount
		case ledger.Debit:
			b.Balance -= e.Amount
		case ledger.Credit:
			b.Balance += e.Amount
		}
	}
	return r.status, 0
}

func (m *model) capture(r *mreq, amount bandeira.Amount) (ledger.Status, bandeira.Amount) {
	if r.kind != ledger.Hold {
		return ledger.StatusConflict, 0
	}
	b := m.accts[r.acct]
	c := min(amount, r.open)
	b.Holds -= r.open
	b.Balance -= c
	rest := r.open - c
	r.open, r.resolved = 0, true
	return ledger.StatusApplied, rest
}

func (m *model) reverse(r *mreq, repl *bandeira.Amount) (ledger.Status, bandeira.Amount) {
	if r.revd {
		return ledger.StatusAlreadyReversed, 0
	}
	b := m.accts[r.acct]
	var keep bandeira.Amount
	if repl != nil {
		keep = min(max(*repl, 0), r.open)
	}
	rel := r.open - keep
	switch r.kind {
	case ledger.Hold:
		b.Holds -= rel
	case ledger.Debit:
		b.Balance += rel
	case ledger.Credit:
		if b.Available() < rel {
			return ledger.StatusInsufficientFunds, 0
		}
		b.Balance -= rel
	}
	r.open, r.revd, r.resolved = keep, true, keep == 0
	return ledger.StatusApplied, rel
}

// TestModel runs seeded random operation sequences against the books and the reference
// model and requires the same statuses, amounts and balances after every operation, and
// a clean audit after every reopen and at the end. BOOKS_MODEL_SEEDS and BOOKS_MODEL_OPS
// scale it up; a divergence names its seed (rerun with BOOKS_MODEL_SEED=n).
func TestModel(t *testing.T) {
	seeds, ops := envInt("BOOKS_MODEL_SEEDS", 10), envInt("BOOKS_MODEL_OPS", 400)
	first := uint64(1)
	if s := envInt("BOOKS_MODEL_SEED", 0); s > 0 {
		first, seeds = uint64(s), 1
	}
	for seed := first; seed < first+uint64(seeds); seed++ {
		v := modelVariants[seed%uint64(len(modelVariants))]
		t.Run(fmt.Sprintf("seed %d agrees with the model (%s)", seed, v.name), func(t *testing.T) {
			runModel(t, seed, ops, books.WithKeyHash(books.Options{CacheRequests: v.cache}, v.hash))
		})
	}
}

// modelVariants run the model against the books with every request in the cache, with
// almost none (each retransmit, reversal, capture and expiry reads its request back from
// disk), and with a key hash that collides for most keys (the index's exact fallback).
var modelVariants = []struct {
	name  string
	cache int
	hash  func(bandeira.Key) uint64
}{
	{name: "default cache", cache: 0},
	{name: "cache of 1 request", cache: 1},
	{name: "cache of 3, colliding key hash", cache: 3, hash: func(k bandeira.Key) uint64 { return uint64(len(k.STAN)) }},
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

var modelRefs = []ledger.Ref{
	{ID: ledger.AccountID{BIN: "40000102", Serial: 1}, Opening: ledger.Opening{Balance: 10_000}},
	{ID: ledger.AccountID{BIN: "40000102", Serial: 2}, Opening: ledger.Opening{Balance: 2_500}},
	{ID: ledger.AccountID{BIN: "40000101", Serial: 3}, Opening: ledger.Opening{CreditLimit: 8_000}},
	{ID: ledger.AccountID{BIN: "52600103", Serial: 4}, Opening: ledger.Opening{Balance: 500}},
}

type modelRun struct {
	t     *testing.T
	rng   *rand.Rand
	path  string
	cfg   books.Config
	clock atomic.Int64
	bk    *books.Books
	m     *model
	keys  []bandeira.Key
	refOf map[bandeira.Key]ledger.Ref
	n     int
	opts  books.Options
}

func runModel(t *testing.T, seed uint64, ops int, opts books.Options) {
	r := &modelRun{opts: opts,
		t: t, rng: rand.New(rand.NewPCG(seed, 0xb00c5)), path: filepath.Join(t.TempDir(), "m.db"),
		cfg: books.DefaultConfig(), refOf: map[bandeira.Key]ledger.Ref{},
	}
	r.cfg.Synchronous = books.SyncOff // durability is the crash test's; this one checks logic
	r.m = &model{accts: map[ledger.AccountID]*ledger.Balances{}, reqs: map[bandeira.Key]*mreq{},
		tombs: map[bandeira.Key]bool{}, ttl: r.cfg.HoldExpiry}
	r.clock.Store(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC).UnixNano())
	r.open()
	defer func() { _ = r.bk.Close() }()
	for i := range ops {
		r.step(seed, i)
	}
	r.reopen(seed, ops)
}

func (r *modelRun) now() time.Time { return time.Unix(0, r.clock.Load()).UTC() }

func (r *modelRun) open() {
	opts := r.opts
	opts.Now = r.now
	bk, err := books.Open(context.Background(), r.path, r.cfg, opts)
	require.NoError(r.t, err)
	r.bk = bk
}

func (r *modelRun) reopen(seed uint64, i int) {
	require.NoError(r.t, r.bk.Close())
	rep, err := books.Audit(context.Background(), r.path)
	require.NoError(r.t, err)
	require.Empty(r.t, rep.Violations, "seed %d op %d: audit", seed, i)
	r.open()
	for _, ref := range modelRefs {
		got, err := r.bk.Balances(context.Background(), ref)
		require.NoError(r.t, err)
		want := ledger.Balances{Balance: ref.Opening.Balance, CreditLimit: ref.Opening.CreditLimit}
		if b := r.m.accts[ref.ID]; b != nil {
			want = *b
		}
		require.Equal(r.t, want, got, "seed %d op %d: balances after reopen", seed, i)
	}
}

func (r *modelRun) newKey() bandeira.Key {
	r.n++
	return newKey("12345", "T1", strconv.Itoa(r.n), "1126120000")
}

// entry draws the next operation.
func (r *modelRun) entry() ledger.Entry {
	ref := modelRefs[r.rng.IntN(len(modelRefs))]
	amount := bandeira.Amount(1 + r.rng.IntN(3_000))
	old := func() (bandeira.Key, ledger.Ref) {
		if len(r.keys) == 0 {
			return r.newKey(), ref
		}
		k := r.keys[r.rng.IntN(len(r.keys))]
		return k, r.refOf[k]
	}
	switch p := r.rng.IntN(100); {
	case p < 35:
		return ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: r.newKey(), Amount: amount, AuthCode: "A" + strconv.Itoa(r.n)}
	case p < 42:
		return ledger.Entry{Ref: ref, Kind: ledger.Debit, Key: r.newKey(), Amount: amount, AuthCode: "D" + strconv.Itoa(r.n)}
	case p < 48:
		return ledger.Entry{Ref: ref, Kind: ledger.Credit, Key: r.newKey(), Amount: amount, AuthCode: "R" + strconv.Itoa(r.n)}
	case p < 58:
		k, rf := old()
		return ledger.Entry{Ref: rf, Kind: ledger.Capture, Key: k, Amount: amount}
	case p < 68:
		k, rf := old()
		return ledger.Entry{Ref: rf, Kind: ledger.Reverse, Key: k}
	case p < 74:
		k, rf := old()
		repl := bandeira.Amount(r.rng.IntN(2_000))
		return ledger.Entry{Ref: rf, Kind: ledger.Reverse, Key: k, Replacement: &repl}
	case p < 82: // an identical retransmit or repeat of an earlier request
		k, _ := old()
		if q := r.m.reqs[k]; q != nil {
			return ledger.Entry{Ref: r.refOf[k], Kind: q.kind, Key: k, Amount: q.amount, AuthCode: "X"}
		}
		return ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: k, Amount: amount, AuthCode: "Y"}
	case p < 88: // the same key with another amount or another card
		k, rf := old()
		return ledger.Entry{Ref: rf, Kind: ledger.Hold, Key: k, Amount: amount + 7, AuthCode: "Z"}
	default: // a reversal before its original: the original comes later as an old key
		k := r.newKey()
		return ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: k}
	}
}

func (r *modelRun) step(seed uint64, i int) {
	switch p := r.rng.IntN(100); {
	case p < 4:
		r.clock.Add(int64(time.Duration(r.rng.IntN(72)) * time.Hour))
	case p < 5:
		r.clock.Add(int64(8 * 24 * time.Hour))
	case p < 7:
		r.reopen(seed, i)
		return
	}
	e := r.entry()
	if _, ok := r.refOf[e.Key]; !ok {
		r.refOf[e.Key] = e.Ref
		r.keys = append(r.keys, e.Key)
	}
	wantSt, wantRel := r.m.apply(e, r.now())
	out, err := r.bk.Apply(context.Background(), e)
	require.NoError(r.t, err, "seed %d op %d", seed, i)
	msg := fmt.Sprintf("seed %d op %d: %s %+v", seed, i, e.Kind, e.Key)
	require.Equal(r.t, wantSt, out.Status, msg)
	require.Equal(r.t, wantRel, out.Released, msg)
	want := *r.m.acct(e.Ref)
	require.Equal(r.t, want, out.Balances, msg)
	if q := r.m.reqs[e.Key]; wantSt == ledger.StatusDuplicate {
		require.Equal(r.t, q.authCode, out.Record.AuthCode, msg)
		require.Equal(r.t, q.status, out.Record.Status, msg)
	}
}
