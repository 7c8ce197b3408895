package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
	"github.com/bandeira/bandeira/network"
)

// tokens puts the brand's token service in front of its router when the brand has a
// token range: its vault <data-dir>/networks/<brand>-tokens.db (PANs sealed under
// <brand>-tokens.key beside it) and the token requestors' keys. A brand without a range
// is its router alone.
func (p *parties) tokens(brand bandeira.Brand, router bandeira.Authorizer) (bandeira.Authorizer, error) {
	cfg := p.m.Config
	rng, ok := cfg.Network.Tokens.Ranges[brand]
	if !ok {
		return router, nil
	}
	keys, err := cfg.Network.Tokens.LoadRequestorKeys(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.LoadOrCreate(tokensPath(cfg.DataDir, brand, ".key"))
	if err != nil {
		return nil, err
	}
	vault, err := network.OpenVault(context.Background(), tokensPath(cfg.DataDir, brand, ".db"), cfg.Issuers.Ledger.Synchronous, sealer)
	if err != nil {
		return nil, err
	}
	p.m.onClose(vault.Close)
	if p.metrics.tokens == nil {
		p.metrics.tokens = network.NewTokenMetrics(p.m.Registry)
	}
	return network.NewTokens(brand, rng, keys, vault, router, p.m.Log, p.metrics.tokens, time.Now)
}

// tokensPath is where a brand's token vault keeps its files.
func tokensPath(dataDir string, brand bandeira.Brand, ext string) string {
	return filepath.Join(dataDir, "networks", string(brand)+"-tokens"+ext)
}
