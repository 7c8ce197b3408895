package network

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestConfig(t *testing.T) {
	t.Run("defaults to a valid 10 s issuer timeout", func(t *testing.T) {
		cfg := DefaultConfig()
		require.NoError(t, cfg.Validate())
		require.Equal(t, 10*time.Second, cfg.IssuerTimeout)
	})
	t.Run("reads the timeout from YAML as a duration", func(t *testing.T) {
		cfg := DefaultConfig()
		require.NoError(t, yaml.Unmarshal([]byte(`issuer_timeout: 5s`), &cfg))
		require.Equal(t, 5*time.Second, cfg.IssuerTimeout)
	})
	tests := []struct {
		name    string
		timeout time.Duration
		ok      bool
	}{
		{"rejects a zero timeout", 0, false},
		{"rejects a negative timeout", -time.Second, false},
		{"accepts a one-minute timeout", time.Minute, true},
		{"rejects a timeout above a minute", time.Minute + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Config{IssuerTimeout: tt.timeout}.Validate()
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, "issuer_timeout")
		})
	}
}
