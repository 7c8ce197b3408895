package network

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
)

// ErrAuthCodesExhausted reports that the network has issued every stand-in auth code it
// can: it stands in no more (the edge answers 91) rather than issue one twice.
var ErrAuthCodesExhausted = errors.New("network: stand-in auth codes exhausted")

// StoreOptions are the settings and collaborators of OpenStore.
type StoreOptions struct {
	// Synchronous is SQLite's synchronous setting: full (default), normal or off.
	Synchronous string
	// Hasher makes the keyed hash of a PAN that stands for the card in the store.
	// Required.
	Hasher *seal.Hasher
	// Log gets component=network_store.
	Log zerolog.Logger
	// Now is the clock of decisions and of the Brasília day; nil means time.Now.
	Now func() time.Time
}

// Store is a network's durable state (<data-dir>/networks/<brand>.db): every stand-in
// decision, so that per-card daily totals and stand-in auth codes survive a restart and
// the network-wide audit can read what the network decided. Decisions are recorded with
// group commit and a call returns only once its decision is on disk. It is safe for
// concurrent use; after Close every call fails with store.ErrClosed.
type Store struct {
	db     *store.DB
	w      *store.Writer[[]*StandIn, []*StandIn]
	rows   *store.Insert
	hasher *seal.Hasher
	now    func() time.Time
	log    zerolog.Logger

	mu      sync.Mutex // guards what follows; the Writer's mutex
	nextID  int64
	authSeq uint64
	day     string                                 // the Brasília day of totals
	totals  map[[cardHashSize]byte]bandeira.Amount // approved today, by card
	byKey   map[bandeira.Key]*keyed                // decisions of today and yesterday
	keys    atomic.Int64                           // len(byKey), read without mu

	closeOnce sync.Once
	closeErr  error
}

// keyed is a decision and the batch that commits it.
type keyed struct {
	d  *StandIn
	bt *store.Batch[[]*StandIn]
}

