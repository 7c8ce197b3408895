package books

import (
	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// account is the in-memory state of one account. Its row in accounts holds what does not
// change with money (name, limit, PIN failures); balance and held are derived from the
// postings and the open holds when the books are loaded.
type account struct {
	id      int64
	aid     ledger.AccountID // zero for system accounts
	name    string
	kind    uint8
	limit   bandeira.Amount
	balance bandeira.Amount // credits − debits of its postings
	held    bandeira.Amount // a card's open holds
	pin     int
	mark    uint64 // sequence of the batch that last changed it
}

// balances is the account as ledger.Balances: the ledger balance includes the money that
// holds moved to the holds account, so Available = balance + limit.
func (a *account) balances() ledger.Balances {
	return ledger.Balances{Balance: a.balance + a.held, Holds: a.held, CreditLimit: a.limit}
}

func (a *account) available() bandeira.Amount { return a.balance + a.limit }

// request is one Hold, Debit or Credit request, approved or declined, under its key.
type request struct {
	id       int64
	key      bandeira.Key
	keyText  string
	account  *account
	kind     ledger.Kind
	amount   bandeira.Amount
	status   ledger.Status
	authCode string
	open     bandeira.Amount
	state    uint8
	reversed bool
	at       int64
	mark     uint64
}

// record is the request as the ledger vocabulary's Record.
func (r *request) record() ledger.Record {
	return ledger.Record{
		Kind: r.kind, Amount: r.amount, Open: r.open, AuthCode: r.authCode,
		Reversed: r.reversed || (r.state != stateOpen && r.state != stateDeclined), Status: r.status,
	}
}

// posting is one immutable movement between two accounts.
type posting struct {
	id, requestID int64 // requestID 0 is NULL
	kind          uint8
	debit, credit int64
	amount        bandeira.Amount
	at            int64
}

// tombstone is a reversal that came before its original.
type tombstone struct {
	key     string
	account int64
	at      int64
}

// batch is the set of changes that one transaction writes, and the calls waiting for it.
type batch struct {
	seq      uint64
	calls    int
	accounts []*account
	requests []*request
	postings []posting
	tombs    []tombstone
	done     chan struct{}
	err      error
}

func newBatch(seq uint64) *batch { return &batch{seq: seq, done: make(chan struct{})} }

// hold is an open hold in the expiry queue: the request's id and when it was placed.
type hold struct{ id, at int64 }

// state is the in-memory state machine of one issuer's books: every account, the key of
// every request, recently used requests whole (older ones are read back from disk), the
// queue of holds to expire and the tombstones. It is not safe for concurrent use: Books
// serialises calls under its mutex.
type state struct {
	accounts    map[ledger.AccountID]*account
	cards       []*account // card accounts by id − firstCardAccount
	system      [5]*account
	keys        keyIndex
	cache       requestCache
	fetch       fetcher
	tombs       map[bandeira.Key]struct{}
	holds       []hold // holds placed, oldest first; resolved ones are skipped when due
	holdsHead   int
	nextAccount int64
	nextRequest int64
	nextPosting int64
	ttl         int64
	cur         *batch
	committed   uint64 // sequence of the last committed batch
}

func newState(ttl int64, cacheSize int, fetch fetcher) *state {
	s := &state{
		accounts:    make(map[ledger.AccountID]*account),
		keys:        newKeyIndex(0),
		cache:       newRequestCache(cacheSize),
		fetch:       fetch,
		tombs:       make(map[bandeira.Key]struct{}),
		nextAccount: firstCardAccount,
		nextRequest: 1,
		nextPosting: 1,
		ttl:         ttl,
		cur:         newBatch(1),
	}
	for id, name := range map[int64]string{accountFunding: "funding", accountHolds: "holds", accountSettlement: "settlement", accountFees: "fees"} {
		s.system[id] = &account{id: id, name: name, kind: kindSystem}
	}
	return s
}

func (s *state) touchAccount(a *account) {
	if a.mark != s.cur.seq {
		a.mark = s.cur.seq
		s.cur.accounts = append(s.cur.accounts, a)
	}
}

// touchRequest marks r as changed by the current batch, which keeps it in the cache
// until that batch has committed.
func (s *state) touchRequest(r *request) {
	if r.mark != s.cur.seq {
		r.mark = s.cur.seq
		s.cur.requests = append(s.cur.requests, r)
	}
}

// move posts amount from debit to credit.
func (s *state) move(kind uint8, debit, credit *account, amount bandeira.Amount, r *request, at int64) {
	p := posting{id: s.nextPosting, kind: kind, debit: debit.id, credit: credit.id, amount: amount, at: at}
	if r != nil {
		p.requestID = r.id
	}
	s.nextPosting++
	debit.balance -= amount
	credit.balance += amount
	s.cur.postings = append(s.cur.postings, p)
}

// account returns ref's account, opening it (with its opening posting) when create is set.
func (s *state) account(ref ledger.Ref, create bool, at int64) *account {
	a := s.accounts[ref.ID]
	if a != nil || !create {
		return a
	}
	a = &account{id: s.nextAccount, aid: ref.ID, name: cardName(ref.ID), kind: kindCard, limit: ref.Opening.CreditLimit}
	s.nextAccount++
	s.addCard(a)
	s.touchAccount(a)
	if ref.Opening.Balance > 0 {
		s.move(postOpen, s.system[accountFunding], a, ref.Opening.Balance, nil, at)
	}
	return a
}

// addCard indexes a card account by its card and by its id.
func (s *state) addCard(a *account) {
	s.accounts[a.aid] = a
	i := int(a.id - firstCardAccount)
	for len(s.cards) <= i {
		s.cards = append(s.cards, nil)
	}
	s.cards[i] = a
}

// balancesOf reads ref's account, or its opening when it was never touched.
func (s *state) balancesOf(ref ledger.Ref) ledger.Balances {
	if a := s.accounts[ref.ID]; a != nil {
		return a.balances()
	}
	return ledger.Balances{Balance: ref.Opening.Balance, CreditLimit: ref.Opening.CreditLimit}
}

func (s *state) outcome(st ledger.Status, ref ledger.Ref, r *request, released bandeira.Amount) ledger.Outcome {
	out := ledger.Outcome{Status: st, Balances: s.balancesOf(ref), Released: released}
	if r != nil {
		out.Record = r.record()
	}
	return out
}

// apply performs one entry at ledger time at (Unix nanoseconds), first expiring the holds
// that are due. An error (a request could not be read back from disk) leaves the entry
// unapplied.
func (s *state) apply(e ledger.Entry, at int64) (ledger.Outcome, error) {
	if err := s.expire(at); err != nil {
		return ledger.Outcome{}, err
	}
	switch e.Kind {
	case ledger.Reverse:
		return s.reverse(e, at)
	case ledger.Capture:
		return s.capture(e, at)
	default:
		return s.post(e, at)
	}
}

// post applies a Hold, Debit or Credit under a new key, or answers from the stored request.
func (s *state) post(e ledger.Entry, at int64) (ledger.Outcome, error) {
	if r, err := s.lookup(e.Key); err != nil || r != nil {
		switch {
		case err != nil:
			return ledger.Outcome{}, err
		case r.account.aid != e.Ref.ID || r.kind != e.Kind || r.amount != e.Amount:
			return s.outcome(ledger.StatusConflict, e.Ref, r, 0), nil
		}
		return s.outcome(ledger.StatusDuplicate, e.Ref, r, 0), nil
	}
	a := s.account(e.Ref, true, at)
	r := &request{
		id: s.nextRequest, key: e.Key, keyText: keyText(e.Key), account: a, kind: e.Kind,
		amount: e.Amount, status: ledger.StatusApplied, state: stateDeclined, at: at,
	}
	s.nextRequest++
	s.keys.add(e.Key, r.id)
	s.touchRequest(r)
	s.cache.put(r, s.committed)
	_, tombstoned := s.tombs[e.Key]
	switch {
	case tombstoned:
		r.status = ledger.StatusTombstoned
	case e.Kind != ledger.Credit && a.available() < e.Amount:
		r.status = ledger.StatusInsufficientFunds
	default:
		r.authCode, r.open, r.state = e.AuthCode, e.Amount, stateOpen
		s.postNew(r, at)
	}
	return s.outcome(r.status, e.Ref, r, 0), nil
}

// postNew moves the money of a newly approved request.
func (s *state) postNew(r *request, at int64) {
	a := r.account
	switch r.kind {
	case ledger.Hold:
		s.move(postHold, a, s.system[accountHolds], r.amount, r, at)
		a.held += r.amount
		s.holds = append(s.holds, hold{id: r.id, at: r.at})
	case ledger.Debit:
		s.move(postDebit, a, s.system[accountSettlement], r.amount, r, at)
	case ledger.Credit:
		s.move(postCredit, s.system[accountSettlement], a, r.amount, r, at)
	}
}
