package loadtest

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/bandeira/bandeira"
)

// Card is a test card the generator may use. Scenario is "" for a regular card; the
// scenarios the Decline kind uses are DeclineScenarios.
type Card struct {
	PAN      bandeira.PAN
	Expiry   string // YYMM
	Issuer   string
	Brand    string
	Product  string
	Scenario string
}

// DeclineScenarios are the scenario cards that decline at once, used by the Decline kind.
// Issuer-down, no-answer and slow cards are never sent: they measure timeouts, not the
// system under load.
var DeclineScenarios = []string{"insufficient-funds", "expired", "lost", "stolen", "blocked"}

// cardJSON is one element of `bandeira cards --json`.
type cardJSON struct {
	PAN      string `json:"pan"`
	Expiry   string `json:"expiry"`
	Issuer   string `json:"issuer"`
	Brand    string `json:"brand"`
	Product  string `json:"product"`
	Scenario string `json:"scenario"`
}

// ReadCards decodes a JSON array in the shape `bandeira cards --json` prints. Keys other
// than pan, expiry, issuer, brand, product and scenario are ignored. A PAN that is not 12
// to 19 digits or an expiry that is not 4 digits is an error naming the element, never the
// number.
func ReadCards(r io.Reader) ([]Card, error) {
	var in []cardJSON
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return nil, fmt.Errorf("decoding cards: %w", err)
	}
	out := make([]Card, len(in))
	for i, c := range in {
		pan, err := bandeira.ParsePAN(c.PAN)
		if err != nil {
			return nil, fmt.Errorf("reading card %d: %w", i, err)
		}
		if len(c.Expiry) != 4 || !bandeira.IsDigits(c.Expiry) {
			return nil, fmt.Errorf("reading card %d: expiry is not 4 digits (YYMM)", i)
		}
		out[i] = Card{PAN: pan, Expiry: c.Expiry, Issuer: c.Issuer, Brand: c.Brand, Product: c.Product, Scenario: c.Scenario}
	}
	return out, nil
}

// isDecline reports whether a scenario declines at once.
func isDecline(scenario string) bool {
	for _, s := range DeclineScenarios {
		if s == scenario {
			return true
		}
	}
	return false
}
