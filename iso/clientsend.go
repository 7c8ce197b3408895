package iso

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"

	"github.com/bandeira/bandeira"
)

// Authorize sends a as a request in our dialect and returns the decision in the reply.
// A reply whose MTI does not answer the request, or which lacks field 39, is an error.
// Errors satisfy bandeira.CodeForError: timeouts and a lost or down link map to 91.
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

// Send packs m, sends it on one of the live connections and returns the matching reply.
// It waits at most the send timeout or until ctx ends, whichever is sooner: a timeout
// returns an error wrapping ErrTimeout (and so context.DeadlineExceeded); a cancelled ctx
// returns an error wrapping ctx.Err(). With no live connection, or after Close, it returns
// an error wrapping ErrConnectionClosed at once. A request whose key is already in flight
// returns ErrDuplicateRequest without sending. A request is never sent twice: if its
// connection is lost, it fails with ErrConnectionClosed even if another one is live.
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
	conn, err := c.begin()
	if err != nil {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, err)
	}
	key := matchKey(m)
	if _, dup := c.inFlight.LoadOrStore(key, struct{}{}); dup {
		c.end()
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ErrDuplicateRequest)
	}
	carrier := newCarrier(m.MTI, key, body)
	if ctx.Done() == nil {
		return c.request(conn.Connection, carrier, key, timeout)
	}
	done := make(chan sendResult, 1)
	go func() {
		r, err := c.request(conn.Connection, carrier, key, timeout)
		done <- sendResult{r, err}
	}()
	select {
	case r := <-done:
		return r.msg, r.err
	case <-conn.failed:
		return closedUnlessAnswered(done, m.MTI)
	case <-ctx.Done():
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ctx.Err())
	}
}

// closedUnlessAnswered returns the reply in done if it came before the connection failed,
// and otherwise ErrConnectionClosed without waiting for the library.
func closedUnlessAnswered(done <-chan sendResult, mti string) (Message, error) {
	select {
	case r := <-done:
		return r.msg, r.err
	default:
		return Message{}, fmt.Errorf("sending %s: %w", mti, ErrConnectionClosed)
	}
}

// sendResult carries a round trip's outcome out of its goroutine.
type sendResult struct {
	msg Message
	err error
}

// begin counts a request in flight and picks its connection, or returns why it cannot be
// sent: the Client is closed, or no connection is live.
func (c *Client) begin() (*pooledConn, error) {
	c.sendMu.RLock()
	defer c.sendMu.RUnlock()
	if c.closed {
		return nil, c.errClosed
	}
	if c.signedOff.Load() {
		return nil, c.errOff
	}
	conn := c.pool.pick(c.rotate.Add(1))
	if conn == nil {
		return nil, c.errDown
	}
	c.sends.Add(1)
	c.m.inFlight.Inc()
	return conn, nil
}

// end undoes begin once the request is over.
func (c *Client) end() {
	c.m.inFlight.Dec()
	c.sends.Done()
}

// request runs one round trip begun by begin and times it when it gets a reply.
func (c *Client) request(conn *connection.Connection, carrier *iso8583.Message, key string,
	timeout time.Duration) (Message, error) {
	defer c.end()
	start := time.Now()
	resp, err := c.roundTrip(conn, carrier, key, timeout)
	if err == nil {
		c.m.roundTrip.Observe(time.Since(start).Seconds())
	}
	return resp, err
}

// exchange sends a network management message of the Client's own on conn, whether or not
// conn is live yet, and returns the reply. It returns ErrConnectionClosed as soon as failed
// is closed, and ctx's error when ctx ends first, without waiting for the library: its
// Send then ends by itself, at the latest at its send timeout.
func (c *Client) exchange(ctx context.Context, conn *connection.Connection, failed <-chan struct{},
	m Message) (Message, error) {
	body, err := Pack(m)
	if err != nil {
		return Message{}, fmt.Errorf("packing %s: %w", m.MTI, err)
	}
	key := matchKey(m)
	if _, dup := c.inFlight.LoadOrStore(key, struct{}{}); dup {
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ErrDuplicateRequest)
	}
	done := make(chan sendResult, 1)
	go func() { // ends within the send timeout, even when failed or ctx ended first
		r, err := c.roundTrip(conn, newCarrier(m.MTI, key, body), key, c.cfg.SendTimeout)
		done <- sendResult{r, err}
	}()
	select {
	case r := <-done:
		return r.msg, r.err
	case <-failed:
		return closedUnlessAnswered(done, m.MTI)
	case <-ctx.Done():
		return Message{}, fmt.Errorf("sending %s: %w", m.MTI, ctx.Err())
	}
}

// roundTrip sends carrier through the library and decodes its reply. The key stays in
// flight until the library gives up on it, even if the caller stopped waiting.
func (c *Client) roundTrip(conn *connection.Connection, carrier *iso8583.Message, key string,
	timeout time.Duration) (Message, error) {
	defer c.inFlight.Delete(key)
	mti := carrierMTI(carrier)
	reply, err := conn.Send(carrier, connection.SendTimeout(timeout))
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
// dropped; a network management request from the peer is answered as a Server answers
// it; any other request is dropped with a warning.
func (c *Client) inbound(conn *connection.Connection, carrier *iso8583.Message) {
	v, ok := c.replies.LoadAndDelete(carrier)
	if !ok {
		return
	}
	m := v.(Message)
	mti := bandeira.MTI(m.MTI)
	if !mti.IsRequest() {
		c.unmatched.Add(1)
		c.m.unmatched.Inc()
		c.log.Debug().Str("mti", m.MTI).Msg("reply matched no request in flight")
		return
	}
	if mti.Class() != '8' {
		c.log.Warn().Str("mti", m.MTI).Msg("ignoring request from peer")
		return
	}
	code := bandeira.FormatError
	if a, err := ToAuthorization(m); err == nil {
		var act netAction
		code, act, _ = networkManagement(a)
		c.peerSignOn(act)
	}
	body, err := Pack(Respond(m, bandeira.Result{Code: code}))
	if err == nil {
		err = conn.Reply(newCarrier(string(mti.Response()), "", body))
	}
	if err != nil {
		c.log.Info().Err(err).Str("mti", m.MTI).Msg("answering the peer's network management")
	}
}

// peerSignOn records a sign-on or sign-off the peer sent: after a sign-off the link takes
// no requests until the peer signs on, or a connection of ours signs on again.
func (c *Client) peerSignOn(act netAction) {
	switch act {
	case netSignOff:
		if !c.signedOff.Swap(true) {
			c.log.Warn().Msg("peer signed off; requests fail until it signs on again")
		}
	case netSignOn:
		c.signedOnAgain()
	}
}

// signedOnAgain clears a sign-off of the peer's.
func (c *Client) signedOnAgain() {
	if c.signedOff.Swap(false) {
		c.log.Info().Msg("peer signed on again")
	}
}

// connError logs what the library cannot return to a caller, such as the read error that
// closed a connection. Link state changes are logged by the pool.
func (c *Client) connError(err error) {
	c.log.Debug().Err(err).Msg("connection error")
}
