package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

const describeHelp = `
Usage: bandeira describe [--input auto|hex|raw|json] [--json] [FILE]

Decodes ISO 8583 messages of Bandeira's dialect (docs/spec.md) and prints every field with
its number, name, format and value, and what a response code means. Secrets are masked as
in the logs: the PAN shows its first 6 and last 4 digits; track 2, the PIN block, ICC data,
MACs and field 48's CVV2 are hidden.

It reads FILE, or stdin when FILE is - or absent, in any of these forms:

  hex    the packed message as hex text (iso/testdata/*.hex; whitespace is ignored)
  raw    the packed bytes as they travel, with or without the 2-byte length header;
         a capture of several framed messages is described message by message
  json   {"mti":"0100","fields":{"2":"...","3":"000000"}}: what 'bandeira send --json'
         prints and 'bandeira send --file' reads

--input auto (the default) takes the form that decodes: JSON when the input starts with
{, hex when it is all hex digits and decodes to a message, raw bytes otherwise.

--json prints one object per message: {"mti","type","fields":[{"number","name","format",
"value","meaning"}]} with the same masking. moov-io/iso8583's own tool reads the dialect
from iso/spec.json: iso8583 describe -spec-file iso/spec.json message.bin.

Exit status: 0 when every message was decoded, 1 when the input is not a message of the
dialect (the error names the field), 2 for bad usage.

Examples:
  bandeira describe iso/testdata/0100.hex
  bandeira send --pan 4000010100000000 --expiry 3205 --reveal --json | bandeira describe
  xxd -r -p iso/testdata/0110.hex | bandeira describe --input raw --json
`

// maxDescribeInput bounds what describe reads: far more than any capture of 8 KiB frames
// a person would paste, and small enough that a mistaken pipe cannot exhaust memory.
const maxDescribeInput = 16 << 20

// describedMessage is one message in `bandeira describe --json`.
type describedMessage struct {
	MTI    string               `json:"mti"`
	Type   string               `json:"type,omitempty"` // "authorization request"
	Fields []iso.DescribedField `json:"fields"`
}

func describeCommand(_ context.Context, args []string, s stdio) int {
	fs := newFlagSet("describe", describeHelp, s)
	fs.allowArgs(1)
	input := fs.String("input", "auto", "input `form`: auto, hex, raw or json")
	asJSON := fs.Bool("json", false, "print each message as a JSON object")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if !map[string]bool{"auto": true, "hex": true, "raw": true, "json": true}[*input] {
		fs.fail(fmt.Sprintf("invalid value %q for --input: want auto, hex, raw or json", *input))
		return exitUsage
	}
	data, err := readDescribeInput(fs.Arg(0), s.in)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira describe: %v\n", err)
		return exitFail
	}
	msgs, err := decodeMessages(data, *input)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira describe: %v\n", err)
		return exitFail
	}
	if err := printDescribed(s.out, msgs, *asJSON); err != nil {
		fmt.Fprintf(s.err, "bandeira describe: %v\n", err)
		return exitFail
	}
	return exitOK
}

// readDescribeInput reads path, or in when path is "" or "-", up to maxDescribeInput.
func readDescribeInput(path string, in io.Reader) ([]byte, error) {
	name := "stdin"
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading the message: %w", err)
		}
		defer f.Close()
		in, name = f, path
	}
	data, err := io.ReadAll(io.LimitReader(in, maxDescribeInput+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading %s: %w", name, err)
	case len(data) > maxDescribeInput:
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxDescribeInput>>20)
	case len(bytes.TrimSpace(data)) == 0:
		return nil, fmt.Errorf("%s is empty", name)
	}
	return data, nil
}

