package iso_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/testcerts"
	"github.com/bandeira/bandeira/iso"
)

// testCA is a test CA whose issue returns an iso.TLSConfig.
type testCA struct{ *testcerts.CA }

func newTestCA(t *testing.T, name string) testCA { return testCA{testcerts.NewCA(t, name)} }

// issue signs a certificate for 127.0.0.1 and localhost; server picks the server or the
// client extended key usage.
func (ca testCA) issue(name string, server bool) iso.TLSConfig {
	usage := testcerts.Client
	if server {
		usage = testcerts.Server
	}
	f := ca.Issue(name, usage)
	return iso.TLSConfig{CertFile: f.Cert, KeyFile: f.Key}
}

// tlsClientConfig is a client config that trusts ca, presents client (when its files are
// set) and signs on, so that a refused handshake fails Dial itself.
func tlsClientConfig(ca testCA, client iso.TLSConfig) iso.ClientConfig {
	cfg := oneConn()
	cfg.SignOn = true
	cfg.TLS = iso.TLSConfig{CAFile: ca.File, CertFile: client.CertFile, KeyFile: client.KeyFile}
	return cfg
}

func TestTLSLinks(t *testing.T) {
	ca := newTestCA(t, "bandeira-test")
	other := newTestCA(t, "other")
	serverFiles := ca.issue("server", true)

	t.Run("carries requests over TLS, checking the server against the CA", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.TLS = serverFiles
		ts := startServer(t, cfg, &approver{})
		c := dialClient(t, ts.addr, tlsClientConfig(ca, iso.TLSConfig{}))
		res, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000001"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
	})

	t.Run("refuses a server whose certificate does not chain to the CA", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.TLS = serverFiles
		ts := startServer(t, cfg, &approver{})
		_, err := iso.Dial(context.Background(), ts.addr, tlsClientConfig(other, iso.TLSConfig{}), zeroLogFor(t))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
		require.ErrorContains(t, err, "certificate")
	})

	mutual := iso.DefaultServerConfig()
	mutual.TLS = serverFiles
	mutual.TLS.CAFile = ca.File
	mutual.RequireSignOn = true
	h := &approver{}
	ts := startServer(t, mutual, h)

	t.Run("mutual TLS accepts a client certificate from the CA", func(t *testing.T) {
		c := dialClient(t, ts.addr, tlsClientConfig(ca, ca.issue("acquirer", false)))
		res, err := c.Authorize(context.Background(), authorization(t, "TERM0001", "000002"))
		require.NoError(t, err)
		require.Equal(t, bandeira.Approved, res.Code)
	})

	refused := []struct {
		name   string
		client iso.TLSConfig
	}{
		{"mutual TLS refuses a client without a certificate", iso.TLSConfig{}},
		{"mutual TLS refuses a client certificate from another CA", other.issue("intruder", false)},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := ts.rejected(iso.ReasonTLSHandshake)
			calls := h.calls.Load()
			_, err := iso.Dial(context.Background(), ts.addr, tlsClientConfig(ca, tc.client), zeroLogFor(t))
			require.ErrorIs(t, err, iso.ErrConnectionClosed)
			require.Eventually(t, func() bool { return ts.rejected(iso.ReasonTLSHandshake) > before },
				ioWait, 5*time.Millisecond)
			require.Equal(t, calls, h.calls.Load())
		})
	}

	t.Run("a plaintext client of a TLS server fails cleanly", func(t *testing.T) {
		before := ts.rejected(iso.ReasonTLSHandshake)
		c := dialRaw(t, ts.addr)
		c.send(request("TERM0001", "000003"))
		c.expectClosed()
		require.Eventually(t, func() bool { return ts.rejected(iso.ReasonTLSHandshake) == before+1 },
			ioWait, 5*time.Millisecond)

		cfg := oneConn()
		cfg.SignOn = true
		_, err := iso.Dial(context.Background(), ts.addr, cfg, zeroLogFor(t))
		require.ErrorIs(t, err, iso.ErrConnectionClosed)
	})

	t.Run("closes a client that never starts the handshake", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.TLS = serverFiles
		cfg.FrameTimeout = 100 * time.Millisecond // the read idle timer stays at 75 s
		ts := startServer(t, cfg, &approver{})
		dialRaw(t, ts.addr).expectClosed()
		require.Equal(t, 1.0, ts.rejected(iso.ReasonTLSHandshake))
	})
}

