package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/internal/saf"
	"github.com/bandeira/bandeira/issuers/books"
	"github.com/bandeira/bandeira/issuers/ledger"
	"github.com/bandeira/bandeira/network"
)

// The kinds of divergence the network-wide audit reports (docs/architecture.md, "The
// network-wide audit").
const (
	divAmount       = "amount"        // the issuer and the acquirer disagree on a key's amount in effect
	divState        = "state"         // a hold captured at one party and not at the other
	divIssuerOnly   = "issuer_only"   // money in effect at an issuer that the acquirer never booked
	divAcquirerOnly = "acquirer_only" // a booked sale or refund no issuer has in effect
	divDoubled      = "doubled"       // one key approved at two issuers, or journaled twice
	divStandIn      = "stand_in"      // a stand-in approval the issuer never recorded
	divClearing     = "clearing"      // an issuer's presentments differ from what its books settled
	divPayout       = "payout"        // the payouts differ from what was presented
	divQueued       = "queued"        // a message still owed to a party in a store-and-forward queue
)

// divergence is one disagreement between parties. Amounts are centavos, signed: a
// refund's is negative.
type divergence struct {
	Kind     string          `json:"kind"`
	Key      string          `json:"key,omitempty"` // acquirer ID/terminal/STAN/field 7, normal form
	Issuer   string          `json:"issuer,omitempty"`
	Brand    bandeira.Brand  `json:"brand,omitempty"`
	AtIssuer bandeira.Amount `json:"issuer_centavos"`
	Acquirer bandeira.Amount `json:"acquirer_centavos"`
	Detail   string          `json:"detail"`
}

// String is the divergence as one line of the text report.
func (d divergence) String() string {
	s := d.Kind
	if d.Key != "" {
		s += " " + d.Key
	}
	if d.Issuer != "" {
		s += " at " + d.Issuer
	}
	return s + ": " + d.Detail
}

// parties is what the audit reads from one data directory: every issuer's requests, the
// acquirer's journal, the networks' stand-in decisions and what is still queued.
type partiesData struct {
	requests map[string][]books.Request // by issuer
	journal  []acquirer.Entry
	standIns []network.StandIn
	queued   []saf.Pending
	calendar *acquirer.Calendar
}

// netTotals summarises what the network-wide audit compared.
type netTotals struct {
	Keys      int             `json:"keys"`      // money-moving keys compared
	StandIns  int             `json:"stand_ins"` // stand-in decisions checked
	Queued    int             `json:"queued"`
	Presented bandeira.Amount `json:"presented_centavos"` // sales minus refunds presented
}

// keyText renders a key in normal form as the audit prints it.
func keyText(k bandeira.Key) string {
	k = k.Normal()
	return k.AcquirerID + "/" + k.TerminalID + "/" + k.STAN + "/" + k.TransmissionTime
}

// normalKeyText is a key as the queues store it (acquirer ID/terminal/STAN/field 7, as on
// the wire) in normal form; anything else unchanged.
func normalKeyText(s string) string {
	f := strings.Split(s, "/")
	if len(f) != 4 {
		return s
	}
	return keyText(bandeira.Key{AcquirerID: f[0], TerminalID: f[1], STAN: f[2], TransmissionTime: f[3]})
}

// issuerSide is what the issuers hold for one key: the money-moving requests approved
// under it, by issuer.
type issuerSide struct {
	issuers  []string
	amount   bandeira.Amount // signed: credits negative
	captured bool
	hold     bool
	seen     bool // some issuer recorded the key (approved or not)
}

// acquirerSide is what the acquirer's journal holds for one key.
type acquirerSide struct {
	entries  int
	amount   bandeira.Amount // the sale's or refund's gross after its amendments
	captured bool
	hold     bool
	issuer   string
	brand    bandeira.Brand
}

