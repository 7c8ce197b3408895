package loadtest

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSchedule(t *testing.T) {
	t.Run("a constant rate spaces requests evenly from the start", func(t *testing.T) {
		s := NewSchedule([]Stage{{0, 1000}, {2 * time.Second, 1000}})
		require.Equal(t, int64(2000), s.Count())
		for _, k := range []int64{0, 1, 999, 1000, 1999} {
			at, ok := s.At(k)
			require.True(t, ok)
			require.InDelta(t, float64(k)*float64(time.Millisecond), float64(at), 1000, "request %d", k)
		}
		_, ok := s.At(2000)
		require.False(t, ok, "nothing is due after the end")
	})
	t.Run("a ramp from zero follows the integral of the rate", func(t *testing.T) {
		s := NewSchedule([]Stage{{10 * time.Second, 1000}}) // N(t) = 50 t²
		require.Equal(t, int64(5000), s.Count())
		for _, k := range []int64{0, 50, 200, 1250, 4999} {
			at, ok := s.At(k)
			require.True(t, ok)
			want := math.Sqrt(float64(k)/50) * float64(time.Second)
			require.InDelta(t, want, float64(at), float64(time.Microsecond), "request %d", k)
		}
		require.InDelta(t, 500, s.RateAt(5*time.Second), 1e-9)
	})
	t.Run("ramps, holds and ramps down chain from the previous rate", func(t *testing.T) {
		stages, err := ParseStages("2s:1000, 3s:1000, 1s:0")
		require.NoError(t, err)
		s := NewSchedule(stages)
		require.Equal(t, 6*time.Second, s.Duration())
		require.Equal(t, int64(1000+3000+500), s.Count())
		at, _ := s.At(1000) // the first request of the hold
		require.InDelta(t, float64(2*time.Second), float64(at), float64(time.Microsecond))
		at, _ = s.At(4000) // the first of the ramp down
		require.InDelta(t, float64(5*time.Second), float64(at), float64(time.Microsecond))
		last, ok := s.At(4499)
		require.True(t, ok)
		require.Less(t, last, 6*time.Second)
		var prev time.Duration
		for k := int64(0); k < s.Count(); k++ {
			at, ok := s.At(k)
			require.True(t, ok)
			require.GreaterOrEqual(t, at, prev, "times never go back (request %d)", k)
			prev = at
		}
	})
	t.Run("a zero-length stage steps the rate at once", func(t *testing.T) {
		stages, err := ParseStages("1s:100,0s:1000,1s:1000")
		require.NoError(t, err)
		s := NewSchedule(stages)
		require.Equal(t, int64(50+1000), s.Count())
		require.InDelta(t, 1000, s.RateAt(1500*time.Millisecond), 1e-9)
	})
	t.Run("bad stage lists are refused", func(t *testing.T) {
		for _, bad := range []string{"", "30s", "x:100", "30s:-1", "-1s:10", "30s:NaN"} {
			_, err := ParseStages(bad)
			require.Error(t, err, bad)
		}
	})
}

