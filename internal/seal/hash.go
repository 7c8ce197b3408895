package seal

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"sync"
)

// HashSize is the length of a keyed hash: HMAC-SHA-256.
const HashSize = sha256.Size

// Hasher computes keyed hashes (HMAC-SHA-256) of values a party must be able to match but
// may not keep in clear, such as a PAN behind a per-card total: equal values hash equal
// under one key, and without the key the hash reveals nothing of a value as short as a
// PAN. It is safe for concurrent use.
type Hasher struct {
	pool sync.Pool // of hash.Hash keyed with the Hasher's key
}

// NewHasher returns a Hasher for key, which must be KeySize bytes.
func NewHasher(key []byte) (*Hasher, error) {
	if _, err := New(key); err != nil { // the same key rules as a Sealer's
		return nil, err
	}
	k := append([]byte(nil), key...)
	return &Hasher{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, k) }}}, nil
}

// LoadOrCreateHasher returns the Hasher of the key file at path, creating the file (mode
// 0600, its directory 0700) with a fresh random key when there is none, exactly as
// LoadOrCreate does for a Sealer. Use a key file of its own, not a Sealer's.
func LoadOrCreateHasher(path string) (*Hasher, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createKey(path); err != nil {
			return nil, err
		}
	}
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal: reading the key: %w", err)
	}
	return NewHasher(key)
}

// Sum returns the keyed hash of v.
func (h *Hasher) Sum(v []byte) [HashSize]byte {
	m := h.pool.Get().(hash.Hash)
	m.Reset()
	m.Write(v)
	var out [HashSize]byte
	m.Sum(out[:0])
	h.pool.Put(m)
	return out
}
