package configs

import (
	"errors"
	"fmt"
	"time"
)

// SAF configures the store-and-forward queues every party that owes a message keeps: the
// networks' stand-in advices and reversals to the issuers (and, as they come, the
// acquirer's reversals to the networks). An item is sent at once, then again after a wait
// that starts at RetryMin and doubles up to RetryMax (each wait jittered between half and
// all of its step), until its receiver answers or it is older than MaxAge.
type SAF struct {
	RetryMin time.Duration `yaml:"retry_min"`
	RetryMax time.Duration `yaml:"retry_max"`
	MaxAge   time.Duration `yaml:"max_age"`
}

// DefaultSAF returns the defaults: retries from 1 s doubling to 60 s, items kept 24 h.
func DefaultSAF() SAF {
	return SAF{RetryMin: time.Second, RetryMax: time.Minute, MaxAge: 24 * time.Hour}
}

func (s SAF) validate() error {
	var errs []error
	if s.RetryMin <= 0 {
		errs = append(errs, fmt.Errorf("retry_min %s: must be above 0", s.RetryMin))
	}
	if s.RetryMax < s.RetryMin {
		errs = append(errs, fmt.Errorf("retry_max %s: must be at least retry_min (%s)", s.RetryMax, s.RetryMin))
	}
	if s.MaxAge <= s.RetryMax {
		errs = append(errs, fmt.Errorf("max_age %s: must exceed retry_max (%s)", s.MaxAge, s.RetryMax))
	}
	return errors.Join(errs...)
}
