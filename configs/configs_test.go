package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEmbeddedDefaultMatchesCode(t *testing.T) {
	t.Run("decoding bandeira.yaml over nothing gives DefaultConfig", func(t *testing.T) {
		var cfg Config
		require.NoError(t, decodeOver(&cfg, DefaultName, Default))
		require.Equal(t, DefaultConfig(), cfg)
	})
	t.Run("the defaults validate", func(t *testing.T) {
		cfg, err := Load("")
		require.NoError(t, err)
		require.Equal(t, DefaultConfig(), cfg)
	})
}

func TestGoodConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run("loads "+filepath.Base(f), func(t *testing.T) {
			_, err := Load(f)
			require.NoError(t, err)
		})
	}
	t.Run("a file overrides only the keys it sets", func(t *testing.T) {
		cfg, err := Load("testdata/minimal.good.yaml")
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1:18583", cfg.Listen.Gateway)
		require.Equal(t, 100, cfg.Issuers.CardsPerBIN)
		def := DefaultConfig()
		require.Equal(t, def.Listen.HTTP, cfg.Listen.HTTP)
		require.Equal(t, def.Issuers.Banks, cfg.Issuers.Banks)
		require.Equal(t, def.Acquirer, cfg.Acquirer)
	})
	t.Run("the faults section keeps each target's fault, an unquoted code included", func(t *testing.T) {
		cfg, err := Load("testdata/faults.good.yaml")
		require.NoError(t, err)
		require.Equal(t, Admin{TokenFile: "/run/bandeira/admin-token", FaultSeed: 42}, cfg.Admin)
		require.Equal(t, Faults{
			"issuer:nubank":                      {Latency: 500 * time.Millisecond, Jitter: 200 * time.Millisecond},
			"network:mastercard->issuer:sicredi": {Drop: 0.1},
			"network:visa":                       {Code: "05"},
			"gateway->network:visa":              {Down: true},
		}, cfg.Faults)
	})
	t.Run("a stand-in override changes only its bank and its keys", func(t *testing.T) {
		cfg, err := Load("testdata/stand-in.good.yaml")
		require.NoError(t, err)
		require.False(t, cfg.Network.StandIn.For("nubank").Enabled)
		sicredi := cfg.Network.StandIn.For("sicredi")
		require.Equal(t, []string{"purchase", "cash"}, sicredi.Types)
		require.EqualValues(t, 100000, sicredi.DailyLimit)
		require.EqualValues(t, 20000, sicredi.TransactionLimit)
		require.Equal(t, DefaultConfig().Network.StandIn.StandInRules, cfg.Network.StandIn.For("bancodobrasil"))
		require.Equal(t, 100*time.Millisecond, cfg.SAF.RetryMin)
		require.Equal(t, 24*time.Hour, cfg.SAF.MaxAge)
	})
	t.Run("a node's settings merge into the default node of its role", func(t *testing.T) {
		cfg, err := Load("testdata/new-bank.good.yaml")
		require.NoError(t, err)
		visa := cfg.Nodes[NetworkRole("visa")]
		require.Equal(t, "127.0.0.1:8584", visa.Listen)
		require.Equal(t, map[Role]string{"issuer:bancodobrasil": "127.0.0.1:8586", "issuer:sicredi": "127.0.0.1:8588",
			"issuer:bancointer": "127.0.0.1:8589"}, visa.Dial)
		require.Equal(t, []Role{"issuer:bancodobrasil", "issuer:nubank", "issuer:sicredi", "issuer:bancointer",
			"network:mastercard", "network:visa", "gateway", "wallet"}, cfg.Roles())
		require.Len(t, DefaultNodes()[NetworkRole("visa")].Dial, 2, "the defaults are not changed")
	})
}

