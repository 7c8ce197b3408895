package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/configs"
)

// opsCollectors returns the process-level series every bandeira process exposes beside its
// parties' metrics: bandeira_build_info and the configured limits, so dashboards and
// alerts compare what is used with what is allowed (in flight against
// server.max_in_flight, p99 against the timers) without copying the configuration.
func opsCollectors(cfg configs.Config) []prometheus.Collector {
	return []prometheus.Collector{newBuildInfoGauge(readBuildInfo()), newConfigGauges(cfg)}
}

// configGauges are the configured limits as gauges, labelled by their configuration key.
type configGauges struct {
	limits, bytes, centavos, timeouts *prometheus.GaugeVec
}

// newConfigGauges returns the configuration's limits:
//
//	bandeira_config_limit{limit}              counts: server.max_connections, server.max_in_flight,
//	                                          server.max_in_flight_per_conn, server.max_connections_per_ip,
//	                                          server.max_in_flight_per_ip, gateway.duplicate_capacity
//	bandeira_config_limit_bytes{limit}        server.max_frame_size
//	bandeira_config_limit_centavos{limit}     issuers.max_transaction_amount, and the default
//	                                          network.stand_in.transaction_limit and daily_limit
//	bandeira_config_timeout_seconds{timeout}  network.issuer_timeout, gateway.request_timeout,
//	                                          server.request_timeout, server.read_idle_timeout,
//	                                          server.frame_timeout, server.write_timeout,
//	                                          drain_timeout
//
// The label values are the configuration keys of configs/bandeira.yaml.
func newConfigGauges(cfg configs.Config) prometheus.Collector {
	g := configGauges{
		limits: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_config_limit",
			Help: "A configured limit on a count (connections, requests in flight, remembered keys), by configuration key.",
		}, []string{"limit"}),
		bytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_config_limit_bytes",
			Help: "A configured size limit in bytes, by configuration key.",
		}, []string{"limit"}),
		centavos: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_config_limit_centavos",
			Help: "A configured money limit in centavos, by configuration key.",
		}, []string{"limit"}),
		timeouts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bandeira_config_timeout_seconds",
			Help: "A configured timer in seconds, by configuration key; the hops' timers nest (issuer < gateway < server).",
		}, []string{"timeout"}),
	}
	s := cfg.Server
	for k, v := range map[string]int{
		"server.max_connections": s.MaxConnections, "server.max_in_flight": s.MaxInFlight,
		"server.max_in_flight_per_conn": s.MaxInFlightPerConn, "gateway.duplicate_capacity": cfg.Gateway.DuplicateCapacity,
		"server.max_connections_per_ip": s.MaxConnectionsPerIP, "server.max_in_flight_per_ip": s.MaxInFlightPerIP,
	} {
		g.limits.WithLabelValues(k).Set(float64(v))
	}
	g.bytes.WithLabelValues("server.max_frame_size").Set(float64(s.MaxFrameSize))
	for k, v := range map[string]bandeira.Amount{
		"issuers.max_transaction_amount":     cfg.Issuers.MaxTransactionAmount,
		"network.stand_in.transaction_limit": cfg.Network.StandIn.TransactionLimit,
		"network.stand_in.daily_limit":       cfg.Network.StandIn.DailyLimit,
	} {
		g.centavos.WithLabelValues(k).Set(float64(v))
	}
	for k, d := range map[string]time.Duration{
		"network.issuer_timeout": cfg.Network.IssuerTimeout, "gateway.request_timeout": cfg.Gateway.RequestTimeout,
		"server.request_timeout": s.RequestTimeout, "server.read_idle_timeout": s.ReadIdleTimeout,
		"server.frame_timeout": s.FrameTimeout, "server.write_timeout": s.WriteTimeout,
		"drain_timeout": cfg.DrainTimeout,
	} {
		g.timeouts.WithLabelValues(k).Set(d.Seconds())
	}
	return g
}

// Describe sends the descriptors of the four gauges.
func (g configGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, v := range []*prometheus.GaugeVec{g.limits, g.bytes, g.centavos, g.timeouts} {
		v.Describe(ch)
	}
}

// Collect sends the current values of the four gauges.
func (g configGauges) Collect(ch chan<- prometheus.Metric) {
	for _, v := range []*prometheus.GaugeVec{g.limits, g.bytes, g.centavos, g.timeouts} {
		v.Collect(ch)
	}
}
