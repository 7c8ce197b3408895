package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// helpWidth is the width flag help is wrapped to.
const helpWidth = 100

// flagUsages lists the flags GNU-style, in declaration order: "--name VALUE", then the
// usage wrapped under itself, then the default when it says something.
func (fs *flagSet) flagUsages() string {
	type row struct{ left, right string }
	rows := []row{}
	fs.FlagSet.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		name, usage := pflag.UnquoteUsage(f)
		left := "  --" + f.Name
		if f.Value.Type() != "bool" {
			left += " " + metavar(name)
		}
		if d := f.DefValue; !map[string]bool{"": true, "0": true, "false": true, "[]": true, "map[]": true, "0s": true}[d] {
			usage += " (default " + d + ")"
		}
		rows = append(rows, row{left, usage})
	})
	rows = append(rows, row{"  -h, --help", "print this help"})
	width := 0
	for _, r := range rows {
		width = max(width, len(r.left))
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.left + strings.Repeat(" ", width-len(r.left)+3))
		b.WriteString(wrapText(r.right, width+3, helpWidth) + "\n")
	}
	return b.String()
}

// metavar is a flag's value placeholder in help: the back-quoted word of its usage, or its
// type, in capitals.
func metavar(name string) string {
	switch name {
	case "", "value":
		return "VALUE"
	case "int", "uint":
		return "N"
	case "float":
		return "NUMBER"
	}
	return strings.ToUpper(name)
}

// wrapText wraps s to width columns, indenting continuation lines by indent.
func wrapText(s string, indent, width int) string {
	var b strings.Builder
	col := indent
	for i, w := range strings.Fields(s) {
		if i > 0 && col+1+len(w) > width {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += len(w)
	}
	return b.String()
}

// describeFlagError turns pflag's errors into one short phrase, with the expected form of
// a bad value instead of a strconv error.
func describeFlagError(err error) string {
	var inv *pflag.InvalidValueError
	if !errors.As(err, &inv) {
		return err.Error()
	}
	f := inv.GetFlag()
	want := map[string]string{
		"int": "an integer", "int64": "an integer", "uint64": "a whole number 0 or more",
		"float64": "a number", "duration": "a duration such as 5s, 250ms or 1m30s", "bool": "true or false",
	}[f.Value.Type()]
	if want == "" {
		want = errors.Unwrap(inv).Error() // our own Value types explain themselves
	} else {
		want = "want " + want
	}
	return fmt.Sprintf("invalid value %q for --%s: %s", inv.GetValue(), f.Name, want)
}

// goStyleLongFlags rewrites -name and -name=value, for a defined flag name longer than one
// letter, to --name: the spelling of Go's flag package, which earlier releases took.
// Values of flags that take one are left alone, and nothing after "--" is touched.
func goStyleLongFlags(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	expectValue := false
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if expectValue {
			out, expectValue = append(out, a), false
			continue
		}
		name, hasValue := a, false
		if strings.HasPrefix(a, "--") {
			name = a[2:]
		} else if len(a) > 2 && a[0] == '-' {
			name = a[1:]
		}
		if j := strings.IndexByte(name, '='); j >= 0 {
			name, hasValue = name[:j], true
		}
		f := fs.Lookup(name)
		if f != nil && len(name) > 1 && a[0] == '-' && !strings.HasPrefix(a, "--") {
			a = "-" + a
		}
		expectValue = f != nil && !hasValue && f.NoOptDefVal == "" && strings.HasPrefix(a, "--")
		out = append(out, a)
	}
	return out
}
