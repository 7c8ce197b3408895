package fault

import "github.com/prometheus/client_golang/prometheus"

// Kinds of injected fault, the kind label of bandeira_faults_injected_total.
const (
	KindLatency = "latency" // a call delayed
	KindDrop    = "drop"    // a request never answered
	KindDown    = "down"    // a call failed at once: the party down or the link cut
	KindCode    = "code"    // a response code forced
)

// kind indexes a slot's counters.
type kind int

const (
	injectedLatency kind = iota
	injectedDrop
	injectedDown
	injectedCode
)

// kinds are the kind labels, indexed by kind.
var kinds = [...]string{injectedLatency: KindLatency, injectedDrop: KindDrop, injectedDown: KindDown, injectedCode: KindCode}

// Metrics are the fault injector's Prometheus metrics. The target label is bounded by the
// configuration's parties and links. It is safe for concurrent use.
type Metrics struct {
	Active   *prometheus.GaugeVec   // bandeira_faults_active{target}: 1 while a fault is set
	Injected *prometheus.CounterVec // bandeira_faults_injected_total{target,kind}
}

// NewMetrics builds the metrics and registers them on reg; a nil reg leaves them
// unregistered. It panics if they are already registered on reg, a programmer error at
// start-up.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Active: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_faults_active",
			Help: "1 while a fault is set on the target in this process, else 0.",
		}, []string{"target"}),
		Injected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bandeira_faults_injected_total",
			Help: "Faults injected into calls, by target and kind (latency, drop, down, code).",
		}, []string{"target", "kind"}),
	}
	if reg != nil {
		reg.MustRegister(m.Active, m.Injected)
	}
	return m
}
