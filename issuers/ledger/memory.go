package ledger

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
)

// ErrInvalidEntry reports an entry Apply cannot perform: an unknown kind or a non-positive
// amount. The account is left unchanged.
var ErrInvalidEntry = errors.New("ledger: invalid entry")

// DefaultRecordsPerAccount is the number of records Memory keeps per account by default.
const DefaultRecordsPerAccount = 64

const numShards = 64

// Memory is an in-process Ledger. Accounts live in a sharded map, each shard under its own
// mutex, so requests on different cards rarely contend. It is safe for concurrent use; the
// zero value is not usable, build it with NewMemory.
//
// Each account keeps at most recordsPerAccount records of approved entries (a ring, oldest
// evicted first). Evicting a record that still holds money expires the hold (reliability.md
// I2): the hold is released, so the ledger's memory stays bounded under load. A reversal of
// an evicted record is answered StatusNotFound. State lasts for the life of the process.
type Memory struct {
	recordsPerAccount int
	seed              maphash.Seed
	shards            [numShards]shard
}

type shard struct {
	mu       sync.Mutex
	accounts map[AccountID]*account
	_        [48]byte // keep neighbouring shards' mutexes off one cache line
}

// NewMemory returns an empty in-memory ledger keeping up to recordsPerAccount records per
// account; a value below 1 means DefaultRecordsPerAccount.
func NewMemory(recordsPerAccount int) *Memory {
	if recordsPerAccount < 1 {
		recordsPerAccount = DefaultRecordsPerAccount
	}
	m := &Memory{recordsPerAccount: recordsPerAccount, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].accounts = make(map[AccountID]*account)
	}
	return m
}

func (m *Memory) shard(id AccountID) *shard {
	h := maphash.String(m.seed, id.BIN) ^ uint64(id.Serial)*0x9e3779b97f4a7c15
	return &m.shards[(h>>32)%numShards]
}

// get returns the account, creating it from ref.Opening when create is set. The shard
// lock must be held.
func (s *shard) get(ref Ref, create bool) *account {
	a := s.accounts[ref.ID]
	if a == nil && create {
		a = newAccount(ref.Opening)
		s.accounts[ref.ID] = a
	}
	return a
}

// Apply performs e atomically on its account, creating the account from e.Ref.Opening on
// first use. Declines (insufficient funds, duplicates, unknown originals) are statuses, not
// errors; the error is ErrInvalidEntry (wrapped) for malformed entries. ctx is unused: the
// memory ledger never blocks on I/O.
func (m *Memory) Apply(_ context.Context, e Entry) (Outcome, error) {
	if err := e.check(); err != nil {
		return Outcome{}, err
	}
	e.Key = e.Key.Normal()
	s := m.shard(e.Ref.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.get(e.Ref, true)
	switch e.Kind {
	case Reverse:
		return a.reverse(e), nil
	case Capture:
		return a.capture(e), nil
	}
	return a.post(e, m.recordsPerAccount), nil
}

// Balances returns the account's balances; an account never touched reads as its opening.
func (m *Memory) Balances(_ context.Context, ref Ref) (Balances, error) {
	s := m.shard(ref.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.get(ref, false); a != nil {
		return a.balances(), nil
	}
	return newAccount(ref.Opening).balances(), nil
}

// PINTry records one PIN verification on the account and returns the number of
// consecutive failures after it: a correct PIN (ok) resets the count to 0, a wrong one
// adds 1.
func (m *Memory) PINTry(_ context.Context, ref Ref, ok bool) (int, error) {
	s := m.shard(ref.ID)
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.get(ref, !ok)
	if a == nil {
		return 0, nil
	}
	if ok {
		a.pinFailures = 0
	} else {
		a.pinFailures++
	}
	return a.pinFailures, nil
}

func (e *Entry) check() error {
	switch e.Kind {
	case Hold, Debit, Credit, Capture:
		if e.Amount <= 0 {
			return fmt.Errorf("applying %s of %s: %w", e.Kind, e.Amount, ErrInvalidEntry)
		}
	case Reverse:
	default:
		return fmt.Errorf("applying entry kind %d: %w", e.Kind, ErrInvalidEntry)
	}
	return nil
}

// Audit checks reliability.md invariants I1–I3 on every account: holds are never negative
// and equal the sum of open hold records (I2); the balance equals the opening plus credits
// minus debits (I1); available never goes below zero (I3). It returns nil or one error per
// violation (at most 10), joined. Errors name accounts only in masked form.
func (m *Memory) Audit() error {
	var errs []error
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		for id, a := range s.accounts {
			if err := a.audit(); err != nil && len(errs) < 10 {
				errs = append(errs, fmt.Errorf("auditing account %s: %w", id, err))
			}
		}
		s.mu.Unlock()
	}
	return errors.Join(errs...)
}

// ErrInvariant reports a broken ledger invariant found by Audit.
var ErrInvariant = errors.New("ledger: invariant violated")
