package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The chaos test's fault schedule: one fault at a time, each held for a few seconds and
// then undone, the kinds in an order drawn from the seed, over and over until the traffic
// stops.

// chaosFaultKinds are the faults the schedule injects.
var chaosFaultKinds = []string{"issuer late", "drop", "issuer down", "issuer killed -9", "link cut", "issuer signed off",
	"network killed -9", "gateway killed -9", "network restarted", "gateway restarted"}

// chaosLinks are the network → issuer links of the default configuration.
var chaosLinks = []string{
	"network:visa->issuer:bancodobrasil", "network:visa->issuer:sicredi",
	"network:mastercard->issuer:bancodobrasil", "network:mastercard->issuer:nubank",
	"network:mastercard->issuer:sicredi",
}

var chaosIssuers = []string{"issuer:bancodobrasil", "issuer:nubank", "issuer:sicredi"}

// chaosFaults runs the schedule. It is used by one goroutine.
type chaosFaults struct {
	t        *testing.T
	n        *testNet
	rng      *rand.Rand
	start    time.Time
	restart  map[string][]string     // by role: the command the supervisor logged
	procs    map[string]*startedNode // by role: the node process this test started again
	episodes map[string]int          // faults set, by kind
	injected map[string]float64      // calls a fault was injected into, by the metric's kind
	schedule []string                // what was done when, for the log
}

func newChaosFaults(t *testing.T, n *testNet, seed uint64) *chaosFaults {
	f := &chaosFaults{t: t, n: n, rng: rand.New(rand.NewPCG(seed, 0xfa17)), start: time.Now(),
		restart: map[string][]string{}, procs: map[string]*startedNode{}, episodes: map[string]int{},
		injected: map[string]float64{}}
	t.Cleanup(f.stopNodes)
	return f
}

// run injects faults for d, and at least once of every kind, then returns with none set
// and every node serving. It runs on the test's goroutine.
func (f *chaosFaults) run(d time.Duration) {
	end := time.Now().Add(d)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	for cycle := 0; cycle == 0 || time.Now().Before(end); cycle++ {
		kinds := append([]string(nil), chaosFaultKinds...)
		f.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
		for _, kind := range kinds {
			if cycle > 0 && ctx.Err() != nil {
				return
			}
			hold := time.Duration(2000+f.rng.IntN(2000)) * time.Millisecond
			if cycle == 0 && ctx.Err() != nil {
				hold = time.Second // the first cycle completes, briefly, whatever d is
			}
			f.episode(kind, hold)
			wait(ctx, time.Duration(500+f.rng.IntN(1000))*time.Millisecond)
		}
	}
}

// wait waits d, or until ctx ends.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// episode injects one fault of kind, holds it for hold, and undoes it.
func (f *chaosFaults) episode(kind string, hold time.Duration) {
	f.episodes[kind]++
	switch kind {
	case "issuer late":
		f.set(hold, kind, chaosIssuers[f.rng.IntN(len(chaosIssuers))], "--latency", "350ms", "--jitter", "400ms")
	case "drop":
		targets := append(append([]string{"gateway->network:visa", "gateway->network:mastercard"}, chaosLinks...), chaosIssuers...)
		f.set(hold, kind, targets[f.rng.IntN(len(targets))], "--drop", "0.3")
	case "issuer down":
		f.set(hold, kind, chaosIssuers[f.rng.IntN(len(chaosIssuers))], "--down")
	case "link cut":
		f.set(hold, kind, chaosLinks[f.rng.IntN(len(chaosLinks))], "--down")
	case "issuer killed -9":
		f.outage(hold, kind, chaosIssuers[f.rng.IntN(len(chaosIssuers))], syscall.SIGKILL)
	case "issuer signed off":
		f.outage(hold, kind, chaosIssuers[f.rng.IntN(len(chaosIssuers))], syscall.SIGTERM)
	case "network killed -9":
		f.outage(hold, kind, []string{"network:visa", "network:mastercard"}[f.rng.IntN(2)], syscall.SIGKILL)
	case "gateway killed -9":
		f.outage(hold/2, kind, "gateway", syscall.SIGKILL)
	case "network restarted":
		f.outage(hold/2, kind, []string{"network:visa", "network:mastercard"}[f.rng.IntN(2)], syscall.SIGTERM)
	case "gateway restarted":
		f.outage(hold/2, kind, "gateway", syscall.SIGTERM)
	}
}

