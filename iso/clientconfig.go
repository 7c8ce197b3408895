package iso

import (
	"fmt"
	"time"
)

// MaxPoolSize is the largest ClientConfig.PoolSize accepted.
const MaxPoolSize = 64

// ClientConfig holds the timers and limits of a Client, that is of one link. Zero fields
// take their default (DefaultClientConfig); Validate accepts them as such.
type ClientConfig struct {
	// ConnectTimeout bounds one connection attempt: TCP connect and TLS handshake. Dial
	// also waits at most this long for the first connection.
	ConnectTimeout time.Duration `yaml:"connect_timeout"`
	// SendTimeout bounds one round trip (requests, sign-on, echo, sign-off) unless the
	// caller's context ends sooner, and one frame write. Close waits at most this long for
	// the requests in flight.
	SendTimeout time.Duration `yaml:"send_timeout"`
	// MaxFrameSize is the largest reply body accepted, in bytes; a larger length header
	// closes the connection.
	MaxFrameSize int `yaml:"max_frame_size"`
	// PoolSize is the number of connections the link keeps open; requests are spread over
	// the live ones.
	PoolSize int `yaml:"pool_size"`
	// ReconnectMin and ReconnectMax bound the wait before a connection is attempted again:
	// it starts at ReconnectMin, doubles after each failure (or connection lost sooner than
	// ReconnectMax after it was made) up to ReconnectMax, and is jittered (each wait is
	// between half and all of the current step).
	ReconnectMin time.Duration `yaml:"reconnect_min"`
	ReconnectMax time.Duration `yaml:"reconnect_max"`
	// EchoInterval is how long a connection may go without sending before it sends an
	// echo (0800/301). It should be well below the peer's read idle timeout.
	EchoInterval time.Duration `yaml:"echo_interval"`
	// SignOn makes each new connection sign on (0800/001) before it carries traffic and
	// sign off (0800/002) on Close. Links between nodes set it.
	SignOn bool `yaml:"sign_on"`
	// TLS turns on TLS when CertFile or CAFile is set (mutual TLS with CertFile).
	TLS TLSConfig `yaml:"tls"`
}

// DefaultClientConfig returns the production defaults: no sign-on and no TLS.
func DefaultClientConfig() ClientConfig {
	return ClientConfig{
		ConnectTimeout: 5 * time.Second,
		SendTimeout:    10 * time.Second,
		MaxFrameSize:   DefaultMaxFrameSize,
		PoolSize:       2,
		ReconnectMin:   100 * time.Millisecond,
		ReconnectMax:   5 * time.Second,
		EchoInterval:   30 * time.Second,
	}
}

// Validate reports the first setting that is out of range; zero fields stand for their
// default. It also checks that the TLS files can be loaded.
func (c ClientConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case c.ConnectTimeout < 0:
		return fmt.Errorf("connect_timeout %s: must be positive", c.ConnectTimeout)
	case c.SendTimeout < 0:
		return fmt.Errorf("send_timeout %s: must be positive", c.SendTimeout)
	case c.MaxFrameSize != 0 && (c.MaxFrameSize < 64 || c.MaxFrameSize > MaxFrameLimit):
		return fmt.Errorf("max_frame_size %d: must be between 64 and %d", c.MaxFrameSize, MaxFrameLimit)
	case c.PoolSize < 0 || c.PoolSize > MaxPoolSize:
		return fmt.Errorf("pool_size %d: must be between 1 and %d", c.PoolSize, MaxPoolSize)
	case c.ReconnectMin < 0:
		return fmt.Errorf("reconnect_min %s: must be positive", c.ReconnectMin)
	case c.ReconnectMax < 0:
		return fmt.Errorf("reconnect_max %s: must be positive", c.ReconnectMax)
	case d.ReconnectMin > d.ReconnectMax:
		return fmt.Errorf("reconnect_min %s: must not exceed reconnect_max %s", d.ReconnectMin, d.ReconnectMax)
	case c.EchoInterval < 0:
		return fmt.Errorf("echo_interval %s: must be positive", c.EchoInterval)
	}
	return c.TLS.Validate()
}

// withDefaults replaces zero fields by their defaults.
func (c ClientConfig) withDefaults() ClientConfig {
	d := DefaultClientConfig()
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&c.ConnectTimeout, d.ConnectTimeout)
	pick(&c.SendTimeout, d.SendTimeout)
	pick(&c.ReconnectMin, d.ReconnectMin)
	pick(&c.ReconnectMax, d.ReconnectMax)
	pick(&c.EchoInterval, d.EchoInterval)
	if c.MaxFrameSize <= 0 || c.MaxFrameSize > MaxFrameLimit {
		c.MaxFrameSize = d.MaxFrameSize
	}
	if c.PoolSize <= 0 {
		c.PoolSize = d.PoolSize
	}
	return c
}
