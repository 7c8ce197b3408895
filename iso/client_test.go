package iso_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"
	moovserver "github.com/moov-io/iso8583-connection/server"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// dialClient connects a Client to addr and closes it when the test ends.
func dialClient(tb testing.TB, addr string, cfg iso.ClientConfig) *iso.Client {
	tb.Helper()
	log := zeroLogFor(tb)
	c, err := iso.Dial(context.Background(), addr, cfg, log)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// authorization returns the domain form of request(terminal, stan).
func authorization(tb testing.TB, terminal, stan string) bandeira.Authorization {
	tb.Helper()
	a, err := iso.ToAuthorization(request(terminal, stan))
	require.NoError(tb, err)
	return a
}

// oneConn is the client config for a scripted peer, which serves a single connection.
func oneConn() iso.ClientConfig {
	cfg := iso.DefaultClientConfig()
	cfg.PoolSize = 1
	return cfg
}

// scriptedPeer accepts one connection on 127.0.0.1:0 and runs script on it, standing in
// for a foreign ISO 8583 host. Clients of it use a pool of one connection (oneConn): a
// second connection would wait, never accepted, in the listen queue.
func scriptedPeer(t *testing.T, script func(c *rawConn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(&rawConn{t: t, Conn: nc})
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

// peerRecv reads one request on a scripted peer without failing the test from its
// goroutine; ok is false once the client has gone.
func peerRecv(c *rawConn) (iso.Message, bool) {
	_ = c.SetReadDeadline(time.Now().Add(ioWait))
	body, err := iso.ReadFrame(c, nil, iso.MaxFrameLimit)
	if err != nil {
		return iso.Message{}, false
	}
	m, err := iso.Unpack(body)
	return m, err == nil
}

func peerSend(c *rawConn, m iso.Message) {
	body, err := iso.Pack(m)
	if err == nil {
		_ = iso.WriteFrame(c, body)
	}
}

func TestClientRoundTrip(t *testing.T) {
	h := &approver{}
	ts := startServer(t, iso.DefaultServerConfig(), h)
	c := dialClient(t, ts.addr, iso.DefaultClientConfig())

	t.Run("authorizes through a Server", func(t *testing.T) {
		res, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000777"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, "001777", res.AuthCode)
	})

	t.Run("sends a raw message and returns the raw reply", func(t *testing.T) {
		resp, err := c.Send(context.Background(), request("TERM0002", "000123"))
		require.NoError(t, err)
		require.Equal(t, "0110", resp.MTI)
		require.Equal(t, "00", resp.Get(39))
		require.Equal(t, "TERM0002", resp.Get(41))
		require.Equal(t, "000123", resp.Get(11))
	})

	t.Run("refuses a request without a STAN", func(t *testing.T) {
		m := request("TERM0001", "000001")
		delete(m.Fields, 11)
		_, err := c.Send(context.Background(), m)
		require.ErrorIs(t, err, iso.ErrNoSTAN)
	})

	t.Run("returns a packing error for a value that does not fit", func(t *testing.T) {
		m := request("TERM0001", "000001")
		m.Fields[4] = "1234567890123"
		_, err := c.Send(context.Background(), m)
		var fe *iso.FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, 4, fe.Field)
	})

	require.Equal(t, int64(2), h.calls.Load())
}

func TestClientMatchesConcurrentReplies(t *testing.T) {
	// Replies come back in a shuffled order; 8 terminals share the same 8 STANs.
	ts := startServer(t, iso.DefaultServerConfig(), bandeira.AuthorizerFunc(
		func(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
			time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond)
			return bandeira.Result{Code: bandeira.Approved, AuthCode: authCodeFor(a.TerminalID, a.STAN)}, nil
		}))
	c := dialClient(t, ts.addr, iso.DefaultClientConfig())

	var wg sync.WaitGroup
	var mismatches atomic.Int64
	for round := range 4 {
		for term := range 8 {
			for stan := range 8 {
				terminal := fmt.Sprintf("TERM%04d", term+1)
				s := fmt.Sprintf("%06d", stan+1)
				wg.Go(func() {
					if round%2 == 0 {
						res, err := c.Authorize(context.Background(), authorization(t, terminal, s))
						if err != nil || res.AuthCode != authCodeFor(terminal, s) {
							mismatches.Add(1)
						}
						return
					}
					resp, err := c.Send(context.Background(), request(terminal, s))
					if err != nil || resp.Get(41) != terminal || resp.Get(11) != s ||
						resp.Get(38) != authCodeFor(terminal, s) {
						mismatches.Add(1)
					}
				})
			}
		}
		wg.Wait()
	}
	require.Zero(t, mismatches.Load())
	require.Zero(t, c.Unmatched())
}

func TestClientRefusesADuplicateInFlight(t *testing.T) {
	b := newBlocker()
	ts := startServer(t, iso.DefaultServerConfig(), b)
	c := dialClient(t, ts.addr, iso.DefaultClientConfig())

	results := make(chan error, 2)
	send := func(terminal string) {
		_, err := c.Send(context.Background(), request(terminal, "000001"))
		results <- err
	}
	go send("TERM0001")
	require.Equal(t, "000001", <-b.entered)

	_, err := c.Send(context.Background(), request("TERM0001", "000001"))
	require.ErrorIs(t, err, iso.ErrDuplicateRequest)

	go send("TERM0002") // same STAN, other terminal: not a duplicate
	require.Equal(t, "000001", <-b.entered)
	close(b.release)
	require.NoError(t, <-results)
	require.NoError(t, <-results)
}

func TestClientTimeouts(t *testing.T) {
	t.Run("maps the send timeout to 91 and counts the late reply", func(t *testing.T) {
		b := newBlocker()
		ts := startServer(t, iso.DefaultServerConfig(), b)
		cfg := iso.DefaultClientConfig()
		cfg.SendTimeout = 50 * time.Millisecond
		c := dialClient(t, ts.addr, cfg)

		_, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.ErrorIs(t, err, iso.ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))

		close(b.release)
		require.Eventually(t, func() bool { return c.Unmatched() == 1 }, ioWait, 5*time.Millisecond)
		res, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.NoError(t, err, "the key is free again once the library gave up on it")
		require.Equal(t, bandeira.Approved, res.Code)
	})

	t.Run("honours a context deadline shorter than the send timeout", func(t *testing.T) {
		b := newBlocker()
		ts := startServer(t, iso.DefaultServerConfig(), b)
		c := dialClient(t, ts.addr, iso.DefaultClientConfig())
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Authorize(ctx, authorization(t, "TERM0001", "000001"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		close(b.release)
	})

	t.Run("returns when the context is cancelled", func(t *testing.T) {
		b := newBlocker()
		ts := startServer(t, iso.DefaultServerConfig(), b)
		c := dialClient(t, ts.addr, iso.DefaultClientConfig())
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-b.entered
			cancel()
		}()
		_, err := c.Send(ctx, request("TERM0001", "000001"))
		require.ErrorIs(t, err, context.Canceled)
		close(b.release)
	})

	t.Run("does not send when the context has already ended", func(t *testing.T) {
		h := &approver{}
		ts := startServer(t, iso.DefaultServerConfig(), h)
		c := dialClient(t, ts.addr, iso.DefaultClientConfig())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, request("TERM0001", "000001"))
		require.ErrorIs(t, err, context.Canceled)
		require.Zero(t, h.calls.Load())
	})
}

