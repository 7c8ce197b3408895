package wallet

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
)

// Errors of a Wallet's store.
var (
	// ErrClosed reports a call after Close.
	ErrClosed = errors.New("wallet: closed")
	// ErrFailed reports that a commit failed: the wallet takes nothing more until reopened.
	ErrFailed = errors.New("wallet: failed")
)

// Pricer quotes the merchant's fee on a sale from the acquirer's published plans, so the
// wallet can show the merchant's fee and payout; acquirer.Acquirer satisfies it.
type Pricer interface {
	Price(sale bandeira.Sale) (bandeira.Fee, error)
}

// Options are what Open needs besides the configuration.
type Options struct {
	// Dir is the wallet's data directory (<data-dir>/wallet): wallet.db, the reversal
	// queue reversals.db, and the key files secret.key (the pepper of PIN hashes and card
	// fingerprints) and reversals.key (seals the queued messages).
	Dir string
	// TokenKeyFile is the key file that seals the cards' token numbers at rest
	// (<data-dir>/keys/wallet-tokens.key), created (mode 0600) on first use. Required.
	TokenKeyFile string
	// Synchronous is SQLite's synchronous setting for both databases ("" for full).
	Synchronous string
	// AcquirerID is field 32 of every request: the acquirer the wallet processor is
	// signed with.
	AcquirerID string
	// RequestorKey is the wallet's token requestor key, which the networks hold too.
	RequestorKey []byte
	// Merchants are the acquirer's merchants; those with a catalog are shown.
	Merchants []Merchant
	// Pricer quotes merchant fees. Required.
	Pricer Pricer
	// Log gets component=wallet.
	Log zerolog.Logger
	// Metrics may be nil (unregistered metrics).
	Metrics *Metrics
	// SAFMetrics are the process's store-and-forward metrics; nil leaves them unregistered.
	SAFMetrics *saf.Metrics
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Wallet is the wallet service: users, confirmations, cards, payments, transfers and
// charges, durable in its data directory, reaching the network through gw. It is safe
// for concurrent use; after Close every call fails with ErrClosed.
type Wallet struct {
	cfg       Config
	opts      Options
	gw        bandeira.Authorizer
	log       zerolog.Logger
	m         *Metrics
	now       func() time.Time
	secret    []byte
	tokenKey  *seal.Sealer // seals token numbers at rest
	db        *store.DB
	w         *store.Writer[store.Upserts, store.Upserts]
	safStore  *saf.Store
	reversals *saf.Queue
	merchants map[string]Merchant
	order     []string // merchant IDs with a catalog, in configuration order

	mu          sync.Mutex // guards what follows; the Writer's mutex
	seq         int64
	stan        int64 // the last STAN used
	users       map[string]*user
	phones      map[string]string // phone → user ID
	devices     map[string]*device
	challenges  map[string]*challenge
	cards       map[string]*card
	userCards   map[string][]string
	payments    map[string]*payment
	transfers   map[string]*transfer
	charges     map[string]*charge
	activity    map[string][]activityRef // user ID → what shows in their activity
	phoneCharge map[string][]string      // phone → charge IDs
	idem        map[string]*idempotency
	inFlight    map[string]bool // idempotency IDs whose first request runs
	closeOnce   sync.Once
	closeErr    error
}

// reversalQueue is the store-and-forward queue of the wallet's reversals.
const reversalQueue = "wallet->gateway"

// Open opens (creating them) the wallet's databases under opts.Dir, loads them, starts the
// reversal queue towards gw and reverses what a crash left in flight.
func Open(ctx context.Context, cfg Config, gw bandeira.Authorizer, opts Options) (*Wallet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("opening the wallet: %w", err)
	}
	if opts.Pricer == nil || len(opts.RequestorKey) == 0 || opts.Dir == "" || opts.TokenKeyFile == "" {
		return nil, errors.New("opening the wallet: a pricer, the requestor key, a directory and a token key file are required")
	}
	w := newWallet(cfg, gw, opts)
	var err error
	if w.secret, err = seal.LoadOrCreateKey(filepath.Join(opts.Dir, "secret.key")); err != nil {
		return nil, fmt.Errorf("opening the wallet: %w", err)
	}
	if w.tokenKey, err = seal.LoadOrCreate(opts.TokenKeyFile); err != nil {
		return nil, fmt.Errorf("opening the wallet: %w", err)
	}
	if w.db, err = store.Open(ctx, filepath.Join(opts.Dir, "wallet.db"), store.Config{Synchronous: opts.Synchronous, Migrations: migrations}); err != nil {
		return nil, fmt.Errorf("opening the wallet: %w", err)
	}
	legacy, err := w.load(ctx, w.db)
	if err == nil {
		err = w.sealLegacyTokens(ctx, legacy)
	}
	if err != nil {
		_ = w.db.Close()
		return nil, fmt.Errorf("opening the wallet: %w", err)
	}
	inserts := newInserts()
	w.w = store.NewWriter(w.db, store.WriterConfig[store.Upserts, store.Upserts]{
		Mu: &w.mu, Take: (*store.Upserts).Take, Inserts: inserts,
		Stage: func(u store.Upserts) { u.Stage(inserts) },
		Failed: func(err error) {
			w.log.Error().Err(err).Msg("commit failed; the wallet takes nothing more until restarted")
		},
		ErrClosed: ErrClosed, ErrFailed: ErrFailed,
	})
	if err := w.openReversals(ctx); err != nil {
		_ = w.w.Close()
		_ = w.db.Close()
		return nil, err
	}
	if err := w.recover(ctx); err != nil {
		_ = w.Close()
		return nil, err
	}
	return w, nil
}

