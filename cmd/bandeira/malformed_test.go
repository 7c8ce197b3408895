package main

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// lengthHeader returns the 2-byte big-endian length header for body.
func lengthHeader(body []byte) []byte {
	return binary.BigEndian.AppendUint16(nil, uint16(len(body))) //nolint:gosec // test bodies are small
}

// exchangeRaw writes b on a fresh connection and reports the response, or closed=true when
// the server closed the connection instead of answering.
func exchangeRaw(t *testing.T, addr string, b []byte) (resp iso.Message, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	_, _ = conn.Write(b) // the server may close before reading everything
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.CloseWrite() // no more bytes: a truncated frame stays truncated
	}
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	body, err := iso.ReadFrame(conn, nil, iso.DefaultMaxFrameSize)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
		return iso.Message{}, true
	}
	require.NoError(t, err, "the server neither answered nor closed the connection")
	resp, err = iso.Unpack(body)
	require.NoError(t, err)
	return resp, false
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

func TestMalformedInputNeverReachesAnIssuer(t *testing.T) {
	eachTopology(t, func(t *testing.T, n *testNet) {
		addr := n.gatewayAddr
		card := n.card("bancodobrasil", bandeira.Credit, "")
		valid := n.request("0100", card, "000000", 1000)
		validBody, err := iso.Pack(valid)
		require.NoError(t, err)

		packed := func(edit func(m *iso.Message)) []byte {
			m := valid.Clone()
			edit(&m)
			b, err := iso.Pack(m)
			require.NoError(t, err)
			return append(lengthHeader(b), b...)
		}
		patched := func(edit func(b []byte) []byte) []byte {
			b := edit(append([]byte(nil), validBody...))
			return append(lengthHeader(b), b...)
		}
		random := make([]byte, 1<<20)
		_, _ = rand.Read(random)

		closes := map[string][]byte{
			"a zero length header":             {0, 0},
			"a length header of 0xFFFF":        append([]byte{0xFF, 0xFF}, validBody...),
			"a frame cut short then silence":   append(lengthHeader(validBody), validBody[:10]...),
			"one megabyte of random bytes":     random,
			"an unknown MTI 9999":              patched(func(b []byte) []byte { return append([]byte("9999"), b[4:]...) }),
			"a response MTI 0110 sent inbound": patched(func(b []byte) []byte { return append([]byte("0110"), b[4:]...) }),
			"an MTI with a letter":             patched(func(b []byte) []byte { return append([]byte("01A0"), b[4:]...) }),
			"a body shorter than an MTI":       append(lengthHeader([]byte("01")), "01"...),
		}
		answers30 := map[string][]byte{
			"a PAN length claiming 99 digits":           patched(func(b []byte) []byte { copy(b[20:22], "99"); return b }),
			"a PAN length that is not a number":         patched(func(b []byte) []byte { copy(b[20:22], "1A"); return b }),
			"a bitmap promising a field that is absent": patched(func(b []byte) []byte { return b[:len(b)-3] }),
			"letters in the amount":                     packed(func(m *iso.Message) { m.Set(4, "00000000010X") }),
			"letters in the STAN":                       packed(func(m *iso.Message) { m.Set(11, "12345A") }),
			"an impossible transmission date":           packed(func(m *iso.Message) { m.Set(7, "1399256199") }),
			"a missing mandatory field (41)":            packed(func(m *iso.Message) { delete(m.Fields, 41) }),
			"a missing mandatory field (2)":             packed(func(m *iso.Message) { delete(m.Fields, 2) }),
		}
		const rounds = 5
		for name, b := range closes {
			t.Run("closes the connection on "+name, func(t *testing.T) {
				for range rounds {
					_, closed := exchangeRaw(t, addr, b)
					require.True(t, closed)
				}
			})
		}
		for name, b := range answers30 {
			t.Run("answers 30 to "+name, func(t *testing.T) {
				for range rounds {
					resp, closed := exchangeRaw(t, addr, b)
					require.False(t, closed)
					require.Equal(t, "0110", resp.MTI)
					require.Equal(t, "30", resp.Get(39))
				}
			})
		}
		t.Run("nothing reached a network or an issuer, and the process still serves", func(t *testing.T) {
			require.Zero(t, n.metric("bandeira_issuer_decisions_total"))
			require.Zero(t, n.metric("bandeira_network_routed_total"))
			require.Equal(t, float64(rounds*2), n.metric("bandeira_gateway_requests_total", `response_code="30"`),
				"only the two missing-field cases get past the codec to the gateway")
			require.Equal(t, "00", n.code(n.request("0100", card, "000000", 1000)))
		})
	})
}
