package main

import (
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/fault"
)

const testAdminToken = "s3cret-token"

// adminServer serves the admin API of a process hosting roles (every role when nil), with
// peers at the given HTTP addresses when it serves the gateway.
type adminServer struct {
	api    *adminAPI
	faults *fault.Registry
	url    string
}

func mustAdminServer(t *testing.T, cfg configs.Config, hosted []configs.Role, peerAddrs map[configs.Role]string) *adminServer {
	t.Helper()
	if hosted == nil {
		hosted = cfg.Roles()
	}
	reg := fault.NewRegistry(1, nil)
	a := &adminAPI{faults: reg, cfg: cfg, hosted: hosted, self: hosted[0], log: zerolog.New(zerolog.NewTestWriter(t))}
	a.token, a.hasTok = sha256.Sum256([]byte(testAdminToken)), true
	if containsGateway(hosted) {
		a.self = configs.RoleGateway
		for role, addr := range peerAddrs {
			n := cfg.Nodes[role]
			n.HTTP = addr
			cfg.Nodes[role] = n
		}
		p, err := newPeers(cfg, hosted)
		require.NoError(t, err)
		a.peers = p
	}
	srv := httptest.NewServer(a.handler())
	t.Cleanup(srv.Close)
	return &adminServer{api: a, faults: reg, url: srv.URL}
}

func containsGateway(roles []configs.Role) bool {
	for _, r := range roles {
		if r == configs.RoleGateway {
			return true
		}
	}
	return false
}

