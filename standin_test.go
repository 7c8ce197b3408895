package bandeira_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestStandInReason(t *testing.T) {
	tests := []struct {
		reason bandeira.StandInReason
		name   string
		valid  bool
	}{
		{bandeira.StandInTimeout, "timeout", true},
		{bandeira.StandInUnreachable, "unreachable", true},
		{bandeira.StandInSignedOff, "signed_off", true},
		{0, "", false},
		{'5', `unknown('5')`, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("names reason %q %q", byte(tt.reason), tt.name), func(t *testing.T) {
			require.Equal(t, tt.name, tt.reason.String())
			require.Equal(t, tt.valid, tt.reason.Valid())
		})
	}
	t.Run("the wire digits are those of docs/spec.md", func(t *testing.T) {
		require.Equal(t, []byte("123"), []byte{byte(bandeira.StandInTimeout), byte(bandeira.StandInUnreachable),
			byte(bandeira.StandInSignedOff)})
	})
	t.Run("a sign-off is an unavailable issuer to every edge", func(t *testing.T) {
		require.True(t, errors.Is(bandeira.ErrSignedOff, bandeira.ErrIssuerUnavailable))
		require.Equal(t, bandeira.IssuerUnavailable, bandeira.CodeForError(bandeira.ErrSignedOff))
	})
}
