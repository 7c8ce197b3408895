package loadtest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/iso"
)

func TestEchoResponse(t *testing.T) {
	t.Run("answers with the response MTI, the request's fields but secrets, and 39 = 00", func(t *testing.T) {
		req := iso.Message{MTI: "0101", Fields: map[int]string{2: "4000010100000017", 4: "000000001000", 7: "0102030405",
			11: "000123", 41: "TERM0001", 48: "CV003123", 52: "0123456789ABCDEF", 49: "986", 90: make1(42)}}
		body, err := iso.Pack(req)
		require.NoError(t, err)
		frame, err := AppendEchoResponse([]byte("x"), body)
		require.NoError(t, err)
		require.Equal(t, byte('x'), frame[0], "appends to dst")
		require.Equal(t, len(frame)-3, int(frame[1])<<8|int(frame[2]))
		resp, err := iso.Unpack(frame[3:])
		require.NoError(t, err)
		want := req.Clone()
		want.MTI = "0110"
		want.Del(48)
		want.Del(52)
		want.Set(39, "00")
		require.Equal(t, want, resp)
	})
	t.Run("answers a request with no field above 39 and one with 39 already", func(t *testing.T) {
		for _, fields := range []map[int]string{{7: "0102030405", 11: "000001", 70: "301"}, {11: "000001"}, {11: "000001", 39: "05", 41: "T"}} {
			body, err := iso.Pack(iso.Message{MTI: "0800", Fields: fields})
			require.NoError(t, err)
			frame, err := AppendEchoResponse(nil, body)
			require.NoError(t, err)
			resp, err := iso.Unpack(frame[2:])
			require.NoError(t, err)
			require.Equal(t, "0810", resp.MTI)
			require.Equal(t, "00", resp.Get(39))
		}
	})
	t.Run("refuses responses and malformed bodies without writing", func(t *testing.T) {
		body, err := iso.Pack(iso.Message{MTI: "0110", Fields: map[int]string{11: "000001"}})
		require.NoError(t, err)
		for _, bad := range [][]byte{body, []byte("0100"), []byte("0100ZZZZZZZZZZZZZZZZ"), body[:len(body)-1]} {
			out, err := AppendEchoResponse([]byte("keep"), bad)
			require.Error(t, err)
			require.Equal(t, "keep", string(out))
		}
	})
}
