package iso

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMessageAccessors(t *testing.T) {
	t.Run("Set allocates the field map of a zero Message", func(t *testing.T) {
		var m Message
		require.False(t, m.Has(11))
		require.Equal(t, "", m.Get(11))
		m.Set(11, "000001")
		require.True(t, m.Has(11))
		require.Equal(t, "000001", m.Get(11))
		m.Del(11)
		require.False(t, m.Has(11))
	})
	t.Run("Clone shares no map with the original", func(t *testing.T) {
		m := msg("0100", map[int]string{11: "000001"})
		c := m.Clone()
		c.Set(11, "000002")
		require.Equal(t, "000001", m.Get(11))
	})
	t.Run("marshals to the documented JSON", func(t *testing.T) {
		b, err := json.Marshal(msg("0110", map[int]string{11: "000001", 39: "00"}))
		require.NoError(t, err)
		require.JSONEq(t, `{"mti":"0110","fields":{"11":"000001","39":"00"}}`, string(b))
		var back Message
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, "00", back.Get(39))
	})
}

func TestPackBitmaps(t *testing.T) {
	cases := []struct {
		name   string
		fields map[int]string
		want   string
	}{
		{"writes only the primary bitmap without fields above 64", map[int]string{3: "000000", 64: "0011223344556677"},
			"0100" + "2000000000000001" + "000000" + "0011223344556677"},
		{"writes a secondary bitmap and sets bit 1 for field 70", map[int]string{70: "301"},
			"0800" + "8000000000000000" + "0400000000000000" + "301"},
		{"sets bit 128 in the secondary bitmap", map[int]string{128: "00112233445566FF"},
			"0800" + "8000000000000000" + "0000000000000001" + "00112233445566FF"},
		{"writes an empty bitmap for a message without fields", nil, "0800" + "0000000000000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Pack(Message{MTI: c.want[:4], Fields: c.fields})
			require.NoError(t, err)
			require.Equal(t, c.want, string(b))
		})
	}
}

func TestPackRejects(t *testing.T) {
	cases := []struct {
		name  string
		in    Message
		field int
	}{
		{"an MTI of 3 digits", msg("010", nil), 0},
		{"an MTI with a letter", msg("01A0", nil), 0},
		{"a field outside the dialect", msg("0100", map[int]string{5: "x", 3: "000000"}), 5},
		{"the lowest of several undefined fields", msg("0100", map[int]string{9: "x", 6: "x"}), 6},
		{"field 1, which Pack computes", msg("0100", map[int]string{1: "x"}), 1},
		{"a PAN of 20 digits", msg("0100", map[int]string{2: "40000101000000180000"}), 2},
		{"an amount of 13 digits", msg("0100", map[int]string{4: "1000000000000"}), 4},
		{"a PIN block of 15 hex characters", msg("0200", map[int]string{52: "0123456789ABCDE"}), 52},
		{"a PIN block that is not hex", msg("0200", map[int]string{52: "0123456789ABCDEG"}), 52},
		{"ICC data of odd length", msg("0200", map[int]string{55: "9F2"}), 55},
		{"ICC data longer than 255 bytes", msg("0200", map[int]string{55: strings.Repeat("AB", 256)}), 55},
		{"a non-ASCII merchant name", msg("0100", map[int]string{43: "PADARIA SÃO JOSÉ"}), 43},
		{"field 48 over 999 characters", msg("0100", map[int]string{48: strings.Repeat("x", 1000)}), 48},
	}
	for _, c := range cases {
		t.Run("rejects "+c.name, func(t *testing.T) {
			_, err := Pack(c.in)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, c.field, fe.Field)
			for _, v := range c.in.Fields {
				if len(v) > 2 {
					require.NotContains(t, err.Error(), v)
				}
			}
		})
	}
	t.Run("writes lowercase hex in uppercase", func(t *testing.T) {
		b, err := Pack(msg("0200", map[int]string{52: "8f3a5c7e9b1d2f40", 55: "9f2701"}))
		require.NoError(t, err)
		require.True(t, bytes.HasSuffix(b, []byte("8F3A5C7E9B1D2F40"+"003"+"9F2701")))
	})
}

