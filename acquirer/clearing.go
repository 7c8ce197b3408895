package acquirer

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/bandeira/bandeira"
)

// Transaction codes of presentment records, after Visa BASE II's.
const (
	TCSale   = "05" // sales draft: a purchase
	TCRefund = "06" // credit voucher: a refund
	TCCash   = "07" // cash disbursement: a cash withdrawal
)

// Member kinds of a clearing position.
const (
	MemberAcquirer = "acquirer"
	MemberIssuer   = "issuer"
	MemberBrand    = "brand"
)

// Presentment is one sale or refund presented to its brand for clearing, as it stands
// after its reversals. Amounts are centavos; IssuerAmount and AcquirerAmount are what the
// issuer pays and the acquirer receives through the brand (negative the other way round).
type Presentment struct {
	Record           string           `json:"record"` // "presentment"
	TC               string           `json:"tc"`
	EntryID          int64            `json:"entry_id"`
	SaleDate         Date             `json:"sale_date"`
	AcquirerID       string           `json:"acquirer_id"`
	MerchantID       string           `json:"merchant_id"`
	TerminalID       string           `json:"terminal_id"`
	STAN             string           `json:"stan"`
	TransmissionTime string           `json:"transmission_time"`
	RRN              string           `json:"rrn,omitempty"`
	AuthCode         string           `json:"auth_code,omitempty"`
	Issuer           string           `json:"issuer"`
	Product          bandeira.Product `json:"product"`
	Band             Band             `json:"band"`
	Installments     int              `json:"installments,omitempty"`
	Amount           bandeira.Amount  `json:"amount"` // positive
	Interchange      bandeira.Amount  `json:"interchange"`
	BrandFee         bandeira.Amount  `json:"brand_fee"`
	IssuerAmount     bandeira.Amount  `json:"issuer_pays"`       // sale: amount − interchange; refund: −amount
	AcquirerAmount   bandeira.Amount  `json:"acquirer_receives"` // sale: amount − interchange − brand fee; refund: −amount
}

// Position is one member's net settlement position with a brand for the day: positive
// receives, negative pays. The positions of a brand sum to zero.
type Position struct {
	Record string          `json:"record"` // "position"
	Kind   string          `json:"member_kind"`
	Member string          `json:"member"` // acquirer ID, issuer name or brand
	Net    bandeira.Amount `json:"net"`
}

// BrandClearing is one brand's clearing for a day: its presentments in journal order and
// each member's position.
type BrandClearing struct {
	Brand        bandeira.Brand
	Date         Date
	Presentments []Presentment
	Positions    []Position // acquirers, then issuers, then the brand, each sorted by name
	Sales        bandeira.Amount
	Refunds      bandeira.Amount
	Interchange  bandeira.Amount
	BrandFees    bandeira.Amount
}

// Clear builds the clearing of day from journal entries (every entry, in id order): what
// Effective presents that day (0200 sales, 0100 holds captured that day, refunds, as they
// stand after their reversals; fully reversed ones and uncaptured holds are left out),
// presented to their brand, and each member's position per brand:
//
//	acquirer = Σ sales (amount − interchange − brand fee) − Σ refunds
//	issuer   = −Σ sales on its cards (amount − interchange) + Σ refunds on its cards
//	brand    = Σ brand fees
//
// which sum to zero for every brand. Brands are in name order; a brand with nothing that
// day is absent.
func Clear(entries []Entry, day Date) []BrandClearing {
	byBrand := make(map[bandeira.Brand]*BrandClearing)
	pos := make(map[bandeira.Brand]map[[2]string]bandeira.Amount)
	for _, e := range Effective(entries) {
		if e.SaleDate != day {
			continue
		}
		bc, ok := byBrand[e.Brand]
		if !ok {
			bc = &BrandClearing{Brand: e.Brand, Date: day}
			byBrand[e.Brand], pos[e.Brand] = bc, make(map[[2]string]bandeira.Amount)
		}
		p := presentment(&e)
		bc.Presentments = append(bc.Presentments, p)
		if p.TC == TCRefund {
			bc.Refunds += p.Amount
		} else {
			bc.Sales += p.Amount
		}
		bc.Interchange += p.Interchange
		bc.BrandFees += p.BrandFee
		m := pos[e.Brand]
		m[[2]string{MemberAcquirer, p.AcquirerID}] += p.AcquirerAmount
		m[[2]string{MemberIssuer, p.Issuer}] -= p.IssuerAmount
		m[[2]string{MemberBrand, string(e.Brand)}] += p.BrandFee
	}
	out := make([]BrandClearing, 0, len(byBrand))
	for b, bc := range byBrand {
		bc.Positions = positions(pos[b])
		out = append(out, *bc)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].Brand < out[k].Brand })
	return out
}

