package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// TestAStuckIssuerHoldsUpOnlyItsOwnCards sends a crowd of requests to an issuer that never
// answers (nubank's no-answer card) and, while they hang, requests for a healthy issuer
// on the same connection: the healthy ones are answered while the stuck ones still wait,
// and the stuck issuer's requests beyond network.max_in_flight_per_issuer are answered 91
// at once instead of taking the connection's slots. Stand-in is off, so that every stuck
// request ends in 91 (it is on in TestStandInEndToEnd).
func TestAStuckIssuerHoldsUpOnlyItsOwnCards(t *testing.T) {
	extra := `
network: {issuer_timeout: 4s, max_in_flight_per_issuer: 32, stand_in: {enabled: false}}
gateway: {request_timeout: 5s}
server: {request_timeout: 6s}
`
	for _, topo := range topologies {
		t.Run("in "+string(topo), func(t *testing.T) {
			n := mustStartNetWith(t, topo, extra, iso.DefaultClientConfig(), http.DefaultClient)
			stuck := n.card("nubank", bandeira.Credit, issuers.ScenarioNoAnswer)
			healthy := n.card("sicredi", bandeira.Debit, "")
			const crowd = 600 // more than the client's two connections can have in flight (2 × 256)
			var wg sync.WaitGroup
			codes := make(chan string, crowd)
			var answered atomic.Int64
			for range crowd {
				req := n.request("0100", stuck, "000000", 1000)
				wg.Go(func() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					resp, err := n.client.Send(ctx, req)
					answered.Add(1)
					if err == nil {
						codes <- resp.Get(39)
					}
				})
			}
			require.Eventually(t, func() bool { return answered.Load() == crowd-32 }, 5*time.Second, 10*time.Millisecond,
				"the requests beyond the bulkhead are answered at once")
			for range 20 {
				require.Equal(t, "00", n.code(n.request("0100", healthy, "000000", 100)))
			}
			require.Equal(t, int64(crowd-32), answered.Load(),
				"the healthy issuer's requests were answered while the stuck ones still waited for the network's timer")
			// The gateway reverses each 91 through its store-and-forward queue; those reversals
			// can be shed too while the bulkhead is full.
			require.GreaterOrEqual(t, n.metric("bandeira_network_issuer_shed_total", `issuer="nubank"`), float64(crowd-32))
			wg.Wait()
			close(codes)
			got := map[string]int{}
			for c := range codes {
				got[c]++
			}
			require.Equal(t, map[string]int{"91": crowd}, got, "shed at once or after the network's timer, all 91")
		})
	}
}

// TestANoisyClientDoesNotLockOthersOut fills the per-address connection cap from one
// address (127.0.0.2) with connections that send nothing, one that dribbles a byte at a
// time and one that never reads; a client from another address is still served.
func TestANoisyClientDoesNotLockOthersOut(t *testing.T) {
	n := mustStartNetWith(t, oneProcess, `server: {max_connections: 40, max_connections_per_ip: 8}`,
		iso.DefaultClientConfig(), http.DefaultClient)
	card := n.card("bancodobrasil", bandeira.Credit, "")
	dial := func() net.Conn {
		d := net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
		c, err := d.Dial("tcp", n.gatewayAddr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	noisy := make([]net.Conn, 8)
	for i := range noisy {
		noisy[i] = dial()
	}
	_, err := noisy[0].Write([]byte{0x01}) // a frame that starts and never ends
	require.NoError(t, err)
	body, err := iso.Pack(n.request("0100", card, "000000", 100))
	require.NoError(t, err)
	for range 50 { // requests whose answers are never read
		_, err := noisy[1].Write(append([]byte{byte(len(body) >> 8), byte(len(body))}, body...))
		require.NoError(t, err)
	}
	extra := dial()
	require.NoError(t, extra.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = extra.Read(make([]byte, 1))
	require.Error(t, err, "a connection over the address's cap is closed at once")
	require.Eventually(t, func() bool {
		return n.metric("bandeira_iso_frames_rejected_total", `reason="ip_connection_limit"`) >= 1
	}, 5*time.Second, 10*time.Millisecond)

	for i := range 20 {
		require.Equal(t, "00", n.code(n.request("0100", card, "000000", bandeira.Amount(100+i))),
			"the client on another address is served")
	}
	fmt.Fprintln(noisy[0], "") // keep the dribbler's connection referenced to the end
}
