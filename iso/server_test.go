package iso_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// ioWait bounds every blocking read in these tests; the outcomes asserted never depend
// on how long they take within it.
const ioWait = 5 * time.Second

// testLog returns a debug-level logger into t that also copies every line to the
// returned buffer, and drops lines logged after the test has finished (the connection
// library reports errors from its own goroutines).
func testLog(tb testing.TB) (zerolog.Logger, *lockedBuffer) {
	tb.Helper()
	w := &lockedBuffer{tw: zerolog.NewTestWriter(tb)}
	tb.Cleanup(w.close)
	return zerolog.New(w).Level(zerolog.DebugLevel), w
}

// zeroLogFor returns testLog's logger, at info level for benchmarks as in production.
func zeroLogFor(tb testing.TB) zerolog.Logger {
	log, _ := testLog(tb)
	if _, ok := tb.(*testing.B); ok {
		return log.Level(zerolog.InfoLevel)
	}
	return log
}

// lockedBuffer is the writer behind testLog.
type lockedBuffer struct {
	mu   sync.Mutex
	done bool
	buf  bytes.Buffer
	tw   io.Writer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	w.buf.Write(p)
	return w.tw.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func (w *lockedBuffer) close() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// testServer is a Server listening on 127.0.0.1:0.
type testServer struct {
	t       *testing.T
	srv     *iso.Server
	addr    string
	metrics *iso.ServerMetrics
	reg     *prometheus.Registry
	logs    *lockedBuffer
	served  chan error
}

// startServer serves h with cfg until the test ends, then shuts down and checks that
// Serve returned ErrServerClosed.
func startServer(t *testing.T, cfg iso.ServerConfig, h bandeira.Authorizer, opts ...iso.ServerOption) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return serveOn(t, ln, cfg, h, opts...)
}

// serveOn is startServer on a listener of the caller's.
func serveOn(t *testing.T, ln net.Listener, cfg iso.ServerConfig, h bandeira.Authorizer, opts ...iso.ServerOption) *testServer {
	t.Helper()
	log, logs := testLog(t)
	reg := prometheus.NewRegistry()
	m := iso.NewServerMetrics(reg)
	ts := &testServer{
		t:       t,
		reg:     reg,
		srv:     iso.NewServer(cfg, h, log, m, opts...),
		addr:    ln.Addr().String(),
		metrics: m,
		logs:    logs,
		served:  make(chan error, 1),
	}
	go func() { ts.served <- ts.srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		defer cancel()
		require.NoError(t, ts.srv.Shutdown(ctx))
		require.ErrorIs(t, <-ts.served, iso.ErrServerClosed)
	})
	return ts
}

func (ts *testServer) rejected(reason string) float64 {
	return gathered(ts.t, ts.reg, "bandeira_iso_frames_rejected_total", reason)
}

func (ts *testServer) backpressureWaits() float64 {
	return gathered(ts.t, ts.reg, "bandeira_iso_backpressure_waits_total", "")
}

func (ts *testServer) connections() float64 {
	return gathered(ts.t, ts.reg, "bandeira_iso_connections", "")
}

func (ts *testServer) inFlight() float64 {
	return gathered(ts.t, ts.reg, "bandeira_iso_in_flight", "")
}

func (ts *testServer) signedOn() float64 {
	return gathered(ts.t, ts.reg, "bandeira_iso_signed_on_connections", "")
}

// networkManagement returns how many 0800s with code in field 70 the server answered.
func (ts *testServer) networkManagement(code string) float64 {
	return gathered(ts.t, ts.reg, "bandeira_iso_network_management_total", code)
}

