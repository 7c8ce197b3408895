package iso

import "net"

// Bulkheads keep one client from taking what every client shares (docs/architecture.md,
// "Limits"):
//
//   - per connection: at most MaxInFlightPerConn requests are decided at once; the read
//     loop then stops reading until one is answered, so a pipelined burst is read as fast
//     as it is served and pushes back on the client's socket instead of being answered 91;
//   - per remote address: at most MaxConnectionsPerIP connections (more are closed at
//     once) and MaxInFlightPerIP requests decided at once (the address's connections wait
//     for a slot, as above), so one address cannot lock the others out;
//   - overall: MaxInFlight requests; a request over it is answered 91 at once (load is
//     shed, not queued).

// peer is the shared budget of one remote address. Its fields are guarded by the Server's
// mu, except slots.
type peer struct {
	conns int
	slots chan struct{} // MaxInFlightPerIP tokens: a request holds one while decided
}

// peerKey is the remote address a connection counts against: its IP (the whole address
// when it has no port).
func peerKey(nc net.Conn) string {
	addr := nc.RemoteAddr().String()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}

// addPeerConn counts a new connection from its address, or reports false when the address
// is at its cap. s.mu must be held.
func (s *Server) addPeerConn(key string) (*peer, bool) {
	p := s.peers[key]
	if p == nil {
		p = &peer{slots: make(chan struct{}, s.cfg.MaxInFlightPerIP)}
		s.peers[key] = p
	}
	if p.conns >= s.cfg.MaxConnectionsPerIP {
		return nil, false
	}
	p.conns++
	return p, true
}

// dropPeerConn forgets a closed connection of its address. s.mu must be held.
func (s *Server) dropPeerConn(key string, p *peer) {
	p.conns--
	if p.conns == 0 {
		delete(s.peers, key)
	}
}

// acquire takes a slot of the connection and of its address, waiting for them while the
// connection or the address is at its limit (back-pressure, counted as it starts), then a
// global slot without waiting. It reports false when the global limit refuses the request
// (the caller answers 91). A request read from the socket is always answered: the wait
// ends when requests in flight end, which they do even during Shutdown (their contexts
// are cancelled when the drain limit passes).
func (c *serverConn) acquire() bool {
	select {
	case c.slots <- struct{}{}:
	default:
		c.s.m.BackpressureWaits.Inc()
		c.slots <- struct{}{}
	}
	select {
	case c.peer.slots <- struct{}{}:
	default:
		c.s.m.BackpressureWaits.Inc()
		c.peer.slots <- struct{}{}
	}
	if !c.s.acquire() {
		<-c.peer.slots
		<-c.slots
		return false
	}
	return true
}

// release returns the slots acquire took.
func (c *serverConn) release() {
	c.s.release()
	<-c.peer.slots
	<-c.slots
}
