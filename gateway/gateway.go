package gateway

import (
	"context"
	"maps"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// Acquirer books what the acquirer settles: the gateway calls Record for every approved
// request it routed, before it answers, with the request and the response as it came back
// (Brand set to the network the gateway asked). Record prices a sale and journals it in
// one call, and books nothing for what the acquirer does not settle (inquiries, declines).
// A non-nil error means the approval is not booked, and the gateway answers 96 instead of
// sending it. acquirer.Host satisfies it. Implementations are safe for concurrent use.
type Acquirer interface {
	Record(ctx context.Context, a bandeira.Authorization, res bandeira.Result) error
}

// Option configures a Gateway beyond New's arguments.
type Option func(*Gateway)

// WithKeys makes the gateway's duplicate check durable: every outcome is committed to k
// before it is answered, and the keys k read at open (the duplicate window's) are
// remembered from the start. The PAN in fingerprints is then hashed with k's secret.
func WithKeys(k *Keys) Option { return func(g *Gateway) { g.keys = k } }

// WithInstitutions gives the gateway its table of the issuers' institution IDs (field
// 100), by issuer name as answers carry it (field 48 tag IS): a reversal or completion
// then names the issuer that decided its original, which the networks route by.
func WithInstitutions(ids map[string]string) Option {
	return func(g *Gateway) { g.institutions = maps.Clone(ids) }
}

// Gateway is the acquirer host's Authorizer: it validates requests, rejects duplicates,
// routes by brand to a network, has the acquirer book approvals, and reverses through
// store-and-forward what it could not settle. Network management (0800) is answered by
// the transport (iso.Server) before it reaches a Gateway; one that does reach it gets 12.
// It is safe for concurrent use.
type Gateway struct {
	cfg          Config
	networks     map[bandeira.Brand]bandeira.Authorizer
	acquirer     Acquirer
	log          zerolog.Logger
	metrics      *Metrics
	now          func() time.Time
	dups         *dupStore
	keys         *Keys
	reversals    Reversals
	institutions map[string]string
	turns        *turns
}

var _ bandeira.Authorizer = (*Gateway)(nil)

// New returns a Gateway that routes each brand to networks[brand] and books approvals with
// acq (nil: nothing is booked). cfg should have passed Validate; zero settings take their
// defaults. m may be nil (metrics are then kept but not registered). now is the clock of
// the duplicate window (nil: time.Now); latency is always measured on the real clock.
// Options apply last.
func New(cfg Config, networks map[bandeira.Brand]bandeira.Authorizer, acq Acquirer, log zerolog.Logger, m *Metrics, now func() time.Time, opts ...Option) *Gateway {
	cfg = withDefaults(cfg)
	if m == nil {
		m = NewMetrics(nil)
	}
	if now == nil {
		now = time.Now
	}
	g := &Gateway{
		cfg:      cfg,
		networks: maps.Clone(networks),
		acquirer: acq,
		log:      log.With().Str("component", "gateway").Logger(),
		metrics:  m,
		now:      now,
		dups:     newDupStore(int64(cfg.DuplicateWindow), cfg.DuplicateCapacity),
		turns:    newTurns(),
	}
	for _, o := range opts {
		o(g)
	}
	if g.keys != nil {
		g.dups.hash = g.keys.panHash
		if evicted := g.dups.load(g.keys.take(), g.now().UnixNano()); evicted > 0 {
			g.metrics.evicted.Add(float64(evicted))
		}
	}
	return g
}

func withDefaults(cfg Config) Config {
	def := DefaultConfig()
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = def.RequestTimeout
	}
	if cfg.DuplicateWindow <= 0 {
		cfg.DuplicateWindow = def.DuplicateWindow
	}
	if cfg.DuplicateCapacity <= 0 {
		cfg.DuplicateCapacity = def.DuplicateCapacity
	}
	if cfg.AcquirerID == "" {
		cfg.AcquirerID = def.AcquirerID
	}
	return cfg
}

// Authorize answers one request. Declines, format errors (30) and duplicates (94) are
// Results with a nil error. A non-nil error comes unchanged
// from the network (or from ctx while a repeat waits for its original) and means no
// decision was made; the caller maps it with bandeira.CodeForError.
func (g *Gateway) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	start := time.Now()
	g.metrics.inFlight.Inc()
	res, err := g.authorize(ctx, &a)
	g.metrics.inFlight.Dec()
	g.record(&a, res, err, time.Since(start))
	return res, err
}

