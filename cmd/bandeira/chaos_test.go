package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/iso"
)

// Environment variables of the chaos test (docs/faults.md, "Chaos test").
const (
	chaosSeedEnv     = "BANDEIRA_CHAOS_SEED"     // the seed of the traffic and the faults; "random": the clock
	chaosSeed        = 20200615                  // the default seed (WhatsApp Pay's launch in Brazil)
	chaosDurationEnv = "BANDEIRA_CHAOS_DURATION" // how long faults and traffic run, e.g. 10m
	chaosKeepEnv     = "BANDEIRA_CHAOS_KEEP"     // where to copy the data directory of a failed run
	chaosDefault     = 40 * time.Second
	chaosTerminals   = 6
)

// chaosOverrides is the chaos network's configuration over the test overrides: timers
// that nest with room for stand-in under -race, warnings only in the logs, and the
// faults' draws seeded from the test's seed.
const chaosOverrides = `
log: {level: warn}
network: {issuer_timeout: 500ms}
gateway: {request_timeout: 1500ms}
server: {request_timeout: 2s}
admin: {fault_seed: %d}
`

// TestChaosUnderFaults drives mixed traffic from several terminals through the network in
// the processes topology (purchases, pre-authorizations and completions, chains of partial
// and full reversals, refunds, balance inquiries, identical retransmits and repeats, in
// flight and after the answer, reversals reusing their original's STAN and field 7, some
// reaching the issuer first, on every issuer and both brands) while a fault schedule runs:
// an issuer late past the network's timer, dropped requests, an issuer down, killed -9 or
// signed off and started again, a link between a network and an issuer cut. When the faults
// are cleared the client repeats what it got no answer to, and the store-and-forward queues
// drain; then the network stops and the network-wide audit must pass, every approval the
// client holds must be in effect at its issuer for the amount the client left, and nothing
// more may be. BANDEIRA_CHAOS_SEED reproduces a run; BANDEIRA_CHAOS_DURATION runs it longer.
func TestChaosUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos test runs for most of a minute")
	}
	seed, d := chaosSettings(t)
	t.Logf("chaos test: seed %d, %s of faults and traffic (rerun with %s=%d; %s=10m runs longer)",
		seed, d, chaosSeedEnv, seed, chaosDurationEnv)
	n := mustStartNetWith(t, processes, fmt.Sprintf(chaosOverrides, seed), iso.DefaultClientConfig(), http.DefaultClient)
	c := newChaosClient(t, n, chaosTerminals)
	f := newChaosFaults(t, n, seed)

	ctx, stopTraffic := context.WithCancel(context.Background())
	var traffic sync.WaitGroup
	traffic.Go(func() { c.run(ctx, seed) })
	f.run(d)
	stopTraffic()
	traffic.Wait()
	require.Empty(t, n.faults(), "every fault was cleared")

	unsettled := c.settle()
	require.Eventually(t, func() bool { return n.metric("bandeira_saf_depth") == 0 }, 60*time.Second, 50*time.Millisecond,
		"the store-and-forward queues never drained")
	autoReversals := n.metric("bandeira_gateway_auto_reversals_total")
	n.stop()
	f.stopNodes()

	audit := runChaosAudit(t, n.dataDir())
	keepOnFailure(t, n.dataDir())
	rec := c.check(readChaosBooks(t, n.dataDir()))
	c.report(t, f, rec, audit, autoReversals)
	require.Empty(t, unsettled, "seed %d: requests the client could not settle", seed)
	require.Empty(t, c.k1, "seed %d: retransmits answered otherwise than their original", seed)
	require.Equal(t, exitOK, audit.exitCode, "seed %d: bandeira audit: %v", seed, audit.divergences)
	require.True(t, audit.passed, "seed %d: bandeira audit: %v", seed, audit.divergences)
	require.Empty(t, rec.lost, "seed %d: approvals the client holds, missing at the issuer", seed)
	require.Empty(t, rec.doubled, "seed %d: money in effect beyond the client's record", seed)
	require.Empty(t, rec.authCode, "seed %d: auth codes the books do not have", seed)
	require.Positive(t, rec.approved, "some approvals by the issuers")
	require.Positive(t, rec.standIn, "some approvals in stand-in")
}

// chaosSettings reads the seed (default chaosSeed, so that a failure in CI replays) and
// the duration (default 40 s).
func chaosSettings(t *testing.T) (uint64, time.Duration) {
	seed := uint64(chaosSeed)
	switch s := os.Getenv(chaosSeedEnv); s {
	case "":
	case "random":
		seed = uint64(time.Now().UnixNano())
	default:
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "%s is a number or \"random\"", chaosSeedEnv)
		seed = v
	}
	d := chaosDefault
	if s := os.Getenv(chaosDurationEnv); s != "" {
		v, err := time.ParseDuration(s)
		require.NoError(t, err, chaosDurationEnv)
		d = v
	}
	return seed, d
}

// keepOnFailure copies the data directory to the directory BANDEIRA_CHAOS_KEEP names, if
// it names one, once the test has failed, so that the books can be read afterwards.
func keepOnFailure(t *testing.T, dataDir string) {
	dest := os.Getenv(chaosKeepEnv)
	if dest == "" {
		return
	}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if err := os.CopyFS(dest, os.DirFS(dataDir)); err != nil {
			t.Logf("copying the data directory to %s: %v", dest, err)
			return
		}
		t.Logf("the data directory is kept in %s", dest)
	})
}

// report logs the run's figures: requests by kind, faults by kind, what the client was
// answered, the audit's divergences, and what was lost or doubled.
func (c *chaosClient) report(t *testing.T, f *chaosFaults, rec chaosRecord, audit chaosAudit, autoReversals float64) {
	c.mu.Lock()
	total, kinds := 0, slices.Sorted(maps.Keys(c.sent))
	var b strings.Builder
	for _, k := range kinds {
		total += c.sent[k]
		fmt.Fprintf(&b, "\n  %6d %s", c.sent[k], k)
	}
	c.mu.Unlock()
	t.Logf("requests: %d%s", total, b.String())
	b.Reset()
	for _, k := range chaosFaultKinds {
		fmt.Fprintf(&b, "\n  %6d %s", f.episodes[k], k)
	}
	for _, k := range slices.Sorted(maps.Keys(f.injected)) {
		fmt.Fprintf(&b, "\n  %6.0f calls given %s", f.injected[k], k)
	}
	t.Logf("faults injected:%s\nschedule:\n  %s", b.String(), strings.Join(f.schedule, "\n  "))
	c.mu.Lock()
	unanswered := c.unanswered
	c.mu.Unlock()
	t.Logf("originals: %d approved by the issuer, %d in stand-in, %d declined, %d answered 91/96; %d sends unanswered "+
		"(repeated until answered); %.0f automatic reversals by the gateway since its last start",
		rec.approved, rec.standIn, rec.declined, rec.failed, unanswered, autoReversals)
	t.Logf("divergences: %d (audit exit %d, passed %t); lost: %d; doubled: %d; auth codes missing: %d; retransmits answered otherwise: %d",
		len(audit.divergences), audit.exitCode, audit.passed, len(rec.lost), len(rec.doubled), len(rec.authCode), len(c.k1))
	for _, l := range [][]string{audit.divergences, c.histories(audit.keys), rec.lost, rec.doubled, rec.authCode, c.k1} {
		for i, s := range l {
			if i == 20 {
				t.Logf("  ... and %d more", len(l)-i)
				break
			}
			t.Logf("  %s", s)
		}
	}
}
