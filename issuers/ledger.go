package issuers

import (
	"context"

	"github.com/bandeira/bandeira/issuers/ledger"
)

// Ledger keeps the mutable state of a bank's card accounts: balances, holds, every
// request's key with its body and answer, and PIN-try counters. Everything else about a
// card is derived from the seed, so a ledger stores only accounts that have been touched,
// created from Ref.Opening on first use.
//
// ledger.Memory is the in-process implementation and books.Books the durable one
// (SQLite); both are stores around the same rules, ledger.Engine, so they answer alike.
// Implementations are safe for concurrent use and apply each call atomically. Declines
// (insufficient funds, unknown originals) are statuses; an error means the ledger could
// not answer, and the bank returns it undecided.
type Ledger interface {
	// Apply performs one entry (hold, debit, credit, inquiry, reversal or capture): it
	// decides, remembers and answers in one step, the PIN check and the bank's own
	// declines included, so that every key keeps one answer.
	Apply(ctx context.Context, e ledger.Entry) (ledger.Outcome, error)
}

var _ Ledger = (*ledger.Memory)(nil)
