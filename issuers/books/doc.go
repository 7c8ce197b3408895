// Package books is the durable ledger of a simulated issuer: its "books", kept in an
// embedded SQLite database (pure-Go driver modernc.org/sqlite, WAL mode,
// synchronous=FULL by default) under <data-dir>/issuers/<issuer>.db. Books satisfies the
// issuers.Ledger interface, speaking the vocabulary of package issuers/ledger. It is a
// thin store: the posting rules are ledger.Engine's (the same that ledger.Memory runs),
// and the storage machinery is internal/store's (the same that the acquirer's journal
// runs). What the books keep for themselves is the schema, how the engine's changes map to
// rows, the loading of the state at open and the audit.
//
// # Model
//
// Double entry: every movement is a posting of a positive amount from one account to
// another, between the cards' accounts and the issuer's funding, holds, settlement and
// fee accounts, so all balances sum to zero. An authorization hold moves money from the
// card to the holds account; it resolves at most once: captured (to settlement; what it
// captured stays in effect until a reversal gives it back), fully reversed (back to the
// card; reversals bring the amount in effect down to field 95's, so they chain) or
// expired (back to the card, Config.HoldExpiry after it was placed, in ledger time from
// Options.Now). Card accounts open lazily, with an opening posting from the funding
// account, the first time a card is used. Amounts are integer centavos.
//
// Every Hold, Debit, Credit and Inquiry is remembered under its key for good with its
// body (card, kind, amount, type) and answer, approved or declined, whatever declined it
// (invariant I4 of docs/ledger.md): an identical retransmit gets StatusDuplicate with the
// stored Record, the same key with another body StatusConflict. Reversals and captures
// find their original by key and act on its account. A reversal with no original leaves
// a tombstone; the original, when it comes, is recorded as StatusTombstoned and moves
// nothing (I5). A stand-in approval is posted even beyond the available balance and
// binds over a remembered decline. Approvals take their auth code from the request's id,
// which is never reused.
//
// # Durability
//
// Calls decide in memory under one mutex, their changes join the current batch, and a
// single writer goroutine commits each batch in one transaction (group commit). A call
// returns only after the batch holding its effects, and every batch before it, has
// committed, so an answer never rests on state a crash could lose. A
// failed commit fails the books for good (ErrFailed): reopen them. Open rebuilds the
// memory from the database; Audit checks invariants I1–I5 on the database at rest.
// docs/ledger.md describes the schema and how to inspect it.
//
// # Memory
//
// Memory holds every account, an index of the newest request keys (a 64-bit hash of the
// key to the request's id; Options.KeysInMemory), the queue of holds to expire, the
// tombstones and the most recently used requests (Options.CacheRequests). A key out of the
// index is looked for on disk by the requests_key index, and a request out of the cache is
// read back by id, both through the read-only handle, which sees every committed batch; a
// key leaves the index and a request the cache only once its changes have committed, so
// what the disk answers is current. Memory therefore grows with the cards and the open
// holds, not with the requests.
//
// Nothing here stores or logs a PAN, CVV2 or PIN block: accounts are named by BIN and
// serial.
package books
