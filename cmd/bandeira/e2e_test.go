package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/issuers"
)

func TestAuthorizationEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		credit := n.card("bancodobrasil", bandeira.Credit, "")

		t.Run("approves a credit purchase with a 6-character auth code and echoes the request", func(t *testing.T) {
			req := n.request("0100", credit, "000000", 10000)
			req.Set(48, "CV003"+credit.CVV2)
			resp := n.send(req)
			require.Equal(t, "00", resp.Get(39))
			require.Len(t, resp.Get(38), 6)
			for _, f := range []int{2, 3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49} {
				require.Equal(t, req.Get(f), resp.Get(f), "field %d is echoed", f)
			}
			require.Equal(t, "PR006creditIS013bancodobrasil", resp.Get(48),
				"field 48 carries the product and issuer, never the request's CVV2")
		})

		t.Run("routes every BIN row of every issuer and brand to an approval", func(t *testing.T) {
			seen := map[string]bool{}
			for _, c := range n.cards {
				bin := c.PAN.BIN(8)
				if c.Scenario != "" || seen[bin] {
					continue
				}
				seen[bin] = true
				require.Equal(t, "00", n.code(n.request("0100", c, "000000", 1000)), "%s %s %s", c.Issuer, c.Brand, c.Product)
			}
			require.Len(t, seen, 9)
		})
	})
}

func TestDeclineCodes(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		debit := n.card("nubank", bandeira.Debit, "")

		scenarios := []struct {
			scenario string
			want     string
		}{
			{issuers.ScenarioInsufficientFunds, "51"},
			{issuers.ScenarioExpired, "54"},
			{issuers.ScenarioLost, "41"},
			{issuers.ScenarioStolen, "43"},
			{issuers.ScenarioBlocked, "62"},
			{issuers.ScenarioIssuerDown, "00"}, // in stand-in (standin_test.go)
			{issuers.ScenarioNoAnswer, "00"},
			{issuers.ScenarioSlow, "00"},
		}
		for _, s := range scenarios {
			t.Run("answers "+s.want+" for the "+s.scenario+" card", func(t *testing.T) {
				c := n.card("sicredi", bandeira.Debit, s.scenario)
				require.Equal(t, s.want, n.code(n.request("0100", c, "000000", 10000)))
			})
		}

		t.Run("answers 54 when field 14 is not the card's expiry", func(t *testing.T) {
			req := n.request("0100", debit, "000000", 1000)
			req.Set(14, "2001")
			require.Equal(t, "54", n.code(req))
		})
		t.Run("answers N7 for a wrong CVV2 in field 48", func(t *testing.T) {
			req := n.request("0100", debit, "000000", 1000)
			req.Set(48, "CV003"+wrongDigits(debit.CVV2))
			require.Equal(t, "N7", n.code(req))
		})
		t.Run("answers 55 for a wrong PIN and 75 from the third wrong try", func(t *testing.T) {
			c := n.card("nubank", bandeira.Debit, issuers.ScenarioWrongPIN)
			block, err := bandeira.EncodePINBlock(wrongDigits(c.PIN), c.PAN)
			require.NoError(t, err)
			codes := make([]string, 3)
			for i := range codes {
				req := n.request("0200", c, "000000", 1000)
				req.Set(52, block)
				codes[i] = n.code(req)
			}
			require.Equal(t, []string{"55", "55", "75"}, codes)
		})
		t.Run("approves the right PIN", func(t *testing.T) {
			block, err := bandeira.EncodePINBlock(debit.PIN, debit.PAN)
			require.NoError(t, err)
			req := n.request("0200", debit, "000000", 1000)
			req.Set(52, block)
			require.Equal(t, "00", n.code(req))
		})
		t.Run("answers 61 above the per-transaction limit", func(t *testing.T) {
			limit := n.cfg.Issuers.MaxTransactionAmount
			require.Equal(t, "61", n.code(n.request("0100", debit, "000000", limit+1)))
		})
		t.Run("answers 14 for a PAN failing Luhn", func(t *testing.T) {
			bad := debit
			d := bad.PAN.Digits()
			bad.PAN = bandeira.PAN(d[:15] + string('0'+(d[15]-'0'+1)%10))
			require.Equal(t, "14", n.code(n.request("0100", bad, "000000", 1000)))
		})
		t.Run("answers 14 for a Luhn-valid PAN the issuer never issued", func(t *testing.T) {
			body := debit.PAN.BIN(8) + "0999999"
			unknown := debit
			unknown.PAN = bandeira.PAN(body + string(bandeira.LuhnCheckDigit(body)))
			require.Equal(t, "14", n.code(n.request("0100", unknown, "000000", 1000)))
		})
		t.Run("answers 15 for a BIN no network routes", func(t *testing.T) {
			body := "499999990000001"
			stray := debit
			stray.PAN = bandeira.PAN(body + string(bandeira.LuhnCheckDigit(body)))
			require.Equal(t, "15", n.code(n.request("0100", stray, "000000", 1000)))
		})
		t.Run("answers 30 naming no value when a mandatory field is missing", func(t *testing.T) {
			req := n.request("0100", debit, "000000", 1000)
			delete(req.Fields, 41)
			require.Equal(t, "30", n.code(req))
		})
		t.Run("replays the stored answer to a retransmit or repeat and answers 94 to a changed body", func(t *testing.T) {
			before := n.balance(debit)
			req := n.request("0100", debit, "000000", 1500)
			first := n.send(req)
			require.Equal(t, "00", first.Get(39))
			for _, mti := range []string{"0100", "0101"} {
				again := req.Clone()
				again.MTI = mti
				resp := n.send(again)
				require.Equal(t, first.Get(39), resp.Get(39), mti)
				require.Equal(t, first.Get(38), resp.Get(38), mti)
			}
			changed := req.Clone()
			changed.Set(4, "000000001600")
			require.Equal(t, "94", n.code(changed))
			require.Equal(t, before.Available-1500, n.balance(debit).Available, "held once")
		})
	})
}

func TestMoneyMovesEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		debit := n.card("bancodobrasil", bandeira.Debit, "")
		opening := n.balance(debit)
		require.Equal(t, debit.Available, opening.Available)
		require.Equal(t, debit.Available, opening.Ledger)

		var auth = n.request("0100", debit, "000000", 2500)
		t.Run("an authorization holds the amount: available drops, ledger does not", func(t *testing.T) {
			require.Equal(t, "00", n.code(auth))
			b := n.balance(debit)
			require.Equal(t, opening.Available-2500, b.Available)
			require.Equal(t, opening.Ledger, b.Ledger)
		})
		t.Run("a reversal by field 90 releases the hold, and a second one changes nothing", func(t *testing.T) {
			require.Equal(t, "00", n.code(n.reversalOf(auth, debit, 2500)))
			require.Equal(t, opening, n.balance(debit))
			require.Equal(t, "00", n.code(n.reversalOf(auth, debit, 2500)))
			require.Equal(t, opening, n.balance(debit))
		})
		t.Run("a reversal of an unknown original is acknowledged and changes nothing", func(t *testing.T) {
			ghost := n.request("0100", debit, "000000", 700)
			require.Equal(t, "00", n.code(n.reversalOf(ghost, debit, 700)))
			require.Equal(t, opening, n.balance(debit))
		})
		var purchase = n.request("0200", debit, "000000", 1234)
		t.Run("a 0200 purchase posts at once: ledger and available both drop", func(t *testing.T) {
			require.Equal(t, "00", n.code(purchase))
			b := n.balance(debit)
			require.Equal(t, opening.Ledger-1234, b.Ledger)
			require.Equal(t, opening.Available-1234, b.Available)
		})
		t.Run("a 0400 reverses the posting", func(t *testing.T) {
			require.Equal(t, "00", n.code(n.reversalOf(purchase, debit, 1234)))
			require.Equal(t, opening, n.balance(debit))
		})
		t.Run("a refund (processing code 20) credits the account", func(t *testing.T) {
			require.Equal(t, "00", n.code(n.request("0200", debit, "200000", 800)))
			b := n.balance(debit)
			require.Equal(t, opening.Ledger+800, b.Ledger)
			require.Equal(t, opening.Available+800, b.Available)
		})
		t.Run("a balance inquiry as 0200 answers field 54 too", func(t *testing.T) {
			resp := n.send(n.request("0200", debit, "300000", 0))
			require.Equal(t, "00", resp.Get(39))
			require.Len(t, resp.Get(54), 40, "two 20-character groups: ledger (01) and available (02)")
			require.Equal(t, "0001986C", resp.Get(54)[:8])
			require.Equal(t, "0002986C", resp.Get(54)[20:28])
		})
		t.Run("insufficient funds declines with 51 and holds nothing", func(t *testing.T) {
			prepaid := n.card("nubank", bandeira.Prepaid, "") // balance below the 61 limit
			before := n.balance(prepaid)
			require.Less(t, before.Available, n.cfg.Issuers.MaxTransactionAmount)
			require.Equal(t, "51", n.code(n.request("0100", prepaid, "000000", before.Available+1)))
			require.Equal(t, before, n.balance(prepaid))
		})
	})
}

