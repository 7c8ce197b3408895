package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

// TestAKilledIssuerNodeComesBack kills one issuer node of `run --processes` with SIGKILL
// and starts it again with the command the supervisor logged: the other nodes keep
// running untouched, the network answers 91 for that issuer's cards meanwhile, the
// gateway and the network reconnect by themselves, the cards are approved again within
// 5 s of the restart, and the books pass the audit.
func TestAKilledIssuerNodeComesBack(t *testing.T) {
	n := mustStartNetIn(t, processes)
	nubank := n.card("nubank", bandeira.Credit, "")
	sicredi := n.card("sicredi", bandeira.Debit, "")
	require.Equal(t, "00", n.code(n.request("0100", nubank, "000000", 1000)))

	victim := n.nodes["issuer:nubank"]
	require.NotZero(t, victim.pid)
	require.NoError(t, syscall.Kill(victim.pid, syscall.SIGKILL))
	restart := restartCommand(t, n, "issuer:nubank")

	t.Run("the other issuers' cards are still approved and nubank's get 91", func(t *testing.T) {
		require.Equal(t, "00", n.code(n.request("0100", sicredi, "000000", 1000)))
		require.Equal(t, "91", n.code(n.request("0100", nubank, "000000", 1000)))
	})
	t.Run("the restart command brings it back and its cards are approved within 5 s", func(t *testing.T) {
		require.Equal(t, "node", restart[1])
		cmd := exec.Command(restart[0], restart[1:]...)
		cmd.Env = append(os.Environ(), crashChildEnv+"=1")
		cmd.Stdout, cmd.Stderr = n.logs, n.logs
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		})
		start := time.Now()
		require.Eventually(t, func() bool {
			return n.code(n.request("0100", nubank, "000000", 1000)) == "00"
		}, 30*time.Second, 50*time.Millisecond, "nubank's cards were never approved again")
		t.Logf("approved again %s after the restart", time.Since(start).Round(time.Millisecond))
		require.Less(t, time.Since(start), 5*time.Second, "the issue asks for approvals within 5 s")
	})
	t.Run("no other node was restarted", func(t *testing.T) {
		for role, nd := range n.nodes {
			if role != "issuer:nubank" {
				require.NoError(t, syscall.Kill(nd.pid, 0), "%s (pid %d) still runs", role, nd.pid)
			}
		}
		require.Equal(t, 1, strings.Count(n.logs.String(), `"message":"node exited`), "the death is logged once")
	})
	t.Run("the books pass the audit", func(t *testing.T) {
		n.stop()
		code, out := runAudit(t, "--data-dir", n.dataDir())
		require.Equal(t, exitOK, code, out)
	})
}

// restartCommand waits for the supervisor's line about role's death and returns the
// command it says starts the node again.
func restartCommand(t *testing.T, n *testNet, role string) []string {
	t.Helper()
	var restart string
	require.Eventually(t, func() bool {
		sc := bufio.NewScanner(strings.NewReader(n.logs.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Node, Restart, Message string
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Node == role && line.Restart != "" {
				restart = line.Restart
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "the supervisor never logged %s's death", role)
	return strings.Fields(restart)
}
