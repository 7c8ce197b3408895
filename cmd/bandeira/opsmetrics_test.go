package main

import (
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOpsMetrics(t *testing.T) {
	n := mustStartNet(t)
	cfg := n.cfg

	t.Run("bandeira_build_info says which build runs", func(t *testing.T) {
		b := readBuildInfo()
		require.Equal(t, 1.0, n.metric("bandeira_build_info", `version="`+b.Version+`"`,
			`revision="`+b.Revision+`"`, `goversion="`+runtime.Version()+`"`))
	})
	t.Run("the configured limits are gauges labelled by their configuration key", func(t *testing.T) {
		require.Equal(t, float64(cfg.Server.MaxInFlight), n.metric("bandeira_config_limit", `limit="server.max_in_flight"`))
		require.Equal(t, float64(cfg.Server.MaxConnections), n.metric("bandeira_config_limit", `limit="server.max_connections"`))
		require.Equal(t, float64(cfg.Server.MaxFrameSize), n.metric("bandeira_config_limit_bytes", `limit="server.max_frame_size"`))
		require.Equal(t, float64(cfg.Issuers.MaxTransactionAmount),
			n.metric("bandeira_config_limit_centavos", `limit="issuers.max_transaction_amount"`))
		require.Equal(t, 20000.0, n.metric("bandeira_config_limit_centavos", `limit="network.stand_in.transaction_limit"`))
		require.Equal(t, 50000.0, n.metric("bandeira_config_limit_centavos", `limit="network.stand_in.daily_limit"`))
		require.Equal(t, cfg.Network.IssuerTimeout.Seconds(), n.metric("bandeira_config_timeout_seconds", `timeout="network.issuer_timeout"`))
		require.Equal(t, cfg.Gateway.RequestTimeout.Seconds(), n.metric("bandeira_config_timeout_seconds", `timeout="gateway.request_timeout"`))
		require.Equal(t, cfg.DrainTimeout.Seconds(), n.metric("bandeira_config_timeout_seconds", `timeout="drain_timeout"`))
	})
	t.Run("issuer decisions carry the card's brand and product", func(t *testing.T) {
		c := n.card("nubank", "prepaid", "")
		require.Equal(t, "00", n.code(n.request("0200", c, "000000", 100)))
		require.Equal(t, 1.0, n.metric("bandeira_issuer_decisions_total", `issuer="nubank"`, `brand="mastercard"`,
			`product="prepaid"`, `response_code="00"`))
	})
	t.Run("every latency histogram has the shared buckets", func(t *testing.T) {
		body := n.get("/metrics")
		for _, h := range []string{"bandeira_gateway_request_duration_seconds", "bandeira_network_issuer_duration_seconds",
			"bandeira_issuer_decision_duration_seconds", "bandeira_issuer_books_commit_duration_seconds",
			"bandeira_acquirer_journal_commit_duration_seconds"} {
			for _, le := range []string{"5e-05", "6.3e-05", "0.00063", "0.001", "3.15", "20", "+Inf"} {
				require.Regexp(t, `(?m)^`+h+`_bucket\{(.*,)?le="`+regexp.QuoteMeta(le)+`"\} `, body, h)
			}
			require.Equal(t, 58, strings.Count(body, "\n"+h+"_bucket{")/max(1, strings.Count(body, "\n"+h+"_count")), h)
		}
	})
}