// pathological are malformed bodies from the catalogue of docs/spec.md ("Malformed
// input"), with the UnpackError each must produce.
var pathological = []struct {
	name  string
	body  string
	mti   string
	field int
}{
	{"an empty body", "", "", 0},
	{"a body shorter than the MTI", "010", "", 0},
	{"an MTI with a letter", "01A0" + "2000000000000000" + "000000", "", 0},
	{"a body that ends inside the bitmap", "0100" + "20000000", "0100", 1},
	{"a bitmap that is not hex", "0100" + "20000000000000ZZ" + "000000", "0100", 1},
	{"bit 1 set with no secondary bitmap", "0400" + "8000000000000000", "0400", 1},
	{"a secondary bitmap that is not hex", "0400" + "8000000000000000" + "00000000000000XY", "0400", 1},
	{"bit 65 set, announcing a tertiary bitmap", "0400" + "8000000000000000" + "8000000000000000" + "0000000000000000", "0400", 65},
	{"a bitmap with an undefined field", "0100" + "0800000000000000" + "000000000000", "0100", 5},
	{"an undefined field in the secondary bitmap", "0400" + "8000000000000000" + "4000000000000000" + "x", "0400", 66},
	{"an LLVAR PAN claiming 99 bytes", "0100" + "4000000000000000" + "99" + "4000010100000018", "0100", 2},
	{"an LL prefix with a letter", "0100" + "4000000000000000" + "1A" + "4000010100000018", "0100", 2},
	{"a negative-looking LL prefix", "0100" + "4000000000000000" + "-3" + "400", "0100", 2},
	{"an LLL field of 999 with 10 bytes present", "0100" + "0000000000010000" + "999" + "0123456789", "0100", 48},
	{"a body that ends inside the length prefix", "0100" + "4000000000000000" + "1", "0100", 2},
	{"a bitmap promising a field the body lacks", "0100" + "2000000000000000", "0100", 3},
	{"a fixed field cut short", "0100" + "2000000000000000" + "0000", "0100", 3},
	{"a PIN block that is not hex", "0200" + "0000000000001000" + "0123456789ABCDEX", "0200", 52},
	{"a non-ASCII byte", "0100" + "0000000000800000" + "TERM000\xff", "0100", 41},
	{"bytes after the last field", "0100" + "2000000000000000" + "000000" + "XYZ", "0100", 0},
	{"a response MTI with garbage after it", "0110" + strings.Repeat("\x00", 40), "0110", 1},
}

func TestUnpackRejects(t *testing.T) {
	for _, c := range pathological {
		t.Run("rejects "+c.name, func(t *testing.T) {
			m, err := Unpack([]byte(c.body))
			var ue *UnpackError
			require.ErrorAs(t, err, &ue, "got %+v", m)
			require.Equal(t, c.mti, ue.MTI)
			require.Equal(t, c.field, ue.Field, ue.Reason)
			require.NotEmpty(t, ue.Reason)
			require.NotContains(t, err.Error(), "4000010100000018")
			require.NotContains(t, err.Error(), "0123456789")
		})
	}
}