func TestClientLinkFailures(t *testing.T) {
	t.Run("maps a dial failure to 91", func(t *testing.T) {
		_, err := iso.Dial(context.Background(), closedAddr(t), iso.DefaultClientConfig(), zeroLogFor(t))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
		require.ErrorIs(t, err, bandeira.ErrIssuerUnavailable)
		require.ErrorContains(t, err, "connection refused", "the cause is kept")
	})

	t.Run("fails requests in flight when the host closes the link", func(t *testing.T) {
		addr := scriptedPeer(t, func(c *rawConn) { peerRecv(c) })
		c := dialClient(t, addr, oneConn())
		_, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
	})

	t.Run("closes the link on a reply frame above the maximum", func(t *testing.T) {
		addr := scriptedPeer(t, func(c *rawConn) {
			if _, ok := peerRecv(c); ok {
				_, _ = c.Write([]byte{0x7f, 0xff})
				peerRecv(c)
			}
		})
		c := dialClient(t, addr, oneConn())
		_, err := c.Send(context.Background(), request("TERM0001", "000001"))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
	})

	t.Run("is closed by Close, idempotently", func(t *testing.T) {
		ts := startServer(t, iso.DefaultServerConfig(), &approver{})
		c := dialClient(t, ts.addr, iso.DefaultClientConfig())
		require.NoError(t, c.Close())
		require.NoError(t, c.Close())
		_, err := c.Send(context.Background(), request("TERM0001", "000001"))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
	})
}

