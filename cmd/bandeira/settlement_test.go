package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
)

// mixedTraffic sends sales of every product through both brands and all three issuers at
// two merchants: an installment sale, a full and a partial reversal, completions that
// capture every 0100 hold (one less than was held), a hold left uncaptured, a refund, a
// decline, a retransmit and a balance inquiry. It returns how many journal entries it
// made.
func mixedTraffic(t *testing.T, n *testNet) int {
	t.Helper()
	atPadaria := func(m iso.Message) iso.Message {
		m.Set(41, "PADA0001")
		m.Set(42, "PADARIA00000001")
		return m
	}
	bbCredit := n.card("bancodobrasil", bandeira.Credit, "")
	bbDebit := n.card("bancodobrasil", bandeira.Debit, "")
	nuCredit := n.card("nubank", bandeira.Credit, "")
	nuPrepaid := n.card("nubank", bandeira.Prepaid, "")
	scVisaDebit := n.card("sicredi", bandeira.Debit, "")
	var scMasterDebit issuers.Card
	for _, c := range n.cards {
		if c.Issuer == "sicredi" && c.Brand == bandeira.Mastercard && c.Product == bandeira.Debit && c.Scenario == "" {
			scMasterDebit = c
			break
		}
	}
	require.NotEmpty(t, scMasterDebit.PAN)

	capture := func(orig iso.Message, c issuers.Card, amount bandeira.Amount) iso.Message {
		m := n.reversalOf(orig, c, amount)
		m.MTI = "0220"
		m.Set(41, orig.Get(41))
		m.Set(42, orig.Get(42))
		return m
	}
	worked := n.request("0100", bbCredit, "000000", 10000)
	require.Equal(t, "00", n.code(worked))
	require.Equal(t, "00", n.code(worked), "a retransmit is answered again, journaled once")
	require.Equal(t, "00", n.code(capture(worked, bbCredit, 10000)))
	lojista := atPadaria(n.request("0100", nuCredit, "000000", 30000))
	lojista.Set(48, "IP003103")
	require.Equal(t, "00", n.code(lojista))
	require.Equal(t, "00", n.code(capture(lojista, nuCredit, 30000)))
	require.Equal(t, "00", n.code(atPadaria(n.request("0200", scVisaDebit, "000000", 5000))))
	require.Equal(t, "00", n.code(n.request("0200", nuPrepaid, "000000", 2000)))

	reversed := n.request("0200", bbDebit, "000000", 1234)
	require.Equal(t, "00", n.code(reversed))
	require.Equal(t, "00", n.code(n.reversalOf(reversed, bbDebit, 1234)))

	partial := atPadaria(n.request("0100", scMasterDebit, "000000", 8000))
	require.Equal(t, "00", n.code(partial))
	rev := atPadaria(n.reversalOf(partial, scMasterDebit, 8000))
	rev.Set(95, "000000003000000000003000000000003000000000")
	require.Equal(t, "00", n.code(rev))
	require.Equal(t, "00", n.code(capture(partial, scMasterDebit, 3000)), "what the partial reversal left")

	captured := n.request("0100", nuCredit, "000000", 4000)
	require.Equal(t, "00", n.code(captured))
	require.Equal(t, "00", n.code(capture(captured, nuCredit, 2500)), "a completion that captures less than was held")
	require.Equal(t, "00", n.code(n.request("0100", bbCredit, "000000", 700)), "a hold never captured")

	require.Equal(t, "00", n.code(n.request("0200", bbCredit, "200000", 500)), "a refund")
	broke := n.card("sicredi", bandeira.Debit, issuers.ScenarioInsufficientFunds)
	require.Equal(t, "51", n.code(n.request("0100", broke, "000000", 10000)))
	n.balance(bbDebit)
	return 15 // 8 sales (one an uncaptured hold), 2 reversals, 4 completions, 1 refund
}

// journalOf reads the running network's journal.
func journalOf(t *testing.T, n *testNet) []acquirer.Entry {
	t.Helper()
	es, err := acquirer.ReadJournal(context.Background(), acquirer.JournalPath(n.dataDir()))
	require.NoError(t, err)
	return es
}

func TestSettlementEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		want := mixedTraffic(t, n)
		dir := n.dataDir()
		es := journalOf(t, n)
		require.Len(t, es, want)

		t.Run("counts the committed journal entries by kind", func(t *testing.T) {
			require.Equal(t, 8.0, n.metric("bandeira_acquirer_journal_entries_total", `kind="sale"`))
			require.Equal(t, 2.0, n.metric("bandeira_acquirer_journal_entries_total", `kind="reversal"`))
			require.Equal(t, 1.0, n.metric("bandeira_acquirer_journal_entries_total", `kind="refund"`))
			require.Equal(t, 4.0, n.metric("bandeira_acquirer_journal_entries_total", `kind="completion"`))
			require.Positive(t, n.metric("bandeira_acquirer_journal_commit_duration_seconds_count"))
		})
		t.Run("the command prints the same payouts as the HTTP endpoint", func(t *testing.T) {
			for _, c := range []struct{ flag, query string }{{"--detail=false", ""}, {"--detail", "&detail=true"}} {
				code, out, stderr := run(t, "settlement", "--data-dir", dir, "--format", "json", "--merchant", "PADARIA00000001", c.flag)
				require.Equal(t, exitOK, code, stderr)
				var fromCLI, fromHTTP settlementReport
				require.NoError(t, json.Unmarshal([]byte(out), &fromCLI))
				require.NoError(t, json.Unmarshal([]byte(n.get("/acquirer/settlements?merchant=PADARIA00000001"+c.query)), &fromHTTP))
				require.Equal(t, fromCLI, fromHTTP)
				require.NotEmpty(t, fromCLI.Payouts)
				for _, p := range fromCLI.Payouts {
					require.Equal(t, "PADARIA00000001", p.MerchantID)
				}
			}
			code, out, _ := run(t, "settlement", "--data-dir", dir, "--format", "json", "--merchant", "PADARIA00000001", "--detail")
			require.Equal(t, exitOK, code)
			var detailed settlementReport
			require.NoError(t, json.Unmarshal([]byte(out), &detailed))
			var legs int
			for _, p := range detailed.Payouts {
				require.Len(t, p.Sales, p.Items)
				for _, it := range p.Sales {
					if it.Of == 3 {
						legs++
					}
				}
			}
			require.Equal(t, 3, legs, "the lojista 3x sale is paid in three legs")
		})
		t.Run("the HTTP endpoint filters by payout date and rejects a bad one", func(t *testing.T) {
			var all, none settlementReport
			require.NoError(t, json.Unmarshal([]byte(n.get("/acquirer/settlements")), &all))
			first := all.Payouts[0].Date.String()
			require.NoError(t, json.Unmarshal([]byte(n.get("/acquirer/settlements?to="+first+"&from="+first)), &none))
			for _, p := range none.Payouts {
				require.Equal(t, first, p.Date.String())
			}
			resp, err := http.Get("http://" + n.httpAddr() + "/acquirer/settlements?from=2026-13-01")
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		})
		t.Run("table and csv formats list one line per payout and a total; --detail every sale", func(t *testing.T) {
			all, err := acquirer.Settle(es, acquirer.NewCalendar(n.cfg.Acquirer.Holidays), acquirer.SettlementFilter{})
			require.NoError(t, err)
			items := 0
			for _, p := range all {
				items += len(p.Items)
			}
			code, out, _ := run(t, "settlement", "--data-dir", dir)
			require.Equal(t, exitOK, code)
			require.Contains(t, out, "WACATALOGO00001")
			require.Regexp(t, fmt.Sprintf(`total +%d payouts`, len(all)), out)
			require.Equal(t, len(all)+2, strings.Count(out, "\n"), "a header, a line per payout and the total")
			code, out, _ = run(t, "settlement", "--data-dir", dir, "--detail")
			require.Equal(t, exitOK, code)
			require.Equal(t, len(all)+items+2, strings.Count(out, "\n"))
			code, out, _ = run(t, "settlement", "--data-dir", dir, "--format", "csv")
			require.Equal(t, exitOK, code)
			require.True(t, strings.HasPrefix(out, "date,merchant_id,payout_gross,payout_refunds,payout_mdr,payout_net,items\n"))
			require.Equal(t, len(all)+1, strings.Count(out, "\n"))
			code, out, _ = run(t, "settlement", "--data-dir", dir, "--format", "csv", "--detail")
			require.Equal(t, exitOK, code)
			require.True(t, strings.HasPrefix(out, "date,merchant_id,payout_gross,payout_refunds,payout_mdr,payout_net,entry_id,"))
			require.Equal(t, items+1, strings.Count(out, "\n"))
			require.NotContains(t, out, n.card("bancodobrasil", bandeira.Credit, "").PAN.Digits())
		})
		t.Run("bad flags exit 2 and a missing journal exits 1", func(t *testing.T) {
			code, _, stderr := run(t, "settlement", "--data-dir", dir, "--format", "xml")
			require.Equal(t, exitUsage, code)
			require.Contains(t, stderr, "format")
			code, _, _ = run(t, "settlement", "--data-dir", dir, "--from", "26-11-2026")
			require.Equal(t, exitUsage, code)
			code, _, stderr = run(t, "settlement", "--data-dir", t.TempDir())
			require.Equal(t, exitFail, code)
			require.Contains(t, stderr, "no journal")
		})
	})
}

