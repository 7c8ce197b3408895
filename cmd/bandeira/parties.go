package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"path/filepath"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/gateway"
	"github.com/bandeira/bandeira/internal/fault"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/network"
)

// parties builds the roles a Main hosts. A role's callees are the parties this process
// hosts, called in process, or ISO 8583 links to the nodes that host them: the same
// decision code either way, since everything a party decides on travels in the message.
type parties struct {
	m       *Main
	built   map[configs.Role]bandeira.Authorizer
	metrics partyMetrics
	sealer  *seal.Sealer // <data-dir>/keys/saf.key, loaded on first use
}

// partyMetrics are each party's metrics, registered once per process on first use.
type partyMetrics struct {
	gateway  *gateway.Metrics
	network  *network.Metrics
	limits   *network.LimitMetrics
	bank     *issuers.Metrics
	books    *books.Metrics
	acquirer *acquirer.Metrics
	tokens   *network.TokenMetrics
}

// safMetrics returns the process's store-and-forward metrics, registering them on first
// use: every party with queues in this process (the gateway, the networks, the wallet)
// shares them.
func (m *Main) safMetrics() *saf.Metrics {
	if m.saf == nil {
		m.saf = saf.NewMetrics(m.Registry)
	}
	return m.saf
}

func newParties(m *Main) *parties {
	return &parties{m: m, built: make(map[configs.Role]bandeira.Authorizer)}
}

// build builds role, whose callees this process hosts (and built first) or reaches over
// links, and returns its Authorizer.
func (p *parties) build(role configs.Role) (bandeira.Authorizer, error) {
	var (
		a   bandeira.Authorizer
		err error
	)
	switch role.Kind() {
	case configs.KindIssuer:
		a, err = p.issuer(role.Name())
	case configs.KindNetwork:
		a, err = p.network(bandeira.Brand(role.Name()))
	case configs.KindGateway:
		a, err = p.gateway()
	default:
		err = fmt.Errorf("no such role %q", role)
	}
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", role, err)
	}
	if role.Kind() != configs.KindGateway {
		a = p.m.Faults.Wrap(fault.Target(role), a) // issuer:X, network:B (docs/faults.md)
	}
	p.built[role] = a
	return a, nil
}

// callee returns how role reaches target: in process when this process hosts it, else a
// link to the address role's node dials; either way behind the link's faults
// (role->target).
func (p *parties) callee(role, target configs.Role) (bandeira.Authorizer, error) {
	link := fault.Link(string(role), string(target))
	if a, ok := p.built[target]; ok {
		return p.m.Faults.Wrap(link, a), nil
	}
	addr, ok := p.m.Config.Nodes[role].Dial[target]
	if !ok {
		return nil, fmt.Errorf("no address to dial %s (nodes.%s.dial)", target, role)
	}
	a, err := p.m.link(role, target, addr)
	if err != nil {
		return nil, err
	}
	return p.m.Faults.Wrap(link, a), nil
}

// issuer opens the bank's books under <data-dir>/issuers/<bank>.db and builds the bank on
// them (on a fresh in-memory ledger in the in-memory benchmark).
func (p *parties) issuer(name string) (bandeira.Authorizer, error) {
	cfg, reg := p.m.Config.Issuers, p.m.Registry
	if p.metrics.bank == nil {
		p.metrics.bank, p.metrics.books = issuers.NewMetrics(reg), books.NewMetrics(reg)
	}
	if p.m.inMemory {
		return issuers.NewBank(name, cfg, p.m.Log, p.metrics.bank, time.Now)
	}
	bk, err := books.Open(context.Background(), booksPath(p.m.Config.DataDir, name), cfg.Ledger, books.Options{
		Issuer: name, Log: p.m.Log, Metrics: p.metrics.books, Fingerprint: cardsFingerprint(cfg),
	})
	if err != nil {
		return nil, err
	}
	p.m.onClose(bk.Close)
	return issuers.NewBank(name, cfg, p.m.Log, p.metrics.bank, time.Now, issuers.WithLedger(bk))
}

