package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/loadtest"
)

// runLoadtest runs `bandeira loadtest args...` in process and returns the exit code,
// stdout and stderr.
func runLoadtest(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), append([]string{"loadtest"}, args...), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// cardsFile writes the test network's cards in the `bandeira cards --json` shape.
func (n *testNet) cardsFile() string {
	path := filepath.Join(n.t.TempDir(), "cards.json")
	f, err := os.Create(path)
	require.NoError(n.t, err)
	require.Equal(n.t, exitOK, printCardsJSON(f, n.cards))
	require.NoError(n.t, f.Close())
	return path
}

// loadtestTimers are the test network's timers for the load test: the harness's short
// ones resolve the no-answer scenario cards quickly, but a commit that stalls for a moment
// on a busy CI machine would then turn into 91s and 96s the test does not mean to count.
// The load test's mix uses no such card.
const loadtestTimers = `
network: {issuer_timeout: 2s}
gateway: {request_timeout: 3s}
server: {request_timeout: 4s}
`

func TestLoadtestEndToEnd(t *testing.T) {
	n := mustStartNetWith(t, oneProcess, loadtestTimers, iso.DefaultClientConfig(), http.DefaultClient)
	cards := n.cardsFile()
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "summary.json"), filepath.Join(dir, "report.html")
	code, out, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "400", "--duration", "2s",
		"--connections", "2", "--cards", cards, "--json", jsonPath, "--html", htmlPath,
		"--mix", "purchase=60,refund=5,reversal=10,balance=10,decline=10,echo=5",
		"--threshold", "rate>0.99", "--threshold", "errors<1%")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)

	var s loadtest.Summary
	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &s))
	q := s.Requests

	t.Run("every scheduled request is sent and answered", func(t *testing.T) {
		require.Equal(t, int64(800), q.Scheduled)
		require.Equal(t, int64(800), q.Sent)
		require.Equal(t, int64(800), q.Answered)
		require.Zero(t, q.TimedOut+q.Dropped)
		for kind, n := range q.Errors {
			require.Zero(t, n, kind)
		}
	})
	t.Run("the gateway counted exactly the requests the generator sent", func(t *testing.T) {
		var echoes int64
		for _, k := range s.Kinds {
			if k.Kind == "echo" {
				echoes = k.Sent
			}
		}
		require.Positive(t, echoes)
		// The ISO server answers the echoes itself; everything else reaches the gateway.
		require.Equal(t, float64(echoes), n.metric("bandeira_iso_network_management_total", `code="301"`))
		require.Equal(t, float64(800-echoes), n.metric("bandeira_gateway_requests_total"))
	})
	t.Run("the simulator accepts every message: no format, duplicate or invalid-transaction code", func(t *testing.T) {
		allowed := map[string]bool{"00": true, "51": true, "54": true, "41": true, "43": true, "62": true}
		var total int64
		for _, c := range s.Codes {
			require.True(t, allowed[c.Code], "unexpected response code %s (%d times)", c.Code, c.Count)
			total += c.Count
		}
		require.Equal(t, q.Answered, total)
	})
	t.Run("declines decline and the other kinds approve", func(t *testing.T) {
		kinds := map[string]loadtest.KindSummary{}
		for _, k := range s.Kinds {
			kinds[k.Kind] = k
		}
		require.Len(t, kinds, 6)
		require.Positive(t, kinds["decline"].Answered)
		require.Zero(t, kinds["decline"].Approved)
		for _, k := range []string{"reversal", "refund", "balance", "echo"} {
			require.Equal(t, kinds[k].Answered, kinds[k].Approved, k)
		}
		require.Positive(t, kinds["reversal"].Sent)
	})
	t.Run("the report has the table, the thresholds and both files", func(t *testing.T) {
		for _, want := range []string{"scheduled 800", "answered 800", "p99.9", "decline", "rate>0.99", "pass"} {
			require.Contains(t, out, want)
		}
		require.Len(t, s.Thresholds, 2)
		html, err := os.ReadFile(htmlPath)
		require.NoError(t, err)
		require.Contains(t, string(html), "<svg ")
		require.Contains(t, errOut, "achieved", "a progress line per second on stderr")
	})
	t.Run("no card number is printed", func(t *testing.T) {
		for _, c := range n.cards[:20] {
			require.NotContains(t, out+errOut, c.PAN.Digits())
		}
	})
}

