package fault

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFaultValidate(t *testing.T) {
	cases := []struct {
		name string
		f    Fault
		want string // "" for valid
	}{
		{"a latency with jitter is valid", Fault{Latency: 500 * time.Millisecond, Jitter: 200 * time.Millisecond}, ""},
		{"jitter alone is valid", Fault{Jitter: time.Second}, ""},
		{"down is valid", Fault{Down: true}, ""},
		{"a drop probability of 1 is valid", Fault{Drop: 1}, ""},
		{"a forced decline is valid", Fault{Code: "N7"}, ""},
		{"a negative latency is refused", Fault{Latency: -time.Millisecond}, "latency -1ms: want a duration from 0 to 1h0m0s"},
		{"a latency past an hour is refused", Fault{Latency: 2 * time.Hour}, "latency 2h0m0s"},
		{"a negative jitter is refused", Fault{Jitter: -time.Second}, "jitter -1s"},
		{"a probability above 1 is refused", Fault{Drop: 1.5}, "drop 1.5: want a probability from 0 to 1"},
		{"a negative probability is refused", Fault{Drop: -0.1}, "drop -0.1"},
		{"NaN is refused", Fault{Drop: math.NaN()}, "drop NaN"},
		{"a one-character code is refused", Fault{Code: "5"}, `code "5": want two upper-case letters or digits`},
		{"a lower-case code is refused", Fault{Code: "n7"}, `code "n7"`},
		{"a forced approval is refused", Fault{Code: "00"}, "code 00: a forced approval"},
		{"a fault that sets nothing is refused", Fault{}, "the fault sets nothing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.f.Validate()
			if c.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestFaultJSON(t *testing.T) {
	t.Run("durations travel as milliseconds and come back", func(t *testing.T) {
		f := Fault{Latency: 1500 * time.Microsecond, Jitter: 200 * time.Millisecond, Drop: 0.25, Down: true, Code: "05"}
		b, err := json.Marshal(f)
		require.NoError(t, err)
		require.JSONEq(t, `{"latency_ms":1.5,"jitter_ms":200,"drop":0.25,"down":true,"code":"05"}`, string(b))
		var back Fault
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, f, back)
	})
	t.Run("absent keys are zero", func(t *testing.T) {
		var f Fault
		require.NoError(t, json.Unmarshal([]byte(`{"down":true}`), &f))
		require.Equal(t, Fault{Down: true}, f)
	})
	bad := map[string]string{
		"an unknown key":             `{"latency":500}`,
		"a string where a number is": `{"latency_ms":"500ms"}`,
		"a number past any duration": `{"latency_ms":1e300}`,
		"not an object":              `[1]`,
	}
	for name, body := range bad {
		t.Run("refuses "+name, func(t *testing.T) {
			var f Fault
			require.Error(t, json.Unmarshal([]byte(body), &f))
		})
	}
	t.Run("an entry is the target and the fault's keys in one object", func(t *testing.T) {
		e := Entry{Target: "issuer:nubank", Fault: Fault{Latency: time.Second, Code: "05"}}
		b, err := json.Marshal(e)
		require.NoError(t, err)
		require.JSONEq(t, `{"target":"issuer:nubank","latency_ms":1000,"jitter_ms":0,"drop":0,"down":false,"code":"05"}`, string(b))
		var back Entry
		require.NoError(t, json.Unmarshal(b, &back))
		require.Equal(t, e, back)
	})
	t.Run("a link target keeps its arrow in an encoder that does not escape HTML", func(t *testing.T) {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		require.NoError(t, enc.Encode(Entry{Target: "gateway->network:visa", Fault: Fault{Down: true}}))
		require.Contains(t, b.String(), `"target":"gateway->network:visa"`)
	})
}

func TestFaultString(t *testing.T) {
	require.Equal(t, "down drop 0.1 latency 500ms jitter 200ms code 05",
		Fault{Down: true, Drop: 0.1, Latency: 500 * time.Millisecond, Jitter: 200 * time.Millisecond, Code: "05"}.String())
	require.Equal(t, "none", Fault{}.String())
}
