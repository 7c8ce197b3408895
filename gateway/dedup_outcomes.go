package gateway

import "github.com/bandeira/bandeira"

// What the durable key store adds to the in-memory duplicate store: the keys of the window
// loaded at start, a stored outcome read back (the issuer that decided an original), and an
// outcome changed after the fact (an answer that never reached its client).

// load puts the rows the key store read at open into the store as answered keys, oldest
// first, and returns how many keys the capacity made it forget. A key with several rows
// takes the last one's outcome; a row older than the window at now is skipped.
func (d *dupStore) load(rows []keyRow, now int64) (evicted int) {
	for i := range rows {
		r := &rows[i]
		if now-r.at > d.window {
			continue
		}
		key := packKey(r.key, r.fp.class)
		s, h := d.shardOf(key)
		s.mu.Lock()
		if g, sl, ok := d.lookup(s, key, h, now); !ok {
			sl, side := d.seal(slot{fp: r.fp, seen: r.at}, r.res, nil)
			evicted += d.insert(s, key, h, sl, side)
		} else if sl.flags&slotDone != 0 {
			_, err := g.result(&d.names, key, sl)
			sl, side := d.seal(sl, r.res, err)
			g.set(key, h, sl, side)
		}
		s.mu.Unlock()
	}
	return evicted
}

// outcome returns the answer stored under key, if the key is remembered and answered.
func (d *dupStore) outcome(key packedKey, now int64) (bandeira.Result, bool) {
	s, h := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, sl, ok := d.lookup(s, key, h, now)
	if !ok || sl.flags&slotDone == 0 {
		return bandeira.Result{}, false
	}
	res, _ := g.result(&d.names, key, sl)
	return res, true
}

// rebind replaces the stored answer of an answered key with res, so that later
// retransmits get res, and returns the entry's arrival time and fingerprint. It reports
// false when the key is no longer remembered or not answered yet.
func (d *dupStore) rebind(key packedKey, now int64, res bandeira.Result) (seen int64, fp fingerprint, ok bool) {
	s, h := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	g, sl, ok := d.lookup(s, key, h, now)
	if !ok || sl.flags&slotDone == 0 {
		return 0, fingerprint{}, false
	}
	sl, side := d.seal(sl, res, nil)
	g.set(key, h, sl, side)
	return sl.seen, sl.fp, true
}

// bury remembers key as answered with res unless it is remembered already, and returns
// how many keys the capacity made it forget.
func (d *dupStore) bury(key packedKey, fp fingerprint, now int64, res bandeira.Result) (evicted int) {
	s, h := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, ok := d.lookup(s, key, h, now); ok {
		return 0
	}
	sl, side := d.seal(slot{fp: fp, seen: now}, res, nil)
	return d.insert(s, key, h, sl, side)
}
