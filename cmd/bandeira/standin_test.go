package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/network"
)

// TestStandInEndToEnd drives the scenario cards that take the issuer out of the decision:
// the network answers them in stand-in by its default rules (R$ 200.00 a purchase, R$ 500.00
// a card a day), marks the answers with field 44, and queues its advices for the issuer.
func TestStandInEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		purchase := func(c issuers.Card, amount bandeira.Amount) iso.Message {
			return n.send(n.request("0100", c, "000000", amount))
		}
		t.Run("approves an issuer-down card up to R$ 200.00 with 44 = 2 and an S code, and answers 61 above", func(t *testing.T) {
			c := n.card("nubank", bandeira.Credit, issuers.ScenarioIssuerDown)
			over := purchase(c, 20001)
			require.Equal(t, "61", over.Get(39))
			require.Equal(t, "2", over.Get(44))
			require.False(t, over.Has(38))
			ok := purchase(c, 20000)
			require.Equal(t, "00", ok.Get(39))
			require.Equal(t, "2", ok.Get(44), "the issuer was unreachable")
			require.Regexp(t, `^S[0-9A-Z]{5}$`, ok.Get(38))
			require.Equal(t, "PR006creditIS006nubank", ok.Get(48), "the product and the issuer it stood in for")
		})
		t.Run("keeps the per-card daily limit across purchases", func(t *testing.T) {
			c := n.card("sicredi", bandeira.Debit, issuers.ScenarioIssuerDown)
			var codes []string
			for _, amount := range []bandeira.Amount{20000, 20000, 10001, 10000, 1} {
				codes = append(codes, purchase(c, amount).Get(39))
			}
			require.Equal(t, []string{"00", "00", "61", "00", "61"}, codes)
		})
		t.Run("stands in for the no-answer card after the network's timer with 44 = 1", func(t *testing.T) {
			resp := purchase(n.card("bancodobrasil", bandeira.Debit, issuers.ScenarioNoAnswer), 5000)
			require.Equal(t, "00", resp.Get(39))
			reasons := []string{"1"}
			if n.topo == processes {
				// The issuer node bounds the request by the same timer and answers 91 when it
				// ends; should that answer beat the network's own timer, it is reason 2.
				reasons = append(reasons, "2")
			}
			require.Contains(t, reasons, resp.Get(44))
		})
		t.Run("answers a refund for an issuer-down card 91: it is never stood in for", func(t *testing.T) {
			require.Equal(t, "91", n.code(n.request("0200", n.card("nubank", bandeira.Debit, issuers.ScenarioIssuerDown), "200000", 1000)))
		})
		t.Run("leaves field 44 out of the issuer's own answers", func(t *testing.T) {
			resp := purchase(n.card("nubank", bandeira.Credit, ""), 1000)
			require.Equal(t, "00", resp.Get(39))
			require.False(t, resp.Has(44))
		})
		t.Run("counts the decisions and the amount approved in stand-in", func(t *testing.T) {
			require.Equal(t, 5.0, n.metric("bandeira_network_stand_in_total", `response_code="00"`))
			require.Equal(t, 3.0, n.metric("bandeira_network_stand_in_total", `response_code="61"`))
			require.Equal(t, 75000.0, n.metric("bandeira_network_stand_in_amount_centavos_total"))
			require.Equal(t, 20000.0, n.metric("bandeira_network_stand_in_amount_centavos_total", `issuer="nubank"`))
		})
		t.Run("queues the advices for the issuer and tries to deliver them", func(t *testing.T) {
			require.Eventually(t, func() bool {
				return n.metric("bandeira_saf_sent_total", `queue="network:visa->issuer:sicredi"`) > 0 &&
					n.metric("bandeira_saf_sent_total", `queue="network:mastercard->issuer:nubank"`) > 0
			}, 30*time.Second, 20*time.Millisecond)
		})
	})
}

// TestRoutingByReceivingInstitution sends requests carrying field 100: the network routes
// them to the issuer with that institution ID whatever their PAN.
func TestRoutingByReceivingInstitution(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		nubank := n.card("nubank", bandeira.Credit, "")
		t.Run("routes to field 100's issuer, which does not know another issuer's card", func(t *testing.T) {
			req := n.request("0100", nubank, "000000", 1000)
			req.Set(100, "748")
			resp := n.send(req)
			require.Equal(t, "14", resp.Get(39))
			require.Equal(t, "IS007sicredi", resp.Get(48))
		})
		t.Run("answers 15 to an institution no issuer has", func(t *testing.T) {
			req := n.request("0100", nubank, "000000", 1000)
			req.Set(100, "999")
			require.Equal(t, "15", n.code(req))
		})
		t.Run("routes by BIN without field 100", func(t *testing.T) {
			require.Equal(t, "00", n.code(n.request("0100", nubank, "000000", 1000)))
		})
	})
}

