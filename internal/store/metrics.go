package store

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the hooks through which the store reports what it measures. The store names
// no metric: each owner builds its own (bandeira_issuer_books_*,
// bandeira_acquirer_journal_*) and hands the ones it has here. A nil field records nothing.
type Metrics struct {
	// Commits counts committed transactions.
	Commits prometheus.Counter
	// CommitDuration observes the seconds taken to write and commit one batch, fsync
	// included.
	CommitDuration prometheus.Observer
	// CommitCalls observes how many calls one batch answered (the group-commit factor).
	CommitCalls prometheus.Observer
	// Reads counts items a Cache read back from disk because it no longer held them
	// (CacheConfig.Reads takes it).
	Reads prometheus.Counter
}

func (m *Metrics) committed(calls int, took time.Duration) {
	if m.Commits != nil {
		m.Commits.Inc()
	}
	if m.CommitDuration != nil {
		m.CommitDuration.Observe(took.Seconds())
	}
	if m.CommitCalls != nil {
		m.CommitCalls.Observe(float64(calls))
	}
}
