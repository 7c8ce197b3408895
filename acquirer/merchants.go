package acquirer

import (
	"fmt"

	"github.com/bandeira/bandeira"
)

// Field limits a merchant must fit: field 42 (merchant ID, ans 15), field 41 (terminal ID,
// ans 8) and field 43 (name 22 and city 13 characters, the tighter Mastercard layout).
const (
	MaxMerchantIDLen = 15
	TerminalIDLen    = 8
	MaxNameLen       = 22
	MaxCityLen       = 13
)

// MerchantConfig is a merchant in the acquirer's configuration: the bandeira.Merchant
// fields plus a demo terminal for tools such as `bandeira send`. Text is printable ASCII
// because it travels in ISO 8583 ans fields.
type MerchantConfig struct {
	ID         string `yaml:"id"`          // field 42, 1–15 characters, unique
	Name       string `yaml:"name"`        // field 43 name, up to 22 characters
	MCC        string `yaml:"mcc"`         // four digits
	City       string `yaml:"city"`        // field 43 city, up to 13 characters
	Plan       string `yaml:"plan"`        // a plan in Config.Plans; "" means Config.DefaultPlan
	TerminalID string `yaml:"terminal_id"` // field 41, exactly 8 characters, or "" for none
}

// Merchant returns the domain view of the merchant.
func (c MerchantConfig) Merchant() bandeira.Merchant {
	return bandeira.Merchant{ID: c.ID, Name: c.Name, MCC: c.MCC, City: c.City, Plan: c.Plan}
}

// DemoMerchants returns the demo merchants of DefaultConfig (fictitious businesses): a
// WhatsApp catalog shop on PlanWhatsApp2020 and ordinary merchants on the default plan.
func DemoMerchants() []MerchantConfig {
	return []MerchantConfig{
		{ID: "WACATALOGO00001", Name: "Doces da Ana", MCC: "5441", City: "Sao Paulo", Plan: PlanWhatsApp2020, TerminalID: "WAPP0001"},
		{ID: "PADARIA00000001", Name: "Padaria Pao Quente", MCC: "5462", City: "Sao Paulo", TerminalID: "PADA0001"},
		{ID: "RESTAURANTE0001", Name: "Restaurante Dende", MCC: "5812", City: "Salvador", TerminalID: "REST0001"},
		{ID: "SUPERMERCADO001", Name: "Supermercado Bom Preco", MCC: "5411", City: "Recife", TerminalID: "SUPE0001"},
		{ID: "FARMACIA0000001", Name: "Farmacia Vida", MCC: "5912", City: "Porto Alegre", TerminalID: "FARM0001"},
		{ID: "POSTO0000000001", Name: "Posto Estrada Real", MCC: "5541", City: "Curitiba", TerminalID: "POST0001"},
	}
}

// DefaultMerchant returns the demo merchant tools use when none is given: the WhatsApp
// catalog shop, the case Bandeira models.
func DefaultMerchant() MerchantConfig { return DemoMerchants()[0] }

// check reports the first problem with the merchant's own fields.
func (c MerchantConfig) check() error {
	switch {
	case c.ID == "" || len(c.ID) > MaxMerchantIDLen || !printable(c.ID) || c.ID[0] == ' ' || c.ID[len(c.ID)-1] == ' ':
		return fmt.Errorf("id must be 1 to %d printable ASCII characters without leading or trailing spaces", MaxMerchantIDLen)
	case len(c.MCC) != 4 || !bandeira.IsDigits(c.MCC):
		return fmt.Errorf("mcc %q must be four digits", c.MCC)
	case c.Name == "" || len(c.Name) > MaxNameLen || !printable(c.Name):
		return fmt.Errorf("name %q must be 1 to %d printable ASCII characters", c.Name, MaxNameLen)
	case len(c.City) > MaxCityLen || !printable(c.City):
		return fmt.Errorf("city %q must be at most %d printable ASCII characters", c.City, MaxCityLen)
	case c.TerminalID != "" && (len(c.TerminalID) != TerminalIDLen || !printable(c.TerminalID)):
		return fmt.Errorf("terminal_id %q must be exactly %d printable ASCII characters", c.TerminalID, TerminalIDLen)
	}
	return nil
}

// printable reports whether s is printable ASCII (space to tilde); "" is printable.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
