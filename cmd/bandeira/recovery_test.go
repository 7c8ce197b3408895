package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
)

// waitFor polls cond on the test's goroutine until it holds, failing the test after a
// generous bound (a safety net for a hung network, never an assertion on time).
func (n *testNet) waitFor(what string, cond func() bool) {
	n.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			n.t.Fatalf("waited in vain for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the network as a crash would: every node (processes topology), then the
// run itself, with SIGKILL, and waits until it is gone.
func (n *testNet) kill9() {
	n.t.Helper()
	_ = n.client.Close()
	for _, nd := range n.nodes {
		_ = signalPID(nd.pid, syscall.SIGKILL)
	}
	require.NoError(n.t, n.cmd.Process.Kill())
	<-n.exited
	for _, nd := range n.nodes {
		n.waitFor("node "+fmt.Sprint(nd.pid)+" to die", func() bool { return signalPID(nd.pid, 0) != nil })
	}
	n.cmd = nil
}

// reconfigure rewrites the network's configuration file: the test overrides plus extra,
// on the same data directory, for its next start.
func (n *testNet) reconfigure(extra string) {
	n.t.Helper()
	body := "data_dir: " + fmt.Sprintf("%q", n.dataDir()) + "\n" + testOverrides
	require.NoError(n.t, os.WriteFile(n.cfgPath, mergeYAML(n.t, body, extra), 0o600))
}

// booksKey is m's request key as the issuers' books store it (docs/ledger.md): transmission
// time, acquirer ID, STAN and terminal, in normal form.
func booksKey(m iso.Message) string {
	return m.Get(7) + "/" + strings.TrimLeft(m.Get(32), "0") + "/" + strings.TrimLeft(m.Get(11), "0") + "/" + m.Get(41)
}

// requestState returns the state of the request under key in an issuer's books (1 open,
// 3 reversed), or 0 when the books have none.
func requestState(t *testing.T, dataDir, issuer string, m iso.Message) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+booksPath(dataDir, issuer)+"?mode=ro")
	require.NoError(t, err)
	defer func() { _ = db.Close() }()
	var state int
	if err := db.QueryRow("SELECT state FROM requests WHERE key = ?", booksKey(m)).Scan(&state); err == sql.ErrNoRows {
		return 0
	} else {
		require.NoError(t, err)
	}
	return state
}

func TestDuplicateKeysSurviveRestarts(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		bb := n.card("bancodobrasil", bandeira.Credit, "")
		var sicredi issuers.Card
		for _, c := range n.cards {
			if c.Issuer == "sicredi" && c.Brand == bandeira.Visa && c.Product == bandeira.Credit && c.Scenario == "" {
				sicredi = c
				break
			}
		}
		m := n.request("0100", bb, "000000", 4321)
		first := n.send(m)
		require.Equal(t, "00", first.Get(39))
		sicrediBefore := n.balance(sicredi)
		n.restart()

		t.Run("a key approved before the restart is answered the same after it", func(t *testing.T) {
			again := n.send(m)
			for _, f := range []int{38, 39, 48} {
				require.Equal(t, first.Get(f), again.Get(f), "field %d", f)
			}
		})
		t.Run("and re-sent with another issuer's card it is a duplicate, approved nowhere", func(t *testing.T) {
			other := m.Clone()
			other.Set(2, sicredi.PAN.Digits())
			other.Set(14, sicredi.Expiry)
			require.Equal(t, "94", n.code(other))
			require.Equal(t, sicrediBefore, n.balance(sicredi))
			require.Zero(t, requestState(t, n.dataDir(), "sicredi", other))
		})
		t.Run("its reversal reusing its STAN and field 7 reverses it", func(t *testing.T) {
			rev := n.reversalOf(m, bb, 4321)
			rev.Set(11, m.Get(11))
			rev.Set(7, m.Get(7))
			require.Equal(t, "00", n.code(rev))
			require.Equal(t, 3, requestState(t, n.dataDir(), "bancodobrasil", m), "reversed at the issuer")
		})
	})
}

// noStandIn turns stand-in off, so that an issuer that gives no decision gets the
// gateway a 91 (stand-in is tested in TestStandInEndToEnd).
const noStandIn = `network: {stand_in: {enabled: false}}`

func TestNoAnswerIsReversed(t *testing.T) {
	eachTopologyWith(t, noStandIn, func(t *testing.T, n *testNet) {
		c := n.card("sicredi", bandeira.Debit, issuers.ScenarioNoAnswer)
		before := n.balance(c)
		m := n.request("0100", c, "000000", 2500)
		require.Equal(t, "91", n.code(m), "the network's timer ran out")
		n.waitFor("the auto-reversal to be acknowledged", func() bool {
			return n.metric("bandeira_saf_sent_total", `queue="gateway->network:visa"`, `result="acknowledged"`) == 1 &&
				n.metric("bandeira_saf_depth") == 0 // the network's own reversal advice to the issuer too
		})
		require.Equal(t, 1.0, n.metric("bandeira_gateway_auto_reversals_total", `reason="no_decision"`))
		require.Equal(t, before.Available, n.balance(c).Available, "no hold is left at the issuer")
		require.Equal(t, 3, requestState(t, n.dataDir(), "sicredi", m), "the late approval was posted, then reversed")
		require.Equal(t, "91", n.code(m), "its retransmit is answered as before")
	})
}

