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

// Errors returned by Client.Send and Client.Authorize. bandeira.CodeForError maps
// ErrTimeout and ErrConnectionClosed to 91 and the others to 96.
var (
	// ErrTimeout means no reply arrived within the send timeout; it wraps
	// context.DeadlineExceeded.
	ErrTimeout = fmt.Errorf("iso: send timeout: %w", context.DeadlineExceeded)
	// ErrConnectionClosed means no connection of the link is up, the connection carrying
	// the request was lost, or the Client was closed; it wraps
	// bandeira.ErrIssuerUnavailable.
	ErrConnectionClosed = fmt.Errorf("iso: connection closed: %w", bandeira.ErrIssuerUnavailable)
	// ErrDuplicateRequest means a request with the same matching key (MTI class,
	// terminal, STAN, transmission time) is already waiting for its reply on this
	// Client. It is refused locally, so no reply is ever given to the wrong caller.
	ErrDuplicateRequest = errors.New("iso: duplicate request in flight")
	// ErrNoSTAN means a request has no field 11, so its reply could not be matched.
	ErrNoSTAN = errors.New("iso: request has no STAN")
	// ErrSignedOff means the peer signed off the link (it sent 0800 with field 70 = 002)
	// and has not signed on since: requests fail at once, like a link that is down, until
	// a connection signs on again. It wraps bandeira.ErrSignedOff and ErrConnectionClosed.
	ErrSignedOff error = signedOffError{}
)

// signedOffError is ErrSignedOff: a link down because its peer said so.
type signedOffError struct{}

func (signedOffError) Error() string   { return "iso: peer signed off" }
func (signedOffError) Unwrap() []error { return []error{bandeira.ErrSignedOff, ErrConnectionClosed} }

// ClientOption configures a Client beyond its ClientConfig.
type ClientOption func(*clientOptions)

type clientOptions struct {
	log     zerolog.Logger
	metrics *LinkMetrics
	name    string
}

// WithLogger sets the Client's logger (default: none). Its lines carry component=iso_client
// and the link name.
func WithLogger(log zerolog.Logger) ClientOption {
	return func(o *clientOptions) { o.log = log }
}

// WithLinkMetrics makes the Client report into m (default: unregistered metrics).
func WithLinkMetrics(m *LinkMetrics) ClientOption {
	return func(o *clientOptions) { o.metrics = m }
}

// WithLinkName names the link, such as "network:visa": the link label of its metrics and
// the link field of its log lines. The default is the dialed address.
func WithLinkName(name string) ClientOption {
	return func(o *clientOptions) { o.name = name }
}

// Client is one ISO 8583 link: an Authorizer that sends requests in our dialect over a
// small pool of TCP (or TLS) connections to one address and waits for the matching reply.
//
// Each of the PoolSize connections is kept open in the background: it is dialed, signed on
// when SignOn is set (0800/001 answered 00 before it carries traffic), echoed (0800/301)
// after EchoInterval without sending, closed when an echo fails, and dialed again after a
// jittered exponential back-off, forever until Close. Requests are spread round-robin over
// the live connections; with none live they fail at once with ErrConnectionClosed (91 at
// the edge) rather than wait. The link's state (State) is logged once per change.
//
// Replies are matched by MTI class, terminal (41), STAN (11) and transmission time (7),
// never by STAN alone; a second request with the key of one in flight is refused
// (ErrDuplicateRequest); replies that match nothing are counted (Unmatched) and dropped.
// A Client is safe for concurrent use. After Close every call returns ErrConnectionClosed.
type Client struct {
	addr string
	name string
	cfg  ClientConfig
	tls  *tls.Config
	log  zerolog.Logger
	m    linkSeries

	errDown   error       // returned when no connection is live
	errClosed error       // returned after Close
	errOff    error       // returned while the peer has signed off
	signedOff atomic.Bool // the peer signed off and no connection signed on since
	stans     stanSequence

	ctx       context.Context // cancelled by Close: stops the pool slots
	cancel    context.CancelFunc
	slots     sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once

	sendMu sync.RWMutex   // orders Send's in-flight count against Close
	closed bool           // guarded by sendMu
	sends  sync.WaitGroup // requests in flight, waited for by Close

	pool   pool
	rotate atomic.Uint64 // round-robin cursor over the live connections

	inFlight  sync.Map // matching key → struct{}: requests waiting for a reply
	replies   sync.Map // *iso8583.Message carrier → Message: decoded replies
	unmatched atomic.Int64
}

var _ bandeira.Authorizer = (*Client)(nil)

