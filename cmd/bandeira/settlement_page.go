package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
)

// payoutView is one payout in the JSON of `bandeira settlement --format json` and of
// GET /acquirer/settlements: what one merchant is paid on one business day, in centavos.
// Sales holds the sales and refunds behind it only when asked for (--detail,
// detail=true); on a paginated page it holds that page's part of them.
type payoutView struct {
	Date       acquirer.Date         `json:"date"`
	MerchantID string                `json:"merchant_id"`
	Gross      bandeira.Amount       `json:"gross"`
	Refunds    bandeira.Amount       `json:"refunds"`
	MDR        bandeira.Amount       `json:"mdr"`
	Net        bandeira.Amount       `json:"net"`
	Items      int                   `json:"items"` // sale legs and refunds in the payout
	Sales      []acquirer.PayoutItem `json:"sales,omitempty"`
}

func viewOf(p acquirer.Payout, detail bool) payoutView {
	v := payoutView{Date: p.Date, MerchantID: p.MerchantID, Gross: p.Gross, Refunds: p.Refunds, MDR: p.MDR,
		Net: p.Net, Items: len(p.Items)}
	if detail {
		v.Sales = nonNil(p.Items)
	}
	return v
}

// settlementReport is the JSON of `bandeira settlement --format json` and of a page of
// GET /acquirer/settlements. Next and NextCursor are set on a page that is not the last.
type settlementReport struct {
	Payouts    []payoutView `json:"payouts"`
	NextCursor string       `json:"next_cursor,omitempty"`
	Next       string       `json:"next,omitempty"` // the next page's path and query
}

// Page sizes of GET /acquirer/settlements: limit counts payouts, or sales with detail=true.
const (
	defaultPayoutsPerPage = 100
	maxPayoutsPerPage     = 1000
	defaultSalesPerPage   = 1000
	maxSalesPerPage       = 10_000
)

// pageCursor says where a page ended: after the payout of Date and Merchant as a whole
// (Entry 0), or, with detail, after its item of journal entry Entry. Items of a payout are
// in entry order, so the cursor stays right while the journal grows.
type pageCursor struct {
	Date     string `json:"d"`
	Merchant string `json:"m"`
	Entry    int64  `json:"e,omitempty"`
}

func (c pageCursor) encode() string {
	b, _ := json.Marshal(c) // a struct of strings and an int cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (pageCursor, error) {
	var c pageCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err == nil {
		_, err = acquirer.ParseDate(c.Date)
	}
	if err != nil || c.Entry < 0 {
		return pageCursor{}, errors.New("cursor: not a cursor this endpoint returned")
	}
	return c, nil
}

// pageQuery is a parsed request for a page of payouts.
type pageQuery struct {
	detail bool
	limit  int
	after  *pageCursor
}

// parsePageQuery reads detail, limit and cursor. A limit above the maximum is lowered to
// it; one that is not a positive integer is an error.
func parsePageQuery(q url.Values) (pageQuery, error) {
	p := pageQuery{detail: q.Get("detail") == "true" || q.Get("detail") == "1", limit: defaultPayoutsPerPage}
	maxLimit := maxPayoutsPerPage
	if p.detail {
		p.limit, maxLimit = defaultSalesPerPage, maxSalesPerPage
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, fmt.Errorf("limit %q: want a whole number from 1 to %d", s, maxLimit)
		}
		p.limit = min(n, maxLimit)
	}
	if s := q.Get("cursor"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			return p, err
		}
		p.after = &c
	}
	return p, nil
}

// page cuts one page out of payouts (sorted by date, then merchant, as acquirer.Settle
// returns them) and returns it with the cursor of the next page, "" on the last.
func (q pageQuery) page(payouts []acquirer.Payout) ([]payoutView, string) {
	out := []payoutView{}
	budget := q.limit
	for _, p := range payouts {
		items, ok := q.remaining(p)
		if !ok {
			continue
		}
		if budget == 0 { // the page is full and more follows
			return out, q.cursorAfter(out[len(out)-1])
		}
		v := viewOf(p, false)
		if !q.detail {
			out, budget = append(out, v), budget-1
			continue
		}
		n := min(len(items), budget)
		v.Sales = items[:n]
		out, budget = append(out, v), budget-n
		if n < len(items) {
			return out, q.cursorAfter(v)
		}
	}
	return out, ""
}

// remaining returns the items of p that come after the cursor; ok is false when nothing
// of p does.
func (q pageQuery) remaining(p acquirer.Payout) ([]acquirer.PayoutItem, bool) {
	if q.after == nil {
		return p.Items, true
	}
	switch cmp := comparePayout(p, *q.after); {
	case cmp < 0:
		return nil, false
	case cmp > 0:
		return p.Items, true
	case !q.detail || q.after.Entry == 0:
		return nil, false // the cursor's payout was on the previous page as a whole
	}
	items := itemsAfter(p.Items, q.after.Entry)
	return items, len(items) > 0
}

// cursorAfter is the cursor of the page that follows last.
func (q pageQuery) cursorAfter(last payoutView) string {
	c := pageCursor{Date: last.Date.String(), Merchant: last.MerchantID}
	if q.detail {
		c.Entry = last.Sales[len(last.Sales)-1].EntryID
	}
	return c.encode()
}

// comparePayout orders a payout against a cursor by date, then merchant.
func comparePayout(p acquirer.Payout, c pageCursor) int {
	if d := p.Date.String(); d != c.Date {
		if d < c.Date {
			return -1
		}
		return 1
	}
	switch {
	case p.MerchantID < c.Merchant:
		return -1
	case p.MerchantID > c.Merchant:
		return 1
	}
	return 0
}

// itemsAfter returns the items of entries after entry (items are in entry order).
func itemsAfter(items []acquirer.PayoutItem, entry int64) []acquirer.PayoutItem {
	for i, it := range items {
		if it.EntryID > entry {
			return items[i:]
		}
	}
	return nil
}
