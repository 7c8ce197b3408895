package network

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

var _ bandeira.Authorizer = (*Router)(nil)

// errNoCode reports an issuer result without a response code: no decision.
var errNoCode = errors.New("network: issuer returned no response code")

// Router is one brand's network: a bandeira.Authorizer that routes each request to its
// issuer (by field 100 when the request names one, else by the card's BIN), and decides on
// the issuer's behalf when the issuer cannot (stand-in, with WithStandIn). It is immutable
// after NewRouter and safe for concurrent use.
type Router struct {
	brand    bandeira.Brand
	timeout  time.Duration
	table    routeTable
	targets  []target       // what the route table's entries point at
	issuers  []issuer       // by name
	byInst   map[string]int // issuer index by institution ID, leading zeros dropped
	log      zerolog.Logger
	unrouted prometheus.Counter
	m        *Metrics

	store *Store    // nil: no stand-in
	fwd   Forwarder // nil: no store-and-forward
	now   func() time.Time
}

// target is one BIN row: its issuer (an index into Router.issuers) and card product.
type target struct {
	issuer  int
	product bandeira.Product
}

// issuer is one routed-to issuer with its stand-in rules, store-and-forward queue and
// metric children.
type issuer struct {
	name  string
	auth  bandeira.Authorizer
	rules StandInRules
	queue string // the store-and-forward queue to it, "network:<brand>->issuer:<name>"
	m     issuerMetrics
}

// Option customises NewRouter.
type Option func(*Router)

// WithStandIn makes the router stand in for issuers that cannot answer, by the rules of
// Config.StandIn, recording each decision in s; and deliver through f the advices of its
// approvals, the reversals of what it gave up on, and the reversals it could not deliver
// (docs/architecture.md, "Stand-in"). Without it, an issuer that cannot answer gets 91.
func WithStandIn(s *Store, f Forwarder) Option {
	return func(r *Router) { r.store, r.fwd = s, f }
}

// WithClock sets the clock of stand-in decisions (expiry, the Brasília day); default
// time.Now.
func WithClock(now func() time.Time) Option { return func(r *Router) { r.now = now } }

// NewRouter builds the router for brand. routes map BIN prefixes (6 to 8 digits) to names
// in issuers; issuers no route names are ignored. It fails if cfg is invalid, a prefix is
// malformed or repeated, a route names an issuer missing from issuers (or nil there), an
// institution ID is not 1 to 11 digits, two issuers share one, or WithStandIn lacks its
// store or its forwarder. A nil m gets unregistered metrics.
func NewRouter(brand bandeira.Brand, cfg Config, routes []Route, issuers map[string]bandeira.Authorizer, log zerolog.Logger, m *Metrics, opts ...Option) (*Router, error) {
	if brand == "" {
		return nil, errors.New("building router: empty brand")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("building %s router: %w", brand, err)
	}
	if m == nil {
		m = NewMetrics(nil)
	}
	r := &Router{
		brand:    brand,
		timeout:  cfg.IssuerTimeout,
		byInst:   make(map[string]int),
		log:      log.With().Str("component", "network").Str("brand", string(brand)).Logger(),
		unrouted: m.Unrouted.WithLabelValues(string(brand)),
		m:        m,
		now:      time.Now,
	}
	for _, o := range opts {
		o(r)
	}
	if (r.store == nil) != (r.fwd == nil) {
		return nil, fmt.Errorf("building %s router: stand-in needs both a store and a forwarder", brand)
	}
	index, err := r.addIssuers(cfg.StandIn, routes, issuers)
	if err != nil {
		return nil, fmt.Errorf("building %s router: %w", brand, err)
	}
	for _, rt := range routes {
		if err := r.table.add(rt.Prefix, len(r.targets)); err != nil {
			return nil, fmt.Errorf("building %s router: %w", brand, err)
		}
		r.targets = append(r.targets, target{issuer: index[rt.Issuer], product: rt.Product})
	}
	return r, nil
}

// addIssuers resolves every issuer the routes name, in name order, indexes their
// institution IDs and returns the index of each in r.issuers.
func (r *Router) addIssuers(standIn StandInConfig, routes []Route, issuers map[string]bandeira.Authorizer) (map[string]int, error) {
	var names []string
	inst := make(map[string]string) // issuer → its institution ID
	for _, rt := range routes {
		if a, ok := issuers[rt.Issuer]; !ok || a == nil {
			return nil, fmt.Errorf("route %q: unknown issuer %q", rt.Prefix, rt.Issuer)
		}
		if err := checkInstitution(rt, inst); err != nil {
			return nil, err
		}
		if _, seen := inst[rt.Issuer]; !seen {
			names = append(names, rt.Issuer)
			inst[rt.Issuer] = rt.InstitutionID
		}
	}
	sort.Strings(names)
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
		r.issuers = append(r.issuers, issuer{name: name, auth: issuers[name], rules: standIn.For(name),
			queue: QueueName(r.brand, name), m: r.m.forIssuer(string(r.brand), name)})
		if id := inst[name]; id != "" {
			if other, dup := r.byInst[trimZeros(id)]; dup {
				return nil, fmt.Errorf("issuers %q and %q share institution ID %s", names[other], name, id)
			}
			r.byInst[trimZeros(id)] = i
		}
	}
	return index, nil
}

