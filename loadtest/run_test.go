package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstEchoServer(t *testing.T) {
	addr := mustEchoServer(t)
	t.Run("the open model sends exactly the schedule and every request is answered with 00", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Target, cfg.Rate, cfg.Duration, cfg.Connections = addr, 2000, time.Second, 3
		cfg.Mix = "purchase=55,refund=5,reversal=10,balance=10,decline=10,echo=5,installments=5"
		r, err := New(cfg, testCards(), zerolog.New(zerolog.NewTestWriter(t)))
		require.NoError(t, err)
		var seconds []Second
		s, err := r.Run(context.Background(), func(s Second) { seconds = append(seconds, s) })
		require.NoError(t, err)
		q := s.Requests
		require.Equal(t, int64(2000), q.Scheduled)
		require.Equal(t, int64(2000), q.Sent)
		require.Equal(t, int64(2000), q.Answered)
		require.Equal(t, int64(2000), q.Approved)
		require.Zero(t, q.Dropped+q.TimedOut)
		for kind, n := range q.Errors {
			require.Zero(t, n, kind)
		}
		require.Equal(t, []CodeCount{{Code: "00", Meaning: "Approved", Count: 2000, Share: 1}}, s.Codes)
		require.InDelta(t, 1.0, s.Rate.Ratio, 1e-9)
		require.Len(t, s.Kinds, 7)
		var reversals int64
		for _, k := range s.Kinds {
			if k.Kind == "reversal" {
				reversals = k.Sent
			}
		}
		require.Positive(t, reversals, "reversals of earlier approvals are sent")
		require.Positive(t, s.Latency.P50)
		require.GreaterOrEqual(t, s.Latency.Max, s.Latency.P99)
		require.NotEmpty(t, s.Series)
		var sum int64
		for _, p := range s.Series {
			sum += p.Answered
		}
		require.Equal(t, int64(2000), sum, "the series adds up to the totals")
	})
	t.Run("the closed model sends exactly the requests asked for", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Target, cfg.Rate, cfg.Duration = addr, 0, 0
		cfg.Concurrency, cfg.Requests, cfg.Connections = 16, 3000, 2
		r, err := New(cfg, testCards(), zerolog.Nop())
		require.NoError(t, err)
		s, err := r.Run(context.Background(), nil)
		require.NoError(t, err)
		require.Equal(t, "closed", s.Model)
		require.Equal(t, int64(3000), s.Requests.Sent)
		require.Equal(t, int64(3000), s.Requests.Answered)
		require.Zero(t, s.Rate.Ratio)
	})
	t.Run("the closed model with fewer workers than connections still ends", func(t *testing.T) {
		cfg := DefaultConfig()
		cfg.Target, cfg.Rate, cfg.Duration = addr, 0, 0
		cfg.Concurrency, cfg.Requests, cfg.Connections = 1, 100, 3
		r, err := New(cfg, testCards(), zerolog.Nop())
		require.NoError(t, err)
		s, err := r.Run(context.Background(), nil)
		require.NoError(t, err)
		require.Equal(t, int64(100), s.Requests.Answered)
	})
}

func TestReportShapes(t *testing.T) {
	addr := mustEchoServer(t)
	cfg := DefaultConfig()
	cfg.Target, cfg.Rate, cfg.Duration = addr, 500, time.Second
	r, err := New(cfg, testCards(), zerolog.Nop())
	require.NoError(t, err)
	s, err := r.Run(context.Background(), nil)
	require.NoError(t, err)
	th, err := ParseThreshold("p99<1h")
	require.NoError(t, err)
	require.True(t, CheckAll(s, []Threshold{th}))

	t.Run("the JSON summary has the documented keys", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, s.WriteJSON(&buf))
		var m map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &m))
		for _, k := range []string{"version", "target", "model", "requests", "rate", "latency_ms", "codes", "kinds",
			"distribution", "series", "thresholds", "approval_share", "error_share", "generator_cpu_us_per_request"} {
			require.Contains(t, m, k)
		}
		req := m["requests"].(map[string]any)
		for _, k := range []string{"scheduled", "sent", "answered", "timed_out", "dropped", "errors"} {
			require.Contains(t, req, k)
		}
		lat := m["latency_ms"].(map[string]any)
		for _, k := range []string{"p50", "p90", "p99", "p999", "max"} {
			require.Contains(t, lat, k)
		}
		point := m["series"].([]any)[0].(map[string]any)
		for _, k := range []string{"t", "target_rate", "rate", "p50_ms", "p99_ms", "in_flight"} {
			require.Contains(t, point, k)
		}
	})
	t.Run("the text report has the table's rows", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, s.WriteText(&buf))
		for _, want := range []string{"scheduled 500", "answered 500", "timed out 0", "dropped 0", "p99.9", "00", "purchase", "p99<1h", "pass"} {
			require.Contains(t, buf.String(), want)
		}
	})
	t.Run("the series has each second's response codes and kinds", func(t *testing.T) {
		var codes, kinds int64
		for _, p := range s.Series {
			for _, n := range p.Codes {
				codes += n
			}
			for _, k := range p.Kinds {
				kinds += k.Answered
				require.LessOrEqual(t, k.P50, k.P99)
			}
		}
		require.Equal(t, s.Requests.Answered, codes, "every answer is in a second's codes")
		require.Equal(t, s.Requests.Answered, kinds, "every answer is in a second's kinds")
	})
	t.Run("the HTML report is one page with a banner, every chart and no external resources", func(t *testing.T) {
		s := *s
		s.ToolVersion, s.Command = "bandeira v9.9.9 (test)", "bandeira loadtest --rate 500 --mix 'a<b'"
		var buf bytes.Buffer
		require.NoError(t, s.WriteHTML(&buf))
		html := buf.String()
		for _, title := range []string{"requests per second", "latency (ms, log scale)", "answers per second by response code",
			"requests in flight", "answers per second by kind", "purchase: latency (ms, log scale)",
			"balance: latency (ms, log scale)", "latency distribution"} {
			require.Contains(t, html, "<title>"+title+"</title>")
		}
		require.Equal(t, 4+1+len(s.Kinds)+1, bytes.Count(buf.Bytes(), []byte("<svg ")))
		require.Contains(t, html, `class="banner pass"`)
		require.Contains(t, html, "pass: p99&lt;1h, actual")
		require.Contains(t, html, "bandeira v9.9.9 (test)")
		require.Contains(t, html, "--mix &#39;a&lt;b&#39;", "the command line is escaped")
		require.Contains(t, html, "<polyline")
		require.NotContains(t, html, "http://")
		require.NotContains(t, html, "https://")
		require.NotContains(t, html, "<script")
	})
	t.Run("a failed threshold turns the banner red and lists it", func(t *testing.T) {
		s := *s
		s.Thresholds = []CheckResult{{Threshold: "p99<1h", Actual: 1, Unit: UnitMS, Passed: true},
			{Threshold: "errors<0.1%", Actual: 0.25, Unit: UnitFraction}}
		var buf bytes.Buffer
		require.NoError(t, s.WriteHTML(&buf))
		require.Contains(t, buf.String(), `class="banner fail"`)
		require.Contains(t, buf.String(), "<strong>FAIL</strong>: 1 of 2 thresholds failed")
		require.Contains(t, buf.String(), "FAIL: errors&lt;0.1%, actual 25%")
	})
}
