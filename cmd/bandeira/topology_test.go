package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/testcerts"
	"github.com/bandeira/bandeira/iso"
)

// TestAKilledIssuerNodeComesBack kills one issuer node of `run --processes` with SIGKILL
// and starts it again with the command the supervisor logged: the other nodes keep
// running untouched, the network answers that issuer's cards in stand-in meanwhile (and
// 91 to what it does not stand in for), the gateway and the network reconnect by
// themselves, the issuer approves its cards again within 5 s of the restart, and the books
// pass the audit.
func TestAKilledIssuerNodeComesBack(t *testing.T) {
	n := mustStartNetIn(t, processes)
	outer := t // the restarted node lives until the test ends, not its subtest
	nubank := n.card("nubank", bandeira.Credit, "")
	sicredi := n.card("sicredi", bandeira.Debit, "")
	require.Equal(t, "00", n.code(n.request("0100", nubank, "000000", 1000)))

	victim := n.nodes["issuer:nubank"]
	require.NotZero(t, victim.pid)
	require.NoError(t, signalPID(victim.pid, syscall.SIGKILL))
	restart := restartCommand(t, n, "issuer:nubank")

	t.Run("the other issuers' cards are still approved and nubank's get stand-in, or 91", func(t *testing.T) {
		require.Equal(t, "00", n.code(n.request("0100", sicredi, "000000", 1000)))
		resp := n.send(n.request("0100", nubank, "000000", 1000))
		require.Equal(t, "00", resp.Get(39))
		require.Contains(t, []string{"1", "2"}, resp.Get(44), "approved in stand-in")
		require.Equal(t, "91", n.code(n.request("0200", nubank, "200000", 1000)), "a refund is never stood in for")
	})
	t.Run("the restart command brings it back and its cards are approved within 5 s", func(t *testing.T) {
		require.Equal(t, "node", restart[1])
		outer.Cleanup(startNode(t, n, restart).stop)
		start := time.Now()
		require.Eventually(t, func() bool {
			resp := n.send(n.request("0100", nubank, "000000", 1000))
			return resp.Get(39) == "00" && !resp.Has(44) // the issuer's own approval
		}, 30*time.Second, 50*time.Millisecond, "nubank never approved its cards again")
		t.Logf("approved again %s after the restart", time.Since(start).Round(time.Millisecond))
		require.Less(t, time.Since(start), 5*time.Second, "the issue asks for approvals within 5 s")
	})
	t.Run("no other node was restarted", func(t *testing.T) {
		for role, nd := range n.nodes {
			if role != "issuer:nubank" {
				require.NoError(t, signalPID(nd.pid, 0), "%s (pid %d) still runs", role, nd.pid)
			}
		}
		require.Equal(t, 1, strings.Count(n.logs.String(), `"message":"node exited`), "the death is logged once")
	})
	t.Run("the stand-in advices and reversals reach it, and the network-wide audit passes", func(t *testing.T) {
		n.waitFor("the store-and-forward queues to drain", func() bool {
			depth := sumSamples(t, n.get("/metrics"), "bandeira_saf_depth", nil)
			for role, nd := range n.nodes {
				if role != "issuer:nubank" { // killed: its old address serves nothing
					depth += sumSamples(t, n.getFrom(nd.http, "/metrics"), "bandeira_saf_depth", nil)
				}
			}
			return depth == 0
		})
		n.stop()
		code, out := runAudit(t, "--data-dir", n.dataDir())
		require.Equal(t, exitOK, code, out)
	})
}

