package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/iso"
)

// run runs the command line and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpAndUsage(t *testing.T) {
	t.Run("every command prints help with examples on stdout and exits 0", func(t *testing.T) {
		for _, c := range commands() {
			code, out, _ := run(t, c.name, "--help")
			require.Equal(t, exitOK, code, c.name)
			require.Contains(t, out, "Usage: bandeira "+c.name, c.name)
			require.Contains(t, out, "Examples:", c.name)
			require.Contains(t, out, "Flags:", c.name)
		}
		code, out, _ := run(t, "help")
		require.Equal(t, exitOK, code)
		require.Contains(t, out, "Commands:")
	})
	t.Run("every command lists its flags GNU-style with two dashes", func(t *testing.T) {
		for _, c := range commands() {
			_, out, _ := run(t, c.name, "--help")
			_, flags, _ := strings.Cut(out, "\nFlags:\n")
			lines := 0
			for _, line := range strings.Split(strings.TrimRight(flags, "\n"), "\n") {
				if strings.HasPrefix(line, "   ") {
					continue // a wrapped usage line
				}
				lines++
				require.Regexp(t, `^  (-h, )?--[a-z0-9-]+`, line, c.name)
			}
			require.Positive(t, lines, c.name)
			require.Contains(t, flags, "-h, --help", c.name)
		}
	})
	t.Run("a bad flag, value, argument or command exits 2 with one line on stderr", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"send", "--bogus"}, "bandeira send: unknown flag: --bogus (run 'bandeira send --help')"},
			{[]string{"send", "--amount", "abc"}, `bandeira send: invalid value "abc" for --amount: want an integer`},
			{[]string{"send", "--timeout", "soon"}, `invalid value "soon" for --timeout: want a duration such as 5s`},
			{[]string{"send", "--timeout"}, "bandeira send: flag needs an argument: --timeout"},
			{[]string{"send", "--field", "x"}, `invalid value "x" for --field: want N=VALUE`},
			{[]string{"loadtest", "--threshold", "p99<fast"}, `invalid value "p99<fast" for --threshold`},
			{[]string{"cards", "extra"}, `bandeira cards: unexpected argument "extra"`},
			{[]string{"describe", "a", "b"}, `bandeira describe: unexpected argument "b"`},
			{[]string{"nope"}, `bandeira: unknown command "nope"`},
			{[]string{"--bogus"}, "bandeira: unknown flag --bogus"},
			{[]string{}, "Usage:"},
		} {
			code, out, errOut := run(t, c.args...)
			require.Equal(t, exitUsage, code, "%v", c.args)
			require.Empty(t, out, "%v", c.args)
			require.Contains(t, errOut, c.want, "%v", c.args)
			if len(c.args) > 0 {
				require.Equal(t, 1, strings.Count(errOut, "\n"), "one line for %v: %q", c.args, errOut)
			}
		}
	})
	t.Run("takes --flag=value and Go's single-dash long flags", func(t *testing.T) {
		code, out, errOut := run(t, "cards", "--issuer=nubank", "-per-bin", "1", "-json")
		require.Equal(t, exitOK, code, errOut)
		var cards []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &cards))
		require.Equal(t, "nubank", cards[0]["issuer"])
		code, _, _ = run(t, "cards", "-per-bin=0", "--json=false")
		require.Equal(t, exitOK, code)
	})
	t.Run("a command written for the standard flag package works unchanged", func(t *testing.T) {
		var out, errOut bytes.Buffer
		fs := newFlagSet("node", "Usage: bandeira node\n\nExamples:\n  bandeira node", stdio{out: &out, err: &errOut})
		role := fs.String("role", "gateway", "node `role`")
		procs := fs.Int("processes", 1, "processes")
		tls := fs.Bool("tls", false, "use TLS")
		wait := fs.Duration("wait", time.Second, "how long to wait")
		fields := fieldFlags{}
		fs.Var(fields, "field", "set `N=VALUE`")
		var peers []string
		fs.Func("peer", "add a peer `address`", func(v string) error { peers = append(peers, v); return nil })
		code, ok := fs.parse([]string{"--role=issuer", "-processes", "3", "--tls", "--wait", "2s", "--field", "39=00",
			"--peer", "127.0.0.1:1", "--peer", "127.0.0.1:2"})
		require.True(t, ok, "%d: %s", code, errOut.String())
		require.Equal(t, "issuer", *role)
		require.Equal(t, 3, *procs)
		require.True(t, *tls)
		require.Equal(t, 2*time.Second, *wait)
		require.Equal(t, fieldFlags{39: "00"}, fields)
		require.Equal(t, []string{"127.0.0.1:1", "127.0.0.1:2"}, peers)
		var set []string
		fs.Visit(func(f *flag.Flag) { set = append(set, f.Name+"="+f.Value.String()) })
		require.Len(t, set, 6)
		require.Equal(t, []string{"role=issuer", "processes=3", "tls=true", "wait=2s", "field=map[39:00]"}, set[:5],
			"in declaration order")
		fs.printHelp()
		require.Contains(t, out.String(), "--role ROLE")
		require.Contains(t, out.String(), "--peer ADDRESS")
	})
	t.Run("a negative number is a flag's value, not a flag", func(t *testing.T) {
		code, _, errOut := run(t, "send", "--amount", "-1", "--pan", "4000010100000000")
		require.Equal(t, exitUsage, code)
		require.Contains(t, errOut, "--amount must be 0 to 999999999999")
	})
}

