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

// model is the plain reference for the books: maps, no SQL, no batching, no engine.
// Balance includes holds (ledger balance), as in ledger.Balances.
type model struct {
	accts   map[ledger.AccountID]*ledger.Balances
	pinFail map[ledger.AccountID]int
	reqs    map[bandeira.Key]*mreq
	order   []bandeira.Key // holds in the order they were placed
	tombs   map[bandeira.Key]bool
	ttl     time.Duration
}

// mreq is a remembered request: open is the amount in effect (held, captured or posted).
type mreq struct {
	acct      ledger.AccountID
	kind      ledger.Kind
	typ       uint32
	amount    bandeira.Amount
	open      bandeira.Amount
	status    ledger.Status
	code      bandeira.ResponseCode
	authCode  string
	state     ledger.State
	revd, sti bool
	at        time.Time
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
		if r.kind == ledger.Hold && r.state == ledger.StateOpen && !r.at.Add(m.ttl).After(now) {
			m.accts[r.acct].Holds -= r.open
			r.open, r.state = 0, ledger.StateExpired
		}
	}
}

// apply returns the status, the amount released and the account the entry acted on.
func (m *model) apply(e ledger.Entry, now time.Time) (ledger.Status, bandeira.Amount, ledger.AccountID) {
	m.expire(now)
	r := m.reqs[e.Key]
	switch {
	case e.Kind == ledger.Reverse:
		return m.reverse(e, r)
	case e.Kind == ledger.Capture:
		return m.capture(e, r)
	case r == nil:
		return m.fresh(e, now), 0, e.Ref.ID
	case !sameBody(r, e):
		return ledger.StatusConflict, 0, e.Ref.ID
	case e.StandIn && (r.status == ledger.StatusInsufficientFunds || r.status == ledger.StatusDeclined) &&
		!r.revd && !m.tombs[e.Key]:
		r.status, r.code, r.sti, r.at, r.authCode = ledger.StatusApplied, "", true, now, e.AuthCode
		m.approve(e.Key, r)
		return ledger.StatusApplied, 0, r.acct
	}
	return ledger.StatusDuplicate, 0, e.Ref.ID
}

// sameBody: the card, the amount and the type (0 matches any); the kind, except that a
// stand-in advice may name a debit as a hold.
func sameBody(r *mreq, e ledger.Entry) bool {
	typeOK := r.typ == 0 || e.Type == 0 || r.typ == e.Type
	kindOK := r.kind == e.Kind
	if e.StandIn && (r.kind == ledger.Hold || r.kind == ledger.Debit) && (e.Kind == ledger.Hold || e.Kind == ledger.Debit) {
		kindOK, typeOK = true, r.typ == 0 || e.Type == 0 || r.typ%1_000_000 == e.Type%1_000_000
	}
	return r.acct == e.Ref.ID && r.amount == e.Amount && typeOK && kindOK
}

// fresh decides a request under a new key: PIN, the bank's decline, tombstone, funds.
func (m *model) fresh(e ledger.Entry, now time.Time) ledger.Status {
	b := m.acct(e.Ref)
	r := &mreq{acct: e.Ref.ID, kind: e.Kind, typ: e.Type, amount: e.Amount, at: now, state: ledger.StateDeclined}
	m.reqs[e.Key] = r
	switch e.PIN {
	case ledger.PINWrong:
		m.pinFail[e.Ref.ID]++
		r.status, r.code = ledger.StatusDeclined, bandeira.IncorrectPIN
		if m.pinFail[e.Ref.ID] >= e.PINTries {
			r.code = bandeira.PINTriesExceeded
		}
		return r.status
	case ledger.PINRight:
		m.pinFail[e.Ref.ID] = 0
	}
	switch {
	case e.Decline != "":
		r.status, r.code = ledger.StatusDeclined, e.Decline
	case m.tombs[e.Key]:
		r.status = ledger.StatusTombstoned
	case e.Kind != ledger.Credit && e.Kind != ledger.Inquiry && !e.StandIn && b.Available() < e.Amount:
		r.status = ledger.StatusInsufficientFunds
	default:
		r.status, r.authCode, r.sti = ledger.StatusApplied, e.AuthCode, e.StandIn
		m.approve(e.Key, r)
	}
	return r.status
}

// approve moves an approved request's money.
func (m *model) approve(k bandeira.Key, r *mreq) {
	b := m.accts[r.acct]
	r.open, r.state = r.amount, ledger.StateOpen
	switch r.kind {
	case ledger.Hold:
		b.Holds += r.amount
		m.order = append(m.order, k)
	case ledger.Debit:
		b.Balance -= r.amount
	case ledger.Credit:
		b.Balance += r.amount
	default:
		r.open, r.state = 0, ledger.StateAnswered
	}
}