// decodeMessages decodes data in the given form. "auto" takes JSON when data starts with
// {, then hex when data is hex that unpacks, then raw bytes; when neither unpacks, the
// error is the one of the form data most looks like.
func decodeMessages(data []byte, form string) ([]iso.Message, error) {
	trimmed := bytes.TrimSpace(data)
	switch {
	case form == "json", form == "auto" && trimmed[0] == '{':
		return decodeJSONMessage(trimmed)
	case form == "raw":
		return unpackFrames(data)
	}
	raw, hexErr := hex.DecodeString(string(bytes.Join(bytes.Fields(trimmed), nil)))
	if hexErr != nil {
		if form == "hex" {
			return nil, errors.New("the input is not hex: want pairs of hex digits such as 30313030")
		}
		msgs, err := unpackFrames(data)
		if err != nil {
			return nil, fmt.Errorf("read as raw bytes (--input chooses the form): %w", err)
		}
		return msgs, nil
	}
	msgs, err := unpackFrames(raw)
	if err == nil || form == "hex" {
		return msgs, err
	}
	if rawMsgs, rawErr := unpackFrames(data); rawErr == nil {
		return rawMsgs, nil // digits and A-F only: a message that merely looks like hex
	}
	return nil, fmt.Errorf("read as hex (--input chooses the form): %w", err)
}

// decodeJSONMessage reads the {"mti","fields"} shape and checks that it packs.
func decodeJSONMessage(data []byte) ([]iso.Message, error) {
	var in sendJSON // 'bandeira send --json' output is read as is, its meaning ignored
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("decoding the JSON message: %w", err)
	}
	m := in.Message
	if _, err := iso.Pack(m); err != nil {
		return nil, fmt.Errorf("the JSON message is not one of the dialect: %w", err)
	}
	return []iso.Message{m}, nil
}

// unpackFrames unpacks raw bytes: a run of frames when the bytes split exactly into
// length-prefixed frames (2-byte big-endian header), one body without a header otherwise.
func unpackFrames(b []byte) ([]iso.Message, error) {
	if frames, ok := splitFrames(b); ok {
		msgs := make([]iso.Message, 0, len(frames))
		for i, f := range frames {
			m, err := iso.Unpack(f)
			if err != nil {
				return nil, fmt.Errorf("message %d of %d: %w", i+1, len(frames), err)
			}
			msgs = append(msgs, m)
		}
		return msgs, nil
	}
	m, err := iso.Unpack(b)
	if err != nil {
		return nil, err
	}
	return []iso.Message{m}, nil
}

// splitFrames splits b into the bodies of length-prefixed frames; ok is false unless b is
// exactly one or more whole, non-empty frames.
func splitFrames(b []byte) (frames [][]byte, ok bool) {
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, false
		}
		n := int(b[0])<<8 | int(b[1])
		if n == 0 || len(b)-2 < n {
			return nil, false
		}
		frames, b = append(frames, b[2:2+n]), b[2+n:]
	}
	return frames, len(frames) > 0
}

func printDescribed(w io.Writer, msgs []iso.Message, asJSON bool) error {
	for i, m := range msgs {
		if asJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if err := enc.Encode(describedMessage{MTI: m.MTI, Type: iso.MessageType(m.MTI), Fields: iso.DescribeFields(m)}); err != nil {
				return fmt.Errorf("writing JSON: %w", err)
			}
			continue
		}
		if len(msgs) > 1 {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "message %d of %d\n", i+1, len(msgs))
		}
		if err := iso.Describe(w, m); err != nil {
			return err
		}
	}
	return nil
}

// sendJSON is the output of `bandeira send --json`: the response message in the shape
// --file reads, plus what its response code means.
type sendJSON struct {
	iso.Message
	Meaning string `json:"meaning,omitempty"` // of field 39, e.g. "Insufficient funds"
}

// printResponse prints the response as a line with its code's meaning and the field
// table, or as JSON. Both mask the PAN and hide the other secrets unless reveal.
func printResponse(w io.Writer, resp iso.Message, asJSON, reveal bool) error {
	meaning := bandeira.ResponseCode(resp.Get(39)).Meaning()
	if asJSON {
		out := sendJSON{Message: resp, Meaning: meaning}
		if !reveal {
			out.Message = iso.MaskSecrets(resp)
		}
		return json.NewEncoder(w).Encode(out)
	}
	if code := resp.Get(39); code != "" {
		if meaning == "" {
			meaning = "not a code Bandeira defines"
		}
		fmt.Fprintf(w, "response code %s: %s\n\n", code, meaning)
	}
	if reveal && resp.Has(2) {
		fmt.Fprintf(w, "PAN (revealed): %s\n\n", resp.Get(2))
	}
	return iso.Describe(w, resp)
}
