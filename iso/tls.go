package iso

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// TLSConfig says whether and how an ISO 8583 link (or an HTTP port) uses TLS. The zero
// value means plain TCP. The files are PEM and are read when ServerConfig or ClientConfig
// is called, so a restart picks up renewed certificates. TLS 1.2 is the minimum version.
type TLSConfig struct {
	// CertFile and KeyFile are our certificate chain and its private key. On a server they
	// enable TLS; on a client they are presented to a server that asks for them (mutual TLS).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// CAFile holds the certificates we trust. On a server it turns on mutual TLS: every
	// client must present a certificate that chains to one of them. On a client it is the
	// set the server's certificate must chain to (empty: the system's roots).
	CAFile string `yaml:"ca_file"`
	// ServerName is the name a client checks the server's certificate against. Empty means
	// the host of the dialed address. Servers ignore it.
	ServerName string `yaml:"server_name"`
}

// Enabled reports whether TLS is asked for: a certificate or a CA file is set. A server
// additionally needs CertFile and KeyFile (ServerConfig reports it).
func (t TLSConfig) Enabled() bool { return t.CertFile != "" || t.CAFile != "" }

// Validate reports a setting that cannot work: a certificate without its key or the other
// way round, a file that cannot be read, or PEM that does not parse. The zero value is
// valid. Errors name the YAML key and the file, never the file's content.
func (t TLSConfig) Validate() error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return errors.New("tls: cert_file and key_file must be set together")
	}
	if t.CertFile != "" {
		if _, err := t.keyPair(); err != nil {
			return err
		}
	}
	if t.CAFile != "" {
		if _, err := t.caPool(); err != nil {
			return err
		}
	}
	return nil
}

// ServerConfig returns the tls.Config of a server, or nil, nil when TLS is not enabled.
// It needs CertFile and KeyFile; with CAFile it requires and verifies client certificates.
func (t TLSConfig) ServerConfig() (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, errors.New("tls: a server needs cert_file and key_file")
	}
	cert, err := t.keyPair()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if t.CAFile != "" {
		pool, err := t.caPool()
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// ClientConfig returns the tls.Config of a client, or nil, nil when no TLS is asked for.
// The server is verified against CAFile (or the system's roots) under ServerName; when
// ServerName is empty the caller must set it (Client uses the host of the dialed
// address). CertFile and KeyFile, when set, are presented for mutual TLS.
func (t TLSConfig) ClientConfig() (*tls.Config, error) {
	if !t.Enabled() {
		return nil, nil
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("tls: cert_file and key_file must be set together")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CertFile != "" {
		cert, err := t.keyPair()
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if t.CAFile != "" {
		pool, err := t.caPool()
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// keyPair loads CertFile and KeyFile.
func (t TLSConfig) keyPair() (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: loading cert_file %s and key_file %s: %w", t.CertFile, t.KeyFile, err)
	}
	return cert, nil
}

// caPool loads CAFile; a file without a single PEM certificate is an error.
func (t TLSConfig) caPool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		return nil, fmt.Errorf("tls: reading ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls: parsing ca_file %s: no PEM certificate found", t.CAFile)
	}
	return pool, nil
}
