package books

import (
	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// account is the in-memory state of one account: the engine's view of it (a card's
// balance, held amount, limit and PIN failures; a system account's balance) and where it
// is stored. Its row in accounts holds what does not change with money (kind, name,
// limit, PIN failures); balance and held are derived from the postings and the open
// holds when the books are loaded.
type account struct {
	ledger.Account
	id   int64
	kind uint8
	mark uint64 // sequence of the batch that last changed its row
}

// request is one Hold, Debit, Credit or Inquiry request, approved or declined, under its
// key.
type request struct {
	ledger.Request
	id      int64
	keyText string // Key as stored
	account *account
	mark    uint64 // sequence of the batch that last changed it
}

// posting is one immutable movement between two accounts.
type posting struct {
	id, requestID int64 // requestID 0 is NULL
	kind          ledger.PostingKind
	debit, credit int64
	amount        bandeira.Amount
	at            int64
}

// tombstone is a reversal that came before its original. It names no account: the
// reversal's card may be any card, and the original is found by key alone.
type tombstone struct {
	key string
	at  int64
}

// changes are what one batch writes: the accounts and requests whose rows changed (each
// once) and the postings and tombstones made.
type changes struct {
	accounts []*account
	requests []*request
	postings []posting
	tombs    []tombstone
}

// hold is an open hold in the expiry queue: the request's id and when it was placed.
type hold struct{ id, at int64 }

// state is the in-memory state of one issuer's books: every account, the key of every
// request, recently used requests whole (older ones are read back from disk), the queue of
// holds to expire and the tombstones. It decides nothing itself: the engine decides, and
// keep applies its Changes here and to the current batch. It is not safe for concurrent
// use: Books serialises calls under its mutex.
type state struct {
	engine      ledger.Engine
	accounts    map[ledger.AccountID]*account
	cards       []*account // card accounts by id − firstCardAccount
	system      [ledger.Fees + 1]*account
	keys        *store.Index[bandeira.Key]
	findKey     func(bandeira.Key) (int64, bool, error) // a key out of memory, on disk; nil: none
	cache       *store.Cache[*request]
	tombs       map[bandeira.Key]struct{}
	holds       []hold // holds placed, oldest first; resolved ones are skipped when due
	holdsHead   int
	nextAccount int64
	nextRequest int64
	nextPosting int64
	// The batch the current call joins, its sequence and the last committed one; set
	// under the mutex by Books.do before each call.
	cur       *changes
	seq       uint64
	committed uint64
}

// newState returns an empty state whose key index holds up to 2×keysInMemory keys (0:
// every key), sized for size.
func newState(engine ledger.Engine, size, keysInMemory int, keyHash func(bandeira.Key) uint64) *state {
	s := &state{
		engine:      engine,
		accounts:    make(map[ledger.AccountID]*account),
		tombs:       make(map[bandeira.Key]struct{}),
		nextAccount: firstCardAccount,
		nextRequest: 1,
		nextPosting: 1,
		cur:         &changes{},
	}
	for p := ledger.Funding; p <= ledger.Fees; p++ {
		s.system[p] = &account{id: int64(p), kind: kindSystem}
	}
	s.keys = store.NewIndex(store.IndexConfig[bandeira.Key]{Size: size, Capacity: keysInMemory,
		Pending: s.pending, Hash: keyHash})
	return s
}

// pending reports whether request id has changes not yet committed (the cache keeps every
// such request; while loading there is no cache and everything is committed).
func (s *state) pending(id int64) bool {
	return s.cache != nil && s.cache.Pending(id, s.committed)
}

// accountOf returns ref's account, nil if it was never opened, and the account as the
// engine sees it: as stored, or before its first use.
func (s *state) accountOf(ref ledger.Ref) (*account, ledger.Account) {
	if a := s.accounts[ref.ID]; a != nil {
		return a, a.Account
	}
	return nil, ledger.NewAccount(ref)
}

// keep applies what the engine decided about account a (nil: never opened) to memory and
// to the current batch: the tombstone for key, the account (opened if need be), the
// request (new, or r changed; a hold it places is queued to expire) and the postings. at
// is the ledger time of the decision.
func (s *state) keep(ch *ledger.Changes, a *account, r *request, key bandeira.Key, at int64) {
	if ch.Tombstone {
		s.tombs[key] = struct{}{}
		s.cur.tombs = append(s.cur.tombs, tombstone{key: keyText(key), at: at})
	}
	switch {
	case ch.Opened:
		a = &account{Account: ch.Account, id: s.nextAccount, kind: kindCard}
		s.nextAccount++
		s.addCard(a)
		s.touchAccount(a)
	case a == nil:
		return // a decision on a card never opened that opened nothing changed nothing
	}
	a.Account = ch.Account
	if ch.PINChanged {
		s.touchAccount(a)
	}
	switch {
	case ch.NewRequest:
		r = s.newRequest(ch.Request, a)
	case ch.RequestChanged:
		r.Request = ch.Request
		s.touchRequest(r)
	}
	if ch.HoldPlaced() {
		s.holds = append(s.holds, hold{id: r.id, at: r.At})
	}
	for _, p := range ch.Postings() {
		s.move(p, a, r, at)
	}
}

// newRequest remembers a new request on a under the next id.
func (s *state) newRequest(q ledger.Request, a *account) *request {
	r := &request{Request: q, id: s.nextRequest, keyText: keyText(q.Key), account: a}
	s.nextRequest++
	s.keys.Add(q.Key, r.id)
	s.touchRequest(r)
	s.cache.Add(r.id, r, s.committed)
	return r
}

// move records posting p of card a's request r (nil for an opening) and applies it to the
// system accounts' balances; the card's is already in a.
func (s *state) move(p ledger.Posting, a *account, r *request, at int64) {
	row := posting{id: s.nextPosting, kind: p.Kind, debit: s.partyID(p.From, a), credit: s.partyID(p.To, a),
		amount: p.Amount, at: at}
	if r != nil && p.Kind != ledger.PostOpen {
		row.requestID = r.id
	}
	s.nextPosting++
	if p.From != ledger.Card {
		s.system[p.From].Balance -= p.Amount
	}
	if p.To != ledger.Card {
		s.system[p.To].Balance += p.Amount
	}
	s.cur.postings = append(s.cur.postings, row)
}

// partyID is the account id of a posting's party: the card's, or the system account's.
func (s *state) partyID(p ledger.Party, card *account) int64 {
	if p == ledger.Card {
		return card.id
	}
	return s.system[p].id
}

func (s *state) touchAccount(a *account) {
	if a.mark != s.seq {
		a.mark = s.seq
		s.cur.accounts = append(s.cur.accounts, a)
	}
}

// touchRequest marks r as changed by the current batch, which keeps it in the cache
// until that batch has committed.
func (s *state) touchRequest(r *request) {
	if r.mark != s.seq {
		r.mark = s.seq
		s.cur.requests = append(s.cur.requests, r)
	}
}

// addCard indexes a card account by its card and by its id.
func (s *state) addCard(a *account) {
	s.accounts[a.ID] = a
	i := int(a.id - firstCardAccount)
	for len(s.cards) <= i {
		s.cards = append(s.cards, nil)
	}
	s.cards[i] = a
}

// cardByID returns the card account with the books' id, or nil.
func (s *state) cardByID(id int64) *account {
	i := id - firstCardAccount
	if i < 0 || i >= int64(len(s.cards)) {
		return nil
	}
	return s.cards[i]
}
