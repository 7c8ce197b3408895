package gateway

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
)

// Errors of the durable key store.
var (
	// ErrKeysClosed reports a record after Close.
	ErrKeysClosed = errors.New("gateway: key store closed")
	// ErrKeysFailed reports that an earlier commit failed: the store records nothing more
	// until it is reopened, and the gateway answers 96 meanwhile.
	ErrKeysFailed = errors.New("gateway: key store failed")
	// ErrKeysIncompatible reports a key store written by a newer binary.
	ErrKeysIncompatible = errors.New("gateway: incompatible key store")
)

// KeysPath returns where the gateway's durable keys live under a data directory:
// <data-dir>/acquirer/keys.db.
func KeysPath(dataDir string) string { return filepath.Join(dataDir, "acquirer", "keys.db") }

// PANKeyPath returns where the secret of the gateway's keyed hash of card numbers lives:
// <data-dir>/keys/gateway-pan.key (seal.LoadOrCreateHasher makes it, mode 0600, on first
// use).
func PANKeyPath(dataDir string) string { return filepath.Join(dataDir, "keys", "gateway-pan.key") }

// KeysOptions are the settings and collaborators of OpenKeys.
type KeysOptions struct {
	// PANHasher is the keyed hash (HMAC-SHA-256) that stands for the PAN in a key's
	// fingerprint. Required: the same key must be used at every start, or remembered keys
	// no longer match their retransmits (seal.LoadOrCreateHasher(PANKeyPath(dir))).
	PANHasher *seal.Hasher
	// Window is how far back the keys are loaded at open (the gateway's duplicate
	// window); older ones are deleted. 0 means 24 h.
	Window time.Duration
	// Capacity bounds how many keys of the window are loaded at open, the newest first
	// (the gateway's duplicate capacity, beyond which it would forget the oldest anyway),
	// so that opening takes memory for the capacity, not for a day of traffic. 0 loads
	// every key of the window.
	Capacity int
	// Synchronous is SQLite's synchronous setting: full (the default), normal or off.
	Synchronous string
	// Now is the clock that dates the window at open; nil means time.Now.
	Now func() time.Time
	// Log gets component=gateway_keys.
	Log zerolog.Logger
	// Metrics gets the commit durations; nil leaves them unrecorded.
	Metrics *Metrics
}

// Keys is the gateway's durable duplicate store: every request key it routed (but balance
// inquiries, which move no money), with the fingerprint of the body it bound (MTI class,
// processing code, amount, keyed hash of the PAN, never the PAN) and the outcome it was
// answered (code, auth code, and the issuer, brand and product of the answer), and the
// tombstones of originals whose reversal came first (class T, answered 05: turns.go), in
// an append-only SQLite table on the storage core. A gateway given Keys (WithKeys) answers a
// request only once its outcome is committed here, and starts with the keys of its window,
// so that a key answered before a restart is answered the same after it. Calls join the
// current batch and one writer commits each batch in one transaction (group commit). It is
// safe for concurrent use; a failed commit fails it for good (ErrKeysFailed).
type Keys struct {
	db     *store.DB
	w      *store.Writer[[]keyRow, []keyRow]
	log    zerolog.Logger
	pans   *seal.Hasher
	mu     sync.Mutex
	nextID int64
	loaded []keyRow // the window's rows read at open, until the gateway takes them

	closeOnce sync.Once
	closeErr  error
}

// OpenKeys opens (creating it if needed) the key store at path, deletes the keys older
// than the window and reads the others, and starts the writer.
func OpenKeys(ctx context.Context, path string, opts KeysOptions) (*Keys, error) {
	if opts.PANHasher == nil {
		return nil, errors.New("opening the gateway's keys: no PAN hasher")
	}
	if opts.Window <= 0 {
		opts.Window = DefaultConfig().DuplicateWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := store.Open(ctx, path, store.Config{Synchronous: opts.Synchronous, Migrations: keysMigrations})
	if errors.Is(err, store.ErrNewerSchema) {
		err = fmt.Errorf("%w: %w", ErrKeysIncompatible, err)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the gateway's keys: %w", err)
	}
	k := &Keys{db: db, pans: opts.PANHasher, log: opts.Log.With().Str("component", "gateway_keys").Logger()}
	since := opts.Now().Add(-opts.Window).UnixNano()
	if err := k.load(ctx, since, opts.Capacity); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening the gateway's keys %s: %w", path, err)
	}
	k.log.Info().Int("keys", len(k.loaded)).Msg("duplicate keys of the window loaded")
	k.w = k.startWriter(opts.Metrics)
	return k, nil
}

// panHash returns the first 8 bytes of the PAN's keyed hash: what fingerprints keep
// instead of the PAN, the same at every start.
func (k *Keys) panHash(p bandeira.PAN) uint64 {
	sum := k.pans.Sum([]byte(p.Digits()))
	return binary.BigEndian.Uint64(sum[:8])
}

// record appends row and returns once it is committed (or the store failed or closed).
// It waits whatever ctx's deadline: an outcome answered must be on disk, and a commit
// is bounded by the disk, not by the request.
func (k *Keys) record(ctx context.Context, row keyRow) error {
	bt, err := k.w.Do(func(b *store.Batch[[]keyRow]) error {
		row.id = k.nextID
		k.nextID++
		b.Changes = append(b.Changes, row)
		return nil
	})
	if err == nil {
		err = bt.Wait(context.WithoutCancel(ctx))
	}
	if err != nil {
		return fmt.Errorf("recording a request key: %w", err)
	}
	return nil
}

// take returns the rows read at open, once, and forgets them.
func (k *Keys) take() []keyRow {
	k.mu.Lock()
	defer k.mu.Unlock()
	rows := k.loaded
	k.loaded = nil
	return rows
}

// Close commits what is pending, stops the writer and closes the database. A record after
// Close fails with ErrKeysClosed. It is idempotent.
func (k *Keys) Close() error {
	k.closeOnce.Do(func() { k.closeErr = errors.Join(k.w.Close(), k.db.Close()) })
	return k.closeErr
}

// startWriter starts the group-commit writer: each batch is the rows recorded since the
// last one, written with multi-row INSERTs.
func (k *Keys) startWriter(m *Metrics) *store.Writer[[]keyRow, []keyRow] {
	insert := store.NewInsert("INSERT INTO keys ("+keyColumns+") VALUES ", "", keyColumnCount)
	var args []any
	var sm store.Metrics
	if m != nil {
		sm.CommitDuration = m.keysCommit
	}
	return store.NewWriter(k.db, store.WriterConfig[[]keyRow, []keyRow]{
		Mu:   &k.mu,
		Take: func(rows *[]keyRow) []keyRow { return *rows },
		Stage: func(rows []keyRow) {
			for i := range rows {
				args = rows[i].appendArgs(args[:0])
				insert.Add(args...)
			}
			clear(args)
		},
		Inserts: []*store.Insert{insert},
		Failed: func(err error) {
			k.log.Error().Err(err).Msg("commit failed; the gateway answers 96 until restarted")
		},
		Metrics:   sm,
		ErrClosed: ErrKeysClosed,
		ErrFailed: ErrKeysFailed,
	})
}