// TestStandInAdvicesPostWhenTheIssuerIsBack kills an issuer node, gets stand-in approvals
// for one of its cards, starts the node again with the command the supervisor logged, and
// checks that the network's queue to it drains and the advices posted once at the issuer.
func TestStandInAdvicesPostWhenTheIssuerIsBack(t *testing.T) {
	outer, n := t, mustStartNetIn(t, processes)
	card := n.card("nubank", bandeira.Debit, "")
	before := n.balance(card)
	require.NoError(t, signalPID(n.nodes["issuer:nubank"].pid, syscall.SIGKILL))
	restart := restartCommand(t, n, "issuer:nubank")
	const queue = `queue="network:mastercard->issuer:nubank"`
	// network reads a metric of the mastercard network node (the issuer's port is down).
	network := func(name string, labels ...string) float64 {
		return sumSamples(t, n.getFrom(n.nodes["network:mastercard"].http, "/metrics"), name, labels)
	}

	t.Run("approves the card in stand-in while its issuer is down", func(t *testing.T) {
		for _, amount := range []bandeira.Amount{7000, 5000} {
			resp := n.send(n.request("0100", card, "000000", amount))
			require.Equal(t, "00", resp.Get(39))
			require.Contains(t, []string{"1", "2"}, resp.Get(44))
			require.Regexp(t, `^S`, resp.Get(38))
		}
		require.Equal(t, "61", n.code(n.request("0100", card, "000000", 20001)))
		require.Equal(t, 3.0, network("bandeira_saf_depth", queue), "two advices and a reversal wait")
	})
	t.Run("delivers the advices once the issuer is back, and the queue drains", func(t *testing.T) {
		outer.Cleanup(startNode(t, n, restart).stop)
		require.Eventually(t, func() bool { return network("bandeira_saf_depth", queue) == 0 },
			60*time.Second, 50*time.Millisecond, "the network's queue to nubank never drained")
	})
	t.Run("the issuer holds the stand-in approvals once", func(t *testing.T) {
		require.Zero(t, network("bandeira_saf_sent_total", queue, `result="refused"`), "the issuer took every message")
		require.Equal(t, 3.0, network("bandeira_saf_sent_total", queue, `result="acknowledged"`))
		after := n.balance(card)
		require.Equal(t, before.Available-12000, after.Available, "both advices hold, the declined one nothing")
		require.Equal(t, before.Ledger, after.Ledger, "holds do not move the ledger balance")
		require.Equal(t, after, n.balance(card), "nothing posts twice")
	})
	t.Run("nothing else changed in the other nodes", func(t *testing.T) {
		require.Equal(t, 1, strings.Count(n.logs.String(), `"message":"node exited`))
	})
}

// TestStandInWhenTheIssuerSignsOff stops an issuer node gracefully: it signs off the
// network's link as it shuts down, and the network stands in for its cards with reason 3.
func TestStandInWhenTheIssuerSignsOff(t *testing.T) {
	n := mustStartNetIn(t, processes)
	card := n.card("sicredi", bandeira.Credit, "")
	require.Equal(t, "00", n.code(n.request("0100", card, "000000", 1000)))
	require.NoError(t, signalPID(n.nodes["issuer:sicredi"].pid, syscall.SIGTERM))
	restartCommand(t, n, "issuer:sicredi") // the supervisor saw it exit
	var resp iso.Message
	require.Eventually(t, func() bool {
		resp = n.send(n.request("0100", card, "000000", 1000))
		return resp.Get(44) == "3"
	}, 30*time.Second, 20*time.Millisecond, "never stood in with reason 3")
	require.Equal(t, "00", resp.Get(39))
	require.Regexp(t, `^S`, resp.Get(38))
	require.Positive(t, sumSamples(t, n.getFrom(n.nodes["network:visa"].http, "/metrics"),
		"bandeira_network_stand_in_total", []string{`issuer="sicredi"`, `reason="signed_off"`}))
}

// TestStandInDataAcrossRestarts restarts the network after stand-in approvals: the card's
// daily total and the auth codes issued survive, the network's store holds every decision
// and no PAN, and --reset starts it over.
func TestStandInDataAcrossRestarts(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		c := n.card("nubank", bandeira.Credit, issuers.ScenarioIssuerDown)
		purchase := func(amount bandeira.Amount) iso.Message { return n.send(n.request("0100", c, "000000", amount)) }
		var codes []string
		for range 2 {
			resp := purchase(20000)
			require.Equal(t, "00", resp.Get(39))
			codes = append(codes, resp.Get(38))
		}
		n.restart()
		t.Run("keeps the card's daily total and never issues an auth code again", func(t *testing.T) {
			require.Equal(t, "61", purchase(10001).Get(39))
			resp := purchase(10000)
			require.Equal(t, "00", resp.Get(39))
			require.NotContains(t, codes, resp.Get(38))
		})
		t.Run("keeps every decision in the network's store, and no PAN in its files", func(t *testing.T) {
			path := networkStorePath(n.dataDir(), bandeira.Mastercard)
			all, err := network.ReadStandIns(context.Background(), path)
			require.NoError(t, err)
			require.Len(t, all, 4)
			for _, d := range all {
				require.Equal(t, "nubank", d.Issuer)
				require.Equal(t, bandeira.StandInUnreachable, d.Reason)
			}
			require.Equal(t, []bandeira.ResponseCode{"00", "00", "61", "00"}, []bandeira.ResponseCode{all[0].Code, all[1].Code, all[2].Code, all[3].Code})
			files, err := filepath.Glob(filepath.Join(n.dataDir(), "networks", "*"))
			require.NoError(t, err)
			require.NotEmpty(t, files)
			for _, f := range files {
				b, err := os.ReadFile(f)
				require.NoError(t, err)
				require.NotContains(t, string(b), c.PAN.Digits(), f)
			}
		})
		if n.topo != oneProcess {
			return
		}
		t.Run("run --reset starts the network's store and queues over", func(t *testing.T) {
			n.stop()
			m := NewMain(n.cfg, zerolog.New(zerolog.NewTestWriter(t)))
			m.Reset = true
			require.NoError(t, m.Run(context.Background()))
			require.NoError(t, m.Close())
			all, err := network.ReadStandIns(context.Background(), networkStorePath(n.dataDir(), bandeira.Mastercard))
			require.NoError(t, err)
			require.Empty(t, all)
			pending, err := saf.Read(context.Background(), networkSAFPath(n.dataDir(), bandeira.Mastercard))
			require.NoError(t, err)
			require.Empty(t, pending)
		})
	})
}
