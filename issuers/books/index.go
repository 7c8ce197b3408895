package books

import (
	"fmt"
	"hash/maphash"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// DefaultCacheRequests is how many recently used requests the books keep whole in memory
// when Options.CacheRequests is 0 (between one and two times this many are kept).
const DefaultCacheRequests = 16384

// keyIndex maps every request's key to its request id, for good (invariant I4), in
// about 30 bytes per request: a 64-bit hash of the key to the id. A hash hit is confirmed
// against the request's real key; a key whose hash another key already has is kept
// exactly, in collided.
type keyIndex struct {
	hash     func(bandeira.Key) uint64
	ids      map[uint64]int64
	collided map[bandeira.Key]int64
}

// keyHash makes a new index's hash function, seeded at random; tests replace it to force
// collisions.
var keyHash = func() func(bandeira.Key) uint64 {
	seed := maphash.MakeSeed()
	return func(k bandeira.Key) uint64 { return maphash.Comparable(seed, k) }
}

func newKeyIndex(size int) keyIndex {
	return keyIndex{
		hash:     keyHash(),
		ids:      make(map[uint64]int64, size),
		collided: make(map[bandeira.Key]int64),
	}
}

// candidate returns the id that k may be stored under: certain when k collided before,
// otherwise the id of the request whose key has k's hash, to be confirmed by its key.
func (x *keyIndex) candidate(k bandeira.Key) (int64, bool) {
	if id, ok := x.collided[k]; ok {
		return id, true
	}
	id, ok := x.ids[x.hash(k)]
	return id, ok
}

// add indexes a key that candidate did not confirm.
func (x *keyIndex) add(k bandeira.Key, id int64) {
	h := x.hash(k)
	if _, taken := x.ids[h]; taken {
		x.collided[k] = id
		return
	}
	x.ids[h] = id
}

func (x *keyIndex) len() int { return len(x.ids) + len(x.collided) }

// requestCache keeps recently used requests whole, by id, in two generations: when the
// young one reaches capacity it becomes the old one and the previous old one is dropped,
// except the requests whose changes have not committed yet (their rows on disk are not
// current), which move to the new young generation. A request found in the old
// generation moves to the young one.
type requestCache struct {
	capacity   int
	young, old map[int64]*request
}

func newRequestCache(capacity int) requestCache {
	return requestCache{capacity: capacity, young: make(map[int64]*request), old: make(map[int64]*request)}
}

func (c *requestCache) get(id int64) *request {
	if r := c.young[id]; r != nil {
		return r
	}
	r := c.old[id]
	if r != nil {
		delete(c.old, id)
		c.young[id] = r
	}
	return r
}

// put adds r to the young generation, rotating first when it is full; committed is the
// sequence of the last committed batch.
func (c *requestCache) put(r *request, committed uint64) {
	if len(c.young) >= c.capacity {
		next := make(map[int64]*request, c.capacity)
		for id, q := range c.old {
			if q.mark > committed {
				next[id] = q
			}
		}
		c.old, c.young = c.young, next
	}
	c.young[r.id] = r
}

// storedRequest is a requests row as read back from disk by id.
type storedRequest struct {
	key, authCode       string
	account, at         int64
	amount, open        bandeira.Amount
	kind, status, state uint8
	reversed            bool
}

// fetcher reads one request row by id; it is the books' read-only connection.
type fetcher func(id int64) (storedRequest, error)

// lookup returns the request stored under k, or nil when there is none.
func (s *state) lookup(k bandeira.Key) (*request, error) {
	id, ok := s.keys.candidate(k)
	if !ok {
		return nil, nil
	}
	r, err := s.request(id)
	if err != nil || r.key != k {
		return nil, err // r.key != k: another key with the same hash
	}
	return r, nil
}

// request returns the request with id from the cache, or reads it from disk: a request
// is out of the cache only once its last change has committed, so its row is current.
func (s *state) request(id int64) (*request, error) {
	if r := s.cache.get(id); r != nil {
		return r, nil
	}
	row, err := s.fetch(id)
	if err != nil {
		return nil, fmt.Errorf("reading request %d: %w", id, err)
	}
	k, err := parseKey(row.key)
	if err != nil {
		return nil, fmt.Errorf("reading request %d: %w", id, err)
	}
	a := s.cardByID(row.account)
	if a == nil {
		return nil, fmt.Errorf("reading request %d: account %d missing: %w", id, row.account, ErrIncompatible)
	}
	r := &request{id: id, key: k, keyText: row.key, account: a, kind: ledger.Kind(row.kind),
		amount: row.amount, status: ledger.Status(row.status), authCode: row.authCode,
		open: row.open, state: row.state, reversed: row.reversed, at: row.at}
	s.cache.put(r, s.committed)
	return r, nil
}

// cardByID returns the card account with the books' id, or nil.
func (s *state) cardByID(id int64) *account {
	i := id - firstCardAccount
	if i < 0 || i >= int64(len(s.cards)) {
		return nil
	}
	return s.cards[i]
}