func newWallet(cfg Config, gw bandeira.Authorizer, opts Options) *Wallet {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	w := &Wallet{cfg: cfg, opts: opts, gw: gw, log: opts.Log.With().Str("component", "wallet").Logger(),
		m: opts.Metrics, now: opts.Now, merchants: make(map[string]Merchant),
		users: map[string]*user{}, phones: map[string]string{}, devices: map[string]*device{},
		challenges: map[string]*challenge{}, cards: map[string]*card{}, userCards: map[string][]string{},
		payments: map[string]*payment{}, transfers: map[string]*transfer{}, charges: map[string]*charge{},
		activity: map[string][]activityRef{}, phoneCharge: map[string][]string{}, idem: map[string]*idempotency{},
		inFlight: map[string]bool{}}
	for _, m := range opts.Merchants {
		if _, ok := cfg.Catalogs[m.ID]; ok {
			w.merchants[m.ID] = m
			w.order = append(w.order, m.ID)
		}
	}
	return w
}

// openReversals opens the reversal queue and starts delivering it to the gateway.
func (w *Wallet) openReversals(ctx context.Context) error {
	sealer, err := seal.LoadOrCreate(filepath.Join(w.opts.Dir, "reversals.key"))
	if err != nil {
		return fmt.Errorf("opening the wallet's reversal queue: %w", err)
	}
	w.safStore, err = saf.Open(ctx, filepath.Join(w.opts.Dir, "reversals.db"), saf.Options{
		Synchronous: w.opts.Synchronous, Sealer: sealer, Log: w.opts.Log, Metrics: w.opts.SAFMetrics,
		Now: w.now, AttemptTimeout: w.cfg.RequestTimeout})
	if err != nil {
		return fmt.Errorf("opening the wallet's reversal queue: %w", err)
	}
	w.reversals = w.safStore.Start(reversalQueue, w.gw)
	return nil
}

// Close stops the reversal queue (its items stay for the next start), commits what is
// pending and closes the databases. It is idempotent.
func (w *Wallet) Close() error {
	w.closeOnce.Do(func() {
		w.closeErr = errors.Join(w.safStore.Close(), w.w.Close(), w.db.Close())
	})
	return w.closeErr
}

// nextSeq returns the next sequence number. w.mu must be held.
func (w *Wallet) nextSeq() int64 {
	w.seq++
	return w.seq
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newID returns a random ID with a prefix, e.g. "pay_5k2m…": 16 characters of Crockford
// base32 (80 random bits), so IDs cannot be guessed from one another.
func newID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return prefix + "_" + idEncoding.EncodeToString(b)
}

// validID reports whether s could be an ID with prefix, so that junk never reaches a
// lookup or a log line.
func validID(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix+"_")
	return ok && len(rest) == 16 && strings.Trim(rest, "0123456789abcdefghjkmnpqrstvwxyz") == ""
}

// write runs f under the wallet's mutex with the current batch and waits for the batch
// to commit; an error from f (nothing may be staged before it) is returned as it is,
// without waiting.
func (w *Wallet) write(ctx context.Context, f func(b *store.Batch[store.Upserts]) error) error {
	bt, err := w.w.Do(f)
	if err != nil {
		return err
	}
	if err := bt.Wait(ctx); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}
