package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/lock"
)

// nodeStartTimeout bounds how long a node may take to start serving.
const nodeStartTimeout = 60 * time.Second

// supervisor is `bandeira run --processes`: every role as a child `bandeira node`,
// started callees first, each told the addresses its callees actually bound. It watches
// them, says how to start a dead one again, and stops them all, callers first.
type supervisor struct {
	cfg      configs.Config
	log      zerolog.Logger
	flags    *serveFlags
	s        stdio
	exe      string
	tmp      string     // the children's address files
	mu       sync.Mutex // guards nodes, and their addresses, against the watchers' reads
	nodes    []*child
	stopping atomic.Bool
	wg       sync.WaitGroup
}

// child is one node process.
type child struct {
	role      configs.Role
	cmd       *exec.Cmd
	iso, http string
	done      chan struct{} // closed when the process has exited
	err       error         // its exit status, once done
}

func runProcesses(ctx context.Context, cfg configs.Config, log zerolog.Logger, flags *serveFlags, s stdio) int {
	exe, err := os.Executable()
	if err == nil {
		cfg.DataDir, err = filepath.Abs(cfg.DataDir)
	}
	if err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitFail
	}
	if err := checkLocks(cfg); err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitFail
	}
	if cfg.Admin.TokenFile, err = sharedAdminToken(cfg, log); err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitFail
	}
	tmp, err := os.MkdirTemp("", "bandeira-nodes-")
	if err != nil {
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitFail
	}
	defer os.RemoveAll(tmp)
	sv := &supervisor{cfg: cfg, log: log.With().Str("component", "supervisor").Logger(), flags: flags, s: s, exe: exe, tmp: tmp}
	if err := sv.start(ctx); err != nil {
		sv.stop()
		fmt.Fprintf(s.err, "bandeira run: %v\n", err)
		return exitFail
	}
	sv.report()
	if *flags.addrFile != "" {
		if err := writeAddrFile(*flags.addrFile, sv.addrFile()); err != nil {
			sv.stop()
			fmt.Fprintf(s.err, "bandeira run: %v\n", err)
			return exitFail
		}
	}
	<-ctx.Done()
	sv.log.Info().Msg("shutting down the nodes, gateway first")
	if err := sv.stop(); err != nil {
		sv.log.Error().Err(err).Msg("stopped with an error")
		return exitFail
	}
	return exitOK
}

// checkLocks refuses, in one line, data another process serves: it takes and releases
// every role's lock before any node starts.
func checkLocks(cfg configs.Config) error {
	for _, r := range cfg.Roles() {
		l, err := lock.Acquire(lockPath(cfg.DataDir, r), "bandeira run --processes")
		if err != nil {
			return fmt.Errorf("data directory %s is in use: %w", cfg.DataDir, err)
		}
		_ = l.Release()
	}
	return nil
}

// start starts every node in role order and waits for each to serve before the next.
func (sv *supervisor) start(ctx context.Context) error {
	for _, role := range sv.cfg.Roles() {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, err := sv.startNode(role)
		if err != nil {
			return err
		}
		sv.mu.Lock()
		sv.nodes = append(sv.nodes, c)
		sv.mu.Unlock()
		if err := sv.awaitServing(c); err != nil {
			return err
		}
		sv.wg.Add(1)
		go sv.watch(c)
	}
	return nil
}

// nodeArgs are the arguments of `bandeira node` for role, with the callees' actual
// addresses; boot adds what only the first start needs. A watcher calls it while start
// may still be adding nodes, hence the lock.
func (sv *supervisor) nodeArgs(role configs.Role, listen, http string) []string {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	args := []string{"node", "--role", string(role), "--data-dir", sv.cfg.DataDir}
	if listen != "" && listen != "-" { // the wallet has no ISO 8583 port
		args = append(args, "--listen", listen)
	}
	args = append(args, "--http-addr", http, "--log-format", sv.cfg.Log.Format, "--log-level", sv.cfg.Log.Level,
		"--admin-token-file", sv.cfg.Admin.TokenFile, "--fault-seed", strconv.FormatUint(sv.cfg.Admin.FaultSeed, 10))
	if p := *sv.flags.configPath; p != "" {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		args = append(args, "--config", p)
	}
	for _, callee := range sv.cfg.Callees(role) {
		if c := sv.node(callee); c != nil {
			args = append(args, "--dial", string(callee)+"="+c.iso)
		}
	}
	if role == configs.RoleGateway { // its admin API forwards to the nodes where they bound
		for _, c := range sv.nodes {
			// The wallet applies no fault (and its address is listen.wallet, not a node's).
			if c.role != role && c.role != configs.RoleWallet {
				args = append(args, "--peer-http", string(c.role)+"="+c.http)
			}
		}
	}
	return args
}