func TestClientAgainstAForeignHost(t *testing.T) {
	t.Run("matches replies sent in reverse order", func(t *testing.T) {
		addr := scriptedPeer(t, func(c *rawConn) {
			a, ok1 := peerRecv(c)
			b, ok2 := peerRecv(c)
			if !ok1 || !ok2 {
				return
			}
			for _, req := range []iso.Message{b, a} {
				peerSend(c, iso.Respond(req, bandeira.Result{Code: bandeira.Approved,
					AuthCode: authCodeFor(req.Get(41), req.Get(11))}))
			}
			peerRecv(c)
		})
		c := dialClient(t, addr, oneConn())
		var wg sync.WaitGroup
		for _, term := range []string{"TERM0001", "TERM0002"} {
			wg.Go(func() {
				res, err := c.Authorize(context.Background(), authorization(t, term, "000001"))
				if err != nil || res.AuthCode != authCodeFor(term, "000001") {
					t.Errorf("terminal %s: got %+v, %v", term, res, err)
				}
			})
		}
		wg.Wait()
	})

	t.Run("rejects a reply whose MTI does not answer the request", func(t *testing.T) {
		addr := scriptedPeer(t, func(c *rawConn) {
			if req, ok := peerRecv(c); ok {
				resp := iso.Respond(req, bandeira.Result{Code: bandeira.Approved})
				resp.MTI = "0130"
				peerSend(c, resp)
				peerRecv(c)
			}
		})
		c := dialClient(t, addr, oneConn())
		_, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.ErrorContains(t, err, "unexpected MTI 0130")
		require.Equal(t, bandeira.SystemMalfunction, bandeira.CodeForError(err))
	})

	t.Run("answers the host's echo and drops stray replies", func(t *testing.T) {
		echoed := make(chan iso.Message, 1)
		addr := scriptedPeer(t, func(c *rawConn) {
			peerSend(c, iso.Message{MTI: "0110", Fields: map[int]string{11: "424242", 39: "00"}})
			peerSend(c, iso.Message{MTI: "0800", Fields: map[int]string{7: "1126201500", 11: "000900", 70: "301"}})
			if m, ok := peerRecv(c); ok {
				echoed <- m
			}
			peerRecv(c)
		})
		c := dialClient(t, addr, oneConn())
		m := <-echoed
		require.Equal(t, "0810", m.MTI)
		require.Equal(t, "00", m.Get(39))
		require.Equal(t, "301", m.Get(70))
		require.Equal(t, "000900", m.Get(11))
		require.Equal(t, int64(1), c.Unmatched())
	})
}

func TestClientConfig(t *testing.T) {
	require.NoError(t, iso.DefaultClientConfig().Validate())
	cases := []struct {
		name   string
		change func(*iso.ClientConfig)
		want   string
	}{
		{"rejects a negative connect timeout", func(c *iso.ClientConfig) { c.ConnectTimeout = -time.Second }, "connect_timeout"},
		{"rejects a negative send timeout", func(c *iso.ClientConfig) { c.SendTimeout = -time.Second }, "send_timeout"},
		{"rejects a tiny frame size", func(c *iso.ClientConfig) { c.MaxFrameSize = 1 }, "max_frame_size"},
		{"rejects a negative pool size", func(c *iso.ClientConfig) { c.PoolSize = -1 }, "pool_size"},
		{"rejects a pool above the maximum", func(c *iso.ClientConfig) { c.PoolSize = iso.MaxPoolSize + 1 }, "pool_size"},
		{"rejects a negative reconnect wait", func(c *iso.ClientConfig) { c.ReconnectMin = -time.Second }, "reconnect_min"},
		{"rejects a minimum wait above the maximum", func(c *iso.ClientConfig) { c.ReconnectMin = time.Minute }, "reconnect_min"},
		{"rejects a negative echo interval", func(c *iso.ClientConfig) { c.EchoInterval = -time.Second }, "echo_interval"},
		{"rejects a certificate without its key", func(c *iso.ClientConfig) { c.TLS.CertFile = "client.pem" }, "key_file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := iso.DefaultClientConfig()
			tc.change(&cfg)
			require.ErrorContains(t, cfg.Validate(), tc.want)
			_, err := iso.NewClient("127.0.0.1:1", cfg)
			require.ErrorContains(t, err, tc.want, "NewClient refuses it too")
		})
	}

	t.Run("accepts zero fields as their defaults", func(t *testing.T) {
		require.NoError(t, iso.ClientConfig{SignOn: true}.Validate())
	})
	t.Run("refuses an address without a port", func(t *testing.T) {
		_, err := iso.NewClient("127.0.0.1", iso.ClientConfig{})
		require.ErrorContains(t, err, "missing port")
	})
	t.Run("does not fail on an unreachable peer", func(t *testing.T) {
		c, err := iso.NewClient(closedAddr(t), iso.ClientConfig{})
		require.NoError(t, err)
		require.Equal(t, iso.LinkDown, c.State())
		require.NoError(t, c.Close())
	})
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// stanCounter hands out STANs that are unique among the requests in flight.
var stanCounter atomic.Int64

