package books

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira/internal/metrics"
	"github.com/bandeira/bandeira/internal/store"
)

// Metrics are the books' Prometheus metrics, labelled by issuer. Build them once per
// registry with NewMetrics and share them among the issuers' books.
type Metrics struct {
	commits  *prometheus.CounterVec
	duration *prometheus.HistogramVec
	calls    *prometheus.HistogramVec
	reads    *prometheus.CounterVec
	requests *prometheus.GaugeVec
}

// NewMetrics registers bandeira_issuer_books_commits_total{issuer},
// bandeira_issuer_books_commit_duration_seconds{issuer},
// bandeira_issuer_books_commit_calls{issuer} (calls answered per commit: the group-commit
// factor), bandeira_issuer_books_reads_total{issuer} (requests read back from disk, out of
// the cache) and bandeira_issuer_books_requests{issuer} (requests indexed, as of the last
// commit) on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		commits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_issuer_books_commits_total",
			Help: "Transactions committed to the issuer's books.",
		}, []string{"issuer"}),
		duration: prometheus.NewHistogramVec(metrics.Latency(
			"bandeira_issuer_books_commit_duration_seconds",
			"Time to write and commit one batch, fsync included.",
		), []string{"issuer"}),
		calls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bandeira_issuer_books_commit_calls",
			Help:    "Ledger calls answered by one commit (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}, []string{"issuer"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_issuer_books_reads_total",
			Help: "Requests read back from disk because the books' cache no longer held them (retransmits, reversals, captures, expiries of older requests).",
		}, []string{"issuer"}),
		requests: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_issuer_books_requests",
			Help: "Requests (idempotency keys) the books hold, approved and declined, as of the last commit; the newest keys are indexed in memory, older ones found on disk.",
		}, []string{"issuer"}),
	}
	reg.MustRegister(m.commits, m.duration, m.calls, m.reads, m.requests)
	return m
}

// bookMetrics are one issuer's children of Metrics: the storage core's hooks and the
// gauge of requests indexed. Without Metrics every field is nil and records nothing.
type bookMetrics struct {
	store    store.Metrics
	requests prometheus.Gauge
}

func (m *Metrics) forIssuer(issuer string) *bookMetrics {
	if m == nil {
		return &bookMetrics{}
	}
	return &bookMetrics{
		store: store.Metrics{
			Commits:        m.commits.WithLabelValues(issuer),
			CommitDuration: m.duration.WithLabelValues(issuer),
			CommitCalls:    m.calls.WithLabelValues(issuer),
			Reads:          m.reads.WithLabelValues(issuer),
		},
		requests: m.requests.WithLabelValues(issuer),
	}
}

func (m *bookMetrics) indexed(n int) {
	if m.requests != nil {
		m.requests.Set(float64(n))
	}
}
