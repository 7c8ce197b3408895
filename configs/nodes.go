package configs

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

// Role names one party of the network as a node: "gateway" (the acquirer host: gateway,
// pricing, journal), "network:<brand>" (a card network, e.g. network:visa),
// "issuer:<bank>" (e.g. issuer:nubank) or "wallet" (the wallet, a client of the gateway
// over ISO 8583 with an HTTP API). The networks and issuers that exist are those the
// configuration names: adding a partner is configuration, not code.
type Role string

// The kinds of role.
const (
	KindGateway = "gateway"
	KindNetwork = "network"
	KindIssuer  = "issuer"
	KindWallet  = "wallet"
)

// RoleGateway is the acquirer host's role.
const RoleGateway Role = KindGateway

// RoleWallet is the wallet's role.
const RoleWallet Role = KindWallet

// NetworkRole returns the role of a brand's network.
func NetworkRole(b bandeira.Brand) Role { return Role(KindNetwork + ":" + string(b)) }

// IssuerRole returns the role of an issuer.
func IssuerRole(bank string) Role { return Role(KindIssuer + ":" + bank) }

// Kind returns gateway, network, issuer or wallet ("" for a malformed role).
func (r Role) Kind() string {
	kind, name, found := strings.Cut(string(r), ":")
	switch {
	case (kind == KindGateway || kind == KindWallet) && !found:
		return kind
	case (kind == KindNetwork || kind == KindIssuer) && bandeira.IsPartyName(name):
		return kind
	}
	return ""
}

// Name returns the part after the colon: the brand or the bank ("" for the gateway and
// the wallet).
func (r Role) Name() string {
	_, name, _ := strings.Cut(string(r), ":")
	return name
}

// Node is one role's place on the wire, for `bandeira run --processes` and
// `bandeira node --role`. The gateway's own addresses are listen.gateway and listen.http;
// the wallet's one address (its API, page and /metrics) is listen.wallet.
type Node struct {
	// Listen is the ISO 8583 address the node serves its callers on (not for the gateway).
	Listen string `yaml:"listen"`
	// HTTP is the node's /metrics, /healthz and /readyz address (not for the gateway).
	HTTP string `yaml:"http"`
	// Dial maps each role this node calls to the address it dials: the gateway dials the
	// networks, each network the issuers of its brand, the wallet the gateway's front door
	// (listen.gateway when not set). An address must be one the role listens on (the same
	// address, or the same port when that role listens on every interface, as across
	// hosts).
	Dial map[Role]string `yaml:"dial"`
	// TLS, when its cert_file is set, serves the node's ISO 8583 and HTTP ports over TLS
	// (mutual TLS with ca_file). The links that dial it need links.tls to trust it.
	TLS iso.TLSConfig `yaml:"tls"`
}

// Nodes are the nodes by role. A file's nodes section is merged into the defaults key by
// key: setting one node's dial entry keeps its listen and http addresses and its other
// dials.
type Nodes map[Role]Node

// UnmarshalYAML merges each node of the document into the node of the same role.
func (ns *Nodes) UnmarshalYAML(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: nodes must be a mapping of role to node", v.Line)
	}
	merged := make(Nodes, len(*ns))
	for role, n := range *ns {
		n.Dial = maps.Clone(n.Dial)
		merged[role] = n
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		role := Role(v.Content[i].Value)
		n := merged[role]
		if err := v.Content[i+1].Decode(&n); err != nil {
			return err
		}
		merged[role] = n
	}
	*ns = merged
	return nil
}

