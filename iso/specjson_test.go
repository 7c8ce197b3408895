package iso

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/specs"
	"github.com/stretchr/testify/require"
)

// specJSONPath is the dialect as a moov-io/iso8583 JSON spec, for moov's own tools
// (iso8583 describe -spec-file iso/spec.json) and for integrators' moov-based clients.
const specJSONPath = "spec.json"

func TestSpecJSON(t *testing.T) {
	t.Run("spec.json is the dialect's field table exported by moov", func(t *testing.T) {
		want, err := specs.ExportJSON(moovSpec(false))
		require.NoError(t, err)
		if *updateGolden {
			require.NoError(t, os.WriteFile(specJSONPath, want, 0o644))
		}
		got, err := os.ReadFile(specJSONPath)
		require.NoError(t, err, "run go test ./iso -run TestSpecJSON -update to create it")
		require.Equal(t, string(want), string(got), "run go test ./iso -run TestSpecJSON -update")
	})

	raw, err := os.ReadFile(specJSONPath)
	require.NoError(t, err)
	spec, err := specs.ImportJSON(raw)
	require.NoError(t, err)
	require.Len(t, spec.Fields, len(fieldDefs)+2, "every field, the MTI and the bitmap")

	files, err := filepath.Glob(filepath.Join("testdata", "*.hex"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hex")
		t.Run("moov's own library unpacks golden "+name+" with spec.json to the same values", func(t *testing.T) {
			body := readGolden(t, name)
			want, err := Unpack(body)
			require.NoError(t, err)

			msg := iso8583.NewMessage(spec)
			require.NoError(t, msg.Unpack(body))
			mti, err := msg.GetMTI()
			require.NoError(t, err)
			require.Equal(t, want.MTI, mti)
			got := map[int]string{}
			for n, fld := range msg.GetFields() {
				if n < 2 {
					continue // the MTI and the bitmap
				}
				got[n], err = fld.String()
				require.NoError(t, err, "field %d", n)
			}
			require.Equal(t, want.Fields, got)
		})
	}
}