// gathered returns the value of the named counter or gauge in reg, picking the series
// whose only label has the given value ("" for an unlabelled metric); 0 if absent.
func gathered(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// rawConn is a hand-driven client connection.
type rawConn struct {
	t *testing.T
	net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	return dialRawFrom(t, "127.0.0.1", addr)
}

// dialRawFrom connects from the local IP from: Linux routes all of 127.0.0.0/8 to the
// loopback, so 127.0.0.2 is another remote address for the server's per-address limits.
func dialRawFrom(t *testing.T, from, addr string) *rawConn {
	t.Helper()
	d := net.Dialer{Timeout: ioWait, LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	nc, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, Conn: nc}
}

func (c *rawConn) sendRaw(b []byte) {
	c.t.Helper()
	_, err := c.Write(b)
	require.NoError(c.t, err)
}

func (c *rawConn) send(m iso.Message) {
	c.t.Helper()
	body, err := iso.Pack(m)
	require.NoError(c.t, err)
	require.NoError(c.t, iso.WriteFrame(c, body))
}

func (c *rawConn) recv() iso.Message {
	c.t.Helper()
	require.NoError(c.t, c.SetReadDeadline(time.Now().Add(ioWait)))
	body, err := iso.ReadFrame(c, nil, iso.MaxFrameLimit)
	require.NoError(c.t, err)
	m, err := iso.Unpack(body)
	require.NoError(c.t, err)
	return m
}

// expectClosed asserts that the server closed the connection: a read ends with EOF or a
// reset, not with the local deadline.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	require.NoError(c.t, c.SetReadDeadline(time.Now().Add(ioWait)))
	n, err := c.Read(make([]byte, 64))
	require.Zero(c.t, n, "expected no response before the close")
	require.Error(c.t, err)
	var ne net.Error
	require.False(c.t, errors.As(err, &ne) && ne.Timeout(), "connection still open: %v", err)
}

// request returns a well-formed 0100 for terminal and STAN.
func request(terminal, stan string) iso.Message {
	return iso.Message{MTI: "0100", Fields: map[int]string{
		2:  "4000010100000003",
		3:  "000000",
		4:  "000000012345",
		7:  "1126201500",
		11: stan,
		12: "201500",
		13: "1126",
		37: "000000" + stan,
		41: terminal,
		42: "MERCHANT0000001",
		49: "986",
	}}
}

// approver approves everything, counts its calls and derives the auth code from the
// request, so a reply delivered to the wrong caller is visible.
type approver struct{ calls atomic.Int64 }

func (a *approver) Authorize(_ context.Context, r bandeira.Authorization) (bandeira.Result, error) {
	a.calls.Add(1)
	return bandeira.Result{Code: bandeira.Approved, AuthCode: authCodeFor(r.TerminalID, r.STAN)}, nil
}

func authCodeFor(terminal, stan string) string {
	return terminal[len(terminal)-3:] + stan[len(stan)-3:]
}

// frame puts a 2-byte length header before body.
func frame(body string) []byte {
	return append([]byte{byte(len(body) >> 8), byte(len(body))}, body...)
}

func TestServerAnswersWellFormedRequests(t *testing.T) {
	h := &approver{}
	ts := startServer(t, iso.DefaultServerConfig(), h)
	c := dialRaw(t, ts.addr)

	t.Run("answers with the handler's decision and echoes the request", func(t *testing.T) {
		c.send(request("TERM0001", "000042"))
		resp := c.recv()
		require.Equal(t, "0110", resp.MTI)
		require.Equal(t, "00", resp.Get(39))
		require.Equal(t, "001042", resp.Get(38))
		require.Equal(t, "000042", resp.Get(11))
		require.Equal(t, "TERM0001", resp.Get(41))
		require.Equal(t, "000000012345", resp.Get(4))
	})

	t.Run("answers several pipelined requests on one connection", func(t *testing.T) {
		var batch []byte
		for i := range 10 {
			body, err := iso.Pack(request("TERM0002", fmt.Sprintf("%06d", i)))
			require.NoError(t, err)
			batch = append(batch, frame(string(body))...)
		}
		c.sendRaw(batch)
		seen := map[string]bool{}
		for range 10 {
			resp := c.recv()
			require.Equal(t, "00", resp.Get(39))
			seen[resp.Get(11)] = true
		}
		require.Len(t, seen, 10)
	})

	t.Run("logs requests with the PAN masked", func(t *testing.T) {
		logs := ts.logs.String()
		require.Contains(t, logs, `"pan":"400001******0003"`)
		require.NotContains(t, logs, "4000010100000003")
	})
}