func TestClearingCommand(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		mixedTraffic(t, n)
		dir := n.dataDir()
		day := journalOf(t, n)[0].SaleDate
		t.Run("writes one file per brand under the data directory by default and prints positions", func(t *testing.T) {
			code, out, stderr := run(t, "clearing", "--date", day.String(), "--data-dir", dir)
			require.Equal(t, exitOK, code, stderr)
			for _, b := range []string{"visa", "mastercard"} {
				path := filepath.Join(dir, "acquirer", "clearing", "clearing-"+b+"-"+day.String()+".jsonl")
				require.Contains(t, out, "wrote "+path)
				recs := clearingFileRecords(t, path)
				require.Equal(t, "header", recs[0]["record"])
				require.Equal(t, "trailer", recs[len(recs)-1]["record"])
				require.Equal(t, 0.0, recs[len(recs)-1]["positions_sum"])
			}
			require.Contains(t, out, "issuer nubank")
			require.Contains(t, out, "brand visa")
		})
		t.Run("clears nothing on a day without sales", func(t *testing.T) {
			out := t.TempDir()
			code, stdout, _ := run(t, "clearing", "--date", day.AddDays(-400).String(), "--data-dir", dir, "--out", out)
			require.Equal(t, exitOK, code)
			require.Contains(t, stdout, "no sales or refunds that day")
			files, err := os.ReadDir(out)
			require.NoError(t, err)
			require.Empty(t, files)
		})
		t.Run("exits 2 without a valid date and 1 without a journal", func(t *testing.T) {
			code, _, stderr := run(t, "clearing", "--data-dir", dir)
			require.Equal(t, exitUsage, code)
			require.Contains(t, stderr, "--date")
			code, _, _ = run(t, "clearing", "--data-dir", dir, "--date", "2026-02-30")
			require.Equal(t, exitUsage, code)
			code, _, stderr = run(t, "clearing", "--data-dir", t.TempDir(), "--date", day.String())
			require.Equal(t, exitFail, code)
			require.Contains(t, stderr, "no journal")
		})
	})
}

// clearingFileRecords reads a clearing file's records.
func clearingFileRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var recs []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec))
		recs = append(recs, rec)
	}
	return recs
}