// network builds a brand's router over the issuers holding BIN rows of that brand, with
// stand-in on its store (<data-dir>/networks/<brand>.db) and its store-and-forward queues
// to those issuers (<data-dir>/networks/<brand>-saf.db); without either in the in-memory
// benchmark.
func (p *parties) network(brand bandeira.Brand) (bandeira.Authorizer, error) {
	role := configs.NetworkRole(brand)
	if p.metrics.network == nil {
		p.metrics.network = network.NewMetrics(p.m.Registry)
		p.metrics.limits = network.NewLimitMetrics(p.m.Registry)
	}
	byName := make(map[string]bandeira.Authorizer)
	for _, target := range p.m.Config.Callees(role) {
		a, err := p.callee(role, target)
		if err != nil {
			return nil, err
		}
		byName[target.Name()] = network.Limit(brand, target.Name(), a, p.m.Config.Network.MaxInFlightPerIssuer, p.metrics.limits)
	}
	var opts []network.Option
	if !p.m.inMemory {
		st, fwd, err := p.networkStores(brand, byName)
		if err != nil {
			return nil, err
		}
		opts = append(opts, network.WithStandIn(st, fwd))
	}
	r, err := network.NewRouter(brand, p.m.Config.Network, routesFor(p.m.Config.Issuers, brand), byName, p.m.Log,
		p.metrics.network, opts...)
	if err != nil {
		return nil, err
	}
	return p.tokens(brand, r)
}

// networkStores opens a network's store and its store-and-forward queues and starts one
// queue per issuer, delivering to the same callee the router calls. Both close with the
// process, the queues first.
func (p *parties) networkStores(brand bandeira.Brand, issuers map[string]bandeira.Authorizer) (*network.Store, *saf.Store, error) {
	cfg, ctx := p.m.Config, context.Background()
	hasher, err := seal.LoadOrCreateHasher(panHashKeyPath(cfg.DataDir))
	if err != nil {
		return nil, nil, err
	}
	st, err := network.OpenStore(ctx, networkStorePath(cfg.DataDir, brand), network.StoreOptions{
		Synchronous: cfg.Issuers.Ledger.Synchronous, Hasher: hasher, Log: p.m.Log})
	if err != nil {
		return nil, nil, err
	}
	p.m.onClose(st.Close)
	sealer, err := p.safSealer()
	if err != nil {
		return nil, nil, err
	}
	q, err := saf.Open(ctx, networkSAFPath(cfg.DataDir, brand), saf.Options{
		Synchronous: cfg.Issuers.Ledger.Synchronous, Sealer: sealer, Log: p.m.Log, Metrics: p.m.safMetrics(),
		BackoffMin: cfg.SAF.RetryMin, BackoffMax: cfg.SAF.RetryMax, MaxAge: cfg.SAF.MaxAge,
		AttemptTimeout: cfg.Network.IssuerTimeout,
	})
	if err != nil {
		return nil, nil, err
	}
	p.m.onClose(q.Close)
	for name, a := range issuers {
		q.Start(network.QueueName(brand, name), a)
	}
	return st, q, nil
}

// safSealer returns the sealer of the stored messages (<data-dir>/keys/saf.key, made on
// first use), loaded once per process.
func (p *parties) safSealer() (*seal.Sealer, error) {
	if p.sealer == nil {
		s, err := seal.LoadOrCreate(safKeyPath(p.m.Config.DataDir))
		if err != nil {
			return nil, err
		}
		p.sealer = s
	}
	return p.sealer, nil
}