func (g *Gateway) authorize(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	if a.AcquirerID == "" {
		a.AcquirerID = g.cfg.AcquirerID
	}
	if rej, ok := validate(a); !ok {
		if rej.code == bandeira.FormatError {
			g.log.Warn().Str("mti", mtiLabel(a.MTI)).Str("stan", safeSTAN(a.STAN)).
				Int("field", rej.field).Str("problem", rej.problem.String()).Msg("format error")
		}
		return bandeira.Result{Code: rej.code}, nil
	}
	if !a.PAN.LuhnValid() {
		return bandeira.Result{Code: bandeira.InvalidCardNumber}, nil
	}
	return g.once(ctx, a)
}

// once applies duplicate detection around routing, so each key is routed at most once,
// and with durable keys answers only what it has recorded.
func (g *Gateway) once(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	c := g.dups.claim(packKey(a.Key(), a.MTI.Class()), g.fingerprint(a), g.now().UnixNano())
	switch c.kind {
	case claimRejected:
		g.metrics.rejected.Inc()
		return bandeira.Result{Code: bandeira.DuplicateTransmission}, nil
	case claimReplay:
		g.metrics.replayed.Inc()
		return c.res, c.err
	case claimWait:
		ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
		defer cancel()
		res, done, err := g.dups.await(ctx, c)
		if done {
			g.metrics.replayed.Inc()
		}
		return res, err
	}
	if c.evicted > 0 {
		g.metrics.evicted.Add(float64(c.evicted))
	}
	res, err := g.routeInTurn(ctx, a)
	if redeliverable(a) && undecided(res, err) {
		g.dups.completeAgain(c.entry, res, err)
		return res, err
	}
	res, err = g.remember(ctx, a, c.entry, res, err)
	g.dups.complete(c.entry, res, err)
	return res, err
}

// routeInTurn routes a once no other message of its transaction is being routed (turns).
// When its turn does not come within the request timer, a is answered 91 without being
// routed, and an original among them is reversed as any 91 is. A reversal of an original
// the gateway has not seen leaves a tombstone, and an original with a tombstone is
// declined 05 without being routed.
func (g *Gateway) routeInTurn(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	k := a.OriginalKey()
	end, ok := g.turns.take(ctx, k, g.cfg.RequestTimeout)
	if !ok {
		g.log.Warn().Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
			Msg("another message of the transaction was still being routed; answering 91")
		g.autoReverse(ctx, a, bandeira.Result{}, reasonNoDecision)
		return bandeira.Result{Code: bandeira.IssuerUnavailable, Brand: bandeira.BrandOf(a.PAN)}, nil
	}
	defer end()
	switch {
	case a.MTI.Class() == '4':
		g.buryUnseen(ctx, a, k)
	case g.buried(a, k):
		g.metrics.afterReversal.Inc()
		g.log.Info().Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
			Msg("its reversal came first; declining the original without routing it")
		return bandeira.Result{Code: bandeira.DoNotHonour, Brand: bandeira.BrandOf(a.PAN)}, nil
	}
	return g.route(ctx, a)
}

// redeliverable reports whether a is a message its sender repeats until it is decided:
// a reversal (0400, 0420 and repeats) or a completion advice (0220, 0221). The issuer
// applies each once by field 90, whatever the number of copies, so a repeat of one the
// gateway got no decision on is routed again rather than answered as before.
func redeliverable(a *bandeira.Authorization) bool {
	return a.MTI.Class() == '4' || a.MTI.Original() == bandeira.MTIFinancialAdvice
}

// undecided reports whether an outcome is no decision: an error (no answer in time, no
// network), or 91 or 96 from the network.
func undecided(res bandeira.Result, err error) bool {
	return err != nil || res.Code == bandeira.IssuerUnavailable || res.Code == bandeira.SystemMalfunction
}

// remember commits the outcome of a fresh key to the durable keys, when there are any,
// before it is answered. Balance inquiries move no money and are not recorded. An outcome
// that cannot be recorded is answered 96; an approval among them is reversed.
func (g *Gateway) remember(ctx context.Context, a *bandeira.Authorization, e *entry, res bandeira.Result, err error) (bandeira.Result, error) {
	if g.keys == nil || a.IsBalanceInquiry() {
		return res, err
	}
	stored := res
	if err != nil {
		stored = bandeira.Result{Code: bandeira.CodeForError(err), Brand: res.Brand}
	}
	stored.Balances, stored.Remaining = nil, nil
	row := keyRow{at: e.seen, key: a.Key().Normal(), fp: e.fp, res: stored}
	if rerr := g.keys.record(ctx, row); rerr != nil {
		g.log.Error().Err(rerr).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
			Msg("the key's outcome could not be recorded; answering 96 instead")
		if err == nil && res.Code.Approved() {
			g.autoReverse(ctx, a, res, reasonNotBooked)
		}
		return bandeira.Result{Code: bandeira.SystemMalfunction, Brand: res.Brand, Issuer: res.Issuer}, nil
	}
	return res, err
}

