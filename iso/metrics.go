package iso

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
)

// Reasons a Server rejects a frame or a connection: the values of the reason label of
// bandeira_iso_frames_rejected_total.
const (
	ReasonFrameTooLarge   = "frame_too_large"
	ReasonEmptyFrame      = "empty_frame"
	ReasonUnpack          = "unpack"
	ReasonBadMTI          = "bad_mti"
	ReasonBadField        = "bad_field"
	ReasonConnectionLimit = "connection_limit"
	// ReasonIPConnectionLimit: a connection over MaxConnectionsPerIP for its address.
	ReasonIPConnectionLimit = "ip_connection_limit"
	ReasonOverload          = "overload"
	// ReasonNotSignedOn: a request other than network management on a connection that
	// has not signed on, on a Server with RequireSignOn (answered 91).
	ReasonNotSignedOn = "not_signed_on"
	// ReasonTLSHandshake: a TLS handshake that failed or did not finish in FrameTimeout.
	ReasonTLSHandshake = "tls_handshake"
)

// rejectReasons lists every reason label so that each series exists from the start.
var rejectReasons = []string{
	ReasonFrameTooLarge, ReasonEmptyFrame, ReasonUnpack, ReasonBadMTI,
	ReasonBadField, ReasonConnectionLimit, ReasonIPConnectionLimit, ReasonOverload, ReasonNotSignedOn, ReasonTLSHandshake,
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
	// SignedOn is the number of open connections that have signed on (0800/001) and not
	// signed off.
	SignedOn prometheus.Gauge
	// NetworkManagement counts the network management requests answered, by the code of
	// field 70: "001" sign-on, "002" sign-off, "301" echo, "other" for anything else.
	NetworkManagement *prometheus.CounterVec
	// BackpressureWaits counts requests that waited for an in-flight slot of their
	// connection or address: the socket was not read meanwhile.
	BackpressureWaits prometheus.Counter

	rejected map[string]prometheus.Counter
	netCodes map[string]prometheus.Counter
}

// netCodes are the code label values of NetworkManagement.
var netCodes = []string{bandeira.SignOn, bandeira.SignOff, bandeira.Echo, "other"}

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
		SignedOn: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "bandeira_iso_signed_on_connections",
			Help: "Open ISO 8583 client connections that have signed on.",
		}),
		NetworkManagement: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_iso_network_management_total",
			Help: "ISO 8583 network management requests answered, by network management code.",
		}, []string{"code"}),
		BackpressureWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bandeira_iso_backpressure_waits_total",
			Help: "ISO 8583 requests that waited for an in-flight slot of their connection or remote address (the socket was not read meanwhile).",
		}),
		rejected: make(map[string]prometheus.Counter, len(rejectReasons)),
		netCodes: make(map[string]prometheus.Counter, len(netCodes)),
	}
	for _, code := range netCodes {
		m.netCodes[code] = m.NetworkManagement.WithLabelValues(code)
	}
	for _, r := range rejectReasons {
		m.rejected[r] = m.FramesRejected.WithLabelValues(r)
	}
	if reg != nil {
		reg.MustRegister(m.Connections, m.FramesRejected, m.InFlight, m.SignedOn, m.NetworkManagement, m.BackpressureWaits)
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

// networkManagement counts one answered network management request with code in field 70.
func (m *ServerMetrics) networkManagement(code string) {
	c, ok := m.netCodes[code]
	if !ok {
		c = m.netCodes["other"]
	}
	c.Inc()
}
