package gateway

import (
	"context"
	"maps"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// Pricer prices an approved sale: its merchant, brand, product, total amount and
// installment plan. acquirer.Acquirer satisfies it. Implementations are safe for
// concurrent use.
type Pricer interface {
	Price(sale bandeira.Sale) (bandeira.Fee, error)
}

// Journal durably records the approved requests the acquirer settles: sales with the fee
// the Pricer gave them, refunds, reversals and completions. acquirer.Journal satisfies it.
//
// The gateway calls Record for every approved request it routed, before it answers, so
// an approval the journal could lose is never sent; Record picks what it journals and
// returns nil for the rest (inquiries, network management). fee is the sale's price for a
// purchase or cash withdrawal, zero for anything else; a sale that could not be priced is
// not passed to Record. A non-nil error means the entry is not known to be durable: the
// gateway answers with that error (91 or 96 at the edge) instead of the approval.
// Implementations are safe for concurrent use.
type Journal interface {
	Record(ctx context.Context, a bandeira.Authorization, res bandeira.Result, fee bandeira.Fee) error
}

// Option configures a Gateway beyond New's arguments.
type Option func(*Gateway)

// WithJournal makes the gateway record approved sales, refunds and reversals in j before
// answering them (see Journal).
func WithJournal(j Journal) Option { return func(g *Gateway) { g.journal = j } }

// Gateway is the acquirer host's Authorizer: it validates requests, answers network
// management, rejects duplicates, routes by brand to a network and prices approved sales.
// It is safe for concurrent use.
type Gateway struct {
	cfg      Config
	networks map[bandeira.Brand]bandeira.Authorizer
	pricer   Pricer
	journal  Journal
	log      zerolog.Logger
	metrics  *Metrics
	now      func() time.Time
	dups     *dupStore
}

var _ bandeira.Authorizer = (*Gateway)(nil)

// New returns a Gateway that routes each brand to networks[brand] and prices approved sales
// with pricer (nil: nothing is priced). cfg should have passed Validate; zero settings take
// their defaults. m may be nil (metrics are then kept but not registered). now is the clock
// of the duplicate window (nil: time.Now); latency is always measured on the real clock.
// Options such as WithJournal apply last.
func New(cfg Config, networks map[bandeira.Brand]bandeira.Authorizer, pricer Pricer, log zerolog.Logger, m *Metrics, now func() time.Time, opts ...Option) *Gateway {
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
		pricer:   pricer,
		log:      log.With().Str("component", "gateway").Logger(),
		metrics:  m,
		now:      now,
		dups:     newDupStore(int64(cfg.DuplicateWindow), cfg.DuplicateCapacity),
	}
	for _, o := range opts {
		o(g)
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

// Authorize answers one request. Declines, format errors (30), duplicates (94) and
// network-management answers are Results with a nil error. A non-nil error comes unchanged
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
	if a.MTI.Class() == '8' {
		return networkManagement(a), nil
	}
	if !a.PAN.LuhnValid() {
		return bandeira.Result{Code: bandeira.InvalidCardNumber}, nil
	}
	return g.once(ctx, a)
}

// networkManagement answers 0800: sign-on, sign-off and echo are acknowledged with 00,
// any other code gets 12. Nothing is routed.
func networkManagement(a *bandeira.Authorization) bandeira.Result {
	switch a.NetworkCode {
	case bandeira.SignOn, bandeira.SignOff, bandeira.Echo:
		return bandeira.Result{Code: bandeira.Approved}
	}
	return bandeira.Result{Code: bandeira.InvalidTransaction}
}

// once applies duplicate detection around routing, so each key is routed at most once.
func (g *Gateway) once(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	c := g.dups.claim(packKey(a.Key()), g.fingerprint(a), g.now().UnixNano())
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
	res, err := g.route(ctx, a)
	g.dups.complete(c.entry, res, err)
	return res, err
}

func (g *Gateway) fingerprint(a *bandeira.Authorization) fingerprint {
	fp := fingerprint{class: a.MTI.Class(), amount: a.Amount, pan: g.dups.panHash(a.PAN)}
	copy(fp.procCode[:], a.ProcessingCode)
	return fp
}

// route sends the request to the network of its brand, within the request timer, and
// prices the sale when it is approved.
func (g *Gateway) route(ctx context.Context, a *bandeira.Authorization) (bandeira.Result, error) {
	brand := bandeira.BrandOf(a.PAN)
	network, ok := g.networks[brand]
	if !ok || network == nil {
		return bandeira.Result{Code: bandeira.NoSuchIssuer, Brand: brand}, nil
	}
	res, err := g.call(ctx, network, a)
	if err != nil {
		return bandeira.Result{Brand: brand}, err
	}
	if res.Code == "" {
		g.log.Error().Str("brand", string(brand)).Str("stan", a.STAN).
			Msg("network answered without a response code")
		res.Code = bandeira.SystemMalfunction
	}
	if res.Brand == "" {
		res.Brand = brand
	}
	fee, priced := g.price(a, brand, res)
	if g.journal != nil && res.Code.Approved() && (priced || !a.IsSale()) {
		if err := g.journal.Record(ctx, *a, res, fee); err != nil {
			g.metrics.journalErrors.Inc()
			g.log.Error().Err(err).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
				Msg("journaling failed; the approval is not sent")
			return bandeira.Result{Brand: brand}, err
		}
	}
	return res, nil
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

// price prices an approved purchase or cash withdrawal (0100/0200, processing code 00 or
// 01) with its installment plan (field 48 tag IP). A pricing failure is logged and
// counted; it never changes the answer.
func (g *Gateway) price(a *bandeira.Authorization, brand bandeira.Brand, res bandeira.Result) (bandeira.Fee, bool) {
	if g.pricer == nil || !res.Code.Approved() || !a.IsSale() {
		return bandeira.Fee{}, false
	}
	fee, err := g.pricer.Price(bandeira.Sale{
		MerchantID: a.MerchantID, Brand: brand, Product: res.Product, Amount: a.Amount, Installments: a.Installments,
	})
	if err != nil {
		g.metrics.pricingErrors.Inc()
		g.log.Error().Err(err).Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
			Str("brand", string(brand)).Str("product", string(res.Product)).Msg("pricing failed")
		return bandeira.Fee{}, false
	}
	product := string(res.Product)
	if !res.Product.Valid() {
		product = ""
	}
	g.metrics.priced.WithLabelValues(string(brand), labelOrUnknown(product)).Inc()
	g.log.Debug().Str("stan", a.STAN).Str("rrn", a.RRN).Int64("mdr_centavos", int64(fee.MDR)).
		Msg("priced")
	return fee, true
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
