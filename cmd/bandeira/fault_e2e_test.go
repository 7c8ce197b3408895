package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/fault"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// faultAtStart is a fault the test networks' configuration sets from the start.
const faultAtStart = `faults: {"issuer:sicredi": {code: "05"}}`

// fault runs `bandeira fault ARGS` against the network's HTTP port with its configuration
// (so its data directory's admin token), and returns the exit code, stdout and stderr.
func (n *testNet) fault(args ...string) (int, string, string) {
	n.t.Helper()
	args = append([]string{"fault"}, args...)
	return run(n.t, append(args, "--http-addr", n.httpAddr(), "--config", n.cfgPath)...)
}

// mustFault runs `bandeira fault ARGS` and requires exit 0.
func (n *testNet) mustFault(args ...string) string {
	n.t.Helper()
	code, out, errOut := n.fault(args...)
	require.Equal(n.t, exitOK, code, "bandeira fault %v: %s", args, errOut)
	return out
}

// faults lists the network's faults with `bandeira fault list --json`.
func (n *testNet) faults() []fault.Entry {
	n.t.Helper()
	var l faultList
	require.NoError(n.t, json.Unmarshal([]byte(n.mustFault("list", "--json")), &l))
	return l.Faults
}

// purchase sends an 0100 for R$ 10.00 on c and returns field 39.
func (n *testNet) purchase(c issuers.Card) string {
	n.t.Helper()
	return n.code(n.request("0100", c, "000000", 1000))
}

// standIn sends an 0100 for R$ 10.00 on c, requires the network to approve it in stand-in,
// and returns field 44, the stand-in reason.
func (n *testNet) standIn(c issuers.Card) string {
	n.t.Helper()
	resp := n.send(n.request("0100", c, "000000", 1000))
	require.Equal(n.t, "00", resp.Get(39), "approved in stand-in")
	require.Regexp(n.t, `^S[0-9A-Z]{5}$`, resp.Get(38), "a stand-in auth code")
	return resp.Get(44)
}

// refund sends an 0200 refund of R$ 1.00 on c, which the network never stands in for, and
// returns field 39.
func (n *testNet) refund(c issuers.Card) string {
	n.t.Helper()
	return n.code(n.request("0200", c, "200000", 100))
}

// TestFaultInjection runs the network in both topologies with a fault in its configuration,
// then sets, lists and clears faults live with `bandeira fault`, and checks what cards are
// answered.
func TestFaultInjection(t *testing.T) {
	for _, topo := range topologies {
		t.Run("in "+string(topo), func(t *testing.T) {
			n := mustStartNetWith(t, topo, faultAtStart, iso.DefaultClientConfig(), http.DefaultClient)
			testFaults(t, n)
		})
	}
}

