package gateway

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// clearField removes field n from a request.
var clearField = map[int]func(a *bandeira.Authorization){
	2:  func(a *bandeira.Authorization) { a.PAN = "" },
	3:  func(a *bandeira.Authorization) { a.ProcessingCode = "" },
	4:  func(a *bandeira.Authorization) { a.AmountPresent = false },
	7:  func(a *bandeira.Authorization) { a.TransmissionTime = "" },
	11: func(a *bandeira.Authorization) { a.STAN = "" },
	14: func(a *bandeira.Authorization) { a.Expiry = "" },
	41: func(a *bandeira.Authorization) { a.TerminalID = "" },
	42: func(a *bandeira.Authorization) { a.MerchantID = "" },
	49: func(a *bandeira.Authorization) { a.Currency = "" },
	90: func(a *bandeira.Authorization) { a.Original = nil },
}

func TestMandatoryFields(t *testing.T) {
	expected := map[bandeira.MTI][]int{
		"0100": {2, 3, 4, 7, 11, 14, 41, 42, 49},
		"0101": {2, 3, 4, 7, 11, 14, 41, 42, 49},
		"0200": {2, 3, 4, 7, 11, 14, 41, 42, 49},
		"0201": {2, 3, 4, 7, 11, 14, 41, 42, 49},
		"0220": {2, 3, 4, 7, 11, 41, 90},
		"0221": {2, 3, 4, 7, 11, 41, 90},
		"0400": {2, 3, 4, 7, 11, 41, 90},
		"0401": {2, 3, 4, 7, 11, 41, 90},
		"0420": {2, 3, 4, 7, 11, 41, 90},
		"0421": {2, 3, 4, 7, 11, 41, 90},
	}
	t.Run("the table names exactly the documented fields", func(t *testing.T) {
		require.Len(t, mandatory, len(expected))
		for mti, fields := range expected {
			var got []int
			for _, r := range mandatory[mti] {
				got = append(got, r.field)
			}
			require.Equal(t, fields, got, "MTI %s", mti)
		}
	})
	for mti, fields := range expected {
		t.Run(fmt.Sprintf("a well-formed %s is answered without a format error", mti), func(t *testing.T) {
			h := newHarness(t, nil)
			res, err := h.g.Authorize(context.Background(), request(mti))
			require.NoError(t, err)
			require.Equal(t, bandeira.Approved, res.Code)
		})
		for _, f := range fields {
			t.Run(fmt.Sprintf("a %s without field %d answers 30 and routes nothing", mti, f), func(t *testing.T) {
				h := newHarness(t, nil)
				a := request(mti)
				clearField[f](&a)
				res, err := h.g.Authorize(context.Background(), a)
				require.NoError(t, err)
				require.Equal(t, bandeira.FormatError, res.Code)
				require.Zero(t, h.routed())
				require.Contains(t, h.logs.String(), fmt.Sprintf(`"field":%d`, f))
				require.Contains(t, h.logs.String(), `"problem":"missing"`)
			})
		}
	}
}

func TestMalformedFields(t *testing.T) {
	cases := []struct {
		name  string
		field int
		edit  func(a *bandeira.Authorization)
	}{
		{"a PAN with letters", 2, func(a *bandeira.Authorization) { a.PAN = "4000abcd00000001" }},
		{"a PAN of 11 digits", 2, func(a *bandeira.Authorization) { a.PAN = "40000101000" }},
		{"a processing code of 5 digits", 3, func(a *bandeira.Authorization) { a.ProcessingCode = "00000" }},
		{"a negative amount", 4, func(a *bandeira.Authorization) { a.Amount = -1 }},
		{"an amount over 12 digits", 4, func(a *bandeira.Authorization) { a.Amount = 1_000_000_000_000 }},
		{"an impossible transmission time", 7, func(a *bandeira.Authorization) { a.TransmissionTime = "1399256199" }},
		{"a transmission time with a letter", 7, func(a *bandeira.Authorization) { a.TransmissionTime = "01151030A0" }},
		{"a STAN with a letter", 11, func(a *bandeira.Authorization) { a.STAN = "12a456" }},
		{"a short STAN", 11, func(a *bandeira.Authorization) { a.STAN = "123" }},
		{"an expiry in month 13", 14, func(a *bandeira.Authorization) { a.Expiry = "2813" }},
		{"an acquirer ID with letters", 32, func(a *bandeira.Authorization) { a.AcquirerID = "ABC" }},
		{"an acquirer ID of 12 digits", 32, func(a *bandeira.Authorization) { a.AcquirerID = "123456789012" }},
		{"a terminal ID of 9 characters", 41, func(a *bandeira.Authorization) { a.TerminalID = "TERM00001" }},
		{"a terminal ID with a control character", 41, func(a *bandeira.Authorization) { a.TerminalID = "TERM\n001" }},
		{"a merchant ID of 16 characters", 42, func(a *bandeira.Authorization) { a.MerchantID = "0000000000000001" }},
		{"a currency of 2 digits", 49, func(a *bandeira.Authorization) { a.Currency = "98" }},
	}
	for _, c := range cases {
		t.Run(c.name+" answers 30 naming field "+fmt.Sprint(c.field), func(t *testing.T) {
			h := newHarness(t, nil)
			a := purchase()
			c.edit(&a)
			res, err := h.g.Authorize(context.Background(), a)
			require.NoError(t, err)
			require.Equal(t, bandeira.FormatError, res.Code)
			require.Zero(t, h.routed())
			require.Contains(t, h.logs.String(), fmt.Sprintf(`"field":%d,"problem":"malformed"`, c.field))
		})
	}
	t.Run("a reversal with a malformed field 90 answers 30", func(t *testing.T) {
		h := newHarness(t, nil)
		a := request(bandeira.MTIReversal)
		a.Original.STAN = "12345"
		res, err := h.g.Authorize(context.Background(), a)
		require.NoError(t, err)
		require.Equal(t, bandeira.FormatError, res.Code)
		require.Zero(t, h.routed())
	})
	t.Run("a format error never logs the field value", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		a.Expiry = "9999"
		_, err := h.g.Authorize(context.Background(), a)
		require.NoError(t, err)
		require.NotContains(t, h.logs.String(), "9999")
		require.NotContains(t, h.logs.String(), a.PAN.Digits())
	})
}

