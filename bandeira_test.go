package bandeira_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestLuhn(t *testing.T) {
	t.Run("accepts the well-known Luhn test numbers", func(t *testing.T) {
		require.True(t, bandeira.LuhnValid("4111111111111111"))
		require.True(t, bandeira.LuhnValid("4539319503436467"))
	})
	t.Run("rejects a changed digit, non-digits and short input", func(t *testing.T) {
		require.False(t, bandeira.LuhnValid("4111111111111112"))
		require.False(t, bandeira.LuhnValid("41111111111111a1"))
		require.False(t, bandeira.LuhnValid("4"))
		require.False(t, bandeira.LuhnValid(""))
	})
	t.Run("computes check digits that validate", func(t *testing.T) {
		for _, body := range []string{"411111111111111", "453931950343646", "400001010000000", "0"} {
			require.True(t, bandeira.LuhnValid(body+string(bandeira.LuhnCheckDigit(body))), body)
		}
		require.Equal(t, byte('1'), bandeira.LuhnCheckDigit("411111111111111"))
	})
}

func TestPANNeverPrintsInFull(t *testing.T) {
	p, err := bandeira.ParsePAN("4000010100000017")
	require.NoError(t, err)
	require.Equal(t, "400001******0017", p.String())
	require.Equal(t, "400001******0017", fmt.Sprintf("%v", p))
	txt, _ := p.MarshalText()
	require.Equal(t, "400001******0017", string(txt))
	require.Equal(t, "4000010100000017", p.Digits())
	require.Equal(t, "40000101", p.BIN(8))
	require.Equal(t, "0017", p.Last4())
	require.Equal(t, "******", bandeira.MaskPAN("123456"))

	for _, bad := range []string{"", "12345678901", "12345678901234567890", "4000x10100000017"} {
		_, err := bandeira.ParsePAN(bad)
		require.ErrorIs(t, err, bandeira.ErrInvalidPAN)
		require.NotContains(t, err.Error(), bad[:min(len(bad), 6)]+"x")
	}
}

func TestBrandOf(t *testing.T) {
	cases := map[string]bandeira.Brand{
		"4000010100000017": bandeira.Visa,
		"5100010100000017": bandeira.Mastercard,
		"5500000000000004": bandeira.Mastercard,
		"2221000000000009": bandeira.Mastercard,
		"2720990000000007": bandeira.Mastercard,
		"2721000000000000": "",
		"5600000000000000": "",
		"3400000000000000": "",
	}
	for pan, want := range cases {
		require.Equal(t, want, bandeira.BrandOf(bandeira.PAN(pan)), bandeira.MaskPAN(pan))
	}
}

func TestBasisPointsRoundHalfUp(t *testing.T) {
	cases := []struct {
		bps  bandeira.BasisPoints
		amt  bandeira.Amount
		want bandeira.Amount
	}{
		{399, 10000, 399},   // R$100.00 at 3.99% = R$3.99
		{165, 10000, 165},   // interchange of the worked example
		{50, 100, 1},        // 0.5 centavo rounds up
		{50, 99, 0},         // 0.495 rounds down
		{199, 2513, 50},     // 50.0087
		{10, 5000, 5},       // exact
		{349, -10000, -349}, // refunds round symmetrically
		{50, -100, -1},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.bps.Of(c.amt), "%v of %v", c.bps, c.amt)
	}
	require.Equal(t, "3.99%", bandeira.BasisPoints(399).String())
	require.Equal(t, "R$ 100.00", bandeira.Amount(10000).String())
	require.Equal(t, "-R$ 0.05", bandeira.Amount(-5).String())
}

func TestMTI(t *testing.T) {
	require.Equal(t, bandeira.MTI("0110"), bandeira.MTI("0100").Response())
	require.Equal(t, bandeira.MTI("0110"), bandeira.MTI("0101").Response())
	require.Equal(t, bandeira.MTI("0430"), bandeira.MTI("0420").Response())
	require.Equal(t, bandeira.MTI("0430"), bandeira.MTI("0421").Response())
	require.Equal(t, bandeira.MTI(""), bandeira.MTI("0110").Response())
	require.Equal(t, bandeira.MTI(""), bandeira.MTI("01").Response())
	require.True(t, bandeira.MTI("0401").IsRepeat())
	require.False(t, bandeira.MTI("0400").IsRepeat())
	require.Equal(t, bandeira.MTI("0400"), bandeira.MTI("0401").Original())
	require.Equal(t, byte('4'), bandeira.MTI("0420").Class())
}

func TestCodeForError(t *testing.T) {
	cases := []struct {
		err  error
		want bandeira.ResponseCode
	}{
		{nil, ""},
		{bandeira.ErrIssuerUnavailable, bandeira.IssuerUnavailable},
		{fmt.Errorf("routing: %w", bandeira.ErrIssuerUnavailable), bandeira.IssuerUnavailable},
		{context.DeadlineExceeded, bandeira.IssuerUnavailable},
		{context.Canceled, bandeira.IssuerUnavailable},
		{bandeira.ErrOverloaded, bandeira.IssuerUnavailable},
		{errors.New("disk on fire"), bandeira.SystemMalfunction},
	}
	for _, c := range cases {
		require.Equal(t, c.want, bandeira.CodeForError(c.err), "%v", c.err)
	}
}

