package iso

import (
	"fmt"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/encoding"
	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/prefix"
)

// Spec is Bandeira's ISO 8583:1987 ASCII dialect as a moov-io/iso8583 message spec, for
// iso8583-connection and iso8583.Describe. It is built from the same field table as Pack
// and Unpack, and the golden tests prove both agree byte for byte.
//
// Fixed-length fields are padded on pack (numeric left with zeros, text right with spaces)
// and never unpadded on unpack, so a message round-trips with its wire values unchanged.
// Binary fields (52, 55, 64, 128) hold uppercase hex strings. Spec is read-only: do not
// modify it.
var Spec = moovSpec(true)

// content is the ISO 8583 content class of a field.
type content uint8

const (
	numeric content = iota + 1 // n: decimal digits
	alpha                      // an: letters and digits
	text                       // ans: any printable ASCII
	track                      // z: track-2 characters
	binary                     // b: bytes, carried as uppercase hex characters
)

// lengthKind says how a field's length is known.
type lengthKind uint8

const (
	fixed  lengthKind = iota // the spec gives the length
	llvar                    // 2-digit ASCII length prefix
	lllvar                   // 3-digit ASCII length prefix
)

// fieldDef is one data element of the dialect. For binary fields max counts bytes; on the
// wire and in a Message each byte is two hex characters.
type fieldDef struct {
	num     int
	name    string
	content content
	kind    lengthKind
	max     int
}

// fieldDefs is the dialect: the one definition that Spec, Pack and Unpack share.
var fieldDefs = [...]fieldDef{
	{2, "Primary account number", numeric, llvar, 19},
	{3, "Processing code", numeric, fixed, 6},
	{4, "Amount, transaction", numeric, fixed, 12},
	{7, "Transmission date and time", numeric, fixed, 10},
	{11, "System trace audit number", numeric, fixed, 6},
	{12, "Local transaction time", numeric, fixed, 6},
	{13, "Local transaction date", numeric, fixed, 4},
	{14, "Expiration date", numeric, fixed, 4},
	{18, "Merchant category code", numeric, fixed, 4},
	{19, "Acquiring institution country code", numeric, fixed, 3},
	{22, "POS entry mode", numeric, fixed, 3},
	{25, "POS condition code", numeric, fixed, 2},
	{32, "Acquiring institution ID", numeric, llvar, 11},
	{33, "Forwarding institution ID", numeric, llvar, 11},
	{35, "Track 2 data", track, llvar, 37},
	{37, "Retrieval reference number", alpha, fixed, 12},
	{38, "Authorization ID response", alpha, fixed, 6},
	{39, "Response code", alpha, fixed, 2},
	{41, "Card acceptor terminal ID", text, fixed, 8},
	{42, "Card acceptor ID", text, fixed, 15},
	{43, "Card acceptor name/location", text, fixed, 40},
	{44, "Additional response data", alpha, llvar, 25},
	{48, "Additional data, private (TLV)", text, lllvar, 999},
	{49, "Currency code, transaction", numeric, fixed, 3},
	{52, "PIN data", binary, fixed, 8},
	{53, "Security related control information", numeric, fixed, 16},
	{54, "Additional amounts", alpha, lllvar, 120},
	{55, "ICC data", binary, lllvar, 255},
	{62, "Private use", text, lllvar, 999},
	{63, "Private use", text, lllvar, 999},
	{64, "Message authentication code", binary, fixed, 8},
	{70, "Network management information code", numeric, fixed, 3},
	{90, "Original data elements", numeric, fixed, 42},
	{95, "Replacement amounts", alpha, fixed, 42},
	{100, "Receiving institution ID", numeric, llvar, 11},
	{128, "Message authentication code", binary, fixed, 8},
}

// maxField is the highest field number a primary plus secondary bitmap can address.
const maxField = 128

// defs indexes fieldDefs by field number; nil means the field is not in the dialect.
var defs = func() (t [maxField + 1]*fieldDef) {
	for i := range fieldDefs {
		t[fieldDefs[i].num] = &fieldDefs[i]
	}
	return t
}()

// lookup returns the definition of field n, or nil if the dialect does not define it.
func lookup(n int) *fieldDef {
	if n < 0 || n > maxField {
		return nil
	}
	return defs[n]
}

// wireMax is the longest value the field can carry, in Message characters.
func (d *fieldDef) wireMax() int {
	if d.content == binary {
		return 2 * d.max
	}
	return d.max
}

// padByte is the fill of a short fixed-length value: zeros on the left of numbers,
// spaces on the right of text. Binary fields are never padded.
func (d *fieldDef) padByte() (pad byte, left bool) {
	if d.content == numeric {
		return '0', true
	}
	return ' ', false
}

// moovSpec builds the dialect as a moov spec. Without padding, fixed-length fields must
// be given at their full length to pack; that is the spec shipped as iso/spec.json for
// moov's own tools, which only unpack (docs/spec.md).
func moovSpec(padded bool) *iso8583.MessageSpec {
	fields := map[int]field.Field{
		0: field.NewString(&field.Spec{
			Length:      4,
			Description: "Message type indicator",
			Enc:         encoding.ASCII,
			Pref:        prefix.ASCII.Fixed,
		}),
		1: field.NewBitmap(&field.Spec{
			Length:      8,
			Description: "Bitmap",
			Enc:         encoding.BytesToASCIIHex,
			Pref:        prefix.Hex.Fixed,
		}),
	}
	for i := range fieldDefs {
		d := &fieldDefs[i]
		fields[d.num] = d.moovField(padded)
	}
	return &iso8583.MessageSpec{Name: "Bandeira ISO 8583:1987 ASCII", Fields: fields}
}

