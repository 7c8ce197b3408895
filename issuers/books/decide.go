package books

import (
	"context"
	"fmt"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// DefaultCacheRequests is how many recently used requests the books keep whole in memory
// when Options.CacheRequests is 0 (between one and two times this many are kept).
const DefaultCacheRequests = 16384

// DefaultKeysInMemory is Options.KeysInMemory when it is 0: at about 30 bytes a key, the
// index takes at most about 8 MB (two generations), plus the keys not yet committed.
const DefaultKeysInMemory = 131072

// apply decides one entry at ledger time at (Unix nanoseconds), first expiring the holds
// that are due: it looks up what the engine needs, lets the engine decide and keeps the
// changes. An error (a request could not be read back from disk) leaves the entry
// unapplied.
func (s *state) apply(e ledger.Entry, at int64) (ledger.Outcome, error) {
	if err := s.expire(at); err != nil {
		return ledger.Outcome{}, err
	}
	r, err := s.lookup(e.Key)
	if err != nil {
		return ledger.Outcome{}, err
	}
	a, acct := s.accountOf(e.Ref)
	in := ledger.Input{Entry: e, Account: acct, Seq: uint64(s.nextRequest), At: at}
	if r != nil {
		in.Request = &r.Request
		if e.Kind == ledger.Reverse || e.Kind == ledger.Capture {
			a, in.Account = r.account, r.account.Account // the original's, whatever card e names
		}
	}
	_, in.Tombstoned = s.tombs[e.Key]
	out, ch := s.engine.Apply(in)
	s.keep(&ch, a, r, e.Key, at)
	return out, nil
}

// expire releases every open hold whose expiry has come at ledger time at. An error (a
// due hold could not be read back from disk) leaves it and the later ones queued; the
// holds released before it stay released.
func (s *state) expire(at int64) error {
	for s.holdsHead < len(s.holds) {
		h := s.holds[s.holdsHead]
		if s.engine.ExpiresAt(h.at) > at {
			break
		}
		r, err := s.request(h.id)
		if err != nil {
			return fmt.Errorf("expiring holds: %w", err)
		}
		if ch, ok := s.engine.Expire(r.account.Account, &r.Request); ok {
			s.keep(&ch, r.account, r, r.Key, at)
		}
		s.holdsHead++
	}
	if s.holdsHead > 1024 && s.holdsHead > len(s.holds)/2 {
		s.holds = append(s.holds[:0], s.holds[s.holdsHead:]...)
		s.holdsHead = 0
	}
	return nil
}

// pinTry records one PIN check and returns the consecutive failures after it.
func (s *state) pinTry(ref ledger.Ref, ok bool, at int64) int {
	a, acct := s.accountOf(ref)
	n, ch := s.engine.PINTry(acct, ok)
	s.keep(&ch, a, nil, bandeira.Key{}, at)
	return n
}

// lookup returns the request stored under k, or nil when there is none: from the
// in-memory index, or, once that has dropped older keys, from disk.
func (s *state) lookup(k bandeira.Key) (*request, error) {
	if id, ok := s.keys.Candidate(k); ok {
		r, err := s.request(id)
		if err != nil || r.Key == k {
			return r, err
		} // else another key with the same hash
	}
	if !s.keys.MayBeDropped(k) || s.findKey == nil {
		return nil, nil
	}
	id, ok, err := s.findKey(k)
	if err != nil || !ok {
		return nil, err
	}
	return s.request(id)
}

// request returns the request with id from the cache, or reads it from disk: a request
// is out of the cache only once its last change has committed, so its row is current.
func (s *state) request(id int64) (*request, error) {
	return s.cache.Get(context.Background(), id, s.committed)
}

// storedRequest is a requests row as read back from disk by id.
type storedRequest struct {
	key, authCode, code string
	account, at         int64
	typ                 uint32
	amount, open        bandeira.Amount
	kind, status, state uint8
	reversed, standIn   bool
}

// fromRow rebuilds request id from its row.
func (s *state) fromRow(id int64, row storedRequest) (*request, error) {
	k, err := parseKey(row.key)
	if err != nil {
		return nil, fmt.Errorf("reading request %d: %w", id, err)
	}
	a := s.cardByID(row.account)
	if a == nil {
		return nil, fmt.Errorf("reading request %d: account %d missing: %w", id, row.account, ErrIncompatible)
	}
	return &request{id: id, keyText: row.key, account: a, Request: ledger.Request{
		Key: k, Seq: uint64(id), Account: a.ID, Kind: ledger.Kind(row.kind), Amount: row.amount, Type: row.typ,
		Status: ledger.Status(row.status), Code: bandeira.ResponseCode(row.code), AuthCode: row.authCode,
		Open: row.open, State: ledger.State(row.state), Reversed: row.reversed, StandIn: row.standIn, At: row.at,
	}}, nil
}