// DefaultNodes returns the loopback layout of the default network: gateway 8583/9583,
// network:visa 8584/9584, network:mastercard 8585/9585 and the issuers Banco do Brasil,
// Nubank and Sicredi on 8586–8588 and 9586–9588.
func DefaultNodes() Nodes {
	visa, master := NetworkRole(bandeira.Visa), NetworkRole(bandeira.Mastercard)
	bb, nu, sic := IssuerRole("bancodobrasil"), IssuerRole("nubank"), IssuerRole("sicredi")
	return Nodes{
		RoleGateway: {Dial: map[Role]string{visa: "127.0.0.1:8584", master: "127.0.0.1:8585"}},
		visa: {Listen: "127.0.0.1:8584", HTTP: "127.0.0.1:9584", Dial: map[Role]string{
			bb: "127.0.0.1:8586", sic: "127.0.0.1:8588"}},
		master: {Listen: "127.0.0.1:8585", HTTP: "127.0.0.1:9585", Dial: map[Role]string{
			bb: "127.0.0.1:8586", nu: "127.0.0.1:8587", sic: "127.0.0.1:8588"}},
		bb:  {Listen: "127.0.0.1:8586", HTTP: "127.0.0.1:9586"},
		nu:  {Listen: "127.0.0.1:8587", HTTP: "127.0.0.1:9587"},
		sic: {Listen: "127.0.0.1:8588", HTTP: "127.0.0.1:9588"},
	}
}

// Roles returns every role the configuration's parties make, in the order they start: the
// issuers (in configuration order), the networks (by brand name), the gateway, then the
// wallet.
func (c Config) Roles() []Role {
	var roles, networks []Role
	for _, b := range c.Issuers.Banks {
		roles = append(roles, IssuerRole(b.Name))
	}
	for _, brand := range c.Brands() {
		networks = append(networks, NetworkRole(brand))
	}
	return append(append(roles, networks...), RoleGateway, RoleWallet)
}

// Brands returns the brands of the issuers' BIN rows, sorted: the networks that exist.
func (c Config) Brands() []bandeira.Brand {
	var brands []bandeira.Brand
	for _, b := range c.Issuers.Banks {
		for _, row := range b.BINs {
			if !slices.Contains(brands, row.Brand) {
				brands = append(brands, row.Brand)
			}
		}
	}
	slices.Sort(brands)
	return brands
}

