package iso

import "github.com/prometheus/client_golang/prometheus"

// Reasons a Server rejects a frame or a connection: the values of the reason label of
// bandeira_iso_frames_rejected_total.
const (
	ReasonFrameTooLarge   = "frame_too_large"
	ReasonEmptyFrame      = "empty_frame"
	ReasonUnpack          = "unpack"
	ReasonBadMTI          = "bad_mti"
	ReasonBadField        = "bad_field"
	ReasonConnectionLimit = "connection_limit"
	ReasonOverload        = "overload"
)

// rejectReasons lists every reason label so that each series exists from the start.
var rejectReasons = []string{
	ReasonFrameTooLarge, ReasonEmptyFrame, ReasonUnpack, ReasonBadMTI,
	ReasonBadField, ReasonConnectionLimit, ReasonOverload,
}

// ServerMetrics are the Prometheus metrics of a Server. One value may be shared by several
// Servers; its methods are safe for concurrent use.
type ServerMetrics struct {
	// Connections is the number of open client connections.
	Connections prometheus.Gauge
	// FramesRejected counts frames and connections refused, by reason.
	FramesRejected *prometheus.CounterVec
	// InFlight is the number of requests being decided.
	InFlight prometheus.Gauge

	rejected map[string]prometheus.Counter
}

// NewServerMetrics creates the Server metrics and registers them on reg. A nil reg leaves
// them unregistered, which suits tests that do not scrape.
func NewServerMetrics(reg prometheus.Registerer) *ServerMetrics {
	m := &ServerMetrics{
		Connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bandeira_iso_connections",
			Help: "Open ISO 8583 client connections.",
		}),
		FramesRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_iso_frames_rejected_total",
			Help: "ISO 8583 frames or connections rejected, by reason.",
		}, []string{"reason"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bandeira_iso_in_flight",
			Help: "ISO 8583 requests being decided.",
		}),
		rejected: make(map[string]prometheus.Counter, len(rejectReasons)),
	}
	for _, r := range rejectReasons {
		m.rejected[r] = m.FramesRejected.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.Connections, m.FramesRejected, m.InFlight)
	}
	return m
}

// reject counts one rejection for reason, which must be one of the Reason constants.
func (m *ServerMetrics) reject(reason string) {
	if c, ok := m.rejected[reason]; ok {
		c.Inc()
		return
	}
	m.FramesRejected.WithLabelValues(reason).Inc()
}