func TestServerMalformedBattery(t *testing.T) {
	type outcome int
	const (
		answers30 outcome = iota
		closes
	)
	cases := []struct {
		name    string
		input   []byte
		outcome outcome
		reason  string // "" when no rejection is counted
		respMTI string
	}{
		{"closes on a zero length header", []byte{0, 0}, closes, iso.ReasonEmptyFrame, ""},
		{"closes on a 0xFFFF length header", []byte{0xff, 0xff, '0', '1'}, closes, iso.ReasonFrameTooLarge, ""},
		{"closes on an ASCII length header", []byte("9999"), closes, iso.ReasonFrameTooLarge, ""},
		{"closes on a frame shorter than an MTI", frame("010"), closes, iso.ReasonUnpack, ""},
		{"closes on garbage bytes", frame("\xfe\x00\x13garbage\x00\xff\x7f!!!!"), closes, iso.ReasonUnpack, ""},
		{"closes on an MTI with a letter", frame("01A00000000000000000"), closes, iso.ReasonUnpack, ""},
		{"closes on the unknown MTI 9999", frame("99990000000000000000"), closes, iso.ReasonBadMTI, ""},
		{"closes on a response MTI sent to the server", frame("0110" + "0020000000000000" + "000001"), closes, iso.ReasonBadMTI, ""},
		{"closes on a wrong version digit", frame("1100" + "0020000000000000" + "000001"), closes, iso.ReasonBadMTI, ""},
		{"closes on an unreadable response MTI", frame("0110" + "40000000"), closes, iso.ReasonBadMTI, ""},
		{"answers 30 to a bitmap promising absent fields", frame("0100" + "6000000000000000"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to bit 1 without a secondary bitmap", frame("0100" + "8000000000000000"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to a bitmap that is not hex", frame("0100" + "ZZ00000000000000"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to an LLVAR PAN claiming 99", frame("0100" + "4000000000000000" + "99" + "4000010100000003"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to an LL prefix with a letter", frame("0100" + "4000000000000000" + "1A" + "4000010100000003"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to a negative-looking LL prefix", frame("0100" + "4000000000000000" + "-3" + "400"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to an LLLVAR of 999 with 10 bytes present", frame("0100" + "0000000000010000" + "999" + "0123456789"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to a field outside the dialect", frame("0100" + "0800000000000000" + "000000000001"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to bytes after the last field", frame("0100" + "0020000000000000" + "000001" + "xyz"), answers30, iso.ReasonUnpack, "0110"},
		{"answers 30 to letters in field 4", frame("0100" + "1020000000000000" + "00000000A100" + "000001"), answers30, iso.ReasonBadField, "0110"},
		{"answers 30 to letters in field 11", frame("0200" + "0020000000000000" + "00A001"), answers30, iso.ReasonBadField, "0210"},
		{"answers 30 to an impossible transmission time", frame("0100" + "0220000000000000" + "1399256199" + "000001"), answers30, iso.ReasonBadField, "0110"},
		{"answers 30 to a PAN with letters", frame("0100" + "4020000000000000" + "16" + "40000101000000AB" + "000001"), answers30, iso.ReasonBadField, "0110"},
		{"answers 30 to a request of a class not served", frame("0300" + "0020000000000000" + "000001"), answers30, iso.ReasonBadField, "0310"},
		{"answers 30 to a network management request with a bad field 70", frame("0800" + "8020000000000000" + "0400000000000000" + "000001" + "3X1"), answers30, iso.ReasonBadField, "0810"},
		{"answers 30 to a repeat and answers with the original's response MTI", frame("0101" + "6000000000000000"), answers30, iso.ReasonUnpack, "0110"},
	}

	h := &approver{}
	ts := startServer(t, iso.DefaultServerConfig(), h)
	baseline := runtime.NumGoroutine()
	const rounds = 3
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.rejected(tc.reason)
			for range rounds {
				c := dialRaw(t, ts.addr)
				c.sendRaw(tc.input)
				if tc.outcome == closes {
					c.expectClosed()
					continue
				}
				resp := c.recv()
				require.Equal(t, tc.respMTI, resp.MTI)
				require.Equal(t, "30", resp.Get(39))
				c.send(request("TERM0009", "999999")) // the connection stays usable
				require.Equal(t, "00", c.recv().Get(39))
				_ = c.Close()
			}
			require.Equal(t, float64(rounds), ts.rejected(tc.reason)-before)
		})
	}

	t.Run("never calls the handler for malformed input", func(t *testing.T) {
		answered := 0
		for _, tc := range cases {
			if tc.outcome == answers30 {
				answered++
			}
		}
		require.Equal(t, int64(answered*rounds), h.calls.Load(), "only the follow-up requests reach the handler")
	})

	// Back to the baseline once the connections are gone (checked outside a subtest,
	// whose own goroutine would count).
	// The gauges are polled too: the goroutine count can reach the baseline while the last
	// connection's goroutine is still finishing, if another goroutine ended first.
	requireGoroutinesBackTo(t, baseline)
	require.Eventually(t, func() bool { return ts.connections() == 0 && ts.inFlight() == 0 },
		ioWait, 5*time.Millisecond, "the connection and in-flight gauges return to 0")
}

func TestServerTimers(t *testing.T) {
	t.Run("closes a connection that never sends a frame", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.ReadIdleTimeout = 100 * time.Millisecond
		ts := startServer(t, cfg, &approver{})
		dialRaw(t, ts.addr).expectClosed()
	})

	t.Run("closes a connection that goes silent after a valid exchange", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.ReadIdleTimeout = 100 * time.Millisecond
		ts := startServer(t, cfg, &approver{})
		c := dialRaw(t, ts.addr)
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "00", c.recv().Get(39))
		c.expectClosed()
	})

	t.Run("closes a connection whose started frame stops arriving", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.FrameTimeout = 100 * time.Millisecond // the idle timer stays at 75 s
		h := &approver{}
		ts := startServer(t, cfg, h)
		c := dialRaw(t, ts.addr)
		body, err := iso.Pack(request("TERM0001", "000001"))
		require.NoError(t, err)
		c.sendRaw(frame(string(body))[:20])
		c.expectClosed()
		require.Zero(t, h.calls.Load())
	})

	t.Run("answers 91 when the handler runs out of time", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.RequestTimeout = 50 * time.Millisecond
		ts := startServer(t, cfg, bandeira.AuthorizerFunc(
			func(ctx context.Context, _ bandeira.Authorization) (bandeira.Result, error) {
				<-ctx.Done()
				return bandeira.Result{}, ctx.Err()
			}))
		c := dialRaw(t, ts.addr)
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "91", c.recv().Get(39))
	})
}