func TestUnpackAccepts(t *testing.T) {
	t.Run("reads lowercase hex bitmaps and binary fields, returning uppercase", func(t *testing.T) {
		m, err := Unpack([]byte("0200" + "0000000000001000" + "8f3a5c7e9b1d2f40"))
		require.NoError(t, err)
		require.Equal(t, "8F3A5C7E9B1D2F40", m.Get(52))
		m, err = Unpack([]byte("0800" + "8000000000000000" + "0400000000000000" + "301"))
		require.NoError(t, err)
		require.Equal(t, "301", m.Get(70))
	})
	t.Run("keeps letters in numeric fields for ToAuthorization to judge", func(t *testing.T) {
		m, err := Unpack([]byte("0100" + "1000000000000000" + "00000000A000"))
		require.NoError(t, err)
		require.Equal(t, "00000000A000", m.Get(4))
	})
	t.Run("accepts an all-zero secondary bitmap", func(t *testing.T) {
		m, err := Unpack([]byte("0100" + "A000000000000000" + "0000000000000000" + "000000"))
		require.NoError(t, err)
		require.Equal(t, map[int]string{3: "000000"}, m.Fields)
	})
	t.Run("keeps values intact when the input buffer is reused", func(t *testing.T) {
		buf := readGolden(t, "0100")
		m, err := Unpack(buf)
		require.NoError(t, err)
		for i := range buf {
			buf[i] = 'x'
		}
		require.Equal(t, "000001", m.Get(11))
	})
}

func TestUnpackErrorText(t *testing.T) {
	cases := []struct {
		err  *UnpackError
		want string
	}{
		{&UnpackError{Field: 0, Reason: "MTI is not 4 digits"}, "iso: unpacking message: MTI is not 4 digits"},
		{&UnpackError{MTI: "0100", Field: 1, Reason: "r"}, "iso: unpacking bitmap: r"},
		{&UnpackError{MTI: "0100", Field: 2, Reason: "r"}, "iso: unpacking field 2: r"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.err.Error())
	}
	require.Equal(t, "iso: field 4: r", (&FieldError{Field: 4, Reason: "r"}).Error())
	require.Equal(t, "iso: MTI: r", (&FieldError{Reason: "r"}).Error())
}

func TestDescribe(t *testing.T) {
	t.Run("masks the PAN and hides every secret", func(t *testing.T) {
		m := goldenCases()[4].msg.Clone() // 0200: track 2, PIN block, ICC data
		m.Set(48, "CV0039871X004abcdIP003106")
		m.Set(64, "00112233AABBCCDD")
		m.Set(128, "FEDCBA9876543210")
		m.Set(45, "B4000010200000025^TEST") // outside the dialect
		var out bytes.Buffer
		require.NoError(t, Describe(&out, m))
		s := out.String()
		require.Contains(t, s, "400001******0025")
		require.Contains(t, s, "1X=abcd")
		require.Contains(t, s, "IP=106")
		require.Contains(t, s, "CV=[hidden]")
		require.Contains(t, s, "F2 Primary account number")
		for _, secret := range []string{"4000010200000025", "987", "29012011234500000", "8F3A5C7E9B1D2F40",
			"9F2608", "00112233AABBCCDD", "FEDCBA9876543210", "TEST"} {
			require.NotContains(t, s, secret)
		}
		require.Less(t, strings.Index(s, "F2 "), strings.Index(s, "F128 "), "fields in order")
	})
	t.Run("hides a field 48 that is not valid TLV", func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, Describe(&out, msg("0100", map[int]string{48: "CV9991234"})))
		require.NotContains(t, out.String(), "1234")
		require.Contains(t, out.String(), "malformed")
	})
	t.Run("returns the writer's error", func(t *testing.T) {
		err := Describe(failingWriter{}, goldenCases()[0].msg)
		require.ErrorIs(t, err, errWrite)
	})
}

var errWrite = errors.New("write failed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestMoovConversion(t *testing.T) {
	t.Run("ToISO8583 rejects a field outside the dialect and non-hex binary data", func(t *testing.T) {
		_, err := ToISO8583(msg("0100", map[int]string{5: "1"}))
		var fe *FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, 5, fe.Field)
		_, err = ToISO8583(msg("0200", map[int]string{52: "zz"}))
		require.ErrorAs(t, err, &fe)
		require.Equal(t, 52, fe.Field)
	})
}

