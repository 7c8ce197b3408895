package iso_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// netRequest returns a well-formed 0800 with code in field 70.
func netRequest(mti, stan, code string) iso.Message {
	return iso.Message{MTI: mti, Fields: map[int]string{7: "1126201500", 11: stan, 70: code}}
}

func TestServerAnswersNetworkManagement(t *testing.T) {
	h := &approver{}
	ts := startServer(t, iso.DefaultServerConfig(), h)
	c := dialRaw(t, ts.addr)

	codes := []struct {
		code string
		want bandeira.ResponseCode
	}{
		{bandeira.SignOn, bandeira.Approved},
		{bandeira.SignOff, bandeira.Approved},
		{bandeira.Echo, bandeira.Approved},
		{"161", bandeira.InvalidTransaction},
		{"999", bandeira.InvalidTransaction},
	}
	for _, mti := range []string{"0800", "0801"} {
		for _, tc := range codes {
			t.Run(fmt.Sprintf("answers %s with code %s with %s", mti, tc.code, tc.want), func(t *testing.T) {
				c.send(netRequest(mti, "000001", tc.code))
				resp := c.recv()
				require.Equal(t, "0810", resp.MTI)
				require.Equal(t, string(tc.want), resp.Get(39))
				require.Equal(t, tc.code, resp.Get(70))
				require.Equal(t, "000001", resp.Get(11))
				require.Equal(t, "1126201500", resp.Get(7))
			})
		}
	}
	for _, missing := range []int{7, 11, 70} {
		t.Run(fmt.Sprintf("answers 30 when field %d is missing", missing), func(t *testing.T) {
			before := ts.rejected(iso.ReasonBadField)
			m := netRequest("0800", "000002", bandeira.Echo)
			delete(m.Fields, missing)
			c.send(m)
			resp := c.recv()
			require.Equal(t, "0810", resp.MTI)
			require.Equal(t, "30", resp.Get(39))
			require.Equal(t, 1.0, ts.rejected(iso.ReasonBadField)-before)
		})
	}
	t.Run("answers 12 to a network management advice", func(t *testing.T) {
		c.send(iso.Message{MTI: "0820", Fields: map[int]string{7: "1126201500", 11: "000003", 70: "301"}})
		resp := c.recv()
		require.Equal(t, "0830", resp.MTI)
		require.Equal(t, "12", resp.Get(39))
	})
	t.Run("answers every echo with the same key, never as a duplicate", func(t *testing.T) {
		for range 3 {
			c.send(netRequest("0800", "000004", bandeira.Echo))
			require.Equal(t, "00", c.recv().Get(39))
		}
	})
	t.Run("never asks the Authorizer", func(t *testing.T) {
		require.Zero(t, h.calls.Load())
	})
}

func TestServerSignOnState(t *testing.T) {
	t.Run("serves requests without sign-on by default", func(t *testing.T) {
		h := &approver{}
		ts := startServer(t, iso.DefaultServerConfig(), h)
		c := dialRaw(t, ts.addr)
		c.send(request("TERM0001", "000001"))
		require.Equal(t, "00", c.recv().Get(39))
		require.Equal(t, int64(1), h.calls.Load())
	})

	cfg := iso.DefaultServerConfig()
	cfg.RequireSignOn = true
	h := &approver{}
	ts := startServer(t, cfg, h)
	c := dialRaw(t, ts.addr)

	t.Run("answers 91 before sign-on without asking the Authorizer", func(t *testing.T) {
		for _, m := range []iso.Message{request("TERM0001", "000001"), reversalRequest()} {
			c.send(m)
			resp := c.recv()
			require.Equal(t, string(bandeira.MTI(m.MTI).Response()), resp.MTI)
			require.Equal(t, "91", resp.Get(39))
		}
		require.Zero(t, h.calls.Load())
		require.Equal(t, 2.0, ts.rejected(iso.ReasonNotSignedOn))
		require.Zero(t, ts.signedOn())
	})
	t.Run("serves requests after sign-on", func(t *testing.T) {
		c.send(netRequest("0800", "000010", bandeira.SignOn))
		require.Equal(t, "00", c.recv().Get(39))
		require.Equal(t, 1.0, ts.signedOn())
		c.send(request("TERM0001", "000002"))
		require.Equal(t, "00", c.recv().Get(39))
		require.Equal(t, int64(1), h.calls.Load())
	})
	t.Run("keeps the sign-on of one connection to that connection", func(t *testing.T) {
		other := dialRaw(t, ts.addr)
		other.send(request("TERM0002", "000003"))
		require.Equal(t, "91", other.recv().Get(39))
	})
	t.Run("answers 91 again after sign-off", func(t *testing.T) {
		c.send(netRequest("0800", "000011", bandeira.SignOff))
		require.Equal(t, "00", c.recv().Get(39))
		require.Zero(t, ts.signedOn())
		c.send(request("TERM0001", "000004"))
		require.Equal(t, "91", c.recv().Get(39))
		require.Equal(t, int64(1), h.calls.Load())
	})
	t.Run("forgets a signed-on connection once it closes", func(t *testing.T) {
		d := dialRaw(t, ts.addr)
		d.send(netRequest("0800", "000012", bandeira.SignOn))
		require.Equal(t, "00", d.recv().Get(39))
		require.Equal(t, 1.0, ts.signedOn())
		require.NoError(t, d.Close())
		require.Eventually(t, func() bool { return ts.signedOn() == 0 }, ioWait, 5*time.Millisecond)
	})
}

// reversalRequest returns a well-formed 0400.
func reversalRequest() iso.Message {
	m := request("TERM0001", "000005")
	m.MTI = "0400"
	m.Fields[90] = "0100" + "000001" + "1126201500" + "00000000000" + "00000000000"
	return m
}
