package gateway

import (
	"context"
	"hash/maphash"
	"sync"

	"github.com/bandeira/bandeira"
)

// Duplicate detection (docs/spec.md, "Validation at the gateway"; invariant K1 of
// docs/architecture.md).
//
// The store maps a request key to the request's fingerprint and outcome. It is split into
// shards, each a mutex and two generations of keys: new keys go into the current
// generation; when it holds half the shard's capacity, the previous generation is dropped
// and the current one takes its place. A shard thus holds between half and all of its
// share of the capacity, always the newest keys (the oldest are forgotten first), and a
// generation's table (dedup_table.go) never deletes single keys (hash tables slow down
// under the tombstones that FIFO deletion leaves). A key older than the window is ignored
// at lookup, and a generation is dropped as soon as its newest key has expired.
//
// Keys and fingerprints are fixed-size arrays, so the store holds no reference to the
// request's strings and never the PAN itself: the PAN is kept as a 64-bit keyed hash (a
// seed of the process's own, or with durable Keys an HMAC whose secret is kept in the data
// directory, so that it is the same after a restart).
//
// A generation keeps each key as a slot, a fixed-size value without pointers, with the
// outcome packed into it (dedup_answer.go), so that the garbage collector never scans the
// window's tables however many keys they hold. What a slot cannot hold stays out of it: the
// waiters of a key in flight are on its entry, in the shard's small flight map until the
// key is answered; an outcome that carries pointers or an error (a balance inquiry, a
// reversal's field 95, a token, no decision) is kept whole in its generation's side map,
// and dropped with it.

// packedKey is a bandeira.Key in normal form in a fixed array: acquirer ID (length byte +
// 11), terminal ID (length byte + 8), STAN (6, zero bytes after a shorter one),
// transmission time (10), and the key's space: reversals (class 4) are keyed apart from
// every other request, so a reversal that reuses its original's STAN and field 7 is not
// its original's duplicate. Validation guarantees the sizes.
type packedKey [1 + maxAcquirerIDLen + 1 + maxTerminalLen + stanLen + transmissionLen + 1]byte

// Key spaces, the last byte of a packedKey.
const (
	spaceRequests   byte = 0 // authorizations, financial requests and advices
	spaceReversals  byte = 4 // reversals and reversal advices (class 4)
	spaceTombstones byte = 5 // originals whose reversal came first (tombstone)
)

// classTombstone is the class of a tombstone's fingerprint: the mark that a reversal was
// routed for an original the gateway had not seen (turns.go, "tombstones").
const classTombstone byte = 'T'

// spaceOf returns the key space of a request of MTI class class.
func spaceOf(class byte) byte {
	switch class {
	case '4':
		return spaceReversals
	case classTombstone:
		return spaceTombstones
	}
	return spaceRequests
}

// packKey packs k's normal form (bandeira.Key.Normal) in the space of MTI class class, so
// that the gateway treats as one request what the issuers and the journal do.
func packKey(k bandeira.Key, class byte) packedKey {
	k = k.Normal()
	var p packedKey
	b := p[:]
	b[0] = byte(copy(b[1:1+maxAcquirerIDLen], k.AcquirerID))
	b = b[1+maxAcquirerIDLen:]
	b[0] = byte(copy(b[1:1+maxTerminalLen], k.TerminalID))
	b = b[1+maxTerminalLen:]
	copy(b[:stanLen], k.STAN)
	copy(b[stanLen:], k.TransmissionTime)
	b[stanLen+transmissionLen] = spaceOf(class)
	return p
}

// fingerprint is what binds a key to one request body: message class, processing code,
// amount and PAN hash. The same key with another fingerprint is answered 94.
type fingerprint struct {
	class    byte
	procCode [6]byte
	amount   bandeira.Amount
	pan      uint64
}

// entry is a key in flight: claimed fresh and not completed yet. It lives in its shard's
// flight map until completed; its generation holds a slot for it meanwhile. Fields after
// seen are guarded by the shard's mutex; wait is closed exactly once, after out is set.
type entry struct {
	fp    fingerprint
	key   packedKey
	hash  uint64 // keyHash of key
	shard *shard
	seen  int64         // arrival, Unix nanoseconds of the injected clock
	wait  chan struct{} // made by the first waiter, closed on completion
	out   *wholeOutcome // the outcome, for the waiters; set on completion when there are some
}

// shard is a mutex and two generations of keys (dedup_window.go), with the entries of its
// keys in flight.
type shard struct {
	mu        sync.Mutex
	cur, prev generation
	flight    map[packedKey]*entry // the entries of its keys in flight
	_         [32]byte             // keeps neighbouring shards' mutexes off one cache line
}

// claimKind is what the store decided about a request.
type claimKind uint8

const (
	claimFresh    claimKind = iota // first sight of the key: process it, then complete
	claimRejected                  // the key is bound to a different body: 94
	claimReplay                    // identical retransmit or repeat of a completed request: its stored outcome
	claimWait                      // identical retransmit or repeat of an in-flight request: await its outcome
)

// claim is the store's answer to one request.
type claim struct {
	kind    claimKind
	entry   *entry
	wait    <-chan struct{}
	res     bandeira.Result
	err     error
	evicted int // keys forgotten early because the shard was full
}

