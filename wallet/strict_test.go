package wallet_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/wallet"
)

// bodyRoute is a route that takes a body: a path on it, and a body with a field of the
// wrong type.
type bodyRoute struct{ path, wrongType string }

// bodyRoutes are the routes that take a body.
func bodyRoutes(h *harness) map[string]bodyRoute {
	id := h.user("Yara", h.phone(), "246810")
	return map[string]bodyRoute{
		"POST /v1/users":                  {"/v1/users", `{"phone":5511}`},
		"PUT /v1/users/{id}/pin":          {"/v1/users/" + id + "/pin", `{"pin":246810}`},
		"POST /v1/users/{id}/pin/reset":   {"/v1/users/" + id + "/pin/reset", `{"pin":true}`},
		"POST /v1/users/{id}/devices":     {"/v1/users/" + id + "/devices", `{"name":1}`},
		"POST /v1/users/{id}/cards":       {"/v1/users/" + id + "/cards", `{"pan":4000010200000009}`},
		"PUT /v1/users/{id}/default-card": {"/v1/users/" + id + "/default-card", `{"card_id":[]}`},
		"POST /v1/challenges":             {"/v1/challenges", `{"user_id":5}`},
		"POST /v1/payments":               {"/v1/payments", `{"items":{}}`},
		"POST /v1/transfers":              {"/v1/transfers", `{"amount":"10.00"}`},
		"POST /v1/charges":                {"/v1/charges", `{"amount":10.5}`},
		"POST /v1/charges/{id}/pay":       {"/v1/charges/chg_0000000000000000/pay", `{"installments":"2"}`},
		"POST /v1/charges/{id}/cancel":    {"/v1/charges/chg_0000000000000000/cancel", `{"merchant_id":5}`},
	}
}

func strictBodiesScenario(t *testing.T, h *harness) {
	routes := bodyRoutes(h)
	for _, pattern := range wallet.Routes() {
		if method, _, _ := strings.Cut(pattern, " "); method == "GET" || method == "DELETE" {
			continue
		}
		_, ok := routes[pattern]
		require.True(t, ok, "route %s needs a path in bodyRoutes", pattern)
	}
	bad := []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"malformed JSON", `{"name":`, "application/json", 400, "malformed_json"},
		{"an unknown field", `{"nme":"Ana"}`, "application/json", 400, "malformed_json"},
		{"a wrong type", "", "application/json", 400, "invalid_request"},
		{"an array instead of an object", `[]`, "application/json", 400, "malformed_json"},
		{"two objects", `{}{}`, "application/json", 400, "malformed_json"},
		{"an empty body", ``, "application/json", 400, "malformed_json"},
		{"another media type", `{}`, "text/plain", 415, "unsupported_media_type"},
		{"a body over the limit", `{"name":"` + strings.Repeat("a", 20_000) + `"}`, "application/json", 413, "body_too_large"},
	}
	for pattern, rt := range routes {
		method, _, _ := strings.Cut(pattern, " ")
		path := rt.path
		for _, b := range bad {
			t.Run(pattern+" refuses "+b.name, func(t *testing.T) {
				if b.code == "invalid_request" {
					b.body = rt.wrongType
				}
				r := h.do(method, path, b.body, "Content-Type", b.ctype)
				require.Equal(t, b.status, r.status, "%s", r.raw)
				require.Equal(t, b.code, r.code(), "%s", r.raw)
				require.Len(t, r.body, 1, "only the error object")
			})
		}
		t.Run(pattern+" refuses an unknown app", func(t *testing.T) {
			require.Equal(t, "invalid_app", h.must(http.StatusBadRequest, method, path, `{}`, "X-App", "orkut").code())
		})
	}
}

func TestRoutingErrors(t *testing.T) {
	h := newHarness(t)
	t.Run("an unknown path is 404 not_found as JSON", func(t *testing.T) {
		r := h.must(http.StatusNotFound, "GET", "/v1/nope", nil)
		require.Equal(t, "not_found", r.code())
		require.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"))
	})
	t.Run("a known path with another method is 405 with Allow", func(t *testing.T) {
		r := h.must(http.StatusMethodNotAllowed, "DELETE", "/v1/payments", nil)
		require.Equal(t, "method_not_allowed", r.code())
		require.Equal(t, "POST", r.header.Get("Allow"))
	})
	t.Run("a client off loopback is 403 unless allow_remote is set", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/v1/merchants", nil)
		req.RemoteAddr = "192.0.2.7:51000"
		rec := httptest.NewRecorder()
		h.w.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusForbidden, rec.Code)
		var body map[string]map[string]string
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		require.Equal(t, "remote_not_allowed", body["error"]["code"])

		cfg := testConfig()
		cfg.AllowRemote = true
		open := newHarnessWith(t, cfg)
		rec = httptest.NewRecorder()
		open.w.Handler().ServeHTTP(rec, req)
		require.Equal(t, http.StatusOK, rec.Code)
	})
	t.Run("the page and its assets are served with a strict content security policy", func(t *testing.T) {
		for path, ctype := range map[string]string{"/": "text/html", "/app.js": "javascript", "/app.css": "text/css"} {
			r := h.must(http.StatusOK, "GET", path, nil)
			require.Contains(t, r.header.Get("Content-Type"), ctype)
			require.Contains(t, r.header.Get("Content-Security-Policy"), "script-src 'self'")
		}
		require.Contains(t, string(h.must(http.StatusOK, "GET", "/", nil).raw), `<script src="/app.js"`)
		require.NotContains(t, string(h.must(http.StatusOK, "GET", "/", nil).raw), "http://", "nothing loads from elsewhere")
	})
}
