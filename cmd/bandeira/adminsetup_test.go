package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdminToken(t *testing.T) {
	t.Run("without a token file, the first start writes a fresh token readable by its owner only", func(t *testing.T) {
		cfg := testConfig(t)
		tok, path, err := ensureAdminToken(cfg)
		require.NoError(t, err)
		require.Equal(t, filepath.Join(cfg.DataDir, "admin-token"), path)
		require.Len(t, tok, 64, "32 random bytes in hex")
		st, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

		again, _, err := ensureAdminToken(cfg)
		require.NoError(t, err)
		require.Equal(t, tok, again, "a later start reuses the token")

		other, _, err := ensureAdminToken(testConfig(t))
		require.NoError(t, err)
		require.NotEqual(t, tok, other, "another data directory gets another token")
	})
	t.Run("nodes starting at once agree on one token", func(t *testing.T) {
		cfg := testConfig(t)
		toks := make([]string, 8)
		var wg sync.WaitGroup
		for i := range toks {
			wg.Go(func() {
				tok, _, err := ensureAdminToken(cfg)
				if err == nil {
					toks[i] = tok
				}
			})
		}
		wg.Wait()
		for _, tok := range toks {
			require.Equal(t, toks[0], tok)
			require.NotEmpty(t, tok)
		}
		leftovers, err := filepath.Glob(filepath.Join(cfg.DataDir, ".admin-token-*"))
		require.NoError(t, err)
		require.Empty(t, leftovers, "no temporary file stays behind")
	})
	t.Run("a named token file is read, white space trimmed, and never written", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Admin.TokenFile = filepath.Join(t.TempDir(), "token")
		_, _, err := ensureAdminToken(cfg)
		require.ErrorContains(t, err, "reading the admin token")
		require.NoFileExists(t, cfg.Admin.TokenFile)

		require.NoError(t, os.WriteFile(cfg.Admin.TokenFile, []byte("  abc123\n"), 0o600))
		tok, path, err := ensureAdminToken(cfg)
		require.NoError(t, err)
		require.Equal(t, "abc123", tok)
		require.Equal(t, cfg.Admin.TokenFile, path)
	})
	t.Run("an empty token file or one of several words is refused", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.Admin.TokenFile = filepath.Join(t.TempDir(), "token")
		require.NoError(t, os.WriteFile(cfg.Admin.TokenFile, []byte("\n"), 0o600))
		_, _, err := ensureAdminToken(cfg)
		require.ErrorContains(t, err, "is empty")
		require.NoError(t, os.WriteFile(cfg.Admin.TokenFile, []byte("a b"), 0o600))
		_, _, err = ensureAdminToken(cfg)
		require.ErrorContains(t, err, "more than one word")
	})
}
