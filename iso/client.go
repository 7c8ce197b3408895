package iso

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// ClientConfig holds the timers and limits of a Client. Zero fields take their default.
type ClientConfig struct {
	// ConnectTimeout bounds the TCP connect.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// SendTimeout bounds one round trip unless the caller's context ends sooner.
	SendTimeout time.Duration `yaml:"send_timeout"`
	// MaxFrameSize is the largest reply body accepted, in bytes; a larger length header
	// closes the connection.
	MaxFrameSize int `yaml:"max_frame_size"`
}

// DefaultClientConfig returns the production defaults.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{
		ConnectTimeout: 5 * time.Second,
		SendTimeout:    10 * time.Second,
		MaxFrameSize:   DefaultMaxFrameSize,
	}
}

// Validate reports the first setting that is out of range.
func (c ClientConfig) Validate() error {
	switch {
	case c.ConnectTimeout <= 0:
		return fmt.Errorf("connect_timeout %s: must be positive", c.ConnectTimeout)
	case c.SendTimeout <= 0:
		return fmt.Errorf("send_timeout %s: must be positive", c.SendTimeout)
	case c.MaxFrameSize < 64 || c.MaxFrameSize > MaxFrameLimit:
		return fmt.Errorf("max_frame_size %d: must be between 64 and %d", c.MaxFrameSize, MaxFrameLimit)
	}
	return nil
}

func (c ClientConfig) withDefaults() ClientConfig {
	d := DefaultClientConfig()
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = d.ConnectTimeout
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = d.SendTimeout
	}
	if c.MaxFrameSize <= 0 || c.MaxFrameSize > MaxFrameLimit {
		c.MaxFrameSize = d.MaxFrameSize
	}
	return c
}

// Errors returned by Client.Send and Client.Authorize. bandeira.CodeForError maps
// ErrTimeout and ErrConnectionClosed to 91 and the others to 96.
var (
	// ErrTimeout means no reply arrived within the send timeout; it wraps
	// context.DeadlineExceeded.
	ErrTimeout = fmt.Errorf("iso: send timeout: %w", context.DeadlineExceeded)
	// ErrConnectionClosed means the link is down or the Client was closed; it wraps
	// bandeira.ErrIssuerUnavailable.
	ErrConnectionClosed = fmt.Errorf("iso: connection closed: %w", bandeira.ErrIssuerUnavailable)
	// ErrDuplicateRequest means a request with the same matching key (MTI class,
	// terminal, STAN, transmission time) is already waiting for its reply on this
	// Client. It is refused locally, so no reply is ever given to the wrong caller.
	ErrDuplicateRequest = errors.New("iso: duplicate request in flight")
	// ErrNoSTAN means a request has no field 11, so its reply could not be matched.
	ErrNoSTAN = errors.New("iso: request has no STAN")
)

// Client is an Authorizer that sends requests over one ISO 8583 TCP connection in our
// dialect and waits for the matching reply. It works against any host that speaks the
// dialect. Replies are matched by MTI class, terminal (41), STAN (11) and transmission
// time (7), never by STAN alone. A Client is safe for concurrent use; it does not
// reconnect: after the link drops, every call returns ErrConnectionClosed.
type Client struct {
	cfg  ClientConfig
	log  zerolog.Logger
	conn *connection.Connection

	inFlight  sync.Map // matching key → struct{}: requests waiting for a reply
	replies   sync.Map // *iso8583.Message carrier → Message: decoded replies
	unmatched atomic.Int64
}

var _ bandeira.Authorizer = (*Client)(nil)

// Dial connects to addr and returns a Client ready to send. ctx bounds the connect, as
// does cfg.ConnectTimeout; zero config fields take their defaults.
func Dial(ctx context.Context, addr string, cfg ClientConfig, log zerolog.Logger) (*Client, error) {
	cfg = cfg.withDefaults()
	c := &Client{cfg: cfg, log: log.With().Str("component", "iso_client").Logger()}
	d := net.Dialer{Timeout: cfg.ConnectTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w: %w", addr, bandeira.ErrIssuerUnavailable, err)
	}
	// The length reader and writer are nil: frameReader and frameWriter replace them.
	conn, err := connection.NewFrom(nc, carrierSpec, nil, nil,
		connection.SendTimeout(cfg.SendTimeout),
		connection.SetRequestIDGenerator(carrierKey{}),
		connection.SetMessageReader(&frameReader{c: c}),
		connection.SetMessageWriter(frameWriter{}),
		connection.InboundMessageHandler(c.inbound),
		connection.ErrorHandler(c.connError),
	)
	if err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("creating connection to %s: %w", addr, err)
	}
	c.conn = conn
	return c, nil
}

// Close waits for the requests in flight (at most the send timeout), then closes the
// connection. It is idempotent.
func (c *Client) Close() error {
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("closing connection: %w", err)
	}
	return nil
}

// Done is closed when the connection has closed, by Close or because the link failed.
func (c *Client) Done() <-chan struct{} { return c.conn.Done() }