// do sends method path with body and the token, and returns the status and the body.
func (s *adminServer) do(t *testing.T, method, path, body, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func (s *adminServer) call(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	return s.do(t, method, path, body, "Bearer "+testAdminToken)
}

func TestAdminAPIRequiresTheToken(t *testing.T) {
	s := mustAdminServer(t, testConfig(t), nil, nil)
	for name, header := range map[string]string{
		"without a token":          "",
		"with a wrong token":       "Bearer nope",
		"with the token's prefix":  "Bearer s3cret",
		"with another scheme":      "Basic " + testAdminToken,
		"with the token, no space": "Bearer" + testAdminToken,
	} {
		t.Run("refuses a request "+name+" with 401", func(t *testing.T) {
			for _, r := range []struct{ method, path, body string }{
				{"GET", "/admin/faults", ""},
				{"PUT", "/admin/faults/issuer:nubank", `{"down":true}`},
				{"DELETE", "/admin/faults", ""},
				{"GET", "/admin/unknown", ""},
			} {
				status, body := s.do(t, r.method, r.path, r.body, header)
				require.Equal(t, http.StatusUnauthorized, status, "%s %s", r.method, r.path)
				require.Contains(t, body, `"error": "missing or wrong bearer token`)
			}
			require.Empty(t, s.faults.List(), "a refused request changes nothing")
		})
	}
	t.Run("refuses everything when the process has no token", func(t *testing.T) {
		s.api.hasTok = false
		defer func() { s.api.hasTok = true }()
		status, _ := s.call(t, "GET", "/admin/faults", "")
		require.Equal(t, http.StatusUnauthorized, status)
	})
}

func TestAdminAPIRefusesBadRequests(t *testing.T) {
	s := mustAdminServer(t, testConfig(t), nil, nil)
	cases := []struct {
		name, path, body, want string
	}{
		{"a target of no known form", "/admin/faults/bank:nubank", `{"down":true}`, "want issuer:NAME, network:NAME or a link"},
		{"a party the network does not have", "/admin/faults/issuer:itau", `{"down":true}`, "target issuer:itau: no such party"},
		{"a link between roles that never call each other", "/admin/faults/network:visa-%3Eissuer:nubank", `{"down":true}`,
			"network:visa does not call issuer:nubank"},
		{"a body that is not JSON", "/admin/faults/issuer:nubank", `down`, "reading the body: invalid character"},
		{"an empty body", "/admin/faults/issuer:nubank", ``, "reading the body: unexpected end of JSON input"},
		{"an unknown key", "/admin/faults/issuer:nubank", `{"latency":500}`, `unknown field \"latency\"`},
		{"a probability above 1", "/admin/faults/issuer:nubank", `{"drop":2}`, "drop 2: want a probability from 0 to 1"},
		{"a negative latency", "/admin/faults/issuer:nubank", `{"latency_ms":-5}`, "latency -5ms"},
		{"a forced approval", "/admin/faults/issuer:nubank", `{"code":"00"}`, "code 00: a forced approval"},
		{"a fault that sets nothing", "/admin/faults/issuer:nubank", `{}`, "the fault sets nothing"},
	}
	for _, c := range cases {
		t.Run("answers 400 to "+c.name, func(t *testing.T) {
			status, body := s.call(t, "PUT", c.path, c.body)
			require.Equal(t, http.StatusBadRequest, status, body)
			require.Contains(t, body, c.want)
			var e map[string]string
			require.NoError(t, json.Unmarshal([]byte(body), &e))
			require.NotEmpty(t, e["error"])
		})
	}
	t.Run("answers 400 to clearing a bad target", func(t *testing.T) {
		status, body := s.call(t, "DELETE", "/admin/faults/issuer:itau", "")
		require.Equal(t, http.StatusBadRequest, status)
		require.Contains(t, body, "no such party")
	})
	require.Empty(t, s.faults.List(), "a bad request changes nothing")
}

func TestAdminAPISetsListsAndClears(t *testing.T) {
	s := mustAdminServer(t, testConfig(t), nil, nil)
	t.Run("sets a fault and answers it", func(t *testing.T) {
		status, body := s.call(t, "PUT", "/admin/faults/issuer:nubank", `{"latency_ms":500,"jitter_ms":200,"drop":0.1}`)
		require.Equal(t, http.StatusOK, status, body)
		require.JSONEq(t, `{"target":"issuer:nubank","latency_ms":500,"jitter_ms":200,"drop":0.1,"down":false,"code":""}`, body)
		f, ok := s.faults.Get("issuer:nubank")
		require.True(t, ok)
		require.Equal(t, fault.Fault{Latency: 500 * time.Millisecond, Jitter: 200 * time.Millisecond, Drop: 0.1}, f)
	})
	t.Run("takes a link target with its arrow escaped or not", func(t *testing.T) {
		status, body := s.call(t, "PUT", "/admin/faults/network:mastercard-%3Eissuer:nubank", `{"down":true}`)
		require.Equal(t, http.StatusOK, status, body)
		status, body = s.call(t, "PUT", "/admin/faults/gateway->network:visa", `{"code":"05"}`)
		require.Equal(t, http.StatusOK, status, body)
	})
	t.Run("lists every fault, sorted, with snake_case keys", func(t *testing.T) {
		status, body := s.call(t, "GET", "/admin/faults", "")
		require.Equal(t, http.StatusOK, status)
		require.JSONEq(t, `{"faults":[
			{"target":"gateway->network:visa","latency_ms":0,"jitter_ms":0,"drop":0,"down":false,"code":"05"},
			{"target":"issuer:nubank","latency_ms":500,"jitter_ms":200,"drop":0.1,"down":false,"code":""},
			{"target":"network:mastercard->issuer:nubank","latency_ms":0,"jitter_ms":0,"drop":0,"down":true,"code":""}]}`, body)
	})
	t.Run("clears one target", func(t *testing.T) {
		status, body := s.call(t, "DELETE", "/admin/faults/issuer:nubank", "")
		require.Equal(t, http.StatusOK, status)
		require.JSONEq(t, `{"cleared":["issuer:nubank"]}`, body)
		status, body = s.call(t, "DELETE", "/admin/faults/issuer:nubank", "")
		require.Equal(t, http.StatusOK, status)
		require.JSONEq(t, `{"cleared":[]}`, body, "clearing twice clears nothing")
	})
	t.Run("clears every target", func(t *testing.T) {
		status, body := s.call(t, "DELETE", "/admin/faults", "")
		require.Equal(t, http.StatusOK, status)
		require.JSONEq(t, `{"cleared":["gateway->network:visa","network:mastercard->issuer:nubank"]}`, body)
		_, body = s.call(t, "GET", "/admin/faults", "")
		require.JSONEq(t, `{"faults":[]}`, body)
	})
	t.Run("answers 405 to another method", func(t *testing.T) {
		status, _ := s.call(t, "POST", "/admin/faults", "")
		require.Equal(t, http.StatusMethodNotAllowed, status)
	})
}

func TestAdminAPIForwardsToTheNodes(t *testing.T) {
	cfg := testConfig(t)
	nubank := mustAdminServer(t, cfg, []configs.Role{"issuer:nubank"}, nil)
	visa := mustAdminServer(t, cfg, []configs.Role{"network:visa"}, nil)
	gw := mustAdminServer(t, cfg, []configs.Role{configs.RoleGateway}, map[configs.Role]string{
		"issuer:nubank": strings.TrimPrefix(nubank.url, "http://"),
		"network:visa":  strings.TrimPrefix(visa.url, "http://"),
	})
	t.Run("a node refuses a target another node applies", func(t *testing.T) {
		status, body := nubank.call(t, "PUT", "/admin/faults/network:visa", `{"down":true}`)
		require.Equal(t, http.StatusBadRequest, status)
		require.Contains(t, body, "target network:visa is applied by the node network:visa, not by this one (issuer:nubank)")
	})
	t.Run("the gateway sets a party's fault at its node and a link's at the caller", func(t *testing.T) {
		status, body := gw.call(t, "PUT", "/admin/faults/issuer:nubank", `{"down":true}`)
		require.Equal(t, http.StatusOK, status, body)
		status, body = gw.call(t, "PUT", "/admin/faults/network:visa-%3Eissuer:sicredi", `{"drop":0.5}`)
		require.Equal(t, http.StatusOK, status, body)
		status, body = gw.call(t, "PUT", "/admin/faults/gateway-%3Enetwork:visa", `{"latency_ms":100}`)
		require.Equal(t, http.StatusOK, status, body)
		require.Equal(t, []fault.Entry{{Target: "issuer:nubank", Fault: fault.Fault{Down: true}}}, nubank.faults.List())
		require.Equal(t, []fault.Entry{{Target: "network:visa->issuer:sicredi", Fault: fault.Fault{Drop: 0.5}}}, visa.faults.List())
		require.Equal(t, []fault.Entry{{Target: "gateway->network:visa", Fault: fault.Fault{Latency: 100 * time.Millisecond}}},
			gw.faults.List())
	})
	t.Run("the gateway's list shows every node's faults, and names the unreachable ones", func(t *testing.T) {
		status, body := gw.call(t, "GET", "/admin/faults", "")
		require.Equal(t, http.StatusBadGateway, status, "some nodes of the test config have no known address")
		var l faultList
		require.NoError(t, json.Unmarshal([]byte(body), &l))
		var targets []fault.Target
		for _, e := range l.Faults {
			targets = append(targets, e.Target)
		}
		require.Equal(t, []fault.Target{"gateway->network:visa", "issuer:nubank", "network:visa->issuer:sicredi"}, targets)
		var down []configs.Role
		for _, u := range l.Unreachable {
			down = append(down, u.Node)
			require.Contains(t, u.Error, "no HTTP address known")
		}
		require.Equal(t, []configs.Role{"issuer:bancodobrasil", "issuer:sicredi", "network:mastercard"}, down)
	})
	t.Run("a node the gateway cannot reach makes a forwarded set 502", func(t *testing.T) {
		status, body := gw.call(t, "PUT", "/admin/faults/issuer:sicredi", `{"down":true}`)
		require.Equal(t, http.StatusBadGateway, status)
		require.Contains(t, body, "issuer:sicredi: no HTTP address known")
	})
	t.Run("a node's refusal of the token comes back as it is", func(t *testing.T) {
		nubank.api.token = sha256.Sum256([]byte("another"))
		defer func() { nubank.api.token = sha256.Sum256([]byte(testAdminToken)) }()
		status, _ := gw.call(t, "DELETE", "/admin/faults/issuer:nubank", "")
		require.Equal(t, http.StatusUnauthorized, status)
		require.Len(t, nubank.faults.List(), 1)
	})
	t.Run("the gateway clears every node's faults", func(t *testing.T) {
		_, body := gw.call(t, "DELETE", "/admin/faults", "")
		var c clearReport
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		require.Equal(t, []fault.Target{"gateway->network:visa", "issuer:nubank", "network:visa->issuer:sicredi"}, c.Cleared)
		require.Empty(t, nubank.faults.List())
		require.Empty(t, visa.faults.List())
		require.Empty(t, gw.faults.List())
	})
}