// gateway builds the acquirer host: the gateway over the networks, pricing with the
// acquirer's plans, journaling under <data-dir>/acquirer/journal.db, remembering its keys
// in the log <data-dir>/acquirer/keys/ and reversing through the store-and-forward queues of
// <data-dir>/acquirer/saf.db.
func (p *parties) gateway() (bandeira.Authorizer, error) {
	cfg, reg := p.m.Config, p.m.Registry
	networks := make(map[bandeira.Brand]bandeira.Authorizer)
	for _, target := range cfg.Callees(configs.RoleGateway) {
		a, err := p.callee(configs.RoleGateway, target)
		if err != nil {
			return nil, err
		}
		networks[bandeira.Brand(target.Name())] = a
	}
	p.metrics.acquirer, p.metrics.gateway = acquirer.NewMetrics(reg), gateway.NewMetrics(reg)
	acq, err := acquirer.New(cfg.Acquirer, p.m.Log, p.metrics.acquirer)
	if err != nil {
		return nil, err
	}
	if p.m.inMemory {
		p.m.host = acquirer.NewHost(acq, nil)
		return gateway.New(cfg.Gateway, networks, p.m.host, p.m.Log, p.metrics.gateway, time.Now), nil
	}
	journal, err := acquirer.OpenJournal(context.Background(), acquirer.JournalPath(cfg.DataDir), acq,
		acquirer.JournalOptions{Synchronous: cfg.Issuers.Ledger.Synchronous, Log: p.m.Log, Metrics: p.metrics.acquirer,
			HoldExpiry: cfg.Issuers.Ledger.HoldExpiry})
	if err != nil {
		return nil, err
	}
	p.m.onClose(journal.Close)
	p.m.host = acquirer.NewHost(acq, journal)
	opts, queues, err := p.durableGateway()
	if err != nil {
		return nil, err
	}
	g := gateway.New(cfg.Gateway, networks, p.m.host, p.m.Log, p.metrics.gateway, time.Now, opts...)
	for brand := range networks {
		queues.Start(gateway.ReversalQueue(brand), g.ReversalDeliverer(brand))
	}
	p.m.gateway = g
	return g, nil
}

// durableGateway opens what makes the gateway's promises durable: its keys (with the
// secret of the PAN's keyed hash) and its store-and-forward queues, closed with the
// process after the servers have drained; and names the issuers' institution IDs.
func (p *parties) durableGateway() ([]gateway.Option, *saf.Store, error) {
	cfg, ctx := p.m.Config, context.Background()
	pans, err := seal.LoadOrCreateHasher(gateway.PANKeyPath(cfg.DataDir))
	if err != nil {
		return nil, nil, err
	}
	keys, err := gateway.OpenKeys(ctx, gateway.KeysPath(cfg.DataDir), gateway.KeysOptions{PANHasher: pans,
		Window: cfg.Gateway.DuplicateWindow, Capacity: cfg.Gateway.DuplicateCapacity,
		Synchronous: cfg.Issuers.Ledger.Synchronous, Log: p.m.Log,
		Metrics: p.metrics.gateway})
	if err != nil {
		return nil, nil, err
	}
	p.m.onClose(keys.Close)
	sealer, err := seal.LoadOrCreate(safKeyPath(cfg.DataDir))
	if err != nil {
		return nil, nil, err
	}
	queues, err := saf.Open(ctx, gatewaySAFPath(cfg.DataDir), saf.Options{Synchronous: cfg.Issuers.Ledger.Synchronous,
		Sealer: sealer, Log: p.m.Log, Metrics: p.m.safMetrics(),
		BackoffMin: cfg.SAF.RetryMin, BackoffMax: cfg.SAF.RetryMax, MaxAge: cfg.SAF.MaxAge,
		AttemptTimeout: cfg.Gateway.RequestTimeout})
	if err != nil {
		return nil, nil, err
	}
	p.m.onClose(queues.Close)
	institutions := make(map[string]string, len(cfg.Issuers.Banks))
	for _, b := range cfg.Issuers.Banks {
		institutions[b.Name] = b.InstitutionID
	}
	return []gateway.Option{gateway.WithKeys(keys), gateway.WithReversals(queues), gateway.WithInstitutions(institutions)},
		queues, nil
}