func (m *model) capture(e ledger.Entry, r *mreq) (ledger.Status, bandeira.Amount, ledger.AccountID) {
	switch {
	case r == nil:
		return ledger.StatusNotFound, 0, e.Ref.ID
	case r.status != ledger.StatusApplied:
		return ledger.StatusNotFound, 0, r.acct
	case r.kind != ledger.Hold:
		return ledger.StatusConflict, 0, r.acct
	case r.state != ledger.StateOpen:
		return ledger.StatusAlreadyReversed, 0, r.acct
	}
	b := m.accts[r.acct]
	c := min(e.Amount, r.open)
	b.Holds -= r.open
	b.Balance -= c
	rest := r.open - c
	r.open, r.state = c, ledger.StateCaptured
	return ledger.StatusApplied, rest, r.acct
}

// reverse brings the amount in effect down to min(it, field 95 or 0).
func (m *model) reverse(e ledger.Entry, r *mreq) (ledger.Status, bandeira.Amount, ledger.AccountID) {
	switch {
	case r == nil:
		m.tombs[e.Key] = true
		return ledger.StatusNotFound, 0, e.Ref.ID
	case r.status != ledger.StatusApplied:
		r.revd = true
		return ledger.StatusNotFound, 0, r.acct
	case r.state != ledger.StateOpen && r.state != ledger.StateCaptured:
		return ledger.StatusAlreadyReversed, 0, r.acct
	}
	b := m.accts[r.acct]
	var keep bandeira.Amount
	if e.Replacement != nil {
		keep = min(max(*e.Replacement, 0), r.open)
	}
	rel := r.open - keep
	if rel == 0 {
		return ledger.StatusAlreadyReversed, 0, r.acct
	}
	switch {
	case r.kind == ledger.Hold && r.state == ledger.StateCaptured, r.kind == ledger.Debit:
		b.Balance += rel
	case r.kind == ledger.Hold:
		b.Holds -= rel
	case r.kind == ledger.Credit:
		if b.Available() < rel {
			return ledger.StatusInsufficientFunds, 0, r.acct
		}
		b.Balance -= rel
	}
	r.open, r.revd = keep, true
	if keep == 0 {
		r.state = ledger.StateReversed
	}
	return ledger.StatusApplied, rel, r.acct
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
		tombs: map[bandeira.Key]bool{}, pinFail: map[ledger.AccountID]int{}, ttl: r.cfg.HoldExpiry}
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

// The types of the model's requests (ledger.TypeOf).
const (
	typeHold    uint32 = 1_000_000
	typeDebit   uint32 = 2_000_000
	typeCredit  uint32 = 2_200_000
	typeInquiry uint32 = 1_310_000
)

// entry draws the next operation. Reversals and captures name a random card half the
// time: they act on their original's account whatever card they name.
func (r *modelRun) entry() ledger.Entry {
	ref := modelRefs[r.rng.IntN(len(modelRefs))]
	amount := bandeira.Amount(1 + r.rng.IntN(3_000))
	old := func() (bandeira.Key, ledger.Ref) {
		if len(r.keys) == 0 {
			return r.newKey(), ref
		}
		k := r.keys[r.rng.IntN(len(r.keys))]
		if r.rng.IntN(2) == 0 {
			return k, ref
		}
		return k, r.refOf[k]
	}
	fresh := func(kind ledger.Kind, typ uint32, code string) ledger.Entry {
		return ledger.Entry{Ref: ref, Kind: kind, Key: r.newKey(), Amount: amount, Type: typ, AuthCode: code + strconv.Itoa(r.n)}
	}
	switch p := r.rng.IntN(100); {
	case p < 25:
		return fresh(ledger.Hold, typeHold, "A")
	case p < 31:
		return fresh(ledger.Debit, typeDebit, "D")
	case p < 35:
		return fresh(ledger.Credit, typeCredit, "R")
	case p < 38:
		e := fresh(ledger.Inquiry, typeInquiry, "I")
		e.Amount = 0
		return e
	case p < 42:
		return r.declined(fresh(ledger.Hold, typeHold, "N"))
	case p < 46: // a PIN check, right or wrong
		e := fresh(ledger.Hold, typeHold, "P")
		e.PIN, e.PINTries = []ledger.PINCheck{ledger.PINRight, ledger.PINWrong}[r.rng.IntN(2)], 3
		return e
	case p < 51:
		return r.standIn(fresh(ledger.Hold, typeHold, "S"))
	case p < 58:
		k, rf := old()
		return ledger.Entry{Ref: rf, Kind: ledger.Capture, Key: k, Amount: amount}
	case p < 66:
		k, rf := old()
		return ledger.Entry{Ref: rf, Kind: ledger.Reverse, Key: k}
	case p < 74:
		k, rf := old()
		repl := bandeira.Amount(r.rng.IntN(2_000))
		return ledger.Entry{Ref: rf, Kind: ledger.Reverse, Key: k, Replacement: &repl}
	case p < 81: // an identical retransmit or repeat of an earlier request, a wrong PIN uncounted
		return r.retransmit(ref, amount)
	case p < 87: // the same key with another amount, card or type
		k, rf := old()
		return ledger.Entry{Ref: rf, Kind: ledger.Hold, Key: k, Amount: amount + 7, Type: []uint32{0, typeHold}[r.rng.IntN(2)], AuthCode: "Z"}
	default: // a reversal before its original: the original comes later as an old key
		return ledger.Entry{Ref: ref, Kind: ledger.Reverse, Key: r.newKey()}
	}
}

