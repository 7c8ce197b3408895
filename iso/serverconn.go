package iso

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
)

// aLongTimeAgo is a deadline in the past, used to interrupt a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// serverConn is one client connection: a read loop that validates frames in order, and
// request goroutines (spawn) that decide the accepted requests and write their responses
// under wmu.
type serverConn struct {
	s   *Server
	nc  net.Conn
	br  *bufio.Reader
	log zerolog.Logger
	buf []byte

	peer     *peer          // the remote address's budget
	slots    chan struct{}  // MaxInFlightPerConn tokens
	wg       sync.WaitGroup // requests being decided
	idleMu   sync.Mutex
	idle     []*worker     // request goroutines waiting for a job, most recent last (spawn)
	finished chan struct{} // closed once every request is answered and the read loop is done
	signedOn atomic.Bool   // set by 0800/001, cleared by 0800/002; counted in SignedOn

	wmu    sync.Mutex
	broken bool // a write failed; guarded by wmu
}

func newServerConn(s *Server, nc net.Conn, p *peer) *serverConn {
	return &serverConn{
		s:        s,
		nc:       nc,
		peer:     p,
		slots:    make(chan struct{}, s.cfg.MaxInFlightPerConn),
		finished: make(chan struct{}),
		br:       bufio.NewReaderSize(nc, 4096),
		log:      s.log.With().Str("remote", nc.RemoteAddr().String()).Logger(),
		buf:      make([]byte, 0, 1024),
	}
}

// stopReading interrupts a blocked read so the read loop sees the Server closing.
func (c *serverConn) stopReading() { _ = c.nc.SetReadDeadline(aLongTimeAgo) }

// serve runs the read loop, then waits for the requests in flight to be answered and
// closes the connection.
func (c *serverConn) serve() {
	defer c.s.connDone(c)
	defer func() { _ = c.nc.Close() }()
	defer close(c.finished)
	defer c.wg.Wait()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error().Str("panic_type", fmt.Sprintf("%T", r)).Bytes("stack", debug.Stack()).
				Msg("read loop panicked; closing connection")
		}
	}()
	if !c.handshake() {
		return
	}
	for {
		body, err := c.readFrame()
		if err != nil {
			c.readFailed(err)
			return
		}
		if !c.dispatch(body) {
			return
		}
	}
}

// readFrame reads the next frame: the read-idle timer runs until its first byte arrives,
// then the whole frame must arrive within the frame timer. A frame already buffered is
// returned without touching the deadlines.
func (c *serverConn) readFrame() ([]byte, error) {
	if c.s.closing.Load() {
		return nil, ErrServerClosed
	}
	if !c.frameBuffered() {
		if c.br.Buffered() == 0 {
			if err := c.setReadDeadline(c.s.cfg.ReadIdleTimeout); err != nil {
				return nil, err
			}
			if _, err := c.br.Peek(1); err != nil {
				return nil, fmt.Errorf("waiting for a frame: %w", err)
			}
		}
		if err := c.setReadDeadline(c.s.cfg.FrameTimeout); err != nil {
			return nil, err
		}
	}
	body, err := ReadFrame(c.br, c.buf, c.s.cfg.MaxFrameSize)
	if err != nil {
		return nil, fmt.Errorf("reading a frame: %w", err)
	}
	if cap(body) > cap(c.buf) {
		c.buf = body[:0] // keep the larger buffer; bounded by MaxFrameSize
	}
	return body, nil
}

// frameBuffered reports whether a whole frame (or an invalid header) is already buffered.
func (c *serverConn) frameBuffered() bool {
	n := c.br.Buffered()
	if n < headerLen {
		return false
	}
	hdr, _ := c.br.Peek(headerLen)
	size := int(hdr[0])<<8 | int(hdr[1])
	return size == 0 || size > c.s.cfg.MaxFrameSize || n >= headerLen+size
}

// setReadDeadline sets the read deadline d from now, then reports ErrServerClosed if
// Shutdown started, so a deadline set by stopReading is never lost.
func (c *serverConn) setReadDeadline(d time.Duration) error {
	if err := c.nc.SetReadDeadline(time.Now().Add(d)); err != nil {
		return fmt.Errorf("setting read deadline: %w", err)
	}
	if c.s.closing.Load() {
		return ErrServerClosed
	}
	return nil
}

// readFailed logs and counts why the read loop stops.
func (c *serverConn) readFailed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		c.reject(ReasonFrameTooLarge, "closing connection")
	case errors.Is(err, ErrEmptyFrame):
		c.reject(ReasonEmptyFrame, "closing connection")
	case c.s.closing.Load():
		c.log.Debug().Msg("connection closing for shutdown")
	case errors.Is(err, io.EOF):
		c.log.Debug().Msg("connection closed by peer")
	case errors.As(err, &ne) && ne.Timeout():
		c.log.Info().Err(err).Msg("read timeout; closing connection")
	default:
		c.log.Info().Err(err).Msg("read failed; closing connection")
	}
}

// reject counts a rejection and logs it with its reason only.
func (c *serverConn) reject(reason, msg string) {
	c.s.m.reject(reason)
	c.log.Warn().Str("reason", reason).Msg(msg)
}

