package ledger

import "github.com/bandeira/bandeira"

// Party is one side of a posting: the card's own account or one of the issuer's system
// accounts. The system accounts' numbers are their ids in the durable books.
type Party uint8

// The parties of a posting.
const (
	// Card is the account of the card the entry names.
	Card Party = 0
	// Funding is the source of opening balances: minus every debit and prepaid card's
	// opening balance.
	Funding Party = 1
	// Holds holds the money of open authorization holds: the sum of every card's Held.
	Holds Party = 2
	// Settlement receives captured holds and posted debits, and pays refunds.
	Settlement Party = 3
	// Fees is the issuer's fee income. The simulator charges cardholders no fees yet, so
	// it stays at zero; it exists so that the chart of accounts is complete.
	Fees Party = 4
)

// PostingKind says which movement a posting is. The numbers are stored in the books.
type PostingKind uint8

// The posting kinds, with the parties each moves money between.
const (
	PostOpen          PostingKind = 1 // Funding → Card: a debit or prepaid card's opening balance
	PostHold          PostingKind = 2 // Card → Holds: an authorization hold is placed
	PostCapture       PostingKind = 3 // Holds → Settlement: a hold is captured
	PostRelease       PostingKind = 4 // Holds → Card: a hold reversed, or the uncaptured rest released
	PostExpire        PostingKind = 5 // Holds → Card: a hold expired
	PostDebit         PostingKind = 6 // Card → Settlement: a financial (0200) purchase
	PostCredit        PostingKind = 7 // Settlement → Card: a refund
	PostReverseDebit  PostingKind = 8 // Settlement → Card: a debit reversed
	PostReverseCredit PostingKind = 9 // Card → Settlement: a refund reversed
	// PostReverseCapture is Settlement → Card: what a captured hold captured, given back by
	// a reversal.
	PostReverseCapture PostingKind = 10
)

// Posting is one movement of a positive Amount of centavos From one account To another:
// From is debited, To credited, so the balances of all accounts always sum to zero.
type Posting struct {
	Kind     PostingKind
	From, To Party
	Amount   bandeira.Amount
}

// State is where a remembered request stands. The numbers are stored in the books.
type State uint8

// The request states.
const (
	// StateOpen: a hold still holding, or a debit or credit in effect (perhaps partly
	// reversed: Request.Reversed).
	StateOpen State = 1
	// StateCaptured: a hold completed by a capture; Open is what it captured and no
	// reversal has given back yet.
	StateCaptured State = 2
	// StateReversed: fully reversed (a partial reversal leaves the request open, or
	// captured).
	StateReversed State = 3
	// StateExpired: a hold released at its expiry.
	StateExpired State = 4
	// StateDeclined: the request was declined and moved no money.
	StateDeclined State = 5
	// StateAnswered: an approved inquiry; it moves no money and has nothing to resolve.
	StateAnswered State = 6
)

// Request is what a ledger remembers, for good, under the key of a Hold, Debit, Credit or
// Inquiry, approved or declined: the body the key binds, the answer it got, and for an
// approval the money still in effect.
type Request struct {
	Key     bandeira.Key // in normal form
	Seq     uint64       // the ledger's number for it, never reused (the books' request id)
	Account AccountID
	Kind    Kind
	Amount  bandeira.Amount
	Type    uint32 // TypeOf the request; 0 when unknown (recorded before types were kept)
	// Status is the answer: StatusApplied, StatusInsufficientFunds, StatusTombstoned or
	// StatusDeclined (with Code). A key keeps its answer (a decline stays a decline),
	// except that the network's stand-in approval binds the issuer (Entry.StandIn).
	Status   Status
	Code     bandeira.ResponseCode
	AuthCode string
	// Open is the amount in effect: still held (an open hold), captured and not given back
	// (a captured hold), or posted (a debit or credit).
	Open  bandeira.Amount
	State State
	// Reversed: a reversal, full or partial, matched the request (for a declined one, it
	// keeps a later stand-in advice from posting it).
	Reversed bool
	// StandIn: approved by the network's stand-in, perhaps beyond the available balance.
	StandIn bool
	// At is the ledger time the request was decided (for a stand-in approval over a
	// decline, the time of the advice), Unix nanoseconds: a hold expires from it.
	At int64
}