// TestReconciliationEndToEnd checks invariant A1 of docs/architecture.md (docs/economics.md,
// "Reconciliation"): after mixed traffic, the issuers' books, the clearing positions and the
// merchant settlement agree to the centavo per issuer and brand, and every merchant is paid
// gross − refunds − MDR.
func TestReconciliationEndToEnd(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		mixedTraffic(t, n)
		dir, out := n.dataDir(), t.TempDir()
		es := journalOf(t, n)
		eff := acquirer.Effective(es)

		// Clear every sale day (one, unless the test straddles midnight in Brasília).
		days := map[acquirer.Date]bool{}
		for _, e := range eff {
			days[e.SaleDate] = true
		}
		issuerPos := map[string]bandeira.Amount{} // from the clearing files
		brandPos := map[string]bandeira.Amount{}  // from the clearing files
		acquirerPos := bandeira.Amount(0)         // from the clearing files
		for day := range days {
			code, stdout, stderr := run(t, "clearing", "--date", day.String(), "--data-dir", dir, "--out", out)
			require.Equal(t, exitOK, code, stderr)
			require.Contains(t, stdout, "positions")
			for _, b := range []bandeira.Brand{bandeira.Visa, bandeira.Mastercard} {
				var sum bandeira.Amount
				for _, rec := range clearingFileRecords(t, filepath.Join(out, "clearing-"+string(b)+"-"+day.String()+".jsonl")) {
					if rec["record"] != "position" {
						continue
					}
					v := bandeira.Amount(rec["net"].(float64))
					sum += v
					switch rec["member_kind"] {
					case acquirer.MemberIssuer:
						issuerPos[rec["member"].(string)] += v
					case acquirer.MemberBrand:
						brandPos[rec["member"].(string)] += v
					case acquirer.MemberAcquirer:
						acquirerPos += v
					}
				}
				require.Zero(t, sum, "%s positions net to zero", b)
			}
		}

		// What the journal says each party is owed.
		issuerGross, issuerIC := map[string]bandeira.Amount{}, map[string]bandeira.Amount{}
		brandFees := map[string]bandeira.Amount{}
		type merchantTotals struct{ gross, refunds, mdr bandeira.Amount }
		merchants := map[string]*merchantTotals{}
		var margin bandeira.Amount
		for _, e := range eff {
			issuerGross[e.Issuer] += e.Fee.Gross
			issuerIC[e.Issuer] += e.Fee.Interchange
			brandFees[string(e.Brand)] += e.Fee.BrandFee
			margin += e.Fee.AcquirerMargin
			m := merchants[e.MerchantID]
			if m == nil {
				m = &merchantTotals{}
				merchants[e.MerchantID] = m
			}
			if e.Kind == acquirer.EntryRefund {
				m.refunds -= e.Fee.Gross
			} else {
				m.gross, m.mdr = m.gross+e.Fee.Gross, m.mdr+e.Fee.MDR
			}
		}

		held := map[string]bandeira.Amount{}
		for _, e := range acquirer.OpenHolds(es) {
			held[e.Issuer] += e.Fee.Gross
		}
		t.Run("each issuer's books hold exactly what clearing makes it pay, interchange included", func(t *testing.T) {
			for _, issuer := range []string{"bancodobrasil", "nubank", "sicredi"} {
				rep, err := books.Audit(context.Background(), booksPath(dir, issuer))
				require.NoError(t, err)
				require.Empty(t, rep.Violations)
				owed := bandeira.Amount(rep.Settlement) // captured or posted, less refunds
				require.NotZero(t, owed, issuer)
				require.Equal(t, issuerGross[issuer], owed, "%s: books and journal", issuer)
				require.Equal(t, -(owed - issuerIC[issuer]), issuerPos[issuer], "%s: books and clearing", issuer)
				require.Equal(t, held[issuer], bandeira.Amount(rep.Held), "%s: holds the journal does not present", issuer)
			}
			require.Equal(t, map[string]bandeira.Amount{"bancodobrasil": 700}, held)
		})
		t.Run("each brand's position is its brand fees", func(t *testing.T) {
			require.Equal(t, brandFees, map[string]bandeira.Amount(brandPos))
			require.Len(t, brandPos, 2)
		})
		t.Run("every merchant is paid gross − refunds − MDR, and the acquirer keeps its margin", func(t *testing.T) {
			code, stdout, stderr := run(t, "settlement", "--data-dir", dir, "--format", "json")
			require.Equal(t, exitOK, code, stderr)
			var rep settlementReport
			require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
			paid := map[string]bandeira.Amount{}
			var total bandeira.Amount
			for _, p := range rep.Payouts {
				paid[p.MerchantID] += p.Net
				total += p.Net
			}
			require.Len(t, merchants, 2)
			for id, m := range merchants {
				require.Equal(t, m.gross-m.refunds-m.mdr, paid[id], id)
			}
			require.Equal(t, acquirerPos-total, margin, "what the acquirer receives in clearing minus what it pays merchants")
		})
		t.Run("every reversal and refund appears once", func(t *testing.T) {
			kinds := map[acquirer.EntryKind]int{}
			for _, e := range es {
				kinds[e.Kind]++
			}
			require.Equal(t, map[acquirer.EntryKind]int{acquirer.EntrySale: 8, acquirer.EntryReversal: 2,
				acquirer.EntryCompletion: 4, acquirer.EntryRefund: 1}, kinds)
		})
	})
}
