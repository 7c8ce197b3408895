package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/fault"
)

// maxAdminBody bounds the body of an admin request.
const maxAdminBody = 64 << 10

// adminAPI serves the admin endpoints of a process's HTTP port (docs/faults.md):
//
//	GET    /admin/faults           the faults set, {"faults": [...]}
//	PUT    /admin/faults/{target}  set target's fault from the JSON body
//	DELETE /admin/faults/{target}  clear target's fault, {"cleared": [...]}
//	DELETE /admin/faults           clear every fault
//
// Every request needs the bearer token (401 otherwise); a bad target or body is 400 with
// {"error": ...}. The process serving listen.http (the gateway) takes every target of the
// configuration: it applies what it hosts and forwards the rest to the node hosting it
// (peers); any other node takes only its own targets. It is safe for concurrent use.
type adminAPI struct {
	token  [sha256.Size]byte // the token's hash; compared in constant time
	hasTok bool
	faults *fault.Registry
	cfg    configs.Config
	hosted []configs.Role
	self   configs.Role
	peers  *peers // nil unless this process serves the gateway
	log    zerolog.Logger
}

// handler returns the admin endpoints behind the token check.
func (a *adminAPI) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /admin/faults", a.list)
	mux.HandleFunc("PUT /admin/faults/{target}", a.set)
	mux.HandleFunc("DELETE /admin/faults/{target}", a.clear)
	mux.HandleFunc("DELETE /admin/faults", a.clearAll)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bandeira admin"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token: send 'Authorization: Bearer TOKEN' "+
				"with the token of the admin token file (<data-dir>/admin-token unless admin.token_file names another)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// authorized reports whether r carries the token. Hashing both sides first makes the
// comparison's time independent of the token's length as well as its content.
func (a *adminAPI) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !a.hasTok {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	return subtle.ConstantTimeCompare(sum[:], a.token[:]) == 1
}

// local reports whether this process applies t's faults: it hosts t's host role.
func (a *adminAPI) local(t fault.Target) bool {
	return slices.Contains(a.hosted, configs.Role(t.Host()))
}

// target reads and checks the {target} of the path, writing a 400 when it is bad.
func (a *adminAPI) target(w http.ResponseWriter, r *http.Request) (fault.Target, bool) {
	t := fault.Target(r.PathValue("target"))
	if err := a.cfg.CheckFaultTarget(t); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	if !a.local(t) && a.peers == nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("target %s is applied by the node %s, not by this one (%s): "+
			"send it there, or to the gateway's HTTP port", t, t.Host(), a.self))
		return "", false
	}
	return t, true
}

func (a *adminAPI) set(w http.ResponseWriter, r *http.Request) {
	t, ok := a.target(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	var f fault.Fault
	if err == nil {
		err = json.Unmarshal(body, &f)
	}
	if err != nil {
		err = fmt.Errorf("reading the body: %w", err)
	} else {
		err = f.Validate()
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%v (want a JSON object such as "+
			`{"latency_ms": 500, "jitter_ms": 200, "drop": 0.1, "down": true, "code": "05"})`, err))
		return
	}
	if !a.local(t) {
		a.peers.forward(w, r, configs.Role(t.Host()), body)
		return
	}
	if err := a.faults.Set(t, f); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a.log.Info().Str("target", string(t)).Stringer("fault", f).Str("remote", r.RemoteAddr).Msg("fault set")
	writeJSON(w, http.StatusOK, fault.Entry{Target: t, Fault: f})
}

func (a *adminAPI) clear(w http.ResponseWriter, r *http.Request) {
	t, ok := a.target(w, r)
	if !ok {
		return
	}
	if !a.local(t) {
		a.peers.forward(w, r, configs.Role(t.Host()), nil)
		return
	}
	cleared := []fault.Target{}
	if a.faults.Clear(t) {
		cleared = append(cleared, t)
		a.log.Info().Str("target", string(t)).Str("remote", r.RemoteAddr).Msg("fault cleared")
	}
	writeJSON(w, http.StatusOK, clearReport{Cleared: cleared})
}

// faultList is the body of GET /admin/faults.
type faultList struct {
	Faults      []fault.Entry `json:"faults"`
	Unreachable []unreachable `json:"unreachable,omitempty"`
	Error       string        `json:"error,omitempty"`
}

// clearReport is the body of DELETE /admin/faults[/{target}].
type clearReport struct {
	Cleared     []fault.Target `json:"cleared"`
	Unreachable []unreachable  `json:"unreachable,omitempty"`
	Error       string         `json:"error,omitempty"`
}

// unreachable is a node the gateway could not reach for a list or a clear.
type unreachable struct {
	Node  configs.Role `json:"node"`
	Error string       `json:"error"`
}

// list answers the faults of this process and, at the gateway, of every other node; a
// node that cannot be reached is named in unreachable and the status is 502.
func (a *adminAPI) list(w http.ResponseWriter, r *http.Request) {
	out := faultList{Faults: a.faults.List()}
	if out.Faults == nil {
		out.Faults = []fault.Entry{}
	}
	if a.peers != nil {
		for _, res := range a.peers.each(r, http.MethodGet) {
			var l faultList
			if res.err == nil {
				res.err = json.Unmarshal(res.body, &l)
			}
			if res.err != nil {
				out.Unreachable = append(out.Unreachable, unreachable{res.role, res.err.Error()})
				continue
			}
			out.Faults = append(out.Faults, l.Faults...)
		}
	}
	slices.SortFunc(out.Faults, func(x, y fault.Entry) int { return strings.Compare(string(x.Target), string(y.Target)) })
	writeJSON(w, partialStatus(&out.Error, out.Unreachable), out)
}

// clearAll clears every fault of this process and, at the gateway, of every other node.
func (a *adminAPI) clearAll(w http.ResponseWriter, r *http.Request) {
	out := clearReport{Cleared: a.faults.ClearAll()}
	if out.Cleared == nil {
		out.Cleared = []fault.Target{}
	}
	if a.peers != nil {
		for _, res := range a.peers.each(r, http.MethodDelete) {
			var c clearReport
			if res.err == nil {
				res.err = json.Unmarshal(res.body, &c)
			}
			if res.err != nil {
				out.Unreachable = append(out.Unreachable, unreachable{res.role, res.err.Error()})
				continue
			}
			out.Cleared = append(out.Cleared, c.Cleared...)
		}
	}
	slices.Sort(out.Cleared)
	if len(out.Cleared) > 0 {
		a.log.Info().Int("cleared", len(out.Cleared)).Str("remote", r.RemoteAddr).Msg("faults cleared")
	}
	writeJSON(w, partialStatus(&out.Error, out.Unreachable), out)
}

// partialStatus is 200, or 502 with msg set when some nodes could not be reached.
func partialStatus(msg *string, down []unreachable) int {
	if len(down) == 0 {
		return http.StatusOK
	}
	names := make([]string, len(down))
	for i, u := range down {
		names[i] = string(u.Node)
	}
	*msg = "could not reach " + strings.Join(names, ", ")
	return http.StatusBadGateway
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// errNoPeerAddr is a node whose HTTP address the gateway does not know.
var errNoPeerAddr = errors.New("no HTTP address known: set nodes.<role>.http or pass --peer-http ROLE=ADDR")
