package iso

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	connection "github.com/moov-io/iso8583-connection"

	"github.com/bandeira/bandeira"
)

// runSlot keeps one connection of the pool open until Close: it connects, makes the
// connection live, waits for it to close, and connects again after a jittered back-off.
// The back-off starts again from ReconnectMin only after a connection that stayed live for
// ReconnectMax, so a peer that accepts and drops at once is not redialed in a tight loop.
// Connection failures are logged at debug level; the pool logs the link state.
func (c *Client) runSlot() {
	defer c.slots.Done()
	b := backoff{min: c.cfg.ReconnectMin, max: c.cfg.ReconnectMax}
	first, established := true, false
	for {
		conn, err := c.connect()
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			c.log.Debug().Err(err).Msg("connecting failed")
			c.pool.failed(err, first)
			first = false
			if !c.sleep(b.next()) {
				return
			}
			continue
		}
		first = false
		if established {
			c.m.reconnects.Inc()
		}
		established = true
		if !c.live(conn, &b) || !c.sleep(b.next()) {
			return
		}
	}
}

// live keeps conn in the pool until it fails or closes, and reports false when Close came
// first (Close then takes the live connections).
func (c *Client) live(conn *pooledConn, b *backoff) bool {
	if !c.pool.add(conn) {
		conn.drop()
		return false
	}
	since := time.Now()
	select {
	case <-conn.failed:
	case <-conn.Done():
	case <-c.ctx.Done():
		return false
	}
	c.pool.remove(conn)
	if time.Since(since) >= b.max {
		b.reset()
	}
	return true
}

// pooledConn is a connection of the pool with what the library does not tell: failed is
// closed as soon as the library reports the connection failed, or we give it up, which
// can be up to a send timeout before Done (the library's close waits for every Send that
// was already queued).
//
// We never fail a connection with the library's TriggerFailure: it hands the error to the
// requests in flight while holding the lock that a request whose send timeout fires at
// that moment needs, and both then wait for ever. drop closes gracefully instead.
type pooledConn struct {
	*connection.Connection
	failed  chan struct{}
	once    sync.Once
	echoing atomic.Bool
}

// fail marks the connection failed; it is the library's connection-failed handler.
func (p *pooledConn) fail(*connection.Connection, error) { p.once.Do(func() { close(p.failed) }) }

// drop gives the connection up: it leaves the pool at once (failed), and closes once its
// requests in flight have been answered or timed out, in the background.
func (p *pooledConn) drop() {
	p.fail(nil, nil)
	go func() { _ = p.Close() }()
}

// connect dials the peer within the connect timeout, completes the TLS handshake when TLS
// is on, and signs on when SignOn is set. Close aborts it.
func (c *Client) connect() (*pooledConn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.ConnectTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("connecting: %w", err)
	}
	if c.tls != nil {
		tc := tls.Client(nc, c.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("completing the TLS handshake: %w", err)
		}
		nc = tc
	}
	conn, err := c.newConnection(nc)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	if c.cfg.SignOn {
		if err := c.signOn(conn); err != nil {
			conn.drop()
			return nil, fmt.Errorf("signing on: %w", err)
		}
	}
	return conn, nil
}

// newConnection runs the library's connection over nc with our carrier spec, one-write
// frame writer, frame reader and matching key, and the echo as its ping.
func (c *Client) newConnection(nc net.Conn) (*pooledConn, error) {
	p := &pooledConn{failed: make(chan struct{})}
	// The length reader and writer are nil: frameReader and frameWriter replace them.
	conn, err := connection.NewFrom(nc, carrierSpec, nil, nil,
		connection.SendTimeout(c.cfg.SendTimeout),
		connection.IdleTime(c.cfg.EchoInterval),
		connection.PingHandler(func(conn *connection.Connection) { c.echo(conn, p) }),
		connection.WithConnectionFailedHandler(p.fail),
		connection.SetRequestIDGenerator(carrierKey{}),
		connection.SetMessageReader(&frameReader{c: c}),
		connection.SetMessageWriter(frameWriter{timeout: c.cfg.SendTimeout}),
		connection.InboundMessageHandler(c.inbound),
		connection.ErrorHandler(c.connError),
	)
	if err != nil {
		return nil, fmt.Errorf("creating connection: %w", err)
	}
	p.Connection = conn
	return p, nil
}

// signOn sends 0800/001 on conn and requires 0810 with 39 = 00.
func (c *Client) signOn(conn *pooledConn) error {
	resp, err := c.exchange(c.ctx, conn.Connection, conn.failed, networkRequest(bandeira.SignOn, &c.stans, time.Now()))
	if err != nil {
		return err
	}
	if code := resp.Get(39); resp.MTI != "0810" || code != string(bandeira.Approved) {
		return fmt.Errorf("peer answered %s with response code %q", resp.MTI, code)
	}
	c.signedOnAgain()
	return nil
}

// echo is the library's ping, called when conn has sent nothing for EchoInterval: it
// sends 0800/301 and closes conn (which then reconnects) unless 0810 with 00 comes back
// within the send timeout. One echo at a time runs per connection. It uses the library's
// conn argument, not p.Connection, which is set after the library has started.
func (c *Client) echo(conn *connection.Connection, p *pooledConn) {
	if !p.echoing.CompareAndSwap(false, true) {
		return
	}
	defer p.echoing.Store(false)
	resp, err := c.exchange(context.Background(), conn, p.failed, networkRequest(bandeira.Echo, &c.stans, time.Now()))
	if err == nil && resp.Get(39) != string(bandeira.Approved) {
		err = fmt.Errorf("peer answered the echo with response code %q", resp.Get(39))
	}
	if err == nil || c.ctx.Err() != nil {
		return
	}
	c.log.Info().Err(err).Msg("echo failed; closing connection")
	p.drop()
}

// sleep waits d and reports false if Close started first.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}

// backoff is the reconnect wait: a step that starts at min and doubles up to max, of
// which each wait takes a random share between half and all (jitter), so links that
// dropped together do not all reconnect in the same instant.
type backoff struct {
	min, max, step time.Duration
}

func (b *backoff) next() time.Duration {
	if b.step == 0 {
		b.step = b.min
	} else {
		b.step = min(2*b.step, b.max)
	}
	half := b.step / 2
	return half + rand.N(b.step-half+1)
}

func (b *backoff) reset() { b.step = 0 }