func TestServerHandlerOutcomes(t *testing.T) {
	cases := []struct {
		name string
		h    bandeira.AuthorizerFunc
		want bandeira.ResponseCode
	}{
		{"passes a decline through", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.InsufficientFunds}, nil
		}, bandeira.InsufficientFunds},
		{"answers 91 when the issuer is unavailable", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{}, fmt.Errorf("routing: %w", bandeira.ErrIssuerUnavailable)
		}, bandeira.IssuerUnavailable},
		{"answers 96 for any other error", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{}, errors.New("disk on fire")
		}, bandeira.SystemMalfunction},
		{"answers 96 when the decision cannot be packed", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{Code: bandeira.Approved, AuthCode: "TOO-LONG-CODE"}, nil
		}, bandeira.SystemMalfunction},
		{"answers 96 for an empty decision", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			return bandeira.Result{}, nil
		}, bandeira.SystemMalfunction},
		{"answers 96 when the handler panics, and keeps serving", func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
			panic("handler bug")
		}, bandeira.SystemMalfunction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, iso.DefaultServerConfig(), tc.h)
			c := dialRaw(t, ts.addr)
			for i := range 2 {
				c.send(request("TERM0001", fmt.Sprintf("%06d", i)))
				resp := c.recv()
				require.Equal(t, string(tc.want), resp.Get(39))
				require.Equal(t, fmt.Sprintf("%06d", i), resp.Get(11))
				require.False(t, resp.Has(38))
			}
		})
	}

	t.Run("gives the handler the decoded request and a deadline", func(t *testing.T) {
		got := make(chan bandeira.Authorization, 1)
		var hasDeadline atomic.Bool
		ts := startServer(t, iso.DefaultServerConfig(), bandeira.AuthorizerFunc(
			func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
				_, ok := ctx.Deadline()
				hasDeadline.Store(ok)
				got <- a
				return bandeira.Result{Code: bandeira.Approved, AuthCode: "ABC123"}, nil
			}))
		c := dialRaw(t, ts.addr)
		c.send(request("TERM0007", "123456"))
		require.Equal(t, "ABC123", c.recv().Get(38))
		a := <-got
		require.True(t, hasDeadline.Load())
		require.Equal(t, bandeira.MTIAuthorization, a.MTI)
		require.Equal(t, "4000010100000003", a.PAN.Digits())
		require.Equal(t, bandeira.Amount(12345), a.Amount)
		require.Equal(t, "123456", a.STAN)
		require.Equal(t, "TERM0007", a.TerminalID)
	})
}

