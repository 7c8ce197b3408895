// Package ledger holds the posting rules of the simulated issuers and the vocabulary every
// ledger speaks: accounts, entries (hold, debit, credit, inquiry, reverse, capture), the
// requests remembered under their keys with the answer each got, postings between the
// card and the issuer's system accounts (funding, holds, settlement, fees), outcomes and
// PIN-try counters.
//
// Engine is the one implementation of the rules: a pure function of an account, the
// request under the entry's key, whether a tombstone exists, the entry and the ledger
// time, returning the outcome and the changes. Stores are thin around it: Memory keeps
// its state in maps (tests, benchmarks), issuers/books in SQLite (what `bandeira run`
// uses). Both therefore behave alike: every key is remembered for good with its body and
// answer, approved or declined (whatever declined it); reversals and captures find their
// original by key and act on its account; a reversal before its original leaves a
// tombstone; holds expire in ledger time; a stand-in approval binds. The issuers package
// declares the small Ledger interface it consumes.
//
// Money is integer centavos (bandeira.Amount). The invariants the rules keep are listed
// in docs/ledger.md: balances sum to zero, a hold resolves at most once, Available =
// Balance − Holds + CreditLimit never goes below zero through Hold or Debit (only a
// stand-in approval may take it there), one key has one outcome.
//
// Accounts are named by AccountID (BIN and serial), never by PAN. Nothing in this package
// logs, and no error carries an account number in clear.
package ledger

import (
	"fmt"
	"strings"

	"github.com/bandeira/bandeira"
)

// AccountID names one card account: the BIN row it belongs to and the card's serial
// within that row. It is comparable and used as a map key.
type AccountID struct {
	BIN    string
	Serial uint32
}

// String returns a masked form safe for errors and logs: the BIN and the last two digits of
// the serial, e.g. "40000101/*****23".
func (id AccountID) String() string {
	s := fmt.Sprintf("%07d", id.Serial)
	return id.BIN + "/" + strings.Repeat("*", len(s)-2) + s[len(s)-2:]
}

// Opening is the state of an account before its first entry: a balance (debit and prepaid
// cards) or a credit limit (credit cards, whose balance opens at zero). Both are centavos.
type Opening struct {
	Balance     bandeira.Amount
	CreditLimit bandeira.Amount
}

// Ref names an account and says how to open it if the ledger has never seen it. Accounts
// are created lazily, so a ledger never materialises untouched cards.
type Ref struct {
	ID      AccountID
	Opening Opening
}

// Balances is a read of an account's money, in centavos.
type Balances struct {
	// Balance is the ledger balance: opening balance plus credits minus posted debits.
	// Credit accounts open at 0 and go negative as the limit is used.
	Balance bandeira.Amount
	// Holds is the sum of open authorization holds.
	Holds bandeira.Amount
	// CreditLimit is the credit line; 0 for debit and prepaid accounts.
	CreditLimit bandeira.Amount
}

// Available returns what the cardholder can still spend: Balance − Holds + CreditLimit.
func (b Balances) Available() bandeira.Amount { return b.Balance - b.Holds + b.CreditLimit }
