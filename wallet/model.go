package wallet

import (
	"sync"
	"time"

	"github.com/bandeira/bandeira"
)

// The apps of the Facebook Pay family, the values of the X-App header.
var apps = []string{"whatsapp", "messenger", "instagram", "facebook"}

// defaultApp is the app of a request without X-App.
const defaultApp = "whatsapp"

// Statuses of payments and transfers.
const (
	statusPending   = "pending"   // sent, no answer yet (or a crash came first)
	statusPulled    = "pulled"    // a transfer whose pull was approved, push not answered yet
	statusApproved  = "approved"  // a payment the issuer approved
	statusCompleted = "completed" // a transfer whose push was approved
	statusDeclined  = "declined"  // declined by the network or the issuer; nothing moved
	statusFailed    = "failed"    // no decision, or a push declined: what moved is reversed
)

// Statuses of charges.
const (
	chargeOpen    = "open"
	chargePaid    = "paid"
	chargeExpired = "expired"
	// chargeCancelled is a charge its merchant cancelled before it was paid.
	chargeCancelled = "cancelled"
)

// Reversal states of a payment or transfer.
const (
	reversalSent   = "reversed" // the reversal was acknowledged
	reversalQueued = "queued"   // the reversal waits in the store-and-forward queue
)

// user is a wallet user. Stored as JSON in the users table.
type user struct {
	ID          string    `json:"id"`
	Phone       string    `json:"phone"`
	Name        string    `json:"name"`
	Created     time.Time `json:"created_at"`
	PIN         *pinHash  `json:"pin,omitempty"`
	PINFailures int       `json:"pin_failures"`
	DefaultCard string    `json:"default_card,omitempty"`
	Seq         int64     `json:"seq"`

	confirming sync.Mutex // one confirmation at a time, so PIN tries cannot race the lock
}

// device is a registered device key: ECDSA P-256 or Ed25519, as PKIX DER.
type device struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	PublicKey []byte    `json:"public_key"`
	Algorithm string    `json:"algorithm"`
	Created   time.Time `json:"created_at"`
	Revoked   time.Time `json:"revoked_at,omitzero"` // when the user revoked it: it confirms nothing
	Seq       int64     `json:"seq"`
}

// challenge is a one-time server challenge a device signs.
type challenge struct {
	ID       string    `json:"id"`
	UserID   string    `json:"user_id"`
	DeviceID string    `json:"device_id"`
	Nonce    string    `json:"nonce"`
	For      Purpose   `json:"for"` // what the challenge confirms
	Expires  time.Time `json:"expires_at"`
	Used     bool      `json:"used"`
	Seq      int64     `json:"seq"`
}

// card is a user's card, kept only as its network token. The token number is stored
// sealed (SealedToken, tokenseal.go) and held in clear only in memory (number).
type card struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Token is the token number in clear as schema version 1 stored it; Open seals such
	// rows, and no row is written with it again.
	Token       string           `json:"token,omitempty"`
	SealedToken []byte           `json:"sealed_token,omitempty"` // the token number sealed under the token key
	TokenLast4  string           `json:"token_last4"`
	TokenExpiry string           `json:"token_expiry"` // YYMM
	Brand       bandeira.Brand   `json:"brand"`
	Issuer      string           `json:"issuer"`
	Product     bandeira.Product `json:"product"`
	Last4       string           `json:"last4"`
	Fingerprint string           `json:"fingerprint"` // keyed hash of the PAN, to refuse the same card twice
	Counter     uint32           `json:"counter"`     // the last cryptogram counter used
	Created     time.Time        `json:"created_at"`
	Removed     time.Time        `json:"removed_at,omitzero"` // when the user removed it (removal.go)
	Seq         int64            `json:"seq"`

	number string // the token number, in memory only: never logged in full, never stored in clear
}

// msgKey is what names a request the wallet sent: its terminal (the wallet's own), STAN
// and transmission time; the acquirer ID is the wallet's.
type msgKey struct {
	STAN             string    `json:"stan"`
	TransmissionTime string    `json:"transmission_time"`
	Terminal         string    `json:"terminal"`
	At               time.Time `json:"at"`
}

// item is one line of a payment.
type item struct {
	ProductID string          `json:"product_id"`
	Name      string          `json:"name"`
	Quantity  int             `json:"quantity"`
	Price     bandeira.Amount `json:"price"`
	Amount    bandeira.Amount `json:"amount"`
}

// payment is a catalog purchase or a charge paid.
type payment struct {
	ID           string          `json:"id"`
	UserID       string          `json:"user_id"`
	CardID       string          `json:"card_id"`
	MerchantID   string          `json:"merchant_id"`
	ChargeID     string          `json:"charge_id,omitempty"`
	App          string          `json:"app"`
	Items        []item          `json:"items,omitempty"`
	Installments int             `json:"installments,omitempty"`
	Amount       bandeira.Amount `json:"amount"`
	Fee          bandeira.Amount `json:"merchant_fee"`
	Net          bandeira.Amount `json:"merchant_net"`
	Status       string          `json:"status"`
	Code         string          `json:"response_code,omitempty"`
	Reason       string          `json:"reason,omitempty"`
	AuthCode     string          `json:"auth_code,omitempty"`
	Reversal     string          `json:"reversal,omitempty"`
	Key          msgKey          `json:"key"`
	Created      time.Time       `json:"created_at"`
	Seq          int64           `json:"seq"`
}

// transfer is a person-to-person transfer: a pull from the sender's card (account
// funding, processing code 10) and a push to the recipient's default card (original
// credit, 26).
type transfer struct {
	ID       string          `json:"id"`
	FromUser string          `json:"from_user_id"`
	ToUser   string          `json:"to_user_id"`
	CardID   string          `json:"card_id"`
	ToCardID string          `json:"to_card_id"`
	App      string          `json:"app"`
	Amount   bandeira.Amount `json:"amount"`
	Message  string          `json:"message,omitempty"`
	Status   string          `json:"status"`
	Code     string          `json:"response_code,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Reversal string          `json:"reversal,omitempty"`
	Pull     msgKey          `json:"pull"`
	Push     msgKey          `json:"push"`
	Created  time.Time       `json:"created_at"`
	Seq      int64           `json:"seq"`
}

// charge is a bill a merchant sends to a phone number in the chat.
type charge struct {
	ID          string          `json:"id"`
	MerchantID  string          `json:"merchant_id"`
	ToPhone     string          `json:"to_phone"`
	Amount      bandeira.Amount `json:"amount"`
	Description string          `json:"description"`
	Status      string          `json:"status"`
	PaymentID   string          `json:"payment_id,omitempty"`
	Created     time.Time       `json:"created_at"`
	Expires     time.Time       `json:"expires_at"`
	Cancelled   time.Time       `json:"cancelled_at,omitzero"` // when its merchant cancelled it
	Seq         int64           `json:"seq"`

	paying bool // a payment of it is in flight
}

// idempotency binds an Idempotency-Key to the first request made with it and the
// resource it created.
type idempotency struct {
	ID       string `json:"id"` // scope + key
	Hash     string `json:"hash"`
	Kind     string `json:"kind"`
	Resource string `json:"resource"`
	Seq      int64  `json:"seq"`
}

// Merchant is an acquirer's merchant as the wallet knows it: what a wallet processor is
// told when a business signs up.
type Merchant struct {
	ID   string // field 42
	Name string
	MCC  string
	City string
}
