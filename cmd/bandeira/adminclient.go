package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/fault"
)

// adminClientFlags are the flags of a command that talks to a running network's admin API:
// where it is and where its token is.
type adminClientFlags struct {
	configPath, dataDir, httpAddr, tokenFile *string
}

func addAdminClientFlags(fs *flagSet) *adminClientFlags {
	return &adminClientFlags{
		httpAddr:   fs.String("http-addr", "", "the network's HTTP `address` (default the config's listen.http: 127.0.0.1:9583)"),
		tokenFile:  fs.String("token-file", "", "`file` holding the admin token (default admin.token_file, else DIR/admin-token)"),
		configPath: fs.String("config", "", "the network's YAML config `file`, for its addresses and data directory"),
		dataDir:    fs.String("data-dir", "", "the network's data `directory` (default the config's data_dir: ./bandeira-data)"),
	}
}

// adminClient sends requests to a network's admin API for one command.
type adminClient struct {
	cmd       string // for messages: "fault set"
	base      string // "http://127.0.0.1:9583"
	token     string
	tokenFile string
	http      *http.Client
	errOut    io.Writer
}

// client resolves the flags against the configuration and reads the token. It returns the
// client and -1, or prints one line and returns the exit code.
func (f *adminClientFlags) client(fs *flagSet) (*adminClient, int) {
	cfg, err := configs.Load(*f.configPath)
	if err != nil {
		fmt.Fprintf(fs.errOut, "bandeira %s: %v\n", fs.Name(), err)
		return nil, exitUsage
	}
	override(&cfg.DataDir, *f.dataDir)
	override(&cfg.Admin.TokenFile, *f.tokenFile)
	addr := cfg.Listen.HTTP
	override(&addr, *f.httpAddr)
	c := &adminClient{cmd: fs.Name(), tokenFile: adminTokenPath(cfg), errOut: fs.errOut, base: addr}
	var clientTLS *tls.Config
	if !strings.Contains(addr, "://") {
		c.base = "http://" + addr
		if cfg.Listen.HTTPTLS.Enabled() {
			c.base = "https://" + addr
		}
	}
	if strings.HasPrefix(c.base, "https://") && cfg.Links.TLS.Enabled() {
		if clientTLS, err = cfg.Links.TLS.ClientConfig(); err != nil {
			fmt.Fprintf(fs.errOut, "bandeira %s: loading links.tls: %v\n", fs.Name(), err)
			return nil, exitUsage
		}
	}
	c.http = &http.Client{Timeout: faultRequestTimeout, Transport: &http.Transport{TLSClientConfig: clientTLS, Proxy: nil}}
	if c.token, err = readAdminToken(c.tokenFile); err != nil {
		abs, _ := filepath.Abs(c.tokenFile)
		fmt.Fprintf(fs.errOut, "bandeira %s: %v (the network writes %s on its first start; is it running with "+
			"this data directory? Else pass --token-file or --data-dir)\n", fs.Name(), err, abs)
		return nil, exitFail
	}
	return c, -1
}

// do sends method to /admin/faults (/{target} when target is set) with body as JSON and
// decodes the answer into out. It returns 0 on 200; on 502 (some node could not be
// reached) it decodes what the answer holds, says which nodes, and returns 1; otherwise it
// prints the API's error and returns 2 for a bad request, else 1.
func (c *adminClient) do(ctx context.Context, method string, target fault.Target, body, out any) int {
	path := "/admin/faults"
	if target != "" {
		path += "/" + url.PathEscape(string(target))
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return c.fail(exitFail, "encoding the request: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return c.fail(exitUsage, "%v", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.fail(exitFail, "reaching the admin API: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return c.fail(exitFail, "reading the admin API's answer: %v", err)
	}
	return c.answer(resp.StatusCode, data, out)
}

// answer interprets the API's answer.
func (c *adminClient) answer(status int, data []byte, out any) int {
	var e struct {
		Error       string        `json:"error"`
		Unreachable []unreachable `json:"unreachable"`
	}
	_ = json.Unmarshal(data, &e)
	switch status {
	case http.StatusOK:
		if err := json.Unmarshal(data, out); err != nil {
			return c.fail(exitFail, "decoding the admin API's answer: %v", err)
		}
		return exitOK
	case http.StatusBadRequest:
		return c.fail(exitUsage, "%s", e.Error)
	case http.StatusUnauthorized:
		return c.fail(exitFail, "the admin API at %s refused the token in %s (401): is it this network's token file?",
			c.base, c.tokenFile)
	case http.StatusBadGateway:
		_ = json.Unmarshal(data, out)
		if len(e.Unreachable) > 0 {
			parts := make([]string, len(e.Unreachable))
			for i, u := range e.Unreachable {
				parts[i] = fmt.Sprintf("%s (%s)", u.Node, u.Error)
			}
			return c.fail(exitFail, "could not reach %s", strings.Join(parts, "; "))
		}
		return c.fail(exitFail, "%s", e.Error)
	}
	msg := e.Error
	if msg == "" {
		msg = strings.TrimSpace(string(data))
	}
	return c.fail(exitFail, "the admin API at %s answered %d: %s", c.base, status, msg)
}

// fail prints one line naming the command and returns code.
func (c *adminClient) fail(code int, format string, args ...any) int {
	fmt.Fprintf(c.errOut, "bandeira %s: %s\n", c.cmd, fmt.Sprintf(format, args...))
	return code
}

// printJSON writes v indented, with "->" left as it is.
func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
