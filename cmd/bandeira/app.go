package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/gateway"
	"github.com/bandeira/bandeira/internal/fault"
	"github.com/bandeira/bandeira/internal/lock"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/iso"
)

// Main runs roles of the network in this process: every role for `bandeira run` (linked in
// process, with Go calls), or one role for `bandeira node` (linked to the other nodes over
// ISO 8583). It serves one ISO 8583 port (the gateway's front door, or the node's) and one
// HTTP port, and shuts everything down. End-to-end tests run it unchanged on 127.0.0.1:0
// ports.
type Main struct {
	Config   configs.Config
	Log      zerolog.Logger
	Registry *prometheus.Registry
	// Roles are the roles this process hosts; nil hosts every role of the configuration.
	Roles []configs.Role
	// Reset deletes the hosted roles' durable data, once their locks are held, before
	// they open it.
	Reset bool
	// AdminToken is the bearer token of the admin API on the HTTP port (/admin/faults);
	// empty refuses every admin request.
	AdminToken string
	// Faults are the faults injected into the hosted parties and their callees, built by
	// Run with the configuration's faults set; changed live by the admin API.
	Faults *fault.Registry

	served         configs.Role // the role whose ISO 8583 port this process serves
	hostedRoles    []configs.Role
	adminTokenFile string // where AdminToken came from, for the start-up log
	isoLn, httpLn  net.Listener
	iso            *iso.Server
	http           *http.Server
	ready          atomic.Bool
	errc           chan error
	locks          []*lock.Lock
	closers        []func() error   // closed in reverse order of opening
	host           *acquirer.Host   // set when this process hosts the gateway
	gateway        *gateway.Gateway // likewise, unless in memory
	wallet         *walletNode      // set when this process hosts the wallet beside the gateway
	walletHTTP     http.Handler     // set when this process is the wallet's node
	links          *iso.LinkMetrics
	saf            *saf.Metrics // the store-and-forward queues' metrics, shared by every party here
	closeOnce      sync.Once
	closeErr       error

	// inMemory (benchmarks only) keeps each bank's accounts in a ledger.Memory and keeps
	// no acquirer journal: the network as it was before durable storage, the baseline
	// BenchmarkFullStackRoundTrip compares the durable one with.
	inMemory bool
}

// NewMain returns a Main for cfg, which must already be validated, hosting every role.
func NewMain(cfg configs.Config, log zerolog.Logger) *Main {
	return &Main{Config: cfg, Log: log, Registry: prometheus.NewRegistry(), errc: make(chan error, 2)}
}

// Run locks the data of the hosted roles, builds them, binds both listeners and starts
// serving. It returns once the ISO 8583 port accepts connections; serving goes on until
// Close. On error everything opened so far is closed again.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		switch {
		case err != nil && m.http != nil: // serving already (the wallet failed to start)
			_ = m.Close()
		case err != nil:
			_ = m.closeParties()
		}
	}()
	hosted, err := m.hosted()
	if err != nil {
		return err
	}
	if err := m.lock(hosted); err != nil {
		return err
	}
	if m.Reset {
		if err := m.reset(hosted); err != nil {
			return err
		}
	}
	if err := m.startFaults(hosted); err != nil {
		return err
	}
	p := newParties(m)
	for _, role := range hosted {
		if role == configs.RoleWallet {
			continue // built once the gateway it dials is served
		}
		if _, err := p.build(role); err != nil {
			return err
		}
	}
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.Registry.MustRegister(opsCollectors(m.Config)...)
	return m.serveHosted(ctx, p, slices.Contains(hosted, configs.RoleWallet))
}

// serveHosted serves the served role and, when this process hosts it, the wallet: as a
// node of its own it dials the gateway's configured address; beside the gateway it dials
// the front door this process just bound, over ISO 8583 like any client.
func (m *Main) serveHosted(ctx context.Context, p *parties, wallet bool) error {
	if m.served == configs.RoleWallet {
		addr, _ := m.Config.DialAddr(configs.RoleWallet, configs.RoleGateway)
		wn, err := m.buildWallet(ctx, addr)
		if err != nil {
			return fmt.Errorf("building %s: %w", configs.RoleWallet, err)
		}
		m.walletHTTP = wn.w.Handler()
		return m.serve(ctx, nil)
	}
	if err := m.serve(ctx, p.built[m.served]); err != nil {
		return err
	}
	if !wallet {
		return nil
	}
	wn, err := m.buildWallet(ctx, m.GatewayAddr())
	if err != nil {
		return fmt.Errorf("building %s: %w", configs.RoleWallet, err)
	}
	return m.serveWallet(ctx, wn)
}

