package iso

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/encoding"
	isoerrors "github.com/moov-io/iso8583/errors"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/prefix"
)

// DefaultMaxFrameSize is the largest frame body, in bytes, that a Server or Client accepts
// unless configured otherwise.
const DefaultMaxFrameSize = 8192

// MaxFrameLimit is the largest body a 2-byte length header can describe.
const MaxFrameLimit = math.MaxUint16

// headerLen is the size of the binary big-endian length header.
const headerLen = 2

// Framing errors. ReadFrame returns them unwrapped so callers can compare with errors.Is.
var (
	// ErrFrameTooLarge means a length header announced more bytes than the configured maximum.
	ErrFrameTooLarge = errors.New("iso: frame too large")
	// ErrEmptyFrame means a length header of zero.
	ErrEmptyFrame = errors.New("iso: empty frame")
)

// ReadFrame reads one frame from r: a 2-byte binary big-endian length header that excludes
// itself, then that many body bytes. It returns the body, reusing buf when its capacity is
// large enough and otherwise allocating exactly the announced length, which is never more
// than maxSize (maxSize <= 0 or above MaxFrameLimit means MaxFrameLimit).
//
// A zero length returns ErrEmptyFrame and a length above maxSize returns ErrFrameTooLarge, both
// without reading the body. A stream that ends before the header returns io.EOF; one that
// ends inside the frame returns io.ErrUnexpectedEOF. Read errors are returned unwrapped so a
// net.Error timeout stays visible to the caller.
func ReadFrame(r io.Reader, buf []byte, maxSize int) ([]byte, error) {
	if maxSize <= 0 || maxSize > MaxFrameLimit {
		maxSize = MaxFrameLimit
	}
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(hdr[0])<<8 | int(hdr[1])
	switch {
	case n == 0:
		return nil, ErrEmptyFrame
	case n > maxSize:
		return nil, ErrFrameTooLarge
	}
	if cap(buf) >= n {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}

// framePool holds scratch buffers for WriteFrame so that header and body go out in one
// Write without an allocation per frame.
var framePool = sync.Pool{New: func() any {
	b := make([]byte, 0, headerLen+DefaultMaxFrameSize)
	return &b
}}

// WriteFrame writes body to w behind its 2-byte length header, in a single Write call so
// that concurrent writers serialised by a mutex never interleave partial frames and the
// peer sees one TCP segment where the size allows. An empty body returns ErrEmptyFrame
// and a body above MaxFrameLimit returns ErrFrameTooLarge; nothing is written then.
func WriteFrame(w io.Writer, body []byte) error {
	if len(body) == 0 {
		return ErrEmptyFrame
	}
	if len(body) > MaxFrameLimit {
		return ErrFrameTooLarge
	}
	bp := framePool.Get().(*[]byte)
	frame := appendFrame((*bp)[:0], body)
	_, err := w.Write(frame)
	if cap(frame) <= headerLen+MaxFrameLimit {
		*bp = frame[:0]
		framePool.Put(bp)
	}
	if err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}
	return nil
}

// AppendFrame appends the length header and body to dst and returns the extended slice.
// The caller must ensure 0 < len(body) <= MaxFrameLimit; WriteFrame checks it.
func appendFrame(dst, body []byte) []byte {
	dst = append(dst, byte(len(body)>>8), byte(len(body)))
	return append(dst, body...)
}

// The Client drives iso8583-connection with a carrier message instead of a message of
// Spec: the request is packed once by Pack and the reply unpacked once by Unpack, exactly
// as the Server does, and the library only sees the MTI (to tell replies from requests),
// the matching key (for its RequestIDGenerator) and the packed body (for our one-write
// MessageWriter). The fields of the carrier spec are never packed.
const (
	carrierKeyField  = 2
	carrierBodyField = 3
)

