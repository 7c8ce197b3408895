package network

import (
	"fmt"
	"time"
)

// MaxIssuerTimeout is the longest issuer timeout Validate accepts. Visa's longest network
// timer (ATM) is 25 s; anything beyond a minute is a configuration mistake.
const MaxIssuerTimeout = time.Minute

// Config configures a Router.
type Config struct {
	// IssuerTimeout bounds each call to an issuer (the network's issuer SLA timer, Visa's
	// "assured transaction response": 10 s for POS). It must be shorter than the acquirer's
	// and the gateway's request timeouts (15 s and 20 s by default, domain.md §6), so the
	// network answers 91 before the acquirer gives up and reverses. Keep it so when
	// changing either side.
	IssuerTimeout time.Duration `yaml:"issuer_timeout"`
	// Tokens are the brands' token services (token_config.go).
	Tokens TokenConfig `yaml:"tokens"`
}

// DefaultConfig returns the simulator defaults: a 10 s issuer timeout.
func DefaultConfig() Config {
	return Config{IssuerTimeout: 10 * time.Second, Tokens: DefaultTokenConfig()}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.IssuerTimeout <= 0 || c.IssuerTimeout > MaxIssuerTimeout {
		return fmt.Errorf("issuer_timeout %s: must be above 0 and at most %s", c.IssuerTimeout, MaxIssuerTimeout)
	}
	if err := c.Tokens.Validate(); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	return nil
}
