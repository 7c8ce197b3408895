package iso_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

func TestServerSignsOffOnShutdown(t *testing.T) {
	t.Run("sends 0800/002 to a connection that signed on, and nothing to one that did not", func(t *testing.T) {
		ts := startServer(t, iso.DefaultServerConfig(), &approver{})
		signed, silent := dialRaw(t, ts.addr), dialRaw(t, ts.addr)
		signed.send(iso.Message{MTI: "0800", Fields: map[int]string{7: "1126143005", 11: "000001", 70: bandeira.SignOn}})
		require.Equal(t, "00", signed.recv().Get(39))
		silent.send(request("TERM0001", "000001"))
		require.Equal(t, "00", silent.recv().Get(39))

		done := make(chan error, 1)
		go func() { done <- ts.srv.Shutdown(context.Background()) }()
		off := signed.recv()
		require.Equal(t, "0800", off.MTI)
		require.Equal(t, bandeira.SignOff, off.Get(70))
		require.Len(t, off.Get(11), 6)
		require.Len(t, off.Get(7), 10)
		silent.expectClosed()
		require.NoError(t, <-done)
	})
}

func TestLinkPeerSignOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	first := serveOn(t, ln, signOnServer(), &approver{})
	l := newLink(t, addr, signingLink())
	l.awaitState(iso.LinkUp)
	_, err = l.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
	require.NoError(t, err)

	require.NoError(t, first.srv.Shutdown(context.Background()))
	t.Run("fails requests with ErrSignedOff once the peer signed off", func(t *testing.T) {
		require.Eventually(t, func() bool {
			_, err := l.Authorize(context.Background(), authorization(t, "TERM0001", "000002"))
			return errors.Is(err, iso.ErrSignedOff)
		}, ioWait, 5*time.Millisecond)
		_, err := l.Authorize(context.Background(), authorization(t, "TERM0001", "000003"))
		require.ErrorIs(t, err, bandeira.ErrSignedOff, "a network stands in with reason 3")
		require.ErrorIs(t, err, iso.ErrConnectionClosed, "and it is a link down to everyone else")
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(err))
		require.Len(t, l.logLines("peer signed off; requests fail until it signs on again"), 1)
	})

	var again net.Listener
	require.Eventually(t, func() bool {
		again, err = net.Listen("tcp", addr)
		return err == nil
	}, ioWait, 10*time.Millisecond, "rebinding %s", addr)
	serveOn(t, again, signOnServer(), &approver{})
	t.Run("serves again once a connection signs on to the peer", func(t *testing.T) {
		require.Eventually(t, func() bool {
			res, err := l.Authorize(context.Background(), authorization(t, "TERM0001", "000004"))
			return err == nil && res.Code == bandeira.Approved
		}, ioWait, 10*time.Millisecond)
		require.Len(t, l.logLines("peer signed on again"), 1)
	})
}