func testFaults(t *testing.T, n *testNet) {
	nubank := n.cardOf("nubank", bandeira.Mastercard)
	sicredi := n.cardOf("sicredi", bandeira.Visa)
	bbVisa := n.cardOf("bancodobrasil", bandeira.Visa)
	bbMaster := n.cardOf("bancodobrasil", bandeira.Mastercard)

	t.Run("a fault of the configuration applies from the start", func(t *testing.T) {
		require.Equal(t, "05", n.purchase(sicredi))
		require.Equal(t, "00", n.purchase(bbVisa))
		require.Equal(t, []fault.Entry{{Target: "issuer:sicredi", Fault: fault.Fault{Code: "05"}}}, n.faults())
		require.Equal(t, "cleared issuer:sicredi\n", n.mustFault("clear", "issuer:sicredi"))
		require.Equal(t, "00", n.purchase(sicredi))
	})
	t.Run("an issuer set down is stood in for, or answers 91, while the others approve, until cleared", func(t *testing.T) {
		require.Equal(t, "issuer:nubank: down\n", n.mustFault("set", "issuer:nubank", "--down"))
		require.Equal(t, "2", n.standIn(nubank), "unreachable")
		require.Equal(t, "91", n.refund(nubank))
		require.Equal(t, "00", n.purchase(bbMaster))
		require.Equal(t, "00", n.purchase(sicredi))
		require.Equal(t, 1.0, n.metric("bandeira_faults_active", `target="issuer:nubank"`))
		require.Positive(t, n.metric("bandeira_faults_injected_total", `target="issuer:nubank"`, `kind="down"`))
		n.mustFault("clear", "issuer:nubank")
		require.Equal(t, "00", n.purchase(nubank))
		require.Zero(t, n.metric("bandeira_faults_active", `target="issuer:nubank"`))
	})
	t.Run("a latency past the network's issuer timer is stood in for", func(t *testing.T) {
		require.Less(t, n.cfg.Network.IssuerTimeout, 2*time.Second)
		n.mustFault("set", "issuer:nubank", "--latency", "2s", "--jitter", "100ms")
		reasons := []string{"1"}
		if n.topo == processes {
			// The issuer node bounds the request by the same timer and answers 91 when it
			// ends; should that answer beat the network's own timer, it is reason 2.
			reasons = append(reasons, "2")
		}
		require.Contains(t, reasons, n.standIn(nubank))
		require.Equal(t, "00", n.purchase(bbMaster))
		require.Positive(t, n.metric("bandeira_faults_injected_total", `target="issuer:nubank"`, `kind="latency"`))
		n.mustFault("clear", "issuer:nubank")
		require.Equal(t, "00", n.purchase(nubank))
	})
	t.Run("a forced code is the answer of the network's cards", func(t *testing.T) {
		n.mustFault("set", "network:visa", "--code", "57")
		require.Equal(t, "57", n.purchase(bbVisa))
		require.Equal(t, "57", n.purchase(sicredi))
		require.Equal(t, "00", n.purchase(bbMaster))
		n.mustFault("clear", "network:visa")
		require.Equal(t, "00", n.purchase(bbVisa))
	})
	t.Run("a link cut between a network and an issuer is stood in for on that link only", func(t *testing.T) {
		link := fault.Target("network:mastercard->issuer:nubank")
		n.mustFault("set", string(link), "--down")
		require.Equal(t, "2", n.standIn(nubank))
		require.Equal(t, "00", n.purchase(bbMaster))
		require.Positive(t, n.metric("bandeira_faults_injected_total", `target="network:mastercard->issuer:nubank"`, `kind="down"`))
		if n.topo == processes {
			body := n.getFrom(n.nodes["network:mastercard"].http, "/metrics")
			require.Equal(t, 1.0, sumSamples(t, body, "bandeira_faults_active", []string{`target="network:mastercard->issuer:nubank"`}),
				"the link's fault is applied where the network calls")
		}
		n.mustFault("set", "gateway->network:visa", "--drop", "1")
		require.Equal(t, []fault.Entry{
			{Target: "gateway->network:visa", Fault: fault.Fault{Drop: 1}},
			{Target: link, Fault: fault.Fault{Down: true}},
		}, n.faults(), "bandeira fault list --json shows every node's faults")
		_, out, _ := n.fault("list")
		require.Contains(t, out, "network:mastercard->issuer:nubank  down")
		require.Equal(t, "91", n.purchase(bbVisa), "a dropped request times out")

		require.Equal(t, "cleared gateway->network:visa, network:mastercard->issuer:nubank\n", n.mustFault("clear"))
		require.Equal(t, "00", n.purchase(nubank))
		require.Equal(t, "00", n.purchase(bbVisa))
		require.Equal(t, "no faults set\n", n.mustFault("list"))
	})
	t.Run("a bad target or token is refused with one line", func(t *testing.T) {
		code, _, errOut := n.fault("set", "issuer:itau", "--down")
		require.Equal(t, exitUsage, code)
		require.Equal(t, "bandeira fault set: target issuer:itau: no such party (the parties are issuer:bancodobrasil, "+
			"issuer:nubank, issuer:sicredi, network:mastercard, network:visa)\n", errOut)
		wrong := filepath.Join(t.TempDir(), "token")
		require.NoError(t, writeAddrFile(wrong, "not-the-token\n"))
		code, _, errOut = n.fault("list", "--token-file", wrong)
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "refused the token")
		require.Empty(t, n.faults())
	})
}

// cardOf returns a regular credit card of issuer and brand.
func (n *testNet) cardOf(issuer string, brand bandeira.Brand) issuers.Card {
	n.t.Helper()
	for _, c := range n.cards {
		if c.Issuer == issuer && c.Brand == brand && c.Product == bandeira.Credit && c.Scenario == "" {
			return c
		}
	}
	n.t.Fatalf("no %s %s credit card", issuer, brand)
	return issuers.Card{}
}
