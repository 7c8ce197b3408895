package iso_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/iso"
)

// requestGoroutines counts the Server's request goroutines.
func requestGoroutines() int {
	buf := make([]byte, 4<<20)
	return bytes.Count(buf[:runtime.Stack(buf, true)], []byte("iso.(*serverConn).work("))
}

// After a burst, a connection that goes on with one request at a time keeps one or two
// request goroutines: the burst's surplus exits once idle. (Handed out first in first
// out, the next requests would have kept every one of them busy in turn.)
func TestServerRequestGoroutinesShrinkAfterBurst(t *testing.T) {
	const burst = 40
	const idle = 100 * time.Millisecond
	b := newBlocker()
	ts := startServer(t, iso.DefaultServerConfig(), b, iso.WithWorkerIdle(idle))
	c := dialRaw(t, ts.addr)
	for i := range burst {
		c.send(request("TERM0001", fmt.Sprintf("%06d", i)))
	}
	for range burst {
		<-b.entered
	}
	require.GreaterOrEqual(t, requestGoroutines(), burst, "each request of the burst has a goroutine")
	close(b.release)
	for range burst {
		require.Equal(t, "00", c.recv().Get(39))
	}

	deadline := time.Now().Add(ioWait)
	stan := burst
	for requestGoroutines() > 2 {
		require.True(t, time.Now().Before(deadline),
			"%d request goroutines after %s of one request at a time", requestGoroutines(), ioWait)
		for range 10 {
			c.send(request("TERM0001", fmt.Sprintf("%06d", stan)))
			<-b.entered
			require.Equal(t, "00", c.recv().Get(39))
			stan++
		}
	}
}
