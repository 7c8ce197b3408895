package gateway

import "github.com/bandeira/bandeira"

// The generations of a shard (dedup.go): the slots of its keys, rotation and expiry.

// slot is one remembered key as a generation holds it. It holds no pointer (nor do
// fingerprint and answer), so a generation's table is storage the garbage collector does
// not scan.
type slot struct {
	fp    fingerprint
	seen  int64  // arrival, Unix nanoseconds of the injected clock
	ans   answer // the outcome, when flags has slotDone and not slotSide
	flags uint8
}

// Slot flags. A slot without slotDone is in flight: its entry is in the shard's flight map.
const (
	slotDone  uint8 = 1 << iota // answered
	slotAgain                   // answered without a decision on a message its sender repeats until decided
	slotSide                    // the outcome is in the generation's side map, not in ans
)

// generation is one of a shard's two sets of keys.
type generation struct {
	keys keyTable // without positions for a dropped previous generation
	// side holds the outcomes that do not pack into a slot, under the slot's key; made
	// when first needed, and emptied or dropped with keys.
	side   map[packedKey]wholeOutcome
	newest int64 // newest arrival in keys
}

// wholeOutcome is an outcome as given to the store: kept so in a side map for the few that
// a slot cannot hold, and handed so to the waiters of a key in flight.
type wholeOutcome struct {
	res bandeira.Result
	err error
}

// set stores sl under key (whose keyHash is h), with side as its outcome when sl has
// slotSide, and removes any side outcome of an earlier slot of key otherwise.
func (g *generation) set(key packedKey, h uint64, sl slot, side wholeOutcome) {
	switch {
	case sl.flags&slotSide != 0:
		if g.side == nil {
			g.side = make(map[packedKey]wholeOutcome)
		}
		g.side[key] = side
	case len(g.side) > 0:
		delete(g.side, key)
	}
	g.keys.put(&key, h, sl)
}

// result returns the outcome of sl, key's answered slot in g.
func (g *generation) result(n *names, key packedKey, sl slot) (bandeira.Result, error) {
	if sl.flags&slotSide != 0 {
		o := g.side[key]
		return o.res, o.err
	}
	return n.unpack(sl.ans), nil
}

// seal returns sl answered with res and err (its slotAgain flag kept), and what sl's
// generation must keep in its side map when the outcome does not pack into the slot.
func (d *dupStore) seal(sl slot, res bandeira.Result, err error) (slot, wholeOutcome) {
	ans, packed := d.names.pack(res, err)
	sl.flags = sl.flags&slotAgain | slotDone
	if !packed {
		sl.ans, sl.flags = answer{}, sl.flags|slotSide
		return sl, wholeOutcome{res: res, err: err}
	}
	sl.ans = ans
	return sl, wholeOutcome{}
}

// lookup returns key's live slot in s and the generation that holds it; ok is false when
// the store does not remember key. h is keyHash of key; s.mu must be held.
func (d *dupStore) lookup(s *shard, key packedKey, h uint64, now int64) (g *generation, sl slot, ok bool) {
	g = &s.cur
	sl, ok = g.keys.get(&key, h)
	if !ok {
		g = &s.prev
		sl, ok = g.keys.get(&key, h)
	}
	switch {
	case !ok || now-sl.seen > d.window:
		return nil, slot{}, false
	case sl.flags&slotDone == 0 && !s.owns(key, sl):
		// An in-flight slot that is not the flight map's entry's: one a newer slot of key
		// took over from, found again only if the clock went back. Nothing answers it.
		return nil, slot{}, false
	}
	return g, sl, true
}

// insert adds sl (and side, when sl has slotSide) under key to s's current generation,
// rotating a full generation first, and returns how many keys the rotation forgot early.
// h is keyHash of key; s.mu must be held.
func (d *dupStore) insert(s *shard, key packedKey, h uint64, sl slot, side wholeOutcome) int {
	evicted := d.rotate(s)
	s.cur.set(key, h, sl, side)
	s.cur.newest = max(s.cur.newest, sl.seen)
	return evicted
}

// owns reports whether sl, an in-flight slot of key, is the one of key's entry in the
// flight map. A key has at most one in-flight slot of a given arrival time: a second fresh
// claim at the same instant would have found the first. s.mu must be held.
func (s *shard) owns(key packedKey, sl slot) bool {
	e := s.flight[key]
	return e != nil && e.seen == sl.seen
}

// settle answers e's slot with the outcome, if a generation of e's shard still holds it.
// The shard's mutex must be held.
func (d *dupStore) settle(e *entry, res bandeira.Result, err error, again bool) {
	for _, g := range [...]*generation{&e.shard.cur, &e.shard.prev} {
		sl, ok := g.keys.get(&e.key, e.hash)
		if !ok || sl.flags&slotDone != 0 || sl.seen != e.seen {
			continue
		}
		if again {
			sl.flags |= slotAgain
		}
		sl, side := d.seal(sl, res, err)
		g.set(e.key, e.hash, sl, side)
		return
	}
}

// expire drops the generations whose newest key is older than the window.
func (d *dupStore) expire(s *shard, now int64) {
	if s.prev.keys.n > 0 && now-s.prev.newest > d.window {
		s.prev = generation{}
	}
	if s.cur.keys.n > 0 && now-s.cur.newest > d.window {
		s.cur = generation{keys: newKeyTable(d.perGen, d.seed), newest: s.cur.newest}
	}
}

// rotate starts a new generation when the current one is full, reusing the dropped
// generation's table and side map. It returns how many keys were forgotten before their
// window ended.
func (d *dupStore) rotate(s *shard) (evicted int) {
	if s.cur.keys.n < d.perGen {
		return 0
	}
	old := s.prev
	if old.keys.n > 0 {
		evicted = old.keys.n // its newest key is live, or expire would have dropped it
		old.keys.empty()
		clear(old.side)
	} else {
		old.keys = newKeyTable(d.perGen, d.seed)
	}
	s.prev = s.cur
	s.cur = generation{keys: old.keys, side: old.side, newest: s.prev.newest}
	return evicted
}
