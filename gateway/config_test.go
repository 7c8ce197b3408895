package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestConfig(t *testing.T) {
	t.Run("the defaults are valid and nest above the network's 10 s timer", func(t *testing.T) {
		c := DefaultConfig()
		require.NoError(t, c.Validate())
		require.Greater(t, c.RequestTimeout, 10*time.Second)
		require.GreaterOrEqual(t, c.DuplicateWindow, 24*time.Hour)
	})
	bad := []struct {
		name, key string
		edit      func(c *Config)
	}{
		{"a zero request timeout", "request_timeout", func(c *Config) { c.RequestTimeout = 0 }},
		{"a negative request timeout", "request_timeout", func(c *Config) { c.RequestTimeout = -time.Second }},
		{"a window shorter than the request timeout", "duplicate_window", func(c *Config) { c.DuplicateWindow = time.Second }},
		{"a zero capacity", "duplicate_capacity", func(c *Config) { c.DuplicateCapacity = 0 }},
		{"a capacity over the limit", "duplicate_capacity", func(c *Config) { c.DuplicateCapacity = maxDuplicateCapacity + 1 }},
		{"an empty acquirer ID", "acquirer_id", func(c *Config) { c.AcquirerID = "" }},
		{"an acquirer ID with letters", "acquirer_id", func(c *Config) { c.AcquirerID = "CIELO" }},
		{"an acquirer ID of 12 digits", "acquirer_id", func(c *Config) { c.AcquirerID = "123456789012" }},
	}
	for _, b := range bad {
		t.Run(b.name+" is rejected naming "+b.key, func(t *testing.T) {
			c := DefaultConfig()
			b.edit(&c)
			err := c.Validate()
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), b.key+":"), err.Error())
		})
	}
	t.Run("YAML keys are snake case and durations read as text", func(t *testing.T) {
		src := "request_timeout: 12s\nduplicate_window: 48h\nduplicate_capacity: 5000\nacquirer_id: \"0042\"\n"
		c := DefaultConfig()
		dec := yaml.NewDecoder(strings.NewReader(src))
		dec.KnownFields(true)
		require.NoError(t, dec.Decode(&c))
		require.Equal(t, Config{RequestTimeout: 12 * time.Second, DuplicateWindow: 48 * time.Hour,
			DuplicateCapacity: 5000, AcquirerID: "0042"}, c)
		require.NoError(t, c.Validate())
	})
	t.Run("New fills zero settings with the defaults", func(t *testing.T) {
		require.Equal(t, DefaultConfig(), withDefaults(Config{}))
	})
}
