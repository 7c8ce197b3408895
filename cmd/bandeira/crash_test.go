package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
)

// crashChildEnv makes the test binary run `bandeira` with its arguments instead of the
// tests: the crash test re-executes itself as the child it kills.
const crashChildEnv = "BANDEIRA_TEST_CHILD"

// childEnv is the environment of a child the tests run as `bandeira`. Under -race, it
// turns off the race runtime's one-second sleep at exit, which would otherwise add a
// second to every node's stop (GORACE set by the caller still wins).
func childEnv() []string {
	return append(os.Environ(), crashChildEnv+"=1", "GORACE=atexit_sleep_ms=0 "+os.Getenv("GORACE"))
}

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// crashReq is one request the crash test sent, and what came back.
type crashReq struct {
	msg      iso.Message
	answered bool
	code     string
	authCode string
}

// crashRun is the parent side: it drives a child `bandeira run`, kills it and checks the
// books.
type crashRun struct {
	t      *testing.T
	seed   uint64
	rng    *rand.Rand
	dir    string
	cards  []issuers.Card
	acqID  string
	mu     sync.Mutex
	reqs   []*crashReq
	holds  []*crashReq // approved holds that may be captured or reversed
	stan   int
	child  *exec.Cmd
	stderr *bytes.Buffer
	client *iso.Client
}

// TestCrashRecovery drives `bandeira run` in a child process with concurrent traffic
// (holds, captures, reversals, refunds), kills it with SIGKILL at random moments, audits
// the books after every kill, restarts it on the same data directory and resends every
// request that got no answer (and a sample that did). At the end every approval the
// client received must be in the books with its auth code, and the audit must pass.
// BANDEIRA_CRASH_SEED reproduces a run; BANDEIRA_CRASH_ROUNDS scales it.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test starts and kills processes")
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("BANDEIRA_CRASH_SEED"), 10, 64); err == nil {
		seed = s
	}
	rounds := 6
	if n, err := strconv.Atoi(os.Getenv("BANDEIRA_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	t.Logf("crash test seed %d (rerun with BANDEIRA_CRASH_SEED=%d)", seed, seed)
	cfg, err := configs.Load("")
	require.NoError(t, err)
	r := &crashRun{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0xc4a54)), dir: t.TempDir(), acqID: cfg.Gateway.AcquirerID}
	few := cfg.Issuers
	few.CardsPerBIN = 40 // the same cards as the child's first 40 per row: cards derive from the seed
	for _, c := range issuers.Cards(few) {
		if c.Scenario == "" {
			r.cards = append(r.cards, c)
		}
	}
	for round := range rounds {
		r.start()
		r.resend()
		r.traffic(time.Duration(100+r.rng.IntN(400)) * time.Millisecond)
		r.kill()
		r.audit(fmt.Sprintf("after kill %d", round+1))
	}
	r.start()
	r.resend()
	r.stop()
	r.audit("at the end")
	r.checkApprovals()
	var out, errOut bytes.Buffer
	require.Equal(t, exitOK, Run(context.Background(), []string{"audit", "--data-dir", r.dir}, nil, &out, &errOut),
		"seed %d: bandeira audit: %s%s", seed, out.String(), errOut.String())
}

func (r *crashRun) start() {
	r.t.Helper()
	addrFile := filepath.Join(r.dir, "addr")
	_ = os.Remove(addrFile)
	cmd := exec.Command(os.Args[0], "run", "--data-dir", r.dir, "--gateway-addr", "127.0.0.1:0",
		"--http-addr", "127.0.0.1:0", "--wallet-addr", "127.0.0.1:0", "--addr-file", addrFile, "--log-level", "warn")
	cmd.Env = childEnv()
	r.stderr = &bytes.Buffer{}
	cmd.Stderr = r.stderr
	require.NoError(r.t, cmd.Start())
	r.child = cmd
	var addr string
	require.Eventually(r.t, func() bool {
		b, err := os.ReadFile(addrFile)
		addr, _, _ = strings.Cut(string(b), "\n")
		return err == nil && addr != ""
	}, 20*time.Second, 10*time.Millisecond, "seed %d: child did not start: %s", r.seed, r.stderr)
	c, err := iso.Dial(context.Background(), addr, iso.DefaultClientConfig(), zerolog.Nop())
	require.NoError(r.t, err, "seed %d", r.seed)
	r.client = c
}

func (r *crashRun) kill() {
	_ = r.child.Process.Kill()
	_ = r.child.Wait()
	_ = r.client.Close()
}

func (r *crashRun) stop() {
	_ = r.client.Close()
	require.NoError(r.t, r.child.Process.Signal(syscall.SIGTERM))
	require.NoError(r.t, r.child.Wait(), "seed %d: %s", r.seed, r.stderr)
}

