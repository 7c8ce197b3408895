package wallet

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// api is the HTTP face of a Wallet.
type api struct {
	w   *Wallet
	mux *http.ServeMux
}

// Handler returns the wallet's HTTP handler: the page at / and the JSON API under /v1,
// documented by /v1/openapi.json and docs/wallet.md. Errors are
// {"error": {"code": "...", "message": "..."}}; request bodies are strict JSON (unknown
// fields and wrong types are 400) of at most max_body_bytes (413); requests from outside
// loopback are 403 unless allow_remote is set. Every request is counted by its route's
// pattern and status.
func (w *Wallet) Handler() http.Handler {
	a := &api{w: w, mux: http.NewServeMux()}
	for _, rt := range a.routes() {
		a.mux.HandleFunc(rt.pattern, rt.handle)
	}
	return a
}

// route is one pattern of the API and its handler.
type route struct {
	pattern string
	handle  http.HandlerFunc
}

// Routes returns the patterns the handler serves, e.g. "POST /v1/payments", in order.
func Routes() []string {
	var out []string
	for _, rt := range (&api{}).routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// ServeHTTP checks the client's address, dispatches and counts the request.
func (a *api) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: rw}
	_, pattern := a.mux.Handler(r)
	switch {
	case !a.w.cfg.AllowRemote && !loopback(r.RemoteAddr):
		pattern = "remote"
		writeError(sw, newError(http.StatusForbidden, "remote_not_allowed", "the wallet answers only on loopback"))
	case pattern == "":
		pattern = "unmatched"
		a.unmatched(sw, r)
	default:
		a.mux.ServeHTTP(sw, r) // the mux, not the handler it matched, sets the path values
	}
	a.w.m.Requests.WithLabelValues(pattern, strconv.Itoa(sw.status())).Inc()
	a.w.m.Duration.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
}

// unmatched answers a path no route has (404) or a method its path does not take (405).
func (a *api) unmatched(rw http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := a.mux.Handler(probe); p != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(rw, newError(http.StatusNotFound, "not_found", "no such path"))
		return
	}
	rw.Header().Set("Allow", joinComma(allow))
	writeError(rw, newError(http.StatusMethodNotAllowed, "method_not_allowed", "this path takes %s", joinComma(allow)))
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += v
	}
	return out
}

// loopback reports whether a client address is on loopback.
func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}

// errorBody is the JSON of an error.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(rw http.ResponseWriter, e *Error) {
	if e.Status == http.StatusUnauthorized {
		rw.Header().Set("WWW-Authenticate", `Bearer realm="wallet"`)
	}
	var b errorBody
	b.Error.Code, b.Error.Message = e.Code, e.Message
	writeJSON(rw, e.Status, b)
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	h := rw.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	enc := json.NewEncoder(rw)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail answers err: an *Error as it is, anything else as a logged 500.
func (a *api) fail(rw http.ResponseWriter, r *http.Request, err error) {
	if e := asError(err); e != nil {
		writeError(rw, e)
		return
	}
	a.w.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Msg("request failed")
	writeError(rw, newError(http.StatusInternalServerError, "internal_error", "the wallet could not answer; try again"))
}

// answer writes v with status, or the error.
func (a *api) answer(rw http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		a.fail(rw, r, err)
		return
	}
	writeJSON(rw, status, v)
}

// read reads and strictly decodes a JSON body into v and returns the request's Call: a
// body that is not application/json is 415, one over the size limit 413, malformed JSON,
// unknown fields, wrong types or trailing data 400, and so are a bad X-App or
// Idempotency-Key.
func (a *api) read(rw http.ResponseWriter, r *http.Request, pattern string, v any) (Call, error) {
	call, err := a.call(r, pattern)
	if err != nil {
		return call, err
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return call, newError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, a.w.cfg.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return call, newError(http.StatusRequestEntityTooLarge, "body_too_large", "the body is over %d bytes", a.w.cfg.MaxBodyBytes)
		}
		return call, newError(http.StatusBadRequest, "malformed_json", "the body could not be read")
	}
	if err := decodeStrict(body, v); err != nil {
		return call, err
	}
	sum := sha256.Sum256(append([]byte(pattern+"\x00"+call.App+"\x00"), body...))
	call.Fingerprint = hex.EncodeToString(sum[:])
	return call, nil
}

// readFor is read for a route that acts for the user its path names ({id}): once the body
// is read, the request must carry that user's token (Wallet.authorize). The body is
// checked first, so malformed input is 4xx whoever sends it.
func (a *api) readFor(rw http.ResponseWriter, r *http.Request, pattern string, v any) (Call, error) {
	call, err := a.read(rw, r, pattern, v)
	if err == nil {
		err = a.w.authorize(r, r.PathValue("id"))
	}
	return call, err
}

// decodeStrict decodes one JSON object into v, refusing unknown fields, wrong types and
// anything after the object.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return newError(http.StatusBadRequest, "malformed_json", "the body must be a JSON object")
	}
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return newError(http.StatusBadRequest, "invalid_request", "%s: want %s", typeErr.Field, typeName(typeErr.Type.Kind().String()))
		case errors.As(err, &syntaxErr):
			return newError(http.StatusBadRequest, "malformed_json", "malformed JSON at byte %d", syntaxErr.Offset)
		}
		return newError(http.StatusBadRequest, "malformed_json", "%s", jsonProblem(err))
	}
	if dec.More() {
		return newError(http.StatusBadRequest, "malformed_json", "the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem says what encoding/json refused without echoing values: an unknown field
// names the field (its name came from the client, but it is a field name, quoted).
func jsonProblem(err error) string {
	const unknown = "json: unknown field "
	if s := err.Error(); len(s) > len(unknown) && s[:len(unknown)] == unknown {
		name := s[len(unknown):]
		if len(name) > 66 {
			name = name[:64] + `…"`
		}
		return "unknown field " + name
	}
	return "malformed JSON"
}

func typeName(kind string) string {
	switch kind {
	case "int", "int64", "int32":
		return "an integer"
	case "string":
		return "a string"
	case "struct", "ptr":
		return "an object"
	case "slice":
		return "an array"
	case "bool":
		return "true or false"
	}
	return "another type"
}

// call reads what every request may carry: X-App and Idempotency-Key.
func (a *api) call(r *http.Request, pattern string) (Call, error) {
	c := Call{App: r.Header.Get("X-App"), Scope: pattern, IdempotencyKey: r.Header.Get("Idempotency-Key")}
	if c.App == "" {
		c.App = defaultApp
	}
	if !slices.Contains(apps, c.App) {
		return c, newError(http.StatusBadRequest, "invalid_app", "X-App: want whatsapp, messenger, instagram or facebook")
	}
	if k := c.IdempotencyKey; k != "" && !validIdempotencyKey(k) {
		return c, newError(http.StatusBadRequest, "invalid_idempotency_key", "Idempotency-Key: want 1 to 64 printable ASCII characters")
	}
	return c, nil
}

func validIdempotencyKey(k string) bool {
	if len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '!' || k[i] > '~' {
			return false
		}
	}
	return true
}

// query checks a GET's query: only the known parameters.
func query(r *http.Request, known ...string) error {
	for k := range r.URL.Query() {
		if !slices.Contains(known, k) {
			return errInvalid("unknown query parameter %s", strconv.Quote(k))
		}
	}
	return nil
}

// intParam reads an optional integer query parameter.
func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, errInvalid("%s: want an integer", name)
	}
	return n, nil
}
