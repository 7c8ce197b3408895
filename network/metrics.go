package network

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira/internal/metrics"
)

// Reasons an issuer call gave no decision, the reason label of
// bandeira_network_issuer_errors_total.
const (
	ReasonTimeout     = "timeout"     // the issuer did not answer within Config.IssuerTimeout
	ReasonUnavailable = "unavailable" // unreachable, overloaded, or it answered 91
	ReasonSignedOff   = "signed_off"  // the issuer had signed off (bandeira.ErrSignedOff)
	ReasonError       = "error"       // any other error
)

// Metrics are the network's Prometheus metrics. One Metrics may serve several Routers (one
// per brand); the brand label tells them apart. It is safe for concurrent use.
type Metrics struct {
	Routed         *prometheus.CounterVec   // bandeira_network_routed_total{brand,issuer}
	Unrouted       *prometheus.CounterVec   // bandeira_network_unrouted_total{brand}
	IssuerErrors   *prometheus.CounterVec   // bandeira_network_issuer_errors_total{brand,issuer,reason}
	IssuerDuration *prometheus.HistogramVec // bandeira_network_issuer_duration_seconds{brand,issuer}
	// StandIn is bandeira_network_stand_in_total{brand,issuer,reason,response_code}: the
	// decisions taken on an issuer's behalf, by reason (timeout, unreachable, signed_off).
	StandIn *prometheus.CounterVec
	// StandInAmount is bandeira_network_stand_in_amount_centavos_total{brand,issuer}: the
	// amount approved in stand-in, the risk the network took on the issuer's behalf.
	StandInAmount *prometheus.CounterVec
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
		StandIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_stand_in_total",
			Help: "Decisions the network took on an issuer's behalf (stand-in), by reason (timeout, unreachable, signed_off) and response code.",
		}, []string{"brand", "issuer", "reason", "response_code"}),
		StandInAmount: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_network_stand_in_amount_centavos_total",
			Help: "Centavos approved in stand-in: the risk the network took on an issuer's behalf until its advices post.",
		}, []string{"brand", "issuer"}),
	}
	if reg != nil {
		reg.MustRegister(m.Routed, m.Unrouted, m.IssuerErrors, m.IssuerDuration, m.StandIn, m.StandInAmount)
	}
	return m
}

// issuerMetrics are one (brand, issuer) pair's children, resolved once so the request path
// does no label lookups.
type issuerMetrics struct {
	routed      prometheus.Counter
	timeouts    prometheus.Counter
	unavailable prometheus.Counter
	signedOff   prometheus.Counter
	errors      prometheus.Counter
	duration    prometheus.Observer
}

func (m *Metrics) forIssuer(brand, issuer string) issuerMetrics {
	return issuerMetrics{
		routed:      m.Routed.WithLabelValues(brand, issuer),
		timeouts:    m.IssuerErrors.WithLabelValues(brand, issuer, ReasonTimeout),
		unavailable: m.IssuerErrors.WithLabelValues(brand, issuer, ReasonUnavailable),
		signedOff:   m.IssuerErrors.WithLabelValues(brand, issuer, ReasonSignedOff),
		errors:      m.IssuerErrors.WithLabelValues(brand, issuer, ReasonError),
		duration:    m.IssuerDuration.WithLabelValues(brand, issuer),
	}
}
