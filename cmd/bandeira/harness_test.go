package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// topology is how a test network runs: the real binary (this test binary re-executed as
// `bandeira`) as one process, or as one process per party.
type topology string

const (
	oneProcess topology = "one process" // bandeira run
	processes  topology = "processes"   // bandeira run --processes
)

// topologies are the ways the end-to-end suite runs the network.
var topologies = []topology{oneProcess, processes}

// eachTopology runs f as a subtest against a fresh network in every topology.
func eachTopology(t *testing.T, f func(t *testing.T, n *testNet)) {
	for _, topo := range topologies {
		t.Run("in "+string(topo), func(t *testing.T) { f(t, mustStartNetIn(t, topo)) })
	}
}

// testNet is a running `bandeira run` (or `run --processes`) child process on
// 127.0.0.1:0 ports, with a client connected to its gateway.
type testNet struct {
	t           *testing.T
	topo        topology
	cfg         configs.Config // what the child runs with
	cfgPath     string
	cmd         *exec.Cmd
	exited      chan struct{}
	logs        *syncBuffer // the child's stderr: every node's log lines
	gatewayAddr string
	walletAddr  string          // the wallet's page and API
	httpAddrs   []string        // the gateway's first, then every node's
	nodes       map[string]node // by role, in the processes topology
	client      *iso.Client
	clientCfg   iso.ClientConfig // how the client dials the gateway (TLS)
	web         *http.Client     // how the HTTP ports are read (TLS)
	cards       []issuers.Card
	stan        atomic.Int64
	sent        atomic.Int64 // requests sent through send, for checking the metrics
	wallet      walletSessions
}

// node is one node of a processes topology, as the address file lists it.
type node struct {
	pid       int
	iso, http string
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testOverrides is the configuration the test networks run with, over the embedded
// default: free ports everywhere, fewer cards and short timers, so the no-answer and slow
// scenario cards resolve quickly and stored advices are retried within half a second.
const testOverrides = `
listen: {gateway: "127.0.0.1:0", http: "127.0.0.1:0", wallet: "127.0.0.1:0"}
log: {level: debug}
wallet: {pin: {iterations: 1000}, challenge_ttl: 1s}
issuers: {cards_per_bin: 50, slow_delay: 100ms}
network: {issuer_timeout: 400ms}
gateway: {request_timeout: 800ms}
server: {request_timeout: 1200ms}
links: {reconnect_max: 500ms}
saf: {retry_min: 50ms, retry_max: 500ms}
nodes:
  "network:visa": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "network:mastercard": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "issuer:bancodobrasil": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "issuer:nubank": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
  "issuer:sicredi": {listen: "127.0.0.1:0", http: "127.0.0.1:0"}
`

// testConfig is testOverrides over the default, loaded as a child would load it, with a
// data directory of the test's own; for tests that run Main in this process.
func testConfig(t testing.TB) configs.Config {
	t.Helper()
	cfg, _ := writeTestConfig(t, "")
	return cfg
}

// writeTestConfig writes testOverrides plus extra (more YAML) with the test's data
// directory to a file, and returns what it loads to and the file's path.
func writeTestConfig(t testing.TB, extra string) (configs.Config, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "bandeira.yaml")
	body := "data_dir: " + strconv.Quote(filepath.Join(dir, "data")) + "\n" + testOverrides
	require.NoError(t, os.WriteFile(path, mergeYAML(t, body, extra), 0o600))
	cfg, err := configs.Load(path)
	require.NoError(t, err)
	return cfg, path
}

// mergeYAML merges the mappings of over into base, key by key and deeply, and returns the
// document.
func mergeYAML(t testing.TB, base, over string) []byte {
	t.Helper()
	var a, b map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(base), &a))
	require.NoError(t, yaml.Unmarshal([]byte(over), &b))
	var merge func(dst, src map[string]any)
	merge = func(dst, src map[string]any) {
		for k, v := range src {
			dm, ok1 := dst[k].(map[string]any)
			sm, ok2 := v.(map[string]any)
			if ok1 && ok2 {
				merge(dm, sm)
				continue
			}
			dst[k] = v
		}
	}
	merge(a, b)
	out, err := yaml.Marshal(a)
	require.NoError(t, err)
	return out
}

