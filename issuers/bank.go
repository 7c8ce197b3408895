package issuers

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// ErrUnknownBank reports a bank name that the Config does not list.
var ErrUnknownBank = errors.New("issuers: unknown bank")

// Bank is one simulated issuer: it decides authorizations for the cards of its BIN rows
// against its Ledger. It is a bandeira.Authorizer and safe for concurrent use; requests on
// different cards do not serialise on one lock.
type Bank struct {
	name          string
	institutionID string
	gen           *generator
	rows          []binRow
	ledger        Ledger
	maxAmount     bandeira.Amount
	slowDelay     time.Duration
	pinTries      int
	log           zerolog.Logger
	metrics       *bankMetrics
	now           func() time.Time
	codeOffset    uint64 // where the bank's auth codes start in the code space
}

var _ bandeira.Authorizer = (*Bank)(nil)

// Option customises NewBank and New.
type Option func(*options)

type options struct {
	ledger Ledger
}

// WithLedger makes the bank keep its accounts in l instead of a fresh ledger.Memory. Banks
// may share one ledger: their accounts never collide, since BIN rows do not overlap. A
// reversal or completion acts on the account of the original its key names, whichever
// bank's it is.
func WithLedger(l Ledger) Option { return func(o *options) { o.ledger = l } }

// NewBank builds the bank called name from cfg, which must be valid and list the bank. log
// gets component=issuer and issuer=name. m may be nil (no metrics); now, the clock used for
// expiry checks and the in-memory ledger's hold expiry, may be nil (time.Now). Without
// WithLedger the bank starts with an empty in-memory ledger, so every card opens with its
// derived balance.
func NewBank(name string, cfg Config, log zerolog.Logger, m *Metrics, now func() time.Time, opts ...Option) (*Bank, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("building bank %s: %w", name, err)
	}
	bc, ok := cfg.bank(name)
	if !ok {
		return nil, fmt.Errorf("building bank %q: %w", name, ErrUnknownBank)
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if now == nil {
		now = time.Now
	}
	if o.ledger == nil {
		o.ledger = ledger.NewMemory(ledger.WithClock(now))
	}
	g := newGenerator(cfg)
	rows := g.bankRows(bc)
	b := &Bank{
		name:          bc.Name,
		institutionID: bc.InstitutionID,
		gen:           g,
		rows:          rows,
		ledger:        o.ledger,
		maxAmount:     cfg.MaxTransactionAmount,
		slowDelay:     cfg.SlowDelay,
		pinTries:      cfg.PINTries,
		log:           log.With().Str("component", "issuer").Str("issuer", bc.Name).Logger(),
		metrics:       m.forBank(bc.Name, rows),
		now:           now,
		codeOffset:    authCodeOffset(bc.Name),
	}
	return b, nil
}

// New builds every bank of cfg, keyed by name, with the same arguments as NewBank. Options
// apply to every bank (WithLedger shares one ledger among them).
func New(cfg Config, log zerolog.Logger, m *Metrics, now func() time.Time, opts ...Option) (map[string]*Bank, error) {
	banks := make(map[string]*Bank, len(cfg.Banks))
	for _, bc := range cfg.Banks {
		b, err := NewBank(bc.Name, cfg, log, m, now, opts...)
		if err != nil {
			return nil, err
		}
		banks[bc.Name] = b
	}
	return banks, nil
}

// Name returns the bank's short name, e.g. "nubank".
func (b *Bank) Name() string { return b.name }

// InstitutionID returns the bank's institution code, e.g. "260".
func (b *Bank) InstitutionID() string { return b.institutionID }

// Authorize decides a, as described in the package documentation. Declines are Results
// with a nil error. The error is non-nil only when the bank could not decide: the
// issuer-down scenario (wrapping bandeira.ErrIssuerUnavailable), ctx ending before a
// no-answer or slow card answers (wrapping ctx.Err()), or a ledger failure.
func (b *Bank) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	start := time.Now()
	res, err := b.decide(ctx, &a)
	b.record(&a, res, err, time.Since(start))
	return res, err
}

// record updates metrics and writes the debug log line of one decision.
func (b *Bank) record(a *bandeira.Authorization, res bandeira.Result, err error, took time.Duration) {
	code := res.Code
	if err != nil {
		code = bandeira.CodeForError(err)
	}
	if b.metrics != nil {
		brand := res.Brand
		if brand == "" {
			brand = bandeira.BrandOf(a.PAN) // a card the bank never issued
		}
		b.metrics.observe(brand, res.Product, code, took)
	}
	e := b.log.Debug()
	if !e.Enabled() {
		return
	}
	e.Str("mti", string(a.MTI)).
		Str("stan", a.STAN).
		Str("rrn", a.RRN).
		Stringer("pan", a.PAN).
		Str("response_code", string(code)).
		Float64("latency_ms", float64(took)/float64(time.Millisecond)).
		Err(err).
		Msg("decided")
}

// authSpace is the number of 6-character base-36 codes.
const authSpace = 36 * 36 * 36 * 36 * 36 * 36

// authCodeOffset starts each bank at its own place in the code space, so that two banks'
// first approvals do not carry the same code. It is a pure function of the name, so runs
// stay reproducible.
func authCodeOffset(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return h.Sum64() % authSpace
}

// authCode returns the approval code of the request the ledger numbered seq: six
// characters 0-9A-Z. The ledger never gives a number twice (the books' request id, kept
// across restarts), and the code is the number, moved to the bank's place in the code
// space, through a bijection of that space (so consecutive codes do not look
// consecutive): no two approvals of a bank among its first 2,176,782,336 requests carry
// the same code.
func (b *Bank) authCode(seq uint64) string {
	n := (b.codeOffset + seq) % authSpace
	v := (n*1_000_003 + 0x5eed) % authSpace
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var out [6]byte
	for i := 5; i >= 0; i-- {
		out[i] = digits[v%36]
		v /= 36
	}
	return string(out[:])
}