// OpenStore opens (creating it and its directory if needed) the network store at path and
// loads what stand-in needs: the last auth code issued, today's approvals per card and the
// keys decided today and yesterday.
func OpenStore(ctx context.Context, path string, opts StoreOptions) (*Store, error) {
	if opts.Hasher == nil {
		return nil, errors.New("opening the network store: no hasher")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := store.Open(ctx, path, store.Config{Synchronous: opts.Synchronous, Migrations: storeMigrations})
	if err != nil {
		return nil, fmt.Errorf("opening the network store: %w", err)
	}
	s := &Store{db: db, rows: store.NewInsert(insertStandIn, "", standInColumnCount), hasher: opts.Hasher,
		now: opts.Now, log: opts.Log.With().Str("component", "network_store").Logger(),
		totals: make(map[[cardHashSize]byte]bandeira.Amount), byKey: make(map[bandeira.Key]*keyed)}
	if err := s.load(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening the network store %s: %w", path, err)
	}
	s.w = store.NewWriter(db, store.WriterConfig[[]*StandIn, []*StandIn]{
		Mu:      &s.mu,
		Take:    func(c *[]*StandIn) []*StandIn { return *c },
		Stage:   s.stage,
		Inserts: []*store.Insert{s.rows},
		Failed: func(err error) {
			s.log.Error().Err(err).Msg("commit failed; the network stands in no more until restarted")
		},
	})
	return s, nil
}

// load reads the id and auth code sequences and the decisions of today and yesterday.
func (s *Store) load(ctx context.Context) error {
	var seq int64
	if err := s.db.W.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1, COALESCE(MAX(auth_seq), 0) FROM stand_ins`).
		Scan(&s.nextID, &seq); err != nil {
		return fmt.Errorf("reading the sequences: %w", err)
	}
	s.authSeq = uint64(seq)
	now := s.now()
	s.day = dayOf(now)
	rs, err := s.db.W.QueryContext(ctx, selectStandIns+` WHERE day >= ? ORDER BY id`, dayOf(now.Add(-24*time.Hour)))
	if err != nil {
		return fmt.Errorf("reading recent stand-ins: %w", err)
	}
	defer func() { _ = rs.Close() }()
	for rs.Next() {
		d, err := scanStandIn(rs)
		if err != nil {
			return fmt.Errorf("reading recent stand-ins: %w", err)
		}
		s.byKey[d.Key] = &keyed{d: d}
		if d.Day == s.day && d.Approved() {
			s.totals[d.card] += d.Amount
		}
	}
	s.keys.Store(int64(len(s.byKey)))
	return rs.Err()
}

// standInRequest is what the store needs to decide a request on an issuer's behalf.
type standInRequest struct {
	a       *bandeira.Authorization
	issuer  string
	product bandeira.Product
	rules   StandInRules
	reason  bandeira.StandInReason
}

// decide makes the stand-in decision for req, records it and returns once it is on disk.
// The daily limit is checked and the approval added to the card's total in one step, so
// concurrent requests on one card cannot both pass. A key decided before is not decided
// again: decide returns the earlier decision and true, or a nil decision when req's body
// differs from the one decided under its key (the caller answers 94).
func (s *Store) decide(ctx context.Context, req standInRequest) (*StandIn, bool, error) {
	card := s.hasher.Sum([]byte(req.a.PAN.Digits()))
	key := req.a.Key().Normal()
	var (
		d      *StandIn
		repeat bool
	)
	bt, err := s.w.Do(func(b *store.Batch[[]*StandIn]) error {
		if k, ok := s.byKey[key]; ok {
			d, repeat = sameBody(k.d, req.a, card), true
			return nil // waiting for this batch waits for k's, which commits first
		}
		now := s.now()
		s.roll(now)
		code, rule := req.rules.decide(req.a, req.product, s.totals[card], now)
		d = &StandIn{ID: s.nextID, At: now.UTC(), Day: s.day, Key: key, Issuer: req.issuer, MTI: req.a.MTI,
			ProcessingCode: req.a.ProcessingCode, Amount: req.a.Amount, Code: code, Reason: req.reason, Rule: rule, card: card}
		if code.Approved() {
			if s.authSeq+1 >= authSpace {
				return ErrAuthCodesExhausted
			}
			s.authSeq++
			d.authSeq, d.AuthCode = s.authSeq, standInAuthCode(s.authSeq)
			s.totals[card] += d.Amount
		}
		s.nextID++
		b.Changes = append(b.Changes, d)
		s.byKey[key] = &keyed{d: d, bt: b}
		s.keys.Store(int64(len(s.byKey)))
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("recording a stand-in decision: %w", err)
	}
	if err := bt.Wait(ctx); err != nil {
		return nil, false, fmt.Errorf("recording a stand-in decision: %w", err)
	}
	return d, repeat, nil
}

// empty reports, without a lock, whether the store holds no decision a request could be a
// repeat of: the request path then skips the lookup.
func (s *Store) empty() bool { return s.keys.Load() == 0 }

// previous returns the decision the network made on a's key, once it is on disk, and
// whether a is the request it decided (same card, class, processing code and amount);
// nil when it never stood in for that key.
func (s *Store) previous(ctx context.Context, a *bandeira.Authorization) (*StandIn, bool, error) {
	if s.keys.Load() == 0 {
		return nil, false, nil
	}
	key := a.Key().Normal()
	s.mu.Lock()
	k, ok := s.byKey[key]
	s.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	if k.bt != nil {
		if err := k.bt.Wait(ctx); err != nil {
			return nil, false, fmt.Errorf("reading a stand-in decision: %w", err)
		}
	}
	return k.d, sameBody(k.d, a, s.hasher.Sum([]byte(a.PAN.Digits()))) != nil, nil
}

// sameBody returns d when a is the request d decided, else nil.
func sameBody(d *StandIn, a *bandeira.Authorization, card [cardHashSize]byte) *StandIn {
	if d.card != card || d.MTI.Class() != a.MTI.Class() || d.ProcessingCode != a.ProcessingCode || d.Amount != a.Amount {
		return nil
	}
	return d
}

// roll starts a new day's totals when now is on another Brasília day than the totals,
// and forgets the keys decided before yesterday. s.mu is held.
func (s *Store) roll(now time.Time) {
	day := dayOf(now)
	if day == s.day {
		return
	}
	s.day = day
	clear(s.totals)
	yesterday := dayOf(now.Add(-24 * time.Hour))
	for key, k := range s.byKey {
		if k.d.Day < yesterday {
			delete(s.byKey, key)
		}
	}
	s.keys.Store(int64(len(s.byKey)))
}

// Close commits what is pending and closes the database. It is idempotent.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = errors.Join(s.w.Close(), s.db.Close()) })
	return s.closeErr
}
