package issuers

import (
	"context"

	"github.com/bandeira/bandeira/issuers/ledger"
)

// Ledger keeps the mutable state of a bank's card accounts: balances, holds, the records
// reversals match, and PIN-try counters. Everything else about a card is derived from the
// seed, so a ledger stores only accounts that have been touched, created from Ref.Opening
// on first use.
//
// ledger.Memory is the in-process implementation and books.Books the durable one
// (SQLite); both are stores around the same rules, ledger.Engine, so they answer alike.
// Implementations are safe for concurrent use and apply each call atomically. Declines
// (insufficient funds, unknown originals) are statuses; an error means the ledger could
// not answer, and the bank returns it undecided.
type Ledger interface {
	// Apply performs one entry (hold, debit, credit or reversal) on its account.
	Apply(ctx context.Context, e ledger.Entry) (ledger.Outcome, error)
	// Balances reads an account.
	Balances(ctx context.Context, ref ledger.Ref) (ledger.Balances, error)
	// PINTry records a PIN check and returns the consecutive failures after it.
	PINTry(ctx context.Context, ref ledger.Ref, ok bool) (int, error)
}

var _ Ledger = (*ledger.Memory)(nil)
