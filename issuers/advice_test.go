package issuers_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// adviceOf is the 0120 the network sends for orig after standing in with code (and auth
// code STIP01 when it approved).
func adviceOf(orig bandeira.Authorization, code bandeira.ResponseCode) bandeira.Authorization {
	a := orig
	a.MTI, a.ResponseCode, a.StandIn = bandeira.MTIAuthorizationAdvice, code, bandeira.StandInTimeout
	if code.Approved() {
		a.AuthCode = "STIP01"
	}
	return a
}

// counter returns the value of the issuer's counter called name.
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			require.Equal(t, issuers.Sicredi, labels(mf.GetMetric()[0])["issuer"])
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}

func TestStandInAdvices(t *testing.T) {
	cfg := testConfig()
	reg := prometheus.NewRegistry()
	mem := ledger.NewMemory()
	b, err := issuers.NewBank(issuers.Sicredi, cfg, nopLogger(), issuers.NewMetrics(reg), fixedNow, issuers.WithLedger(mem))
	require.NoError(t, err)
	poor := card(t, cfg, "47480102", issuers.ScenarioInsufficientFunds, 0) // R$ 1.00
	c := card(t, cfg, "47480102", "", 1)
	const posted, overdraft = "bandeira_issuer_stand_in_posted_total", "bandeira_issuer_stand_in_overdraft_centavos_total"
	audit := func(t *testing.T) { t.Helper(); require.NoError(t, mem.Audit()) }

	t.Run("an approved advice the issuer never saw holds once, beyond the balance, and is counted", func(t *testing.T) {
		orig := request(bandeira.MTIAuthorization, "000000", poor, 5_000, 1)
		res := authorize(t, b, adviceOf(orig, bandeira.Approved))
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, "STIP01", res.AuthCode)
		require.Equal(t, bandeira.Amount(100-5_000), balances(t, b, poor).Available)
		require.Equal(t, 1.0, counter(t, reg, posted))
		require.Equal(t, 4_900.0, counter(t, reg, overdraft))
		repeat := adviceOf(orig, bandeira.Approved)
		repeat.MTI = repeat.MTI.Repeat()
		require.Equal(t, "0121", string(repeat.MTI))
		require.Equal(t, bandeira.Approved, authorize(t, b, repeat).Code)
		require.Equal(t, bandeira.Amount(100-5_000), balances(t, b, poor).Available, "a repeat changes nothing")
		require.Equal(t, 1.0, counter(t, reg, posted))
		orig.MTI = bandeira.MTIAuthorizationRepeat
		require.Equal(t, "STIP01", authorize(t, b, orig).AuthCode, "the key is approved by the stand-in")
		audit(t)
		require.Zero(t, remaining(t, authorize(t, b, reversalOf(orig, 2))))
		require.Equal(t, bandeira.Amount(100), balances(t, b, poor).Available)
	})

	t.Run("an approved advice binds over the issuer's own decline", func(t *testing.T) {
		orig := request(bandeira.MTIAuthorization, "000000", poor, 300, 3)
		require.Equal(t, bandeira.InsufficientFunds, authorize(t, b, orig).Code)
		require.Equal(t, bandeira.Approved, authorize(t, b, adviceOf(orig, bandeira.Approved)).Code)
		require.Equal(t, bandeira.Amount(100-300), balances(t, b, poor).Available)
		require.Equal(t, bandeira.Approved, authorize(t, b, orig).Code, "the retransmit now gets the approval")
		require.Equal(t, 2.0, counter(t, reg, posted))
		require.Equal(t, 4_900.0+200, counter(t, reg, overdraft))
		audit(t)
		authorize(t, b, reversalOf(orig, 4))
	})

	t.Run("an approved advice of a key the issuer approved itself changes nothing", func(t *testing.T) {
		orig := request(bandeira.MTIAuthorization, "000000", c, 1_000, 5)
		own := authorize(t, b, orig)
		require.Equal(t, bandeira.Approved, own.Code)
		res := authorize(t, b, adviceOf(orig, bandeira.Approved))
		require.Equal(t, bandeira.Approved, res.Code)
		require.Equal(t, "STIP01", res.AuthCode)
		require.Equal(t, c.Available-1_000, balances(t, b, c).Available)
		require.Equal(t, 2.0, counter(t, reg, posted))
	})

	t.Run("an approved advice of a key reversed first posts nothing", func(t *testing.T) {
		before := balances(t, b, c)
		for i, first := range []func(orig bandeira.Authorization){
			func(orig bandeira.Authorization) { authorize(t, b, reversalOf(orig, 99)) }, // a tombstone
			func(orig bandeira.Authorization) { // the issuer declined it, then it was reversed
				over := orig
				over.CVV2 = "1"
				require.Equal(t, bandeira.CVV2Mismatch, authorize(t, b, over).Code)
				authorize(t, b, reversalOf(orig, 98))
			},
		} {
			orig := request(bandeira.MTIAuthorization, "000000", c, 700, 10+i)
			first(orig)
			require.Equal(t, bandeira.Approved, authorize(t, b, adviceOf(orig, bandeira.Approved)).Code)
			require.Equal(t, before, balances(t, b, c))
		}
		require.Equal(t, 2.0, counter(t, reg, posted))
		audit(t)
	})

	t.Run("a declined advice is remembered as the key's answer", func(t *testing.T) {
		orig := request(bandeira.MTIAuthorization, "000000", c, 700, 20)
		res := authorize(t, b, adviceOf(orig, bandeira.InsufficientFunds))
		require.Equal(t, bandeira.Approved, res.Code, "acknowledged")
		require.Empty(t, res.AuthCode)
		require.Equal(t, bandeira.InsufficientFunds, authorize(t, b, orig).Code)
	})

	t.Run("an advice without field 39 is a format error and changes nothing", func(t *testing.T) {
		adv := adviceOf(request(bandeira.MTIAuthorization, "000000", c, 700, 30), "")
		require.Equal(t, bandeira.FormatError, authorize(t, b, adv).Code)
		require.Equal(t, bandeira.Approved, authorize(t, b, request(bandeira.MTIAuthorization, "000000", c, 700, 30)).Code)
	})

	t.Run("an advice of an 0200 names its original's class in field 90 and debits", func(t *testing.T) {
		orig := request(bandeira.MTIFinancial, "000000", poor, 250, 40)
		adv := adviceOf(orig, bandeira.Approved)
		adv.Original = &bandeira.OriginalData{MTI: bandeira.MTIFinancial, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime}
		require.Equal(t, bandeira.Approved, authorize(t, b, adv).Code)
		require.Equal(t, bandeira.Approved, authorize(t, b, orig).Code)
		got := balances(t, b, poor)
		require.Equal(t, bandeira.Amount(100-250), got.Ledger, "posted, not held")
		audit(t)
	})
}