func TestVersion(t *testing.T) {
	t.Run("version and --version print the same line", func(t *testing.T) {
		code, out, _ := run(t, "version")
		require.Equal(t, exitOK, code)
		require.Regexp(t, `^bandeira \S+ \(revision \S+, go1\.\S+ \S+/\S+\)\n$`, out)
		code, out2, _ := run(t, "--version")
		require.Equal(t, exitOK, code)
		require.Equal(t, out, out2)
	})
	t.Run("--json has the bandeira_build_info labels", func(t *testing.T) {
		code, out, _ := run(t, "version", "--json")
		require.Equal(t, exitOK, code)
		var b map[string]string
		require.NoError(t, json.Unmarshal([]byte(out), &b))
		require.Equal(t, runtime.Version(), b["goversion"])
		require.NotEmpty(t, b["version"])
		require.NotEmpty(t, b["revision"])
	})
	t.Run("the link-time version wins, then the module's, then devel", func(t *testing.T) {
		info := &debug.BuildInfo{Main: debug.Module{Version: "v0.9.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
		require.Equal(t, "v1.2.0", buildInfoOf(info, true, "v1.2.0").Version)
		b := buildInfoOf(info, true, "")
		require.Equal(t, "v0.9.0", b.Version)
		require.Equal(t, "abc123-dirty", b.Revision)
		info.Main.Version = "(devel)"
		require.Equal(t, "devel", buildInfoOf(info, true, "").Version)
		require.Equal(t, buildInfo{Version: "devel", Revision: "unknown", GoVersion: runtime.Version(),
			Platform: runtime.GOOS + "/" + runtime.GOARCH}, buildInfoOf(nil, false, ""))
	})
}

func TestRunCommandConfig(t *testing.T) {
	t.Run("--check-config validates the embedded default and prints a summary", func(t *testing.T) {
		code, out, _ := run(t, "run", "--check-config")
		require.Equal(t, exitOK, code)
		require.Contains(t, out, "is valid")
		require.Contains(t, out, "55748102 mastercard debit")
		require.Contains(t, out, "purchase up to R$ 200.00, R$ 500.00 a card a day")
	})
	t.Run("a bad config exits 2 naming the file, line and key", func(t *testing.T) {
		code, _, errOut := run(t, "run", "--config", "../../configs/testdata/unknown-key.bad.yaml")
		require.Equal(t, exitUsage, code)
		require.Contains(t, errOut, `unknown-key.bad.yaml:3: unknown key "gateway.requets_timeout"`)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(errOut), "\n")+1, "one line")
	})
	t.Run("a flag that breaks the config is refused", func(t *testing.T) {
		code, _, errOut := run(t, "run", "--log-format", "xml", "--check-config")
		require.Equal(t, exitUsage, code)
		require.Contains(t, errOut, `format "xml"`)
	})
	t.Run("--check-config refuses a listen address that cannot be bound", func(t *testing.T) {
		code, _, errOut := run(t, "run", "--http-addr", "127.0.0.1:99999", "--check-config")
		require.Equal(t, exitUsage, code)
		require.Contains(t, errOut, `listen: http address "127.0.0.1:99999": port "99999" must be a number from 0 to 65535`)
		require.Equal(t, 1, strings.Count(errOut, "\n"))
	})
	t.Run("serves until its context ends, then drains and exits 0", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var out, errOut bytes.Buffer
		go func() {
			done <- Run(ctx, []string{"run", "--gateway-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
				"--wallet-addr", "127.0.0.1:0", "--data-dir", t.TempDir()}, strings.NewReader(""), &out, &errOut)
		}()
		time.Sleep(200 * time.Millisecond) // let it bind; the outcome, not the time, is asserted
		cancel()
		select {
		case code := <-done:
			require.Equal(t, exitOK, code, errOut.String())
		case <-time.After(15 * time.Second):
			t.Fatal("run did not stop after its context ended")
		}
		require.Contains(t, errOut.String(), "bandeira is running")
	})
	t.Run("a busy port exits 1 with the reason", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		code, _, errOut := run(t, "run", "--gateway-addr", ln.Addr().String(), "--http-addr", "127.0.0.1:0",
			"--wallet-addr", "127.0.0.1:0", "--data-dir", t.TempDir())
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "listening for ISO 8583")
	})
}