// reconcile compares the parties' data key by key and in total, and returns every
// divergence, in a stable order, with the totals it compared.
func reconcile(p partiesData) ([]divergence, netTotals) {
	is := issuerKeys(p.requests)
	acq, divs := journalKeys(p.journal)
	var t netTotals
	keys := make(map[bandeira.Key]bool, len(is)+len(acq))
	for k, s := range is {
		if s.amount != 0 || len(s.issuers) > 0 {
			keys[k] = true
		}
	}
	for k := range acq {
		keys[k] = true
	}
	for k := range keys {
		t.Keys++
		divs = append(divs, compareKey(k, is[k], acq[k])...)
	}
	for _, d := range p.standIns {
		if !d.Code.Approved() {
			continue
		}
		t.StandIns++
		if s := is[d.Key.Normal()]; s == nil || !s.seen {
			divs = append(divs, divergence{Kind: divStandIn, Key: keyText(d.Key), Issuer: d.Issuer, Acquirer: d.Amount,
				Detail: fmt.Sprintf("the network approved %s in stand-in (auth code %s); the issuer never recorded it", d.Amount, d.AuthCode)})
		}
	}
	cd, presented := checkClearing(p)
	divs = append(divs, cd...)
	t.Presented = presented
	for _, q := range p.queued {
		t.Queued++
		divs = append(divs, divergence{Kind: divQueued, Key: normalKeyText(q.Key),
			Detail: fmt.Sprintf("%s still queued on %s since %s", q.MTI, q.Queue, q.Enqueued.UTC().Format("2006-01-02T15:04:05Z"))})
	}
	sort.SliceStable(divs, func(i, j int) bool {
		if divs[i].Kind != divs[j].Kind {
			return divs[i].Kind < divs[j].Kind
		}
		return divs[i].Key < divs[j].Key
	})
	return divs, t
}

// journaled reports whether the acquirer journals a request of issuer type typ: purchases,
// cash and refunds. The legs of a wallet's transfer (account funding 10, original credit
// 26) move money between cardholders, not to a merchant: the acquirer books neither.
func journaled(typ int) bool {
	if typ == 0 {
		return true // recorded before types were kept
	}
	tx := typ % 1_000_000 / 10_000
	return tx != 10 && tx != 26
}

// issuerKeys indexes the issuers' money-moving requests by key (normal form).
func issuerKeys(requests map[string][]books.Request) map[bandeira.Key]*issuerSide {
	out := make(map[bandeira.Key]*issuerSide)
	for _, issuer := range slices.Sorted(maps.Keys(requests)) {
		for _, r := range requests[issuer] {
			if r.Kind != ledger.Hold && r.Kind != ledger.Debit && r.Kind != ledger.Credit || !journaled(r.Type) {
				continue
			}
			s := out[r.Key]
			if s == nil {
				s = &issuerSide{}
				out[r.Key] = s
			}
			s.seen = true
			if !r.Approved() {
				continue
			}
			s.issuers = append(s.issuers, issuer)
			amount := r.InEffect
			if r.Kind == ledger.Credit {
				amount = -amount
			}
			s.amount += amount
			s.hold = r.Kind == ledger.Hold
			s.captured = r.State == ledger.StateCaptured
		}
	}
	return out
}

// journalKeys indexes the journal's sales and refunds by key, each at its gross after its
// amendments; a key journaled twice is a divergence.
func journalKeys(entries []acquirer.Entry) (map[bandeira.Key]*acquirerSide, []divergence) {
	out := make(map[bandeira.Key]*acquirerSide)
	var divs []divergence
	amended, captured := acquirer.Amended(entries)
	for i, e := range amended {
		k := e.Key.Normal()
		s := out[k]
		if s == nil {
			s = &acquirerSide{}
			out[k] = s
		}
		s.entries++
		s.amount += e.Fee.Gross
		s.hold = e.Kind == acquirer.EntrySale && e.MTI.Class() == '1'
		s.captured = captured[i]
		s.issuer, s.brand = e.Issuer, e.Brand
		if s.entries == 2 {
			divs = append(divs, divergence{Kind: divDoubled, Key: keyText(k), Issuer: e.Issuer, Brand: e.Brand,
				Detail: "the acquirer journaled the key twice"})
		}
	}
	return out, divs
}

