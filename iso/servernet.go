package iso

import (
	"crypto/tls"
	"time"

	"github.com/bandeira/bandeira"
)

// handshake completes the TLS handshake of a TLS connection within FrameTimeout, so a
// client that connects and stays silent cannot hold a connection slot. It reports false,
// after counting and logging the failure, when the connection must close. Plain TCP
// connections pass at once.
func (c *serverConn) handshake() bool {
	tc, ok := c.nc.(*tls.Conn)
	if !ok {
		return true
	}
	if err := tc.SetDeadline(time.Now().Add(c.s.cfg.FrameTimeout)); err != nil {
		c.log.Info().Err(err).Msg("setting handshake deadline; closing connection")
		return false
	}
	if c.s.closing.Load() { // after the deadline, so a stopReading before it is not lost
		return false
	}
	if err := tc.Handshake(); err != nil {
		if c.s.closing.Load() {
			c.log.Debug().Msg("connection closing for shutdown during the TLS handshake")
			return false
		}
		c.s.m.reject(ReasonTLSHandshake)
		c.log.Warn().Str("reason", ReasonTLSHandshake).Err(err).Msg("closing connection")
		return false
	}
	return true // readFrame and write set their own deadlines from here on
}

// signOff tells a signed-on peer that this server signs off (0800, field 70 = 002). The
// peer's answer is not read: the server is closing.
func (c *serverConn) signOff(stans *stanSequence) {
	if !c.signedOn.Load() {
		return
	}
	body, err := Pack(networkRequest(bandeira.SignOff, stans, time.Now()))
	if err != nil {
		c.log.Error().Err(err).Msg("packing the sign-off")
		return
	}
	c.write(body)
	c.log.Debug().Msg("signed off the connection")
}

// networkManagement answers a class-8 request on the read loop, in order with the frames
// around it, so a sign-on takes effect before the next request is read. It updates the
// connection's sign-on state and the SignedOn gauge; the Authorizer never sees it.
func (c *serverConn) networkManagement(req Message, a bandeira.Authorization) {
	code, act, missing := networkManagement(a)
	c.s.m.networkManagement(a.NetworkCode)
	switch {
	case missing != 0:
		c.s.m.reject(ReasonBadField)
		c.log.Warn().Str("reason", ReasonBadField).Str("mti", req.MTI).Int("field", missing).
			Str("detail", "is missing").Msg("answering format error")
	case act == netSignOn:
		if !c.signedOn.Swap(true) {
			c.s.m.SignedOn.Inc()
			c.log.Info().Msg("connection signed on")
		}
	case act == netSignOff:
		if c.signedOn.Swap(false) {
			c.s.m.SignedOn.Dec()
			c.log.Info().Msg("connection signed off")
		}
	}
	c.respond(req, bandeira.Result{Code: code})
}