// hosted returns the roles to host in start order (callees first) and sets the served
// role: the gateway when hosted, else the one role of a node.
func (m *Main) hosted() ([]configs.Role, error) {
	all := m.Config.Roles()
	if m.Roles == nil {
		m.served = configs.RoleGateway
		return all, nil
	}
	var hosted []configs.Role
	for _, r := range all {
		if slices.Contains(m.Roles, r) {
			hosted = append(hosted, r)
		}
	}
	for _, r := range m.Roles {
		if !slices.Contains(all, r) {
			return nil, fmt.Errorf("no role %q in the configuration: roles are %s", r, configs.RoleList(all))
		}
	}
	switch {
	case slices.Contains(hosted, configs.RoleGateway):
		m.served = configs.RoleGateway
	case len(hosted) == 1:
		m.served = hosted[0]
	default:
		return nil, errors.New("a process hosts every role, the gateway with others, or one role")
	}
	return hosted, nil
}

// lock takes the data lock of every hosted role, so a second process on the same data
// directory refuses to start instead of answering 91 to everything.
func (m *Main) lock(roles []configs.Role) error {
	for _, r := range roles {
		path := lockPath(m.Config.DataDir, r)
		owner := "bandeira run"
		if m.Roles != nil {
			owner = "bandeira node --role " + string(r)
		}
		l, err := lock.Acquire(path, owner)
		if err != nil {
			return fmt.Errorf("data directory %s is in use: %w", m.Config.DataDir, err)
		}
		m.locks = append(m.locks, l)
	}
	return nil
}

// reset deletes the durable data of roles: an issuer's books (with their WAL and
// shared-memory files), a network's store, store-and-forward queues and token vault (with
// the key its PANs are sealed under), the gateway's journal, the wallet's data. The keys
// under <data-dir>/keys stay.
func (m *Main) reset(roles []configs.Role) error {
	for _, r := range roles {
		for _, pattern := range roleData(m.Config.DataDir, r) {
			paths, _ := filepath.Glob(pattern)
			for _, p := range paths {
				if err := os.RemoveAll(p); err != nil {
					return fmt.Errorf("resetting %s: %w", r, err)
				}
			}
		}
	}
	return nil
}

// roleData lists the glob patterns of what role keeps under dataDir.
func roleData(dataDir string, role configs.Role) []string {
	switch role.Kind() {
	case configs.KindIssuer:
		return []string{booksPath(dataDir, role.Name()) + "*"}
	case configs.KindNetwork:
		brand := bandeira.Brand(role.Name())
		return []string{networkStorePath(dataDir, brand) + "*", networkSAFPath(dataDir, brand) + "*",
			tokensPath(dataDir, brand, ".*")}
	case configs.KindGateway:
		return []string{filepath.Join(dataDir, "acquirer")}
	case configs.KindWallet:
		return []string{walletDir(dataDir)}
	}
	return nil
}

// serve binds the served role's ISO 8583 and HTTP addresses and starts both servers. The
// wallet's node has no ISO 8583 port; its HTTP port serves the wallet too.
func (m *Main) serve(ctx context.Context, a bandeira.Authorizer) error {
	isoAddr, httpAddr := m.Config.NodeAddrs(m.served)
	var lc net.ListenConfig
	var err error
	if isoAddr != "" {
		if m.isoLn, err = lc.Listen(ctx, "tcp", isoAddr); err != nil {
			return fmt.Errorf("listening for ISO 8583: %w", err)
		}
	}
	if m.httpLn, err = lc.Listen(ctx, "tcp", httpAddr); err != nil {
		m.closeISOListener()
		return fmt.Errorf("listening for HTTP: %w", err)
	}
	tlsCfg, err := httpTLS(m.Config, m.served)
	if err != nil {
		m.closeISOListener()
		_ = m.httpLn.Close()
		return fmt.Errorf("loading the HTTP port's TLS: %w", err)
	}
	if tlsCfg != nil {
		m.httpLn = tls.NewListener(m.httpLn, tlsCfg)
	}
	var settle settleFunc
	if m.host != nil && m.host.Journal() != nil {
		settle = m.settlements
	}
	handler, err := m.withAdmin(opsHandler(m.Registry, &m.ready, settle))
	if err != nil {
		m.closeISOListener()
		_ = m.httpLn.Close()
		return err
	}
	m.http = newHTTPServer(handler, m.Log)
	if m.walletHTTP != nil {
		m.http = newWalletServer(walletHandler(handler, m.walletHTTP), m.Config, m)
	}
	if m.isoLn != nil {
		var opts []iso.ServerOption
		if m.served == configs.RoleGateway && m.gateway != nil {
			opts = append(opts, iso.WithUndelivered(m.undelivered))
		}
		m.iso = iso.NewServer(serverConfig(m.Config, m.served), a, m.Log, iso.NewServerMetrics(m.Registry), opts...)
		go func() { m.errc <- m.iso.Serve(m.isoLn) }()
	}
	go func() { m.errc <- m.http.Serve(m.httpLn) }()
	m.ready.Store(true)
	if store.CommitsSkipped() {
		m.Log.Warn().Msg("built with -tags benchnostore: no store writes anything, every change is lost at exit (for measuring only)")
	}
	ev := m.Log.Info().Str("iso", m.GatewayAddr()).Str("http", m.HTTPAddr())
	if m.adminTokenFile != "" {
		ev.Str("admin_token_file", m.adminTokenFile)
	}
	if m.Roles == nil {
		ev.Int("cards_per_bin", m.Config.Issuers.CardsPerBIN).Msg("bandeira is running")
	} else {
		ev.Str("role", string(m.served)).Msg("node is running")
	}
	return nil
}

