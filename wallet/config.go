package wallet

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bandeira/bandeira"
)

// Config is the wallet's configuration: the wallet section of the configuration file.
// Money is integer centavos.
type Config struct {
	// RequestTimeout bounds each request the wallet sends the gateway. It must exceed the
	// front door's server.request_timeout, so the gateway always answers (91 at worst)
	// before the wallet gives up and reverses.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// RequestorID is the wallet's token requestor ID: one of network.tokens.requestors,
	// whose key the wallet shares with the networks.
	RequestorID string `yaml:"requestor_id"`
	// AllowRemote lets clients that are not on loopback use the API; off by default.
	AllowRemote bool `yaml:"allow_remote"`
	// MaxBodyBytes bounds a request body; larger bodies are answered 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// PIN says how PINs are hashed and how many wrong ones in a row lock payments.
	PIN PINConfig `yaml:"pin"`
	// ChallengeTTL is how long a device challenge may be signed and used.
	ChallengeTTL time.Duration `yaml:"challenge_ttl"`
	// ChargeTTL is how long a merchant's charge can be paid.
	ChargeTTL time.Duration `yaml:"charge_ttl"`
	// Limits are the amounts and counts over which the wallet refuses a payment or
	// transfer without sending anything.
	Limits Limits `yaml:"limits"`
	// P2P is the wallet processor as the merchant of person-to-person transfers.
	P2P P2PMerchant `yaml:"p2p"`
	// Catalogs are the WhatsApp Business catalogs by merchant ID (field 42): only the
	// acquirer's merchants listed here are shown in the wallet.
	Catalogs map[string][]Product `yaml:"catalogs"`
}

// PINConfig is how PINs are kept and checked.
type PINConfig struct {
	// Iterations of PBKDF2-HMAC-SHA256 for each PIN hash. A hash keeps the count it was
	// made with, so raising it only makes new hashes slower.
	Iterations int `yaml:"iterations"`
	// Tries is how many wrong PINs in a row lock the user's payments (423) until the
	// PIN is reset.
	Tries int `yaml:"tries"`
}

// Limits are the wallet's limits, with WhatsApp Pay's 2020 figures for transfers.
type Limits struct {
	Payment        bandeira.Amount `yaml:"payment"`          // largest catalog payment or charge
	Transfer       bandeira.Amount `yaml:"transfer"`         // largest transfer
	ReceivedPerDay int             `yaml:"received_per_day"` // transfers a user may receive a Brasília day
	SentPerMonth   bandeira.Amount `yaml:"sent_per_month"`   // what a user may send a calendar month
}

// P2PMerchant is the wallet processor itself: the card acceptor of transfers, and the
// terminal of every request the wallet sends (catalog payments name their merchant in
// field 42 but come from the wallet's terminal).
type P2PMerchant struct {
	ID         string `yaml:"id"`             // field 42
	Name       string `yaml:"name"`           // field 43
	City       string `yaml:"city"`           // field 43
	TerminalID string `yaml:"terminal_id"`    // field 41 of every request the wallet sends
	MCCVisa    string `yaml:"mcc_visa"`       // field 18 on Visa cards: 4829, money transfer
	MCCMaster  string `yaml:"mcc_mastercard"` // field 18 on Mastercard cards: 6538, funding transactions
}

// Product is one item of a catalog.
type Product struct {
	ID    string          `yaml:"id" json:"id"`
	Name  string          `yaml:"name" json:"name"`
	Price bandeira.Amount `yaml:"price" json:"price"`
}

// DefaultConfig returns the defaults: a PIN hash of 600,000 PBKDF2 iterations and 3
// tries, 2-minute challenges, 24-hour charges, R$ 5,000.00 per payment, and WhatsApp's
// 2020 transfer limits (R$ 1,000.00 per transfer, 20 received a day, R$ 5,000.00 sent a
// month).
func DefaultConfig() Config {
	return Config{
		RequestTimeout: 25 * time.Second,
		RequestorID:    "40000000011",
		MaxBodyBytes:   16 << 10,
		PIN:            PINConfig{Iterations: 600_000, Tries: 3},
		ChallengeTTL:   2 * time.Minute,
		ChargeTTL:      24 * time.Hour,
		Limits:         Limits{Payment: 500_000, Transfer: 100_000, ReceivedPerDay: 20, SentPerMonth: 500_000},
		P2P: P2PMerchant{ID: "FACEBOOKPAY0001", Name: "Facebook Pay", City: "Sao Paulo", TerminalID: "FBPAY001",
			MCCVisa: "4829", MCCMaster: "6538"},
		Catalogs: DefaultCatalogs(),
	}
}

