package network

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/internal/seal"
)

// TokenConfig configures the brands' token services: network.tokens in the configuration.
// A brand with a range has a token service in front of its router (Tokens); a brand
// without one has none.
type TokenConfig struct {
	// Ranges are the token BIN ranges by brand: the first 8 digits of every token the
	// brand issues lie from From to To. They are fictitious ranges inside the brand's
	// space that no issuer's BIN row may overlap.
	Ranges map[bandeira.Brand]TokenRange `yaml:"ranges"`
	// Requestors are the token requestors (wallets) the networks know, each with the key
	// its cryptograms are made with.
	Requestors []TokenRequestor `yaml:"requestors"`
}

// TokenRange is a range of 8-digit token BINs, both ends included.
type TokenRange struct {
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// TokenRequestor is a token requestor: a wallet the networks issue tokens to.
type TokenRequestor struct {
	// ID is the token requestor ID: 11 digits.
	ID string `yaml:"id"`
	// Name is a short name for logs and docs, e.g. facebookpay.
	Name string `yaml:"name"`
	// KeyFile holds the requestor's 32-byte key, which the requestor holds too; a relative
	// path is under the data directory. The first party to start creates it (mode 0600).
	KeyFile string `yaml:"key_file"`
}

// tokenBINLen is the length of a token BIN.
const tokenBINLen = 8

// DefaultTokenConfig returns the token services of the default network: Visa tokens in
// 48950000–48959999, Mastercard tokens in 52040000–52049999 (fictitious ranges), and one
// requestor, the wallet (facebookpay, 40000000011).
func DefaultTokenConfig() TokenConfig {
	return TokenConfig{
		Ranges: map[bandeira.Brand]TokenRange{
			bandeira.Visa:       {From: "48950000", To: "48959999"},
			bandeira.Mastercard: {From: "52040000", To: "52049999"},
		},
		Requestors: []TokenRequestor{{ID: "40000000011", Name: "facebookpay", KeyFile: "tokens/facebookpay.key"}},
	}
}

// Validate reports the first invalid range or requestor.
func (c TokenConfig) Validate() error {
	for brand, r := range c.Ranges {
		if err := r.validate(brand); err != nil {
			return fmt.Errorf("ranges: %s: %w", brand, err)
		}
	}
	seen := make(map[string]bool)
	for i, r := range c.Requestors {
		switch {
		case len(r.ID) != 11 || !bandeira.IsDigits(r.ID):
			return fmt.Errorf("requestors[%d]: id %q: want 11 digits", i, r.ID)
		case seen[r.ID]:
			return fmt.Errorf("requestors[%d]: id %s is repeated", i, r.ID)
		case !bandeira.IsPartyName(r.Name):
			return fmt.Errorf("requestors[%d]: name %q: want 1 to 32 lower-case letters, digits, '-' or '_'", i, r.Name)
		case r.KeyFile == "":
			return fmt.Errorf("requestors[%d]: key_file: must not be empty", i)
		}
		seen[r.ID] = true
	}
	return nil
}

func (r TokenRange) validate(brand bandeira.Brand) error {
	for _, v := range []string{r.From, r.To} {
		if len(v) != tokenBINLen || !bandeira.IsDigits(v) {
			return fmt.Errorf("%q: want an 8-digit BIN", v)
		}
		if got := bandeira.BrandOf(bandeira.PAN(v)); got != brand {
			return fmt.Errorf("%s is not in the %s space", v, brand)
		}
	}
	if r.From > r.To {
		return errors.New("from must not be above to")
	}
	return nil
}

// Contains reports whether pan's first 8 digits lie in the range.
func (r TokenRange) Contains(pan bandeira.PAN) bool {
	bin := pan.BIN(tokenBINLen)
	return len(bin) == tokenBINLen && bin >= r.From && bin <= r.To
}

// Requestor returns the requestor with id, or false.
func (c TokenConfig) Requestor(id string) (TokenRequestor, bool) {
	for _, r := range c.Requestors {
		if r.ID == id {
			return r, true
		}
	}
	return TokenRequestor{}, false
}

// KeyPath returns where the requestor's key file is: KeyFile, under dataDir when relative.
func (r TokenRequestor) KeyPath(dataDir string) string {
	if filepath.IsAbs(r.KeyFile) {
		return r.KeyFile
	}
	return filepath.Join(dataDir, r.KeyFile)
}

// LoadRequestorKeys loads (creating them when missing) every requestor's key, by ID.
func (c TokenConfig) LoadRequestorKeys(dataDir string) (map[string][]byte, error) {
	keys := make(map[string][]byte, len(c.Requestors))
	for _, r := range c.Requestors {
		k, err := seal.LoadOrCreateKey(r.KeyPath(dataDir))
		if err != nil {
			return nil, fmt.Errorf("loading the key of token requestor %s: %w", r.Name, err)
		}
		keys[r.ID] = k
	}
	return keys, nil
}
