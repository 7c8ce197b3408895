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
}

// partyMetrics are each party's metrics, registered once per process on first use.
type partyMetrics struct {
	gateway  *gateway.Metrics
	network  *network.Metrics
	bank     *issuers.Metrics
	books    *books.Metrics
	acquirer *acquirer.Metrics
	tokens   *network.TokenMetrics
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
	p.built[role] = a
	return a, nil
}

// callee returns how role reaches target: in process when this process hosts it, else a
// link to the address role's node dials.
func (p *parties) callee(role, target configs.Role) (bandeira.Authorizer, error) {
	if a, ok := p.built[target]; ok {
		return a, nil
	}
	addr, ok := p.m.Config.Nodes[role].Dial[target]
	if !ok {
		return nil, fmt.Errorf("no address to dial %s (nodes.%s.dial)", target, role)
	}
	return p.m.link(role, target, addr)
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
	return issuers.NewBank(name, cfg, p.m.Log, p.metrics.bank, time.Now, issuers.WithLedger(bk),
		issuers.WithAuthCodeStart(uint64(bk.Requests())))
}

// network builds a brand's router over the issuers holding BIN rows of that brand.
func (p *parties) network(brand bandeira.Brand) (bandeira.Authorizer, error) {
	role := configs.NetworkRole(brand)
	byName := make(map[string]bandeira.Authorizer)
	for _, target := range p.m.Config.Callees(role) {
		a, err := p.callee(role, target)
		if err != nil {
			return nil, err
		}
		byName[target.Name()] = a
	}
	if p.metrics.network == nil {
		p.metrics.network = network.NewMetrics(p.m.Registry)
	}
	r, err := network.NewRouter(brand, p.m.Config.Network, routesFor(p.m.Config.Issuers, brand), byName, p.m.Log, p.metrics.network)
	if err != nil {
		return nil, err
	}
	return p.tokens(brand, r)
}

// gateway builds the acquirer host: the gateway over the networks, pricing with the
// acquirer's plans and journaling under <data-dir>/acquirer/journal.db.
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
	p.metrics.acquirer = acquirer.NewMetrics(reg)
	acq, err := acquirer.New(cfg.Acquirer, p.m.Log, p.metrics.acquirer)
	if err != nil {
		return nil, err
	}
	var journal *acquirer.Journal
	if !p.m.inMemory {
		journal, err = acquirer.OpenJournal(context.Background(), acquirer.JournalPath(cfg.DataDir), acq,
			acquirer.JournalOptions{Synchronous: cfg.Issuers.Ledger.Synchronous, Log: p.m.Log, Metrics: p.metrics.acquirer})
		if err != nil {
			return nil, err
		}
		p.m.onClose(journal.Close)
	}
	p.m.host = acquirer.NewHost(acq, journal)
	return gateway.New(cfg.Gateway, networks, p.m.host, p.m.Log, gateway.NewMetrics(reg), time.Now), nil
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

// routesFor derives one brand's BIN routing table from the issuers' BIN rows, so the
// banks' configuration is the single source of which BIN belongs to whom.
func routesFor(cfg issuers.Config, brand bandeira.Brand) []network.Route {
	var routes []network.Route
	for _, b := range cfg.Banks {
		for _, row := range b.BINs {
			if row.Brand == brand {
				routes = append(routes, network.Route{Prefix: row.BIN, Issuer: b.Name})
			}
		}
	}
	return routes
}
