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
// share of the capacity, always the newest keys (the oldest are forgotten first), and the maps never delete single keys (Go maps slow down under
// the tombstones that FIFO deletion leaves). A key older than the window is ignored at
// lookup, and a generation is dropped as soon as its newest key has expired.
//
// Keys and fingerprints are fixed-size arrays, so an entry holds no reference to the
// request's strings and never the PAN itself: the PAN is kept as a 64-bit keyed hash (a
// seed of the process's own, or with durable Keys an HMAC whose secret is kept in the data
// directory, so that it is the same after a restart).

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

// entry is one remembered key. Fields after seen are guarded by the shard's mutex; done
// is set, and wait closed, exactly once.
type entry struct {
	fp    fingerprint
	shard *shard
	seen  int64 // arrival, Unix nanoseconds of the injected clock
	done  bool
	again bool          // done without a decision on a message its sender repeats until decided
	wait  chan struct{} // made by the first waiter, closed on completion
	res   bandeira.Result
	err   error
}

type shard struct {
	mu         sync.Mutex
	cur, prev  map[packedKey]*entry
	curNewest  int64    // newest arrival in cur
	prevNewest int64    // newest arrival in prev
	_          [32]byte // keeps neighbouring shards' mutexes off one cache line
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
	for i := range d.shards {
		d.shards[i].cur = make(map[packedKey]*entry)
	}
	return d
}

// panHash returns the keyed hash of a PAN that the store keeps instead of the PAN.
func (d *dupStore) panHash(p bandeira.PAN) uint64 { return d.hash(p) }

// shardOf returns the shard that holds key.
func (d *dupStore) shardOf(key packedKey) *shard {
	return &d.shards[maphash.Bytes(d.seed, key[:])&d.mask]
}

// lookup returns key's live entry in s, or nil. s.mu must be held.
func (d *dupStore) lookup(s *shard, key packedKey, now int64) *entry {
	e := s.cur[key]
	if e == nil && s.prev != nil {
		e = s.prev[key]
	}
	if e != nil && now-e.seen > d.window {
		return nil
	}
	return e
}

// insert adds e under key to s, rotating a full generation first, and returns how many
// keys the rotation forgot early. s.mu must be held.
func (d *dupStore) insert(s *shard, key packedKey, e *entry) int {
	evicted := d.rotate(s)
	s.cur[key] = e
	s.curNewest = max(s.curNewest, e.seen)
	return evicted
}

// claim looks key up and, when the request is to be processed, records it as in flight.
//
// Following invariant K1 (docs/architecture.md), a key binds to one body and one outcome:
// an identical retransmit gets the stored outcome whether or not it is flagged as a repeat
// (a client that lost the reply must be able to ask again safely), and the same key with
// another body (MTI class, processing code, amount or PAN) gets 94.
func (d *dupStore) claim(key packedKey, fp fingerprint, now int64) claim {
	s := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	d.expire(s, now)
	e := d.lookup(s, key, now) // an expired key is shadowed by the new entry below
	switch {
	case e == nil:
		e = &entry{fp: fp, shard: s, seen: now}
		return claim{kind: claimFresh, entry: e, evicted: d.insert(s, key, e)}
	case e.fp != fp:
		return claim{kind: claimRejected}
	case e.done && e.again:
		// Routed again under a new entry: the old one stays as it was for its waiters.
		e = &entry{fp: fp, shard: s, seen: now}
		return claim{kind: claimFresh, entry: e, evicted: d.insert(s, key, e)}
	case e.done:
		return claim{kind: claimReplay, res: e.res, err: e.err}
	}
	if e.wait == nil {
		e.wait = make(chan struct{})
	}
	return claim{kind: claimWait, entry: e, wait: e.wait}
}

// expire drops the generations whose newest key is older than the window.
func (d *dupStore) expire(s *shard, now int64) {
	if s.prev != nil && now-s.prevNewest > d.window {
		s.prev = nil
	}
	if len(s.cur) > 0 && now-s.curNewest > d.window {
		s.cur = make(map[packedKey]*entry)
	}
}

// rotate starts a new generation when the current one is full, reusing the dropped
// generation's map. It returns how many keys were forgotten before their window ended.
func (d *dupStore) rotate(s *shard) (evicted int) {
	if len(s.cur) < d.perGen {
		return 0
	}
	old := s.prev
	if old != nil {
		evicted = len(old) // its newest key is live, or expire would have dropped it
		clear(old)
	} else {
		old = make(map[packedKey]*entry, d.perGen)
	}
	s.prev, s.prevNewest = s.cur, s.curNewest
	s.cur = old
	return evicted
}

// complete stores the outcome of a fresh claim and wakes its waiters.
func (d *dupStore) complete(e *entry, res bandeira.Result, err error) { d.finish(e, res, err, false) }

// completeAgain stores an outcome that binds the key only until the next identical
// retransmit or repeat, which is routed again (a fresh claim), and wakes the waiters.
func (d *dupStore) completeAgain(e *entry, res bandeira.Result, err error) {
	d.finish(e, res, err, true)
}

func (d *dupStore) finish(e *entry, res bandeira.Result, err error, again bool) {
	s := e.shard
	s.mu.Lock()
	e.res, e.err, e.done, e.again = res, err, true, again
	if e.wait != nil {
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
		// Closing wait happens after res and err are set, so reading them is safe.
		return c.entry.res, true, c.entry.err
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
		n += len(s.cur) + len(s.prev)
		s.mu.Unlock()
	}
	return n
}