func TestCardsCommand(t *testing.T) {
	t.Run("--json prints every documented key with scenario cards included", func(t *testing.T) {
		code, out, _ := run(t, "cards", "--json", "--issuer", "nubank", "--per-bin", "2")
		require.Equal(t, exitOK, code)
		var cards []map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &cards))
		regular, scenarios := 0, map[string]bool{}
		for _, c := range cards {
			for _, k := range []string{"pan", "expiry", "cvv2", "pin", "issuer", "brand", "product", "available", "scenario"} {
				require.Contains(t, c, k)
			}
			require.Equal(t, "nubank", c["issuer"])
			require.Equal(t, "mastercard", c["brand"])
			require.True(t, bandeira.LuhnValid(c["pan"].(string)))
			if c["scenario"] == "" {
				regular++
			} else {
				scenarios[c["scenario"].(string)] = true
			}
		}
		require.Equal(t, 3*2, regular, "two per Nubank BIN row")
		require.Len(t, scenarios, 9)
	})
	t.Run("the table lists each card once with its scenario", func(t *testing.T) {
		code, out, _ := run(t, "cards", "--per-bin", "0")
		require.Equal(t, exitOK, code)
		require.Contains(t, out, "insufficient-funds")
		require.Contains(t, out, "no-answer")
		require.NotContains(t, out, " -\n", "only scenario cards with --per-bin 0")
	})
	t.Run("an unknown issuer is a usage error", func(t *testing.T) {
		code, _, errOut := run(t, "cards", "--issuer", "itau")
		require.Equal(t, exitUsage, code)
		require.Contains(t, errOut, `unknown issuer "itau"`)
	})
}