// DefaultCatalogs returns the catalogs of the default merchants.
func DefaultCatalogs() map[string][]Product {
	return map[string][]Product{
		"WACATALOGO00001": {
			{ID: "brigadeiros-12", Name: "Caixa com 12 brigadeiros", Price: 3600},
			{ID: "bolo-cenoura", Name: "Bolo de cenoura com cobertura de chocolate", Price: 4500},
			{ID: "pao-de-mel-6", Name: "Pão de mel (6 unidades)", Price: 2400},
		},
		"PADARIA00000001": {
			{ID: "pao-frances-10", Name: "Pão francês (10 unidades)", Price: 850},
			{ID: "pao-de-queijo", Name: "Pão de queijo (500 g)", Price: 2290},
			{ID: "cafe-250g", Name: "Café torrado e moído (250 g)", Price: 1890},
		},
		"RESTAURANTE0001": {
			{ID: "moqueca-2", Name: "Moqueca de peixe para dois", Price: 12900},
			{ID: "acaraje", Name: "Acarajé", Price: 1200},
		},
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.RequestTimeout <= 0 {
		add("request_timeout %s: must be above 0", c.RequestTimeout)
	}
	if len(c.RequestorID) != 11 || !bandeira.IsDigits(c.RequestorID) {
		add("requestor_id %q: want 11 digits", c.RequestorID)
	}
	if c.MaxBodyBytes < 1024 || c.MaxBodyBytes > 1<<20 {
		add("max_body_bytes %d: want 1024 to 1048576", c.MaxBodyBytes)
	}
	if c.PIN.Iterations < 1000 {
		add("pin.iterations %d: want at least 1000", c.PIN.Iterations)
	}
	if c.PIN.Tries < 1 || c.PIN.Tries > 10 {
		add("pin.tries %d: want 1 to 10", c.PIN.Tries)
	}
	if c.ChallengeTTL <= 0 || c.ChargeTTL <= 0 {
		add("challenge_ttl and charge_ttl must be above 0")
	}
	errs = append(errs, c.Limits.validate(), c.P2P.validate(), validateCatalogs(c.Catalogs))
	return errors.Join(errs...)
}

func (l Limits) validate() error {
	if l.Payment <= 0 || l.Transfer <= 0 || l.SentPerMonth <= 0 || l.ReceivedPerDay <= 0 {
		return errors.New("limits: payment, transfer, received_per_day and sent_per_month must be above 0")
	}
	return nil
}

func (p P2PMerchant) validate() error {
	switch {
	case p.ID == "" || len(p.ID) > 15:
		return fmt.Errorf("p2p: id %q: want 1 to 15 characters", p.ID)
	case p.TerminalID == "" || len(p.TerminalID) > 8:
		return fmt.Errorf("p2p: terminal_id %q: want 1 to 8 characters", p.TerminalID)
	case len(p.Name) > 22 || len(p.City) > 13:
		return errors.New("p2p: name is at most 22 characters and city 13")
	case !mcc(p.MCCVisa) || !mcc(p.MCCMaster):
		return errors.New("p2p: mcc_visa and mcc_mastercard: want 4 digits")
	}
	return nil
}

func mcc(s string) bool { return len(s) == 4 && bandeira.IsDigits(s) }

// validateCatalogs checks every product: an ID of letters, digits and '-', unique in its
// catalog, a name and a positive price.
func validateCatalogs(cats map[string][]Product) error {
	for merchant, products := range cats {
		seen := make(map[string]bool)
		for i, p := range products {
			where := fmt.Sprintf("catalogs.%s[%d]", merchant, i)
			switch {
			case !bandeira.IsReference(p.ID):
				return fmt.Errorf("%s: id %q: want 1 to 32 letters, digits, '-' or '_'", where, p.ID)
			case seen[p.ID]:
				return fmt.Errorf("%s: id %q is repeated", where, p.ID)
			case strings.TrimSpace(p.Name) == "" || len(p.Name) > 80:
				return fmt.Errorf("%s: name: want 1 to 80 characters", where)
			case p.Price <= 0:
				return fmt.Errorf("%s: price %d: must be above 0 centavos", where, p.Price)
			}
			seen[p.ID] = true
		}
	}
	return nil
}
