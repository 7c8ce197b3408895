package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// webDriver is a chromedriver process and one headless Chromium session, driven through
// the W3C WebDriver HTTP API with plain JSON.
type webDriver struct {
	t       *testing.T
	base    string // http://127.0.0.1:PORT
	session string
	client  *http.Client
}

// chromiumHelp says how to get what the browser test needs.
const chromiumHelp = "the wallet's page test drives Debian's Chromium through chromedriver: " +
	"install both with `apt-get install -y chromium chromium-driver` (.ci/run does)"

// findChromium returns the paths of chromium and chromedriver; the test fails, naming how
// to install them, when either is missing.
func findChromium(t *testing.T) (browser, driver string) {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	driver, err := exec.LookPath("chromedriver")
	if browser == "" || err != nil {
		t.Fatalf("chromium or chromedriver is not on PATH: %s", chromiumHelp)
	}
	return browser, driver
}

// startWebDriver starts chromedriver on a free loopback port and opens a headless session
// with a fresh profile; both end with the test.
func startWebDriver(t *testing.T) *webDriver {
	t.Helper()
	browser, driver := findChromium(t)
	port := freePort(t)
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start(), chromiumHelp)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	wd := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), client: &http.Client{Timeout: 60 * time.Second}}
	require.Eventually(t, func() bool {
		var status struct {
			Value struct{ Ready bool } `json:"value"`
		}
		return wd.call("GET", "/status", nil, &status) == nil && status.Value.Ready
	}, 30*time.Second, 50*time.Millisecond, "chromedriver did not start: %s", logs)
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--window-size=1280,900", "--user-data-dir=" + t.TempDir()}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome", "goog:chromeOptions": map[string]any{"binary": browser, "args": args}}}}
	var created struct {
		Value struct {
			SessionID string `json:"sessionId"`
		} `json:"value"`
	}
	require.NoError(t, wd.call("POST", "/session", caps, &created), "starting Chromium: %s", logs)
	wd.session = created.Value.SessionID
	t.Cleanup(func() { _ = wd.call("DELETE", "/session/"+wd.session, nil, nil) })
	return wd
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// call sends one WebDriver command and decodes its answer into out; a WebDriver error
// is returned as an error.
func (wd *webDriver) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, wd.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := wd.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var failure struct {
		Value struct{ Error, Message string } `json:"value"`
	}
	if json.Unmarshal(raw, &failure) == nil && failure.Value.Error != "" {
		return fmt.Errorf("webdriver %s %s: %s: %s", method, path, failure.Value.Error, failure.Value.Message)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// cmd sends a command of the session and requires it to succeed.
func (wd *webDriver) cmd(method, path string, in, out any) {
	wd.t.Helper()
	require.NoError(wd.t, wd.call(method, "/session/"+wd.session+path, in, out))
}

func (wd *webDriver) open(url string) { wd.cmd("POST", "/url", map[string]string{"url": url}, nil) }

// element finds the element of a CSS selector, waiting for it to appear.
func (wd *webDriver) element(selector string) string {
	wd.t.Helper()
	var id string
	require.Eventually(wd.t, func() bool {
		var found struct {
			Value map[string]string `json:"value"`
		}
		if wd.call("POST", "/session/"+wd.session+"/element", map[string]string{"using": "css selector", "value": selector}, &found) != nil {
			return false
		}
		for _, v := range found.Value {
			id = v
		}
		return id != ""
	}, 30*time.Second, 50*time.Millisecond, "no element %s on the page", selector)
	return id
}

func (wd *webDriver) click(selector string) {
	wd.t.Helper()
	id := wd.element(selector)
	wd.cmd("POST", "/element/"+id+"/click", map[string]any{}, nil)
}

func (wd *webDriver) typeInto(selector, text string) {
	wd.t.Helper()
	id := wd.element(selector)
	wd.cmd("POST", "/element/"+id+"/clear", map[string]any{}, nil)
	wd.cmd("POST", "/element/"+id+"/value", map[string]string{"text": text}, nil)
}

// script runs JavaScript in the page and returns its result.
func (wd *webDriver) script(js string) any {
	wd.t.Helper()
	var out struct{ Value any }
	wd.cmd("POST", "/execute/sync", map[string]any{"script": js, "args": []any{}}, &out)
	return out.Value
}

// waitUntil waits for a JavaScript expression to be true in the page.
func (wd *webDriver) waitUntil(expr, what string) {
	wd.t.Helper()
	require.Eventually(wd.t, func() bool { return wd.script("return !!("+expr+");") == true }, 30*time.Second, 50*time.Millisecond,
		"the page never showed %s; its toast says %q", what, wd.script("return document.querySelector('#toast').textContent"))
}

// screenshot saves a PNG of the page in dir and returns its path.
func (wd *webDriver) screenshot(dir, name string) string {
	wd.t.Helper()
	var shot struct{ Value string }
	wd.cmd("GET", "/screenshot", nil, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Value)
	require.NoError(wd.t, err)
	path := filepath.Join(dir, name)
	require.NoError(wd.t, os.WriteFile(path, png, 0o600))
	return path
}
