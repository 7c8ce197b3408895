package network

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira/internal/metrics"
)

// Reasons an issuer call failed, the reason label of bandeira_network_issuer_errors_total.
const (
	ReasonTimeout     = "timeout"     // the issuer did not answer within Config.IssuerTimeout
	ReasonUnavailable = "unavailable" // the issuer reported bandeira.ErrIssuerUnavailable or overload
	ReasonError       = "error"       // any other error
)

// Metrics are the network's Prometheus metrics. One Metrics may serve several Routers (one
// per brand); the brand label tells them apart. It is safe for concurrent use.
type Metrics struct {
	Routed         *prometheus.CounterVec   // bandeira_network_routed_total{brand,issuer}
	Unrouted       *prometheus.CounterVec   // bandeira_network_unrouted_total{brand}
	IssuerErrors   *prometheus.CounterVec   // bandeira_network_issuer_errors_total{brand,issuer,reason}
	IssuerDuration *prometheus.HistogramVec // bandeira_network_issuer_duration_seconds{brand,issuer}
}

// NewMetrics builds the network metrics and registers them on reg; a nil reg leaves them
// unregistered. It panics if the metrics are already registered on reg, a programmer error
// at start-up.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Routed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_routed_total",
			Help: "Authorizations the network routed to an issuer.",
		}, []string{"brand", "issuer"}),
		Unrouted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_unrouted_total",
			Help: "Authorizations whose BIN matched no issuer range (answered 15).",
		}, []string{"brand"}),
		IssuerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_issuer_errors_total",
			Help: "Issuer calls that ended without a decision, by reason (timeout, unavailable, error).",
		}, []string{"brand", "issuer", "reason"}),
		IssuerDuration: prometheus.NewHistogramVec(metrics.Latency(
			"bandeira_network_issuer_duration_seconds",
			"Time from calling an issuer to its answer or error.",
		), []string{"brand", "issuer"}),
	}
	if reg != nil {
		reg.MustRegister(m.Routed, m.Unrouted, m.IssuerErrors, m.IssuerDuration)
	}
	return m
}

// issuerMetrics are one (brand, issuer) pair's children, resolved once so the request path
// does no label lookups.
type issuerMetrics struct {
	routed      prometheus.Counter
	timeouts    prometheus.Counter
	unavailable prometheus.Counter
	errors      prometheus.Counter
	duration    prometheus.Observer
}

func (m *Metrics) forIssuer(brand, issuer string) issuerMetrics {
	return issuerMetrics{
		routed:      m.Routed.WithLabelValues(brand, issuer),
		timeouts:    m.IssuerErrors.WithLabelValues(brand, issuer, ReasonTimeout),
		unavailable: m.IssuerErrors.WithLabelValues(brand, issuer, ReasonUnavailable),
		errors:      m.IssuerErrors.WithLabelValues(brand, issuer, ReasonError),
		duration:    m.IssuerDuration.WithLabelValues(brand, issuer),
	}
}
