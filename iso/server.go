package iso

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// ServerConfig holds the limits and timers of a Server. Zero fields take their default.
type ServerConfig struct {
	// MaxFrameSize is the largest request body accepted, in bytes; a larger length header
	// closes the connection.
	MaxFrameSize int `yaml:"max_frame_size"`
	// MaxConnections caps open connections; connections above it are closed at once.
	MaxConnections int `yaml:"max_connections"`
	// MaxConnectionsPerIP caps the open connections of one remote address; more are
	// closed at once. It keeps one client from taking every connection.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip"`
	// MaxInFlightPerConn caps requests being decided for one connection; at the cap the
	// connection is not read until one is answered (back-pressure on the client's socket).
	MaxInFlightPerConn int `yaml:"max_in_flight_per_conn"`
	// MaxInFlightPerIP caps requests being decided for one remote address, across its
	// connections, with the same back-pressure.
	MaxInFlightPerIP int `yaml:"max_in_flight_per_ip"`
	// MaxInFlight caps requests being decided across all connections; above it a request
	// is answered 91 at once.
	MaxInFlight int `yaml:"max_in_flight"`
	// ReadIdleTimeout closes a connection on which no frame starts for this long.
	ReadIdleTimeout time.Duration `yaml:"read_idle_timeout"`
	// FrameTimeout closes a connection whose started frame is not complete in this time.
	FrameTimeout time.Duration `yaml:"frame_timeout"`
	// RequestTimeout bounds the context passed to the Authorizer for each request.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// WriteTimeout bounds the write of one response frame.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// RequireSignOn answers 91 to every request other than network management on a
	// connection that has not signed on (0800/001), or has signed off, without asking the
	// Authorizer. Servers between nodes set it; the acquirer's front door, which serves
	// integrators who never sign on, leaves it off (the default).
	RequireSignOn bool `yaml:"require_sign_on"`
	// TLS, when its CertFile is set, makes Serve accept TLS only (mutual TLS with CAFile).
	// The handshake must finish within FrameTimeout.
	TLS TLSConfig `yaml:"tls"`
}

// DefaultServerConfig returns the production defaults.
func DefaultServerConfig() ServerConfig {
	return ServerConfig{
		MaxFrameSize:        DefaultMaxFrameSize,
		MaxConnections:      2000,
		MaxConnectionsPerIP: 256,
		MaxInFlightPerConn:  256,
		MaxInFlightPerIP:    1024,
		MaxInFlight:         4096,
		ReadIdleTimeout:     75 * time.Second,
		FrameTimeout:        5 * time.Second,
		RequestTimeout:      20 * time.Second,
		WriteTimeout:        5 * time.Second,
	}
}

// Validate reports the first setting that is out of range.
func (c ServerConfig) Validate() error {
	switch {
	case c.MaxFrameSize < 64 || c.MaxFrameSize > MaxFrameLimit:
		return fmt.Errorf("max_frame_size %d: must be between 64 and %d", c.MaxFrameSize, MaxFrameLimit)
	case c.MaxConnections < 1:
		return fmt.Errorf("max_connections %d: must be at least 1", c.MaxConnections)
	case c.MaxConnectionsPerIP < 1 || c.MaxConnectionsPerIP > c.MaxConnections:
		return fmt.Errorf("max_connections_per_ip %d: must be between 1 and max_connections (%d)", c.MaxConnectionsPerIP, c.MaxConnections)
	case c.MaxInFlightPerConn < 1:
		return fmt.Errorf("max_in_flight_per_conn %d: must be at least 1", c.MaxInFlightPerConn)
	case c.MaxInFlightPerIP < 1 || c.MaxInFlightPerIP > c.MaxInFlight:
		return fmt.Errorf("max_in_flight_per_ip %d: must be between 1 and max_in_flight (%d)", c.MaxInFlightPerIP, c.MaxInFlight)
	case c.MaxInFlight < 1:
		return fmt.Errorf("max_in_flight %d: must be at least 1", c.MaxInFlight)
	case c.ReadIdleTimeout <= 0:
		return fmt.Errorf("read_idle_timeout %s: must be positive", c.ReadIdleTimeout)
	case c.FrameTimeout <= 0:
		return fmt.Errorf("frame_timeout %s: must be positive", c.FrameTimeout)
	case c.RequestTimeout <= 0:
		return fmt.Errorf("request_timeout %s: must be positive", c.RequestTimeout)
	case c.WriteTimeout <= 0:
		return fmt.Errorf("write_timeout %s: must be positive", c.WriteTimeout)
	case c.TLS.Enabled() && c.TLS.CertFile == "":
		return errors.New("tls: a server needs cert_file and key_file")
	}
	return c.TLS.Validate()
}