// next builds the next request: 70% holds, 15% captures, 10% reversals, 5% refunds.
func (r *crashRun) next() *crashReq {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stan++
	c := r.cards[r.rng.IntN(len(r.cards))]
	m := demoMessage("0100", r.acqID, acquirer.DefaultMerchant(), time.Now())
	m.Set(11, fmt.Sprintf("%06d", r.stan%1_000_000))
	m.Set(41, fmt.Sprintf("CR%06d", r.stan/1_000_000))
	m.Set(2, c.PAN.Digits())
	m.Set(3, "000000")
	m.Set(4, fmt.Sprintf("%012d", 100+r.rng.IntN(5_000)))
	m.Set(14, c.Expiry)
	p := r.rng.IntN(100)
	switch {
	case p >= 70 && p < 95 && len(r.holds) > 0:
		i := r.rng.IntN(len(r.holds))
		h := r.holds[i]
		r.holds[i] = r.holds[len(r.holds)-1]
		r.holds = r.holds[:len(r.holds)-1]
		m.MTI = "0400"
		if p < 85 {
			m.MTI = "0220"
		}
		m.Set(2, h.msg.Get(2))
		m.Set(14, h.msg.Get(14))
		m.Set(4, h.msg.Get(4))
		m.Set(90, "0100"+h.msg.Get(11)+h.msg.Get(7)+fmt.Sprintf("%011s", h.msg.Get(32))+strings.Repeat("0", 11))
	case p >= 95:
		m.MTI = "0200"
		m.Set(3, "200000")
	}
	q := &crashReq{msg: m}
	r.reqs = append(r.reqs, q)
	return q
}

// send sends q once and records the answer; it reports false when none came.
func (r *crashRun) send(q *crashReq) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := r.client.Send(ctx, q.msg)
	if err != nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if q.answered && (resp.Get(39) != q.code || resp.Get(38) != q.authCode) {
		r.t.Errorf("seed %d: retransmit of %s STAN %s answered %s/%s, first %s/%s", r.seed, q.msg.MTI,
			q.msg.Get(11), resp.Get(39), resp.Get(38), q.code, q.authCode)
	}
	if !q.answered && q.msg.MTI == "0100" && resp.Get(39) == "00" {
		r.holds = append(r.holds, q)
	}
	q.answered, q.code, q.authCode = true, resp.Get(39), resp.Get(38)
	return true
}

// traffic runs 8 concurrent senders until d has passed; the kill comes right after, so
// requests are in flight when it lands.
func (r *crashRun) traffic(d time.Duration) {
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if !r.send(r.next()) {
					return
				}
			}
		})
	}
	// Kill while the senders are still busy.
	time.Sleep(time.Until(deadline))
	r.kill()
	wg.Wait()
}

// resend retransmits every unanswered request, and a sample of answered ones, which must
// get their first answer again.
func (r *crashRun) resend() {
	r.mu.Lock()
	var todo []*crashReq
	for _, q := range r.reqs {
		if !q.answered || r.rng.IntN(20) == 0 {
			todo = append(todo, q)
		}
	}
	r.mu.Unlock()
	for _, q := range todo {
		require.True(r.t, r.send(q), "seed %d: no answer to a resent %s: %s", r.seed, q.msg.MTI, r.stderr)
	}
}

func (r *crashRun) audit(when string) {
	paths, err := filepath.Glob(filepath.Join(r.dir, "issuers", "*.db"))
	require.NoError(r.t, err)
	require.NotEmpty(r.t, paths)
	for _, p := range paths {
		rep, err := books.Audit(context.Background(), p)
		require.NoError(r.t, err)
		require.Empty(r.t, rep.Violations, "seed %d: audit of %s %s", r.seed, filepath.Base(p), when)
	}
}

// checkApprovals finds every answered hold and refund in the books, with the answer the
// client got.
func (r *crashRun) checkApprovals() {
	dbs := map[string]*sql.DB{}
	for _, b := range issuers.DefaultConfig().Banks {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(r.dir, "issuers", b.Name+".db")+"?mode=ro")
		require.NoError(r.t, err)
		defer func() { _ = db.Close() }()
		dbs[b.Name] = db
	}
	issuerOf := map[string]string{}
	for _, c := range r.cards {
		issuerOf[c.PAN.Digits()] = c.Issuer
	}
	approved := 0
	for _, q := range r.reqs {
		if q.msg.MTI != "0100" && q.msg.MTI != "0200" {
			continue
		}
		require.True(r.t, q.answered)
		key := booksKey(q.msg)
		var status int
		var authCode string
		err := dbs[issuerOf[q.msg.Get(2)]].QueryRow("SELECT status, auth_code FROM requests WHERE key = ?", key).Scan(&status, &authCode)
		if q.code == "00" {
			approved++
			require.NoError(r.t, err, "seed %d: approval %s not in the books", r.seed, key)
			require.Equal(r.t, 1, status, "seed %d: %s", r.seed, key)
			require.Equal(r.t, q.authCode, authCode, "seed %d: %s", r.seed, key)
		}
	}
	r.t.Logf("seed %d: %d requests, %d approved holds and refunds found in the books", r.seed, len(r.reqs), approved)
	require.NotZero(r.t, approved)
}