// blocker is a handler that parks every request until release is closed.
type blocker struct {
	entered chan string
	release chan struct{}
}

func newBlocker() *blocker {
	return &blocker{entered: make(chan string, 64), release: make(chan struct{})}
}

func (b *blocker) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	b.entered <- a.STAN
	select {
	case <-b.release:
		return bandeira.Result{Code: bandeira.Approved, AuthCode: "000001"}, nil
	case <-ctx.Done():
		return bandeira.Result{}, ctx.Err()
	}
}

func TestServerLimits(t *testing.T) {
	t.Run("closes connections above the limit at once", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxConnections = 2
		ts := startServer(t, cfg, &approver{})
		var open []*rawConn
		for i := range 2 {
			c := dialRaw(t, ts.addr)
			c.send(request("TERM0001", fmt.Sprintf("%06d", i)))
			require.Equal(t, "00", c.recv().Get(39)) // accepted and tracked
			open = append(open, c)
		}
		extra := dialRaw(t, ts.addr)
		extra.expectClosed()
		require.Equal(t, 1.0, ts.rejected(iso.ReasonConnectionLimit))
		require.Equal(t, 2.0, ts.connections())

		_ = open[0].Close()
		require.Eventually(t, func() bool { return ts.connections() == 1 },
			ioWait, 5*time.Millisecond)
		again := dialRaw(t, ts.addr)
		again.send(request("TERM0001", "000009"))
		require.Equal(t, "00", again.recv().Get(39))
	})

	t.Run("stops reading above the per-connection in-flight limit and serves the rest as slots free", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxInFlightPerConn = 2
		b := newBlocker()
		ts := startServer(t, cfg, b)
		c := dialRaw(t, ts.addr)
		for _, stan := range []string{"000001", "000002", "000003"} {
			c.send(request("TERM0001", stan))
		}
		<-b.entered
		<-b.entered
		require.Equal(t, 2.0, ts.inFlight())
		require.Eventually(t, func() bool { return ts.backpressureWaits() == 1 }, ioWait, 5*time.Millisecond,
			"the third request waits for a slot; the socket is not read meanwhile")
		close(b.release)
		got := map[string]string{}
		for range 3 {
			r := c.recv()
			got[r.Get(11)] = r.Get(39)
		}
		require.Equal(t, map[string]string{"000001": "00", "000002": "00", "000003": "00"}, got)
		require.Zero(t, ts.rejected(iso.ReasonOverload), "a burst within the limits is served, not answered 91")
	})

	t.Run("a pipelined burst larger than the per-connection limit is answered in full", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxInFlightPerConn = 16
		ts := startServer(t, cfg, &approver{})
		c := dialRaw(t, ts.addr)
		const burst = 500
		var frames []byte
		for i := range burst {
			body, err := iso.Pack(request("TERM0001", fmt.Sprintf("%06d", i+1)))
			require.NoError(t, err)
			frames = append(frames, byte(len(body)>>8), byte(len(body)))
			frames = append(frames, body...)
		}
		c.sendRaw(frames)
		codes := map[string]int{}
		for range burst {
			codes[c.recv().Get(39)]++
		}
		require.Equal(t, map[string]int{"00": burst}, codes)
	})

	t.Run("closes connections above the per-address limit, and another address still connects", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxConnectionsPerIP = 2
		ts := startServer(t, cfg, &approver{})
		for i := range 2 {
			c := dialRaw(t, ts.addr)
			c.send(request("TERM0001", fmt.Sprintf("%06d", i+1)))
			require.Equal(t, "00", c.recv().Get(39))
		}
		dialRaw(t, ts.addr).expectClosed()
		require.Equal(t, 1.0, ts.rejected(iso.ReasonIPConnectionLimit))
		other := dialRawFrom(t, "127.0.0.2", ts.addr)
		other.send(request("TERM0002", "000001"))
		require.Equal(t, "00", other.recv().Get(39))
	})

	t.Run("an address at its in-flight limit waits while another address is served", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxInFlightPerIP = 2
		b := newBlocker()
		ts := startServer(t, cfg, b)
		noisy := []*rawConn{dialRaw(t, ts.addr), dialRaw(t, ts.addr)}
		noisy[0].send(request("TERM0001", "000001"))
		noisy[1].send(request("TERM0001", "000002"))
		<-b.entered
		<-b.entered
		noisy[1].send(request("TERM0001", "000003"))
		require.Eventually(t, func() bool { return ts.backpressureWaits() == 1 }, ioWait, 5*time.Millisecond)
		quiet := dialRawFrom(t, "127.0.0.2", ts.addr)
		quiet.send(request("TERM0002", "000001"))
		<-b.entered
		require.Equal(t, 3.0, ts.inFlight(), "the quiet address got a slot of its own")
		close(b.release)
		require.Equal(t, "00", quiet.recv().Get(39))
		require.Equal(t, "00", noisy[0].recv().Get(39))
		got := []string{noisy[1].recv().Get(11), noisy[1].recv().Get(11)}
		require.ElementsMatch(t, []string{"000002", "000003"}, got)
	})

	t.Run("answers 91 above the global in-flight limit", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxInFlight = 1
		b := newBlocker()
		ts := startServer(t, cfg, b)
		first, second := dialRaw(t, ts.addr), dialRawFrom(t, "127.0.0.2", ts.addr)
		first.send(request("TERM0001", "000001"))
		<-b.entered
		second.send(request("TERM0002", "000001"))
		require.Equal(t, "91", second.recv().Get(39))
		close(b.release)
		require.Equal(t, "00", first.recv().Get(39))
		require.Equal(t, 1.0, ts.rejected(iso.ReasonOverload))
		require.Eventually(t, func() bool { return ts.inFlight() == 0 },
			ioWait, 5*time.Millisecond)
	})
}

