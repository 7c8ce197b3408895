package loadtest

import (
	"errors"
	"fmt"

	"github.com/bandeira/bandeira/iso"
)

// maxField is the highest field number a primary plus secondary bitmap can address.
const maxField = 128

// fieldWidth is how a field occupies the wire: a fixed number of characters, or a length
// prefix of digits counting units of unit characters (2 for binary fields carried as hex).
type fieldWidth struct {
	fixed  int
	digits int
	unit   int
}

// layout is the wire shape of every field of the dialect, derived from iso.Spec so the
// generator and the codec cannot disagree.
type layout [maxField + 1]fieldWidth

// dialect is the layout of iso.Spec; newLayout is proven against iso.Pack by the tests.
var dialect = mustLayout()

func mustLayout() *layout {
	l, err := newLayout()
	if err != nil {
		panic(fmt.Sprintf("loadtest: deriving the field layout from iso.Spec: %v", err))
	}
	return l
}

// newLayout reads each field's length, prefix and encoding from iso.Spec.
func newLayout() (*layout, error) {
	var l layout
	for n, f := range iso.Spec.Fields {
		if n < 2 || n > maxField {
			continue
		}
		s := f.Spec()
		unit := 1
		if s.Enc != nil {
			if out, err := s.Enc.Encode([]byte{'A'}); err == nil && len(out) == 2 {
				unit = 2 // binary carried as hex characters
			}
		}
		w := fieldWidth{unit: unit}
		switch s.Pref.Inspect() {
		case "ASCII.Fixed":
			w.fixed = s.Length * unit
		case "ASCII.LL":
			w.digits = 2
		case "ASCII.LLL":
			w.digits = 3
		default:
			return nil, fmt.Errorf("field %d: unsupported prefix %s", n, s.Pref.Inspect())
		}
		l[n] = w
	}
	return &l, nil
}

// span is a field's value within a message body: [start, end); end == 0 means absent.
type span struct{ start, end int }

// reply is what the generator reads from a response: the MTI and the fields it matches
// and counts on.
type reply struct {
	mti                   [4]byte
	f7, f11, f39, f41, f2 span
}

// errMalformed means a frame is not a message of the dialect.
var errMalformed = errors.New("loadtest: malformed message")

// scan walks body and calls visit with each present field's number and value bounds. It
// never reads beyond body and returns errMalformed for anything the dialect cannot hold.
func (l *layout) scan(body []byte, visit func(n int, s span)) error {
	if len(body) < 20 {
		return errMalformed
	}
	bm, off, ok := readBitmaps(body)
	if !ok {
		return errMalformed
	}
	for n := 2; n <= maxField; n++ {
		if bm[(n-1)/64]&(1<<(63-uint(n-1)%64)) == 0 {
			continue
		}
		s, ok := l.field(body, off, n)
		if !ok {
			return errMalformed
		}
		visit(n, s)
		off = s.end
	}
	if off != len(body) {
		return errMalformed
	}
	return nil
}

// field returns the value bounds of field n starting at off.
func (l *layout) field(body []byte, off, n int) (span, bool) {
	w := l[n]
	switch {
	case w.fixed > 0:
		if off+w.fixed > len(body) {
			return span{}, false
		}
		return span{off, off + w.fixed}, true
	case w.digits > 0:
		if off+w.digits > len(body) {
			return span{}, false
		}
		v := 0
		for _, c := range body[off : off+w.digits] {
			if c < '0' || c > '9' {
				return span{}, false
			}
			v = v*10 + int(c-'0')
		}
		start := off + w.digits
		end := start + v*w.unit
		if end > len(body) {
			return span{}, false
		}
		return span{start, end}, true
	}
	return span{}, false // not in the dialect
}

// readBitmaps reads the bitmaps after the MTI with the codec's own reader; it returns the
// offset of the first field.
func readBitmaps(body []byte) (bm [2]uint64, off int, ok bool) {
	bm, n, err := iso.ReadBitmap(body[4:])
	return bm, 4 + n, err == nil
}

// parseReply scans a response body for the fields the generator needs.
func parseReply(body []byte) (reply, error) {
	var r reply
	if len(body) < 4 {
		return r, errMalformed
	}
	copy(r.mti[:], body[:4])
	err := dialect.scan(body, func(n int, s span) {
		switch n {
		case 2:
			r.f2 = s
		case 7:
			r.f7 = s
		case 11:
			r.f11 = s
		case 39:
			r.f39 = s
		case 41:
			r.f41 = s
		}
	})
	return r, err
}
