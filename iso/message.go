package iso

import (
	"encoding/hex"
	"fmt"
	"maps"
	"math/bits"
	"strings"

	"github.com/moov-io/iso8583"

	"github.com/bandeira/bandeira"
)

// Message is a plain-data ISO 8583 message: the MTI and each present field's wire value as
// a string. Binary fields (52, 55, 64, 128) hold uppercase hex, two characters a byte.
// Bitmaps are not fields of a Message: Pack computes them from the fields present.
//
// In JSON: {"mti":"0110","fields":{"11":"000001","39":"00"}}. A Message holds secrets in
// clear (PAN, track 2, PIN block, field 48's CVV2): print it only through Describe.
// A Message is a value with a map inside: copy it with Clone before changing a shared one.
type Message struct {
	MTI    string         `json:"mti"`
	Fields map[int]string `json:"fields"`
}

// Get returns field n's value, or "" if the field is absent.
func (m Message) Get(n int) string { return m.Fields[n] }

// Set sets field n to v, allocating Fields if it is nil.
func (m *Message) Set(n int, v string) {
	if m.Fields == nil {
		m.Fields = make(map[int]string)
	}
	m.Fields[n] = v
}

// Has reports whether field n is present.
func (m Message) Has(n int) bool {
	_, ok := m.Fields[n]
	return ok
}

// Del removes field n.
func (m Message) Del(n int) { delete(m.Fields, n) }

// Clone returns a copy of m that shares no map with it.
func (m Message) Clone() Message {
	return Message{MTI: m.MTI, Fields: maps.Clone(m.Fields)}
}

// Pack encodes m as a message body (no length header): the MTI, the primary bitmap as 16
// hex characters, a secondary bitmap only when a field 65–128 is present, then the fields
// in order. Short fixed-length values are padded (numbers with leading zeros, text with
// trailing spaces). It returns a *FieldError, naming the lowest offending field, for a
// field the dialect does not define or a value that does not fit its field.
func Pack(m Message) ([]byte, error) {
	if len(m.MTI) != 4 || !bandeira.IsDigits(m.MTI) {
		return nil, fieldErr(0, "must be 4 digits")
	}
	var (
		bm     bitmap
		values [maxField + 1]string // indexed by field: one map walk, no lookups
	)
	size, undefined := 4+16, -1
	for n, v := range m.Fields {
		d := lookup(n)
		if d == nil {
			if undefined < 0 || n < undefined {
				undefined = n
			}
			continue
		}
		bm.set(n)
		values[n] = v
		size += 3 + max(len(v), d.wireMax())
	}
	if undefined >= 0 {
		return nil, fieldErr(undefined, "not defined in the Bandeira dialect")
	}
	if bm[1] != 0 {
		bm.set(1)
		size += 16
	}
	buf := make([]byte, 0, size)
	buf = append(buf, m.MTI...)
	buf = appendHex64(buf, bm[0])
	if bm[1] != 0 {
		buf = appendHex64(buf, bm[1])
	}
	for n := bm.next(1); n != 0; n = bm.next(n) {
		var reason string
		if buf, reason = defs[n].appendWire(buf, values[n]); reason != "" {
			return nil, fieldErr(n, reason)
		}
	}
	return buf, nil
}

// Unpack decodes a message body (no length header). It never panics, reads nothing
// beyond b, and allocates about len(b) plus the field map. Any error is an *UnpackError
// whose MTI is set when the first 4 bytes were digits. It rejects a field the dialect
// does not define, a tertiary bitmap, a bad length prefix, non-hex binary data, non-ASCII
// text and bytes left after the last field; it does not check field content (letters in
// a numeric field): ToAuthorization does.
func Unpack(b []byte) (Message, error) {
	if len(b) < 4 {
		return Message{}, &UnpackError{Reason: "message shorter than the 4-digit MTI"}
	}
	if _, ok := parseDigits(b[:4]); !ok {
		return Message{}, &UnpackError{Reason: "MTI is not 4 digits"}
	}
	bm, off, uerr := readBitmap(b[4:])
	if uerr != nil {
		uerr.MTI = string(b[:4])
		return Message{}, uerr
	}
	off += 4
	var spans [maxField + 1][2]int
	count := 0
	for n := bm.next(1); n != 0; n = bm.next(n) {
		d := lookup(n)
		if d == nil {
			return Message{}, &UnpackError{MTI: string(b[:4]), Field: n, Reason: "not defined in the Bandeira dialect"}
		}
		start, end, reason := d.scan(b[off:])
		if reason != "" {
			return Message{}, &UnpackError{MTI: string(b[:4]), Field: n, Reason: reason}
		}
		spans[n] = [2]int{off + start, off + end}
		off += end
		count++
	}
	if off != len(b) {
		return Message{}, &UnpackError{MTI: string(b[:4]), Reason: fmt.Sprintf("%d bytes left after the last field", len(b)-off)}
	}
	s := string(b) // one copy; every value is a substring of it
	m := Message{MTI: s[:4], Fields: make(map[int]string, count)}
	for n := bm.next(1); n != 0; n = bm.next(n) {
		v := s[spans[n][0]:spans[n][1]]
		if defs[n].content == binary {
			v = strings.ToUpper(v) // no copy when already uppercase
		}
		m.Fields[n] = v
	}
	return m, nil
}

