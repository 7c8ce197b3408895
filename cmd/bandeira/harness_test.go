package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// testNet is a running `bandeira run` (the real Main) on 127.0.0.1:0 ports with a client
// connected to its gateway.
type testNet struct {
	t      *testing.T
	main   *Main
	client *iso.Client
	logs   *syncBuffer
	cards  []issuers.Card
	stan   atomic.Int64
	sent   atomic.Int64 // requests sent through send, for checking the metrics
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

// testConfig is the embedded default with free ports, fewer cards and short timers, so
// the no-answer and slow scenario cards resolve quickly.
func testConfig(t testing.TB) configs.Config {
	t.Helper()
	cfg, err := configs.Load("")
	require.NoError(t, err)
	cfg.Listen.Gateway, cfg.Listen.HTTP = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Issuers.CardsPerBIN = 50
	cfg.Issuers.SlowDelay = 100 * time.Millisecond
	cfg.Network.IssuerTimeout = 400 * time.Millisecond
	cfg.Gateway.RequestTimeout = 800 * time.Millisecond
	cfg.Server.RequestTimeout = 1200 * time.Millisecond
	require.NoError(t, cfg.Validate())
	return cfg
}

func mustStartNet(t *testing.T) *testNet {
	t.Helper()
	cfg := testConfig(t)
	logs := &syncBuffer{}
	log := zerolog.New(io.MultiWriter(logs, zerolog.NewTestWriter(t))).Level(zerolog.DebugLevel)
	m := NewMain(cfg, log)
	require.NoError(t, m.Run(context.Background()))
	t.Cleanup(func() { require.NoError(t, m.Close()) })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := iso.Dial(ctx, m.GatewayAddr(), iso.DefaultClientConfig(), zerolog.Nop())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &testNet{t: t, main: m, client: c, logs: logs, cards: issuers.Cards(cfg.Issuers)}
}

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
	m := demoMessage(mti, n.main.Config.Gateway.AcquirerID, acquirer.DefaultMerchant(), time.Now())
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

// metric returns the sum of every sample of the named metric family on /metrics whose
// labels contain all of the given label pairs (e.g. `response_code="00"`).
func (n *testNet) metric(name string, labels ...string) float64 {
	n.t.Helper()
	body := n.get("/metrics")
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
		require.NoError(n.t, err)
		sum += v
	}
	return sum
}

func (n *testNet) get(path string) string {
	n.t.Helper()
	resp, err := http.Get("http://" + n.main.HTTPAddr() + path)
	require.NoError(n.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(n.t, err)
	require.Equal(n.t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, body)
	return string(body)
}