func presentment(e *Entry) Presentment {
	p := Presentment{Record: "presentment", TC: TCSale, EntryID: e.ID, SaleDate: e.SaleDate,
		AcquirerID: e.Key.AcquirerID, MerchantID: e.MerchantID, TerminalID: e.Key.TerminalID, STAN: e.Key.STAN,
		TransmissionTime: e.Key.TransmissionTime, RRN: e.RRN, AuthCode: e.AuthCode, Issuer: e.Issuer,
		Product: e.Product, Band: e.Band, Amount: e.Fee.Gross, Interchange: e.Fee.Interchange, BrandFee: e.Fee.BrandFee}
	if e.Installments != nil {
		p.Installments = e.Installments.Count
	}
	switch {
	case e.Kind == EntryRefund:
		p.TC, p.Amount = TCRefund, -e.Fee.Gross
		p.IssuerAmount, p.AcquirerAmount = -p.Amount, -p.Amount
		return p
	case e.TxType == bandeira.TxCash:
		p.TC = TCCash
	}
	p.IssuerAmount = p.Amount - p.Interchange
	p.AcquirerAmount = p.Amount - p.Interchange - p.BrandFee
	return p
}

func positions(m map[[2]string]bandeira.Amount) []Position {
	rank := map[string]int{MemberAcquirer: 0, MemberIssuer: 1, MemberBrand: 2}
	out := make([]Position, 0, len(m))
	for k, v := range m {
		out = append(out, Position{Record: "position", Kind: k[0], Member: k[1], Net: v})
	}
	sort.Slice(out, func(i, k int) bool {
		if out[i].Kind != out[k].Kind {
			return rank[out[i].Kind] < rank[out[k].Kind]
		}
		return out[i].Member < out[k].Member
	})
	return out
}

// clearingHeader and clearingTrailer open and close a clearing file.
type clearingHeader struct {
	Record  string         `json:"record"` // "header"
	Format  string         `json:"format"`
	Brand   bandeira.Brand `json:"brand"`
	Date    Date           `json:"date"`
	Records int            `json:"presentments"`
}

type clearingTrailer struct {
	Record       string          `json:"record"` // "trailer"
	Presentments int             `json:"presentments"`
	Sales        bandeira.Amount `json:"sales"`
	Refunds      bandeira.Amount `json:"refunds"`
	Interchange  bandeira.Amount `json:"interchange"`
	BrandFees    bandeira.Amount `json:"brand_fees"`
	PositionsSum bandeira.Amount `json:"positions_sum"` // always 0
}

// ClearingFormat names the clearing file layout (docs/economics.md).
const ClearingFormat = "bandeira-clearing/1"

// WriteJSONL writes bc as a clearing file in JSON lines: a header, one presentment per
// line, one position per member, and a trailer with counts and totals
// (docs/economics.md, "Clearing and settlement files").
func (bc *BrandClearing) WriteJSONL(w io.Writer) error {
	enc := json.NewEncoder(w)
	if err := enc.Encode(clearingHeader{"header", ClearingFormat, bc.Brand, bc.Date, len(bc.Presentments)}); err != nil {
		return fmt.Errorf("writing the %s clearing file: %w", bc.Brand, err)
	}
	for i := range bc.Presentments {
		if err := enc.Encode(&bc.Presentments[i]); err != nil {
			return fmt.Errorf("writing the %s clearing file: %w", bc.Brand, err)
		}
	}
	var sum bandeira.Amount
	for _, p := range bc.Positions {
		sum += p.Net
		if err := enc.Encode(p); err != nil {
			return fmt.Errorf("writing the %s clearing file: %w", bc.Brand, err)
		}
	}
	t := clearingTrailer{"trailer", len(bc.Presentments), bc.Sales, bc.Refunds, bc.Interchange, bc.BrandFees, sum}
	if err := enc.Encode(t); err != nil {
		return fmt.Errorf("writing the %s clearing file: %w", bc.Brand, err)
	}
	return nil
}