// withDefaults replaces zero or negative fields by their defaults, so that a Server built
// from an unvalidated config still has a limit on everything.
func (c ServerConfig) withDefaults() ServerConfig {
	d := DefaultServerConfig()
	if c.MaxFrameSize <= 0 || c.MaxFrameSize > MaxFrameLimit {
		c.MaxFrameSize = d.MaxFrameSize
	}
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&c.MaxConnections, d.MaxConnections)
	pick(&c.MaxInFlightPerConn, d.MaxInFlightPerConn)
	pick(&c.MaxInFlight, d.MaxInFlight)
	pick(&c.MaxConnectionsPerIP, min(d.MaxConnectionsPerIP, c.MaxConnections))
	pick(&c.MaxInFlightPerIP, min(d.MaxInFlightPerIP, c.MaxInFlight))
	pickDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pickDur(&c.ReadIdleTimeout, d.ReadIdleTimeout)
	pickDur(&c.FrameTimeout, d.FrameTimeout)
	pickDur(&c.RequestTimeout, d.RequestTimeout)
	pickDur(&c.WriteTimeout, d.WriteTimeout)
	return c
}

// ErrServerClosed is returned by Serve after Shutdown has been called.
var ErrServerClosed = errors.New("iso: server closed")

// Server accepts ISO 8583 connections in our dialect and answers each request with the
// decision of an Authorizer. Malformed input never reaches the Authorizer: it is answered
// with 39=30 when its MTI is a readable request, and otherwise closes the connection.
// Network management (class 8) never reaches it either: the Server answers sign-on,
// sign-off and echo itself and keeps each connection's sign-on state (see RequireSignOn
// and docs/spec.md, "Network management").
//
// A Server is safe for concurrent use. Serve may be called with several listeners; after
// Shutdown, Serve returns ErrServerClosed.
type Server struct {
	cfg         ServerConfig
	h           bandeira.Authorizer
	log         zerolog.Logger
	m           *ServerMetrics
	undelivered func(req Message, res bandeira.Result)

	baseCtx  context.Context
	cancel   context.CancelFunc
	inFlight atomic.Int64
	closing  atomic.Bool
	done     chan struct{}
	stans    stanSequence // of the sign-offs Shutdown sends
	// workerIdle is how long a request goroutine waits for its connection's next request.
	workerIdle time.Duration

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	peers     map[string]*peer
	connWG    sync.WaitGroup
}

// ServerOption configures a Server beyond NewServer's arguments.
type ServerOption func(*Server)

// WithUndelivered has the Server call f, on the request's goroutine, for every decision of
// the Authorizer whose response could not be written as decided: the connection was
// closed or broken, or the write failed or timed out. req is the request as it came and
// res the decision. The client never saw the answer, so a party that moved money for it
// can undo it (the acquirer reverses it). f must not block for long: the connection's
// request slot is held until it returns.
func WithUndelivered(f func(req Message, res bandeira.Result)) ServerOption {
	return func(s *Server) { s.undelivered = f }
}

