package gateway

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
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
// <data-dir>/acquirer/keys/, a log of segment files (store.Log). Builds before it kept
// them in the SQLite database <data-dir>/acquirer/keys.db, which OpenKeys moves into the
// log the first time it opens the directory (keys_legacy.go).
func KeysPath(dataDir string) string { return filepath.Join(dataDir, "acquirer", "keys") }

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
	// Synchronous is the log's synchronous setting, as the stores': full (the default:
	// every batch fdatasync'd before its calls return), normal or off.
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
// an append-only log (store.Log: no SQL, since nothing but the next start reads it). A
// gateway given Keys (WithKeys) answers a request only once its outcome is committed here,
// and starts with the keys of its window, so that a key answered before a restart is
// answered the same after it. Calls join the current batch and one writer appends and
// syncs each batch at once (group commit). It is safe for concurrent use; a failed commit
// fails it for good (ErrKeysFailed).
type Keys struct {
	lg     *store.Log
	w      *store.Writer[[]keyRow, []keyRow]
	log    zerolog.Logger
	pans   *seal.Hasher
	mu     sync.Mutex
	nextID int64
	loaded []keyRow // the window's rows read at open, until the gateway takes them

	closeOnce sync.Once
	closeErr  error
}

// OpenKeys opens (creating it if needed) the key log in the directory path, reads the
// newest Capacity keys of the window (deleting the log's segments that hold only older
// ones), moves the keys of a key store of an earlier build (path + ".db") into it, and
// starts the writer.
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
	k := &Keys{pans: opts.PANHasher, nextID: 1, log: opts.Log.With().Str("component", "gateway_keys").Logger()}
	since := opts.Now().Add(-opts.Window).UnixNano()
	win := newestRows{limit: opts.Capacity}
	var segs []segmentNewest // the log's segments, oldest first, with their newest arrival
	lg, err := store.OpenLog(path, store.LogOptions{Synchronous: opts.Synchronous, KeepRecords: opts.Capacity, SegmentBytes: keysSegmentBytes},
		func(seq int, rec []byte) error {
			r, err := decodeKeyRow(rec)
			if err != nil {
				return fmt.Errorf("%w: segment %d: %w", ErrKeysIncompatible, seq, err)
			}
			if len(segs) == 0 || segs[len(segs)-1].seq != seq {
				segs = append(segs, segmentNewest{seq: seq})
			}
			last := &segs[len(segs)-1]
			last.at = max(last.at, r.at)
			k.nextID = max(k.nextID, r.id+1)
			if r.at >= since {
				win.add(r)
			}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("opening the gateway's keys: %w", err)
	}
	k.lg = lg
	if err := k.moveLegacy(ctx, path+".db", since, &win); err != nil {
		_ = lg.Close()
		return nil, fmt.Errorf("opening the gateway's keys: %w", err)
	}
	stale := 0 // the segments up to it hold only keys older than the window
	for _, sg := range segs {
		if sg.at >= since {
			break
		}
		stale = sg.seq
	}
	if err := lg.Drop(stale); err != nil {
		k.log.Warn().Err(err).Msg("could not delete the log segments older than the window")
	}
	k.loaded = win.rows()
	k.log.Info().Int("keys", len(k.loaded)).Msg("duplicate keys of the window loaded")
	k.w = k.startWriter(opts.Metrics)
	return k, nil
}

// segmentNewest is a segment of the key log and the newest arrival among its keys.
type segmentNewest struct {
	seq int
	at  int64
}

// keysSegmentBytes is the size of the log's segments; 0 is the store's default (64 MiB,
// about 600,000 keys). Tests make it small.
var keysSegmentBytes int64

// newestRows keeps the newest limit rows added (every row when limit is 0): a ring, so
// that reading a log of more keys than the capacity holds no more than the capacity.
type newestRows struct {
	limit int
	buf   []keyRow
	next  int // where the next row goes once buf is full: its oldest
}

func (n *newestRows) add(r keyRow) {
	if n.limit <= 0 || len(n.buf) < n.limit {
		n.buf = append(n.buf, r)
		return
	}
	n.buf[n.next] = r
	n.next = (n.next + 1) % n.limit
}

// rows returns the rows kept, oldest first (rotated in place: no second copy).
func (n *newestRows) rows() []keyRow {
	slices.Reverse(n.buf[:n.next])
	slices.Reverse(n.buf[n.next:])
	slices.Reverse(n.buf)
	n.next = 0
	return n.buf
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

// Close commits what is pending, stops the writer and closes the log. A record after
// Close fails with ErrKeysClosed. It is idempotent.
func (k *Keys) Close() error {
	k.closeOnce.Do(func() { k.closeErr = errors.Join(k.w.Close(), k.lg.Close()) })
	return k.closeErr
}

// startWriter starts the group-commit writer: each batch is the rows recorded since the
// last one, appended to the log with one write and one sync.
func (k *Keys) startWriter(m *Metrics) *store.Writer[[]keyRow, []keyRow] {
	var sm store.Metrics
	if m != nil {
		sm.CommitDuration = m.keysCommit
	}
	return store.NewWriter(nil, store.WriterConfig[[]keyRow, []keyRow]{
		Mu:   &k.mu,
		Take: func(rows *[]keyRow) []keyRow { return *rows },
		Write: func(rows []keyRow) error {
			for i := range rows {
				k.lg.Add(rows[i].appendRecord)
			}
			return k.lg.Commit()
		},
		Failed: func(err error) {
			k.log.Error().Err(err).Msg("commit failed; the gateway answers 96 until restarted")
		},
		Metrics:   sm,
		ErrClosed: ErrKeysClosed,
		ErrFailed: ErrKeysFailed,
	})
}