// TestAKilledGatewayNodeComesBack kills the gateway node of `run --processes` with SIGKILL
// and starts it again with the command the supervisor logged: it serves again on its
// addresses, the client's link reconnects, and the network approves through it.
func TestAKilledGatewayNodeComesBack(t *testing.T) {
	n := mustStartNetIn(t, processes)
	card := n.card("sicredi", bandeira.Credit, "")
	require.Equal(t, "00", n.purchase(card))
	require.NoError(t, signalPID(n.nodes["gateway"].pid, syscall.SIGKILL))
	restart := restartCommand(t, n, "gateway")
	require.NotContains(t, strings.Join(restart, " "), "--peer-http wallet=", "the wallet is no peer of the admin API")
	p := startNode(t, n, restart)
	t.Cleanup(p.stop)
	require.Eventually(t, func() bool {
		select {
		case <-p.exited:
			return true // reported below
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		resp, err := n.client.Send(ctx, n.request("0100", card, "000000", 1000))
		return err == nil && resp.Get(39) == "00"
	}, 30*time.Second, 50*time.Millisecond, "the gateway never approved again")
	select {
	case <-p.exited:
		t.Fatalf("the gateway exited after its restart: %s", p.cmd.ProcessState)
	default:
	}
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

// startedNode is a node a test started with a restart command the supervisor logged.
type startedNode struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited
}

// startNode starts argv as a test child writing to the network's log. The caller stops it
// (stop), typically in a cleanup.
func startNode(t testing.TB, n *testNet, argv []string) *startedNode {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	require.NoError(t, cmd.Start())
	p := &startedNode{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p
}

// signal sends sig and waits for the process to exit, killing it after 30 s.
func (p *startedNode) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// stop stops the node as the supervisor would: SIGTERM, then wait.
func (p *startedNode) stop() { p.signal(syscall.SIGTERM) }

// TestTLSOnEveryPort runs the network as processes with TLS on every ISO 8583 link and
// HTTP port, from certificates made for the test: mutual TLS at the front door (the
// wallet's link presents the nodes' certificate) and between the nodes, HTTPS on every
// node's HTTP port, the wallet's included.
func TestTLSOnEveryPort(t *testing.T) {
	ca := testcerts.NewCA(t, "bandeira-test")
	node := ca.Issue("node", testcerts.Server, testcerts.Client)
	front := ca.Issue("gateway", testcerts.Server)
	integrator := ca.Issue("integrator", testcerts.Client)
	nodeTLS := fmt.Sprintf("{cert_file: %q, key_file: %q, ca_file: %q}", node.Cert, node.Key, ca.File)
	extra := fmt.Sprintf(`
server: {tls: {cert_file: %q, key_file: %q, ca_file: %q}}
listen: {http_tls: %s}
links: {tls: %s}
nodes:
  "network:visa": {tls: %s}
  "network:mastercard": {tls: %s}
  "issuer:bancodobrasil": {tls: %s}
  "issuer:nubank": {tls: %s}
  "issuer:sicredi": {tls: %s}
  wallet: {tls: %s}
`, front.Cert, front.Key, ca.File, nodeTLS, nodeTLS, nodeTLS, nodeTLS, nodeTLS, nodeTLS, nodeTLS, nodeTLS)
	clientCfg := iso.DefaultClientConfig()
	clientCfg.TLS = iso.TLSConfig{CAFile: ca.File, CertFile: integrator.Cert, KeyFile: integrator.Key}
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(ca.File)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(caPEM))
	cert, err := tls.LoadX509KeyPair(node.Cert, node.Key)
	require.NoError(t, err)
	web := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}}

	n := mustStartNetWith(t, processes, extra, clientCfg, web)
	t.Run("an approval crosses every link over mutual TLS", func(t *testing.T) {
		for _, issuer := range []string{"bancodobrasil", "nubank", "sicredi"} {
			require.Equal(t, "00", n.code(n.request("0100", n.card(issuer, bandeira.Credit, ""), "000000", 1000)), issuer)
		}
		require.Equal(t, 8.0, n.metric("bandeira_link_up"), "the gateway's 2 links, the networks' 5 and the wallet's, all up")
	})
	t.Run("every HTTP port serves HTTPS and refuses plain HTTP", func(t *testing.T) {
		for _, addr := range n.httpAddrs {
			require.Contains(t, n.getFrom(addr, "/metrics"), "bandeira_build_info")
			resp, err := http.Get("http://" + addr + "/metrics")
			if err == nil {
				require.Equal(t, http.StatusBadRequest, resp.StatusCode, "Go's TLS server answers plain HTTP 400")
				resp.Body.Close()
			}
		}
	})
	t.Run("bandeira fault sets a node's fault through the gateway's HTTPS port", func(t *testing.T) {
		n.mustFault("set", "issuer:nubank", "--down")
		require.Equal(t, "2", n.standIn(n.card("nubank", bandeira.Credit, "")), "stood in for: the issuer is down")
		require.Len(t, n.faults(), 1)
		n.mustFault("clear")
		require.Equal(t, "00", n.code(n.request("0100", n.card("nubank", bandeira.Credit, ""), "000000", 1000)))
	})
	t.Run("the front door refuses a client without a certificate and a plaintext client", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		noCert := iso.DefaultClientConfig()
		noCert.PoolSize, noCert.SignOn = 1, true
		noCert.TLS = iso.TLSConfig{CAFile: ca.File}
		_, err := iso.Dial(ctx, n.gatewayAddr, noCert, zerolog.Nop())
		require.Error(t, err)
		plain := iso.DefaultClientConfig()
		plain.PoolSize, plain.SignOn = 1, true
		_, err = iso.Dial(ctx, n.gatewayAddr, plain, zerolog.Nop())
		require.Error(t, err)
	})
	t.Run("a node port refuses a client whose certificate another CA signed", func(t *testing.T) {
		other := testcerts.NewCA(t, "other")
		intruder := other.Issue("intruder", testcerts.Client)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c := iso.DefaultClientConfig()
		c.PoolSize, c.SignOn = 1, true
		c.TLS = iso.TLSConfig{CAFile: ca.File, CertFile: intruder.Cert, KeyFile: intruder.Key}
		_, err := iso.Dial(ctx, n.nodes["issuer:nubank"].iso, c, zerolog.Nop())
		require.Error(t, err)
	})
}
