package iso

import "github.com/prometheus/client_golang/prometheus"

// LinkState is the health of a Client's link, from how many of its PoolSize connections
// are live (connected and, with SignOn, signed on).
type LinkState uint8

// Link states.
const (
	// LinkDown: no connection is live; requests fail at once with ErrConnectionClosed.
	LinkDown LinkState = iota
	// LinkDegraded: some but not all connections are live.
	LinkDegraded
	// LinkUp: every connection of the pool is live.
	LinkUp
)

// String returns "down", "degraded" or "up".
func (s LinkState) String() string {
	switch s {
	case LinkUp:
		return "up"
	case LinkDegraded:
		return "degraded"
	default:
		return "down"
	}
}

// gauge is the value of bandeira_link_up for the state.
func (s LinkState) gauge() float64 {
	switch s {
	case LinkUp:
		return 1
	case LinkDegraded:
		return 0.5
	default:
		return 0
	}
}

// linkStateFor returns the state of a link with live of size connections up.
func linkStateFor(live, size int) LinkState {
	switch {
	case live <= 0:
		return LinkDown
	case live < size:
		return LinkDegraded
	default:
		return LinkUp
	}
}

// LinkMetrics are the Prometheus metrics of the Clients of a process, one series per link
// name (the label link, set by WithLinkName). Build one with NewLinkMetrics and pass it to
// every Client with WithLinkMetrics; its methods are safe for concurrent use. Give each
// Client its own link name: two Clients of one name share, and overwrite, its gauges.
type LinkMetrics struct {
	// Up is 1 when the link is up, 0.5 when degraded and 0 when down (or closed):
	// bandeira_link_up{link}.
	Up *prometheus.GaugeVec
	// Connections is the number of live connections: bandeira_link_connections{link}.
	Connections *prometheus.GaugeVec
	// Reconnects counts connections established again after one of the pool was lost
	// (the first connection of each pool slot is not counted):
	// bandeira_link_reconnects_total{link}.
	Reconnects *prometheus.CounterVec
	// InFlight is the number of requests sent by Send or Authorize and waiting for their
	// reply: bandeira_link_in_flight{link}.
	InFlight *prometheus.GaugeVec
	// RoundTrip is the time from sending a request to decoding its reply, for requests
	// sent by Send or Authorize that got one, in seconds:
	// bandeira_link_round_trip_seconds{link}.
	RoundTrip *prometheus.HistogramVec
	// Unmatched counts replies that matched no request in flight (late replies), which are
	// dropped: bandeira_link_unmatched_replies_total{link}.
	Unmatched *prometheus.CounterVec
}

// roundTripBuckets run from 50 µs to 10 s in 25 steps of about ×1.66.
var roundTripBuckets = prometheus.ExponentialBucketsRange(50e-6, 10, 25)

// NewLinkMetrics creates the link metrics and registers them on reg. A nil reg leaves them
// unregistered, which suits tests and Clients built without WithLinkMetrics.
func NewLinkMetrics(reg prometheus.Registerer) *LinkMetrics {
	label := []string{"link"}
	m := &LinkMetrics{
		Up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_link_up",
			Help: "ISO 8583 link state: 1 up (every pooled connection live), 0.5 degraded, 0 down.",
		}, label),
		Connections: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_link_connections",
			Help: "Live connections of an ISO 8583 link.",
		}, label),
		Reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_link_reconnects_total",
			Help: "Connections of an ISO 8583 link established again after one was lost.",
		}, label),
		InFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_link_in_flight",
			Help: "Requests sent on an ISO 8583 link and waiting for their reply.",
		}, label),
		RoundTrip: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bandeira_link_round_trip_seconds",
			Help:    "Time from sending a request on an ISO 8583 link to decoding its reply.",
			Buckets: roundTripBuckets,
		}, label),
		Unmatched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_link_unmatched_replies_total",
			Help: "Replies on an ISO 8583 link that matched no request in flight, dropped.",
		}, label),
	}
	if reg != nil {
		reg.MustRegister(m.Up, m.Connections, m.Reconnects, m.InFlight, m.RoundTrip, m.Unmatched)
	}
	return m
}

// linkSeries are one link's series, resolved once so requests do no label lookups.
type linkSeries struct {
	up          prometheus.Gauge
	connections prometheus.Gauge
	reconnects  prometheus.Counter
	inFlight    prometheus.Gauge
	roundTrip   prometheus.Observer
	unmatched   prometheus.Counter
}

func (m *LinkMetrics) series(link string) linkSeries {
	return linkSeries{
		up:          m.Up.WithLabelValues(link),
		connections: m.Connections.WithLabelValues(link),
		reconnects:  m.Reconnects.WithLabelValues(link),
		inFlight:    m.InFlight.WithLabelValues(link),
		roundTrip:   m.RoundTrip.WithLabelValues(link),
		unmatched:   m.Unmatched.WithLabelValues(link),
	}
}
