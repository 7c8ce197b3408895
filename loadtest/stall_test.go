package loadtest

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// mustSilentServer accepts connections and reads them without ever answering.
func mustSilentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, nc); _ = nc.Close() }()
		}
	}()
	return ln.Addr().String()
}

func TestStalledServer(t *testing.T) {
	t.Run("a server that never answers shows as dropped and timed-out requests, not as a slower rate", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Target, cfg.Rate, cfg.Duration, cfg.Connections = mustSilentServer(t), 1000, 3*time.Second, 2
		cfg.MaxInFlight, cfg.Timeout = 10, time.Minute // the window fills and no timeout frees it during the run
		r, err := New(cfg, testCards(), zerolog.Nop())
		require.NoError(t, err)
		r.SetClock(newFakeClock())
		s, err := r.Run(context.Background(), nil)
		require.NoError(t, err)
		q := s.Requests
		require.Equal(t, int64(3000), q.Scheduled)
		require.Equal(t, int64(20), q.Sent, "two windows of 10")
		require.Equal(t, int64(2980), q.Dropped)
		require.Equal(t, int64(20), q.TimedOut)
		require.Zero(t, q.Answered)
		require.Zero(t, s.Rate.Ratio)
		require.InDelta(t, 1.0, s.ErrorShare, 1e-9)
	})
}

func TestCancelledRunStillReports(t *testing.T) {
	addr := mustEchoServer(t)
	cfg := DefaultConfig()
	cfg.Target, cfg.Rate, cfg.Duration = addr, 200, time.Hour
	r, err := New(cfg, testCards(), zerolog.Nop())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	seconds := 0
	s, err := r.Run(ctx, func(Second) {
		if seconds++; seconds == 1 {
			cancel() // Ctrl-C after the first progress line
		}
	})
	require.NoError(t, err)
	require.Positive(t, s.Requests.Answered)
	require.Equal(t, s.Requests.Scheduled, s.Requests.Answered, "everything sent before the stop is answered")
	require.Less(t, s.Requests.Scheduled, int64(200*3600))
}

func TestConfigValidation(t *testing.T) {
	base := DefaultConfig()
	cases := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"a remote target without allow_remote", func(c *Config) { c.Target = "10.1.2.3:8583" }, "non-loopback"},
		{"a host name other than localhost", func(c *Config) { c.Target = "example.com:8583" }, "non-loopback"},
		{"a target without a port", func(c *Config) { c.Target = "127.0.0.1" }, "HOST:PORT"},
		{"both models", func(c *Config) { c.Concurrency = 4 }, "exclude"},
		{"no model", func(c *Config) { c.Rate = 0 }, "closed model"},
		{"an unbounded run", func(c *Config) { c.Duration = 0 }, "bounded"},
		{"rate with stages", func(c *Config) { c.Stages = []Stage{{time.Second, 1}} }, "exclude"},
		{"zero connections", func(c *Config) { c.Connections = 0 }, "connections"},
		{"a bad mix", func(c *Config) { c.Mix = "purchase=1,bogus=2" }, "unknown kind"},
		{"a zero mix", func(c *Config) { c.Mix = "purchase=0" }, "zero"},
	}
	for _, c := range cases {
		t.Run("refuses "+c.name, func(t *testing.T) {
			cfg := base
			c.edit(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	t.Run("accepts a remote target with allow_remote and localhost without", func(t *testing.T) {
		cfg := base
		cfg.Target, cfg.AllowRemote = "10.1.2.3:8583", true
		require.NoError(t, cfg.Validate())
		cfg.Target, cfg.AllowRemote = "localhost:8583", false
		require.NoError(t, cfg.Validate())
		cfg.Target = "[::1]:8583"
		require.NoError(t, cfg.Validate())
	})
	t.Run("refuses a mix whose kinds have no cards", func(t *testing.T) {
		_, err := New(base, testCards()[:2], zerolog.Nop())
		require.ErrorContains(t, err, "decline")
	})
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("purchase=70, refund=5,reversal=5,balance=10,decline=10")
	require.NoError(t, err)
	require.Equal(t, DefaultMix, m)
	require.Equal(t, "purchase=70,refund=5,reversal=5,balance=10,decline=10", m.String())
	t.Run("the picker draws kinds in proportion to their weights", func(t *testing.T) {
		p := newPicker(Mix{Purchase: 3, Echo: 1})
		got := map[Kind]int{}
		for r := uint64(0); r < 400; r++ {
			got[p.pick(r)]++
		}
		require.Equal(t, map[Kind]int{Purchase: 300, Echo: 100}, got)
	})
}
