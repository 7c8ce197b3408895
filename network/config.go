package network

import (
	"errors"
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
	// and the gateway's request timeouts (15 s and 20 s by default; docs/architecture.md,
	// "Timers"), so the network answers (in stand-in, or 91) before the acquirer gives up
	// and reverses. Keep it so when changing either side.
	IssuerTimeout time.Duration `yaml:"issuer_timeout"`
	// MaxInFlightPerIssuer caps the requests the network has in flight to one issuer;
	// beyond it that issuer's cards are answered at once as if it were unreachable, so a
	// stuck issuer cannot hold up the others (a bulkhead). 0 means the default, 128.
	MaxInFlightPerIssuer int `yaml:"max_in_flight_per_issuer"`
	// StandIn is what the network decides on an issuer's behalf when the issuer times
	// out, cannot be reached or has signed off (stand-in processing, STIP).
	StandIn StandInConfig `yaml:"stand_in"`
	// Tokens are the brands' token services (token_config.go).
	Tokens TokenConfig `yaml:"tokens"`
}

// DefaultConfig returns the simulator defaults: a 10 s issuer timeout, at most 128
// requests in flight per issuer, and DefaultStandIn.
func DefaultConfig() Config {
	return Config{IssuerTimeout: 10 * time.Second, MaxInFlightPerIssuer: 128, StandIn: DefaultStandIn(), Tokens: DefaultTokenConfig()}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.IssuerTimeout <= 0 || c.IssuerTimeout > MaxIssuerTimeout {
		errs = append(errs, fmt.Errorf("issuer_timeout %s: must be above 0 and at most %s", c.IssuerTimeout, MaxIssuerTimeout))
	}
	if c.MaxInFlightPerIssuer < 0 || c.MaxInFlightPerIssuer > 1_000_000 {
		errs = append(errs, fmt.Errorf("max_in_flight_per_issuer %d: must be between 1 and 1000000 (0: the default)", c.MaxInFlightPerIssuer))
	}
	if err := c.Tokens.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("tokens: %w", err))
	}
	return errors.Join(append(errs, c.StandIn.Validate())...)
}