func TestCoordinatedOmissionAccounting(t *testing.T) {
	r := &Runner{cfg: DefaultConfig(), clock: newFakeClock(), hists: []*histShard{newHistShard()}}
	p, err := newPlan(Mix{Purchase: 1}, testCards(), testMerchant())
	require.NoError(t, err)
	r.plan = p
	r.cfg.MaxInFlight = 2
	c := newConn(r, 0, nil)
	ms := int64(time.Millisecond)

	c.mu.Lock()
	c.clk.update(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	// Request 0 was due at 0 but the sender could only send it at 50 ms (a stall).
	buf := c.appendLocked(nil, 0, 50*ms)
	// Request 1 due at 1 ms, also sent at 50 ms; request 2 finds the window full.
	buf = c.appendLocked(buf, 1*ms, 50*ms)
	empty := c.appendLocked(nil, 2*ms, 50*ms)
	c.mu.Unlock()
	require.Empty(t, empty, "a request due while the window is full is not sent")

	replies := answerAll(t, buf)
	c.complete(replies[0], 60*ms) // answered 10 ms after the send, 60 ms after it was due
	t.Run("latency runs from the scheduled time, not the send", func(t *testing.T) {
		require.Equal(t, int64(1), c.hist.sec.TotalCount())
		require.InDelta(t, 60_000, c.hist.sec.Max(), 60)
	})
	t.Run("a request that could not be sent on schedule is dropped, not queued", func(t *testing.T) {
		require.Equal(t, int64(3), c.st.scheduled)
		require.Equal(t, int64(2), c.st.sent)
		require.Equal(t, int64(1), c.st.dropped)
	})
	t.Run("a request unanswered within the timeout of its send is timed out once", func(t *testing.T) {
		c.expire(50*ms + int64(r.cfg.Timeout) - 1)
		require.Zero(t, c.st.timedOut)
		c.expire(50*ms + int64(r.cfg.Timeout))
		require.Equal(t, int64(1), c.st.timedOut)
		c.complete(replies[1], 50*ms+int64(r.cfg.Timeout)+1)
		require.Equal(t, int64(1), c.st.errors[ErrUnmatched], "its late answer matches nothing")
		require.Equal(t, int64(1), c.st.answered)
	})
	t.Run("a reply with the right STAN but another transmission time is unmatched", func(t *testing.T) {
		c.mu.Lock()
		buf := c.appendLocked(nil, 0, 0)
		c.mu.Unlock()
		reply := answerAll(t, buf)[0]
		f7 := indexField(t, reply, 7)
		reply[f7] = '1' + (reply[f7]-'0'+1)%9
		c.complete(reply, ms)
		require.Equal(t, int64(2), c.st.errors[ErrUnmatched])
		require.Equal(t, 1, c.win.inFlight)
	})
}

// answerAll returns the echo server's reply bodies to the frames in buf.
func answerAll(t *testing.T, buf []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(buf) > 0 {
		n := int(buf[0])<<8 | int(buf[1])
		resp, err := AppendEchoResponse(nil, buf[2:2+n])
		require.NoError(t, err)
		out = append(out, resp[2:])
		buf = buf[2+n:]
	}
	return out
}

// indexField returns the offset of field n's value in body.
func indexField(t *testing.T, body []byte, n int) int {
	t.Helper()
	off := -1
	require.NoError(t, dialect.scan(body, func(f int, s span) {
		if f == n {
			off = s.start
		}
	}))
	require.GreaterOrEqual(t, off, 0)
	return off
}

func TestSTANs(t *testing.T) {
	t.Run("connections own disjoint STAN slices and a STAN names its slot", func(t *testing.T) {
		seen := map[uint32]int{}
		for _, id := range []int{0, 1, 299} {
			base, span := stanSpan(id, 300)
			w := newWindow(4, base, span)
			for range int(span) {
				s, ok := w.acquire()
				require.True(t, ok)
				require.Greater(t, s.stan, uint32(0))
				require.LessOrEqual(t, s.stan, uint32(maxSTAN))
				prev, dup := seen[s.stan]
				require.False(t, dup, "STAN %d of connection %d was connection %d's", s.stan, id, prev)
				seen[s.stan] = id
				require.Same(t, s, w.lookup(s.stan))
				w.release(s)
			}
		}
		require.Len(t, seen, 3*3333)
	})
	t.Run("every send takes the next STAN, so a STAN returns only after a whole cycle", func(t *testing.T) {
		w := newWindow(4, 0, 10)
		var held []*slot
		for range 3 { // three requests stay in flight, one slot keeps turning over
			s, _ := w.acquire()
			held = append(held, s)
		}
		var stans []uint32
		for range 9 {
			s, ok := w.acquire()
			require.True(t, ok)
			stans = append(stans, s.stan)
			w.release(s)
		}
		require.Equal(t, []uint32{4, 5, 6, 7, 8, 9, 10, 4, 5}, stans, "STANs 1-3 are in flight and skipped")
		_, ok := w.acquire()
		require.True(t, ok)
		_, ok = w.acquire()
		require.False(t, ok, "a full window refuses without using up STANs")
		require.Equal(t, held[0], w.lookup(1))
	})
	t.Run("a released STAN matches nothing", func(t *testing.T) {
		w := newWindow(2, 100, 50)
		a, _ := w.acquire()
		stan := a.stan
		require.Equal(t, uint32(101), stan)
		w.release(a)
		require.Nil(t, w.lookup(stan))
		require.Nil(t, w.lookup(99), "below the slice")
		require.Nil(t, w.lookup(151), "above the slice")
	})
}
