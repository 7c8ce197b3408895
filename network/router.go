package network

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

var _ bandeira.Authorizer = (*Router)(nil)

// errNoCode reports an issuer result without a response code: no decision.
var errNoCode = errors.New("network: issuer returned no response code")

// Router is one brand's network: a bandeira.Authorizer that routes each request to the
// issuer owning the card's BIN range. It is immutable after NewRouter and safe for
// concurrent use.
type Router struct {
	brand    bandeira.Brand
	timeout  time.Duration
	table    routeTable
	issuers  []issuer // indexed by the route table's targets
	log      zerolog.Logger
	unrouted prometheus.Counter
}

// issuer is one routed-to issuer with its metric children.
type issuer struct {
	name string
	auth bandeira.Authorizer
	m    issuerMetrics
}

// NewRouter builds the router for brand. routes map BIN prefixes (6 to 8 digits) to names
// in issuers; issuers no route names are ignored. It fails if cfg is invalid, a prefix is
// malformed or repeated, or a route names an issuer missing from issuers (or nil there).
// A nil m gets unregistered metrics.
func NewRouter(brand bandeira.Brand, cfg Config, routes []Route, issuers map[string]bandeira.Authorizer, log zerolog.Logger, m *Metrics) (*Router, error) {
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
		log:      log.With().Str("component", "network").Str("brand", string(brand)).Logger(),
		unrouted: m.Unrouted.WithLabelValues(string(brand)),
	}
	index, err := r.addIssuers(routes, issuers, m)
	if err != nil {
		return nil, fmt.Errorf("building %s router: %w", brand, err)
	}
	for _, rt := range routes {
		if err := r.table.add(rt.Prefix, index[rt.Issuer]); err != nil {
			return nil, fmt.Errorf("building %s router: %w", brand, err)
		}
	}
	return r, nil
}

// addIssuers resolves every issuer the routes name, in name order, and returns the index of
// each in r.issuers.
func (r *Router) addIssuers(routes []Route, issuers map[string]bandeira.Authorizer, m *Metrics) (map[string]int, error) {
	var names []string
	seen := make(map[string]bool)
	for _, rt := range routes {
		if seen[rt.Issuer] {
			continue
		}
		seen[rt.Issuer] = true
		if a, ok := issuers[rt.Issuer]; !ok || a == nil {
			return nil, fmt.Errorf("route %q: unknown issuer %q", rt.Prefix, rt.Issuer)
		}
		names = append(names, rt.Issuer)
	}
	sort.Strings(names)
	index := make(map[string]int, len(names))
	for i, name := range names {
		index[name] = i
		r.issuers = append(r.issuers, issuer{
			name: name,
			auth: issuers[name],
			m:    m.forIssuer(string(r.brand), name),
		})
	}
	return index, nil
}

// Brand returns the brand the router serves.
func (r *Router) Brand() bandeira.Brand { return r.brand }

// Lookup returns the name of the issuer that owns pan's longest matching BIN prefix, or
// false if no route matches.
func (r *Router) Lookup(pan bandeira.PAN) (string, bool) {
	i, ok := r.table.lookup(pan.Digits())
	if !ok {
		return "", false
	}
	return r.issuers[i].name, true
}

// Authorize routes a to its issuer and returns the issuer's decision, with Brand and Issuer
// filled in when the issuer left them empty. A PAN that matches no route is declined with
// 15 (no such issuer). If the issuer returns an error, returns a result without a response
// code, or does not answer within Config.IssuerTimeout, Authorize returns an error wrapping
// bandeira.ErrIssuerUnavailable (the edge answers 91).
//
// The timeout reaches the issuer through its context; an issuer that ignores its context
// is waited for, so issuers must honour it.
func (r *Router) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	i, ok := r.table.lookup(a.PAN.Digits())
	if !ok {
		r.unrouted.Inc()
		r.log.Debug().Stringer("pan", a.PAN).Str("stan", a.STAN).Str("rrn", a.RRN).
			Msg("no issuer for BIN")
		return bandeira.Result{Code: bandeira.NoSuchIssuer, Brand: r.brand}, nil
	}
	is := &r.issuers[i]
	is.m.routed.Inc()

	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	start := time.Now()
	res, err := is.auth.Authorize(ctx, a)
	is.m.duration.Observe(time.Since(start).Seconds())
	if err == nil && res.Code == "" {
		err = errNoCode
	}
	if err != nil {
		return bandeira.Result{}, r.issuerFailed(is, a, err)
	}
	if res.Brand == "" {
		res.Brand = r.brand
	}
	if res.Issuer == "" {
		res.Issuer = is.name
	}
	return res, nil
}

// issuerFailed counts and logs a failed issuer call and returns the error to hand back,
// which always wraps bandeira.ErrIssuerUnavailable and the issuer's own error.
func (r *Router) issuerFailed(is *issuer, a bandeira.Authorization, err error) error {
	reason := ReasonError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		reason = ReasonTimeout
		is.m.timeouts.Inc()
	case errors.Is(err, bandeira.ErrIssuerUnavailable), errors.Is(err, bandeira.ErrOverloaded):
		reason = ReasonUnavailable
		is.m.unavailable.Inc()
	default:
		is.m.errors.Inc()
	}
	// An unreachable issuer is a link state, which the link logs once per change; a
	// timeout or an error is news about this request.
	ev := r.log.Warn()
	if reason == ReasonUnavailable {
		ev = r.log.Debug()
	}
	ev.Err(err).Str("issuer", is.name).Str("reason", reason).
		Str("mti", string(a.MTI)).Str("stan", a.STAN).Str("rrn", a.RRN).
		Msg("issuer gave no decision")
	if errors.Is(err, bandeira.ErrIssuerUnavailable) {
		return fmt.Errorf("authorizing at issuer %s: %w", is.name, err)
	}
	return fmt.Errorf("authorizing at issuer %s: %w: %w", is.name, bandeira.ErrIssuerUnavailable, err)
}
