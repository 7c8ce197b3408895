package iso_test

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// failingListener hands out connections whose writes fail once failWrites is set, as a
// connection whose peer has gone does.
type failingListener struct {
	net.Listener
	failWrites atomic.Bool
}

func (l *failingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &failingConn{Conn: nc, l: l}, nil
}

type failingConn struct {
	net.Conn
	l *failingListener
}

func (c *failingConn) Write(b []byte) (int, error) {
	if c.l.failWrites.Load() {
		return 0, errors.New("connection reset by the test")
	}
	return c.Conn.Write(b)
}

// undelivered is one call of the Server's undelivered hook.
type undelivered struct {
	req iso.Message
	res bandeira.Result
}

func TestServerReportsUndeliveredAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	fl := &failingListener{Listener: ln}
	calls := make(chan undelivered, 4)
	h := bandeira.AuthorizerFunc(func(_ context.Context, a bandeira.Authorization) (bandeira.Result, error) {
		if a.STAN == "000002" {
			fl.failWrites.Store(true) // the client goes away while its request is decided
		}
		return bandeira.Result{Code: bandeira.Approved, AuthCode: "A" + a.STAN[1:]}, nil
	})
	log, _ := testLog(t)
	srv := iso.NewServer(iso.DefaultServerConfig(), h, log, iso.NewServerMetrics(prometheus.NewRegistry()),
		iso.WithUndelivered(func(req iso.Message, res bandeira.Result) { calls <- undelivered{req, res} }))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(fl) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioWait)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		require.ErrorIs(t, <-served, iso.ErrServerClosed)
	})
	c := dialRaw(t, ln.Addr().String())

	t.Run("a delivered answer is not reported", func(t *testing.T) {
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "00", c.recv().Get(39))
		require.Empty(t, calls)
	})
	t.Run("an answer that could not be written is reported with the request and the decision", func(t *testing.T) {
		c.send(request("TERM0001", "000002"))
		got := receiveWithin(t, calls)
		require.Equal(t, "0100", got.req.MTI)
		require.Equal(t, "000002", got.req.Get(11))
		require.Equal(t, bandeira.Result{Code: bandeira.Approved, AuthCode: "A00002"}, got.res)
		c.expectClosed()
	})
}

// receiveWithin returns the next value of ch, failing the test if none comes within ioWait.
func receiveWithin[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ioWait)
	defer cancel()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatal("nothing received")
		var zero T
		return zero
	}
}