func nextSTAN() string { return fmt.Sprintf("%06d", stanCounter.Add(1)%1_000_000) }

// BenchmarkRoundTrip measures a Client → Server round trip of a 0100 with an approving
// handler, about 64 requests in flight, over a link of one and of two connections.
func BenchmarkRoundTrip(b *testing.B) {
	for _, pool := range []int{1, 2} {
		b.Run(fmt.Sprintf("pool=%d", pool), func(b *testing.B) {
			b.ReportAllocs()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(b, err)
			srv := iso.NewServer(iso.DefaultServerConfig(), bandeira.AuthorizerFunc(
				func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
					return bandeira.Result{Code: bandeira.Approved, AuthCode: "123456"}, nil
				}), zeroLogFor(b), nil)
			go func() { _ = srv.Serve(ln) }()
			cfg := iso.DefaultClientConfig()
			cfg.PoolSize = pool
			c := dialClient(b, ln.Addr().String(), cfg)
			defer func() {
				_ = c.Close()
				_ = srv.Shutdown(context.Background())
			}()
			require.Eventually(b, func() bool { return c.State() == iso.LinkUp }, ioWait, time.Millisecond)
			benchmarkAuthorize(b, c)
		})
	}
}

// benchmarkAuthorize runs approved authorizations through c from 64 goroutines.
func benchmarkAuthorize(b *testing.B, c *iso.Client) {
	base := authorization(b, "TERM0001", "000001")
	b.SetParallelism(32) // 64 goroutines on 2 CPUs
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		a := base
		for pb.Next() {
			a.STAN = nextSTAN()
			res, err := c.Authorize(context.Background(), a)
			if err != nil || res.Code != bandeira.Approved {
				b.Errorf("round trip: %v %v", res.Code, err)
				return
			}
		}
	})
}

// BenchmarkLibraryEcho is the baseline: the same 0100 through iso8583-connection's own
// client (STAN matching, two-write framing, moov pack and unpack) against an echo server
// built from the library's server package.
func BenchmarkLibraryEcho(b *testing.B) {
	b.ReportAllocs()
	echo := func(c *connection.Connection, m *iso8583.Message) {
		mti, _ := m.GetMTI()
		m.MTI(string(bandeira.MTI(mti).Response()))
		_ = m.Field(39, "00")
		_ = m.Field(38, "123456")
		_ = c.Reply(m)
	}
	srv := moovserver.New(iso.Spec, libReadLength, libWriteLength, connection.InboundMessageHandler(echo))
	require.NoError(b, srv.Start("127.0.0.1:0"))
	defer srv.Close()
	conn, err := connection.New(srv.Addr, iso.Spec, libReadLength, libWriteLength,
		connection.SendTimeout(10*time.Second))
	require.NoError(b, err)
	require.NoError(b, conn.Connect())
	defer conn.Close()
	base := request("TERM0001", "000001")

	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m := base.Clone()
			m.Fields[11] = nextSTAN()
			msg, err := iso.ToISO8583(m)
			if err != nil {
				b.Error(err)
				return
			}
			resp, err := conn.Send(msg)
			if err != nil {
				b.Errorf("round trip: %v", err)
				return
			}
			if code, _ := resp.GetString(39); code != "00" {
				b.Errorf("round trip: code %q", code)
				return
			}
		}
	})
}

func libReadLength(r io.Reader) (int, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, err
	}
	return int(h[0])<<8 | int(h[1]), nil
}

func libWriteLength(w io.Writer, n int) (int, error) {
	return w.Write([]byte{byte(n >> 8), byte(n)})
}

func TestClientLeavesNoGoroutines(t *testing.T) {
	baseline := runtime.NumGoroutine()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	log, _ := testLog(t)
	srv := iso.NewServer(iso.DefaultServerConfig(), &approver{}, log, nil)
	go func() { _ = srv.Serve(ln) }()

	c, err := iso.Dial(context.Background(), ln.Addr().String(), iso.DefaultClientConfig(), log)
	require.NoError(t, err)
	for i := range 10 {
		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		res, err := c.Authorize(ctx, authorization(t, "TERM0001", fmt.Sprintf("%06d", i)))
		cancel()
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
	}
	require.NoError(t, c.Close())
	<-c.Done()
	require.NoError(t, srv.Shutdown(context.Background()))
	requireGoroutinesBackTo(t, baseline)
}
