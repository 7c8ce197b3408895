package bandeira_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
)

func TestKeyNormal(t *testing.T) {
	cases := []struct {
		name string
		in   bandeira.Key
		want bandeira.Key
	}{
		{"drops the zero padding of the acquirer ID and the STAN",
			bandeira.Key{"00000012345", "T1", "000042", "0101120000"}, bandeira.Key{"12345", "T1", "42", "0101120000"}},
		{"keeps a key already in normal form",
			bandeira.Key{"12345", "T1", "42", "0101120000"}, bandeira.Key{"12345", "T1", "42", "0101120000"}},
		{"keeps one zero of an acquirer ID or STAN of zeros only",
			bandeira.Key{"00000000000", "T1", "000000", "x"}, bandeira.Key{"0", "T1", "0", "x"}},
		{"leaves empty fields empty",
			bandeira.Key{}, bandeira.Key{}},
		{"never touches the terminal or the transmission time",
			bandeira.Key{"1", "00T1", "1", "0001120000"}, bandeira.Key{"1", "00T1", "1", "0001120000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, c.in.Normal())
			require.Equal(t, c.want, c.want.Normal(), "normal form is idempotent")
		})
	}
}

func TestOriginalKey(t *testing.T) {
	base := bandeira.Authorization{AcquirerID: "12345", TerminalID: "WAPP0001", STAN: "000099", TransmissionTime: "1126121500"}
	with := func(mti bandeira.MTI, o *bandeira.OriginalData) bandeira.Authorization {
		a := base
		a.MTI, a.Original = mti, o
		return a
	}
	cases := []struct {
		name string
		a    bandeira.Authorization
		want bandeira.Key
	}{
		{"a reversal names its original by field 90, zero padding dropped",
			with(bandeira.MTIReversal, &bandeira.OriginalData{MTI: "0100", STAN: "000042", TransmissionTime: "1126120000", AcquirerID: "00000012345"}),
			bandeira.Key{"12345", "WAPP0001", "42", "1126120000"}},
		{"field 90's acquirer ID wins over the request's own field 32",
			with(bandeira.MTIReversalAdvice, &bandeira.OriginalData{STAN: "000042", TransmissionTime: "1126120000", AcquirerID: "00000000777"}),
			bandeira.Key{"777", "WAPP0001", "42", "1126120000"}},
		{"an acquirer ID of zeros in field 90 means the request's own field 32",
			with(bandeira.MTIReversalRepeat, &bandeira.OriginalData{STAN: "000042", TransmissionTime: "1126120000", AcquirerID: "00000000000"}),
			bandeira.Key{"12345", "WAPP0001", "42", "1126120000"}},
		{"an empty acquirer ID in field 90 means the request's own field 32",
			with(bandeira.MTIReversalAdviceRepeat, &bandeira.OriginalData{STAN: "42", TransmissionTime: "1126120000"}),
			bandeira.Key{"12345", "WAPP0001", "42", "1126120000"}},
		{"a completion advice names the hold it captures the same way",
			with(bandeira.MTIFinancialAdvice, &bandeira.OriginalData{MTI: "0100", STAN: "000007", TransmissionTime: "1125235959", AcquirerID: "00000012345"}),
			bandeira.Key{"12345", "WAPP0001", "7", "1125235959"}},
		{"without field 90 the original is the request's own key, in normal form",
			with(bandeira.MTIReversal, nil),
			bandeira.Key{"12345", "WAPP0001", "99", "1126121500"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, c.a.OriginalKey())
		})
	}
	t.Run("a reversal's original key equals its original's own key in normal form", func(t *testing.T) {
		orig := bandeira.Authorization{MTI: "0100", AcquirerID: "0012345", TerminalID: "T9", STAN: "000042", TransmissionTime: "1126120000"}
		rev := with(bandeira.MTIReversal, &bandeira.OriginalData{STAN: "000042", TransmissionTime: "1126120000", AcquirerID: "00000012345"})
		rev.TerminalID = "T9"
		require.Equal(t, orig.Key().Normal(), rev.OriginalKey())
		require.NotEqual(t, orig.Key(), rev.OriginalKey(), "the wire form keeps the padding")
	})
}