func (m *Main) closeISOListener() {
	if m.isoLn != nil {
		_ = m.isoLn.Close()
	}
}

// link returns the ISO 8583 link from role to target at addr, closed with the process. It
// connects in the background and reconnects by itself; while it is down its requests fail
// at once (91).
func (m *Main) link(role, target configs.Role, addr string) (bandeira.Authorizer, error) {
	if m.links == nil {
		m.links = iso.NewLinkMetrics(m.Registry)
	}
	c, err := iso.NewClient(addr, linkConfig(m.Config, role), iso.WithLogger(m.Log),
		iso.WithLinkMetrics(m.links), iso.WithLinkName(string(target)))
	if err != nil {
		return nil, fmt.Errorf("linking to %s at %s: %w", target, addr, err)
	}
	m.onClose(c.Close)
	return c, nil
}

// undelivered hands the gateway an answer its front door could not write, so that it
// reverses an approval the client never saw.
func (m *Main) undelivered(req iso.Message, res bandeira.Result) {
	a, err := iso.ToAuthorization(req)
	if err != nil {
		return // it was decoded once already; a request that did not decode was never approved
	}
	m.gateway.Undelivered(a, res)
}

// onClose registers f to run at Close, after the servers have drained; later
// registrations run first.
func (m *Main) onClose(f func() error) { m.closers = append(m.closers, f) }

// settlements computes the merchant payouts from the live journal (GET /acquirer/settlements).
func (m *Main) settlements(ctx context.Context, f acquirer.SettlementFilter) ([]acquirer.Payout, error) {
	entries, err := m.host.Journal().Entries(ctx)
	if err != nil {
		return nil, err
	}
	return acquirer.Settle(entries, m.host.Calendar(), f)
}

// GatewayAddr returns the served ISO 8583 listener's address, e.g. "127.0.0.1:8583": the
// gateway's front door, or a node's port; "-" for the wallet's node, which has none.
func (m *Main) GatewayAddr() string {
	if m.isoLn == nil {
		return "-"
	}
	return m.isoLn.Addr().String()
}

// HTTPAddr returns the HTTP listener's address.
func (m *Main) HTTPAddr() string { return m.httpLn.Addr().String() }

// Wait blocks until ctx is done (a signal) or a server stops on its own, whose error it
// returns.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		m.Log.Info().Msg("shutting down")
		return nil
	case err := <-m.errc:
		if errors.Is(err, iso.ErrServerClosed) || errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// Close marks the process not ready, lets the wallet's requests finish, drains in-flight
// ISO 8583 requests (bounded by the configuration's drain_timeout, which exceeds every
// request timer), stops the servers, then closes the wallet, the store-and-forward queues,
// the links, the issuers' books, the token vaults, the gateway's keys and the acquirer's
// journal (committing what is pending) and releases the data locks. It is idempotent.
func (m *Main) Close() error {
	m.closeOnce.Do(func() {
		m.ready.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.DrainTimeout)
		defer cancel()
		errs := []error{m.shutdownWallet(ctx)}
		if m.iso != nil {
			errs = append(errs, m.iso.Shutdown(ctx))
		}
		if m.http != nil {
			errs = append(errs, m.http.Shutdown(ctx))
		}
		errs = append(errs, m.closeParties())
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}

// closeParties closes what the parties opened, newest first, then releases the locks.
func (m *Main) closeParties() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	for _, l := range m.locks {
		errs = append(errs, l.Release())
	}
	m.locks = nil
	return errors.Join(errs...)
}