// mustStartNet starts the network as one child process.
func mustStartNet(t *testing.T) *testNet { return mustStartNetIn(t, oneProcess) }

// mustStartNetIn starts the network in topo as a child process and connects a client.
func mustStartNetIn(t *testing.T, topo topology) *testNet {
	t.Helper()
	return mustStartNetWith(t, topo, "", iso.DefaultClientConfig(), http.DefaultClient)
}

// mustStartNetWith starts the network in topo with extra configuration (YAML over the test
// overrides), its client dialing the gateway with clientCfg and reading HTTP with web.
func mustStartNetWith(t *testing.T, topo topology, extra string, clientCfg iso.ClientConfig, web *http.Client) *testNet {
	t.Helper()
	cfg, path := writeTestConfig(t, extra)
	n := &testNet{t: t, topo: topo, cfg: cfg, cfgPath: path, logs: &syncBuffer{}, cards: issuers.Cards(cfg.Issuers),
		clientCfg: clientCfg, web: web}
	n.start()
	t.Cleanup(func() {
		n.stop()
		if t.Failed() {
			t.Logf("the network's logs:\n%s", n.logs.String())
		}
	})
	return n
}

// start starts the child and waits until its address file says it serves.
func (n *testNet) start() {
	n.t.Helper()
	addrFile := filepath.Join(n.t.TempDir(), "addr")
	args := []string{"run", "--config", n.cfgPath, "--addr-file", addrFile}
	if n.topo == processes {
		args = append(args, "--processes")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	require.NoError(n.t, cmd.Start())
	n.cmd, n.exited = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(n.exited)
	}()
	var lines []string
	require.Eventually(n.t, func() bool {
		b, err := os.ReadFile(addrFile)
		lines = strings.Split(strings.TrimSpace(string(b)), "\n")
		select {
		case <-n.exited:
			n.t.Fatalf("the network exited before serving:\n%s", n.logs.String())
		default:
		}
		return err == nil && len(lines) >= 2
	}, 60*time.Second, 10*time.Millisecond, "the network did not start:\n%s", n.logs)
	n.gatewayAddr, n.httpAddrs, n.nodes = lines[0], []string{lines[1]}, map[string]node{}
	for _, l := range lines[2:] {
		f := strings.Fields(l)
		require.Len(n.t, f, 4, "address file line %q", l)
		pid, err := strconv.Atoi(f[1])
		require.NoError(n.t, err)
		n.nodes[f[0]] = node{pid: pid, iso: f[2], http: f[3]}
		if f[0] == string(configs.RoleWallet) {
			n.walletAddr = f[3]
		}
		if f[0] != string(configs.RoleGateway) && (n.topo == processes || f[0] != string(configs.RoleWallet)) {
			n.httpAddrs = append(n.httpAddrs, f[3]) // in one process the wallet's port has no /metrics
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := iso.Dial(ctx, n.gatewayAddr, n.clientCfg, zerolog.Nop())
	require.NoError(n.t, err)
	n.client = c
}

// stop closes the client and stops the child with SIGTERM, as Ctrl-C would; it requires
// a clean exit. Stopping a stopped network does nothing.
func (n *testNet) stop() {
	n.t.Helper()
	if n.cmd == nil {
		return
	}
	_ = n.client.Close()
	require.NoError(n.t, n.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-n.exited:
	case <-time.After(60 * time.Second):
		_ = n.cmd.Process.Kill()
		n.t.Fatalf("the network did not stop within 60 s:\n%s", n.logs.String())
	}
	require.Equal(n.t, 0, n.cmd.ProcessState.ExitCode(), "the network's exit status:\n%s", n.logs.String())
	n.cmd = nil
}

// restart stops the network and starts it again on the same configuration and data.
func (n *testNet) restart() {
	n.t.Helper()
	n.stop()
	n.start()
}

// dataDir is the network's data directory.
func (n *testNet) dataDir() string { return n.cfg.DataDir }

// card returns the first card matching issuer, product and scenario ("" matches a
// regular card).
func (n *testNet) card(issuer string, product bandeira.Product, scenario string) issuers.Card {
	n.t.Helper()
	for _, c := range n.cards {
		if c.Issuer == issuer && c.Product == product && c.Scenario == scenario {
			return c
		}
	}
	n.t.Fatalf("no %s %s card with scenario %q", issuer, product, scenario)
	return issuers.Card{}
}

// request builds a message as the demo terminal would, with a STAN unique in this test.
func (n *testNet) request(mti string, c issuers.Card, processingCode string, amount bandeira.Amount) iso.Message {
	m := demoMessage(mti, n.cfg.Gateway.AcquirerID, acquirer.DefaultMerchant(), time.Now())
	m.Set(11, fmt.Sprintf("%06d", n.stan.Add(1)))
	if mti[1] == '8' {
		return m
	}
	m.Set(2, c.PAN.Digits())
	m.Set(3, processingCode)
	m.Set(4, fmt.Sprintf("%012d", amount))
	m.Set(14, c.Expiry)
	return m
}

// send sends m and returns the response; it fails the test when none arrives.
func (n *testNet) send(m iso.Message) iso.Message {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n.sent.Add(1)
	resp, err := n.client.Send(ctx, m)
	require.NoError(n.t, err)
	require.Equal(n.t, string(bandeira.MTI(m.MTI).Response()), resp.MTI)
	return resp
}

// code sends m and returns field 39.
func (n *testNet) code(m iso.Message) string {
	n.t.Helper()
	return n.send(m).Get(39)
}

// balance asks the issuer for c's balances with a 0100 balance inquiry.
func (n *testNet) balance(c issuers.Card) bandeira.Balances {
	n.t.Helper()
	resp := n.send(n.request("0100", c, "310000", 0))
	require.Equal(n.t, "00", resp.Get(39))
	res, err := iso.ToResult(resp)
	require.NoError(n.t, err)
	require.NotNil(n.t, res.Balances)
	return *res.Balances
}

// reversalOf builds a 0400 for the original request orig (field 90 from its 11, 7, 32).
func (n *testNet) reversalOf(orig iso.Message, c issuers.Card, amount bandeira.Amount) iso.Message {
	r := n.request("0400", c, orig.Get(3), amount)
	acq := orig.Get(32)
	r.Set(90, orig.MTI+orig.Get(11)+orig.Get(7)+strings.Repeat("0", 11-len(acq))+acq+strings.Repeat("0", 11))
	return r
}

// metric returns the sum, over every node's /metrics, of every sample of the named metric
// family whose labels contain all of the given label pairs (e.g. `response_code="00"`).
func (n *testNet) metric(name string, labels ...string) float64 {
	n.t.Helper()
	var sum float64
	for _, addr := range n.httpAddrs {
		sum += sumSamples(n.t, n.getFrom(addr, "/metrics"), name, labels)
	}
	return sum
}

// allMetrics returns every node's /metrics, joined.
func (n *testNet) allMetrics() string {
	var b strings.Builder
	for _, addr := range n.httpAddrs {
		b.WriteString(n.getFrom(addr, "/metrics"))
	}
	return b.String()
}

func sumSamples(t *testing.T, body, name string, labels []string) float64 {
	var sum float64
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		require.NoError(t, err)
		sum += v
	}
	return sum
}

// httpAddr is the gateway's HTTP address.
func (n *testNet) httpAddr() string { return n.httpAddrs[0] }

// get GETs path from the gateway's HTTP port and requires a 200.
func (n *testNet) get(path string) string {
	n.t.Helper()
	return n.getFrom(n.httpAddr(), path)
}

func (n *testNet) getFrom(addr, path string) string {
	n.t.Helper()
	scheme := "http://"
	if tr, ok := n.web.Transport.(*http.Transport); ok && tr.TLSClientConfig != nil {
		scheme = "https://"
	}
	resp, err := n.web.Get(scheme + addr + path)
	require.NoError(n.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(n.t, err)
	require.Equal(n.t, http.StatusOK, resp.StatusCode, "GET %s%s: %s", addr, path, body)
	return string(body)
}
