package books

import (
	"errors"
	"fmt"
	"time"

	"github.com/bandeira/bandeira/internal/store"
	"github.com/bandeira/bandeira/issuers/ledger"
)

// ErrInvalidConfig reports a Config that Validate rejects.
var ErrInvalidConfig = errors.New("books: invalid config")

// The synchronous settings Config.Synchronous accepts (SQLite's PRAGMA synchronous).
const (
	// SyncFull fsyncs the write-ahead log on every commit: a commit that returned survives
	// power loss. It is the default and the only setting for an issuer that acknowledges
	// approvals.
	SyncFull = store.SyncFull
	// SyncNormal fsyncs only at checkpoints: commits survive kill -9 but not power loss.
	SyncNormal = store.SyncNormal
	// SyncOff never fsyncs. For benchmarks that measure what durability costs.
	SyncOff = store.SyncOff
)

// Config configures the durable books of one issuer.
type Config struct {
	// Synchronous is SQLite's synchronous setting: full (default), normal or off.
	Synchronous string `yaml:"synchronous"`
	// HoldExpiry is how long an authorization hold stays open, in ledger time, before it
	// expires and releases its money (ledger.DefaultHoldExpiry: 7 days).
	HoldExpiry time.Duration `yaml:"hold_expiry"`
}

// DefaultConfig returns synchronous=full and 7-day hold expiry.
func DefaultConfig() Config {
	return Config{Synchronous: SyncFull, HoldExpiry: ledger.DefaultHoldExpiry}
}

// Validate reports the first problem with c, wrapping ErrInvalidConfig and naming the
// YAML key.
func (c Config) Validate() error {
	switch {
	case c.Synchronous != SyncFull && c.Synchronous != SyncNormal && c.Synchronous != SyncOff:
		return fmt.Errorf("synchronous %q is not full, normal or off: %w", c.Synchronous, ErrInvalidConfig)
	case c.HoldExpiry < time.Minute:
		return fmt.Errorf("hold_expiry %s below 1m: %w", c.HoldExpiry, ErrInvalidConfig)
	}
	return nil
}