func TestNetworkManagement(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		for _, code := range []string{bandeira.SignOn, bandeira.SignOff, bandeira.Echo} {
			t.Run("answers 0810 with 00 to 0800 code "+code, func(t *testing.T) {
				req := n.request("0800", issuers.Card{}, "", 0)
				req.Set(70, code)
				resp := n.send(req)
				require.Equal(t, "00", resp.Get(39))
				require.Equal(t, code, resp.Get(70))
			})
		}
	})
}

// wrongDigits returns a digit string of the same length that differs in every position.
func wrongDigits(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = '0' + (b[i]-'0'+1)%10
	}
	return string(b)
}

func TestMetricsCountExactlyAndLogsHoldNoPAN(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		require.Equal(t, "ok\n", n.get("/healthz"))
		require.Equal(t, "ready\n", n.get("/readyz"))

		credit := n.card("nubank", bandeira.Credit, "")
		prepaid := n.card("nubank", bandeira.Prepaid, "")
		lost := n.card("nubank", bandeira.Credit, issuers.ScenarioLost)
		used := []issuers.Card{credit, prepaid, lost}
		for i := 0; i < 5; i++ {
			require.Equal(t, "00", n.code(n.request("0100", credit, "000000", 1000)))
		}
		require.Equal(t, "00", n.code(n.request("0200", prepaid, "000000", 1000)))
		require.Equal(t, "41", n.code(n.request("0100", lost, "000000", 1000)))
		missing := n.request("0100", credit, "000000", 1000)
		delete(missing.Fields, 42)
		require.Equal(t, "30", n.code(missing))

		t.Run("counts every request exactly once by MTI and response code", func(t *testing.T) {
			require.Equal(t, float64(n.sent.Load()), n.metric("bandeira_gateway_requests_total"))
			require.Equal(t, 5.0, n.metric("bandeira_gateway_requests_total", `mti="0100"`, `response_code="00"`))
			require.Equal(t, 1.0, n.metric("bandeira_gateway_requests_total", `mti="0200"`, `response_code="00"`))
			require.Equal(t, 1.0, n.metric("bandeira_gateway_requests_total", `response_code="41"`))
			require.Equal(t, 1.0, n.metric("bandeira_gateway_requests_total", `response_code="30"`))
		})
		t.Run("counts issuer decisions and network routing by party", func(t *testing.T) {
			require.Equal(t, 7.0, n.metric("bandeira_issuer_decisions_total", `issuer="nubank"`))
			require.Equal(t, 7.0, n.metric("bandeira_network_routed_total", `brand="mastercard"`, `issuer="nubank"`))
		})
		t.Run("prices every approved sale with parts that add up to the MDR", func(t *testing.T) {
			require.Equal(t, 6.0, n.metric("bandeira_acquirer_sales_total"))
			// The demo merchant is on whatsapp-2020: 3.99% of R$ 10.00 = 40 centavos per sale.
			mdr := n.metric("bandeira_acquirer_fees_centavos_total", `kind="mdr"`)
			require.Equal(t, 6*40.0, mdr)
			parts := n.metric("bandeira_acquirer_fees_centavos_total", `kind="interchange"`) +
				n.metric("bandeira_acquirer_fees_centavos_total", `kind="brand"`) +
				n.metric("bandeira_acquirer_fees_centavos_total", `kind="acquirer"`)
			require.Equal(t, mdr, parts)
		})
		t.Run("exposes Go and process collectors", func(t *testing.T) {
			body := n.get("/metrics")
			require.Contains(t, body, "go_goroutines")
			require.Contains(t, body, "process_resident_memory_bytes")
		})
		t.Run("never writes a full PAN, CVV2 or PIN block to the logs or metrics", func(t *testing.T) {
			logs, metrics := n.logs.String(), n.allMetrics()
			require.NotEmpty(t, logs)
			for _, c := range used {
				require.NotContains(t, logs, c.PAN.Digits())
				require.NotContains(t, metrics, c.PAN.Digits())
				require.Contains(t, logs, c.PAN.String(), "the masked form is logged instead")
			}
			require.False(t, strings.Contains(logs, `"cvv2"`) || strings.Contains(logs, `"pin_block"`))
		})
	})
}