// dupStore is the sharded duplicate store. It is safe for concurrent use.
type dupStore struct {
	shards []shard
	mask   uint64
	perGen int   // keys per generation: half a shard's share of the capacity
	window int64 // nanoseconds
	seed   maphash.Seed
	hash   func(bandeira.PAN) uint64 // the PAN's keyed hash in fingerprints
	names  names                     // the issuer, brand and product names of packed answers
}

// Shards: enough to spread contention, few enough that each holds at least
// minPerShard keys so that a small capacity is enforced exactly.
const (
	maxShards   = 64
	minPerShard = 1024
)

func newDupStore(window int64, capacity int) *dupStore {
	n := 1
	for n < maxShards && capacity/(n*2) >= minPerShard {
		n *= 2
	}
	perShard := (capacity + n - 1) / n
	d := &dupStore{
		shards: make([]shard, n),
		mask:   uint64(n - 1),
		perGen: max(1, perShard/2),
		window: window,
		seed:   maphash.MakeSeed(),
	}
	d.hash = func(p bandeira.PAN) uint64 { return maphash.String(d.seed, p.Digits()) }
	d.names.init()
	for i := range d.shards {
		d.shards[i].cur.keys = newKeyTable(d.perGen, d.seed)
		d.shards[i].flight = make(map[packedKey]*entry)
	}
	return d
}

// panHash returns the keyed hash of a PAN that the store keeps instead of the PAN.
func (d *dupStore) panHash(p bandeira.PAN) uint64 { return d.hash(p) }

// shardOf returns the shard that holds key, and key's hash.
func (d *dupStore) shardOf(key packedKey) (*shard, uint64) {
	h := keyHash(d.seed, &key)
	return &d.shards[h&d.mask], h
}

// claim looks key up and, when the request is to be processed, records it as in flight.
//
// Following invariant K1 (docs/architecture.md), a key binds to one body and one outcome:
// an identical retransmit gets the stored outcome whether or not it is flagged as a repeat
// (a client that lost the reply must be able to ask again safely), and the same key with
// another body (MTI class, processing code, amount or PAN) gets 94.
func (d *dupStore) claim(key packedKey, fp fingerprint, now int64) claim {
	s, h := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	d.expire(s, now)
	g, sl, ok := d.lookup(s, key, h, now) // an expired key is shadowed by the new slot below
	switch {
	case !ok:
		return d.fresh(s, key, h, fp, now)
	case sl.fp != fp:
		return claim{kind: claimRejected}
	case sl.flags&slotDone == 0:
		e := s.flight[key]
		if e.wait == nil {
			e.wait = make(chan struct{})
		}
		return claim{kind: claimWait, entry: e, wait: e.wait}
	case sl.flags&slotAgain != 0:
		// Routed again under a new entry; the old outcome's waiters have it already.
		return d.fresh(s, key, h, fp, now)
	}
	res, err := g.result(&d.names, key, sl)
	return claim{kind: claimReplay, res: res, err: err}
}

// fresh records key as in flight: a slot in the current generation and an entry in the
// flight map, which takes the place of any entry of an earlier slot of key that a
// generation drop or the window forgot. h is keyHash of key; s.mu must be held.
func (d *dupStore) fresh(s *shard, key packedKey, h uint64, fp fingerprint, now int64) claim {
	e := &entry{fp: fp, key: key, hash: h, shard: s, seen: now}
	evicted := d.insert(s, key, h, slot{fp: fp, seen: now}, wholeOutcome{})
	s.flight[key] = e
	return claim{kind: claimFresh, entry: e, evicted: evicted}
}

// complete stores the outcome of a fresh claim and wakes its waiters.
func (d *dupStore) complete(e *entry, res bandeira.Result, err error) { d.finish(e, res, err, false) }

// completeAgain stores an outcome that binds the key only until the next identical
// retransmit or repeat, which is routed again (a fresh claim), and wakes the waiters.
func (d *dupStore) completeAgain(e *entry, res bandeira.Result, err error) {
	d.finish(e, res, err, true)
}

// finish gives e its outcome, answers e's slot when the store still holds it (its
// generation may have been dropped meanwhile, or the window ended and the key was claimed
// again), takes e out of the flight map, and wakes e's waiters.
func (d *dupStore) finish(e *entry, res bandeira.Result, err error, again bool) {
	s := e.shard
	s.mu.Lock()
	d.settle(e, res, err, again)
	if s.flight[e.key] == e {
		delete(s.flight, e.key)
	}
	if e.wait != nil {
		e.out = &wholeOutcome{res: res, err: err}
		close(e.wait)
	}
	s.mu.Unlock()
}

// await waits for the original of a claimWait to complete and returns its outcome, with
// done set. If ctx ends first it returns ctx's error (the edge answers 91) with done unset;
// the original keeps the key.
func (d *dupStore) await(ctx context.Context, c claim) (res bandeira.Result, done bool, err error) {
	select {
	case <-c.wait:
		// Closing wait happens after out is set, so reading it is safe.
		return c.entry.out.res, true, c.entry.out.err
	case <-ctx.Done():
		return bandeira.Result{}, false, ctx.Err()
	}
}

// size returns the number of remembered keys, expired ones included until dropped.
func (d *dupStore) size() int {
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		n += s.cur.keys.n + s.prev.keys.n
		s.mu.Unlock()
	}
	return n
}
