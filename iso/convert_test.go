package iso

import (
	"maps"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

var goldenResult = bandeira.Result{Code: bandeira.Approved, AuthCode: "A1B2C3"}

// golden returns the golden case's message, unpacked from its file.
func golden(tb testing.TB, name string) Message {
	tb.Helper()
	m, err := Unpack(readGolden(tb, name))
	require.NoError(tb, err)
	return m
}

func amountPtr(a bandeira.Amount) *bandeira.Amount { return &a }

func TestToAuthorization(t *testing.T) {
	cases := []struct {
		name string
		want bandeira.Authorization
	}{
		{"0100", bandeira.Authorization{
			MTI: "0100", PAN: "4000010100000018", ProcessingCode: "000000", Amount: 15000, AmountPresent: true,
			TransmissionTime: "1126143005", STAN: "000001", LocalTime: "113005", LocalDate: "1126", Expiry: "2812",
			MCC: "5411", Country: "076", POSEntryMode: "812", POSCondition: "59", AcquirerID: "12345",
			RRN: "533014000001", TerminalID: "TERM0001", MerchantID: "MERCHANT0000001",
			MerchantName: strings.TrimRight(goldenCases()[0].msg.Get(43), " "),
			CVV2:         "123", Installments: &bandeira.Installments{Plan: bandeira.PlanLojista, Count: 6}, Currency: "986",
		}},
		{"0200", bandeira.Authorization{
			MTI: "0200", PAN: "4000010200000025", ProcessingCode: "000000", Amount: 4590, AmountPresent: true,
			TransmissionTime: "1126143200", STAN: "000004", LocalTime: "113200", LocalDate: "1126", Expiry: "2901",
			MCC: "5812", POSEntryMode: "051", POSCondition: "00", AcquirerID: "12345", Track2Present: true,
			RRN: "533014000004", TerminalID: "TERM0001", MerchantID: "MERCHANT0000001", Currency: "986",
			PINBlock: "8F3A5C7E9B1D2F40",
		}},
		{"0420", bandeira.Authorization{
			MTI: "0420", PAN: "5260010100000036", ProcessingCode: "000000", Amount: 9990, AmountPresent: true,
			TransmissionTime: "1126150500", STAN: "000006", AcquirerID: "12345", RRN: "533015000003",
			TerminalID: "TERM0002", MerchantID: "MERCHANT0000002", Currency: "986",
			Original: &bandeira.OriginalData{MTI: "0100", STAN: "000003", TransmissionTime: "1126150000",
				AcquirerID: "12345", ForwardingID: "76543210"},
			Replacement: amountPtr(4000), ReceivingInstitution: "260",
		}},
		{"0120", bandeira.Authorization{
			MTI: "0120", PAN: "5260010100000036", ProcessingCode: "000000", Amount: 9990, AmountPresent: true,
			TransmissionTime: "1126150000", STAN: "000003", AcquirerID: "12345", ForwardingID: "76543210",
			RRN: "533015000003", AuthCode: "STIP01", ResponseCode: bandeira.Approved, TerminalID: "TERM0002",
			MerchantID: "MERCHANT0000002", StandIn: bandeira.StandInTimeout, Currency: "986",
		}},
		{"0800", bandeira.Authorization{MTI: "0800", TransmissionTime: "1126140000", STAN: "000007", NetworkCode: "301"}},
	}
	for _, c := range cases {
		t.Run("converts the golden "+c.name, func(t *testing.T) {
			got, err := ToAuthorization(golden(t, c.name))
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
	t.Run("reads an all-zero forwarding ID in field 90 as absent", func(t *testing.T) {
		got, err := ToAuthorization(golden(t, "0400"))
		require.NoError(t, err)
		require.Equal(t, &bandeira.OriginalData{MTI: "0100", STAN: "000001", TransmissionTime: "1126143005",
			AcquirerID: "12345"}, got.Original)
	})
	t.Run("accepts a PAN that fails Luhn: the gateway answers 14", func(t *testing.T) {
		got, err := ToAuthorization(msg("0100", map[int]string{2: "4000010100000019"}))
		require.NoError(t, err)
		require.False(t, got.PAN.LuhnValid())
	})
}

func TestToAuthorizationRejects(t *testing.T) {
	cases := []struct {
		name  string
		mti   string
		field int
		value string
	}{
		{"a response MTI", "0110", 0, ""},
		{"an MTI of another version", "1100", 0, ""},
		{"an MTI of an unserved class", "0300", 0, ""},
		{"a PAN of 11 digits", "0100", 2, "40000101000"},
		{"a PAN with a letter", "0100", 2, "400001010000001X"},
		{"a processing code of 5 digits", "0100", 3, "00000"},
		{"letters in the amount", "0100", 4, "00000000A000"},
		{"a negative-looking amount", "0100", 4, "-00000001000"},
		{"an impossible transmission time", "0100", 7, "1399256199"},
		{"month 00 in the transmission time", "0100", 7, "0026143005"},
		{"letters in the STAN", "0100", 11, "00A001"},
		{"hour 24 in the local time", "0100", 12, "240000"},
		{"day 32 in the local date", "0100", 13, "1132"},
		{"a 3-character expiry", "0100", 14, "281"},
		{"letters in the acquirer ID", "0100", 32, "ACQ"},
		{"an empty acquirer ID", "0100", 32, ""},
		{"a 12-digit forwarding ID", "0100", 33, "123456789012"},
		{"a 13-character RRN", "0100", 37, "5330140000011"},
		{"a 9-character terminal ID", "0100", 41, "TERM00011"},
		{"a response code of 3 characters", "0120", 39, "000"},
		{"a response code with a symbol", "0120", 39, "0-"},
		{"a malformed field 48", "0100", 48, "CV00512"},
		{"a CVV2 of 2 digits", "0100", 48, "CV00212"},
		{"a lojista plan of 13 installments", "0100", 48, "IP003113"},
		{"a currency with letters", "0100", 49, "BRL"},
		{"a PIN block that is not hex", "0200", 52, "8F3A5C7E9B1D2F4G"},
		{"a network code of 2 digits", "0800", 70, "30"},
		{"field 90 with letters", "0400", 90, "0100000001112614300500000012345000000000XX"},
		{"field 90 of 41 digits", "0400", 90, "01000000011126143005000000123450000000000"},
		{"field 95 with letters in the amount", "0400", 95, "00000000400X" + "000000004000000000004000000000"},
		{"field 95 of 12 characters", "0400", 95, "000000004000"},
		{"a receiving institution with letters", "0100", 100, "BB1"},
		{"an advice's response code of 1 character", "0120", 39, "0"},
		{"an advice's response code with a symbol", "0120", 39, "0-"},
	}
	for _, c := range cases {
		t.Run("rejects "+c.name, func(t *testing.T) {
			m := msg(c.mti, map[int]string{11: "000001"})
			if c.field != 0 {
				m.Set(c.field, c.value)
			}
			_, err := ToAuthorization(m)
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, c.field, fe.Field)
			if len(c.value) > 3 {
				require.NotContains(t, err.Error(), c.value)
			}
		})
	}
}

func TestFromAuthorization(t *testing.T) {
	for _, name := range []string{"0100", "0120", "0200", "0400", "0420", "0800"} {
		t.Run("rebuilds the golden "+name+" from its Authorization", func(t *testing.T) {
			want := golden(t, name)
			a, err := ToAuthorization(want)
			require.NoError(t, err)
			got := FromAuthorization(a)
			// Track 2 is never kept; the rest have no domain field.
			for _, n := range []int{35, 53, 55, 62, 63, 64, 128} {
				want.Del(n)
			}
			// Text fields lose their space padding on the way in; Pack restores it, so
			// the wire bytes are the same.
			wantBytes, err := Pack(want)
			require.NoError(t, err)
			gotBytes, err := Pack(got)
			require.NoError(t, err)
			require.Equal(t, string(wantBytes), string(gotBytes))
			again, err := ToAuthorization(got)
			require.NoError(t, err)
			a.Track2Present = false
			require.Equal(t, a, again)
		})
	}
	t.Run("writes a zero amount when AmountPresent", func(t *testing.T) {
		m := FromAuthorization(bandeira.Authorization{MTI: "0100", AmountPresent: true})
		require.Equal(t, "000000000000", m.Get(4))
		require.False(t, FromAuthorization(bandeira.Authorization{MTI: "0100"}).Has(4))
	})
	t.Run("writes installments without a CVV2", func(t *testing.T) {
		m := FromAuthorization(bandeira.Authorization{MTI: "0100",
			Installments: &bandeira.Installments{Plan: bandeira.PlanEmissor, Count: 24}})
		require.Equal(t, "IP003224", m.Get(48))
	})
}

func TestRespond(t *testing.T) {
	cases := []struct {
		name    string
		req     string
		res     bandeira.Result
		wantMTI string
		want    []int
	}{
		{"an approved 0100 echoes the key fields and adds 38 and 39", "0100", goldenResult, "0110",
			[]int{2, 3, 4, 7, 11, 12, 13, 32, 37, 38, 39, 41, 42, 49}},
		{"a declined 0200 has no 38", "0200", bandeira.Result{Code: bandeira.InsufficientFunds, AuthCode: "X"}, "0210",
			[]int{2, 3, 4, 7, 11, 12, 13, 32, 37, 39, 41, 42, 49}},
		{"a 0400 keeps field 90", "0400", bandeira.Result{Code: bandeira.Approved}, "0410",
			[]int{2, 3, 4, 7, 11, 32, 37, 39, 41, 42, 49, 90}},
		{"a 0420 keeps field 90 and drops 95, 100 and 128", "0420", bandeira.Result{Code: bandeira.Approved}, "0430",
			[]int{2, 3, 4, 7, 11, 32, 37, 39, 41, 42, 49, 90}},
		{"a 0800 keeps field 70", "0800", bandeira.Result{Code: bandeira.Approved}, "0810", []int{7, 11, 39, 70}},
		{"a 0120 drops its private fields and MAC", "0120", bandeira.Result{Code: bandeira.Approved}, "0130",
			[]int{2, 3, 4, 7, 11, 32, 37, 39, 41, 42, 49}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := golden(t, c.req)
			resp := Respond(req, c.res)
			require.Equal(t, c.wantMTI, resp.MTI)
			require.ElementsMatch(t, c.want, keys(resp.Fields))
			for _, n := range c.want {
				if n != 38 && n != 39 {
					require.Equal(t, req.Get(n), resp.Get(n), "field %d", n)
				}
			}
			require.Equal(t, string(c.res.Code), resp.Get(39))
			_, err := Pack(resp)
			require.NoError(t, err)
		})
	}
	t.Run("matches the golden 0110, 0210, 0410 and 0810", func(t *testing.T) {
		pairs := map[string]bandeira.Result{
			"0100": goldenResult, "0200": {Code: bandeira.Approved, AuthCode: "D4E5F6"},
			"0400": {Code: bandeira.Approved}, "0800": {Code: bandeira.Approved},
		}
		for req, res := range pairs {
			resp := Respond(golden(t, req), res)
			require.Equal(t, golden(t, string(bandeira.MTI(req).Response())), resp, req)
		}
	})
	t.Run("answers a repeat with the original response MTI", func(t *testing.T) {
		req := golden(t, "0100")
		req.MTI = "0101"
		require.Equal(t, "0110", Respond(req, goldenResult).MTI)
	})
	t.Run("carries product and issuer in field 48 but never echoes the request's", func(t *testing.T) {
		req := golden(t, "0100")
		req.Set(48, "CV003123")
		resp := Respond(req, bandeira.Result{Code: bandeira.Approved, AuthCode: "A", Product: bandeira.Credit, Issuer: "nubank"})
		require.Equal(t, "PR006creditIS006nubank", resp.Get(48))
		resp = Respond(req, bandeira.Result{Code: bandeira.Approved, Brand: bandeira.Visa})
		require.False(t, resp.Has(48))
	})
	t.Run("answers 96 when the result has no code", func(t *testing.T) {
		require.Equal(t, "96", Respond(golden(t, "0100"), bandeira.Result{}).Get(39))
	})
	t.Run("writes field 95 from what the responder applied, never the request's", func(t *testing.T) {
		req := golden(t, "0420") // field 95: R$ 40.00
		remaining := bandeira.Amount(1_000)
		resp := Respond(req, bandeira.Result{Code: bandeira.Approved, Remaining: &remaining})
		require.Equal(t, "000000001000000000001000000000001000000000", resp.Get(95))
		_, err := Pack(resp)
		require.NoError(t, err)
	})
	t.Run("writes field 44 from the result's stand-in reason", func(t *testing.T) {
		resp := Respond(golden(t, "0100"), bandeira.Result{Code: bandeira.Approved, AuthCode: "STIP01", StandIn: bandeira.StandInTimeout})
		require.Equal(t, "1", resp.Get(44))
		require.False(t, Respond(golden(t, "0100"), goldenResult).Has(44))
	})
}

func keys(m map[int]string) []int {
	out := make([]int, 0, len(m))
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

func TestBalances(t *testing.T) {
	cases := []struct {
		name string
		b    bandeira.Balances
		cur  string // field 49 of the request
		want string
	}{
		{"credit balances in reais", bandeira.Balances{Ledger: 250075, Available: 1050, Currency: "986"}, "",
			"0001986C000000250075" + "0002986C000000001050"},
		{"a negative ledger as a debit", bandeira.Balances{Ledger: -500, Available: 0, Currency: "986"}, "",
			"0001986D000000000500" + "0002986C000000000000"},
		{"the request's currency when the balance has none", bandeira.Balances{Ledger: 1, Available: 2}, "840",
			"0001840C000000000001" + "0002840C000000000002"},
		{"BRL when neither has a currency", bandeira.Balances{Ledger: 1, Available: 2}, "",
			"0001986C000000000001" + "0002986C000000000002"},
		{"an amount too large for 12 digits, capped", bandeira.Balances{Ledger: 1_000_000_000_000, Available: -1 << 63}, "",
			"0001986C999999999999" + "0002986D999999999999"},
	}
	for _, c := range cases {
		t.Run("formats "+c.name, func(t *testing.T) {
			req := msg("0100", map[int]string{3: "310000"})
			if c.cur != "" {
				req.Set(49, c.cur)
			}
			resp := Respond(req, bandeira.Result{Code: bandeira.Approved, Balances: &c.b})
			require.Equal(t, c.want, resp.Get(54))
		})
	}
	t.Run("reads back the golden balance response", func(t *testing.T) {
		r, err := ToResult(golden(t, "0110_balance"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Result{Code: bandeira.Approved, AuthCode: "000000",
			Balances: &bandeira.Balances{Ledger: 250075, Available: -1050, Currency: "986"}}, r)
	})
}

func TestToResult(t *testing.T) {
	t.Run("reads code and auth code of the golden 0110", func(t *testing.T) {
		r, err := ToResult(golden(t, "0110"))
		require.NoError(t, err)
		require.Equal(t, goldenResult, r)
	})
	t.Run("reads position 1 of field 44 as the stand-in reason, anything but 1 to 3 as the issuer's decision", func(t *testing.T) {
		for v, want := range map[string]bandeira.StandInReason{
			"1": bandeira.StandInTimeout, "2XYZ": bandeira.StandInUnreachable, "3": bandeira.StandInSignedOff,
			"5": 0, "9": 0, "A1": 0,
		} {
			r, err := ToResult(msg("0110", map[int]string{39: "00", 44: v}))
			require.NoError(t, err)
			require.Equal(t, want, r.StandIn, "field 44 %q", v)
		}
	})
	t.Run("writes field 44 only for a stand-in", func(t *testing.T) {
		require.False(t, Respond(golden(t, "0100"), goldenResult).Has(44))
		resp := Respond(golden(t, "0100"), bandeira.Result{Code: bandeira.Approved, StandIn: bandeira.StandInSignedOff})
		require.Equal(t, "3", resp.Get(44))
	})
	t.Run("ignores field 54 groups of other amount types", func(t *testing.T) {
		r, err := ToResult(msg("0110", map[int]string{39: "00", 54: "0040986C000000000100"}))
		require.NoError(t, err)
		require.Nil(t, r.Balances)
	})
	rejects := []struct {
		name   string
		fields map[int]string
		field  int
	}{
		{"a missing response code", map[int]string{38: "123456"}, 39},
		{"a 3-character response code", map[int]string{39: "000"}, 39},
		{"a response code with a symbol", map[int]string{39: "0-"}, 39},
		{"a 7-character auth code", map[int]string{39: "00", 38: "1234567"}, 38},
		{"field 54 of 19 characters", map[int]string{39: "00", 54: "0001986C00000000010"}, 54},
		{"field 54 with sign X", map[int]string{39: "00", 54: "0001986X000000000100"}, 54},
		{"field 54 with letters in the amount", map[int]string{39: "00", 54: "0001986C00000000010A"}, 54},
		{"an empty field 54", map[int]string{39: "00", 54: ""}, 54},
		{"an unknown product in field 48", map[int]string{39: "00", 48: "PR005gold1"}, 48},
		{"an issuer with a space in field 48", map[int]string{39: "00", 48: "IS004nu b"}, 48},
		{"a repeated issuer in field 48", map[int]string{39: "00", 48: "IS002abIS002cd"}, 48},
		{"a truncated field 48", map[int]string{39: "00", 48: "PR009debit"}, 48},
		{"field 95 of 12 characters", map[int]string{39: "00", 95: "000000004000"}, 95},
		{"field 95 with letters in the amount", map[int]string{39: "00", 95: "00000000400X" + strings.Repeat("0", 30)}, 95},
	}
	for _, c := range rejects {
		t.Run("rejects "+c.name, func(t *testing.T) {
			_, err := ToResult(msg("0110", c.fields))
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, c.field, fe.Field)
		})
	}
	t.Run("round-trips every result through Respond", func(t *testing.T) {
		for _, res := range []bandeira.Result{
			goldenResult,
			{Code: bandeira.CVV2Mismatch},
			{Code: bandeira.Approved, AuthCode: "000001", Balances: &bandeira.Balances{Ledger: -7, Available: 9, Currency: "986"}},
			{Code: bandeira.Approved, AuthCode: "ZZ0001", Product: bandeira.Prepaid, Issuer: "nubank"},
			{Code: bandeira.InsufficientFunds, Product: bandeira.Debit, Issuer: "banco-do_sul2"},
			{Code: bandeira.DoNotHonour, Issuer: "sicredi"},
			{Code: bandeira.Approved, AuthCode: "A1B2C3", Remaining: amountPtr(0)},
			{Code: bandeira.Approved, AuthCode: "A1B2C3", Remaining: amountPtr(4_000), Issuer: "nubank"},
			{Code: bandeira.InsufficientFunds, Remaining: amountPtr(999_999_999_999)},
			{Code: bandeira.Approved, AuthCode: "STIP01", StandIn: bandeira.StandInTimeout},
			{Code: bandeira.InsufficientFunds, StandIn: bandeira.StandInSignedOff},
			{Code: bandeira.Approved, AuthCode: "S00001", Product: bandeira.Debit, Issuer: "nubank", StandIn: bandeira.StandInTimeout},
			{Code: bandeira.ExceedsAmountLimit, Issuer: "nubank", StandIn: bandeira.StandInUnreachable},
			{Code: bandeira.ExpiredCard, StandIn: bandeira.StandInSignedOff},
		} {
			got, err := ToResult(Respond(golden(t, "0100"), res))
			require.NoError(t, err)
			require.Equal(t, res, got)
		}
	})
}

func BenchmarkRespond(b *testing.B) {
	req := golden(b, "0100")
	b.ReportAllocs()
	for b.Loop() {
		if resp := Respond(req, goldenResult); resp.MTI != "0110" {
			b.Fatal(resp.MTI)
		}
	}
}

func BenchmarkToAuthorization(b *testing.B) {
	req := golden(b, "0100")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToAuthorization(req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestToAuthorizationDropsTextPadding(t *testing.T) {
	m := Message{MTI: "0100", Fields: map[int]string{41: "T1      ", 42: "SHOP           ", 43: "Loja" + strings.Repeat(" ", 36), 37: "ABC         "}}
	a, err := ToAuthorization(m)
	require.NoError(t, err)
	require.Equal(t, "T1", a.TerminalID)
	require.Equal(t, "SHOP", a.MerchantID)
	require.Equal(t, "Loja", a.MerchantName)
	require.Equal(t, "ABC", a.RRN)
}
