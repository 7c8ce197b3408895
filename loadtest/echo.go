package loadtest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/rs/zerolog"
)

// EchoServer is the trivial responder: it answers every request of the dialect at once
// with its response MTI, the request's fields (secrets 35, 48, 52, 55 and 64 left out)
// and 39 = 00, doing no other work. It measures the generator's own ceiling. It is safe
// for concurrent use.
type EchoServer struct {
	log    zerolog.Logger
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

// ErrEchoClosed is returned by Serve after Close.
var ErrEchoClosed = errors.New("loadtest: echo server closed")

// NewEchoServer returns an EchoServer logging with component=echo_server.
func NewEchoServer(log zerolog.Logger) *EchoServer {
	return &EchoServer{log: log.With().Str("component", "echo_server").Logger(), conns: map[net.Conn]struct{}{}}
}

// Serve accepts connections on ln until Close, then returns ErrEchoClosed.
func (s *EchoServer) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrEchoClosed
	}
	s.ln = ln
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrEchoClosed
			}
			return fmt.Errorf("accepting: %w", err)
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return ErrEchoClosed
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(nc)
	}
}

// Close stops accepting, closes every connection and waits for their goroutines. It is
// idempotent.
func (s *EchoServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	if s.ln != nil {
		_ = s.ln.Close()
	}
	for nc := range s.conns {
		_ = nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// serveConn answers frames as they come, writing when no more input is buffered so that
// pipelined requests share writes.
func (s *EchoServer) serveConn(nc net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		_ = nc.Close()
	}()
	br := bufio.NewReaderSize(nc, 1<<17) // room for a whole frame of the largest size
	out := make([]byte, 0, 64<<10)
	for {
		hdr, err := br.Peek(2)
		if err != nil {
			return
		}
		n := int(hdr[0])<<8 | int(hdr[1])
		frame, err := br.Peek(2 + n)
		if err != nil || n == 0 {
			return
		}
		var rerr error
		if out, rerr = AppendEchoResponse(out, frame[2:]); rerr != nil {
			s.log.Info().Err(rerr).Msg("closing a connection after a malformed request")
			return
		}
		_, _ = br.Discard(2 + n)
		if br.Buffered() < 2 || len(out) > 48<<10 {
			if _, err := nc.Write(out); err != nil {
				return
			}
			out = out[:0]
		}
	}
}

// echoDropped are the request fields the echo server leaves out of its answers.
var echoDropped = [...]int{35, 48, 52, 55, 64}

// AppendEchoResponse appends to dst the framed response to the request body req: the
// response MTI, the request's fields but 35, 48, 52, 55 and 64, and 39 = 00. It returns
// an error, leaving dst as it was, when req is not a request of the dialect.
func AppendEchoResponse(dst, req []byte) ([]byte, error) {
	if len(req) < 20 || req[2] != '0' && req[2] != '2' {
		return dst, errMalformed
	}
	bm, off, ok := readBitmaps(req)
	if !ok {
		return dst, errMalformed
	}
	start := len(dst)
	dst = append(dst, 0, 0, req[0], req[1], req[2]+1, '0')
	out := bm
	out[0] |= 1 << (63 - 38) // field 39
	for _, n := range echoDropped {
		out[0] &^= 1 << (63 - uint(n-1))
	}
	dst = appendHex64(dst, out[0])
	if out[0]&(1<<63) != 0 {
		dst = appendHex64(dst, out[1])
	}
	wrote39 := false
	for n := 2; n <= maxField; n++ {
		if bm[(n-1)/64]&(1<<(63-uint(n-1)%64)) == 0 {
			continue
		}
		s, ok := dialect.field(req, off, n)
		if !ok {
			return dst[:start], errMalformed
		}
		if n >= 39 && !wrote39 {
			dst, wrote39 = append(dst, '0', '0'), true
		}
		if out[(n-1)/64]&(1<<(63-uint(n-1)%64)) != 0 && n != 39 {
			dst = append(dst, req[off:s.end]...)
		}
		off = s.end
	}
	if off != len(req) {
		return dst[:start], errMalformed
	}
	if !wrote39 {
		dst = append(dst, '0', '0')
	}
	n := len(dst) - start - 2
	dst[start], dst[start+1] = byte(n>>8), byte(n)
	return dst, nil
}

// appendHex64 appends x as 16 uppercase hex characters.
func appendHex64(dst []byte, x uint64) []byte {
	const digits = "0123456789ABCDEF"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[x>>uint(shift)&0xF])
	}
	return dst
}