func TestMessageTypeAndContentRules(t *testing.T) {
	cases := []struct {
		name string
		edit func(a *bandeira.Authorization)
		code bandeira.ResponseCode
	}{
		{"an authorization advice (0120) is not supported", func(a *bandeira.Authorization) { a.MTI = bandeira.MTIAuthorizationAdvice }, bandeira.InvalidTransaction},
		{"a response MTI sent as a request is not supported", func(a *bandeira.Authorization) { a.MTI = "0110" }, bandeira.InvalidTransaction},
		{"an unknown numeric MTI is not supported", func(a *bandeira.Authorization) { a.MTI = "9999" }, bandeira.InvalidTransaction},
		{"an MTI with a letter is a format error", func(a *bandeira.Authorization) { a.MTI = "01A0" }, bandeira.FormatError},
		{"an MTI of three digits is a format error", func(a *bandeira.Authorization) { a.MTI = "010" }, bandeira.FormatError},
		{"an empty MTI is a format error", func(a *bandeira.Authorization) { a.MTI = "" }, bandeira.FormatError},
		{"an unsupported transaction type answers 12", func(a *bandeira.Authorization) { a.ProcessingCode = "990000" }, bandeira.InvalidTransaction},
		{"a foreign currency answers 13", func(a *bandeira.Authorization) { a.Currency = "840" }, bandeira.InvalidAmount},
		{"a zero-amount cash withdrawal answers 13", func(a *bandeira.Authorization) {
			a.ProcessingCode, a.Amount = "010000", 0
		}, bandeira.InvalidAmount},
		{"a zero-amount financial request answers 13", func(a *bandeira.Authorization) {
			a.MTI, a.Amount = bandeira.MTIFinancial, 0
		}, bandeira.InvalidAmount},
		{"a zero-amount refund answers 13", func(a *bandeira.Authorization) {
			a.ProcessingCode, a.Amount = "200000", 0
		}, bandeira.InvalidAmount},
		{"a PAN failing Luhn answers 14", func(a *bandeira.Authorization) { a.PAN = "4000010100000002" }, bandeira.InvalidCardNumber},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, nil)
			a := purchase()
			c.edit(&a)
			res, err := h.g.Authorize(context.Background(), a)
			require.NoError(t, err)
			require.Equal(t, c.code, res.Code)
			require.Zero(t, h.routed())
		})
	}
	t.Run("a reversal in a foreign currency answers 13", func(t *testing.T) {
		h := newHarness(t, nil)
		a := request(bandeira.MTIReversal)
		a.Currency = "840"
		res, err := h.g.Authorize(context.Background(), a)
		require.NoError(t, err)
		require.Equal(t, bandeira.InvalidAmount, res.Code)
		require.Zero(t, h.routed())
	})
	t.Run("an account verification (an 0100 of amount 0) is routed and nothing is priced", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		a.Amount = 0
		require.True(t, a.IsAccountVerification())
		res, err := h.g.Authorize(context.Background(), a)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		require.EqualValues(t, 1, h.routed())
	})
	t.Run("a balance inquiry with a zero amount and no expiry is routed", func(t *testing.T) {
		h := newHarness(t, nil)
		a := purchase()
		a.ProcessingCode, a.Amount, a.Expiry = "310000", 0, ""
		res, err := h.g.Authorize(context.Background(), a)
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
		require.EqualValues(t, 1, h.routed())
	})
}

func TestNetworkManagementIsNotTheGateways(t *testing.T) {
	for _, mti := range []bandeira.MTI{bandeira.MTINetworkManagement, bandeira.MTINetworkManagementRepeat} {
		t.Run(fmt.Sprintf("an %s that reaches the gateway answers 12 without routing", mti), func(t *testing.T) {
			h := newHarness(t, nil)
			res, err := h.g.Authorize(context.Background(), request(mti))
			require.NoError(t, err)
			require.Equal(t, bandeira.InvalidTransaction, res.Code)
			require.Zero(t, h.routed())
		})
	}
}
