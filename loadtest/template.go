package loadtest

import (
	"fmt"

	"github.com/bandeira/bandeira/iso"
)

// variable is a field the generator rewrites in place in every request.
type variable uint8

const (
	varPAN          variable = iota // 2, the whole value (the template fixes its length)
	varAmount                       // 4, 12 digits
	varTime                         // 7, MMDDhhmmss GMT
	varSTAN                         // 11
	varLocalTime                    // 12, hhmmss
	varLocalDate                    // 13, MMDD
	varExpiry                       // 14, YYMM
	varRRN                          // 37, 12 characters
	varTerminal                     // 41, 8 characters
	varOriginal                     // 90, its first 20 digits: MTI, STAN, transmission time
	varInstallments                 // 48, the 3 characters after "IP003": plan digit, count
	numVariables
)

// variableField maps each variable to its field number.
var variableField = [numVariables]int{2, 4, 7, 11, 12, 13, 14, 37, 41, 90, 48}

// installmentsHeader is the start of field 48 in the installments template: tag IP and
// its 3-digit length. The value (plan digit and 2-digit count) always has 3 characters,
// so the LLLVAR field keeps its length and only the value is patched.
const installmentsHeader = "IP003"

// template is one request kind packed once: a whole frame (2-byte length header and body)
// and the frame offset of each variable field, or -1 when the message lacks it. Patching
// never changes the length. A template is read-only once built: requests copy it into a
// connection's write buffer and patch the copy.
type frameTemplate struct {
	frame []byte
	off   [numVariables]int
	width [numVariables]int
}

// newTemplate packs m through iso.Pack and locates each variable field by packing a
// variant where only that field differs in every character: the bytes that change are
// the field. Every variable field present in m must be filled to its full width.
func newTemplate(m iso.Message) (*frameTemplate, error) {
	body, err := iso.Pack(m)
	if err != nil {
		return nil, fmt.Errorf("packing the %s template: %w", m.MTI, err)
	}
	t := &frameTemplate{frame: make([]byte, 0, len(body)+2)}
	t.frame = append(t.frame, byte(len(body)>>8), byte(len(body)))
	t.frame = append(t.frame, body...)
	for v := range numVariables {
		t.off[v] = -1
		n := variableField[v]
		val, ok := m.Fields[n]
		if !ok {
			continue
		}
		from, width := 0, len(val)
		switch v {
		case varOriginal:
			width = min(len(val), 20)
		case varInstallments:
			from, width = len(installmentsHeader), 3
		}
		if len(val) < from+width {
			return nil, fmt.Errorf("locating field %d in the %s template: %d characters, want %d", n, m.MTI, len(val), from+width)
		}
		off, err := locate(m, body, n, from, width)
		if err != nil {
			return nil, err
		}
		t.off[v], t.width[v] = off+2, width
	}
	return t, nil
}

// locate finds where the width characters of field n's value from index from sit in body.
func locate(m iso.Message, body []byte, n, from, width int) (int, error) {
	variant := m.Clone()
	old := m.Fields[n]
	b := []byte(old)
	for i := from; i < from+width; i++ {
		b[i] = shift(b[i])
	}
	variant.Fields[n] = string(b)
	other, err := iso.Pack(variant)
	if err != nil || len(other) != len(body) {
		return 0, fmt.Errorf("locating field %d in the %s template: %v", n, m.MTI, err)
	}
	first, count := -1, 0
	for i := range body {
		if body[i] != other[i] {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	if count != width || first < 0 {
		return 0, fmt.Errorf("locating field %d in the %s template: %d bytes differ, want %d", n, m.MTI, count, width)
	}
	return first, nil
}

// shift changes a character within its class: digits stay digits, letters letters.
func shift(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return '0' + (c-'0'+1)%10
	case c >= 'A' && c <= 'Z':
		return 'A' + (c-'A'+1)%26
	case c >= 'a' && c <= 'z':
		return 'a' + (c-'a'+1)%26
	case c == ' ':
		return 'X'
	}
	return ' '
}

// appendTo appends the template's frame to dst and returns the extended slice and the
// offset of the copy, for patch.
func (t *frameTemplate) appendTo(dst []byte) ([]byte, int) {
	return append(dst, t.frame...), len(dst)
}

// patch writes s over variable v of the frame copy at base in buf. s must have the
// variable's width; absent variables are ignored.
func (t *frameTemplate) patch(buf []byte, base int, v variable, s []byte) {
	if off := t.off[v]; off >= 0 {
		copy(buf[base+off:base+off+t.width[v]], s)
	}
}

// patchString is patch for a string value.
func (t *frameTemplate) patchString(buf []byte, base int, v variable, s string) {
	if off := t.off[v]; off >= 0 {
		copy(buf[base+off:base+off+t.width[v]], s)
	}
}

// patchNumber writes x as zero-padded decimal digits over variable v.
func (t *frameTemplate) patchNumber(buf []byte, base int, v variable, x uint64) {
	off := t.off[v]
	if off < 0 {
		return
	}
	putDigits(buf[base+off:base+off+t.width[v]], x)
}

// putDigits writes x right-aligned in dst, zero-padded; higher digits are dropped.
func putDigits(dst []byte, x uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + x%10)
		x /= 10
	}
}
