package iso

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestParseTLV(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []Element
	}{
		{"an empty field as no elements", "", nil},
		{"a CVV2 and installments", "CV003123IP003106", []Element{{"CV", "123"}, {"IP", "106"}}},
		{"an unknown tag kept in order", "WD010abcdefghijCV0041234", []Element{{"WD", "abcdefghij"}, {"CV", "1234"}}},
		{"an empty value", "XX000", []Element{{"XX", ""}}},
	}
	for _, c := range cases {
		t.Run("parses "+c.name, func(t *testing.T) {
			got, err := ParseTLV(c.in)
			require.NoError(t, err)
			require.Equal(t, c.want, got)
			back, err := FormatTLV(got)
			require.NoError(t, err)
			require.Equal(t, c.in, back)
		})
	}
	bad := []struct{ name, in string }{
		{"a header cut short", "CV00"},
		{"a length with a letter", "CV0A3123"},
		{"a length past the end", "CV005123"},
		{"a tag with a symbol", "C-003123"},
		{"trailing bytes after the last element", "CV003123I"},
	}
	for _, c := range bad {
		t.Run("rejects "+c.name, func(t *testing.T) {
			_, err := ParseTLV(c.in)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, 48, fe.Field)
			require.NotContains(t, err.Error(), "123")
		})
	}
}

func TestFormatTLV(t *testing.T) {
	t.Run("rejects a 3-character tag", func(t *testing.T) {
		_, err := FormatTLV([]Element{{"CVV", "123"}})
		require.Error(t, err)
	})
	t.Run("rejects a value over 999 characters", func(t *testing.T) {
		_, err := FormatTLV([]Element{{"XX", strings.Repeat("a", 1000)}})
		require.Error(t, err)
	})
}

func TestField48ToAuthorization(t *testing.T) {
	lojista := func(n int) *bandeira.Installments {
		return &bandeira.Installments{Plan: bandeira.PlanLojista, Count: n}
	}
	emissor := func(n int) *bandeira.Installments {
		return &bandeira.Installments{Plan: bandeira.PlanEmissor, Count: n}
	}
	cases := []struct {
		in   string
		cvv  string
		inst *bandeira.Installments
		ok   bool
	}{
		{"CV003123", "123", nil, true},
		{"CV0041234", "1234", nil, true},
		{"CV00212", "", nil, false},
		{"CV00512345", "", nil, false},
		{"CV003 12", "", nil, false},
		{"IP003102", "", lojista(2), true},
		{"IP003112", "", lojista(12), true},
		{"IP003113", "", nil, false},
		{"IP003101", "", nil, false},
		{"IP003224", "", emissor(24), true},
		{"IP003225", "", nil, false},
		{"IP003302", "", nil, false},
		{"IP015106000000001000", "", lojista(6), true},
		{"IP00410", "", nil, false},
		{"IP003A06", "", nil, false},
		{"CV003123CV003456", "", nil, false},
		{"IP003106IP003106", "", nil, false},
		{"ZZ002okCV003123IP003224", "123", emissor(24), true},
		{"", "", nil, true},
	}
	for _, c := range cases {
		name := "accepts " + c.in
		if !c.ok {
			name = "rejects " + c.in
		}
		t.Run(name, func(t *testing.T) {
			a, err := ToAuthorization(msg("0100", map[int]string{48: c.in}))
			if !c.ok {
				var fe *FieldError
				require.ErrorAs(t, err, &fe)
				require.Equal(t, 48, fe.Field)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.cvv, a.CVV2)
			require.Equal(t, c.inst, a.Installments)
		})
	}
}
