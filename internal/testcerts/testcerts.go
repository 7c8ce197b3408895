// Package testcerts makes certificate authorities and certificates for tests: ECDSA P-256
// keys, certificates for 127.0.0.1 and localhost valid for an hour around now, written as
// PEM files in the test's temporary directory. Nothing here is for production use.
package testcerts

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test.
type CA struct {
	tb   testing.TB
	dir  string
	name string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// File is the PEM file of the CA's certificate, for ca_file settings.
	File string
}

// Files are a certificate and its key, as PEM files.
type Files struct {
	Cert, Key string
}

// NewCA creates a self-signed CA; it fails the test on any error.
func NewCA(tb testing.TB, name string) *CA {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(tb, err)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(tb),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	check(tb, err)
	cert, err := x509.ParseCertificate(der)
	check(tb, err)
	ca := &CA{tb: tb, dir: tb.TempDir(), name: name, cert: cert, key: key}
	ca.File = ca.write(name+"-ca.pem", "CERTIFICATE", der)
	return ca
}

// Issue signs a certificate for 127.0.0.1 and localhost with the given extended key
// usages (server, client or both) and returns its files.
func (ca *CA) Issue(name string, usages ...x509.ExtKeyUsage) Files {
	ca.tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(ca.tb, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial(ca.tb),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  usages,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	check(ca.tb, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	check(ca.tb, err)
	return Files{
		Cert: ca.write(ca.name+"-"+name+".pem", "CERTIFICATE", der),
		Key:  ca.write(ca.name+"-"+name+"-key.pem", "PRIVATE KEY", pkcs8),
	}
}

// Server and Client are the usual usages.
var (
	Server = x509.ExtKeyUsageServerAuth
	Client = x509.ExtKeyUsageClientAuth
)

func (ca *CA) write(name, kind string, der []byte) string {
	path := filepath.Join(ca.dir, name)
	check(ca.tb, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
	return path
}

func serial(tb testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	check(tb, err)
	return n
}

func check(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("making test certificates: %v", err)
	}
}
