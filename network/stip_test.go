package network

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// stipNow is 2026-11-26 10:00 in Brasília.
var stipNow = time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)

func TestStandInRules(t *testing.T) {
	rules := DefaultStandIn().StandInRules
	cashToo := rules
	cashToo.Types = []string{TypePurchase, TypeCash}
	creditOnly := rules
	creditOnly.Products = []bandeira.Product{bandeira.Credit}
	custom := rules
	custom.OverLimitCode, custom.NotAllowedCode = "N4", "57"

	req := func(mti, pc string, amount bandeira.Amount, change ...func(*bandeira.Authorization)) bandeira.Authorization {
		a := bandeira.Authorization{MTI: bandeira.MTI(mti), ProcessingCode: pc, Amount: amount, AmountPresent: true, Expiry: "3012"}
		for _, f := range change {
			f(&a)
		}
		return a
	}
	withPIN := func(a *bandeira.Authorization) { a.PINBlock = "0123456789ABCDEF" }
	expiry := func(e string) func(*bandeira.Authorization) { return func(a *bandeira.Authorization) { a.Expiry = e } }

	tests := []struct {
		name    string
		rules   StandInRules
		a       bandeira.Authorization
		product bandeira.Product
		spent   bandeira.Amount
		code    bandeira.ResponseCode
		rule    string
	}{
		{"approves a purchase up to R$ 200.00", rules, req("0100", "000000", 20000), bandeira.Debit, 0, "00", ruleApproved},
		{"approves a financial purchase and a repeat alike", rules, req("0201", "000000", 100), bandeira.Prepaid, 0, "00", ruleApproved},
		{"answers 61 one centavo above R$ 200.00", rules, req("0100", "000000", 20001), bandeira.Credit, 0, "61", ruleTransaction},
		{"approves up to R$ 500.00 a day with what was approved before", rules, req("0100", "000000", 20000), bandeira.Credit, 30000, "00", ruleApproved},
		{"answers 61 past R$ 500.00 a day", rules, req("0100", "000000", 100), bandeira.Credit, 49901, "61", ruleDaily},
		{"answers 05 to a cash withdrawal by default", rules, req("0100", "010000", 100), bandeira.Debit, 0, "05", ruleType},
		{"approves a cash withdrawal when the issuer allows it", cashToo, req("0200", "010000", 100), bandeira.Debit, 0, "00", ruleApproved},
		{"answers 05 to a product the issuer does not allow", creditOnly, req("0100", "000000", 100), bandeira.Debit, 0, "05", ruleProduct},
		{"answers 05 to a card whose product is unknown", rules, req("0100", "000000", 100), "", 0, "05", ruleProduct},
		{"answers 05 to a PIN it cannot verify", rules, req("0200", "000000", 100, withPIN), bandeira.Debit, 0, "05", rulePIN},
		{"answers 05 to an account verification", rules, req("0100", "000000", 0), bandeira.Debit, 0, "05", ruleAmount},
		{"answers 54 to an expiry before this month", rules, req("0100", "000000", 100, expiry("2610")), bandeira.Debit, 0, "54", ruleExpired},
		{"approves in the expiry month", rules, req("0100", "000000", 100, expiry("2611")), bandeira.Debit, 0, "00", ruleApproved},
		{"answers 54 to an impossible expiry month", rules, req("0100", "000000", 100, expiry("3013")), bandeira.Debit, 0, "54", ruleExpired},
		{"approves without an expiry it could check", rules, req("0100", "000000", 100, expiry("")), bandeira.Debit, 0, "00", ruleApproved},
		{"checks the expiry before the limits", rules, req("0100", "000000", 90000, expiry("2001")), bandeira.Debit, 0, "54", ruleExpired},
		{"uses the issuer's own codes", custom, req("0100", "000000", 20001), bandeira.Debit, 0, "N4", ruleTransaction},
		{"uses the issuer's own not-allowed code", custom, req("0100", "010000", 100), bandeira.Debit, 0, "57", ruleType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, standsInFor(&tt.a))
			code, rule := tt.rules.decide(&tt.a, tt.product, tt.spent, stipNow)
			require.Equal(t, tt.code, code)
			require.Equal(t, tt.rule, rule)
		})
	}
}

func TestStandsInFor(t *testing.T) {
	tests := []struct {
		mti, pc string
		want    bool
	}{
		{"0100", "000000", true},
		{"0101", "003000", true},
		{"0200", "010000", true},
		{"0201", "100000", true},
		{"0100", "200000", false}, // refund
		{"0200", "260000", false}, // original credit
		{"0100", "310000", false}, // balance inquiry
		{"0100", "300000", false}, // available funds
		{"0400", "000000", false}, // reversal
		{"0420", "000000", false},
		{"0220", "000000", false}, // completion advice
		{"0120", "000000", false}, // advice
	}
	for _, tt := range tests {
		name := "stands in for " + tt.mti + " " + tt.pc[:2]
		if !tt.want {
			name = "does not stand in for " + tt.mti + " " + tt.pc[:2]
		}
		t.Run(name, func(t *testing.T) {
			a := bandeira.Authorization{MTI: bandeira.MTI(tt.mti), ProcessingCode: tt.pc}
			require.Equal(t, tt.want, standsInFor(&a))
		})
	}
}

func TestDayOf(t *testing.T) {
	t.Run("starts the day at midnight in Brasília", func(t *testing.T) {
		require.Equal(t, "2026-11-26", dayOf(time.Date(2026, 11, 27, 2, 59, 0, 0, time.UTC)))
		require.Equal(t, "2026-11-27", dayOf(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)))
	})
}
