package iso

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moov-io/iso8583"
	"github.com/stretchr/testify/require"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files iso/testdata/*.hex")

// goldenCase is one golden message: testdata/<name>.hex holds the hex of its packed body.
type goldenCase struct {
	name string
	msg  Message
}

func msg(mti string, fields map[int]string) Message { return Message{MTI: mti, Fields: fields} }

// goldenCases covers every MTI pair of the dialect and every field of the spec.
func goldenCases() []goldenCase {
	return []goldenCase{
		{"0100", msg("0100", map[int]string{
			2: "4000010100000018", 3: "000000", 4: "000000015000", 7: "1126143005", 11: "000001",
			12: "113005", 13: "1126", 14: "2812", 18: "5411", 19: "076", 22: "812", 25: "59",
			32: "12345", 37: "533014000001", 41: "TERM0001", 42: "MERCHANT0000001",
			43: fmt.Sprintf("%-22s%-13s%-5s", "LOJA TESTE BANDEIRA", "SAO PAULO", "BRA"), 48: "CV003123IP003106", 49: "986",
		})},
		{"0110", msg("0110", map[int]string{
			2: "4000010100000018", 3: "000000", 4: "000000015000", 7: "1126143005", 11: "000001",
			12: "113005", 13: "1126", 32: "12345", 37: "533014000001", 38: "A1B2C3", 39: "00",
			41: "TERM0001", 42: "MERCHANT0000001", 49: "986",
		})},
		{"0110_balance", msg("0110", map[int]string{
			2: "4000010200000025", 3: "310000", 7: "1126143100", 11: "000002", 32: "12345",
			37: "533014000002", 38: "000000", 39: "00", 41: "TERM0001", 42: "MERCHANT0000001", 49: "986",
			54: "000198" + "6C000000250075" + "000298" + "6D000000001050",
		})},
		{"0120", msg("0120", map[int]string{
			2: "5260010100000036", 3: "000000", 4: "000000009990", 7: "1126150000", 11: "000003",
			32: "12345", 33: "76543210", 37: "533015000003", 38: "STIP01", 39: "00",
			41: "TERM0002", 44: "2", 42: "MERCHANT0000002", 49: "986", 62: "STANDIN=1", 63: "NETREF 0001",
			64: "00112233AABBCCDD",
		})},
		{"0200", msg("0200", map[int]string{
			2: "4000010200000025", 3: "000000", 4: "000000004590", 7: "1126143200", 11: "000004",
			12: "113200", 13: "1126", 14: "2901", 18: "5812", 22: "051", 25: "00", 32: "12345",
			35: "4000010200000025=29012011234500000", 37: "533014000004", 41: "TERM0001",
			42: "MERCHANT0000001", 49: "986", 52: "8F3A5C7E9B1D2F40", 53: "2001010100000000",
			55: "9F2608A1B2C3D4E5F607089F2701809F360200A1",
		})},
		{"0210", msg("0210", map[int]string{
			2: "4000010200000025", 3: "000000", 4: "000000004590", 7: "1126143200", 11: "000004",
			12: "113200", 13: "1126", 32: "12345", 37: "533014000004", 38: "D4E5F6", 39: "00",
			41: "TERM0001", 42: "MERCHANT0000001", 49: "986",
		})},
		{"0400", msg("0400", map[int]string{
			2: "4000010100000018", 3: "000000", 4: "000000015000", 7: "1126143105", 11: "000005",
			32: "12345", 37: "533014000001", 41: "TERM0001", 42: "MERCHANT0000001", 49: "986",
			90: "0100" + "000001" + "1126143005" + "00000012345" + "00000000000",
		})},
		{"0410", msg("0410", map[int]string{
			2: "4000010100000018", 3: "000000", 4: "000000015000", 7: "1126143105", 11: "000005",
			32: "12345", 37: "533014000001", 39: "00", 41: "TERM0001", 42: "MERCHANT0000001", 49: "986",
			90: "0100" + "000001" + "1126143005" + "00000012345" + "00000000000",
		})},
		{"0420", msg("0420", map[int]string{
			2: "5260010100000036", 3: "000000", 4: "000000009990", 7: "1126150500", 11: "000006",
			32: "12345", 37: "533015000003", 41: "TERM0002", 42: "MERCHANT0000002", 49: "986",
			90:  "0100" + "000003" + "1126150000" + "00000012345" + "00076543210",
			95:  "000000004000" + "000000004000" + "000000004000" + "000000",
			100: "260", 128: "FEDCBA9876543210",
		})},
		{"0800", msg("0800", map[int]string{7: "1126140000", 11: "000007", 70: "301"})},
		{"0810", msg("0810", map[int]string{7: "1126140000", 11: "000007", 39: "00", 70: "301"})},
	}
}

func goldenPath(name string) string { return filepath.Join("testdata", name+".hex") }

// readGolden returns the packed body stored in testdata/<name>.hex.
func readGolden(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(goldenPath(name))
	require.NoError(tb, err, "run go test ./iso -run TestGolden -update to create it")
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	require.NoError(tb, err)
	return b
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run("packs and unpacks "+c.name+" exactly as the golden file", func(t *testing.T) {
			packed, err := Pack(c.msg)
			require.NoError(t, err)
			if *updateGolden {
				require.NoError(t, os.WriteFile(goldenPath(c.name), []byte(hex.EncodeToString(packed)+"\n"), 0o644))
			}
			golden := readGolden(t, c.name)
			require.Equal(t, string(golden), string(packed))

			got, err := Unpack(golden)
			require.NoError(t, err)
			require.Equal(t, c.msg, got)
		})
		t.Run("moov's Spec agrees with Pack and Unpack on "+c.name, func(t *testing.T) {
			golden := readGolden(t, c.name)
			mm, err := ToISO8583(c.msg)
			require.NoError(t, err)
			packed, err := mm.Pack()
			require.NoError(t, err)
			require.Equal(t, string(golden), string(packed))

			parsed := iso8583.NewMessage(Spec)
			require.NoError(t, parsed.Unpack(golden))
			got, err := FromISO8583(parsed)
			require.NoError(t, err)
			require.Equal(t, c.msg, got)
		})
	}
}

func TestGoldenCasesCoverTheDialect(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range goldenCases() {
		for n := range c.msg.Fields {
			seen[n] = true
		}
	}
	for _, d := range fieldDefs {
		require.True(t, seen[d.num], "no golden message carries field %d", d.num)
	}
}

func TestSpec(t *testing.T) {
	t.Run("is a valid moov spec with exactly the dialect's fields", func(t *testing.T) {
		require.NoError(t, Spec.Validate())
		require.NotPanics(t, func() { iso8583.NewMessage(Spec) })
		require.Len(t, Spec.Fields, len(fieldDefs)+2) // plus MTI and bitmap
		for _, d := range fieldDefs {
			f, ok := Spec.Fields[d.num]
			require.True(t, ok, "field %d", d.num)
			require.Equal(t, d.name, f.Spec().Description)
		}
	})
	t.Run("packs processing code 000000 through moov", func(t *testing.T) {
		m := iso8583.NewMessage(Spec)
		m.MTI("0100")
		require.NoError(t, m.Field(3, "000000"))
		packed, err := m.Pack()
		require.NoError(t, err)
		require.Equal(t, "0100"+"2000000000000000"+"000000", string(packed))
	})
	t.Run("pads short fixed fields through moov as Pack does", func(t *testing.T) {
		in := msg("0100", map[int]string{3: "0", 4: "1000", 41: "T1"})
		mine, err := Pack(in)
		require.NoError(t, err)
		mm, err := ToISO8583(in)
		require.NoError(t, err)
		theirs, err := mm.Pack()
		require.NoError(t, err)
		require.Equal(t, string(mine), string(theirs))
		require.Contains(t, string(mine), "000000"+"000000001000"+"T1      ")
	})
}

func TestPadOnly(t *testing.T) {
	left := padOnly{pad: '0', left: true}
	right := padOnly{pad: ' '}
	require.Equal(t, "0042", string(left.Pad([]byte("42"), 4)))
	require.Equal(t, "42  ", string(right.Pad([]byte("42"), 4)))
	require.Equal(t, "12345", string(left.Pad([]byte("12345"), 4)))
	require.Equal(t, "0042", string(left.Unpad([]byte("0042"))))
	require.Equal(t, []byte{'0'}, left.Inspect())
}