// serverConfig is the ISO 8583 server of a role: the acquirer's front door takes the
// server section as it is; a node behind it bounds each request by its caller's timer,
// requires its callers to sign on when the links sign on, and serves TLS with its node's
// certificate.
func serverConfig(cfg configs.Config, role configs.Role) iso.ServerConfig {
	sc := cfg.Server
	switch role.Kind() {
	case configs.KindNetwork:
		sc.RequestTimeout = cfg.Gateway.RequestTimeout
	case configs.KindIssuer:
		sc.RequestTimeout = cfg.Network.IssuerTimeout
	default:
		return sc
	}
	sc.RequireSignOn = cfg.Links.SignOn
	sc.TLS = cfg.Nodes[role].TLS
	return sc
}

// linkConfig is the client side of the links from role to its callees: the links section,
// with requests bounded by role's own timer for its callees (the wallet's is
// wallet.request_timeout) unless links.send_timeout is shorter.
func linkConfig(cfg configs.Config, role configs.Role) iso.ClientConfig {
	lc := cfg.Links
	timer := cfg.Network.IssuerTimeout
	switch role.Kind() {
	case configs.KindGateway:
		timer = cfg.Gateway.RequestTimeout
	case configs.KindWallet:
		timer = cfg.Wallet.RequestTimeout
	}
	if lc.SendTimeout <= 0 || lc.SendTimeout > timer {
		lc.SendTimeout = timer
	}
	return lc
}

// httpTLS is the TLS of the HTTP port of the served role, nil when it serves plain HTTP.
func httpTLS(cfg configs.Config, role configs.Role) (*tls.Config, error) {
	t := cfg.Listen.HTTPTLS
	if role != configs.RoleGateway {
		t = cfg.Nodes[role].TLS
	}
	return t.ServerConfig()
}

// gatewaySAFPath is where the gateway's store-and-forward queues live.
func gatewaySAFPath(dataDir string) string { return filepath.Join(dataDir, "acquirer", "saf.db") }

// networkStorePath is where a network keeps its stand-in decisions.
func networkStorePath(dataDir string, brand bandeira.Brand) string {
	return filepath.Join(dataDir, "networks", string(brand)+".db")
}

// networkSAFPath is where a network keeps the advices and reversals it owes its issuers.
func networkSAFPath(dataDir string, brand bandeira.Brand) string {
	return filepath.Join(dataDir, "networks", string(brand)+"-saf.db")
}

// safKeyPath is the key that seals every stored message of the data directory.
func safKeyPath(dataDir string) string { return filepath.Join(dataDir, "keys", "saf.key") }

// panHashKeyPath is the key of the PAN hashes the networks keep instead of PANs.
func panHashKeyPath(dataDir string) string { return filepath.Join(dataDir, "keys", "pan-hash.key") }

// booksPath is where an issuer's books live.
func booksPath(dataDir, issuer string) string {
	return filepath.Join(dataDir, "issuers", issuer+".db")
}

// cardsFingerprint names what the books' opening balances derive from, so that books
// seeded from other cards are refused (docs/ledger.md).
func cardsFingerprint(c issuers.Config) string {
	return fmt.Sprintf("seed=%d debit=%d-%d prepaid=%d-%d credit=%d-%d", c.Seed,
		c.DebitBalance.Min, c.DebitBalance.Max, c.PrepaidBalance.Min, c.PrepaidBalance.Max,
		c.CreditLimit.Min, c.CreditLimit.Max)
}

// routesFor derives one brand's routing table from the issuers' BIN rows and institution
// IDs, so the banks' configuration is the single source of which BIN (and which field 100)
// belongs to whom, and of each range's product.
func routesFor(cfg issuers.Config, brand bandeira.Brand) []network.Route {
	var routes []network.Route
	for _, b := range cfg.Banks {
		for _, row := range b.BINs {
			if row.Brand == brand {
				routes = append(routes, network.Route{Prefix: row.BIN, Issuer: b.Name, InstitutionID: b.InstitutionID,
					Product: row.Product})
			}
		}
	}
	return routes
}