func TestServerShutdown(t *testing.T) {
	t.Run("drains a request in flight, then closes, and is idempotent", func(t *testing.T) {
		baseline := runtime.NumGoroutine()
		b := newBlocker()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		log, _ := testLog(t)
		srv := iso.NewServer(iso.DefaultServerConfig(), b, log, nil)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		c := dialRaw(t, ln.Addr().String())
		c.send(request("TERM0001", "000001"))
		<-b.entered

		shut := make(chan error, 1)
		go func() { shut <- srv.Shutdown(context.Background()) }()
		require.ErrorIs(t, <-served, iso.ErrServerClosed)
		_, err = net.DialTimeout("tcp", ln.Addr().String(), ioWait)
		require.Error(t, err, "the listener is closed")

		close(b.release)
		resp := c.recv()
		require.Equal(t, "00", resp.Get(39), "the request in flight is answered")
		require.NoError(t, <-shut)
		c.expectClosed()

		require.NoError(t, srv.Shutdown(context.Background()))
		require.ErrorIs(t, srv.Serve(ln), iso.ErrServerClosed)
		requireGoroutinesBackTo(t, baseline)
	})

	t.Run("cancels requests and closes connections when the drain deadline passes", func(t *testing.T) {
		b := newBlocker() // release is never closed: only the context ends the request
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		log, _ := testLog(t)
		srv := iso.NewServer(iso.DefaultServerConfig(), b, log, nil)
		go func() { _ = srv.Serve(ln) }()
		c := dialRaw(t, ln.Addr().String())
		c.send(request("TERM0001", "000001"))
		<-b.entered

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.ErrorIs(t, srv.Shutdown(ctx), context.Canceled)
		c.expectClosed()
	})

	t.Run("closes idle connections without waiting for their timers", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		log, _ := testLog(t)
		srv := iso.NewServer(iso.DefaultServerConfig(), &approver{}, log, nil)
		go func() { _ = srv.Serve(ln) }()
		c := dialRaw(t, ln.Addr().String())
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "00", c.recv().Get(39))

		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		c.expectClosed()
	})
}

