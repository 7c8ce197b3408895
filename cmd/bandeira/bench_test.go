package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/loadtest"
)

// BenchmarkFullStackRoundTrip measures one authorization through the whole network over
// real TCP: client → ISO 8583 server → gateway (validation, duplicate check) → network
// (BIN routing) → issuer (decision, hold) → pricing → metrics → response. 64 requests are
// in flight on one connection, as in iso's BenchmarkLibraryEcho, whose number this one is
// compared with (see the README's performance section for the command).
//
// storage=durable is `bandeira run`: SQLite books per issuer and the acquirer's journal,
// each answer waiting for its commits (synchronous=full: one fsync per commit).
// storage=memory is the same network with each bank on a ledger.Memory and no journal,
// the baseline durable storage is measured against in the same run; storage=nosync is
// durable storage with synchronous=off, which separates the fsyncs' cost from the rest
// of SQLite's (docs/ledger.md). topology=processes is `bandeira run --processes`, durable:
// every party its own process (this test binary re-executed), linked over ISO 8583.
func BenchmarkFullStackRoundTrip(b *testing.B) {
	for _, storage := range []string{"memory", "durable", "nosync"} {
		b.Run("storage="+storage, func(b *testing.B) { benchRoundTrip(b, storage) })
	}
	b.Run("topology=processes", benchProcesses)
}

func benchRoundTrip(b *testing.B, storage string) {
	cfg := testConfig(b)
	cfg.Issuers.CardsPerBIN = 1000
	inMemory := storage == "memory"
	if storage == "nosync" {
		cfg.Issuers.Ledger.Synchronous = books.SyncOff
	}
	m := NewMain(cfg, zerolog.New(os.Stderr).Level(zerolog.WarnLevel))
	m.inMemory = inMemory
	require.NoError(b, m.Run(context.Background()))
	defer func() { _ = m.Close() }()
	driveRoundTrips(b, cfg, m.GatewayAddr())
	if !inMemory {
		b.ReportMetric(commits(b, m)/float64(b.N), "commits/op")
	}
}

// benchProcesses drives `bandeira run --processes` (durable, default timers) as child
// processes of this test binary.
func benchProcesses(b *testing.B) {
	cfg, path := writeTestConfig(b, `
log: {level: warn}
issuers: {cards_per_bin: 1000}
network: {issuer_timeout: 10s}
gateway: {request_timeout: 15s}
server: {request_timeout: 20s}
`)
	addrFile := filepath.Join(b.TempDir(), "addr")
	cmd := exec.Command(os.Args[0], "run", "--processes", "--config", path, "--addr-file", addrFile)
	cmd.Env = childEnv()
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	var addr string
	require.Eventually(b, func() bool {
		body, err := os.ReadFile(addrFile)
		addr, _, _ = strings.Cut(string(body), "\n")
		return err == nil && addr != ""
	}, time.Minute, 10*time.Millisecond)
	driveRoundTrips(b, cfg, addr)
}

// driveRoundTrips is the benchmark's client: 64 goroutines on one connection, each sending
// purchases on its own terminal.
func driveRoundTrips(b *testing.B, cfg configs.Config, addr string) {
	c, err := iso.Dial(context.Background(), addr, iso.DefaultClientConfig(), zerolog.Nop())
	require.NoError(b, err)
	defer func() { _ = c.Close() }()

	var cards []issuers.Card
	for _, card := range issuers.Cards(cfg.Issuers) {
		if card.Scenario == "" {
			cards = append(cards, card)
		}
	}
	base := demoMessage("0100", cfg.Gateway.AcquirerID, acquirer.DefaultMerchant(), time.Now())
	var worker atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32) // 64 goroutines on 2 CPUs
	b.ResetTimer()
	cpu := loadtest.ProcessCPU()
	b.RunParallel(func(pb *testing.PB) {
		w := worker.Add(1)
		req := base.Clone()
		req.Set(41, fmt.Sprintf("B%07d", w)) // a terminal per worker keeps keys unique
		req.Set(3, "000000")
		req.Set(4, "000000000100")
		for i := 0; pb.Next(); i++ {
			card := cards[(int(w)*7919+i)%len(cards)]
			req.Set(2, card.PAN.Digits())
			req.Set(14, card.Expiry)
			req.Set(11, fmt.Sprintf("%06d", i%999_999+1))
			resp, err := c.Send(context.Background(), req)
			if err != nil || resp.Get(39) != string(bandeira.Approved) {
				b.Errorf("round trip: code %q, error %v", resp.Get(39), err)
				return
			}
		}
	})
	b.StopTimer()
	// The CPU time (user and system) this process used: per round trip, it is what the
	// whole network costs on a machine whose cores are all busy, where wall time also
	// measures the neighbours. The client's share is in it (and with topology=processes
	// only the client's).
	if end := loadtest.ProcessCPU(); cpu >= 0 && end >= 0 {
		b.ReportMetric(float64(end-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	}
}

// commits counts the transactions the books and the journal committed: each is one fsync
// at synchronous=full.
func commits(b *testing.B, m *Main) float64 {
	mfs, err := m.Registry.Gather()
	require.NoError(b, err)
	var n float64
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			switch mf.GetName() {
			case "bandeira_issuer_books_commits_total":
				n += mt.GetCounter().GetValue()
			case "bandeira_acquirer_journal_commit_duration_seconds":
				n += float64(mt.GetHistogram().GetSampleCount())
			}
		}
	}
	return n
}
