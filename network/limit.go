package network

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
)

// A bulkhead per issuer: a stuck issuer holds at most MaxInFlightPerIssuer of the
// network's requests; beyond that its cards are answered at once as if it were
// unreachable, so the requests for other issuers, and the connections that carry them,
// are not held up behind it.

// LimitMetrics are the per-issuer bulkheads' metrics, for every Limit of a process.
type LimitMetrics struct {
	InFlight *prometheus.GaugeVec   // bandeira_network_issuer_in_flight{brand,issuer}
	Shed     *prometheus.CounterVec // bandeira_network_issuer_shed_total{brand,issuer}
}

// NewLimitMetrics builds the metrics and registers them on reg; nil leaves them
// unregistered.
func NewLimitMetrics(reg prometheus.Registerer) *LimitMetrics {
	m := &LimitMetrics{
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_network_issuer_in_flight",
			Help: "Requests the network has in flight to an issuer.",
		}, []string{"brand", "issuer"}),
		Shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_issuer_shed_total",
			Help: "Requests not sent to an issuer because it already had network.max_in_flight_per_issuer in flight.",
		}, []string{"brand", "issuer"}),
	}
	if reg != nil {
		reg.MustRegister(m.InFlight, m.Shed)
	}
	return m
}

// ErrIssuerBusy reports a request refused because its issuer has as many requests in
// flight as the network allows it. It wraps bandeira.ErrOverloaded (the edge answers 91).
var ErrIssuerBusy = fmt.Errorf("network: issuer has too many requests in flight: %w", bandeira.ErrOverloaded)

// Limit returns an Authorizer that lets at most n requests be in flight to next, the
// issuer named issuer of brand, and refuses the others at once with ErrIssuerBusy. A nil m
// gets unregistered metrics. n below 1 means DefaultConfig's MaxInFlightPerIssuer.
func Limit(brand bandeira.Brand, issuer string, next bandeira.Authorizer, n int, m *LimitMetrics) bandeira.Authorizer {
	if m == nil {
		m = NewLimitMetrics(nil)
	}
	if n < 1 {
		n = DefaultConfig().MaxInFlightPerIssuer
	}
	l := &limit{next: next, slots: make(chan struct{}, n),
		inFlight: m.InFlight.WithLabelValues(string(brand), issuer), shed: m.Shed.WithLabelValues(string(brand), issuer)}
	return l
}

type limit struct {
	next     bandeira.Authorizer
	slots    chan struct{}
	inFlight prometheus.Gauge
	shed     prometheus.Counter
}

func (l *limit) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	select {
	case l.slots <- struct{}{}:
	default:
		l.shed.Inc()
		return bandeira.Result{}, ErrIssuerBusy
	}
	l.inFlight.Inc()
	defer func() {
		<-l.slots
		l.inFlight.Dec()
	}()
	return l.next.Authorize(ctx, a)
}