// NewClient returns a Client for addr (host:port) and starts connecting in the background.
// An unreachable peer is not an error: the link is down until it answers. Only a bad
// configuration is (an address without a port, a setting out of range, TLS files that do
// not load). Zero config fields take their defaults.
func NewClient(addr string, cfg ClientConfig, opts ...ClientOption) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configuring link to %s: %w", addr, err)
	}
	cfg = cfg.withDefaults()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("configuring link to %s: %w", addr, err)
	}
	tlsCfg, err := cfg.TLS.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("configuring link to %s: %w", addr, err)
	}
	if tlsCfg != nil && tlsCfg.ServerName == "" {
		tlsCfg.ServerName = host
	}
	o := clientOptions{log: zerolog.Nop(), name: addr}
	for _, opt := range opts {
		opt(&o)
	}
	if o.metrics == nil {
		o.metrics = NewLinkMetrics(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		addr:      addr,
		name:      o.name,
		cfg:       cfg,
		tls:       tlsCfg,
		log:       o.log.With().Str("component", "iso_client").Str("link", o.name).Str("addr", addr).Logger(),
		m:         o.metrics.series(o.name),
		errDown:   fmt.Errorf("link %s: no connection up: %w", o.name, ErrConnectionClosed),
		errClosed: fmt.Errorf("link %s: client closed: %w", o.name, ErrConnectionClosed),
		errOff:    fmt.Errorf("link %s: %w", o.name, ErrSignedOff),
		ctx:       ctx,
		cancel:    cancel,
		done:      make(chan struct{}),
	}
	c.pool.init(cfg.PoolSize, c.log, c.m)
	c.m.up.Set(LinkDown.gauge())
	c.m.connections.Set(0)
	c.slots.Add(cfg.PoolSize)
	for range cfg.PoolSize {
		go c.runSlot()
	}
	return c, nil
}

// Dial returns a Client for addr once at least one of its connections is up. It gives up
// when ctx ends, after cfg.ConnectTimeout, or as soon as every connection's first attempt
// has failed (so a tool pointed at a closed port fails fast); the error then wraps
// ErrConnectionClosed and the last connection error, and the Client is closed. Zero config
// fields take their defaults. Tools and tests use it; long-running nodes use NewClient.
func Dial(ctx context.Context, addr string, cfg ClientConfig, log zerolog.Logger) (*Client, error) {
	c, err := NewClient(addr, cfg, WithLogger(log))
	if err != nil {
		return nil, err
	}
	if err := c.awaitFirst(ctx); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("dialing %s: %w", addr, err)
	}
	return c, nil
}

// awaitFirst waits until a connection is up, every first attempt failed, ctx ended or the
// connect timeout passed.
func (c *Client) awaitFirst(ctx context.Context) error {
	t := time.NewTimer(c.cfg.ConnectTimeout)
	defer t.Stop()
	select {
	case <-c.pool.firstUp:
		return nil
	case <-c.pool.allFailed:
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrConnectionClosed, ctx.Err())
	case <-t.C:
		return fmt.Errorf("%w: no connection within %s", ErrConnectionClosed, c.cfg.ConnectTimeout)
	}
	select {
	case <-c.pool.firstUp: // one came up while the last attempt failed
		return nil
	default:
		return fmt.Errorf("%w: %w", ErrConnectionClosed, c.pool.lastError())
	}
}

// State returns the link's state now: up when every pooled connection is live, degraded
// when some are, down when none is or after Close.
func (c *Client) State() LinkState { return c.pool.state() }

// Unmatched returns how many replies arrived with no request waiting for them, such as
// replies later than the send timeout.
func (c *Client) Unmatched() int64 { return c.unmatched.Load() }

// Done is closed when Close has finished: the connections are closed and the pool has
// stopped reconnecting. (A sign-on or echo abandoned because its connection failed may
// leave one goroutine waiting out its send timeout.) A lost connection does not close
// Done; the Client reconnects.
func (c *Client) Done() <-chan struct{} { return c.done }

// Close stops reconnecting, refuses new requests (ErrConnectionClosed), waits for the
// requests in flight (at most the send timeout), signs off each live connection when
// SignOn is set (each sign-off bounded by the send timeout, its failure only logged), and
// closes the connections. It is idempotent and safe to call concurrently: later calls
// wait for the first to finish. It always returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(c.close)
	<-c.done
	return nil
}

func (c *Client) close() {
	defer close(c.done)
	c.sendMu.Lock()
	c.closed = true
	c.sendMu.Unlock()
	c.cancel()
	c.slots.Wait() // no slot adds or removes a connection any more
	drained := waitFor(&c.sends, c.cfg.SendTimeout)
	conns := c.pool.takeAll()
	c.m.up.Set(LinkDown.gauge())
	c.m.connections.Set(0)
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() { c.closeConn(conn, drained) })
	}
	wg.Wait()
	c.log.Info().Int("connections", len(conns)).Msg("link closed")
}

// closeConn signs conn off when SignOn is set and the requests in flight have drained,
// then closes it; the library's close waits for any request still in flight, each bounded
// by its send timeout.
func (c *Client) closeConn(conn *pooledConn, drained bool) {
	if c.cfg.SignOn && drained {
		signOff := networkRequest(bandeira.SignOff, &c.stans, time.Now())
		resp, err := c.exchange(context.Background(), conn.Connection, conn.failed, signOff)
		if err == nil && resp.Get(39) != string(bandeira.Approved) {
			err = fmt.Errorf("sign-off answered %q", resp.Get(39))
		}
		if err != nil {
			c.log.Info().Err(err).Msg("signing off")
		}
	}
	if err := conn.Close(); err != nil {
		c.log.Debug().Err(err).Msg("closing connection")
	}
}

// waitFor waits for wg for at most d and reports whether it reached zero. If it did not,
// its helper goroutine ends when wg does, which the send timeout bounds.
func waitFor(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}