// compareKey compares what the issuers and the acquirer hold for key k; either may be nil.
func compareKey(k bandeira.Key, is *issuerSide, acq *acquirerSide) []divergence {
	if is == nil {
		is = &issuerSide{}
	}
	if acq == nil {
		acq = &acquirerSide{}
	}
	d := divergence{Key: keyText(k), Issuer: acq.issuer, Brand: acq.brand, AtIssuer: is.amount, Acquirer: acq.amount}
	if len(is.issuers) > 0 {
		d.Issuer = is.issuers[0]
	}
	var divs []divergence
	if len(is.issuers) > 1 {
		dd := d
		dd.Kind, dd.Detail = divDoubled, fmt.Sprintf("approved at %d issuers: %v", len(is.issuers), is.issuers)
		divs = append(divs, dd)
	}
	switch {
	case is.amount == acq.amount && is.amount != 0 && is.hold && acq.hold && is.captured != acq.captured:
		d.Kind, d.Detail = divState, fmt.Sprintf("the hold is %s at the issuer and %s in the acquirer's journal",
			capturedText(is.captured), capturedText(acq.captured))
	case is.amount == acq.amount:
		return divs
	case acq.amount == 0:
		d.Kind, d.Detail = divIssuerOnly, fmt.Sprintf("the issuer has %s in effect; the acquirer booked nothing", is.amount)
	case is.amount == 0:
		d.Kind, d.Detail = divAcquirerOnly, fmt.Sprintf("the acquirer booked %s; no issuer has it in effect", acq.amount)
	default:
		d.Kind, d.Detail = divAmount, fmt.Sprintf("the issuer has %s in effect, the acquirer's journal %s", is.amount, acq.amount)
	}
	return append(divs, d)
}

func capturedText(captured bool) string {
	if captured {
		return "captured"
	}
	return "not captured"
}

// checkClearing checks, per issuer, that what the acquirer presents across every clearing
// day (sales minus refunds) is what the issuer's books settled for the acquirer's traffic,
// and that the merchants' payouts pay exactly what was presented. It returns the
// divergences and the total presented.
func checkClearing(p partiesData) ([]divergence, bandeira.Amount) {
	days := map[acquirer.Date]bool{}
	for _, e := range acquirer.Effective(p.journal) {
		days[e.SaleDate] = true
	}
	presented := map[string]bandeira.Amount{}
	var total bandeira.Amount
	for day := range days {
		for _, bc := range acquirer.Clear(p.journal, day) {
			for _, pr := range bc.Presentments {
				amount := pr.Amount
				if pr.TC == acquirer.TCRefund {
					amount = -amount
				}
				presented[pr.Issuer] += amount
				total += amount
			}
		}
	}
	settled := map[string]bandeira.Amount{}
	for issuer, rs := range p.requests {
		for _, r := range rs {
			if !r.Approved() || !journaled(r.Type) {
				continue
			}
			switch {
			case r.Kind == ledger.Debit, r.Kind == ledger.Hold && r.State == ledger.StateCaptured:
				settled[issuer] += r.InEffect
			case r.Kind == ledger.Credit:
				settled[issuer] -= r.InEffect
			}
		}
	}
	var divs []divergence
	for _, issuer := range sortedKeys(presented, settled) {
		if presented[issuer] != settled[issuer] {
			divs = append(divs, divergence{Kind: divClearing, Issuer: issuer, AtIssuer: settled[issuer], Acquirer: presented[issuer],
				Detail: fmt.Sprintf("presented %s net of refunds; the issuer's books settled %s", presented[issuer], settled[issuer])})
		}
	}
	if p.calendar != nil {
		divs = append(divs, checkPayouts(p, total)...)
	}
	return divs, total
}

// checkPayouts checks that the merchants' payouts, all dates, pay the gross of what was
// presented, net of refunds.
func checkPayouts(p partiesData, presented bandeira.Amount) []divergence {
	payouts, err := acquirer.Settle(p.journal, p.calendar, acquirer.SettlementFilter{})
	if err != nil {
		return []divergence{{Kind: divPayout, Detail: fmt.Sprintf("the payouts cannot be computed: %v", err)}}
	}
	var paid bandeira.Amount
	for _, po := range payouts {
		paid += po.Gross - po.Refunds
	}
	if paid != presented {
		return []divergence{{Kind: divPayout, AtIssuer: presented, Acquirer: paid,
			Detail: fmt.Sprintf("the payouts pay %s gross net of refunds; %s was presented", paid, presented)}}
	}
	return nil
}

// sortedKeys returns the keys of both maps, sorted, once each.
func sortedKeys(a, b map[string]bandeira.Amount) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]bandeira.Amount{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