// checkInstitution checks rt's institution ID: 1 to 11 digits or none, and the same on
// every route of its issuer.
func checkInstitution(rt Route, inst map[string]string) error {
	if id := rt.InstitutionID; id != "" && (len(id) > 11 || !bandeira.IsDigits(id)) {
		return fmt.Errorf("route %q: institution ID %q is not 1 to 11 digits", rt.Prefix, id)
	}
	if id, seen := inst[rt.Issuer]; seen && id != rt.InstitutionID {
		return fmt.Errorf("route %q: issuer %q has institution IDs %q and %q", rt.Prefix, rt.Issuer, id, rt.InstitutionID)
	}
	return nil
}

// QueueName is the store-and-forward queue from brand's network to issuer:
// "network:<brand>->issuer:<issuer>".
func QueueName(brand bandeira.Brand, issuer string) string {
	return "network:" + string(brand) + "->issuer:" + issuer
}

// Brand returns the brand the router serves.
func (r *Router) Brand() bandeira.Brand { return r.brand }

// Lookup returns the name of the issuer that owns pan's longest matching BIN prefix, or
// false if no route matches.
func (r *Router) Lookup(pan bandeira.PAN) (string, bool) {
	t, ok := r.table.lookup(pan.Digits())
	if !ok {
		return "", false
	}
	return r.issuers[r.targets[t].issuer].name, true
}

// route picks a's issuer and the card's product: by field 100 (the receiving
// institution) when a carries it, whatever its PAN; otherwise by the longest BIN prefix.
// The product is that of the card's BIN row when the row belongs to the issuer picked.
func (r *Router) route(a *bandeira.Authorization) (*issuer, bandeira.Product, bool) {
	t, binOK := r.table.lookup(a.PAN.Digits())
	if a.ReceivingInstitution != "" {
		i, ok := r.byInst[trimZeros(a.ReceivingInstitution)]
		if !ok {
			return nil, "", false
		}
		var product bandeira.Product
		if binOK && r.targets[t].issuer == i {
			product = r.targets[t].product
		}
		return &r.issuers[i], product, true
	}
	if !binOK {
		return nil, "", false
	}
	return &r.issuers[r.targets[t].issuer], r.targets[t].product, true
}

// Authorize routes a to its issuer and returns the issuer's decision, with Brand and Issuer
// filled in when the issuer left them empty. A request whose field 100 names no issuer, or
// whose PAN matches no route, is declined with 15 (no such issuer).
//
// When the issuer gives no decision (an error, a result without a response code, 91, or
// no answer within Config.IssuerTimeout) the network owns the outcome: with WithStandIn it
// decides on the issuer's behalf where its rules allow (docs/architecture.md, "Stand-in")
// and stores for the issuer the advice of an approval or the reversal of anything else;
// otherwise, and when the caller's own context ended first, Authorize returns an error
// wrapping bandeira.ErrIssuerUnavailable (the edge answers 91), or relays the issuer's 91.
//
// A reversal or completion whose original still has a message waiting in the issuer's
// store-and-forward queue (a stand-in advice not yet delivered) is not sent now, where it
// would reach the issuer before that message: it is stored behind it, and the caller gets
// an error wrapping bandeira.ErrIssuerUnavailable (91) until the queue has delivered it.
//
// The timeout reaches the issuer through its context; an issuer that ignores its context
// is waited for, so issuers must honour it (the banks and the links do).
func (r *Router) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	is, product, ok := r.route(&a)
	if !ok {
		r.unrouted.Inc()
		r.log.Debug().Stringer("pan", a.PAN).Str("stan", a.STAN).Str("rrn", a.RRN).
			Str("receiving_institution", a.ReceivingInstitution).Msg("no issuer for the BIN or institution")
		return bandeira.Result{Code: bandeira.NoSuchIssuer, Brand: r.brand}, nil
	}
	is.m.routed.Inc()
	if r.store != nil && standsInFor(&a) && !r.store.empty() {
		if res, done, err := r.decidedBefore(ctx, is, a, product); done {
			return res, err
		}
	}
	if r.fwd != nil && followsUp(&a) && r.fwd.Holds(is.queue, a.OriginalKey()) {
		return r.behind(ctx, is, a)
	}
	ictx, cancel := context.WithTimeout(ctx, r.timeout)
	start := time.Now()
	res, err := is.auth.Authorize(ictx, a)
	cancel()
	is.m.duration.Observe(time.Since(start).Seconds())
	if err == nil && res.Code == "" {
		err = errNoCode
	}
	if err == nil && res.Code != bandeira.IssuerUnavailable {
		if res.Brand == "" {
			res.Brand = r.brand
		}
		if res.Issuer == "" {
			res.Issuer = is.name
		}
		return res, nil
	}
	return r.gaveUp(ctx, is, a, product, res, err)
}

// trimZeros drops the leading zeros of a digit string ("001" → "1"; "000" → "0").
func trimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}