// requireGoroutinesBackTo waits until no more goroutines run than baseline, and dumps
// them all if that never happens.
func requireGoroutinesBackTo(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(ioWait)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			require.FailNow(t, "goroutines did not return to the baseline",
				"baseline %d, now %d:\n%s", baseline, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestServerConfig(t *testing.T) {
	require.NoError(t, iso.DefaultServerConfig().Validate())
	cases := []struct {
		name   string
		change func(*iso.ServerConfig)
		want   string
	}{
		{"rejects a tiny frame size", func(c *iso.ServerConfig) { c.MaxFrameSize = 10 }, "max_frame_size"},
		{"rejects a frame size the header cannot carry", func(c *iso.ServerConfig) { c.MaxFrameSize = 70000 }, "max_frame_size"},
		{"rejects zero connections", func(c *iso.ServerConfig) { c.MaxConnections = 0 }, "max_connections"},
		{"rejects zero in flight per connection", func(c *iso.ServerConfig) { c.MaxInFlightPerConn = 0 }, "max_in_flight_per_conn"},
		{"rejects zero in flight", func(c *iso.ServerConfig) { c.MaxInFlight = -1 }, "max_in_flight"},
		{"rejects a zero idle timeout", func(c *iso.ServerConfig) { c.ReadIdleTimeout = 0 }, "read_idle_timeout"},
		{"rejects a zero frame timeout", func(c *iso.ServerConfig) { c.FrameTimeout = 0 }, "frame_timeout"},
		{"rejects a negative request timeout", func(c *iso.ServerConfig) { c.RequestTimeout = -time.Second }, "request_timeout"},
		{"rejects a zero write timeout", func(c *iso.ServerConfig) { c.WriteTimeout = 0 }, "write_timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := iso.DefaultServerConfig()
			tc.change(&cfg)
			require.ErrorContains(t, cfg.Validate(), tc.want)
		})
	}

	t.Run("serves with defaults when built from a zero config", func(t *testing.T) {
		ts := startServer(t, iso.ServerConfig{}, &approver{})
		c := dialRaw(t, ts.addr)
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "00", c.recv().Get(39))
	})
}

// flakyListener fails its first Accept calls with a non-closed error, like EMFILE.
type flakyListener struct {
	net.Listener
	failures atomic.Int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	if l.failures.Add(-1) >= 0 {
		return nil, errors.New("accept: too many open files")
	}
	return l.Listener.Accept()
}

func TestServerAcceptBackoff(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ln := &flakyListener{Listener: inner}
	ln.failures.Store(3)
	log, _ := testLog(t)
	srv := iso.NewServer(iso.DefaultServerConfig(), &approver{}, log, nil)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	t.Run("keeps accepting after failed accepts", func(t *testing.T) {
		c := dialRaw(t, inner.Addr().String())
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "00", c.recv().Get(39))
		require.Negative(t, ln.failures.Load())
	})

	t.Run("returns ErrServerClosed after Shutdown", func(t *testing.T) {
		require.NoError(t, srv.Shutdown(context.Background()))
		require.ErrorIs(t, <-served, iso.ErrServerClosed)
	})

	t.Run("returns the error of a listener closed by someone else", func(t *testing.T) {
		other, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := iso.NewServer(iso.DefaultServerConfig(), &approver{}, log, nil)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(other) }()
		require.NoError(t, other.Close())
		err = <-done
		require.ErrorIs(t, err, net.ErrClosed)
		require.NotErrorIs(t, err, iso.ErrServerClosed)
	})
}
