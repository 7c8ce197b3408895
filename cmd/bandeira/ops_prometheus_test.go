package main

import (
	"bytes"
	"context"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/loadtest"
)

// The ops files under test, relative to this package.
const (
	opsDir        = "../../ops"
	dashboardPath = opsDir + "/grafana/dashboards/bandeira.json"
	alertsPath    = opsDir + "/prometheus/alerts.yml"
	alertTests    = opsDir + "/prometheus/alerts_test.yml"
)

// TestOpsAgainstRealPrometheus runs the real Main under a short load, scrapes it with
// Debian's prometheus every second and evaluates every dashboard query and alert rule
// through the HTTP API: each query must return data, each rule must evaluate without
// error. promtool then checks the rules, runs their unit tests and lints /metrics.
func TestOpsAgainstRealPrometheus(t *testing.T) {
	promBin, promtool := requireTool(t, "prometheus"), requireTool(t, "promtool")
	n := mustStartNet(t)
	driveLoad(t, n)
	driveWalletLoad(t, n)
	api := startPrometheus(t, promBin, n.httpAddr())

	require.Eventually(t, func() bool {
		v, err := api.query(`sum(rate(bandeira_gateway_requests_total{job="bandeira"}[10s])) > 0 and sum(rate(bandeira_acquirer_journal_commit_duration_seconds_count[10s])) > 0`)
		return err == nil && len(v) > 0
	}, 45*time.Second, 200*time.Millisecond, "prometheus never saw bandeira's traffic:\n%s", api.logs)
	require.Eventually(t, func() bool {
		v, err := api.query(`sum(increase(bandeira_wallet_payments_total{job="bandeira"}[10s])) > 0 and sum(increase(bandeira_wallet_transfers_total[10s])) > 0`)
		return err == nil && len(v) > 0
	}, 45*time.Second, 200*time.Millisecond, "prometheus never saw the wallet's traffic:\n%s", api.logs)

	t.Run("every dashboard panel's query returns data", func(t *testing.T) {
		queries := dashboardQueries(t)
		require.GreaterOrEqual(t, len(queries), 40)
		for _, q := range queries {
			v, err := api.query(expandGrafanaVars(q.expr))
			require.NoError(t, err, "panel %q: %s", q.panel, q.expr)
			require.NotEmpty(t, v, "panel %q returns no series: %s", q.panel, q.expr)
			require.True(t, anyFinite(v), "panel %q returns only NaN or Inf: %s", q.panel, q.expr)
		}
		vals, err := api.labelValues("instance", "bandeira_build_info")
		require.NoError(t, err)
		require.Equal(t, []string{n.httpAddr()}, vals, "the $instance variable's query")
	})
	t.Run("every alert rule's expression evaluates without error", func(t *testing.T) {
		rules := alertRules(t)
		require.GreaterOrEqual(t, len(rules), 10)
		for _, r := range rules {
			_, err := api.query(r.Expr)
			require.NoError(t, err, "alert %s", r.Alert)
		}
		require.Eventually(t, func() bool { return api.rulesEvaluated(t, len(rules)) }, 30*time.Second, 250*time.Millisecond,
			"prometheus did not evaluate every rule healthy:\n%s", api.logs)
	})
	t.Run("no alert fires on a healthy network under load", func(t *testing.T) {
		v, err := api.query(`ALERTS{alertstate="firing"}`)
		require.NoError(t, err)
		require.Empty(t, v)
	})
	t.Run("promtool accepts the rules, their unit tests, the shipped config and /metrics", func(t *testing.T) {
		runTool(t, nil, promtool, "check", "rules", alertsPath)
		runTool(t, nil, promtool, "test", "rules", alertTests)
		runTool(t, nil, promtool, "check", "config", "--syntax-only", opsDir+"/prometheus/prometheus.yml")
		out := runTool(t, strings.NewReader(n.get("/metrics")), promtool, "check", "metrics")
		require.Empty(t, strings.TrimSpace(out), "lint problems in /metrics")
	})
}

// requireTool returns the path of a Prometheus binary, failing the test with how to install
// it when it is not on PATH.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not on PATH: this test runs the real Prometheus against bandeira. Install it with "+
			"'sudo apt-get install -y prometheus' (Debian and Ubuntu; it brings prometheus and promtool), or put the "+
			"prometheus and promtool binaries of a release from https://prometheus.io/download/ on PATH. "+
			".ci/run installs them.", name)
	}
	return path
}

// driveLoad runs the load generator against n in the background until the test ends: a
// mix of every kind, installments included, so every panel has data.
func driveLoad(t *testing.T, n *testNet) {
	t.Helper()
	cfg := loadtest.DefaultConfig()
	cfg.Target, cfg.Rate, cfg.Duration, cfg.Connections = n.gatewayAddr, 150, 2*time.Minute, 2
	cfg.Mix = "purchase=50,refund=5,reversal=5,balance=10,decline=10,echo=5,installments=15"
	dm := acquirer.DefaultMerchant()
	cfg.Merchant = loadtest.Merchant{AcquirerID: n.cfg.Gateway.AcquirerID, MerchantID: dm.ID, MCC: dm.MCC,
		NameLocation: nameLocation(dm.Name, dm.City)}
	var cards []loadtest.Card
	for _, c := range n.cards {
		cards = append(cards, loadtest.Card{PAN: c.PAN, Expiry: c.Expiry, Issuer: c.Issuer, Brand: string(c.Brand),
			Product: string(c.Product), Scenario: c.Scenario})
	}
	r, err := loadtest.New(cfg, cards, zerolog.Nop())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _ = r.Run(ctx, nil)
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func anyFinite(v []sample) bool {
	for _, s := range v {
		str, _ := s.Value[1].(string)
		f, err := strconv.ParseFloat(str, 64)
		if err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return true
		}
	}
	return false
}

// panelQuery is one target of a dashboard panel.
type panelQuery struct{ panel, expr string }

// dashboardQueries returns every panel target's expression, rows' nested panels included.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	d := readDashboard(t)
	var out []panelQuery
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out = append(out, panelQuery{p.Title, tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// expandGrafanaVars replaces the dashboard's variables as Grafana would: every instance,
// and a rate window of ten one-second scrapes.
func expandGrafanaVars(expr string) string {
	return strings.NewReplacer("$__rate_interval", "10s", "$instance", ".*").Replace(expr)
}

// alertRule is one rule of ops/prometheus/alerts.yml.
type alertRule struct {
	Alert, Expr string
	For         string
	Labels      map[string]string
	Annotations map[string]string
}

func alertRules(t *testing.T) []alertRule {
	t.Helper()
	data, err := os.ReadFile(alertsPath)
	require.NoError(t, err)
	var f struct {
		Groups []struct {
			Name  string
			Rules []alertRule
		}
	}
	require.NoError(t, yaml.Unmarshal(data, &f))
	var out []alertRule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// runTool runs a promtool command and returns its output, failing the test on a non-zero
// exit.
func runTool(t *testing.T, stdin io.Reader, bin string, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &out
	require.NoError(t, cmd.Run(), "%s %s:\n%s", filepath.Base(bin), strings.Join(args, " "), out.String())
	return out.String()
}
