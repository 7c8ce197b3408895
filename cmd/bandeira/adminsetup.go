package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/internal/fault"
)

// adminTokenName is the admin token's file in the data directory when no other is named.
const adminTokenName = "admin-token"

// adminTokenPath is where cfg's admin token lives: admin.token_file (or the flag that
// overrides it), else <data_dir>/admin-token.
func adminTokenPath(cfg configs.Config) string {
	if cfg.Admin.TokenFile != "" {
		return cfg.Admin.TokenFile
	}
	return filepath.Join(cfg.DataDir, adminTokenName)
}

// ensureAdminToken returns the admin API's bearer token and the file it is in. A token
// file the configuration names must exist; the default one is made on first use with a
// fresh random token (mode 0600), and reused afterwards. Concurrent first uses (the
// nodes of a network) agree on one token: the file appears whole or not at all.
func ensureAdminToken(cfg configs.Config) (token, path string, err error) {
	path = adminTokenPath(cfg)
	if cfg.Admin.TokenFile == "" {
		if err := createTokenFile(path); err != nil {
			return "", path, err
		}
	}
	token, err = readAdminToken(path)
	return token, path, err
}

// readAdminToken reads the token in path: its content without surrounding white space,
// which must not be empty.
func readAdminToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the admin token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("reading the admin token: %s is empty", path)
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", fmt.Errorf("reading the admin token: %s holds more than one word", path)
	}
	return token, nil
}

// createTokenFile writes a fresh random token to path unless a file is there already:
// the token goes to a temporary file that is then hard-linked into place, which fails
// when path exists.
func createTokenFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("making the admin token: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return fmt.Errorf("making the admin token: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".admin-token-*")
	if err != nil {
		return fmt.Errorf("making the admin token: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(hex.EncodeToString(secret) + "\n")
	err = errors.Join(err, tmp.Chmod(0o600), tmp.Sync(), tmp.Close())
	if err != nil {
		return fmt.Errorf("making the admin token: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("making the admin token: %w", err)
	}
	return nil
}

// startFaults builds the process's fault registry and sets the configuration's faults on
// the targets this process applies (each node its own; `bandeira run` every one).
func (m *Main) startFaults(hosted []configs.Role) error {
	m.hostedRoles = hosted
	m.Faults = fault.NewRegistry(m.Config.Admin.FaultSeed, fault.NewMetrics(m.Registry))
	for _, t := range slices.Sorted(maps.Keys(m.Config.Faults)) {
		if !slices.Contains(hosted, configs.Role(t.Host())) {
			continue
		}
		f := m.Config.Faults[t]
		if err := m.Faults.Set(t, f); err != nil {
			return fmt.Errorf("setting the fault of %s: %w", t, err)
		}
		m.Log.Warn().Str("target", string(t)).Stringer("fault", f).Uint64("fault_seed", m.Faults.Seed()).
			Msg("fault set from the configuration")
	}
	return nil
}

// withAdmin serves the admin API under /admin/ and ops everywhere else.
func (m *Main) withAdmin(ops http.Handler) (http.Handler, error) {
	a := &adminAPI{faults: m.Faults, cfg: m.Config, hosted: m.hostedRoles, self: m.served,
		log: m.Log.With().Str("component", "admin").Logger()}
	if m.AdminToken != "" {
		a.token, a.hasTok = sha256.Sum256([]byte(m.AdminToken)), true
	}
	if m.served == configs.RoleGateway {
		p, err := newPeers(m.Config, m.hostedRoles)
		if err != nil {
			return nil, err
		}
		a.peers = p
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", a.handler())
	mux.Handle("/", ops)
	return mux, nil
}

// adminToken reads the process's admin token (ensureAdminToken) into m, which logs
// where it is once it serves, and returns -1; or, when it cannot, prints one line and
// returns the exit code.
func adminToken(cmd string, m *Main, s stdio) int {
	token, path, err := ensureAdminToken(m.Config)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira %s: %v\n", cmd, err)
		return exitFail
	}
	m.AdminToken, m.adminTokenFile = token, path
	return -1
}

// sharedAdminToken makes sure the admin token file of a network of processes exists and
// returns its absolute path, which every node is given, so that all take one token.
func sharedAdminToken(cfg configs.Config, log zerolog.Logger) (string, error) {
	_, path, err := ensureAdminToken(cfg)
	if err == nil {
		path, err = filepath.Abs(path)
	}
	if err != nil {
		return "", err
	}
	log.Info().Str("admin_token_file", path).Msg("the admin API (/admin/faults) takes the bearer token in this file")
	return path, nil
}