// moovField returns the moov field type equivalent to d; padded pads short fixed-length
// values on pack (see padOnly).
func (d *fieldDef) moovField(padded bool) field.Field {
	pref := map[lengthKind]prefix.Prefixer{
		fixed:  prefix.ASCII.Fixed,
		llvar:  prefix.ASCII.LL,
		lllvar: prefix.ASCII.LLL,
	}[d.kind]
	if d.content == binary {
		return field.NewHex(&field.Spec{
			Length:      d.max,
			Description: d.name,
			Enc:         encoding.BytesToASCIIHex,
			Pref:        pref,
		})
	}
	spec := &field.Spec{
		Length:      d.max,
		Description: d.name,
		Enc:         encoding.ASCII,
		Pref:        pref,
	}
	if d.kind == fixed && padded {
		pad, left := d.padByte()
		spec.Pad = padOnly{pad: pad, left: left}
	}
	return field.NewString(spec)
}

// padOnly pads short fixed-length values when packing and leaves values untouched when
// unpacking: moov's own padders strip on unpack, which turns processing code "000000"
// into "" and breaks the round trip.
type padOnly struct {
	pad  byte
	left bool
}

// Pad fills data up to length with the pad byte.
func (p padOnly) Pad(data []byte, length int) []byte {
	if len(data) >= length {
		return data
	}
	out := make([]byte, 0, length)
	if !p.left {
		out = append(out, data...)
	}
	for range length - len(data) {
		out = append(out, p.pad)
	}
	if p.left {
		out = append(out, data...)
	}
	return out
}

// Unpad returns data unchanged.
func (p padOnly) Unpad(data []byte) []byte { return data }

// Inspect returns the pad byte.
func (p padOnly) Inspect() []byte { return []byte{p.pad} }

// appendWire appends v to dst in wire form: length prefix, padding and hex case applied.
// It returns a reason, and dst unusable, when v cannot be packed in this field.
func (d *fieldDef) appendWire(dst []byte, v string) ([]byte, string) {
	if len(v) > d.wireMax() {
		return dst, fmt.Sprintf("longer than %d characters", d.wireMax())
	}
	if d.content == binary {
		return d.appendHex(dst, v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] > 127 {
			return dst, "contains a non-ASCII byte"
		}
	}
	if d.kind != fixed {
		return append(appendLength(dst, d.kind, len(v)), v...), ""
	}
	pad, left := d.padByte()
	if !left {
		dst = append(dst, v...)
	}
	for range d.max - len(v) {
		dst = append(dst, pad)
	}
	if left {
		dst = append(dst, v...)
	}
	return dst, ""
}

// appendHex appends a binary field's hex string, in uppercase, after its length prefix.
func (d *fieldDef) appendHex(dst []byte, v string) ([]byte, string) {
	if d.kind == fixed && len(v) != d.wireMax() {
		return dst, fmt.Sprintf("must be %d hex characters", d.wireMax())
	}
	if len(v)%2 != 0 {
		return dst, "has an odd number of hex characters"
	}
	if d.kind != fixed {
		dst = appendLength(dst, d.kind, len(v)/2)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
		case c >= 'a' && c <= 'f':
			c -= 'a' - 'A'
		default:
			return dst, "is not hexadecimal"
		}
		dst = append(dst, c)
	}
	return dst, ""
}

// appendLength appends an LL or LLL length prefix; n fits because callers checked max.
func appendLength(dst []byte, kind lengthKind, n int) []byte {
	if kind == lllvar {
		dst = append(dst, byte('0'+n/100))
	}
	return append(dst, byte('0'+n/10%10), byte('0'+n%10))
}

// scan finds the field at the start of b and returns the value's bounds within b, the
// number of bytes the field occupies, and a reason when the bytes are not a valid field.
// It allocates only when it fails.
func (d *fieldDef) scan(b []byte) (start, end int, reason string) {
	length := d.wireMax()
	if d.kind != fixed {
		digits := 2
		if d.kind == lllvar {
			digits = 3
		}
		if len(b) < digits {
			return 0, 0, "message ends inside the length prefix"
		}
		n, ok := parseDigits(b[:digits])
		if !ok {
			return 0, 0, fmt.Sprintf("length prefix is not %d digits", digits)
		}
		if n > d.max {
			return 0, 0, fmt.Sprintf("length %d exceeds the maximum %d", n, d.max)
		}
		start, length = digits, n
		if d.content == binary {
			length *= 2
		}
	}
	if len(b)-start < length {
		return 0, 0, fmt.Sprintf("message ends inside the field (%d of %d bytes)", len(b)-start, length)
	}
	end = start + length
	if d.content == binary {
		if !isHex(b[start:end]) {
			return 0, 0, "is not hexadecimal"
		}
		return start, end, ""
	}
	for _, c := range b[start:end] {
		if c > 127 {
			return 0, 0, "contains a non-ASCII byte"
		}
	}
	return start, end, ""
}

// parseDigits parses a short run of ASCII digits; ok is false for anything else.
func parseDigits[T string | []byte](b T) (n int, ok bool) {
	if len(b) == 0 {
		return 0, false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// isHex reports whether b is all hex digits, in either case.
func isHex[T string | []byte](b T) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
