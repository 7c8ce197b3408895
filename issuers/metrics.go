package issuers

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/metrics"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// Metrics are the issuer banks' Prometheus metrics, shared by every Bank of a process.
// Labels are low-cardinality: the issuer name, the card's brand and product (from the
// bank's own BIN rows, so a bounded set) and the response code.
type Metrics struct {
	// Decisions counts decisions by issuer, brand, product and response code. A request
	// the bank could not decide counts under the code its error maps to
	// (bandeira.CodeForError, e.g. 91). A card the bank never issued counts under its
	// PAN's brand and product "unknown".
	Decisions *prometheus.CounterVec
	// DecisionDuration is the time a bank took to decide, in seconds, by issuer.
	DecisionDuration *prometheus.HistogramVec
	// StandInPosted counts the stand-in approvals (0120 advices) a bank posted, by issuer:
	// each once, whether the bank had never seen the request or had declined it.
	StandInPosted *prometheus.CounterVec
	// StandInOverdraft sums, by issuer, the centavos by which posted stand-in approvals
	// took cards below their available balance: the stand-in risk the issuer carries.
	StandInOverdraft *prometheus.CounterVec
}

// unknown labels a brand or product the bank cannot tell.
const unknown = "unknown"

// NewMetrics builds the metrics and registers them on reg (nil: not registered). Calling it
// twice on one registry returns metrics bound to the collectors registered first.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_issuer_decisions_total",
			Help: "Authorization decisions by issuer bank, card brand, card product and response code (field 39).",
		}, []string{"issuer", "brand", "product", "response_code"}),
		DecisionDuration: prometheus.NewHistogramVec(metrics.Latency(
			"bandeira_issuer_decision_duration_seconds",
			"Time an issuer bank took to decide an authorization, in seconds.",
		), []string{"issuer"}),
		StandInPosted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_issuer_stand_in_posted_total",
			Help: "Stand-in approvals (0120 advices) an issuer bank posted, each once.",
		}, []string{"issuer"}),
		StandInOverdraft: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_issuer_stand_in_overdraft_centavos_total",
			Help: "Centavos by which posted stand-in approvals took cards below their available balance.",
		}, []string{"issuer"}),
	}
	if reg != nil {
		m.Decisions = register(reg, m.Decisions)
		m.DecisionDuration = register(reg, m.DecisionDuration)
		m.StandInPosted = register(reg, m.StandInPosted)
		m.StandInOverdraft = register(reg, m.StandInOverdraft)
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
// counters of the codes a bank answers on each of its BIN rows' brand and product are
// resolved once, so the hot path does no label lookup; other combinations (codes from
// wrapped ledgers' errors, cards the bank never issued) fall back to the vector.
type bankMetrics struct {
	decisions        *prometheus.CounterVec
	byKey            map[decisionKey]prometheus.Counter // read-only after forBank
	duration         prometheus.Observer
	standInPosted    prometheus.Counter
	standInOverdraft prometheus.Counter
}

// decisionKey is one series of bandeira_issuer_decisions_total within a bank.
type decisionKey struct {
	brand   bandeira.Brand
	product bandeira.Product
	code    bandeira.ResponseCode
}

// bankCodes are the response codes a Bank returns, plus 96 for undecided requests.
var bankCodes = []bandeira.ResponseCode{
	bandeira.Approved, bandeira.DoNotHonour, bandeira.InvalidTransaction, bandeira.InvalidAmount,
	bandeira.InvalidCardNumber, bandeira.LostCard, bandeira.StolenCard,
	bandeira.InsufficientFunds, bandeira.ExpiredCard, bandeira.IncorrectPIN,
	bandeira.ExceedsAmountLimit, bandeira.RestrictedCard, bandeira.PINTriesExceeded,
	bandeira.IssuerUnavailable, bandeira.DuplicateTransmission, bandeira.SystemMalfunction,
	bandeira.CVV2Mismatch,
}

// forBank resolves the children of the bank called name, whose cards are of the given
// brand and product pairs.
func (m *Metrics) forBank(name string, rows []binRow) *bankMetrics {
	if m == nil {
		return nil
	}
	bm := &bankMetrics{
		decisions:        m.Decisions.MustCurryWith(prometheus.Labels{"issuer": name}),
		byKey:            make(map[decisionKey]prometheus.Counter, len(rows)*len(bankCodes)),
		duration:         m.DecisionDuration.WithLabelValues(name),
		standInPosted:    m.StandInPosted.WithLabelValues(name),
		standInOverdraft: m.StandInOverdraft.WithLabelValues(name),
	}
	for _, r := range rows {
		for _, c := range bankCodes {
			k := decisionKey{r.brand, r.product, c}
			if _, ok := bm.byKey[k]; !ok {
				bm.byKey[k] = bm.decisions.WithLabelValues(string(r.brand), string(r.product), string(c))
			}
		}
	}
	return bm
}

// observe counts one decision on a card of brand and product (empty when the bank did
// not issue the card) and its duration.
func (bm *bankMetrics) observe(brand bandeira.Brand, product bandeira.Product, code bandeira.ResponseCode, took time.Duration) {
	c, ok := bm.byKey[decisionKey{brand, product, code}]
	if !ok {
		c = bm.decisions.WithLabelValues(labelOr(string(brand)), labelOr(string(product)), string(code))
	}
	c.Inc()
	bm.duration.Observe(took.Seconds())
}

// standIn counts a stand-in approval the ledger posted (out), and how far below the
// available balance it took the card. A nil bankMetrics counts nothing.
func (bm *bankMetrics) standIn(out *ledger.Outcome) {
	if bm == nil {
		return
	}
	bm.standInPosted.Inc()
	if k := out.Record.Kind; k != ledger.Hold && k != ledger.Debit {
		return // a credit or an inquiry takes nothing
	}
	if over := min(out.Record.Amount, -out.Balances.Available()); over > 0 {
		bm.standInOverdraft.Add(float64(over))
	}
}

func labelOr(s string) string {
	if s == "" {
		return unknown
	}
	return s
}
