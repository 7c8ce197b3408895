package gateway

import (
	"errors"
	"fmt"
	"time"

	"github.com/bandeira/bandeira"
)

// Config holds the gateway's settings. Load it over DefaultConfig and call Validate.
type Config struct {
	// RequestTimeout bounds each call to a network: the acquirer's timer, which must stay
	// above the network's issuer timer (10 s) so the network answers first (timers nest:
	// docs/architecture.md, "Timers").
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// DuplicateWindow is how long a request key is remembered for duplicate detection.
	// STANs roll over daily, so keep it at 24 h or more.
	DuplicateWindow time.Duration `yaml:"duplicate_window"`
	// DuplicateCapacity bounds the number of remembered keys (about 112 bytes of heap for
	// each key of the capacity, taken as the window fills; BenchmarkWindowMemory). When
	// it is reached the oldest keys are forgotten before the window ends, half a shard at a
	// time, so the newest half of the capacity is always remembered.
	DuplicateCapacity int `yaml:"duplicate_capacity"`
	// AcquirerID is our institution ID (n..11). It fills field 32 of requests that lack
	// it, both in the duplicate key and in what is sent to the network.
	AcquirerID string `yaml:"acquirer_id"`
}

// Limits on the duplicate store, so a typo in a config cannot ask for unbounded memory.
const (
	maxDuplicateCapacity = 50_000_000
	maxAcquirerIDLen     = 11
)

// DefaultConfig returns the settings of `bandeira run`: a 15 s acquirer timer, a 24 h
// duplicate window holding at most one million keys, and the simulator's fictitious
// acquirer ID.
func DefaultConfig() Config {
	return Config{
		RequestTimeout:    15 * time.Second,
		DuplicateWindow:   24 * time.Hour,
		DuplicateCapacity: 1_000_000,
		AcquirerID:        "10000000001",
	}
}

// Validate reports the first setting that is out of range, naming its YAML key.
func (c Config) Validate() error {
	switch {
	case c.RequestTimeout <= 0:
		return errors.New("request_timeout: must be positive")
	case c.DuplicateWindow <= c.RequestTimeout:
		return fmt.Errorf("duplicate_window: must exceed request_timeout (%s)", c.RequestTimeout)
	case c.DuplicateCapacity <= 0 || c.DuplicateCapacity > maxDuplicateCapacity:
		return fmt.Errorf("duplicate_capacity: must be between 1 and %d", maxDuplicateCapacity)
	case len(c.AcquirerID) > maxAcquirerIDLen || !bandeira.IsDigits(c.AcquirerID):
		return fmt.Errorf("acquirer_id: must be 1 to %d digits", maxAcquirerIDLen)
	}
	return nil
}
