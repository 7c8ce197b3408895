package fault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/bandeira/bandeira"
)

// MaxDelay bounds Latency and Jitter: far beyond every timer of the network, so a longer
// delay could only be a mistake (a drop says "never answered" better).
const MaxDelay = time.Hour

// Fault is what a target does to the calls it applies to. A call meets the fault's parts
// in this order:
//
//   - Down: the call fails at once with an error wrapping ErrDown (a party target) or
//     ErrLinkCut (a link target), both wrapping bandeira.ErrIssuerUnavailable (the edge
//     answers 91).
//   - Drop: with this probability (0 to 1) the request is never answered: the call waits
//     until the caller's context ends and returns its error, as a lost message would.
//   - Latency plus Jitter: the call is delayed by Latency plus a uniform draw from 0 to
//     Jitter; a context that ends first ends the call with its error.
//   - Code: the target answers a request (0100, 0200 and their repeats) with this response
//     code itself, without deciding; advices and reversals, and every call when there is
//     no code, go on to the wrapped Authorizer.
//
// The zero Fault does nothing and cannot be set. YAML spells durations "500ms"; JSON
// spells them in milliseconds (latency_ms, jitter_ms).
type Fault struct {
	Latency time.Duration         `yaml:"latency"`
	Jitter  time.Duration         `yaml:"jitter"`
	Drop    float64               `yaml:"drop"`
	Down    bool                  `yaml:"down"`
	Code    bandeira.ResponseCode `yaml:"code"`
}

// Validate reports a fault that cannot be set, naming the field: a negative or too long
// latency or jitter, a drop probability outside 0 to 1, a code that is not two upper-case
// letters or digits, a forced approval (00: an approval nobody booked would break the
// books of every party), or a fault that sets nothing.
func (f Fault) Validate() error {
	var errs []error
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"latency", f.Latency}, {"jitter", f.Jitter}} {
		if d.v < 0 || d.v > MaxDelay {
			errs = append(errs, fmt.Errorf("%s %s: want a duration from 0 to %s", d.key, d.v, MaxDelay))
		}
	}
	if math.IsNaN(f.Drop) || f.Drop < 0 || f.Drop > 1 {
		errs = append(errs, fmt.Errorf("drop %v: want a probability from 0 to 1", f.Drop))
	}
	if f.Code != "" && !validCode(f.Code) {
		errs = append(errs, fmt.Errorf("code %q: want two upper-case letters or digits, e.g. 05 or N7", string(f.Code)))
	}
	if f.Code == bandeira.Approved {
		errs = append(errs, errors.New("code 00: a forced approval would approve what no issuer booked; force a decline"))
	}
	if len(errs) == 0 && f == (Fault{}) {
		errs = append(errs, errors.New("the fault sets nothing: give a latency, jitter, drop, down or code"))
	}
	return oneLine(errs)
}

// oneLine joins errs on one line, "; " between them; nil when there are none.
func oneLine(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = err.Error()
	}
	return errors.New(strings.Join(msgs, "; "))
}

func validCode(c bandeira.ResponseCode) bool {
	if len(c) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		if !(c[i] >= '0' && c[i] <= '9' || c[i] >= 'A' && c[i] <= 'Z') {
			return false
		}
	}
	return true
}

// String describes f in the words of the command line, e.g. "latency 500ms jitter 200ms
// drop 0.1", or "down".
func (f Fault) String() string {
	var parts []string
	if f.Down {
		parts = append(parts, "down")
	}
	if f.Drop > 0 {
		parts = append(parts, fmt.Sprintf("drop %g", f.Drop))
	}
	if f.Latency > 0 {
		parts = append(parts, "latency "+f.Latency.String())
	}
	if f.Jitter > 0 {
		parts = append(parts, "jitter "+f.Jitter.String())
	}
	if f.Code != "" {
		parts = append(parts, "code "+string(f.Code))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

// faultJSON is a Fault on the admin API.
type faultJSON struct {
	LatencyMS float64 `json:"latency_ms"`
	JitterMS  float64 `json:"jitter_ms"`
	Drop      float64 `json:"drop"`
	Down      bool    `json:"down"`
	Code      string  `json:"code"`
}

// MarshalJSON writes {"latency_ms":…, "jitter_ms":…, "drop":…, "down":…, "code":…}, the
// durations in (possibly fractional) milliseconds.
func (f Fault) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultJSON{LatencyMS: millis(f.Latency), JitterMS: millis(f.Jitter), Drop: f.Drop,
		Down: f.Down, Code: string(f.Code)})
}

// UnmarshalJSON reads what MarshalJSON writes; absent keys are zero. An unknown key, a
// value of the wrong type or a duration too long to represent is an error naming the key;
// it does not validate the fault otherwise (Validate does).
func (f *Fault) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j faultJSON
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("decoding the fault: %w", err)
	}
	latency, err := duration("latency_ms", j.LatencyMS)
	if err != nil {
		return err
	}
	jitter, err := duration("jitter_ms", j.JitterMS)
	if err != nil {
		return err
	}
	*f = Fault{Latency: latency, Jitter: jitter, Drop: j.Drop, Down: j.Down, Code: bandeira.ResponseCode(j.Code)}
	return nil
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// duration converts ms milliseconds, refusing what a Duration cannot hold.
func duration(key string, ms float64) (time.Duration, error) {
	if math.Abs(ms) > float64(math.MaxInt64)/float64(time.Millisecond) {
		return 0, fmt.Errorf("%s %v: want milliseconds from 0 to %d", key, ms, MaxDelay.Milliseconds())
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// Entry is one target's fault, as the admin API lists it: the target and the fault's
// keys in one JSON object.
type Entry struct {
	Target Target
	Fault  Fault
}

// MarshalJSON writes {"target":…, "latency_ms":…, …}, the link arrow as it is ("->",
// not "-\u003e").
func (e Entry) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Target Target `json:"target"`
		faultJSON
	}{e.Target, faultJSON{millis(e.Fault.Latency), millis(e.Fault.Jitter), e.Fault.Drop, e.Fault.Down, string(e.Fault.Code)}})
	return bytes.TrimSpace(b.Bytes()), err
}

// UnmarshalJSON reads what MarshalJSON writes.
func (e *Entry) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("decoding the fault entry: %w", err)
	}
	var t Target
	if err := json.Unmarshal(raw["target"], &t); err != nil {
		return fmt.Errorf("decoding the fault entry's target: %w", err)
	}
	delete(raw, "target")
	rest, _ := json.Marshal(raw)
	var f Fault
	if err := f.UnmarshalJSON(rest); err != nil {
		return err
	}
	*e = Entry{Target: t, Fault: f}
	return nil
}