// bitmap holds the primary (word 0: fields 1–64) and secondary (word 1: fields 65–128)
// bitmaps; field n is bit 63-(n-1)%64 of word (n-1)/64, as on the wire.
type bitmap [2]uint64

func (bm *bitmap) set(n int) { bm[(n-1)/64] |= 1 << (63 - uint(n-1)%64) }

// next returns the lowest field number above after whose bit is set, or 0 if none.
func (bm *bitmap) next(after int) int {
	for i := after; i < maxField; i = (i/64 + 1) * 64 {
		if x := bm[i/64] << (uint(i) % 64); x != 0 {
			return i + bits.LeadingZeros64(x) + 1
		}
	}
	return 0
}

// ReadBitmap reads the bitmaps at the start of b, the body after the MTI: the primary and,
// when its bit 1 is set, the secondary. It returns them as two words, message bit 1 being
// the top bit of the first, and the number of bytes read. A failure is an *UnpackError;
// only a failure allocates. Tools that scan messages without unpacking them (loadtest)
// use it so that they read bitmaps exactly as the codec does.
func ReadBitmap(b []byte) ([2]uint64, int, error) {
	bm, n, err := readBitmap(b)
	if err != nil {
		return bm, 0, err
	}
	return bm, n, nil
}

// readBitmap reads the primary bitmap and, when bit 1 is set, the secondary one. It
// returns the bitmap and the number of bytes read.
func readBitmap(b []byte) (bitmap, int, *UnpackError) {
	var bm bitmap
	if len(b) < 16 {
		return bm, 0, &UnpackError{Field: 1, Reason: "message ends inside the primary bitmap"}
	}
	var ok bool
	if bm[0], ok = parseHex64(b[:16]); !ok {
		return bm, 0, &UnpackError{Field: 1, Reason: "primary bitmap is not 16 hex characters"}
	}
	if bm[0]&(1<<63) == 0 {
		return bm, 16, nil
	}
	if len(b) < 32 {
		return bm, 0, &UnpackError{Field: 1, Reason: "bit 1 is set but the secondary bitmap is missing"}
	}
	if bm[1], ok = parseHex64(b[16:32]); !ok {
		return bm, 0, &UnpackError{Field: 1, Reason: "secondary bitmap is not 16 hex characters"}
	}
	if bm[1]&(1<<63) != 0 {
		return bm, 0, &UnpackError{Field: 65, Reason: "tertiary bitmaps are not supported"}
	}
	return bm, 32, nil
}

// parseHex64 parses exactly 16 hex characters, in either case.
func parseHex64(b []byte) (uint64, bool) {
	var x uint64
	for _, c := range b {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return 0, false
		}
		x = x<<4 | uint64(v)
	}
	return x, len(b) == 16
}

// appendHex64 appends x as 16 uppercase hex characters.
func appendHex64(dst []byte, x uint64) []byte {
	const digits = "0123456789ABCDEF"
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, digits[x>>uint(shift)&0xF])
	}
	return dst
}

// ToISO8583 converts m into a moov message of Spec, for iso8583-connection. It returns a
// *FieldError for a field the dialect does not define or binary data that is not hex;
// values that do not fit their field fail later, when moov packs the message.
func ToISO8583(m Message) (*iso8583.Message, error) {
	msg := iso8583.NewMessage(Spec)
	msg.MTI(m.MTI)
	for n, v := range m.Fields {
		d := lookup(n)
		if d == nil {
			return nil, fieldErr(n, "not defined in the Bandeira dialect")
		}
		var err error
		if d.content == binary {
			raw, herr := hex.DecodeString(v)
			if herr != nil {
				return nil, fieldErr(n, "is not hexadecimal")
			}
			err = msg.BinaryField(n, raw)
		} else {
			err = msg.Field(n, v)
		}
		if err != nil {
			return nil, fieldErr(n, "cannot be set in the moov message")
		}
	}
	return msg, nil
}

// FromISO8583 converts a moov message built on Spec into a Message.
func FromISO8583(msg *iso8583.Message) (Message, error) {
	mti, err := msg.GetMTI()
	if err != nil {
		return Message{}, fieldErr(0, "cannot be read from the moov message")
	}
	fields := msg.GetFields()
	m := Message{MTI: mti, Fields: make(map[int]string, len(fields))}
	for n, f := range fields {
		if n < 2 { // MTI and bitmap
			continue
		}
		v, err := f.String()
		if err != nil {
			return Message{}, fieldErr(n, "cannot be read from the moov message")
		}
		m.Fields[n] = v
	}
	return m, nil
}
