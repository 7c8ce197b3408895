package loadtest

import (
	"bufio"
	"errors"
	"io"
	"time"
)

// readLoop reads and matches replies until the connection closes.
func (c *conn) readLoop() {
	br := bufio.NewReaderSize(c.nc, max(16<<10, c.r.cfg.MaxFrameSize+2))
	for {
		hdr, err := br.Peek(2)
		if err != nil {
			c.fail(ErrConnection)
			return
		}
		n := int(hdr[0])<<8 | int(hdr[1])
		if n == 0 || n > c.r.cfg.MaxFrameSize {
			c.countError(ErrMalformed)
			c.fail(ErrConnection)
			return
		}
		frame, err := br.Peek(2 + n)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
				c.fail(ErrConnection)
				return
			}
			c.fail(ErrConnection)
			return
		}
		c.complete(frame[2:], c.since())
		_, _ = br.Discard(2 + n)
	}
}

func (c *conn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken
}

func (c *conn) countError(kind ErrorKind) {
	c.mu.Lock()
	c.st.errors[kind]++
	c.mu.Unlock()
}

// complete matches one reply, received at now, with its request by the full key and
// records it: latency from the slot's due time, the response code, and the approval a
// later reversal may undo.
func (c *conn) complete(body []byte, now int64) {
	rep, err := parseReply(body)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || rep.f11.end-rep.f11.start != 6 || rep.mti[2] != '1' {
		c.st.errors[ErrMalformed]++
		return
	}
	stan := atou(body[rep.f11.start:rep.f11.end])
	s := c.win.lookup(uint32(stan))
	if s == nil || !c.matches(s, &rep, body) {
		c.st.errors[ErrUnmatched]++
		return
	}
	code := [2]byte{'?', '?'}
	if rep.f39.end-rep.f39.start == 2 {
		code = [2]byte{body[rep.f39.start], body[rep.f39.start+1]}
	}
	c.hist.record(s.kind, time.Duration(now-s.due))
	c.st.answered++
	c.st.codes[code]++
	kc := &c.st.kinds[s.kind]
	kc.answered++
	if code == [2]byte{'0', '0'} {
		c.st.approved++
		kc.approved++
		if s.kind == Purchase {
			c.tr.remember(approval{card: s.card, amount: s.amount, stan: s.stan, f7: s.f7})
		}
	}
	c.win.release(s)
	c.credit(now)
}

// matches checks the rest of the key: the reply is a response of the request's class,
// for this connection's terminal, with the request's transmission time.
func (c *conn) matches(s *slot, rep *reply, body []byte) bool {
	if rep.mti[1] != requestClass[s.kind] {
		return false
	}
	if rep.f7.end-rep.f7.start != 10 || string(body[rep.f7.start:rep.f7.end]) != string(s.f7[:]) {
		return false
	}
	if s.kind == Echo {
		return true
	}
	return string(body[rep.f41.start:rep.f41.end]) == string(c.tr.terminal[:])
}

// requestClass is the MTI class digit each kind is sent with.
var requestClass = [numKinds]byte{Purchase: '2', Refund: '2', Reversal: '4', Balance: '1', Decline: '2', Echo: '8', Installments: '2'}

// atou parses ASCII digits; non-digits make it return 0.
func atou(b []byte) uint64 {
	var x uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0
		}
		x = x*10 + uint64(ch-'0')
	}
	return x
}
