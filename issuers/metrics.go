package issuers

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
)

// Metrics are the issuer banks' Prometheus metrics, shared by every Bank of a process.
// Labels are low-cardinality: the issuer name and the response code.
type Metrics struct {
	// Decisions counts decisions by issuer and response code. A request the bank could not
	// decide counts under the code its error maps to (bandeira.CodeForError, e.g. 91).
	Decisions *prometheus.CounterVec
	// DecisionDuration is the time a bank took to decide, in seconds, by issuer.
	DecisionDuration *prometheus.HistogramVec
}

// NewMetrics builds the metrics and registers them on reg (nil: not registered). Calling it
// twice on one registry returns metrics bound to the collectors registered first.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_issuer_decisions_total",
			Help: "Authorization decisions by issuer bank and response code (field 39).",
		}, []string{"issuer", "response_code"}),
		DecisionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bandeira_issuer_decision_duration_seconds",
			Help:    "Time an issuer bank took to decide an authorization, in seconds.",
			Buckets: prometheus.ExponentialBuckets(0.000_01, 4, 11), // 10 µs … 10.5 s
		}, []string{"issuer"}),
	}
	if reg != nil {
		m.Decisions = register(reg, m.Decisions)
		m.DecisionDuration = register(reg, m.DecisionDuration)
	}
	return m
}

// register registers c, or returns the collector already registered under its name. Any
// other failure is a programmer error (inconsistent metric definitions) and panics.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	switch {
	case err == nil:
		return c
	case errors.As(err, &are):
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	panic("issuers: registering metrics: " + err.Error())
}

// bankMetrics are a Bank's children of Metrics, curried with its issuer label. The
// counters of the codes a bank answers are resolved once, so the hot path does no label
// lookup; other codes (from wrapped ledgers' errors) fall back to the vector.
type bankMetrics struct {
	decisions *prometheus.CounterVec
	byCode    map[bandeira.ResponseCode]prometheus.Counter // read-only after forBank
	duration  prometheus.Observer
}

// bankCodes are the response codes a Bank returns, plus 96 for undecided requests.
var bankCodes = []bandeira.ResponseCode{
	bandeira.Approved, bandeira.InvalidTransaction, bandeira.InvalidAmount,
	bandeira.InvalidCardNumber, bandeira.LostCard, bandeira.StolenCard,
	bandeira.InsufficientFunds, bandeira.ExpiredCard, bandeira.IncorrectPIN,
	bandeira.ExceedsAmountLimit, bandeira.RestrictedCard, bandeira.PINTriesExceeded,
	bandeira.IssuerUnavailable, bandeira.DuplicateTransmission, bandeira.SystemMalfunction,
	bandeira.CVV2Mismatch,
}

func (m *Metrics) forBank(name string) *bankMetrics {
	if m == nil {
		return nil
	}
	bm := &bankMetrics{
		decisions: m.Decisions.MustCurryWith(prometheus.Labels{"issuer": name}),
		byCode:    make(map[bandeira.ResponseCode]prometheus.Counter, len(bankCodes)),
		duration:  m.DecisionDuration.WithLabelValues(name),
	}
	for _, c := range bankCodes {
		bm.byCode[c] = bm.decisions.WithLabelValues(string(c))
	}
	return bm
}

func (bm *bankMetrics) observe(code bandeira.ResponseCode, took time.Duration) {
	c, ok := bm.byCode[code]
	if !ok {
		c = bm.decisions.WithLabelValues(string(code))
	}
	c.Inc()
	bm.duration.Observe(took.Seconds())
}
