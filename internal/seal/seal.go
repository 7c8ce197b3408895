// Package seal encrypts what a party must keep at rest but may not keep in clear, such as
// a PAN inside a stored message: AES-256-GCM with a random nonce per value, under a key
// kept in a file of its own (mode 0600) beside the data. Anyone who can read the data
// directory can read the key too, so this keeps card numbers out of the databases, their
// write-ahead logs and backups of them, not away from the host's administrator.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// ErrOpen reports a sealed value that does not open: another key, or damaged data. The
// error never holds the value.
var ErrOpen = errors.New("seal: cannot open value")

// Sealer seals and opens values under one key. It is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// New returns a Sealer for key, which must be KeySize bytes.
func New(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key of %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// LoadOrCreate returns the Sealer of the key file at path, creating the file (mode 0600,
// its directory 0700) with a fresh random key when there is none. A file of the wrong
// size is an error: a new key would make every sealed value unreadable. Processes racing
// to create it end up with the same key.
func LoadOrCreate(path string) (*Sealer, error) {
	key, err := LoadOrCreateKey(path)
	if err != nil {
		return nil, err
	}
	return New(key)
}

// LoadOrCreateKey returns the KeySize bytes of the key file at path, creating it as
// LoadOrCreate does: for parties that need the key itself (an HMAC key shared by two
// parties, such as a token requestor's key). A file of another size is an error.
func LoadOrCreateKey(path string) ([]byte, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, err
		}
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: reading the key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key file %s has %d bytes, want %d", path, len(key), KeySize)
	}
	return key, nil
}

// Load returns the Sealer of the existing key file at path.
func Load(path string) (*Sealer, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: reading the key: %w", err)
	}
	return New(key)
}

// createKey writes a fresh key to a temporary file and links it into place, so the key
// file appears whole or not at all, and the first of several racing processes wins.
func createKey(path string) error {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("seal: making a key: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("seal: %w", err)
	}
	f, err := os.CreateTemp(dir, ".key-*")
	if err != nil {
		return fmt.Errorf("seal: writing the key: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(key)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	if err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("seal: writing the key: %w", err)
	}
	return nil
}

// Seal returns plain encrypted and authenticated: the nonce, then the ciphertext.
func (s *Sealer) Seal(plain []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("seal: the system's random source failed: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return s.aead.Seal(nonce, nonce, plain, nil)
}

// Open returns the value Seal sealed, or ErrOpen.
func (s *Sealer) Open(sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