// Record returns the request as the Outcome reports it.
func (r *Request) Record() Record {
	resolved := r.State != StateOpen && r.State != StateDeclined && r.State != StateAnswered
	return Record{
		Account: r.Account, Kind: r.Kind, Amount: r.Amount, Open: r.Open, AuthCode: r.AuthCode, Status: r.Status, Code: r.Code,
		Reversed: r.Reversed || resolved, StandIn: r.StandIn,
	}
}

// Account is one card account's state as the engine reads and changes it.
type Account struct {
	ID AccountID
	// Opened says the account exists: its opening posting was made. A store that has
	// never seen the card passes NewAccount(ref).
	Opened bool
	// Balance is what the account's postings sum to (its opening balance included): what
	// the cardholder has, with the money of open holds already moved to Holds. For an
	// account not opened yet it is the opening balance its opening will post.
	Balance bandeira.Amount
	// Held is the sum of the account's open holds.
	Held        bandeira.Amount
	CreditLimit bandeira.Amount
	// PINFailures counts consecutive wrong PINs.
	PINFailures int
}

// NewAccount returns the state of ref's account before its first use.
func NewAccount(ref Ref) Account {
	return Account{ID: ref.ID, Balance: ref.Opening.Balance, CreditLimit: ref.Opening.CreditLimit}
}

// Balances returns the account as Balances: the ledger balance includes the held money.
func (a *Account) Balances() Balances {
	return Balances{Balance: a.Balance + a.Held, Holds: a.Held, CreditLimit: a.CreditLimit}
}

// Available is what the cardholder can still spend: Balance + CreditLimit.
func (a *Account) Available() bandeira.Amount { return a.Balance + a.CreditLimit }

// Changes is what one decision changes, for the store to apply: nothing else changes.
type Changes struct {
	// Account is the account after the decision (always set). The store keeps it if the
	// account exists or Opened says it must be created.
	Account Account
	// Opened: the account was opened; its opening posting, if any, is the first posting.
	Opened bool
	// PINChanged: Account.PINFailures changed.
	PINChanged bool
	// Request is the request after the decision when NewRequest (it is to be remembered
	// under its key) or RequestChanged (it replaces the stored one).
	Request                    Request
	NewRequest, RequestChanged bool
	// Tombstone: remember that Entry.Key was reversed before its original came.
	Tombstone bool
	postings  [2]Posting
	n         int
}

// HoldPlaced reports whether the changes place a hold that was not there before: a new
// open hold, or a declined one that a stand-in advice approved. Stores queue it to expire.
func (c *Changes) HoldPlaced() bool {
	for _, p := range c.Postings() {
		if p.Kind == PostHold {
			return true
		}
	}
	return false
}

// Postings returns the movements to record, in order. Every one but a PostOpen belongs to
// Request.
func (c *Changes) Postings() []Posting { return c.postings[:c.n] }

// move records a posting and applies it to the card's Balance and Held.
func (c *Changes) move(kind PostingKind, from, to Party, amount bandeira.Amount) {
	c.postings[c.n] = Posting{Kind: kind, From: from, To: to, Amount: amount}
	c.n++
	a := &c.Account
	switch from {
	case Card:
		a.Balance -= amount
	case Holds:
		a.Held -= amount
	}
	switch to {
	case Card:
		a.Balance += amount
	case Holds:
		a.Held += amount
	}
}

// open opens the account if it is not yet: its opening balance (already in Balance) is
// posted from Funding.
func (c *Changes) open() {
	a := &c.Account
	if a.Opened {
		return
	}
	a.Opened, c.Opened = true, true
	if a.Balance > 0 {
		c.postings[c.n] = Posting{Kind: PostOpen, From: Funding, To: Card, Amount: a.Balance}
		c.n++
	}
}