func TestTLSConfig(t *testing.T) {
	ca := newTestCA(t, "bandeira-test")
	files := ca.issue("server", true)

	t.Run("the zero value is plain TCP", func(t *testing.T) {
		var zero iso.TLSConfig
		require.False(t, zero.Enabled())
		require.NoError(t, zero.Validate())
		sc, err := zero.ServerConfig()
		require.NoError(t, err)
		require.Nil(t, sc)
		cc, err := zero.ClientConfig()
		require.NoError(t, err)
		require.Nil(t, cc)
	})

	t.Run("a server certificate enables TLS 1.2 or later", func(t *testing.T) {
		require.True(t, files.Enabled())
		sc, err := files.ServerConfig()
		require.NoError(t, err)
		require.Equal(t, uint16(tls.VersionTLS12), sc.MinVersion)
		require.Equal(t, tls.NoClientCert, sc.ClientAuth)
		require.Len(t, sc.Certificates, 1)
	})

	t.Run("a CA on a server requires client certificates", func(t *testing.T) {
		mutual := files
		mutual.CAFile = ca.File
		sc, err := mutual.ServerConfig()
		require.NoError(t, err)
		require.Equal(t, tls.RequireAndVerifyClientCert, sc.ClientAuth)
		require.NotNil(t, sc.ClientCAs)
	})

	t.Run("a CA alone turns client TLS on and keeps the server name", func(t *testing.T) {
		cfg := iso.TLSConfig{CAFile: ca.File, ServerName: "visa.bandeira.test"}
		require.True(t, cfg.Enabled())
		cc, err := cfg.ClientConfig()
		require.NoError(t, err)
		require.Equal(t, uint16(tls.VersionTLS12), cc.MinVersion)
		require.Equal(t, "visa.bandeira.test", cc.ServerName)
		require.NotNil(t, cc.RootCAs)
		_, err = cfg.ServerConfig()
		require.ErrorContains(t, err, "a server needs cert_file and key_file")
	})

	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	require.NoError(t, os.WriteFile(garbage, []byte("not a certificate"), 0o600))
	bad := []struct {
		name string
		cfg  iso.TLSConfig
		want string
	}{
		{"a certificate without its key", iso.TLSConfig{CertFile: files.CertFile}, "cert_file and key_file must be set together"},
		{"a key without its certificate", iso.TLSConfig{KeyFile: files.KeyFile}, "cert_file and key_file must be set together"},
		{"a certificate file that does not exist", iso.TLSConfig{CertFile: "/nonexistent/cert.pem", KeyFile: files.KeyFile}, "loading cert_file"},
		{"a key that is not PEM", iso.TLSConfig{CertFile: files.CertFile, KeyFile: garbage}, "loading cert_file"},
		{"a CA file that does not exist", iso.TLSConfig{CAFile: "/nonexistent/ca.pem"}, "reading ca_file"},
		{"a CA file without a certificate", iso.TLSConfig{CAFile: garbage}, "no PEM certificate found"},
	}
	for _, tc := range bad {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			require.ErrorContains(t, tc.cfg.Validate(), tc.want)
			server := iso.DefaultServerConfig()
			server.TLS = tc.cfg
			require.Error(t, server.Validate(), "the server config refuses it too")
		})
	}

	t.Run("Serve returns at once when the certificate cannot be loaded", func(t *testing.T) {
		cfg := iso.DefaultServerConfig()
		cfg.TLS = iso.TLSConfig{CertFile: "/nonexistent/cert.pem", KeyFile: "/nonexistent/key.pem"}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		srv := iso.NewServer(cfg, &approver{}, zeroLogFor(t), nil)
		require.ErrorContains(t, srv.Serve(ln), "loading TLS configuration")
		require.NoError(t, srv.Shutdown(context.Background()))
	})
}