var carrierSpec = &iso8583.MessageSpec{
	Name: "bandeira connection carrier",
	Fields: map[int]field.Field{
		0: field.NewString(&field.Spec{Length: 4, Description: "Message Type Indicator",
			Enc: encoding.ASCII, Pref: prefix.ASCII.Fixed}),
		1: field.NewBitmap(&field.Spec{Length: 8, Description: "Bitmap",
			Enc: encoding.Binary, Pref: prefix.Binary.Fixed}),
		carrierKeyField: field.NewString(&field.Spec{Length: 999, Description: "Matching key",
			Enc: encoding.ASCII, Pref: prefix.ASCII.LLL}),
		carrierBodyField: field.NewBinary(&field.Spec{Length: MaxFrameLimit, Description: "Packed body",
			Enc: encoding.Binary, Pref: prefix.ASCII.LLLLL}),
	},
}

// newCarrier builds the library's view of a message: its MTI, matching key and packed body.
func newCarrier(mti, key string, body []byte) *iso8583.Message {
	m := iso8583.NewMessage(carrierSpec)
	m.MTI(mti)
	if key != "" {
		_ = m.Field(carrierKeyField, key) // cannot fail: the field is in carrierSpec
	}
	if body != nil {
		_ = m.BinaryField(carrierBodyField, body)
	}
	return m
}

// carrierMTI returns the MTI of a carrier.
func carrierMTI(m *iso8583.Message) string {
	mti, _ := m.GetMTI()
	return mti
}

// matchKey identifies a request and its reply: MTI class, terminal (41), STAN (11) and
// transmission time (7). Replies echo all four, so STANs may repeat across terminals.
func matchKey(m Message) string {
	class := byte('?')
	if len(m.MTI) == 4 {
		class = m.MTI[1]
	}
	return string(class) + "|" + m.Get(41) + "|" + m.Get(11) + "|" + m.Get(7)
}

// carrierKey is the RequestIDGenerator: it returns the key a carrier was built with.
type carrierKey struct{}

func (carrierKey) GenerateRequestID(m *iso8583.Message) (string, error) {
	if m == nil {
		return "", errors.New("iso: no message to match")
	}
	key, err := m.GetString(carrierKeyField)
	if err != nil {
		return "", fmt.Errorf("getting matching key: %w", err)
	}
	if key == "" {
		return "", errors.New("iso: message has no matching key")
	}
	return key, nil
}

// frameWriter is the one-write MessageWriter: header and packed body in a single Write.
// When w has a write deadline it is set timeout from now first, so a peer that stops
// reading fails the write (and closes the connection) instead of blocking the library's
// writer, and with it every request of the connection, for ever.
type frameWriter struct{ timeout time.Duration }

func (fw frameWriter) WriteMessage(w io.Writer, m *iso8583.Message) error {
	body, err := m.GetBytes(carrierBodyField)
	if err != nil {
		return &isoerrors.PackError{Err: fmt.Errorf("getting packed body: %w", err)}
	}
	if len(body) == 0 {
		return &isoerrors.PackError{Err: ErrEmptyFrame}
	}
	if dw, ok := w.(interface{ SetWriteDeadline(time.Time) error }); ok && fw.timeout > 0 {
		if err := dw.SetWriteDeadline(time.Now().Add(fw.timeout)); err != nil {
			return fmt.Errorf("setting write deadline: %w", err)
		}
	}
	return WriteFrame(w, body)
}

// frameReader is the MessageReader: it reads one frame, unpacks it with Unpack and hands
// the decoded Message to its Client keyed by the carrier it returns. It runs on the
// library's single read goroutine, so its buffer is not shared.
type frameReader struct {
	c   *Client
	buf []byte
}

func (r *frameReader) ReadMessage(rd io.Reader) (*iso8583.Message, error) {
	body, err := ReadFrame(rd, r.buf, r.c.cfg.MaxFrameSize)
	if err != nil {
		return nil, fmt.Errorf("reading frame: %w", err)
	}
	if cap(body) > cap(r.buf) {
		r.buf = body[:0]
	}
	m, err := Unpack(body)
	if err != nil {
		// The library logs an *UnpackError and keeps reading; the request it answered,
		// if any, times out.
		return nil, &isoerrors.UnpackError{Err: err}
	}
	carrier := newCarrier(m.MTI, matchKey(m), nil)
	r.c.replies.Store(carrier, m)
	return carrier, nil
}