// eachTopologyWith is eachTopology on networks started with extra configuration.
func eachTopologyWith(t *testing.T, extra string, f func(t *testing.T, n *testNet)) {
	for _, topo := range topologies {
		t.Run("in "+string(topo), func(t *testing.T) {
			f(t, mustStartNetWith(t, topo, extra, iso.DefaultClientConfig(), http.DefaultClient))
		})
	}
}

func TestQueuedReversalsSurviveAKill(t *testing.T) {
	// With the issuer down, the purchase gets 91 and its reversal cannot be delivered
	// either: it stays queued, retried, until the issuer is back after the restart.
	const queue = `queue="gateway->network:visa"`
	eachTopologyWith(t, `faults: {"issuer:sicredi": {down: true}}`+"\n"+noStandIn, func(t *testing.T, n *testNet) {
		c := n.card("sicredi", bandeira.Credit, "")
		m := n.request("0200", c, "000000", 1800)
		require.Equal(t, "91", n.code(m))
		n.waitFor("a failed delivery", func() bool {
			return n.metric("bandeira_saf_sent_total", queue, `result="retried"`) >= 1 && n.metric("bandeira_saf_depth", queue) == 1
		})
		n.kill9()
		pending, err := saf.Read(context.Background(), gatewaySAFPath(n.dataDir()))
		require.NoError(t, err)
		require.Len(t, pending, 1)
		require.Equal(t, "0400", pending[0].MTI)
		require.Equal(t, "gateway->network:visa", pending[0].Queue)

		n.reconfigure("")
		n.start()
		n.waitFor("the queued reversal to be delivered", func() bool {
			return n.metric("bandeira_saf_sent_total", queue, `result="acknowledged"`) == 1 && n.metric("bandeira_saf_depth") == 0
		})
		rep, err := books.Audit(context.Background(), booksPath(n.dataDir(), "sicredi"))
		require.NoError(t, err)
		require.EqualValues(t, 1, rep.Tombstones, "the reversal reached the issuer, before any original")
		require.Equal(t, "91", n.code(m), "the original's key is still answered 91")
	})
}

func TestShutdownAnswersAcceptedRequests(t *testing.T) {
	// Timers well above the slow card's delay, as in production.
	eachTopologyWith(t, `
issuers: {slow_delay: 1s}
network: {issuer_timeout: 3s}
gateway: {request_timeout: 4s}
server: {request_timeout: 5s}`, func(t *testing.T, n *testNet) {
		c := n.card("nubank", bandeira.Debit, issuers.ScenarioSlow)
		// A bare connection: the server writes the answer, then closes the connection, and
		// the reply must be read whatever a client library makes of the close.
		nc, err := net.DialTimeout("tcp", n.gatewayAddr, 5*time.Second)
		require.NoError(t, err)
		defer func() { _ = nc.Close() }()
		body, err := iso.Pack(n.request("0100", c, "000000", 1500))
		require.NoError(t, err)
		require.NoError(t, iso.WriteFrame(nc, body))
		n.waitFor("the request to be in flight", func() bool { return n.metric("bandeira_gateway_in_flight") == 1 })
		require.NoError(t, n.cmd.Process.Signal(syscall.SIGTERM))
		require.NoError(t, nc.SetReadDeadline(time.Now().Add(30*time.Second)))
		reply, err := iso.ReadFrame(nc, nil, iso.MaxFrameLimit)
		require.NoError(t, err, "the accepted request was dropped unanswered")
		resp, err := iso.Unpack(reply)
		require.NoError(t, err)
		require.Equal(t, "00", resp.Get(39), "answered although the run was stopped while it waited")
		<-n.exited
		require.Equal(t, 0, n.cmd.ProcessState.ExitCode(), n.logs.String())
		_ = n.client.Close()
		n.cmd = nil
	})
}

func TestOnlyCapturedHoldsAreCleared(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		c := n.card("nubank", bandeira.Credit, "")
		captured, uncaptured := n.request("0100", c, "000000", 1111), n.request("0100", c, "000000", 2222)
		require.Equal(t, "00", n.code(captured))
		require.Equal(t, "00", n.code(uncaptured))
		completion := n.reversalOf(captured, c, 1111)
		completion.MTI = "0220"
		require.Equal(t, "00", n.code(completion))

		es := journalOf(t, n)
		day := es[0].SaleDate
		presented := map[string]bool{}
		for _, bc := range acquirer.Clear(es, day) {
			for _, p := range bc.Presentments {
				presented[p.STAN] = true
			}
		}
		payouts, err := acquirer.Settle(es, acquirer.NewCalendar(n.cfg.Acquirer.Holidays), acquirer.SettlementFilter{})
		require.NoError(t, err)
		paid := map[string]bool{}
		for _, p := range payouts {
			for _, it := range p.Items {
				paid[it.STAN] = true
			}
		}
		require.True(t, presented[captured.Get(11)] && paid[captured.Get(11)], "the captured hold is cleared and paid")
		require.False(t, presented[uncaptured.Get(11)] || paid[uncaptured.Get(11)], "the uncaptured one is neither")
		code, out, stderr := run(t, "clearing", "--date", day.String(), "--data-dir", n.dataDir(), "--out", t.TempDir())
		require.Equal(t, exitOK, code, stderr)
		require.Contains(t, out, "mastercard")
	})
}
