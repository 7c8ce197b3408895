package bandeira_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outsideDocs are the names of the team's background documents, which live outside the
// repository: no tracked file may cite them. They are built from parts so that this file
// does not cite them itself.
var outsideDocs = func() []string {
	needles := []string{".." + "/shared"}
	for _, name := range []string{"design", "domain", "reliability", "style", "peers"} {
		needles = append(needles, name+".md")
	}
	return needles
}()

// textExts are the kinds of tracked files a citation could hide in; scannedPaths are
// files without one of them that are scanned all the same.
var (
	textExts     = []string{".go", ".md", ".yaml", ".yml", ".json", ".sh", ".html", ".js", ".css"}
	scannedPaths = []string{".ci/run", "ops/Dockerfile"}
)

// TestRepositoryStandsAlone keeps the repository readable on its own: code comments,
// tests, configuration and docs cite docs/*.md and README.md, never the team's background
// documents (see outsideDocs). Each citation fails the test with its file and line.
func TestRepositoryStandsAlone(t *testing.T) {
	files := trackedTextFiles(t, ".")
	require.Greater(t, len(files), 100, "the repository's text files were found")
	for _, hit := range outsideCitations(t, ".", files) {
		t.Errorf("%s: cites a document outside the repository; cite docs/*.md or README.md and write what is needed there", hit)
	}

	t.Run("names the file and line of every planted citation, in any case", func(t *testing.T) {
		dir := t.TempDir()
		var want []string
		for i, needle := range outsideDocs {
			name := fmt.Sprintf("f%d.go", i)
			body := fmt.Sprintf("package f\n\n// As %s says.\n", strings.ToUpper(needle))
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
			want = append(want, fmt.Sprintf("%s:3: %s", name, needle))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "clean.md"), []byte("See docs/spec.md.\n"), 0o600))
		files := []string{"clean.md"}
		for i := range outsideDocs {
			files = append(files, fmt.Sprintf("f%d.go", i))
		}
		require.Equal(t, want, outsideCitations(t, dir, files))
	})
}

// trackedTextFiles lists the text files of the repository at root, relative to it: the
// files git tracks or would track (new files not yet added, but not ignored ones), or every
// file under root when git cannot say (no git, or a copy without its history).
func trackedTextFiles(tb testing.TB, root string) []string {
	tb.Helper()
	var paths []string
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err == nil {
		for _, p := range strings.Split(string(out), "\x00") {
			if p != "" {
				paths = append(paths, p)
			}
		}
	} else {
		tb.Logf("listing tracked files with git: %v; scanning every file instead", err)
		paths = walkFiles(tb, root)
	}
	var text []string
	for _, p := range paths {
		if isScannedText(p) {
			text = append(text, p)
		}
	}
	return text
}

// walkFiles lists every regular file under root, relative to it, skipping .git and the
// default data directory.
func walkFiles(tb testing.TB, root string) []string {
	tb.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "bandeira-data") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(tb, err)
	return paths
}

// isScannedText reports whether the file at the slash-separated path p is one to scan.
func isScannedText(p string) bool {
	for _, s := range scannedPaths {
		if p == s {
			return true
		}
	}
	for _, ext := range textExts {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

// outsideCitations returns "file:line: name" for every line of files (relative to root)
// that names an outside document, in any case. A listed file that no longer exists (deleted
// but not yet committed) is skipped.
func outsideCitations(tb testing.TB, root string, files []string) []string {
	tb.Helper()
	var hits []string
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		require.NoError(tb, err)
		for i, line := range strings.Split(strings.ToLower(string(data)), "\n") {
			for _, needle := range outsideDocs {
				if strings.Contains(line, needle) {
					hits = append(hits, fmt.Sprintf("%s:%d: %s", f, i+1, needle))
				}
			}
		}
	}
	return hits
}