// set sets target's fault with `bandeira fault set`, holds it, and clears it; it adds the
// calls the fault was injected into, from the nodes' metrics, to the figures.
func (f *chaosFaults) set(hold time.Duration, kind, target string, args ...string) {
	before := f.injectedNow(target)
	f.note("%s: %s %s", kind, target, strings.Join(args, " "))
	f.n.mustFault(append([]string{"set", target}, args...)...)
	time.Sleep(hold) // the fault lasts this long: the schedule, not a wait for an effect
	after := f.injectedNow(target)
	f.n.mustFault("clear", target)
	for k, v := range after {
		f.injected[k] += v - before[k]
	}
}

// injectedNow reads bandeira_faults_injected_total of target, by kind, from the node that
// applies it: the party's own, or the link's caller.
func (f *chaosFaults) injectedNow(target string) map[string]float64 {
	role, _, _ := strings.Cut(target, "->")
	body := f.n.getFrom(f.n.nodes[role].http, "/metrics")
	out := map[string]float64{}
	for _, k := range []string{"latency", "drop", "down"} {
		out[k] = sumSamples(f.t, body, "bandeira_faults_injected_total", []string{fmt.Sprintf("target=%q", target), fmt.Sprintf("kind=%q", k)})
	}
	return out
}

// outage stops role's node with sig (SIGKILL: it dies; SIGTERM: it drains and signs off
// its links), holds, starts it again with the command the supervisor logged, and waits
// until it serves.
func (f *chaosFaults) outage(hold time.Duration, kind, role string, sig syscall.Signal) {
	f.note("%s: %s", kind, role)
	if p := f.procs[role]; p != nil {
		p.signal(sig)
		delete(f.procs, role)
	} else {
		require.NoError(f.t, signalPID(f.n.nodes[role].pid, sig))
	}
	if f.restart[role] == nil {
		f.restart[role] = restartCommand(f.t, f.n, role)
	}
	time.Sleep(hold) // the fault lasts this long: the schedule, not a wait for an effect
	f.startNode(role)
}

// startNode starts role's node with its restart command and waits until it is ready.
func (f *chaosFaults) startNode(role string) {
	p := startNode(f.t, f.n, f.restart[role])
	f.procs[role] = p
	deadline := time.Now().Add(60 * time.Second)
	for !f.ready(role) {
		select {
		case <-p.exited:
			f.t.Fatalf("%s exited after its restart:\n%s", role, f.n.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		require.True(f.t, time.Now().Before(deadline), "%s did not serve again within 60 s", role)
	}
	f.note("%s back", role)
}

// ready reports whether role's node answers /readyz with 200.
func (f *chaosFaults) ready(role string) bool {
	resp, err := f.n.web.Get("http://" + f.n.nodes[role].http + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// note adds a line to the schedule.
func (f *chaosFaults) note(format string, args ...any) {
	f.schedule = append(f.schedule, fmt.Sprintf("%6.1fs ", time.Since(f.start).Seconds())+fmt.Sprintf(format, args...))
}

// stopNodes stops the nodes this test started again, each with SIGTERM as the supervisor
// would. It runs after the network has been stopped, and at cleanup.
func (f *chaosFaults) stopNodes() {
	roles := make([]string, 0, len(f.procs))
	for r := range f.procs {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	for _, r := range roles {
		p := f.procs[r]
		p.stop()
		require.Equal(f.t, 0, p.cmd.ProcessState.ExitCode(), "%s's exit status", r)
		delete(f.procs, r)
	}
}
