package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// promAPI is a running prometheus's HTTP API.
type promAPI struct {
	base string
	logs *syncBuffer
}

// startPrometheus starts prometheus on a free loopback port, scraping target every second
// with ops/prometheus/alerts.yml as its rules, and waits until it is ready.
func startPrometheus(t *testing.T, bin, target string) *promAPI {
	t.Helper()
	dir := t.TempDir()
	rules, err := filepath.Abs(alertsPath)
	require.NoError(t, err)
	config := fmt.Sprintf(`global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: bandeira
    static_configs: [{targets: [%q]}]
`, rules, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(config), 0o600))
	api := &promAPI{logs: &syncBuffer{}}
	for attempt := 0; ; attempt++ {
		addr := freeLoopbackAddr(t)
		api.base = "http://" + addr
		cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
			"--web.listen-address="+addr, "--log.level=warn")
		cmd.Stdout, cmd.Stderr = api.logs, api.logs
		require.NoError(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		if api.waitReady(exited) {
			return api
		}
		if attempt == 2 || !strings.Contains(api.logs.String(), "address already in use") {
			t.Fatalf("prometheus did not become ready:\n%s", api.logs)
		}
	}
}

// waitReady waits for /-/ready; it returns false if prometheus exited first.
func (p *promAPI) waitReady(exited <-chan error) bool {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		resp, err := http.Get(p.base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(100 * time.Millisecond) // polling a child process's readiness
	}
	return false
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// sample is one series of an instant vector.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// query evaluates an instant query now and returns the vector (a scalar as one sample).
func (p *promAPI) query(expr string) ([]sample, error) {
	var res struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get("/api/v1/query?query="+url.QueryEscape(expr), &res); err != nil {
		return nil, err
	}
	if res.ResultType == "scalar" {
		var v [2]any
		err := json.Unmarshal(res.Result, &v)
		return []sample{{Value: v}}, err
	}
	var v []sample
	err := json.Unmarshal(res.Result, &v)
	return v, err
}

func (p *promAPI) labelValues(label, match string) ([]string, error) {
	var vals []string
	err := p.get("/api/v1/label/"+label+"/values?match[]="+url.QueryEscape(match), &vals)
	return vals, err
}

// rulesEvaluated reports whether prometheus has evaluated want alerting rules, every one
// healthy; a rule that failed fails the test.
func (p *promAPI) rulesEvaluated(t *testing.T, want int) bool {
	var res struct {
		Groups []struct {
			Rules []struct {
				Name, Health, LastError string
				LastEvaluation          time.Time
			} `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(t, p.get("/api/v1/rules?type=alert", &res))
	n := 0
	for _, g := range res.Groups {
		for _, r := range g.Rules {
			require.NotEqual(t, "err", r.Health, "rule %s: %s", r.Name, r.LastError)
			if r.Health == "ok" && !r.LastEvaluation.IsZero() {
				n++
			}
		}
	}
	return n == want
}

// get calls the API and decodes its data; an error status returns the API's error.
func (p *promAPI) get(path string, data any) error {
	resp, err := http.Get(p.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Status, Error, ErrorType string
		Data                     json.RawMessage
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("decoding %s: %w: %s", path, err, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s", env.ErrorType, env.Error)
	}
	return json.Unmarshal(env.Data, data)
}
