package main

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/issuers"
)

// TestREADMECardsAreReal keeps the README's test-card tables true: every PAN quoted there
// is a card the default configuration generates, with the expiry quoted beside it.
func TestREADMECardsAreReal(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	cfg, err := configs.Load("")
	require.NoError(t, err)
	expiry := map[string]string{}
	for _, c := range issuers.Cards(cfg.Issuers) {
		expiry[c.PAN.Digits()] = c.Expiry
	}
	quoted := regexp.MustCompile("`(\\d{16})`(?: \\| | exp )(\\d{4})").FindAllStringSubmatch(string(readme), -1)
	require.GreaterOrEqual(t, len(quoted), 27, "the README quotes 9 regular and 18 scenario cards")
	for _, q := range quoted {
		want, ok := expiry[q[1]]
		require.True(t, ok, "README card %s is not generated", q[1])
		require.Equal(t, want, q[2], "README expiry of %s", q[1])
	}

	t.Run("and so do the examples in the commands' help", func(t *testing.T) {
		_, top, _ := run(t, "help")
		_, send, _ := run(t, "send", "--help")
		examples := regexp.MustCompile(`--pan (\d{12,19})(?:.*?--expiry (\d{4}))?`).FindAllStringSubmatch(top+send, -1)
		require.GreaterOrEqual(t, len(examples), 6)
		for _, e := range examples {
			want, ok := expiry[e[1]]
			require.True(t, ok, "help example card %s is not generated", e[1])
			if e[2] != "" {
				require.Equal(t, want, e[2], "help example expiry of %s", e[1])
			}
		}
	})
}

// TestREADMETablesAreComplete keeps the README's command and metrics tables true: every
// command is in the command table, and every bandeira_ metric family a running network
// exposes is in the metrics table.
func TestREADMETablesAreComplete(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	readme := string(data)
	for _, c := range commands() {
		require.Contains(t, readme, "| `bandeira "+c.name, "command %s is not in the README's command table", c.name)
	}

	n := mustStartNet(t)
	code, _, errOut := runLoadtest(t, "--target", n.gatewayAddr, "--rate", "500", "--requests", "200",
		"--cards", n.cardsFile(), "--mix", "purchase=60,refund=10,reversal=10,decline=10,installments=10", "--quiet")
	require.Equal(t, exitOK, code, errOut)
	families := regexp.MustCompile(`(?m)^# TYPE (bandeira_[a-z0-9_]+) `).FindAllStringSubmatch(n.get("/metrics"), -1)
	require.Greater(t, len(families), 30)
	for _, f := range families {
		require.Contains(t, readme, "`"+f[1]+"`", "metric %s is not in the README's metrics table", f[1])
	}
}