func TestLoadtestInstallments(t *testing.T) {
	n := mustStartNet(t)
	jsonPath := filepath.Join(t.TempDir(), "summary.json")
	code, out, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "400", "--requests", "300",
		"--connections", "2", "--cards", n.cardsFile(), "--mix", "installments=1", "--json", jsonPath, "--quiet")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	var s loadtest.Summary
	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &s))

	t.Run("every installment sale is answered 00", func(t *testing.T) {
		require.Equal(t, int64(300), s.Requests.Answered)
		require.Equal(t, []loadtest.CodeCount{{Code: "00", Meaning: "Approved", Count: 300, Share: 1}}, s.Codes)
		require.Len(t, s.Kinds, 1)
		require.Equal(t, "installments", s.Kinds[0].Kind)
		require.Equal(t, int64(300), s.Kinds[0].Approved)
	})
	t.Run("the acquirer priced every sale as credit in the lojista and emissor bands", func(t *testing.T) {
		const sales = "bandeira_acquirer_sales_total"
		require.Equal(t, 300.0, n.metric(sales, `product="credit"`))
		require.Zero(t, n.metric(sales, `band="a_vista"`), "no sale priced à vista")
		var total float64
		for _, band := range []string{"lojista_2_6", "lojista_7_12", "emissor"} {
			v := n.metric(sales, `band="`+band+`"`)
			require.Positive(t, v, band)
			total += v
		}
		require.Equal(t, 300.0, total)
	})
}

func TestLoadtestClosedModelAndThresholds(t *testing.T) {
	n := mustStartNet(t)
	cards := n.cardsFile()
	t.Run("the closed model sends exactly --requests", func(t *testing.T) {
		code, out, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--concurrency", "8", "--requests", "300",
			"--cards", cards, "--mix", "purchase=1", "--quiet")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "sent 300")
		require.Contains(t, out, "answered 300")
		require.Empty(t, errOut, "--quiet prints no progress")
	})
	t.Run("a failed threshold exits 99 and names it with the actual value and its unit", func(t *testing.T) {
		code, out, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "100", "--requests", "50",
			"--cards", cards, "--threshold", "p50<1us", "--threshold", "errors<=0%", "--quiet")
		require.Equal(t, exitThresholds, code)
		require.Regexp(t, `p50<1us\s+[0-9.]+(µs|ms)\s+FAIL`, out)
		require.Regexp(t, `errors<=0%\s+0%\s+pass`, out)
		require.Regexp(t, `threshold failed: p50<1us \(actual [0-9.]+(µs|ms)\)\n$`, errOut)
	})
	t.Run("--json - writes the JSON to stdout and the table to stderr", func(t *testing.T) {
		code, out, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "100", "--requests", "50",
			"--cards", cards, "--mix", "purchase=1", "--json", "-", "--quiet")
		require.Equal(t, exitOK, code, errOut)
		var s loadtest.Summary
		require.NoError(t, json.Unmarshal([]byte(out), &s), "stdout is only the JSON")
		require.Equal(t, int64(50), s.Requests.Answered)
		require.Contains(t, errOut, "answered 50")
		require.Equal(t, readBuildInfo().String(), s.ToolVersion)
		require.Equal(t, "bandeira loadtest --target "+n.gatewayAddr+" --rate 100 --requests 50 --cards "+cards+
			" --mix purchase=1 --json - --quiet", s.Command)
		require.NoFileExists(t, "-")
	})
	t.Run("--html - writes the page to stdout", func(t *testing.T) {
		code, out, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "100", "--requests", "20",
			"--cards", cards, "--mix", "purchase=1", "--html", "-", "--quiet", "--threshold", "p99<1h")
		require.Equal(t, exitOK, code, errOut)
		require.True(t, strings.HasPrefix(out, "<!DOCTYPE html>"))
		require.Contains(t, out, "<strong>PASS</strong>")
		require.Contains(t, errOut, "answered 20")
	})
}

func TestShellJoin(t *testing.T) {
	require.Equal(t, `--rate 100 --threshold 'p99<20ms' --mix 'a b' '' 'it'\''s'`,
		shellJoin([]string{"--rate", "100", "--threshold", "p99<20ms", "--mix", "a b", "", "it's"}))
}

func TestLoadtestUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a remote target without --allow-remote", []string{"--target", "192.0.2.1:8583"}, "non-loopback"},
		{"--rate with --stages", []string{"--rate", "10", "--stages", "1s:10"}, "exclude"},
		{"--rate with --concurrency", []string{"--rate", "10", "--concurrency", "4"}, "exclude"},
		{"a malformed threshold", []string{"--threshold", "p99<soon"}, "threshold"},
		{"a malformed mix", []string{"--mix", "purchase=x"}, "mix"},
		{"a positional argument", []string{"now"}, "unexpected argument"},
		{"both reports on stdout", []string{"--json", "-", "--html", "-"}, "cannot both write to stdout"},
	}
	for _, c := range cases {
		t.Run("exits 2 for "+c.name, func(t *testing.T) {
			code, _, errOut := runLoadtest(t, c.args...)
			require.Equal(t, exitUsage, code)
			require.Contains(t, errOut, c.want)
		})
	}
	t.Run("--help shows the models, the kinds and examples", func(t *testing.T) {
		code, out, _ := runLoadtest(t, "--help")
		require.Equal(t, exitOK, code)
		for _, want := range []string{"Open model", "Closed model", "reversal", "--threshold", "Examples:"} {
			require.Contains(t, out, want)
		}
	})
	t.Run("an unreachable target exits 1", func(t *testing.T) {
		code, _, errOut := runLoadtest(t, "--target", "127.0.0.1:1", "--requests", "1", "--quiet")
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "dialing")
	})
}
