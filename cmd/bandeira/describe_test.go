package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira/iso"
)

// runIn runs the command line with stdin and returns its exit code, stdout and stderr.
func runIn(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, bytes.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// golden returns the packed body of iso/testdata/<name>.hex.
func golden(t *testing.T, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "..", "iso", "testdata", name+".hex"))
	require.NoError(t, err)
	b, err := hex.DecodeString(strings.TrimSpace(string(text)))
	require.NoError(t, err)
	return b
}

func framed(bodies ...[]byte) []byte {
	var out []byte
	for _, b := range bodies {
		out = append(out, byte(len(b)>>8), byte(len(b)))
		out = append(out, b...)
	}
	return out
}

func TestDescribeCommand(t *testing.T) {
	req, resp := golden(t, "0200"), golden(t, "0110")
	reqMsg, err := iso.Unpack(req)
	require.NoError(t, err)

	t.Run("reads every form of the same message to the same fields", func(t *testing.T) {
		jsonMsg, err := json.Marshal(reqMsg)
		require.NoError(t, err)
		spaced := strings.Join(strings.SplitAfter(hex.EncodeToString(req), "0000"), " \n")
		var first string
		for name, in := range map[string][]byte{
			"hex": []byte(hex.EncodeToString(req) + "\n"), "hex with spaces and newlines": []byte(spaced),
			"raw bytes": req, "raw bytes with the length header": framed(req), "JSON": jsonMsg,
		} {
			code, out, errOut := runIn(t, in, "describe")
			require.Equal(t, exitOK, code, "%s: %s", name, errOut)
			if first == "" {
				first = out
			}
			require.Equal(t, first, out, name)
		}
		require.Contains(t, first, "0200 (financial request)")
		require.Contains(t, first, "F2 Primary account number (n..19 LL)")
		require.Contains(t, first, "400001******0025")
		for _, secret := range []string{"4000010200000025", reqMsg.Get(35), reqMsg.Get(52), reqMsg.Get(55)} {
			require.NotContains(t, first, secret)
		}
	})
	t.Run("reads raw text that happens to be all hex digits as the message it is", func(t *testing.T) {
		echo, err := iso.Pack(iso.Message{MTI: "0800", Fields: map[int]string{7: "1126140000", 11: "000007", 32: "12345", 70: "301"}})
		require.NoError(t, err)
		_, err = hex.DecodeString(string(echo))
		require.NoError(t, err, "the raw 0800 (MTI, bitmaps, digits) is valid hex too")
		code, out, errOut := runIn(t, echo, "describe")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "0800 (network management request)")
		require.Contains(t, out, ": 301")
	})
	t.Run("reads a file named on the command line", func(t *testing.T) {
		code, out, errOut := run(t, "describe", "../../iso/testdata/0110.hex")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "F39 Response code (an2)")
		require.Contains(t, out, ": 00 (Approved)")
	})
	t.Run("describes a capture of several framed messages one by one", func(t *testing.T) {
		code, out, errOut := runIn(t, framed(req, resp), "describe", "--input", "raw")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "message 1 of 2")
		require.Contains(t, out, "message 2 of 2")
		require.Contains(t, out, "0110 (authorization response)")
	})
	t.Run("--json prints the fields with names, formats, masked values and meanings", func(t *testing.T) {
		code, out, errOut := runIn(t, resp, "describe", "--json")
		require.Equal(t, exitOK, code, errOut)
		var got describedMessage
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		require.Equal(t, "0110", got.MTI)
		require.Equal(t, "authorization response", got.Type)
		require.Equal(t, iso.DescribedField{Number: 2, Name: "Primary account number", Format: "n..19 LL",
			Value: "400001******0018"}, got.Fields[0])
		require.Contains(t, got.Fields, iso.DescribedField{Number: 39, Name: "Response code", Format: "an2",
			Value: "00", Meaning: "Approved"})
	})
	t.Run("reads what send --reveal --json prints", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, printResponse(&buf, reqMsg, true, true))
		code, out, errOut := runIn(t, buf.Bytes(), "describe")
		require.Equal(t, exitOK, code, errOut)
		require.Contains(t, out, "400001******0025")
	})
	t.Run("input that is not a message exits 1 naming the field, on one line", func(t *testing.T) {
		broken := append([]byte(nil), req[:len(req)-3]...)
		for name, c := range map[string]struct {
			in   []byte
			args []string
			want string
		}{
			"a truncated message":   {broken, nil, "iso: unpacking field 55"},
			"a truncated hex dump":  {[]byte(hex.EncodeToString(broken)), nil, "read as hex (--input chooses the form): iso: unpacking field 55"},
			"text":                  {[]byte("hello"), nil, "read as raw bytes"},
			"JSON of another shape": {[]byte(`{"mti":"0100","feilds":{}}`), nil, `unknown field "feilds"`},
			"JSON that does not pack": {[]byte(`{"mti":"0100","fields":{"4":"12345678901234"}}`), nil,
				"the JSON message is not one of the dialect: iso: field 4"},
			"--input hex of non-hex": {[]byte("zz"), []string{"--input", "hex"}, "the input is not hex"},
			"nothing":                {[]byte(" \n"), nil, "stdin is empty"},
		} {
			code, out, errOut := runIn(t, c.in, append([]string{"describe"}, c.args...)...)
			require.Equal(t, exitFail, code, name)
			require.Empty(t, out, name)
			require.Contains(t, errOut, c.want, name)
			require.Equal(t, 1, strings.Count(errOut, "\n"), name)
		}
	})
	t.Run("a missing file exits 1 and a bad --input exits 2", func(t *testing.T) {
		code, _, errOut := run(t, "describe", filepath.Join(t.TempDir(), "nope.hex"))
		require.Equal(t, exitFail, code)
		require.Contains(t, errOut, "nope.hex")
		code, _, errOut = run(t, "describe", "--input", "xml")
		require.Equal(t, exitUsage, code)
		require.Contains(t, errOut, `invalid value "xml" for --input`)
	})
}
