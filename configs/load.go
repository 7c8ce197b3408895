package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/bandeira/bandeira"
)

// Load returns the configuration: the built-in defaults, then the embedded bandeira.yaml,
// then the file at path if path is not empty. Errors name the file and, for unknown or
// badly typed keys, the line and the full key path ("gateway.request_timeout").
func Load(path string) (Config, error) {
	cfg := DefaultConfig()
	if err := decodeOver(&cfg, DefaultName, Default); err != nil {
		return Config{}, err
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("reading config: %w", err)
		}
		if err := decodeOver(&cfg, path, data); err != nil {
			return Config{}, err
		}
	}
	if err := cfg.Validate(); err != nil {
		name := DefaultName
		if path != "" {
			name = path
		}
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return cfg, nil
}

// decodeOver decodes the YAML document data into cfg, which already holds defaults.
// Unknown keys are rejected before anything is decoded.
func decodeOver(cfg *Config, name string, data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return fmt.Errorf("%s: %w", name, cleanYAMLError(err))
	}
	if len(root.Content) == 0 {
		return nil // an empty file changes nothing
	}
	keys := make(map[int]string) // line → key path, to name keys in type errors
	if err := checkKeys(root.Content[0], reflect.TypeOf(*cfg), "", keys); err != nil {
		return fmt.Errorf("%s:%w", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s:%w", name, nameKeys(cleanYAMLError(err), keys))
	}
	return nil
}

// keyError is an unknown key at a line, formatted "LINE: unknown key PATH".
type keyError struct {
	line int
	path string
}

func (e *keyError) Error() string { return fmt.Sprintf("%d: unknown key %q", e.line, e.path) }

// valueError is a value the decoder would take but change, formatted
// "LINE: key PATH: PROBLEM".
type valueError struct {
	line       int
	path, what string
}

func (e *valueError) Error() string { return fmt.Sprintf("%d: key %q: %s", e.line, e.path, e.what) }

// checkKeys walks a YAML node alongside the Go type it will decode into and reports the
// first mapping key that has no matching yaml tag, or the first decimal number where an
// integer is expected (yaml.v3 would silently drop its fraction: 5000.50 centavos would
// become 5000).
func checkKeys(n *yaml.Node, t reflect.Type, path string, keys map[int]string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.ScalarNode && isInteger(t) && n.ShortTag() == "!!float":
		return &valueError{n.Line, path, fmt.Sprintf("%s is not a whole number: want %s", n.Value, integerHint(t))}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				return &keyError{k.Line, join(path, k.Value)}
			}
			keys[k.Line] = join(path, k.Value)
			if err := checkKeys(v, ft, join(path, k.Value), keys); err != nil {
				return err
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys[n.Content[i].Line] = join(path, n.Content[i].Value)
			if err := checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), keys); err != nil {
				return err
			}
		}
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for i, item := range n.Content {
			if err := checkKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), keys); err != nil {
				return err
			}
		}
	}
	return nil // scalars and type mismatches are left to the decoder's own errors
}

// durationType is decoded from "5s" strings, not from numbers.
var durationType = reflect.TypeFor[time.Duration]()

// isInteger reports whether t decodes from a YAML integer.
func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return t != durationType
	}
	return false
}

// integerHint says what integer a key of type t holds.
func integerHint(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[bandeira.Amount]():
		return "integer centavos (10000 = R$ 100.00)"
	case reflect.TypeFor[bandeira.BasisPoints]():
		return "integer basis points (399 = 3.99%)"
	}
	return "an integer"
}

// yamlFields maps each yaml key of struct type t to its field type, following inline
// embedded structs.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// nameKeys rewrites yaml.v3's "line N: ..." reports as "N: key PATH: ...".
func nameKeys(err error, keys map[int]string) error {
	parts := strings.Split(err.Error(), "; ")
	for i, p := range parts {
		var line int
		if _, scanErr := fmt.Sscanf(p, "line %d:", &line); scanErr != nil {
			parts[i] = " " + p
			continue
		}
		rest := strings.TrimPrefix(p, fmt.Sprintf("line %d:", line))
		if key, ok := keys[line]; ok {
			parts[i] = fmt.Sprintf("%d: key %q:%s", line, key, rest)
		} else {
			parts[i] = fmt.Sprintf("%d:%s", line, rest)
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// cleanYAMLError strips the "yaml: " prefix and joins multi-error reports on one line.
func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return errors.New(strings.Join(te.Errors, "; "))
	}
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}