func (sv *supervisor) node(role configs.Role) *child {
	for _, c := range sv.nodes {
		if c.role == role {
			return c
		}
	}
	return nil
}

// startNode starts role's process.
func (sv *supervisor) startNode(role configs.Role) (*child, error) {
	listen, http := sv.cfg.NodeAddrs(role)
	args := sv.nodeArgs(role, listen, http)
	args = append(args, "--addr-file", filepath.Join(sv.tmp, strings.ReplaceAll(string(role), ":", "-")))
	if *sv.flags.reset {
		args = append(args, "--reset")
	}
	if p := *sv.flags.cpuProfile; p != "" {
		args = append(args, "--cpu-profile", p+"."+strings.ReplaceAll(string(role), ":", "-"))
	}
	cmd := exec.Command(sv.exe, args...)
	cmd.Stdout, cmd.Stderr = sv.s.err, sv.s.err
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", role, err)
	}
	c := &child{role: role, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// awaitServing waits for c's address file, or its early exit.
func (sv *supervisor) awaitServing(c *child) error {
	path := filepath.Join(sv.tmp, strings.ReplaceAll(string(c.role), ":", "-"))
	deadline := time.NewTimer(nodeStartTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if b, err := os.ReadFile(path); err == nil {
			lines := strings.Fields(string(b))
			if len(lines) == 2 {
				sv.mu.Lock()
				c.iso, c.http = lines[0], lines[1]
				sv.mu.Unlock()
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("node %s exited before serving (%v)", c.role, c.err)
		case <-deadline.C:
			return fmt.Errorf("node %s did not start serving within %s", c.role, nodeStartTimeout)
		case <-tick.C:
		}
	}
}

// watch reports a node that exits while the network runs, and how to start it again.
func (sv *supervisor) watch(c *child) {
	defer sv.wg.Done()
	<-c.done
	if sv.stopping.Load() {
		return
	}
	sv.mu.Lock()
	iso, http := c.iso, c.http
	sv.mu.Unlock()
	restart := append([]string{sv.exe}, sv.nodeArgs(c.role, iso, http)...)
	sv.log.Error().Str("node", string(c.role)).Int("pid", c.cmd.Process.Pid).Str("exit", exitText(c.err)).
		Str("restart", strings.Join(restart, " ")).
		Msg("node exited; the other nodes keep running and it is not restarted: start it again with the restart command")
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// report prints each node's role, PID and addresses, and logs that the network runs.
func (sv *supervisor) report() {
	tw := tabwriter.NewWriter(sv.s.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tPID\tISO 8583\tHTTP")
	for _, c := range sv.nodes {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", c.role, c.cmd.Process.Pid, c.iso, c.http)
	}
	_ = tw.Flush()
	gw := sv.node(configs.RoleGateway)
	sv.log.Info().Str("gateway", gw.iso).Str("http", gw.http).Int("processes", len(sv.nodes)).
		Int("cards_per_bin", sv.cfg.Issuers.CardsPerBIN).Msg("bandeira is running")
}

// addrFile is what --addr-file holds: the gateway's ISO 8583 and HTTP addresses, as with
// one process, then a line per node: role, PID, ISO 8583 and HTTP address.
func (sv *supervisor) addrFile() string {
	gw := sv.node(configs.RoleGateway)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", gw.iso, gw.http)
	for _, c := range sv.nodes {
		fmt.Fprintf(&b, "%s %d %s %s\n", c.role, c.cmd.Process.Pid, c.iso, c.http)
	}
	return b.String()
}

// stop stops the nodes in reverse start order (the gateway first, so it drains while the
// networks and issuers still answer), each with SIGTERM and, after the drain limit,
// SIGKILL. It returns an error naming the nodes that did not exit cleanly.
func (sv *supervisor) stop() error {
	sv.stopping.Store(true)
	var errs []error
	for i := len(sv.nodes) - 1; i >= 0; i-- {
		c := sv.nodes[i]
		select {
		case <-c.done:
			continue // it died earlier and was reported then
		default:
		}
		_ = c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(sv.cfg.DrainTimeout + 5*time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
		if c.err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", c.role, c.err))
		}
	}
	sv.wg.Wait()
	return errors.Join(errs...)
}

// lockPath is the data lock of a role.
func lockPath(dataDir string, r configs.Role) string {
	return filepath.Join(dataDir, "locks", strings.ReplaceAll(string(r), ":", "-")+".lock")
}