// NewServer returns a Server that asks h to decide each well-formed request. Zero config
// fields take their defaults; a nil m gets unregistered metrics. Options apply last.
func NewServer(cfg ServerConfig, h bandeira.Authorizer, log zerolog.Logger, m *ServerMetrics, opts ...ServerOption) *Server {
	if m == nil {
		m = NewServerMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg.withDefaults(),
		h:          h,
		log:        log.With().Str("component", "iso_server").Logger(),
		m:          m,
		baseCtx:    ctx,
		cancel:     cancel,
		done:       make(chan struct{}),
		listeners:  make(map[net.Listener]struct{}),
		conns:      make(map[*serverConn]struct{}),
		peers:      make(map[string]*peer),
		workerIdle: defaultWorkerIdle,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Serve accepts connections on ln until Shutdown, then returns ErrServerClosed. It closes
// ln when it returns. Accept errors (EMFILE, ECONNABORTED…) are retried with a back-off
// of 5 ms doubling to 1 s, as net/http does; if ln is closed by someone else, Serve
// returns an error wrapping net.ErrClosed. When the config enables TLS, Serve loads the
// certificates first (an error there returns at once) and serves TLS only: each
// connection's handshake must finish within FrameTimeout or the connection is closed.
func (s *Server) Serve(ln net.Listener) error {
	defer ln.Close()
	tlsCfg, err := s.cfg.TLS.ServerConfig()
	if err != nil {
		return fmt.Errorf("loading TLS configuration: %w", err)
	}
	if !s.trackListener(ln) {
		return ErrServerClosed
	}
	defer s.untrackListener(ln)
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	}
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("accepting connections: %w", err)
			}
			delay = nextBackoff(delay)
			s.log.Warn().Err(err).Float64("retry_in_ms", float64(delay)/float64(time.Millisecond)).Msg("accept failed")
			if !s.sleep(delay) {
				return ErrServerClosed
			}
			continue
		}
		delay = 0
		s.startConn(nc)
	}
}

// nextBackoff doubles the accept retry delay from 5 ms up to 1 s.
func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return 5 * time.Millisecond
	}
	return min(2*d, time.Second)
}

// sleep waits for d and reports false if Shutdown started first.
func (s *Server) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	}
}

// Shutdown stops accepting connections, signs off every connection that signed on (an
// 0800 with field 70 = 002, so the peer stops sending at once instead of waiting for its
// timer), stops reading new requests, waits for the requests in flight to be answered,
// then closes every connection. If ctx ends first, it cancels the requests' contexts,
// closes the connections at once and returns an error wrapping ctx.Err(). It is
// idempotent: later calls wait for the same drain.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closing.Swap(true)
	if first {
		close(s.done)
	}
	for ln := range s.listeners {
		_ = ln.Close()
	}
	conns := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if first {
			c.signOff(&s.stans)
		}
		c.stopReading()
	}

	drained := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(drained)
	}()
	select {
	case <-drained:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		s.mu.Lock()
		for c := range s.conns {
			_ = c.nc.Close()
		}
		s.mu.Unlock()
		return fmt.Errorf("draining connections: %w", ctx.Err())
	}
}

// trackListener records ln so Shutdown can close it; false means the Server is closed.
func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
}

// startConn starts serving nc, or closes it at once when the Server is closing or at its
// connection limit.
func (s *Server) startConn(nc net.Conn) {
	s.mu.Lock()
	if s.closing.Load() {
		s.mu.Unlock()
		_ = nc.Close()
		return
	}
	if len(s.conns) >= s.cfg.MaxConnections {
		s.mu.Unlock()
		s.m.reject(ReasonConnectionLimit)
		s.log.Warn().Str("reason", ReasonConnectionLimit).Msg("connection rejected")
		_ = nc.Close()
		return
	}
	key := peerKey(nc)
	p, ok := s.addPeerConn(key)
	if !ok {
		s.mu.Unlock()
		s.m.reject(ReasonIPConnectionLimit)
		s.log.Warn().Str("reason", ReasonIPConnectionLimit).Str("remote", key).Msg("connection rejected")
		_ = nc.Close()
		return
	}
	c := newServerConn(s, nc, p)
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	s.mu.Unlock()
	s.m.Connections.Inc()
	go c.serve()
}

// connDone forgets c once its goroutine has finished.
func (s *Server) connDone(c *serverConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.dropPeerConn(peerKey(c.nc), c.peer)
	s.mu.Unlock()
	if c.signedOn.Swap(false) {
		s.m.SignedOn.Dec()
	}
	s.m.Connections.Dec()
	s.connWG.Done()
}

// acquire takes one global in-flight slot, reporting false when none is free.
func (s *Server) acquire() bool {
	if s.inFlight.Add(1) > int64(s.cfg.MaxInFlight) {
		s.inFlight.Add(-1)
		return false
	}
	s.m.InFlight.Inc()
	return true
}

// release returns a slot taken by acquire.
func (s *Server) release() {
	s.inFlight.Add(-1)
	s.m.InFlight.Dec()
}
