package saf

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the store-and-forward metrics of a process, by queue (a link, e.g.
// "gateway->network:visa"). One value serves every Store of the process; it is safe for
// concurrent use.
type Metrics struct {
	// Depth is bandeira_saf_depth{queue}: items waiting.
	Depth *prometheus.GaugeVec
	// OldestAge is bandeira_saf_oldest_age_seconds{queue}: how long the oldest waiting
	// item has waited (0 when none), refreshed at least every second.
	OldestAge *prometheus.GaugeVec
	// Sent is bandeira_saf_sent_total{queue,result}: delivery attempts by result
	// (acknowledged, refused, retried) and items dropped as too old (expired).
	Sent *prometheus.CounterVec
}

// NewMetrics builds the metrics and registers them on reg; a nil reg leaves them
// unregistered.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_saf_depth",
			Help: "Messages waiting in a store-and-forward queue (reversals, advices), by queue.",
		}, []string{"queue"}),
		OldestAge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_saf_oldest_age_seconds",
			Help: "How long the oldest message of a store-and-forward queue has waited; 0 when it is empty.",
		}, []string{"queue"}),
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_saf_sent_total",
			Help: "Store-and-forward delivery attempts by result (acknowledged, refused, retried), and messages dropped as too old (expired).",
		}, []string{"queue", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.Depth, m.OldestAge, m.Sent)
	}
	return m
}

func (m *Metrics) depth(queue string, n int) { m.Depth.WithLabelValues(queue).Set(float64(n)) }

func (m *Metrics) age(queue string, d time.Duration) {
	m.OldestAge.WithLabelValues(queue).Set(d.Seconds())
}

func (m *Metrics) sent(queue, result string) { m.Sent.WithLabelValues(queue, result).Inc() }
