package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
)

func runAudit(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"audit"}, args...), nil, &out, &errOut)
	return code, out.String() + errOut.String()
}

func TestAuthCodesAfterARestart(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		c := n.card(issuers.Nubank, bandeira.Credit, "")
		first := n.send(n.request("0100", c, "000000", 100))
		require.Equal(t, "00", first.Get(39))
		n.restart()
		// The first request after the restart: without the books' count the bank would start
		// its code sequence over and hand out the code recorded before.
		fresh := n.send(n.request("0100", c, "000000", 200))
		require.Equal(t, "00", fresh.Get(39))
		require.NotEqual(t, first.Get(38), fresh.Get(38))
	})
}

func TestDurableBooksEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		c := n.card(issuers.Nubank, bandeira.Debit, "")
		hold := n.request("0100", c, "000000", 10_000)
		first := n.send(hold)
		require.Equal(t, "00", first.Get(39))
		opening := c.Available

		t.Run("a restart keeps balances, and a retransmit after it gets the stored approval", func(t *testing.T) {
			n.restart()
			require.Equal(t, opening-10_000, n.balance(c).Available)
			again := n.send(hold)
			require.Equal(t, "00", again.Get(39))
			require.Equal(t, first.Get(38), again.Get(38))
			require.Equal(t, opening-10_000, n.balance(c).Available)
		})
		t.Run("the same key with another amount gets 94 from the books after a restart", func(t *testing.T) {
			changed := hold.Clone()
			changed.Set(4, "000000020000")
			require.Equal(t, "94", n.code(changed))
		})
		t.Run("a 0220 completion captures 60.00 of the hold and releases the rest", func(t *testing.T) {
			adv := n.reversalOf(hold, c, 6_000)
			adv.MTI = "0220"
			resp := n.send(adv)
			require.Equal(t, "00", resp.Get(39))
			require.Equal(t, first.Get(38), resp.Get(38))
			b := n.balance(c)
			require.Equal(t, opening-6_000, b.Available)
			require.Equal(t, opening-6_000, b.Ledger)
			require.Equal(t, "00", n.code(adv)) // a second advice changes nothing
			require.Equal(t, opening-6_000, n.balance(c).Available)
		})
		t.Run("a reversal before its original leaves the late original declined", func(t *testing.T) {
			late := n.request("0100", c, "000000", 500)
			require.Equal(t, "00", n.code(n.reversalOf(late, c, 500)))
			require.Equal(t, "05", n.code(late))
			require.Equal(t, 1.0, n.metric("bandeira_gateway_duplicates_total", `kind="after_reversal"`),
				"the gateway's own tombstone declines it, without routing it")
			require.Equal(t, opening-6_000, n.balance(c).Available)
		})
		t.Run("bandeira audit passes on the books of the run", func(t *testing.T) {
			dir := n.dataDir()
			n.stop()
			code, out := runAudit(t, "--data-dir", dir)
			require.Equal(t, exitOK, code, out)
			// The requests: the hold and the five balance inquiries, which the books remember
			// under their keys like every request; the late original never reached the issuer.
			require.Contains(t, out, "nubank         ok: 1 accounts, 6 requests (6 approved), 4 postings, 0 open holds (R$ 0.00 held), 1 tombstones, settlement R$ 60.00")
			require.Contains(t, out, "network        ok: 1 keys compared across the issuers and the acquirer, 0 stand-in approvals, R$ 60.00 presented, 0 queued")
			code, out = runAudit(t, "--data-dir", dir, "--json")
			require.Equal(t, exitOK, code, out)
			var report struct {
				Passed      bool             `json:"passed"`
				Issuers     []map[string]any `json:"issuers"`
				Network     map[string]any   `json:"network"`
				Divergences []any            `json:"divergences"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &report))
			require.True(t, report.Passed)
			require.Len(t, report.Issuers, 3)
			require.NotNil(t, report.Divergences, "divergences is [] when all agree")
			require.Empty(t, report.Divergences)
			require.Equal(t, map[string]any{"keys": 1.0, "stand_ins": 0.0, "queued": 0.0, "presented_centavos": 6000.0}, report.Network)
			nubank := report.Issuers[1]
			require.Equal(t, map[string]any{"issuer": "nubank", "passed": true, "accounts": 1.0, "requests": 6.0,
				"approved": 6.0, "postings": 4.0, "open_holds": 0.0, "held_centavos": 0.0, "tombstones": 1.0,
				"funding_centavos": nubank["funding_centavos"], "settlement_centavos": 6000.0, "violations": []any{}}, nubank)
			require.Negative(t, nubank["funding_centavos"], "minus the opening balances")
		})
	})
}

func TestAuditCommand(t *testing.T) {
	t.Run("exits 1 and names the violation when the books are tampered with", func(t *testing.T) {
		n := mustStartNet(t)
		c := n.card(issuers.Sicredi, bandeira.Debit, "")
		require.Equal(t, "00", n.code(n.request("0100", c, "000000", 1_000)))
		dir := n.dataDir()
		n.stop()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "issuers", "sicredi.db"))
		require.NoError(t, err)
		_, err = db.Exec("UPDATE postings SET amount = amount + 100 WHERE kind = 2") // the hold's posting
		require.NoError(t, err)
		require.NoError(t, db.Close())
		code, out := runAudit(t, "--data-dir", dir)
		require.Equal(t, exitFail, code)
		require.Contains(t, out, "sicredi        2 VIOLATIONS")
		require.Contains(t, out, "violation: I1 the holds account differs from the sum of open holds")
	})
	t.Run("exits 1 and names the divergence when the journal lost a sale the issuer posted", func(t *testing.T) {
		n := mustStartNet(t)
		c := n.card(issuers.Nubank, bandeira.Credit, "")
		sale := n.request("0200", c, "000000", 2_345)
		require.Equal(t, "00", n.code(sale))
		dir := n.dataDir()
		n.stop()
		code, out := runAudit(t, "--data-dir", dir)
		require.Equal(t, exitOK, code, out)
		db, err := sql.Open("sqlite", "file:"+acquirer.JournalPath(dir))
		require.NoError(t, err)
		_, err = db.Exec("DELETE FROM entries")
		require.NoError(t, err)
		require.NoError(t, db.Close())
		code, out = runAudit(t, "--data-dir", dir)
		require.Equal(t, exitFail, code)
		key := strings.TrimLeft(sale.Get(32), "0") + "/" + sale.Get(41) + "/" + strings.TrimLeft(sale.Get(11), "0") + "/" + sale.Get(7)
		require.Contains(t, out, "network        2 DIVERGENCES")
		require.Contains(t, out, "divergence: issuer_only "+key+" at nubank: the issuer has R$ 23.45 in effect; the acquirer booked nothing")
		require.Contains(t, out, "divergence: clearing at nubank: presented R$ 0.00 net of refunds; the issuer's books settled R$ 23.45")
		code, out = runAudit(t, "--data-dir", dir, "--issuers-only")
		require.Equal(t, exitOK, code, "the books alone still pass:\n%s", out)
		require.NotContains(t, out, "network")
	})
	t.Run("exits 1 without a journal unless told to audit the issuers only", func(t *testing.T) {
		n := mustStartNet(t)
		require.Equal(t, "00", n.code(n.request("0100", n.card(issuers.Sicredi, bandeira.Debit, ""), "000000", 100)))
		dir := n.dataDir()
		n.stop()
		require.NoError(t, os.Remove(acquirer.JournalPath(dir)))
		code, out := runAudit(t, "--data-dir", dir)
		require.Equal(t, exitFail, code)
		require.Contains(t, out, "no acquirer journal at")
		code, _ = runAudit(t, "--data-dir", dir, "--issuers-only")
		require.Equal(t, exitOK, code)
	})
	t.Run("exits 1 when the directory holds no books", func(t *testing.T) {
		code, out := runAudit(t, "--data-dir", t.TempDir())
		require.Equal(t, exitFail, code)
		require.Contains(t, out, "no books in")
	})
	t.Run("exits 2 on a bad flag", func(t *testing.T) {
		code, _ := runAudit(t, "--nope")
		require.Equal(t, exitUsage, code)
	})
	t.Run("run --reset starts the books and the journal over", func(t *testing.T) {
		n := mustStartNet(t)
		c := n.card("nubank", bandeira.Debit, "")
		require.Equal(t, "00", n.code(n.request("0200", c, "000000", 1000)))
		dir := n.dataDir()
		n.stop()
		m := NewMain(n.cfg, zerolog.New(zerolog.NewTestWriter(t)))
		m.Reset = true
		require.NoError(t, m.Run(context.Background()))
		require.NoError(t, m.Close())
		require.FileExists(t, filepath.Join(dir, "issuers", "nubank.db"))
		rep, err := books.Audit(context.Background(), filepath.Join(dir, "issuers", "nubank.db"))
		require.NoError(t, err)
		require.Zero(t, rep.Requests, "the books start over")
		es, err := acquirer.ReadJournal(context.Background(), acquirer.JournalPath(dir))
		require.NoError(t, err)
		require.Empty(t, es, "the journal starts over")
	})
}

func TestASecondRunOnTheSameDataRefuses(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		for _, args := range [][]string{
			{"run", "--config", n.cfgPath},
			{"run", "--processes", "--config", n.cfgPath},
			{"node", "--role", "issuer:nubank", "--config", n.cfgPath},
		} {
			t.Run("bandeira "+strings.Join(args[:len(args)-2], " ")+" exits 1 with one line", func(t *testing.T) {
				var out, errOut bytes.Buffer
				require.Equal(t, exitFail, Run(context.Background(), args, nil, &out, &errOut), errOut.String())
				require.Equal(t, 1, strings.Count(errOut.String(), "\n"), errOut.String())
				require.Contains(t, errOut.String(), "is in use")
				require.Contains(t, errOut.String(), "held by pid")
			})
		}
		require.Equal(t, "00", n.code(n.request("0100", n.card("nubank", bandeira.Credit, ""), "000000", 100)),
			"the network that holds the data still serves")
	})
}
