package network

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/internal/store"
)

// Errors of the Vault.
var (
	// ErrReferenceConflict reports a token request whose requestor reference is already
	// bound to another card: a reference names one card for good.
	ErrReferenceConflict = errors.New("network: token reference bound to another card")
	// ErrVaultClosed reports a call after Close.
	ErrVaultClosed = errors.New("network: token vault closed")
	// ErrVaultFailed reports that a commit failed: the vault takes nothing more until
	// reopened.
	ErrVaultFailed = errors.New("network: token vault failed")
)

// vaultMigrations are the vault's schema versions. A row is a token: its number, the
// card's PAN sealed (never in clear), the expiry, who requested it and the last
// cryptogram counter it was used with.
var vaultMigrations = []string{
	`CREATE TABLE tokens (
		number      TEXT    PRIMARY KEY,  -- the token (a PAN in the brand's token range)
		pan         BLOB    NOT NULL,     -- the card's PAN, sealed (internal/seal)
		last4       TEXT    NOT NULL,     -- the card's last 4 digits, for support
		expiry      TEXT    NOT NULL,     -- YYMM, the card's
		requestor   TEXT    NOT NULL,     -- token requestor ID
		reference   TEXT    NOT NULL,     -- the requestor's reference of the card
		created_at  INTEGER NOT NULL,     -- Unix nanoseconds
		counter     INTEGER NOT NULL,     -- the highest cryptogram counter used, 0 for none
		counter_key TEXT    NOT NULL,     -- the request key that used it
		UNIQUE (requestor, reference)
	);`,
}

var vaultColumns = []string{"number", "pan", "last4", "expiry", "requestor", "reference", "created_at", "counter", "counter_key"}

// vaultToken is one token in memory; the PAN stays sealed until it is needed.
type vaultToken struct {
	number, last4, expiry string
	sealedPAN             []byte
	requestor, reference  string
	created               int64
	counter               uint32
	counterKey            string
}

// Vault is a brand's token vault: which card each token stands for, durable on the
// storage core (SQLite, group commit) with every PAN sealed, and the last cryptogram
// counter of each token. Every token is held in memory, the PAN still sealed; Issue and
// Use return only after their change is committed. It is safe for concurrent use; after
// Close its calls fail with ErrVaultClosed.
type Vault struct {
	db     *store.DB
	w      *store.Writer[store.Upserts, store.Upserts]
	ins    *store.Insert
	sealer *seal.Sealer
	now    func() time.Time

	closeOnce sync.Once
	closeErr  error

	mu     sync.Mutex // guards what follows; the Writer's mutex
	tokens map[string]*vaultToken
	refs   map[[2]string]string // (requestor, reference) → token number
}

// OpenVault opens (creating it) the vault at path, sealing PANs with sealer, and loads
// every token. synchronous is the store's setting ("" for full).
func OpenVault(ctx context.Context, path, synchronous string, sealer *seal.Sealer) (*Vault, error) {
	db, err := store.Open(ctx, path, store.Config{Synchronous: synchronous, Migrations: vaultMigrations})
	if err != nil {
		return nil, fmt.Errorf("opening the token vault: %w", err)
	}
	head, tail := store.UpsertSQL("tokens", "number", vaultColumns)
	v := &Vault{db: db, ins: store.NewInsert(head, tail, len(vaultColumns)), sealer: sealer, now: time.Now,
		tokens: make(map[string]*vaultToken), refs: make(map[[2]string]string)}
	if err := v.load(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening the token vault %s: %w", path, err)
	}
	v.w = store.NewWriter(db, store.WriterConfig[store.Upserts, store.Upserts]{
		Mu: &v.mu, Take: (*store.Upserts).Take, Inserts: []*store.Insert{v.ins},
		Stage:     func(u store.Upserts) { u.Stage([]*store.Insert{v.ins}) },
		ErrClosed: ErrVaultClosed, ErrFailed: ErrVaultFailed,
	})
	return v, nil
}

func (v *Vault) load(ctx context.Context) error {
	rows, err := v.db.W.QueryContext(ctx, "SELECT number, pan, last4, expiry, requestor, reference, created_at, counter, counter_key FROM tokens")
	if err != nil {
		return fmt.Errorf("reading the tokens: %w", err)
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		t := &vaultToken{}
		if err := rows.Scan(&t.number, &t.sealedPAN, &t.last4, &t.expiry, &t.requestor, &t.reference, &t.created,
			&t.counter, &t.counterKey); err != nil {
			return fmt.Errorf("reading the tokens: %w", err)
		}
		v.tokens[t.number] = t
		v.refs[[2]string{t.requestor, t.reference}] = t.number
	}
	return rows.Err()
}

// Len returns how many tokens the vault holds.
func (v *Vault) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.tokens)
}