// dispatch validates one frame and starts its request, or answers or drops it. It
// reports false when the connection must close.
func (c *serverConn) dispatch(body []byte) bool {
	start := time.Now()
	req, err := Unpack(body)
	if err != nil {
		return c.unpackFailed(err)
	}
	if !isRequestMTI(req.MTI) {
		c.reject(ReasonBadMTI, "closing connection")
		return false
	}
	class := bandeira.MTI(req.MTI).Class()
	if class != '8' && c.s.cfg.RequireSignOn && !c.signedOn.Load() {
		c.reject(ReasonNotSignedOn, "answering 91 before sign-on")
		c.respond(req, bandeira.Result{Code: bandeira.IssuerUnavailable})
		return true
	}
	a, err := ToAuthorization(req)
	if err != nil {
		c.s.m.reject(ReasonBadField)
		ev := c.log.Warn().Str("reason", ReasonBadField).Str("mti", req.MTI)
		var fe *FieldError
		if errors.As(err, &fe) { // its Reason never holds a field value
			ev = ev.Int("field", fe.Field).Str("detail", fe.Reason)
		}
		ev.Msg("answering format error")
		c.respond(req, bandeira.Result{Code: bandeira.FormatError})
		return true
	}
	if class == '8' {
		c.networkManagement(req, a)
		return true
	}
	if !c.acquire() {
		c.reject(ReasonOverload, "answering overload")
		c.respond(req, bandeira.Result{Code: bandeira.IssuerUnavailable})
		return true
	}
	c.wg.Add(1)
	c.spawn(job{req: req, a: a, start: start})
	return true
}

// unpackFailed answers 30 when the MTI of an unreadable frame is a request, and otherwise
// reports that the connection must close.
func (c *serverConn) unpackFailed(err error) bool {
	var ue *UnpackError
	if !errors.As(err, &ue) || ue.MTI == "" {
		c.reject(ReasonUnpack, "closing connection")
		return false
	}
	if !isRequestMTI(ue.MTI) {
		c.reject(ReasonBadMTI, "closing connection")
		return false
	}
	c.s.m.reject(ReasonUnpack)
	c.log.Warn().Str("reason", ReasonUnpack).Str("mti", ue.MTI).Int("field", ue.Field).
		Str("detail", ue.Reason).Msg("answering format error") // Reason never holds a value
	c.respond(Message{MTI: ue.MTI}, bandeira.Result{Code: bandeira.FormatError})
	return true
}

// isRequestMTI reports whether mti is a 1987-version request or advice we may answer.
func isRequestMTI(mti string) bool {
	return bandeira.IsDigits(mti) && mti[0] == '0' && bandeira.MTI(mti).IsRequest()
}

// handle asks the Authorizer to decide a and writes the response. A panic in the
// Authorizer is logged without its value and answered with 96.
func (c *serverConn) handle(req Message, a bandeira.Authorization, start time.Time) {
	defer c.wg.Done()
	defer c.release()
	answered := false
	defer func() {
		if r := recover(); r != nil {
			c.log.Error().Str("panic_type", fmt.Sprintf("%T", r)).Bytes("stack", debug.Stack()).
				Str("mti", req.MTI).Msg("authorizer panicked; answering 96")
			if !answered {
				c.respond(req, bandeira.Result{Code: bandeira.SystemMalfunction})
			}
		}
	}()
	ctx, cancel := context.WithTimeout(c.s.baseCtx, c.s.cfg.RequestTimeout)
	res, err := c.s.h.Authorize(ctx, a)
	cancel()
	if err != nil {
		res = bandeira.Result{Code: bandeira.CodeForError(err)}
		c.log.Debug().Err(err).Str("mti", req.MTI).Str("stan", a.STAN).Msg("authorizer could not decide")
	} else if res.Code == "" {
		res = bandeira.Result{Code: bandeira.SystemMalfunction}
	}
	answered = true
	if !c.respond(req, res) && c.s.undelivered != nil {
		c.s.undelivered(req, res)
	}
	if e := c.log.Debug(); e.Enabled() {
		e.Str("mti", req.MTI).Str("stan", a.STAN).Str("rrn", a.RRN).Stringer("pan", a.PAN).
			Str("response_code", string(res.Code)).Float64("latency_ms", float64(time.Since(start))/float64(time.Millisecond)).Msg("request")
	}
}

// respond packs the response to req and writes it, and reports whether the response was
// written as decided. A decision that cannot be packed (an AuthCode longer than field 38,
// say) is answered with 96 instead; if even the bare response cannot be packed, the
// connection is closed.
func (c *serverConn) respond(req Message, res bandeira.Result) bool {
	body, err := Pack(Respond(req, res))
	if err == nil {
		return c.write(body)
	}
	c.log.Error().Err(err).Str("mti", req.MTI).Msg("packing response; answering 96")
	if body, err = Pack(Respond(req, bandeira.Result{Code: bandeira.SystemMalfunction})); err != nil {
		c.log.Error().Err(err).Str("mti", req.MTI).Msg("packing fallback response; closing connection")
		_ = c.nc.Close()
		return false
	}
	c.write(body)
	return false
}

// write sends one response frame under the connection's write lock and deadline, and
// reports whether it was written. After a failed write the connection is closed and later
// writes are dropped.
func (c *serverConn) write(body []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.broken {
		return false
	}
	err := c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
	if err == nil {
		err = WriteFrame(c.nc, body)
	}
	if err != nil {
		c.broken = true
		c.log.Info().Err(err).Msg("writing response failed; closing connection")
		_ = c.nc.Close()
		return false
	}
	return true
}
