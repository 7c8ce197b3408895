package fault

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseTarget(t *testing.T) {
	good := []struct {
		in, host, answerer string
		link               bool
	}{
		{"issuer:nubank", "issuer:nubank", "issuer:nubank", false},
		{"network:visa", "network:visa", "network:visa", false},
		{"network:mastercard->issuer:nubank", "network:mastercard", "issuer:nubank", true},
		{"gateway->network:visa", "gateway", "network:visa", true},
	}
	for _, c := range good {
		t.Run("accepts "+c.in, func(t *testing.T) {
			tg, err := ParseTarget(c.in)
			require.NoError(t, err)
			require.Equal(t, c.host, tg.Host())
			require.Equal(t, c.answerer, tg.Answerer())
			_, _, link := tg.Link()
			require.Equal(t, c.link, link)
		})
	}
	bad := []string{
		"", "gateway", "issuer:", "issuer:Nubank", "bank:nubank", "network:visa->", "->issuer:nubank",
		"issuer:nubank->gateway", "issuer:nubank->issuer:nubank", "network:visa->issuer:nubank->issuer:sicredi",
		"network:visa -> issuer:nubank",
	}
	for _, in := range bad {
		t.Run("refuses "+`"`+in+`"`, func(t *testing.T) {
			_, err := ParseTarget(in)
			require.ErrorContains(t, err, "want issuer:NAME, network:NAME or a link CALLER->CALLEE")
		})
	}
	t.Run("Link joins a caller and a callee", func(t *testing.T) {
		require.Equal(t, Target("network:visa->issuer:sicredi"), Link("network:visa", "issuer:sicredi"))
	})
}