// unpackBytes returns the bytes the heap grows by for one Unpack of b, averaged.
func unpackBytes(b []byte) uint64 {
	const runs = 50
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		_, _ = Unpack(b)
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

func TestUnpackAllocationIsBounded(t *testing.T) {
	inputs := map[string][]byte{
		"8 KiB of nines":                bytes.Repeat([]byte("9"), 8192),
		"8 KiB of F":                    bytes.Repeat([]byte("F"), 8192),
		"8 KiB field 48 after 0100":     []byte("0100" + "0000000000010000" + "999" + strings.Repeat("A", 8192-23)),
		"a golden 0420 padded to 8 KiB": append(readGolden(t, "0420"), bytes.Repeat([]byte("0"), 8192-len(readGolden(t, "0420")))...),
	}
	for _, c := range goldenCases() {
		inputs["golden "+c.name] = readGolden(t, c.name)
	}
	for _, p := range pathological {
		inputs[p.name] = []byte(p.body)
	}
	// The largest valid body the dialect allows: every field at its maximum.
	big := Message{MTI: "0100", Fields: map[int]string{}}
	for _, d := range fieldDefs {
		v := strings.Repeat("1", d.wireMax())
		big.Fields[d.num] = v
	}
	packed, err := Pack(big)
	require.NoError(t, err)
	inputs["every field at its maximum"] = packed

	for name, in := range inputs {
		t.Run("allocates under 64 KiB for "+name, func(t *testing.T) {
			n := unpackBytes(in)
			t.Logf("%d bytes a call", n)
			require.Less(t, n, uint64(64<<10))
		})
	}
	t.Run("allocates nothing but the error for a rejected 8 KiB body", func(t *testing.T) {
		require.Less(t, unpackBytes(inputs["8 KiB field 48 after 0100"]), uint64(1<<10))
	})
}

func FuzzUnpack(f *testing.F) {
	for _, c := range goldenCases() {
		f.Add(readGolden(f, c.name))
	}
	for _, p := range pathological {
		f.Add([]byte(p.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Unpack(b)
		if err != nil {
			var ue *UnpackError
			require.ErrorAs(t, err, &ue)
			return
		}
		packed, err := Pack(m)
		require.NoError(t, err, "an unpacked message must pack")
		again, err := Unpack(packed)
		require.NoError(t, err)
		require.Equal(t, m, again)

		// Nothing downstream of Unpack may panic on what it accepted.
		_, _ = ToAuthorization(m)
		_, _ = ToResult(m)
		require.NoError(t, Describe(io.Discard, m))
		_, _ = Pack(Respond(m, goldenResult))
	})
}

func BenchmarkPack(b *testing.B) {
	m := goldenCases()[0].msg
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Pack(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnpack(b *testing.B) {
	body := readGolden(b, "0100")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Unpack(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMoovPackUnpack is the same 0100 through moov's Message and Spec, for scale.
func BenchmarkMoovPackUnpack(b *testing.B) {
	body := readGolden(b, "0100")
	b.ReportAllocs()
	for b.Loop() {
		mm, err := ToISO8583(goldenCases()[0].msg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mm.Pack(); err != nil {
			b.Fatal(err)
		}
		if err := mm.Unpack(body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReadBitmap(t *testing.T) {
	t.Run("reads a primary bitmap and reports a nil error", func(t *testing.T) {
		bm, n, err := ReadBitmap([]byte("7234054128C08000rest"))
		require.NoError(t, err)
		require.Nil(t, err, "a plain nil, not a typed nil *UnpackError")
		require.Equal(t, 16, n)
		require.Equal(t, uint64(0x7234054128C08000), bm[0])
	})
	t.Run("reads the secondary bitmap when bit 1 is set", func(t *testing.T) {
		bm, n, err := ReadBitmap([]byte("F2340541288080000000004000000000"))
		require.NoError(t, err)
		require.Equal(t, 32, n)
		require.Equal(t, uint64(0x0000004000000000), bm[1])
	})
	t.Run("fails with an UnpackError on a bitmap that is not hex", func(t *testing.T) {
		_, _, err := ReadBitmap([]byte("72340541ZZC08000"))
		var ue *UnpackError
		require.ErrorAs(t, err, &ue)
		require.Equal(t, 1, ue.Field)
	})
}
