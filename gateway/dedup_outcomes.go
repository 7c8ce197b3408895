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
		s := d.shardOf(key)
		s.mu.Lock()
		if e := d.lookup(s, key, now); e != nil {
			e.res = r.res
		} else {
			evicted += d.insert(s, key, &entry{fp: r.fp, shard: s, seen: r.at, done: true, res: r.res})
		}
		s.mu.Unlock()
	}
	return evicted
}

// outcome returns the answer stored under key, if the key is remembered and answered.
func (d *dupStore) outcome(key packedKey, now int64) (bandeira.Result, bool) {
	s := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := d.lookup(s, key, now)
	if e == nil || !e.done {
		return bandeira.Result{}, false
	}
	return e.res, true
}

// rebind replaces the stored answer of an answered key with res, so that later
// retransmits get res, and returns the entry's arrival time and fingerprint. It reports
// false when the key is no longer remembered or not answered yet.
func (d *dupStore) rebind(key packedKey, now int64, res bandeira.Result) (seen int64, fp fingerprint, ok bool) {
	s := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := d.lookup(s, key, now)
	if e == nil || !e.done {
		return 0, fingerprint{}, false
	}
	e.res, e.err = res, nil
	return e.seen, e.fp, true
}

// known reports whether key is remembered, answered or in flight.
func (d *dupStore) known(key packedKey, now int64) bool {
	s := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	return d.lookup(s, key, now) != nil
}

// bury remembers key as answered with res unless it is remembered already, and returns
// how many keys the capacity made it forget.
func (d *dupStore) bury(key packedKey, fp fingerprint, now int64, res bandeira.Result) (evicted int) {
	s := d.shardOf(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if d.lookup(s, key, now) != nil {
		return 0
	}
	return d.insert(s, key, &entry{fp: fp, shard: s, seen: now, done: true, res: res})
}
