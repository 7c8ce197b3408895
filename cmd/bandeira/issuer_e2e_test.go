package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// partialReversalOf builds a 0400 that brings orig down to keep (field 95).
func (n *testNet) partialReversalOf(orig iso.Message, c issuers.Card, keep bandeira.Amount) iso.Message {
	r := n.reversalOf(orig, c, keep)
	amount := fmt.Sprintf("%012d", keep)
	r.Set(95, amount+amount+amount+"000000")
	return r
}

// reversalReusing builds a 0400 for orig under orig's own STAN and field 7, as acquirers
// often send a timeout reversal; field 90 names orig.
func (n *testNet) reversalReusing(orig iso.Message, c issuers.Card, amount bandeira.Amount) iso.Message {
	r := n.reversalOf(orig, c, amount)
	r.Set(11, orig.Get(11))
	r.Set(7, orig.Get(7))
	return r
}

// remaining sends a reversal or completion, requires 00, and returns field 95's amount:
// the original's amount still in effect, as the issuer applied it.
func (n *testNet) remaining(m iso.Message) bandeira.Amount {
	n.t.Helper()
	resp := n.send(m)
	require.Equal(n.t, "00", resp.Get(39))
	res, err := iso.ToResult(resp)
	require.NoError(n.t, err)
	require.NotNil(n.t, res.Remaining, "field 95 in the answer")
	return *res.Remaining
}

func TestReversalChainsEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		c := n.card(issuers.BancoDoBrasil, bandeira.Debit, "")
		opening := n.balance(c)

		t.Run("100, 40, 10, then full: each answer and balance as the issuer applied it", func(t *testing.T) {
			auth := n.request("0100", c, "000000", 10_000)
			require.Equal(t, "00", n.code(auth))
			require.Equal(t, opening.Available-10_000, n.balance(c).Available)
			for _, step := range []struct {
				rev  iso.Message
				want bandeira.Amount
			}{
				{n.partialReversalOf(auth, c, 4_000), 4_000},
				{n.partialReversalOf(auth, c, 1_000), 1_000},
				{n.partialReversalOf(auth, c, 4_000), 1_000}, // a late 40, sent again as a new message
				{n.reversalOf(auth, c, 10_000), 0},
			} {
				require.Equal(t, step.want, n.remaining(step.rev))
				b := n.balance(c)
				require.Equal(t, opening.Available-step.want, b.Available)
				require.Equal(t, opening.Ledger, b.Ledger)
			}
		})
		t.Run("a reversal of a captured 0220 gives back what was captured", func(t *testing.T) {
			auth := n.request("0100", c, "000000", 8_000)
			require.Equal(t, "00", n.code(auth))
			completion := n.reversalOf(auth, c, 6_000)
			completion.MTI = "0220"
			require.Equal(t, bandeira.Amount(6_000), n.remaining(completion))
			b := n.balance(c)
			require.Equal(t, opening.Ledger-6_000, b.Ledger)
			require.Equal(t, opening.Available-6_000, b.Available)
			require.Zero(t, n.remaining(n.reversalOf(auth, c, 8_000)))
			require.Equal(t, opening, n.balance(c))
		})
		t.Run("an 0200 reversed in part, then in full, credits back everything", func(t *testing.T) {
			sale := n.request("0200", c, "000000", 3_000)
			require.Equal(t, "00", n.code(sale))
			require.Equal(t, bandeira.Amount(1_200), n.remaining(n.partialReversalOf(sale, c, 1_200)))
			require.Equal(t, opening.Ledger-1_200, n.balance(c).Ledger)
			require.Zero(t, n.remaining(n.reversalOf(sale, c, 3_000)))
			require.Equal(t, opening, n.balance(c))
		})
		t.Run("a timeout reversal reusing its original's STAN and field 7 reverses at the issuer", func(t *testing.T) {
			auth := n.request("0100", c, "000000", 2_500)
			require.Equal(t, "00", n.code(auth))
			// After a restart, so that the reversal reaches the issuer whether or not the
			// gateway's duplicate window still holds the original's key.
			n.restart()
			require.Zero(t, n.remaining(n.reversalReusing(auth, c, 2_500)))
			require.Equal(t, opening, n.balance(c))
		})
		t.Run("a reversal carrying another card of the issuer acts on its original", func(t *testing.T) {
			auth := n.request("0100", c, "000000", 1_500)
			require.Equal(t, "00", n.code(auth))
			other := n.card(issuers.BancoDoBrasil, bandeira.Credit, "")
			require.Equal(t, bandeira.Amount(500), n.remaining(n.partialReversalOf(auth, other, 500)))
			require.Equal(t, opening.Available-500, n.balance(c).Available)
			require.Equal(t, other.Available, n.balance(other).Available, "the card it carries is untouched")
			require.Zero(t, n.remaining(n.reversalOf(auth, other, 1_500)))
			require.Equal(t, opening, n.balance(c))
		})
		t.Run("a reversal carrying another issuer's card acts on its original", func(t *testing.T) {
			auth := n.request("0100", c, "000000", 700)
			require.Equal(t, "00", n.code(auth))
			other := n.card(issuers.Sicredi, bandeira.Debit, "") // a Visa card too
			rev := n.reversalOf(auth, other, 700)
			rev.Set(100, "001") // the original's issuer, as the gateway sets it on reversals
			resp := n.send(rev)
			require.Equal(t, "00", resp.Get(39))
			res, err := iso.ToResult(resp)
			require.NoError(t, err)
			if res.Issuer == issuers.Sicredi {
				t.Skip("the network routed the reversal by its card's BIN: routing by field 100 is the network's part of issue 10")
			}
			require.Equal(t, issuers.BancoDoBrasil, res.Issuer)
			require.NotNil(t, res.Remaining)
			require.Zero(t, *res.Remaining)
			require.Equal(t, opening, n.balance(c))
		})
		t.Run("bandeira audit passes on the books of the run", func(t *testing.T) {
			dir := n.dataDir()
			n.stop()
			code, out := runAudit(t, "--data-dir", dir)
			require.Equal(t, exitOK, code, out)
		})
	})
}

func TestDeclinesAndAuthCodesEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		c := n.card(issuers.Nubank, bandeira.Credit, "")
		var codes []string
		approve := func() {
			resp := n.send(n.request("0100", c, "000000", 100))
			require.Equal(t, "00", resp.Get(39))
			codes = append(codes, resp.Get(38))
		}
		wrong := n.request("0100", c, "000000", 300)
		wrong.Set(48, "CV003"+fmt.Sprintf("%03d", (atoi(t, c.CVV2)+1)%1000))
		corrected := wrong.Clone()
		corrected.Set(48, "CV003"+c.CVV2)

		t.Run("a corrected retransmit after N7 still gets N7", func(t *testing.T) {
			approve()
			require.Equal(t, "N7", n.code(wrong))
			require.Equal(t, "N7", n.code(corrected))
			approve()
		})
		n.restart()
		t.Run("also after a restart, and auth codes are never issued again", func(t *testing.T) {
			require.Equal(t, "N7", n.code(corrected))
			approve()
			approve()
			seen := map[string]bool{}
			for _, code := range codes {
				require.Len(t, code, 6)
				require.False(t, seen[code], "auth code %s issued twice", code)
				seen[code] = true
			}
		})
		t.Run("bandeira audit passes on the books of the run", func(t *testing.T) {
			dir := n.dataDir()
			n.stop()
			code, out := runAudit(t, "--data-dir", dir)
			require.Equal(t, exitOK, code, out)
		})
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var v int
	_, err := fmt.Sscanf(s, "%d", &v)
	require.NoError(t, err)
	return v
}
