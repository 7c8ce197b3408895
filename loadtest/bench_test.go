package loadtest

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// BenchmarkGeneratorEcho measures the generator's ceiling: the closed model with 64
// requests in flight on one connection against the trivial responder in the same
// process (so the CPU per request includes the responder's). Compare it with
// BenchmarkPingPong, a bare TCP ping-pong of frames of the same size and concurrency.
func BenchmarkGeneratorEcho(b *testing.B) {
	addr := mustEchoServer(b)
	cfg := DefaultConfig()
	cfg.Target, cfg.Rate, cfg.Duration, cfg.Connections = addr, 0, 0, 1
	cfg.Concurrency, cfg.Requests, cfg.Mix = 64, int64(b.N), "purchase=1"
	r, err := New(cfg, testCards(), zerolog.Nop())
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	s, err := r.Run(context.Background(), nil)
	require.NoError(b, err)
	b.StopTimer()
	require.Equal(b, int64(b.N), s.Requests.Answered)
	b.ReportMetric(s.Rate.Achieved, "req/s")
	b.ReportMetric(s.GeneratorCPU, "cpu-µs/req")
}

// BenchmarkPingPong is the bare Go TCP baseline: frames of the size of a purchase,
// 64 in flight on one connection, echoed byte for byte by a server that only reads and
// writes.
func BenchmarkPingPong(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		pingPongServer(nc)
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(b, err)
	defer nc.Close()
	p, err := newPlan(Mix{Purchase: 1}, testCards(), testMerchant())
	require.NoError(b, err)
	frame := p.tmpl[Purchase][16].frame
	const inFlight = 64
	credits := make(chan struct{}, inFlight)
	for range inFlight {
		credits <- struct{}{}
	}
	done := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		defer close(done)
		br := bufio.NewReaderSize(nc, 1<<17)
		buf := make([]byte, len(frame))
		for range b.N {
			if _, err := io.ReadFull(br, buf); err != nil {
				return
			}
			credits <- struct{}{}
		}
	}()
	out := make([]byte, 0, 64<<10)
	for i := 0; i < b.N; {
		<-credits
		out = append(out[:0], frame...)
		i++
		for more := true; more && i < b.N; {
			select {
			case <-credits:
				out = append(out, frame...)
				i++
			default:
				more = false
			}
		}
		if _, err := nc.Write(out); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// pingPongServer echoes bytes, writing when its input buffer is drained.
func pingPongServer(nc net.Conn) {
	br := bufio.NewReaderSize(nc, 1<<17)
	buf := make([]byte, 64<<10)
	for {
		n, err := br.Read(buf)
		if err != nil {
			return
		}
		if _, err := nc.Write(buf[:n]); err != nil {
			return
		}
	}
}

// BenchmarkAppendRequest measures building one request from its template, for a plain
// purchase and for an installment sale (which also patches field 48's IP value).
func BenchmarkAppendRequest(b *testing.B) {
	for _, k := range []Kind{Purchase, Installments} {
		b.Run(k.String(), func(b *testing.B) {
			var mix Mix
			mix[k] = 1
			p, err := newPlan(mix, testCards(), testMerchant())
			require.NoError(b, err)
			tr := newTraffic(p, 0, 1)
			var clk clockFields
			clk.update(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				buf, _ = tr.appendRequest(buf[:0], uint32(i%999_999+1), &clk)
			}
		})
	}
}
