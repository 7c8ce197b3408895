package iso

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"

	"github.com/bandeira/bandeira"
)

// DescribedField is one field of a message as Describe shows it, with its secrets masked.
type DescribedField struct {
	Number int    `json:"number"`
	Name   string `json:"name"`   // "Primary account number"; "Not in the Bandeira dialect" for others
	Format string `json:"format"` // docs/spec.md's notation: n6, n..19 LL, ans..999 LLL, b8 (bytes)
	// Value is the field as it arrived, masked: the PAN as first 6 and last 4 digits,
	// secrets and fields outside the dialect as "[hidden]", field 48 element by element.
	Value string `json:"value"`
	// Meaning is what a response code (field 39) means, from bandeira.ResponseCode.Meaning.
	Meaning string `json:"meaning,omitempty"`
}

// DescribeFields returns m's fields in ascending order with their names, formats and
// masked values: the same view as Describe, for tools that print JSON. It never returns a
// secret in clear (see Describe).
func DescribeFields(m Message) []DescribedField {
	nums := make([]int, 0, len(m.Fields))
	for n := range m.Fields {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	out := make([]DescribedField, 0, len(nums))
	for _, n := range nums {
		f := DescribedField{Number: n, Name: "Not in the Bandeira dialect", Value: describeValue(n, m.Fields[n])}
		if d := lookup(n); d != nil {
			f.Name, f.Format = d.name, d.format()
		}
		if n == 39 {
			f.Meaning = bandeira.ResponseCode(m.Fields[n]).Meaning()
		}
		out = append(out, f)
	}
	return out
}

// Describe writes a human-readable dump of m to w: the MTI with its message type, then one
// field a line in field order with its name, format and value, secrets masked: the PAN
// (field 2) as first 6 and last 4 digits; track 2 (35), PIN data (52), ICC data (55), the
// MACs (64, 128) and any field outside the dialect hidden; field 48 shown element by
// element with the CVV2 (tag CV) hidden; field 39 followed by its meaning. It is the only
// safe way to log or print a Message.
func Describe(w io.Writer, m Message) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, '.', 0)
	fmt.Fprintf(tw, "MTI\t: %s", m.MTI)
	if t := MessageType(m.MTI); t != "" {
		fmt.Fprintf(tw, " (%s)", t)
	}
	fmt.Fprintln(tw)
	for _, f := range DescribeFields(m) {
		label := fmt.Sprintf("F%d %s", f.Number, f.Name)
		if f.Format != "" {
			label += " (" + f.Format + ")"
		}
		v := f.Value
		if f.Meaning != "" {
			v += " (" + f.Meaning + ")"
		}
		fmt.Fprintf(tw, "%s\t: %s\n", label, v)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("describing message: %w", err)
	}
	return nil
}

// hidden replaces a secret value in Describe.
const hidden = "[hidden]"

// describeValue returns field n's value as Describe shows it.
func describeValue(n int, v string) string {
	switch {
	case lookup(n) == nil:
		return hidden
	case n == 2:
		return bandeira.MaskPAN(v)
	case n == 35, n == 52, n == 55, n == 64, n == 128:
		return hidden
	case n == 48:
		return describeTLV(v)
	default:
		return v
	}
}

// MaskSecrets returns a copy of m with the PAN masked and every other secret hidden, as
// Describe shows them (field 48 keeps its elements, with the CVV2 hidden). The copy
// still marshals as {"mti":...,"fields":{...}} but is not meant to be sent.
func MaskSecrets(m Message) Message {
	out := m.Clone()
	for n, v := range out.Fields {
		out.Fields[n] = describeValue(n, v)
	}
	return out
}

// format returns the field's format in docs/spec.md's notation: content class, ".." and
// the maximum for variable fields, the length prefix (LL, LLL); binary lengths in bytes.
func (d *fieldDef) format() string {
	class := map[content]string{numeric: "n", alpha: "an", text: "ans", track: "z", binary: "b"}[d.content]
	switch d.kind {
	case llvar:
		return class + ".." + strconv.Itoa(d.max) + " LL"
	case lllvar:
		return class + ".." + strconv.Itoa(d.max) + " LLL"
	default:
		return class + strconv.Itoa(d.max)
	}
}

// MessageType names an MTI's class and function, e.g. "authorization request" for 0100
// and "reversal advice repeat" for 0421; "" for an MTI this dialect does not know.
func MessageType(mti string) string {
	if len(mti) != 4 || !bandeira.IsDigits(mti) || mti[0] != '0' {
		return ""
	}
	class := map[byte]string{'1': "authorization", '2': "financial", '4': "reversal", '8': "network management"}[mti[1]]
	function := map[byte]string{'0': "request", '1': "response", '2': "advice", '3': "advice response"}[mti[2]]
	origin := map[byte]string{'0': "", '1': " repeat"}
	o, ok := origin[mti[3]]
	if class == "" || function == "" || !ok {
		return ""
	}
	return class + " " + function + o
}
