package main

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bandeira/bandeira/configs"
)

// peerTimeout bounds one admin request forwarded to another node.
const peerTimeout = 5 * time.Second

// peers are the other nodes' admin APIs, as the gateway reaches them: each node's HTTP
// address from nodes.<role>.http (which --peer-http overrides), over HTTPS when the node
// serves TLS, presenting links.tls.
type peers struct {
	base   map[configs.Role]string // role → "http://host:port", "" when unknown
	roles  []configs.Role          // in configuration order
	client *http.Client
}

// newPeers returns the nodes of cfg other than hosted that can hold faults: every node
// but the gateway and the wallet (which no fault targets).
func newPeers(cfg configs.Config, hosted []configs.Role) (*peers, error) {
	var clientTLS *tls.Config
	if cfg.Links.TLS.Enabled() {
		var err error
		if clientTLS, err = cfg.Links.TLS.ClientConfig(); err != nil {
			return nil, fmt.Errorf("loading links.tls for the admin API: %w", err)
		}
	}
	p := &peers{base: map[configs.Role]string{}, client: &http.Client{Timeout: peerTimeout,
		Transport: &http.Transport{TLSClientConfig: clientTLS, Proxy: nil}}}
	for _, role := range cfg.Roles() {
		if role == configs.RoleGateway || role == configs.RoleWallet || slices.Contains(hosted, role) {
			continue
		}
		p.roles = append(p.roles, role)
		n := cfg.Nodes[role]
		if n.HTTP == "" || strings.HasSuffix(n.HTTP, ":0") {
			p.base[role] = ""
			continue
		}
		scheme := "http://"
		if n.TLS.CertFile != "" {
			scheme = "https://"
		}
		p.base[role] = scheme + n.HTTP
	}
	return p, nil
}

// send sends method path (with body) to role's admin API with r's Authorization header.
func (p *peers) send(r *http.Request, role configs.Role, method, path string, body []byte) (*http.Response, error) {
	base := p.base[role]
	if base == "" {
		return nil, fmt.Errorf("%s: %w", role, errNoPeerAddr)
	}
	req, err := http.NewRequestWithContext(r.Context(), method, base+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("forwarding to %s: %w", role, err)
	}
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("forwarding to %s at %s: %w", role, base, err)
	}
	return resp, nil
}

// forward sends r (with body) to the node hosting role and relays its answer; a node
// that cannot be reached is 502.
func (p *peers) forward(w http.ResponseWriter, r *http.Request, role configs.Role, body []byte) {
	path := "/admin/faults/" + url.PathEscape(r.PathValue("target"))
	resp, err := p.send(r, role, r.Method, path, body)
	if err != nil {
		writeError(w, http.StatusBadGateway, err.Error())
		return
	}
	defer resp.Body.Close()
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, maxAdminBody))
}

// peerResult is one node's answer to a request sent to every node.
type peerResult struct {
	role configs.Role
	body []byte
	err  error
}

// each sends method /admin/faults to every node at once and returns their answers in
// configuration order; an answer other than 200 is an error.
func (p *peers) each(r *http.Request, method string) []peerResult {
	out := make([]peerResult, len(p.roles))
	var wg sync.WaitGroup
	for i, role := range p.roles {
		wg.Go(func() { out[i] = p.ask(r, role, method) })
	}
	wg.Wait()
	return out
}

// ask sends method /admin/faults to role and reads the answer.
func (p *peers) ask(r *http.Request, role configs.Role, method string) peerResult {
	res := peerResult{role: role}
	resp, err := p.send(r, role, method, "/admin/faults", nil)
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	res.body, res.err = io.ReadAll(io.LimitReader(resp.Body, maxAdminBody))
	if res.err == nil && resp.StatusCode != http.StatusOK {
		res.err = fmt.Errorf("%s answered %s: %s", role, resp.Status, bytes.TrimSpace(res.body))
	}
	return res
}
