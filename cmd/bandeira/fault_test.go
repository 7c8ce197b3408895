package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFaultCommandUsage(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"fault"}, "bandeira fault: want a subcommand: set, clear or list"},
		{[]string{"fault", "bogus"}, `bandeira fault: unknown subcommand "bogus"`},
		{[]string{"fault", "set"}, "bandeira fault set: set needs a TARGET"},
		{[]string{"fault", "set", "bank:nubank", "--down"}, `bandeira fault set: target "bank:nubank": want issuer:NAME`},
		{[]string{"fault", "set", "issuer:nubank"}, "bandeira fault set: the fault sets nothing"},
		{[]string{"fault", "set", "issuer:nubank", "--drop", "2"}, "bandeira fault set: drop 2: want a probability from 0 to 1"},
		{[]string{"fault", "set", "issuer:nubank", "--drop", "often"}, `invalid value "often" for --drop: want a number`},
		{[]string{"fault", "set", "issuer:nubank", "--latency", "-1s"}, "latency -1s: want a duration from 0"},
		{[]string{"fault", "set", "issuer:nubank", "--code", "00"}, "code 00: a forced approval"},
		{[]string{"fault", "set", "issuer:nubank", "issuer:sicredi", "--down"}, `unexpected argument "issuer:sicredi"`},
		{[]string{"fault", "clear", "issuer:nubank", "issuer:sicredi"}, `unexpected argument "issuer:sicredi"`},
		{[]string{"fault", "clear", "gateway"}, `bandeira fault clear: target "gateway": want issuer:NAME`},
		{[]string{"fault", "list", "issuer:nubank"}, `bandeira fault list: unexpected argument "issuer:nubank"`},
		{[]string{"fault", "list", "--config", "nope.yaml"}, "bandeira fault list: reading config"},
	}
	for _, c := range cases {
		t.Run("exits 2 for "+strings.Join(c.args[1:], " "), func(t *testing.T) {
			code, out, errOut := run(t, c.args...)
			require.Equal(t, exitUsage, code, errOut)
			require.Empty(t, out)
			require.Contains(t, errOut, c.want)
			require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
		})
	}
	t.Run("exits 1 with one line when there is no token file", func(t *testing.T) {
		dir := t.TempDir()
		code, _, errOut := run(t, "fault", "list", "--data-dir", dir, "--http-addr", "127.0.0.1:1")
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "reading the admin token: open "+filepath.Join(dir, "admin-token"))
		require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	})
	t.Run("exits 1 with one line when the network cannot be reached", func(t *testing.T) {
		token := filepath.Join(t.TempDir(), "token")
		require.NoError(t, writeAddrFile(token, "abc\n"))
		code, _, errOut := run(t, "fault", "set", "issuer:nubank", "--down", "--token-file", token, "--http-addr", "127.0.0.1:1")
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "bandeira fault set: reaching the admin API:")
		require.Equal(t, 1, strings.Count(errOut, "\n"), errOut)
	})
}