// Callees returns the roles that role calls, sorted: the gateway calls every network,
// a network the issuers holding BIN rows of its brand, the wallet the gateway, an issuer
// nobody.
func (c Config) Callees(role Role) []Role {
	var out []Role
	switch role.Kind() {
	case KindWallet:
		out = append(out, RoleGateway)
	case KindGateway:
		for _, brand := range c.Brands() {
			out = append(out, NetworkRole(brand))
		}
	case KindNetwork:
		for _, b := range c.Issuers.Banks {
			for _, row := range b.BINs {
				if string(row.Brand) == role.Name() && !slices.Contains(out, IssuerRole(b.Name)) {
					out = append(out, IssuerRole(b.Name))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// NodeAddrs returns where role serves: its ISO 8583 and HTTP addresses. The wallet has no
// ISO 8583 port ("") and its HTTP address is listen.wallet.
func (c Config) NodeAddrs(role Role) (listen, http string) {
	switch role {
	case RoleGateway:
		return c.Listen.Gateway, c.Listen.HTTP
	case RoleWallet:
		return "", c.Listen.Wallet
	}
	n := c.Nodes[role]
	return n.Listen, n.HTTP
}

// DialAddr returns the address role dials to reach target: nodes.<role>.dial, or for the
// wallet's gateway, listen.gateway when that is not set. False when there is none.
func (c Config) DialAddr(role, target Role) (string, bool) {
	if addr, ok := c.Nodes[role].Dial[target]; ok {
		return addr, true
	}
	if role == RoleWallet && target == RoleGateway {
		return c.Listen.Gateway, true
	}
	return "", false
}

// validateNodes checks the nodes section against the parties: every role present, no
// unknown one, valid addresses, no two roles on one address, and every dial aimed at an
// address the dialed role listens on.
func (c Config) validateNodes() error {
	roles := c.Roles()
	for role := range c.Nodes {
		if !slices.Contains(roles, role) {
			return fmt.Errorf("%s: no such role: roles are gateway, network:<brand of a BIN row> and issuer:<bank>", role)
		}
	}
	if n := c.Nodes[RoleGateway]; n.Listen != "" || n.HTTP != "" {
		return errors.New("gateway: set the gateway's addresses in listen.gateway and listen.http")
	}
	if n := c.Nodes[RoleWallet]; n.Listen != "" || n.HTTP != "" {
		return errors.New("wallet: set the wallet's address in listen.wallet")
	}
	if err := c.checkNodeAddrs(roles); err != nil {
		return err
	}
	for role, n := range c.Nodes {
		if err := n.TLS.Validate(); err != nil {
			return fmt.Errorf("%s: tls: %w", role, err)
		}
	}
	for _, role := range roles {
		if err := c.checkDials(role); err != nil {
			return err
		}
	}
	return nil
}

// checkNodeAddrs checks that every role has valid addresses and no two share one.
func (c Config) checkNodeAddrs(roles []Role) error {
	owner := make(map[string]string)
roles:
	for _, role := range roles {
		if role != RoleGateway && role != RoleWallet {
			if _, ok := c.Nodes[role]; !ok {
				return fmt.Errorf("%s: missing: every role needs listen and http addresses", role)
			}
		}
		listen, http := c.NodeAddrs(role)
		for _, a := range []struct{ what, addr string }{{"listen", listen}, {"http", http}} {
			if role == RoleWallet && a.what == "listen" {
				continue // the wallet serves no ISO 8583
			}
			if err := CheckAddr(a.addr); err != nil {
				if role == RoleGateway || role == RoleWallet {
					continue roles // the listen section reports it
				}
				return fmt.Errorf("%s: %s %w", role, a.what, err)
			}
			if strings.HasSuffix(a.addr, ":0") {
				continue // any free port: never shared
			}
			name := fmt.Sprintf("%s %s", role, a.what)
			if other, taken := owner[a.addr]; taken {
				return fmt.Errorf("%s and %s both use %s", other, name, a.addr)
			}
			owner[a.addr] = name
		}
	}
	return nil
}

// checkDials checks that role dials exactly its callees, each where it listens.
func (c Config) checkDials(role Role) error {
	dial := c.Nodes[role].Dial
	callees := c.Callees(role)
	for target := range dial {
		if !slices.Contains(callees, target) {
			return fmt.Errorf("%s dials %s, which it never calls (it calls %s)", role, target, RoleList(callees))
		}
	}
	for _, target := range callees {
		addr, ok := c.DialAddr(role, target)
		if !ok {
			return fmt.Errorf("%s: dial: no address for %s", role, target)
		}
		if err := CheckAddr(addr); err != nil {
			return fmt.Errorf("%s: dial %s: %w", role, target, err)
		}
		if listen, _ := c.NodeAddrs(target); !sameEndpoint(addr, listen) {
			return fmt.Errorf("%s dials %s at %s, but %s listens on %s", role, target, addr, target, listen)
		}
	}
	return nil
}

// RoleList joins roles with commas for a message; "nobody" when there are none.
func RoleList(roles []Role) string {
	if len(roles) == 0 {
		return "nobody"
	}
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// sameEndpoint reports whether dialing addr reaches a server listening on listen: the
// same host and port, or the same port on a server listening on every interface. A
// listener on port 0 matches any dial, since its port is only known once it runs.
func sameEndpoint(addr, listen string) bool {
	if addr == listen {
		return true
	}
	dh, dp, err1 := net.SplitHostPort(addr)
	lh, lp, err2 := net.SplitHostPort(listen)
	if err1 != nil || err2 != nil {
		return false
	}
	if lp == "0" {
		return true
	}
	if dp != lp {
		return false
	}
	return lh == "" || lh == "0.0.0.0" || lh == "::" || lh == dh
}
