package iso_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// testLink is a Client built with NewClient, with its own metrics and log buffer.
type testLink struct {
	*iso.Client
	t    *testing.T
	name string
	reg  *prometheus.Registry
	logs *lockedBuffer
}

// fastLink is the default client config with reconnect waits short enough for tests.
func fastLink() iso.ClientConfig {
	cfg := iso.DefaultClientConfig()
	cfg.ReconnectMin, cfg.ReconnectMax = 10*time.Millisecond, 50*time.Millisecond
	return cfg
}

// newLink starts a Client named network:visa for addr and closes it when the test ends.
func newLink(t *testing.T, addr string, cfg iso.ClientConfig) *testLink {
	t.Helper()
	log, logs := testLog(t)
	reg := prometheus.NewRegistry()
	l := &testLink{t: t, name: "network:visa", reg: reg, logs: logs}
	c, err := iso.NewClient(addr, cfg, iso.WithLogger(log),
		iso.WithLinkMetrics(iso.NewLinkMetrics(reg)), iso.WithLinkName(l.name))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	l.Client = c
	return l
}

// metric returns the link's series of the named counter or gauge.
func (l *testLink) metric(name string) float64 { return gathered(l.t, l.reg, name, l.name) }

// roundTrips returns the number of round trips the histogram observed.
func (l *testLink) roundTrips() uint64 {
	families, err := l.reg.Gather()
	require.NoError(l.t, err)
	for _, f := range families {
		if f.GetName() == "bandeira_link_round_trip_seconds" {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

// awaitState waits until the link reaches s.
func (l *testLink) awaitState(s iso.LinkState) {
	l.t.Helper()
	require.Eventually(l.t, func() bool { return l.State() == s }, ioWait, 5*time.Millisecond,
		"link never became %s", s)
}

// logLine is the part of a log line the link tests read.
type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	State   string `json:"state"`
	Link    string `json:"link"`
}

// logLines returns the link's log lines with the given message.
func (l *testLink) logLines(message string) []logLine {
	var lines []logLine
	for _, raw := range strings.Split(strings.TrimSpace(l.logs.String()), "\n") {
		var line logLine
		if json.Unmarshal([]byte(raw), &line) == nil && line.Message == message {
			lines = append(lines, line)
		}
	}
	return lines
}

// stateChanges returns the states the link logged, in order.
func (l *testLink) stateChanges() []string {
	var states []string
	for _, line := range l.logLines("link state changed") {
		require.Equal(l.t, l.name, line.Link)
		states = append(states, line.State)
		if line.State == "down" {
			require.Equal(l.t, "warn", line.Level)
		}
		if line.State == "up" {
			require.Equal(l.t, "info", line.Level)
		}
	}
	return states
}

func signOnServer() iso.ServerConfig {
	cfg := iso.DefaultServerConfig()
	cfg.RequireSignOn = true
	return cfg
}

func signingLink() iso.ClientConfig {
	cfg := fastLink()
	cfg.SignOn = true
	return cfg
}

func TestLinkSignOn(t *testing.T) {
	t.Run("signs on before the first request", func(t *testing.T) {
		first := make(chan iso.Message, 1)
		addr := scriptedPeer(t, func(c *rawConn) {
			m, ok := peerRecv(c)
			if !ok {
				return
			}
			first <- m
			peerSend(c, iso.Respond(m, bandeira.Result{Code: bandeira.Approved}))
			if req, ok := peerRecv(c); ok {
				peerSend(c, iso.Respond(req, bandeira.Result{Code: bandeira.Approved, AuthCode: "123456"}))
			}
			peerRecv(c)
		})
		cfg := oneConn()
		cfg.SignOn = true
		c := dialClient(t, addr, cfg)
		m := <-first
		require.Equal(t, "0800", m.MTI)
		require.Equal(t, bandeira.SignOn, m.Get(70))
		require.Len(t, m.Get(7), 10)
		require.Len(t, m.Get(11), 6)
		res, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.NoError(t, err)
		require.Equal(t, "123456", res.AuthCode)
	})

	t.Run("signs on every pooled connection of a server that requires it", func(t *testing.T) {
		h := &approver{}
		ts := startServer(t, signOnServer(), h)
		l := newLink(t, ts.addr, signingLink())
		l.awaitState(iso.LinkUp)
		require.Equal(t, 2.0, ts.signedOn())
		require.Equal(t, 2.0, ts.networkManagement(bandeira.SignOn))
		for _, stan := range []string{"000001", "000002", "000003"} {
			res, err := l.Authorize(context.Background(), authorization(t, "TERM0001", stan))
			require.NoError(t, err)
			require.Equal(t, bandeira.Approved, res.Code)
		}
		require.Equal(t, int64(3), h.calls.Load(), "sign-ons never reach the Authorizer")
		require.Zero(t, ts.rejected(iso.ReasonNotSignedOn))
	})

	t.Run("gets 91 from a server that requires a sign-on it did not send", func(t *testing.T) {
		h := &approver{}
		ts := startServer(t, signOnServer(), h)
		c := dialClient(t, ts.addr, fastLink())
		res, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.NoError(t, err, "91 is the peer's answer, not a transport error")
		require.Equal(t, bandeira.IssuerUnavailable, res.Code)
		require.Zero(t, h.calls.Load())
		require.Equal(t, 1.0, ts.rejected(iso.ReasonNotSignedOn))
	})

	t.Run("keeps a connection whose sign-on is refused out of service", func(t *testing.T) {
		addr := scriptedPeer(t, func(c *rawConn) {
			if m, ok := peerRecv(c); ok {
				peerSend(c, iso.Respond(m, bandeira.Result{Code: bandeira.IssuerUnavailable}))
				peerRecv(c)
			}
		})
		cfg := oneConn()
		cfg.SignOn = true
		_, err := iso.Dial(context.Background(), addr, cfg, zeroLogFor(t))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
		require.ErrorContains(t, err, `response code "91"`)
	})
}

func TestLinkEcho(t *testing.T) {
	t.Run("echoes an idle connection and keeps it", func(t *testing.T) {
		ts := startServer(t, iso.DefaultServerConfig(), &approver{})
		cfg := fastLink()
		cfg.PoolSize, cfg.EchoInterval = 1, 20*time.Millisecond
		l := newLink(t, ts.addr, cfg)
		l.awaitState(iso.LinkUp)
		require.Eventually(t, func() bool { return ts.networkManagement(bandeira.Echo) >= 3 },
			ioWait, 5*time.Millisecond)
		require.Equal(t, iso.LinkUp, l.State())
		require.Zero(t, l.metric("bandeira_link_reconnects_total"))
		require.Equal(t, 1.0, ts.connections())
	})

	t.Run("closes a connection whose echo goes unanswered", func(t *testing.T) {
		closed := make(chan error, 1)
		addr := scriptedPeer(t, func(c *rawConn) {
			m, ok := peerRecv(c)
			if !ok || m.MTI != "0800" || m.Get(70) != bandeira.Echo {
				closed <- errors.New("the first frame is not an echo")
				return
			}
			closed <- readUntilClosed(c) // the echo is never answered
		})
		cfg := oneConn()
		cfg.EchoInterval, cfg.SendTimeout = 20*time.Millisecond, 200*time.Millisecond
		dialClient(t, addr, cfg)
		require.NoError(t, <-closed)
	})
}

// readUntilClosed reads c until the other side closes it, and returns an error if the
// read deadline passes first or a frame arrives.
func readUntilClosed(c *rawConn) error {
	_ = c.SetReadDeadline(time.Now().Add(ioWait))
	n, err := c.Read(make([]byte, 64))
	var ne net.Error
	switch {
	case n > 0:
		return errors.New("a frame arrived instead of the close")
	case errors.As(err, &ne) && ne.Timeout():
		return errors.New("the connection stayed open")
	}
	return nil
}

func TestLinkSignOff(t *testing.T) {
	ts := startServer(t, signOnServer(), &approver{})
	l := newLink(t, ts.addr, signingLink())
	l.awaitState(iso.LinkUp)
	require.Equal(t, 2.0, ts.signedOn())

	require.NoError(t, l.Close())
	require.Equal(t, 2.0, ts.networkManagement(bandeira.SignOff), "each connection signed off before Close returned")
	require.Eventually(t, func() bool { return ts.signedOn() == 0 && ts.connections() == 0 },
		ioWait, 5*time.Millisecond)
	require.Equal(t, iso.LinkDown, l.State())
	require.Zero(t, l.metric("bandeira_link_up"))
	require.Zero(t, l.metric("bandeira_link_connections"))
}

func TestLinkReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	first := serveOn(t, ln, signOnServer(), &approver{})
	l := newLink(t, addr, signingLink())
	l.awaitState(iso.LinkUp)
	res, err := l.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
	require.NoError(t, err)
	require.Equal(t, bandeira.Approved, res.Code)

	require.NoError(t, first.srv.Shutdown(context.Background()))
	l.awaitState(iso.LinkDown)

	t.Run("fails requests at once while the link is down", func(t *testing.T) {
		for _, stan := range []string{"000002", "000003", "000004"} {
			_, err := l.Authorize(context.Background(), authorization(t, "TERM0001", stan))
			require.ErrorIs(t, err, iso.ErrConnectionClosed)
			require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		}
		require.Zero(t, l.metric("bandeira_link_up"))
		require.Zero(t, l.metric("bandeira_link_in_flight"))
	})

	var again net.Listener
	require.Eventually(t, func() bool {
		again, err = net.Listen("tcp", addr)
		return err == nil
	}, ioWait, 10*time.Millisecond, "rebinding %s", addr)
	second := serveOn(t, again, signOnServer(), &approver{})
	l.awaitState(iso.LinkUp)

	t.Run("serves again once a server is back on the address", func(t *testing.T) {
		res, err := l.Authorize(context.Background(), authorization(t, "TERM0001", "000005"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, 2.0, second.signedOn(), "both connections signed on again")
	})
	t.Run("counts the reconnects and reports the link up", func(t *testing.T) {
		require.Equal(t, 2.0, l.metric("bandeira_link_reconnects_total"))
		require.Equal(t, 1.0, l.metric("bandeira_link_up"))
		require.Equal(t, 2.0, l.metric("bandeira_link_connections"))
	})
	t.Run("logs each change of state once", func(t *testing.T) {
		states := l.stateChanges()
		require.Equal(t, 1, count(states, "down"), "states logged: %v", states)
		require.Equal(t, "up", states[len(states)-1])
		for i := 1; i < len(states); i++ {
			require.NotEqual(t, states[i-1], states[i], "states logged: %v", states)
		}
		require.Equal(t, 1, count(states[slices.Index(states, "down"):], "up"), "states logged: %v", states)
	})
}

func count(ss []string, s string) int {
	n := 0
	for _, v := range ss {
		if v == s {
			n++
		}
	}
	return n
}

func TestLinkDown(t *testing.T) {
	l := newLink(t, closedAddr(t), fastLink())
	for _, stan := range []string{"000001", "000002", "000003", "000004"} {
		_, err := l.Authorize(context.Background(), authorization(t, "TERM0001", stan))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
	}
	require.Equal(t, iso.LinkDown, l.State())
	require.Eventually(t, func() bool { return len(l.logLines("connecting failed")) >= 6 },
		ioWait, 5*time.Millisecond, "keeps trying to connect")
	require.Equal(t, []string{"down"}, l.stateChanges(), "logged once, not per request or attempt")
	for _, line := range l.logLines("connecting failed") {
		require.Equal(t, "debug", line.Level)
	}
}

func TestLinkPool(t *testing.T) {
	t.Run("spreads concurrent requests over its connections", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.MaxInFlightPerConn = 1 // a second request on one connection would get 91 at once
		b := newBlocker()
		ts := startServer(t, cfg, b)
		l := newLink(t, ts.addr, fastLink())
		l.awaitState(iso.LinkUp)
		require.Equal(t, 2.0, ts.connections())

		results := make(chan iso.Message, 2)
		for _, terminal := range []string{"TERM0001", "TERM0002"} {
			go func() {
				resp, _ := l.Send(context.Background(), request(terminal, "000001"))
				results <- resp
			}()
		}
		<-b.entered
		<-b.entered
		require.Equal(t, 2.0, l.metric("bandeira_link_in_flight"))
		close(b.release)
		for range 2 {
			require.Equal(t, "00", (<-results).Get(39))
		}
		require.Zero(t, ts.rejected(iso.ReasonOverload))
	})

	t.Run("measures round trips and counts late replies", func(t *testing.T) {
		b := newBlocker()
		ts := startServer(t, iso.DefaultServerConfig(), b)
		cfg := fastLink()
		cfg.SendTimeout = 100 * time.Millisecond
		l := newLink(t, ts.addr, cfg)
		l.awaitState(iso.LinkUp)
		require.Equal(t, 1.0, l.metric("bandeira_link_up"))

		_, err := l.Send(context.Background(), request("TERM0001", "000001"))
		require.ErrorIs(t, err, iso.ErrTimeout)
		close(b.release)
		require.Eventually(t, func() bool { return l.metric("bandeira_link_unmatched_replies_total") == 1 },
			ioWait, 5*time.Millisecond)
		require.Equal(t, int64(1), l.Unmatched())
		for _, stan := range []string{"000002", "000003", "000004"} {
			resp, err := l.Send(context.Background(), request("TERM0001", stan))
			require.NoError(t, err)
			require.Equal(t, "00", resp.Get(39))
		}
		require.Equal(t, uint64(3), l.roundTrips(), "only answered requests are timed")
		require.Zero(t, l.metric("bandeira_link_in_flight"))
	})
}

func TestLinkClose(t *testing.T) {
	t.Run("waits for the requests in flight and refuses new ones", func(t *testing.T) {
		b := newBlocker()
		ts := startServer(t, iso.DefaultServerConfig(), bandeira.AuthorizerFunc(
			func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
				if a.TerminalID == "TERM0001" { // the request in flight; the probes pass
					return b.Authorize(ctx, a)
				}
				return bandeira.Result{Code: bandeira.Approved}, nil
			}))
		l := newLink(t, ts.addr, fastLink())
		l.awaitState(iso.LinkUp)
		inFlight := make(chan error, 1)
		go func() {
			resp, err := l.Send(context.Background(), request("TERM0001", "000001"))
			if err == nil && resp.Get(39) != "00" {
				err = errors.New("answered " + resp.Get(39))
			}
			inFlight <- err
		}()
		<-b.entered
		closed := make(chan error, 1)
		go func() { closed <- l.Close() }()
		require.Eventually(t, func() bool {
			_, err := l.Send(context.Background(), request("TERM0002", "000002"))
			return errors.Is(err, iso.ErrConnectionClosed)
		}, ioWait, 5*time.Millisecond)
		close(b.release)
		require.NoError(t, <-inFlight, "the request in flight is answered, not cut off")
		require.NoError(t, <-closed)
		<-l.Done()
	})

	t.Run("is idempotent and safe to call concurrently", func(t *testing.T) {
		ts := startServer(t, iso.DefaultServerConfig(), &approver{})
		l := newLink(t, ts.addr, signingLink())
		l.awaitState(iso.LinkUp)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() { require.NoError(t, l.Close()) })
		}
		wg.Wait()
		require.NoError(t, l.Close())
		require.Equal(t, 1, len(l.logLines("link closed")))
	})

	t.Run("stops connecting to a peer that never answered", func(t *testing.T) {
		l := newLink(t, closedAddr(t), fastLink())
		require.NoError(t, l.Close())
		<-l.Done()
	})
}

func TestLinkLeavesNoGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	log, _ := testLog(t)
	m := iso.NewServerMetrics(nil)
	srv := iso.NewServer(signOnServer(), &approver{}, log, m)
	go func() { _ = srv.Serve(ln) }()

	cfg := signingLink()
	cfg.EchoInterval = 20 * time.Millisecond
	c, err := iso.NewClient(ln.Addr().String(), cfg, iso.WithLogger(log))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.State() == iso.LinkUp }, ioWait, 5*time.Millisecond)
	for _, stan := range []string{"000001", "000002", "000003"} {
		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		res, err := c.Authorize(ctx, authorization(t, "TERM0001", stan))
		cancel()
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
	}
	require.Eventually(t, func() bool {
		var echoes dto.Metric
		require.NoError(t, m.NetworkManagement.WithLabelValues(bandeira.Echo).Write(&echoes))
		return echoes.GetCounter().GetValue() >= 2
	}, ioWait, 5*time.Millisecond, "echoes ran")
	require.NoError(t, c.Close())
	<-c.Done()
	require.NoError(t, srv.Shutdown(context.Background()))
	requireGoroutinesBackTo(t, baseline)
}