func TestAuthorizationKeyAndTypes(t *testing.T) {
	a := bandeira.Authorization{ProcessingCode: "310000", AcquirerID: "1020", TerminalID: "T1", STAN: "000001", TransmissionTime: "1126120000"}
	require.True(t, a.IsBalanceInquiry())
	require.Equal(t, bandeira.Key{"1020", "T1", "000001", "1126120000"}, a.Key())
	called := false
	var f bandeira.Authorizer = bandeira.AuthorizerFunc(func(context.Context, bandeira.Authorization) (bandeira.Result, error) {
		called = true
		return bandeira.Result{Code: bandeira.Approved}, nil
	})
	r, err := f.Authorize(context.Background(), a)
	require.NoError(t, err)
	require.True(t, called)
	require.True(t, r.Code.Approved())
}

func TestPINBlockFormat0(t *testing.T) {
	pan := bandeira.PAN("4000010100000017")
	t.Run("encodes the ISO 9564-1 reference layout", func(t *testing.T) {
		// PIN field 041234FFFFFFFFFF XOR PAN field 0000001010000001 (the 12 digits
		// before the check digit).
		block, err := bandeira.EncodePINBlock("1234", pan)
		require.NoError(t, err)
		require.Equal(t, "041234EFEFFFFFFE", block)
	})
	t.Run("matches the docs/spec.md vector for PIN 123456 and PAN 4111111111111111", func(t *testing.T) {
		block, err := bandeira.EncodePINBlock("123456", "4111111111111111")
		require.NoError(t, err)
		require.Equal(t, "06122547EEEEEEEE", block)
	})
	t.Run("round-trips PINs of 4 to 12 digits", func(t *testing.T) {
		for _, pin := range []string{"0000", "1234", "987654", "123456789012"} {
			block, err := bandeira.EncodePINBlock(pin, pan)
			require.NoError(t, err)
			got, err := bandeira.DecodePINBlock(block, pan)
			require.NoError(t, err)
			require.Equal(t, pin, got)
		}
	})
	t.Run("refuses bad PINs and blocks without echoing them", func(t *testing.T) {
		for _, pin := range []string{"123", "12345678901234", "12a4", ""} {
			_, err := bandeira.EncodePINBlock(pin, pan)
			require.ErrorIs(t, err, bandeira.ErrInvalidPIN)
		}
		for _, block := range []string{"", "041234EFEFFFFFF", "ZZ1234EFEFFFFFFE", "141234EFEFFFFFFE", "FFFFFFFFFFFFFFFF"} {
			_, err := bandeira.DecodePINBlock(block, pan)
			require.Error(t, err)
			if block != "" {
				require.NotContains(t, err.Error(), block)
			}
		}
	})
	t.Run("a block made for another PAN does not decode to the PIN", func(t *testing.T) {
		block, err := bandeira.EncodePINBlock("1234", pan)
		require.NoError(t, err)
		got, err := bandeira.DecodePINBlock(block, "4000010100000025")
		if err == nil {
			require.NotEqual(t, "1234", got)
		}
	})
}

func TestIsSale(t *testing.T) {
	cases := []struct {
		mti, proc string
		want      bool
	}{
		{"0100", "000000", true},
		{"0200", "000000", true},
		{"0101", "010000", true},
		{"0201", "000000", true},
		{"0200", "200000", false}, // refund
		{"0100", "310000", false}, // balance inquiry
		{"0220", "000000", false}, // completion advice
		{"0400", "000000", false},
		{"0800", "", false},
		{"01", "000000", false},
	}
	for _, c := range cases {
		a := bandeira.Authorization{MTI: bandeira.MTI(c.mti), ProcessingCode: c.proc}
		require.Equal(t, c.want, a.IsSale(), "%s %s", c.mti, c.proc)
	}
}

func TestIsPartyName(t *testing.T) {
	for _, ok := range []string{"nubank", "banco-do_sul2", "a", "abcdefghijklmnopqrstuvwxyz012345"} {
		require.True(t, bandeira.IsPartyName(ok), ok)
	}
	for _, bad := range []string{"", "Nubank", "nu bank", "../nubank", "nubank:1", "é", "abcdefghijklmnopqrstuvwxyz0123456"} {
		require.False(t, bandeira.IsPartyName(bad), bad)
	}
}

// TestResponseCodeMeanings keeps the one table of meanings and docs/spec.md's "Response
// codes" table equal, both ways.
func TestResponseCodeMeanings(t *testing.T) {
	doc, err := os.ReadFile("docs/spec.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "## Response codes")
	require.True(t, ok)
	rows := regexp.MustCompile(`(?m)^\| ([0-9A-Z]{2}) \| ([^|]+) \|`).FindAllStringSubmatch(section, -1)
	documented := map[bandeira.ResponseCode]string{}
	for _, r := range rows {
		documented[bandeira.ResponseCode(r[1])] = strings.TrimSpace(r[2])
	}
	codes := bandeira.ResponseCodes()
	require.Len(t, documented, len(codes), "every code is documented once")
	for _, c := range codes {
		require.Equal(t, documented[c], c.Meaning(), "code %s", c)
	}
	require.True(t, slices.IsSorted(codes))
	require.Equal(t, "Insufficient funds", bandeira.InsufficientFunds.Meaning())
	require.Empty(t, bandeira.ResponseCode("Q9").Meaning())
}

func TestMTIRepeat(t *testing.T) {
	for in, want := range map[bandeira.MTI]bandeira.MTI{
		"0100": "0101", "0200": "0201", "0400": "0401", "0420": "0421", "0120": "0121", "0220": "0221",
		"0401": "0401", "0110": "0110", "0800": "0801", "01": "01",
	} {
		require.Equal(t, want, in.Repeat(), string(in))
	}
}
