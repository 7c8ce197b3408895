package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLogger(t *testing.T) {
	t.Run("the console format writes no colour codes when not on a terminal", func(t *testing.T) {
		var buf bytes.Buffer
		log, err := newLogger(&buf, "console", "info")
		require.NoError(t, err)
		log.Info().Str("gateway", "127.0.0.1:8583").Msg("bandeira is running")
		require.Contains(t, buf.String(), "bandeira is running")
		require.Contains(t, buf.String(), "gateway=127.0.0.1:8583")
		require.NotContains(t, buf.String(), "\x1b[", "no ANSI escapes in a file or pipe")
	})
	t.Run("a file is not a terminal", func(t *testing.T) {
		f, err := os.Create(filepath.Join(t.TempDir(), "log"))
		require.NoError(t, err)
		defer f.Close()
		require.False(t, isTerminal(f))
		require.False(t, isTerminal(&bytes.Buffer{}))
	})
	t.Run("a bad level or format is refused", func(t *testing.T) {
		_, err := newLogger(&bytes.Buffer{}, "json", "loud")
		require.ErrorContains(t, err, `log level "loud"`)
		_, err = newLogger(&bytes.Buffer{}, "xml", "info")
		require.ErrorContains(t, err, `log format "xml"`)
	})
}

// TestLogDurationsCarryTheirUnit keeps the logging convention of newLogger: durations are
// float milliseconds in fields named *_ms. zerolog's Dur writes a number whose unit the
// field name does not say, so no code of the module may call it.
func TestLogDurationsCarryTheirUnit(t *testing.T) {
	dur := regexp.MustCompile(`\.Durs?\(`)
	var offenders []string
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if dur.MatchString(line) {
				offenders = append(offenders, path+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, offenders, "log durations as Float64(\"name_ms\", ...)")
}
