package iso

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFieldFormatsMatchTheSpecDocument(t *testing.T) {
	doc, err := os.ReadFile("../docs/spec.md")
	require.NoError(t, err)
	_, table, _ := strings.Cut(string(doc), "\n## Fields")
	table, _, _ = strings.Cut(table, "\n### ")
	rows := regexp.MustCompile(`(?m)^\| (\d+) \| [^|]+ \| ([^|]+) \|`).FindAllStringSubmatch(table, -1)
	require.Len(t, rows, len(fieldDefs), "one row per field of the dialect")
	documented := map[int]string{}
	for _, r := range rows {
		n, _ := strconv.Atoi(r[1])
		documented[n] = strings.TrimSpace(r[2])
	}
	for i := range fieldDefs {
		d := &fieldDefs[i]
		require.Equal(t, documented[d.num], d.format(), "field %d", d.num)
	}
}

func TestDescribeFields(t *testing.T) {
	m := goldenCases()[4].msg.Clone() // 0200: track 2, PIN block, ICC data
	m.Set(39, "51")
	fields := DescribeFields(m)
	byNum := map[int]DescribedField{}
	for i, f := range fields {
		if i > 0 {
			require.Less(t, fields[i-1].Number, f.Number, "in field order")
		}
		byNum[f.Number] = f
	}
	t.Run("names each field and gives its format", func(t *testing.T) {
		require.Equal(t, DescribedField{Number: 2, Name: "Primary account number", Format: "n..19 LL",
			Value: "400001******0025"}, byNum[2])
		require.Equal(t, "b8", byNum[52].Format)
		require.Equal(t, "z..37 LL", byNum[35].Format)
	})
	t.Run("hides the secrets", func(t *testing.T) {
		for _, n := range []int{35, 52, 55} {
			require.Equal(t, hidden, byNum[n].Value, "field %d", n)
		}
	})
	t.Run("gives a response code its meaning", func(t *testing.T) {
		require.Equal(t, "Insufficient funds", byNum[39].Meaning)
		var out bytes.Buffer
		require.NoError(t, Describe(&out, m))
		require.Contains(t, out.String(), ": 51 (Insufficient funds)")
		require.Contains(t, out.String(), "F2 Primary account number (n..19 LL)")
		require.Contains(t, out.String(), "0200 (financial request)")
	})
	t.Run("MaskSecrets returns a masked copy and leaves the message alone", func(t *testing.T) {
		masked := MaskSecrets(m)
		require.Equal(t, "400001******0025", masked.Get(2))
		require.Equal(t, hidden, masked.Get(52))
		require.Equal(t, "4000010200000025", m.Get(2))
	})
}

func TestMessageType(t *testing.T) {
	for mti, want := range map[string]string{
		"0100": "authorization request", "0110": "authorization response", "0120": "authorization advice",
		"0201": "financial request repeat", "0421": "reversal advice repeat", "0430": "reversal advice response",
		"0800": "network management request", "0300": "", "1100": "", "01": "", "01X0": "", "0105": "",
	} {
		require.Equal(t, want, MessageType(mti), mti)
	}
}