func TestBadConfigs(t *testing.T) {
	want := map[string][]string{
		"unknown-key.bad.yaml":            {"unknown-key.bad.yaml:3:", `unknown key "gateway.requets_timeout"`},
		"unknown-nested-key.bad.yaml":     {"unknown-nested-key.bad.yaml:6:", `unknown key "issuers.banks[0].bins[0].colour"`},
		"bad-duration.bad.yaml":           {"bad-duration.bad.yaml:2:", `key "network.issuer_timeout"`, "time.Duration"},
		"timers-not-nested.bad.yaml":      {"timers", "network.issuer_timeout (30s) must be shorter than gateway.request_timeout (15s)"},
		"drain-too-short.bad.yaml":        {"timers", "drain_timeout (10s) must exceed server.request_timeout + server.write_timeout (25s)"},
		"debit-cap.bad.yaml":              {"acquirer", "standard", "visa", "debit", "50"},
		"installment-band.bad.yaml":       {`plan "parcelado": visa credit_7_12: interchange_bps 205 + brand_fee_bps 10 + margin_bps 234 = 449, not mdr_bps 499`, `plan "parcelado": mastercard credit_2_6: no rate`},
		"bad-holiday.bad.yaml":            {"bad-holiday.bad.yaml", `"2026-02-30"`, "YYYY-MM-DD"},
		"bad-log-format.bad.yaml":         {"log", `format "xml"`},
		"not-yaml.bad.yaml":               {"not-yaml.bad.yaml"},
		"nodes-dial-nowhere.bad.yaml":     {"nodes: network:visa dials issuer:sicredi at 127.0.0.1:8599, but issuer:sicredi listens on 127.0.0.1:8588"},
		"nodes-shared-address.bad.yaml":   {"nodes: issuer:nubank listen and issuer:sicredi listen both use 127.0.0.1:8588"},
		"nodes-unknown-role.bad.yaml":     {"nodes: network:elo: no such role"},
		"listen-no-port.bad.yaml":         {`listen: gateway address "127.0.0.1": want host:port`},
		"server-tls-without-key.bad.yaml": {"server", "tls: cert_file and key_file must be set together"},
		"decimal-amount.bad.yaml": {`decimal-amount.bad.yaml:3: key "issuers.max_transaction_amount": 5000.50 is not a whole number`,
			"want integer centavos (10000 = R$ 100.00)"},
		"decimal-rate.bad.yaml": {`decimal-rate.bad.yaml:5: key "acquirer.plans.standard.visa.debit.mdr_bps": 199.5 is not a whole number`,
			"want integer basis points (399 = 3.99%)"},
		"decimal-count.bad.yaml": {`decimal-count.bad.yaml:2: key "server.max_in_flight": 1e3 is not a whole number: want an integer`},
		"bad-port.bad.yaml":      {"bad-port.bad.yaml: listen: gateway address \"127.0.0.1:85830\": port \"85830\" must be a number from 0 to 65535"},
		"bad-address.bad.yaml":   {`listen: http address "localhost": want host:port`},
		"faults-unknown-target.bad.yaml": {"faults: target issuer:itau: no such party (the parties are issuer:bancodobrasil,",
			"target network:visa->issuer:nubank: network:visa does not call issuer:nubank (it calls issuer:bancodobrasil, issuer:sicredi)"},
		"faults-bad-values.bad.yaml": {"target issuer:nubank: drop 1.5: want a probability from 0 to 1",
			`target issuer:sicredi: code "051": want two upper-case letters or digits`,
			"target network:visa: latency -1s: want a duration from 0 to 1h0m0s"},
		"faults-unknown-key.bad.yaml":       {`faults-unknown-key.bad.yaml:2: unknown key "faults.issuer:nubank.delay"`},
		"stand-in-unknown-bank.bad.yaml":    {"network: stand_in.issuers.itau: no such bank in issuers.banks"},
		"stand-in-limit.bad.yaml":           {"network: stand_in.transaction_limit 0: must be above 0 centavos"},
		"saf-retry.bad.yaml":                {"saf: retry_max 1s: must be at least retry_min (2s)"},
		"wallet-unknown-requestor.bad.yaml": {"wallet: requestor_id 40000000099 is not one of network.tokens.requestors"},
		"token-range-overlap.bad.yaml":      {"wallet: network.tokens.ranges.mastercard (52600000–52609999) overlaps the BIN row 52600101 of nubank"},
		"wallet-timer.bad.yaml":             {"server.request_timeout (20s) must be shorter than wallet.request_timeout (20s)"},
		"wallet-node-listen.bad.yaml":       {"nodes: wallet: set the wallet's address in listen.wallet"},
	}
	files, err := filepath.Glob("testdata/*.bad.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(want), "every bad fixture needs an expected error here")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run("rejects "+name, func(t *testing.T) {
			fragments, ok := want[name]
			require.True(t, ok, "no expectation for %s", name)
			_, err := Load(f)
			require.Error(t, err)
			for _, frag := range fragments {
				require.Contains(t, err.Error(), frag)
			}
		})
	}
	t.Run("a missing file is an error naming it", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
		require.ErrorContains(t, err, "nope.yaml")
		require.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestErrorsStayOnOneLine(t *testing.T) {
	_, err := Load("testdata/bad-duration.bad.yaml")
	require.Error(t, err)
	require.False(t, strings.Contains(err.Error(), "\n"), err.Error())
}

func TestListenAddresses(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8583":   "",
		"127.0.0.1:0":      "",
		":9583":            "",
		"[::1]:8583":       "",
		"localhost:65535":  "",
		"bandeira.local:1": "",
		"127.0.0.1":        "want host:port",
		"127.0.0.1:65536":  "must be a number from 0 to 65535",
		"127.0.0.1:-1":     "must be a number from 0 to 65535",
		"127.0.0.1:http":   "must be a number from 0 to 65535",
		"127.0.0.1:":       "must be a number from 0 to 65535",
		"bad host!:80":     "neither an IP address nor a host name",
		"-x.example:80":    "neither an IP address nor a host name",
		"":                 "want host:port",
	} {
		err := keyed("gateway", CheckAddr(addr))
		if want == "" {
			require.NoError(t, err, addr)
			continue
		}
		require.ErrorContains(t, err, want, addr)
		require.ErrorContains(t, err, `gateway address "`+addr+`"`)
	}
}
