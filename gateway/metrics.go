package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/metrics"
)

// Metrics are the gateway's Prometheus collectors. Labels are low-cardinality: MTIs outside
// the supported set are reported as "other", and nothing per card, terminal or merchant is
// ever a label.
type Metrics struct {
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      prometheus.Gauge
	duplicates    *prometheus.CounterVec
	evicted       prometheus.Counter
	priced        *prometheus.CounterVec
	bookingErrors prometheus.Counter

	autoReversals        *prometheus.CounterVec
	autoReversalFailures prometheus.Counter
	keysCommit           prometheus.Histogram

	rejected, replayed, afterReversal prometheus.Counter
}

// Duplicate kinds, the values of the kind label of bandeira_gateway_duplicates_total.
const (
	duplicateRejected = "rejected"       // answered 94
	duplicateReplayed = "replayed"       // a repeat answered with the stored original outcome
	duplicateReversed = "after_reversal" // an original whose reversal came first: answered 05
)

// NewMetrics builds the gateway's collectors and registers them on reg; a nil reg leaves
// them unregistered. Registering twice on one registry panics, as for any collector.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_gateway_requests_total",
			Help: "Requests answered by the gateway, by request MTI and response code (field 39).",
		}, []string{"mti", "response_code"}),
		duration: prometheus.NewHistogramVec(metrics.Latency(
			"bandeira_gateway_request_duration_seconds",
			"Time from receiving a request to answering it, by request MTI.",
		), []string{"mti"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bandeira_gateway_in_flight",
			Help: "Requests being processed by the gateway.",
		}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_gateway_duplicates_total",
			Help: "Requests whose key was already known: rejected with 94, replayed to a repeat, or an original declined with 05 because its reversal came first (after_reversal).",
		}, []string{"kind"}),
		evicted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bandeira_gateway_duplicate_keys_evicted_total",
			Help: "Request keys forgotten before the duplicate window ended because the store was full.",
		}),
		priced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_gateway_priced_total",
			Help: "Approved sales priced by the acquirer, by brand and product.",
		}, []string{"brand", "product"}),
		bookingErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bandeira_gateway_booking_errors_total",
			Help: "Approvals the acquirer could not price or journal; each was answered 96 instead.",
		}),
		autoReversals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_gateway_auto_reversals_total",
			Help: "Reversals the gateway queued for store-and-forward, by reason: no_decision (answered 91), not_booked (an approval answered 96), undelivered (an approval the client never got).",
		}, []string{"reason"}),
		autoReversalFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bandeira_gateway_auto_reversal_failures_total",
			Help: "Automatic reversals that could not be queued (the store-and-forward store failed or closed); each is logged.",
		}),
		keysCommit: prometheus.NewHistogram(metrics.Latency(
			"bandeira_gateway_keys_commit_duration_seconds",
			"Duration of each group commit of the gateway's durable duplicate keys (one transaction, fsync included).",
		)),
	}
	m.rejected = m.duplicates.WithLabelValues(duplicateRejected)
	m.replayed = m.duplicates.WithLabelValues(duplicateReplayed)
	m.afterReversal = m.duplicates.WithLabelValues(duplicateReversed)
	for _, r := range reversalReasons {
		m.autoReversals.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.duration, m.inFlight, m.duplicates, m.evicted,
			m.priced, m.bookingErrors, m.autoReversals, m.autoReversalFailures, m.keysCommit)
	}
	return m
}

// mtiLabel returns the MTI as a label value, or "other" for an MTI the gateway does not
// support, so garbage on the wire cannot create series.
func mtiLabel(m bandeira.MTI) string {
	if _, ok := mandatory[m]; ok {
		return string(m)
	}
	return "other"
}

// codeLabel returns a response code as a label value: two letters or digits, else "other".
func codeLabel(c bandeira.ResponseCode) string {
	if len(c) != 2 || !alnum(c[0]) || !alnum(c[1]) {
		return "other"
	}
	return string(c)
}

func alnum(b byte) bool {
	return b >= '0' && b <= '9' || b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z'
}

// labelOrUnknown keeps empty brand and product labels readable.
func labelOrUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
