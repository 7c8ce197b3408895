package iso

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestTokenTags(t *testing.T) {
	t.Run("a token request and a cryptogram travel and come back", func(t *testing.T) {
		a := bandeira.Authorization{MTI: "0100", ProcessingCode: "000000",
			TokenRequest: &bandeira.TokenRequest{RequestorID: "40000000011", Reference: "card_AB-1"},
			Cryptogram:   &bandeira.Cryptogram{Value: "0123456789ABCDEF", Counter: 42}}
		m := FromAuthorization(a)
		require.Equal(t, "TR02040000000011card_AB-1TC0160123456789ABCDEFTA00242", m.Get(48))
		back, err := ToAuthorization(m)
		require.NoError(t, err)
		require.Equal(t, a.TokenRequest, back.TokenRequest)
		require.Equal(t, a.Cryptogram, back.Cryptogram)
	})
	t.Run("an issued token travels in the response and comes back", func(t *testing.T) {
		req := Message{MTI: "0100", Fields: map[int]string{11: "000001"}}
		res := bandeira.Result{Code: "00", Token: &bandeira.Token{Number: "4895000012345674", Expiry: "3012"}}
		resp := Respond(req, res)
		require.Equal(t, "TK0164895000012345674TE0043012", resp.Get(48))
		back, err := ToResult(resp)
		require.NoError(t, err)
		require.Equal(t, res.Token, back.Token)
	})
	bad := []struct{ name, f48 string }{
		{"a requestor ID of 10 digits", "TR014400000000card"},
		{"a reference with a space", "TR01540000000011a b"},
		{"a reference of 33 characters", "TR044400000000110123456789012345678901234567890A"},
		{"a repeated TR", "TR01340000000011abTR01340000000011ab"},
		{"a cryptogram that is not hex", "TC016XYZ456789ABCDEF0TA0011"},
		{"a cryptogram without a counter", "TC0160123456789ABCDEF"},
		{"a counter without a cryptogram", "TA0011"},
		{"a counter above 32 bits", "TC0160123456789ABCDEFTA0109999999999"},
		{"a repeated counter", "TC0160123456789ABCDEFTA0011TA0012"},
	}
	for _, c := range bad {
		t.Run("rejects "+c.name, func(t *testing.T) {
			_, err := ToAuthorization(Message{MTI: "0100", Fields: map[int]string{48: c.f48}})
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, 48, fe.Field)
		})
	}
	badResults := []struct{ name, f48 string }{
		{"a token failing Luhn", "TK0164895000012345670TE0043012"},
		{"a token without its expiry", "TK0164895000012345674"},
		{"an expiry in month 13", "TK0164895000012345674TE0043013"},
	}
	for _, c := range badResults {
		t.Run("rejects a response with "+c.name, func(t *testing.T) {
			_, err := ToResult(Message{MTI: "0110", Fields: map[int]string{39: "00", 48: c.f48}})
			var fe *FieldError
			require.ErrorAs(t, err, &fe)
			require.Equal(t, 48, fe.Field)
		})
	}
	t.Run("describes the token masked and the cryptogram hidden", func(t *testing.T) {
		got := describeTLV("TK0164895000012345674TE0043012TC0160123456789ABCDEFTA00242")
		require.Equal(t, "TK=489500******5674 TE=3012 TC=[hidden] TA=42", got)
	})
}