func TestSendCommand(t *testing.T) {
	n := mustStartNet(t)
	addr := n.gatewayAddr
	debit := n.card("sicredi", "debit", "")

	t.Run("sends a purchase and prints the response as JSON, exit 0", func(t *testing.T) {
		code, out, errOut := run(t, "send", "--addr", addr, "--pan", debit.PAN.Digits(), "--expiry", debit.Expiry,
			"--amount", "2500", "--cvv2", debit.CVV2, "--pin", debit.PIN, "--json")
		require.Equal(t, exitOK, code, errOut)
		var resp iso.Message
		require.NoError(t, json.Unmarshal([]byte(out), &resp))
		require.Equal(t, "0110", resp.MTI)
		require.Equal(t, "00", resp.Get(39))
		require.Equal(t, "000000002500", resp.Get(4))
		require.Equal(t, "WAPP0001", resp.Get(41))
	})
	t.Run("prints a table with the PAN masked and the code's meaning", func(t *testing.T) {
		code, out, _ := run(t, "send", "--addr", addr, "--pan", debit.PAN.Digits(), "--expiry", debit.Expiry, "--merchant", "PADARIA00000001")
		require.Equal(t, exitOK, code)
		require.Contains(t, out, "0110")
		require.Contains(t, out, debit.PAN.String())
		require.NotContains(t, out, debit.PAN.Digits())
		require.Contains(t, out, "PADA0001")
		require.True(t, strings.HasPrefix(out, "response code 00: Approved\n"), out)
		require.Contains(t, out, ": 00 (Approved)")
	})
	t.Run("--json masks the PAN and says what the code means; --reveal prints it in full", func(t *testing.T) {
		broke := n.card("sicredi", "debit", "insufficient-funds")
		args := []string{"send", "--addr", addr, "--pan", broke.PAN.Digits(), "--expiry", broke.Expiry, "--amount", "50000", "--json"}
		code, out, errOut := run(t, args...)
		require.Equal(t, exitOK, code, errOut)
		require.NotContains(t, out, broke.PAN.Digits())
		var resp struct {
			iso.Message
			Meaning string `json:"meaning"`
		}
		require.NoError(t, json.Unmarshal([]byte(out), &resp))
		require.Equal(t, broke.PAN.String(), resp.Get(2))
		require.Equal(t, "51", resp.Get(39))
		require.Equal(t, "Insufficient funds", resp.Meaning)

		code, out, errOut = run(t, append(args, "--reveal")...)
		require.Equal(t, exitOK, code, errOut)
		require.NoError(t, json.Unmarshal([]byte(out), &resp))
		require.Equal(t, broke.PAN.Digits(), resp.Get(2))
	})
	t.Run("prices the worked example of docs/economics.md through the whole stack: R$100.00 credit at 3.99%", func(t *testing.T) {
		credit := n.card("bancodobrasil", "credit", "")
		code, out, errOut := run(t, "send", "--addr", addr, "--pan", credit.PAN.Digits(), "--expiry", credit.Expiry,
			"--amount", "10000", "--json")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, `"39":"00"`)
		fee := func(kind string) float64 {
			return n.metric("bandeira_acquirer_fees_centavos_total", `brand="visa"`, `product="credit"`, `band="a_vista"`, `kind="`+kind+`"`)
		}
		require.Equal(t, 399.0, fee("mdr"), "the merchant pays 3.99 and receives 96.01")
		require.Equal(t, 165.0, fee("interchange"), "the issuer earns 1.65")
		require.Equal(t, 10.0, fee("brand"), "the network earns 0.10")
		require.Equal(t, 224.0, fee("acquirer"), "the acquirer keeps 2.24")
	})
	t.Run("sends installment sales in field 48 beside the CVV2, priced in their band", func(t *testing.T) {
		credit := n.card("nubank", "credit", "")
		for _, c := range []struct {
			flag, band string
			mdr        float64
		}{
			{"lojista:3", "lojista_2_6", 399},   // whatsapp-2020: a flat 3.99% of R$100.00
			{"lojista:12", "lojista_7_12", 399}, // in every band
			{"emissor:24", "emissor", 399},      // priced as à vista
		} {
			code, out, errOut := run(t, "send", "--addr", addr, "--pan", credit.PAN.Digits(), "--expiry", credit.Expiry,
				"--amount", "10000", "--cvv2", credit.CVV2, "--installments", c.flag, "--json")
			require.Equal(t, exitOK, code, errOut)
			require.Contains(t, out, `"39":"00"`, c.flag)
			require.Equal(t, 10000.0, n.metric("bandeira_acquirer_volume_centavos_total", `band="`+c.band+`"`), c.flag)
			require.Equal(t, c.mdr, n.metric("bandeira_acquirer_fees_centavos_total", `band="`+c.band+`"`, `kind="mdr"`), c.flag)
		}
		code, out, errOut := run(t, "send", "--addr", addr, "--pan", credit.PAN.Digits(), "--expiry", credit.Expiry,
			"--amount", "10000", "--installments", "lojista:6", "--merchant", "PADARIA00000001", "--json")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, `"39":"00"`)
		require.Equal(t, 399.0+399.0, n.metric("bandeira_acquirer_fees_centavos_total", `band="lojista_2_6"`, `kind="mdr"`),
			"the standard plan's 2–6x band is 3.99% too")
		require.Equal(t, 185.0+185.0, n.metric("bandeira_acquirer_fees_centavos_total", `band="lojista_2_6"`, `kind="interchange"`),
			"1.85% interchange in the 2–6x band on both plans")
		require.Equal(t, 204.0+204.0, n.metric("bandeira_acquirer_fees_centavos_total", `band="lojista_2_6"`, `kind="acquirer"`))
	})
	t.Run("builds field 48 with the CVV2 and the installment plan", func(t *testing.T) {
		cfg, err := configs.Load("")
		require.NoError(t, err)
		o := sendOptions{mti: "0100", pan: debit.PAN.Digits(), amount: 100, processingCode: "000000", cvv2: "123",
			installments: "lojista:6", fields: fieldFlags{}, set: map[string]bool{}}
		m, err := buildSendMessage(o, cfg, time.Now())
		require.NoError(t, err)
		require.Equal(t, "CV003123IP003106", m.Get(48), "the example of docs/spec.md, field 48")
		file := filepath.Join(t.TempDir(), "sale.json")
		m.Set(48, "XX002abIP003105")
		data, err := json.Marshal(m)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(file, data, 0o600))
		o = sendOptions{file: file, installments: "emissor:18", fields: fieldFlags{}, set: map[string]bool{"installments": true}}
		m, err = buildSendMessage(o, cfg, time.Now())
		require.NoError(t, err)
		require.Equal(t, "XX002abIP003218", m.Get(48), "other tags of a --file message are kept, IP replaced")
	})
	t.Run("replays a --file message, with flags overriding its fields", func(t *testing.T) {
		msg := iso.Message{MTI: "0800", Fields: map[int]string{7: "1126120000", 11: "424242", 70: "301"}}
		data, err := json.Marshal(msg)
		require.NoError(t, err)
		file := filepath.Join(t.TempDir(), "echo.json")
		require.NoError(t, os.WriteFile(file, data, 0o600))
		code, out, errOut := run(t, "send", "--addr", addr, "--file", file, "--field", "70=001", "--json")
		require.Equal(t, exitOK, code, errOut)
		var resp iso.Message
		require.NoError(t, json.Unmarshal([]byte(out), &resp))
		require.Equal(t, "0810", resp.MTI)
		require.Equal(t, "424242", resp.Get(11))
		require.Equal(t, "001", resp.Get(70))
	})
	t.Run("lets an integrator send bad content and see the format error", func(t *testing.T) {
		code, out, _ := run(t, "send", "--addr", addr, "--pan", debit.PAN.Digits(), "--expiry", debit.Expiry, "--field", "4=12345678901X", "--json")
		require.Equal(t, exitOK, code)
		require.Contains(t, out, `"39":"30"`)
		code, out, _ = run(t, "send", "--addr", addr, "--pan", debit.PAN.Digits(), "--expiry", debit.Expiry, "--field", "48=IP003113", "--json")
		require.Equal(t, exitOK, code)
		require.Contains(t, out, `"39":"30"`, "13 lojista installments are out of range")
	})
	t.Run("exits 1 when no response arrives", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := ln.Addr().String()
		require.NoError(t, ln.Close())
		code, _, errOut := run(t, "send", "--addr", closed, "--pan", debit.PAN.Digits(), "--timeout", "2s")
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "no response")
	})
	t.Run("exits 2 for a message that cannot be built or packed", func(t *testing.T) {
		for _, args := range [][]string{
			{"--mti", "0110"}, // a response type
			{"--pan", debit.PAN.Digits(), "--field", "41=TOO-LONG-TERMINAL"}, // does not pack
			{"--amount", "-1", "--pan", debit.PAN.Digits()},
			{"--field", "999=1"},
			{"--merchant", "NOPE"},
			{"--mti", "0100"}, // no PAN
			{"--pan", debit.PAN.Digits(), "--installments", "lojista:13"},
			{"--pan", debit.PAN.Digits(), "--installments", "emissor:1"},
			{"--pan", debit.PAN.Digits(), "--installments", "6"},
		} {
			code, _, errOut := run(t, append([]string{"send", "--addr", addr}, args...)...)
			require.Equal(t, exitUsage, code, "%v: %s", args, errOut)
			require.NotEmpty(t, errOut)
		}
	})
}
