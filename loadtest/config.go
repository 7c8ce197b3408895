package loadtest

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config is a load test: target, model, mix and limits. Exactly one model is chosen: the
// open model when Rate or Stages is set, the closed model when Concurrency is.
type Config struct {
	// Target is the host:port of a server speaking Bandeira's ISO 8583 dialect.
	Target string `yaml:"target"`
	// AllowRemote permits a target that is not a loopback address.
	AllowRemote bool `yaml:"allow_remote"`
	// Connections is the number of TCP connections; requests are spread evenly over them.
	Connections int `yaml:"connections"`
	// Rate is the open model's constant arrival rate, requests per second, for Duration.
	Rate float64 `yaml:"rate"`
	// Stages is the open model's ramps and steps; it replaces Rate and Duration.
	Stages []Stage `yaml:"stages"`
	// Concurrency is the closed model's number of requests in flight.
	Concurrency int `yaml:"concurrency"`
	// Think is the closed model's pause between an answer and the next request.
	Think time.Duration `yaml:"think"`
	// Duration bounds the run (with Rate, or the closed model); 0 means no time limit,
	// allowed only with Requests.
	Duration time.Duration `yaml:"duration"`
	// Requests bounds the number of requests scheduled; 0 means no count limit.
	Requests int64 `yaml:"requests"`
	// Timeout is how long a request waits for its answer after being sent.
	Timeout time.Duration `yaml:"timeout"`
	// ConnectTimeout bounds each TCP connect.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// MaxInFlight caps requests in flight per connection; an open-model request due when
	// its connection is full is dropped.
	MaxInFlight int `yaml:"max_in_flight"`
	// MaxFrameSize is the largest reply body accepted, in bytes.
	MaxFrameSize int `yaml:"max_frame_size"`
	// Mix weighs the request kinds: "purchase=70,refund=5,reversal=5,balance=10,decline=10".
	Mix string `yaml:"mix"`
	// Seed drives card, kind and amount choices; the same seed gives the same traffic.
	Seed uint64 `yaml:"seed"`
	// Merchant is the card acceptor and acquirer the requests carry.
	Merchant Merchant `yaml:"merchant"`
}

// DefaultConfig returns a 10-second, 1000-per-second open-model run against a local
// `bandeira run`, over 4 connections, with the default mix.
func DefaultConfig() Config {
	return Config{
		Target:         "127.0.0.1:8583",
		Connections:    4,
		Rate:           1000,
		Duration:       10 * time.Second,
		Timeout:        5 * time.Second,
		ConnectTimeout: 5 * time.Second,
		MaxInFlight:    256,
		MaxFrameSize:   8192,
		Mix:            DefaultMix.String(),
		Seed:           1,
		Merchant: Merchant{AcquirerID: "10000000001", MerchantID: "WACATALOGO00001", MCC: "5441",
			NameLocation: "Doces da Ana             Sao Paulo    BR"},
	}
}

// maxRate is the highest open-model rate: at most 999,999 STANs a second are unique, and
// each connection's slice of them comes back only after a whole cycle.
const maxRate = maxSTAN

// Open reports whether the config runs the open model.
func (c Config) Open() bool { return c.Rate > 0 || len(c.Stages) > 0 }

// Validate reports the first setting that is out of range or contradictory.
func (c Config) Validate() error {
	if err := checkTarget(c.Target, c.AllowRemote); err != nil {
		return err
	}
	if _, err := ParseMix(c.Mix); err != nil {
		return err
	}
	switch {
	case c.Open() && c.Concurrency > 0:
		return errors.New("rate or stages (open model) and concurrency (closed model) exclude each other")
	case !c.Open() && c.Concurrency <= 0:
		return errors.New("set a rate or stages (open model) or a concurrency (closed model)")
	case c.Rate < 0 || c.Rate > maxRate:
		return fmt.Errorf("rate %g: must be between 0 and %d per second", c.Rate, maxRate)
	case c.Rate > 0 && len(c.Stages) > 0:
		return errors.New("rate and stages exclude each other: a stage list sets the rate")
	case len(c.Stages) > 0 && c.Duration > 0:
		return errors.New("duration and stages exclude each other: the stages set the duration")
	case c.Concurrency < 0 || c.Concurrency > 100_000:
		return fmt.Errorf("concurrency %d: must be between 1 and 100000", c.Concurrency)
	case c.Think < 0:
		return fmt.Errorf("think %s: must not be negative", c.Think)
	case c.Duration < 0 || c.Requests < 0:
		return errors.New("duration and requests must not be negative")
	case len(c.Stages) == 0 && c.Duration == 0 && c.Requests == 0:
		return errors.New("set a duration or a number of requests: every run is bounded")
	case c.Connections < 1 || c.Connections > 1000:
		return fmt.Errorf("connections %d: must be between 1 and 1000", c.Connections)
	case c.Timeout <= 0 || c.ConnectTimeout <= 0:
		return errors.New("timeout and connect_timeout must be positive")
	case c.MaxInFlight < 1 || c.MaxInFlight > 65_536:
		return fmt.Errorf("max_in_flight %d: must be between 1 and 65536", c.MaxInFlight)
	case c.MaxFrameSize < 64 || c.MaxFrameSize > 65_535:
		return fmt.Errorf("max_frame_size %d: must be between 64 and 65535", c.MaxFrameSize)
	}
	return c.validateStages()
}

func (c Config) validateStages() error {
	var total time.Duration
	for i, s := range c.Stages {
		if s.Duration < 0 || s.Rate < 0 || s.Rate > maxRate {
			return fmt.Errorf("stage %d: duration must not be negative and rate must be 0 to %d", i+1, maxRate)
		}
		total += s.Duration
	}
	if len(c.Stages) > 0 && total <= 0 {
		return errors.New("stages: the total duration must be positive")
	}
	return nil
}

// ErrRemoteTarget means the target is not a loopback address and AllowRemote is off.
var ErrRemoteTarget = errors.New("loadtest: refusing a non-loopback target without --allow-remote")

// checkTarget accepts host:port where host is localhost or a loopback IP, or any host
// when allowRemote is set.
func checkTarget(target string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(target)
	if err != nil || port == "" {
		return fmt.Errorf("target %q: want HOST:PORT", target)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("target %q: %w", target, ErrRemoteTarget)
}

// schedule returns the open model's stages: Stages, or Rate held for Duration (or for as
// long as Requests take when Duration is 0).
func (c Config) schedule() []Stage {
	if len(c.Stages) > 0 {
		return c.Stages
	}
	d := c.Duration
	if d == 0 {
		d = time.Duration(float64(c.Requests)/c.Rate*float64(time.Second)) + time.Second
	}
	return []Stage{{0, c.Rate}, {d, c.Rate}}
}