func (g *Gateway) fingerprint(a *bandeira.Authorization) fingerprint {
	fp := fingerprint{class: a.MTI.Class(), amount: a.Amount, pan: g.dups.panHash(a.PAN)}
	copy(fp.procCode[:], a.ProcessingCode)
	return fp
}

// route sends the request to the network of its brand, within the request timer, and has
// the acquirer book an approval before it is answered.
func (g *Gateway) route(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	brand := bandeira.BrandOf(a.PAN)
	network, ok := g.networks[brand]
	if !ok || network == nil {
		return bandeira.Result{Code: bandeira.NoSuchIssuer, Brand: brand}, nil
	}
	g.setReceivingInstitution(a)
	res, err := g.call(ctx, network, a)
	if err != nil || res.Code == bandeira.IssuerUnavailable {
		g.autoReverse(ctx, a, bandeira.Result{}, reasonNoDecision)
	}
	if err != nil {
		return bandeira.Result{Brand: brand}, err
	}
	if res.Code == "" {
		g.log.Error().Str("brand", string(brand)).Str("stan", a.STAN).
			Msg("network answered without a response code")
		res.Code = bandeira.SystemMalfunction
	}
	res.Brand = brand
	return g.book(ctx, a, res), nil
}

// book has the acquirer price and journal an approval. An approval it cannot book is never
// sent: it is answered 96, logged, counted, and reversed through store-and-forward, so the
// issuer releases its hold or posting.
func (g *Gateway) book(ctx context.Context, a *bandeira.Authorization, res bandeira.Result) bandeira.Result {
	if g.acquirer == nil || !res.Code.Approved() {
		return res
	}
	if err := g.acquirer.Record(ctx, *a, res); err != nil {
		g.metrics.bookingErrors.Inc()
		g.log.Error().Err(err).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
			Str("brand", string(res.Brand)).Str("product", string(res.Product)).Str("issuer", res.Issuer).
			Msg("the acquirer could not book an approval; answering 96 instead")
		g.autoReverse(ctx, a, res, reasonNotBooked)
		return bandeira.Result{Code: bandeira.SystemMalfunction, Brand: res.Brand, Issuer: res.Issuer}
	}
	if a.IsSale() {
		g.metrics.priced.WithLabelValues(string(res.Brand), labelOrUnknown(productLabel(res.Product))).Inc()
	}
	return res
}

// call calls the network within the request timer. When the caller's deadline is already
// the earlier one, ctx is passed on as is, which saves a timer per request.
func (g *Gateway) call(ctx context.Context, network bandeira.Authorizer, a *bandeira.Authorization) (bandeira.Result, error) {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= g.cfg.RequestTimeout {
		return network.Authorize(ctx, *a)
	}
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
	defer cancel()
	return network.Authorize(ctx, *a)
}

// productLabel is the product as a metric label, "" when it is not a known product.
func productLabel(p bandeira.Product) string {
	if !p.Valid() {
		return ""
	}
	return string(p)
}

// record counts the request once under the code the edge will send, and logs it.
func (g *Gateway) record(a *bandeira.Authorization, res bandeira.Result, err error, latency time.Duration) {
	code := res.Code
	if err != nil {
		code = bandeira.CodeForError(err)
	}
	mti := mtiLabel(a.MTI)
	g.metrics.requests.WithLabelValues(mti, codeLabel(code)).Inc()
	g.metrics.duration.WithLabelValues(mti).Observe(latency.Seconds())

	ev := g.log.Debug()
	if !ev.Enabled() {
		return
	}
	ev.Str("mti", mti).Str("stan", safeSTAN(a.STAN)).Str("rrn", a.RRN).
		Str("brand", string(res.Brand)).Str("issuer", res.Issuer).
		Str("response_code", string(code)).Float64("latency_ms", float64(latency)/float64(time.Millisecond)).
		Str("pan", a.PAN.String()).Err(err).Msg("request")
}

// safeSTAN returns the STAN for a log line only when it is a well-formed STAN, so a
// malformed request cannot write arbitrary text into the log.
func safeSTAN(s string) string {
	if fixedDigits(s, stanLen) != fieldOK {
		return ""
	}
	return s
}