// Unmatched returns how many replies arrived with no request waiting for them, such as
// replies later than the send timeout.
func (c *Client) Unmatched() int64 { return c.unmatched.Load() }

// Authorize sends a as a request in our dialect and returns the decision in the reply.
// A reply whose MTI does not answer the request, or which lacks field 39, is an error.
// Errors satisfy bandeira.CodeForError: timeouts and a lost link map to 91.
func (c *Client) Authorize(ctx context.Context, a bandeira.Authorization) (bandeira.Result, error) {
	req := FromAuthorization(a)
	resp, err := c.Send(ctx, req)
	if err != nil {
		return bandeira.Result{}, err
	}
	if want := bandeira.MTI(req.MTI).Response(); bandeira.MTI(resp.MTI) != want {
		return bandeira.Result{}, fmt.Errorf("reading reply to %s: unexpected MTI %s", req.MTI, resp.MTI)
	}
	res, err := ToResult(resp)
	if err != nil {
		return bandeira.Result{}, fmt.Errorf("reading reply to %s: %w", req.MTI, err)
	}
	return res, nil
}

// Send packs m, sends it and returns the matching reply. It waits at most the send timeout
// or until ctx ends, whichever is sooner: a timeout returns an error wrapping ErrTimeout
// (and so context.DeadlineExceeded); a cancelled ctx returns an error wrapping ctx.Err().
// A request whose key is already in flight returns ErrDuplicateRequest without sending.
func (c *Client) Send(ctx context.Context, m Message) (Message, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, err)
	}
	timeout := c.cfg.SendTimeout
	if dl, ok := ctx.Deadline(); ok {
		if d := time.Until(dl); d < timeout {
			timeout = d
		}
	}
	if timeout <= 0 {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ErrTimeout)
	}
	if !m.Has(11) {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ErrNoSTAN)
	}
	body, err := Pack(m)
	if err != nil {
		return Message{}, fmt.Errorf("packing %s: %w", m.MTI, err)
	}
	if len(body) > MaxFrameLimit {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ErrFrameTooLarge)
	}
	key := matchKey(m)
	if _, dup := c.inFlight.LoadOrStore(key, struct{}{}); dup {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ErrDuplicateRequest)
	}
	carrier := newCarrier(m.MTI, key, body)
	if ctx.Done() == nil {
		return c.roundTrip(carrier, key, timeout)
	}
	done := make(chan sendResult, 1)
	go func() {
		r, err := c.roundTrip(carrier, key, timeout)
		done <- sendResult{r, err}
	}()
	select {
	case r := <-done:
		return r.msg, r.err
	case <-ctx.Done():
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ctx.Err())
	}
}

// sendResult carries a round trip's outcome out of its goroutine.
type sendResult struct {
	msg Message
	err error
}

// roundTrip sends carrier through the library and decodes its reply. The key stays in
// flight until the library gives up on it, even if the caller stopped waiting.
func (c *Client) roundTrip(carrier *iso8583.Message, key string, timeout time.Duration) (Message, error) {
	defer c.inFlight.Delete(key)
	mti := carrierMTI(carrier)
	reply, err := c.conn.Send(carrier, connection.SendTimeout(timeout))
	switch {
	case errors.Is(err, connection.ErrSendTimeout):
		return Message{}, fmt.Errorf("sending %s: %w", mti, ErrTimeout)
	case errors.Is(err, connection.ErrConnectionClosed):
		return Message{}, fmt.Errorf("sending %s: %w", mti, ErrConnectionClosed)
	case err != nil:
		return Message{}, fmt.Errorf("sending %s: %w", mti, err)
	}
	v, ok := c.replies.LoadAndDelete(reply)
	if !ok {
		return Message{}, fmt.Errorf("sending %s: reply lost in decoding", mti)
	}
	return v.(Message), nil
}

// inbound handles a message no request was waiting for: a late reply is counted and
// dropped; a network management request from the peer (echo) is answered with 00.
func (c *Client) inbound(conn *connection.Connection, carrier *iso8583.Message) {
	v, ok := c.replies.LoadAndDelete(carrier)
	if !ok {
		return
	}
	m := v.(Message)
	mti := bandeira.MTI(m.MTI)
	if !mti.IsRequest() {
		c.unmatched.Add(1)
		c.log.Warn().Str("mti", m.MTI).Msg("reply matched no request in flight")
		return
	}
	if mti.Class() != '8' {
		c.log.Warn().Str("mti", m.MTI).Msg("ignoring request from host")
		return
	}
	body, err := Pack(Respond(m, bandeira.Result{Code: bandeira.Approved}))
	if err == nil {
		err = conn.Reply(newCarrier(string(mti.Response()), "", body))
	}
	if err != nil {
		c.log.Info().Err(err).Str("mti", m.MTI).Msg("answering host network management")
	}
}

// connError logs what the library cannot return to a caller.
func (c *Client) connError(err error) {
	c.log.Info().Err(err).Msg("connection error")
}