// declined gives e a decline the bank decided (an amount decline with amount zero).
func (r *modelRun) declined(e ledger.Entry) ledger.Entry {
	e.Decline = []bandeira.ResponseCode{bandeira.CVV2Mismatch, bandeira.ExpiredCard, bandeira.ExceedsAmountLimit,
		bandeira.InvalidAmount}[r.rng.IntN(4)]
	if e.Decline == bandeira.InvalidAmount {
		e.Amount = 0
	}
	return e
}

// standIn turns e into a stand-in advice: approved beyond the balance, on a new key or on
// the key of an earlier request with its body (a debit's advice comes as a hold), or
// declined.
func (r *modelRun) standIn(e ledger.Entry) ledger.Entry {
	e.StandIn, e.Amount = true, e.Amount*4
	if len(r.keys) > 0 && r.rng.IntN(2) == 0 {
		k := r.keys[r.rng.IntN(len(r.keys))]
		e.Key, e.Ref = k, r.refOf[k]
		if q := r.m.reqs[k]; q != nil && q.amount > 0 {
			e.Kind, e.Amount, e.Type = q.kind, q.amount, q.typ
			if q.kind == ledger.Debit {
				e.Kind, e.Type = ledger.Hold, typeHold
			}
		}
	}
	if r.rng.IntN(4) == 0 {
		e.StandIn, e.Decline = false, bandeira.DoNotHonour
	}
	return e
}

func (r *modelRun) retransmit(ref ledger.Ref, amount bandeira.Amount) ledger.Entry {
	if len(r.keys) == 0 {
		return ledger.Entry{Ref: ref, Kind: ledger.Hold, Key: r.newKey(), Amount: amount, AuthCode: "Y"}
	}
	k := r.keys[r.rng.IntN(len(r.keys))]
	q := r.m.reqs[k]
	if q == nil {
		return ledger.Entry{Ref: r.refOf[k], Kind: ledger.Hold, Key: k, Amount: amount, AuthCode: "Y"}
	}
	e := ledger.Entry{Ref: r.refOf[k], Kind: q.kind, Key: k, Amount: q.amount, Type: q.typ, AuthCode: "X"}
	if q.amount == 0 && q.kind != ledger.Inquiry {
		e.Decline = bandeira.InvalidAmount // as the bank decides it again
	}
	if r.rng.IntN(3) == 0 {
		e.PIN, e.PINTries = ledger.PINWrong, 3
	}
	return e
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
	wantSt, wantRel, acted := r.m.apply(e, r.now())
	out, err := r.bk.Apply(context.Background(), e)
	require.NoError(r.t, err, "seed %d op %d", seed, i)
	msg := fmt.Sprintf("seed %d op %d: %s %+v", seed, i, e.Kind, e.Key)
	require.Equal(r.t, wantSt, out.Status, msg)
	require.Equal(r.t, wantRel, out.Released, msg)
	want := r.m.accts[acted]
	if want == nil {
		want = r.m.acct(e.Ref)
	}
	require.Equal(r.t, *want, out.Balances, msg)
	q := r.m.reqs[e.Key]
	require.Equal(r.t, q != nil, out.Matched(), msg)
	if q != nil && wantSt != ledger.StatusConflict {
		require.Equal(r.t, q.authCode, out.Record.AuthCode, msg)
		require.Equal(r.t, q.status, out.Record.Status, msg)
		require.Equal(r.t, q.code, out.Record.Code, msg)
		require.Equal(r.t, q.open, out.Record.Open, msg)
		require.Equal(r.t, q.sti, out.Record.StandIn, msg)
	}
}