// Issue returns the token of pan for requestor and reference, issuing one in rng (with
// expiry, YYMM) when the reference has none yet; issued says which. A reference already
// bound to another card is ErrReferenceConflict. A new token is committed before Issue
// returns.
func (v *Vault) Issue(ctx context.Context, rng TokenRange, pan bandeira.PAN, expiry string, req bandeira.TokenRequest) (tok bandeira.Token, issued bool, err error) {
	v.mu.Lock()
	if err := v.w.Err(); err != nil {
		v.mu.Unlock()
		return bandeira.Token{}, false, err
	}
	if number, ok := v.refs[[2]string{req.RequestorID, req.Reference}]; ok {
		t := v.tokens[number]
		v.mu.Unlock()
		card, err := v.open(t)
		switch {
		case err != nil:
			return bandeira.Token{}, false, err
		case card != pan:
			return bandeira.Token{}, false, ErrReferenceConflict
		}
		return bandeira.Token{Number: bandeira.PAN(t.number), Expiry: t.expiry}, false, nil
	}
	t := &vaultToken{last4: pan.Last4(), expiry: expiry, sealedPAN: v.sealer.Seal([]byte(pan.Digits())),
		requestor: req.RequestorID, reference: req.Reference, created: v.now().UnixNano()}
	for t.number == "" || v.tokens[t.number] != nil {
		if t.number, err = newTokenNumber(rng); err != nil {
			v.mu.Unlock()
			return bandeira.Token{}, false, err
		}
	}
	v.tokens[t.number] = t
	v.refs[[2]string{t.requestor, t.reference}] = t.number
	v.put(t)
	bt := v.w.Join()
	v.mu.Unlock()
	if err := bt.Wait(ctx); err != nil {
		return bandeira.Token{}, false, fmt.Errorf("issuing a token: %w", err)
	}
	return bandeira.Token{Number: bandeira.PAN(t.number), Expiry: t.expiry}, true, nil
}

// put stages t's row in the current batch. v.mu must be held.
func (v *Vault) put(t *vaultToken) {
	v.w.Batch().Changes.Put(0, t.number, t.number, t.sealedPAN, t.last4, t.expiry, t.requestor, t.reference,
		t.created, int64(t.counter), t.counterKey)
}

// card is what the vault knows of a token, as Lookup returns it.
type card struct {
	pan       bandeira.PAN
	expiry    string
	requestor string
}

// lookup returns the card a token stands for, or false for a token the vault never
// issued.
func (v *Vault) lookup(token bandeira.PAN) (card, bool, error) {
	v.mu.Lock()
	t, ok := v.tokens[token.Digits()]
	v.mu.Unlock()
	if !ok {
		return card{}, false, nil
	}
	pan, err := v.open(t)
	if err != nil {
		return card{}, false, err
	}
	return card{pan: pan, expiry: t.expiry, requestor: t.requestor}, true, nil
}

// open unseals a token's PAN.
func (v *Vault) open(t *vaultToken) (bandeira.PAN, error) {
	b, err := v.sealer.Open(t.sealedPAN)
	if err != nil {
		return "", fmt.Errorf("opening the PAN of a token: %w", err)
	}
	return bandeira.PAN(b), nil
}

// use records that token is used with cryptogram counter by the request key (in normal
// form, as text). It returns false when the counter is not above the last one used,
// unless it is the last one and key is the request that used it (a retransmit). An
// accepted counter is committed before use returns.
func (v *Vault) use(ctx context.Context, token bandeira.PAN, counter uint32, key string) (bool, error) {
	v.mu.Lock()
	if err := v.w.Err(); err != nil {
		v.mu.Unlock()
		return false, err
	}
	t, ok := v.tokens[token.Digits()]
	switch {
	case !ok:
		v.mu.Unlock()
		return false, nil
	case counter == t.counter && key == t.counterKey && counter > 0:
		bt := v.w.Join() // the first use may not be committed yet
		v.mu.Unlock()
		return true, bt.Wait(ctx)
	case counter <= t.counter:
		v.mu.Unlock()
		return false, nil
	}
	t.counter, t.counterKey = counter, key
	v.put(t)
	bt := v.w.Join()
	v.mu.Unlock()
	if err := bt.Wait(ctx); err != nil {
		return false, fmt.Errorf("recording a token's counter: %w", err)
	}
	return true, nil
}

// Close commits what is pending and closes the database. It is idempotent.
func (v *Vault) Close() error {
	v.closeOnce.Do(func() { v.closeErr = errors.Join(v.w.Close(), v.db.Close()) })
	return v.closeErr
}

// newTokenNumber draws a 16-digit token at random in rng: an 8-digit BIN from the range,
// 7 random digits and the Luhn check digit.
func newTokenNumber(rng TokenRange) (string, error) {
	from, _ := strconv.ParseInt(rng.From, 10, 64)
	to, _ := strconv.ParseInt(rng.To, 10, 64)
	bin, err := rand.Int(rand.Reader, big.NewInt(to-from+1))
	if err != nil {
		return "", fmt.Errorf("drawing a token: %w", err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(10_000_000))
	if err != nil {
		return "", fmt.Errorf("drawing a token: %w", err)
	}
	body := fmt.Sprintf("%08d%07d", from+bin.Int64(), serial.Int64())
	return body + string(bandeira.LuhnCheckDigit(body)), nil
}
