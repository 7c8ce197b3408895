package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
)

// payoutsFor builds sorted payouts, one per (day, merchant) with the given item entry IDs.
func payoutsFor(t *testing.T, spec ...struct {
	day, merchant string
	entries       []int64
}) []acquirer.Payout {
	t.Helper()
	var out []acquirer.Payout
	for _, s := range spec {
		d, err := acquirer.ParseDate(s.day)
		require.NoError(t, err)
		p := acquirer.Payout{Date: d, MerchantID: s.merchant}
		for _, e := range s.entries {
			p.Items = append(p.Items, acquirer.PayoutItem{EntryID: e, Gross: bandeira.Amount(100 * e)})
			p.Gross += bandeira.Amount(100 * e)
		}
		out = append(out, p)
	}
	return out
}

// walk pages through payouts with q's settings and returns every page.
func walk(t *testing.T, payouts []acquirer.Payout, detail bool, limit int) [][]payoutView {
	t.Helper()
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	if detail {
		v.Set("detail", "true")
	}
	var pages [][]payoutView
	for range 100 {
		q, err := parsePageQuery(v)
		require.NoError(t, err)
		page, next := q.page(payouts)
		pages = append(pages, page)
		if next == "" {
			return pages
		}
		v.Set("cursor", next)
	}
	t.Fatal("pagination does not end")
	return nil
}

func TestSettlementPages(t *testing.T) {
	type spec = struct {
		day, merchant string
		entries       []int64
	}
	payouts := payoutsFor(t, spec{"2026-12-01", "A", []int64{1, 4, 7}}, spec{"2026-12-01", "B", []int64{2}},
		spec{"2026-12-02", "A", []int64{3, 5, 6, 8, 9}})

	t.Run("limit counts payouts, and every payout comes once in order", func(t *testing.T) {
		pages := walk(t, payouts, false, 2)
		require.Len(t, pages, 2)
		require.Len(t, pages[0], 2)
		require.Equal(t, "2026-12-02", pages[1][0].Date.String())
		require.Equal(t, 5, pages[1][0].Items)
		require.Nil(t, pages[1][0].Sales, "no sales without detail")
	})
	t.Run("with detail, limit counts sales, and a payout may span pages with its totals", func(t *testing.T) {
		pages := walk(t, payouts, true, 4)
		var seen []int64
		for _, page := range pages {
			n := 0
			for _, p := range page {
				n += len(p.Sales)
				for _, s := range p.Sales {
					seen = append(seen, s.EntryID)
				}
			}
			require.LessOrEqual(t, n, 4)
		}
		require.Equal(t, []int64{1, 4, 7, 2, 3, 5, 6, 8, 9}, seen, "every sale once, in order")
		require.Len(t, pages, 3)
		require.Equal(t, pages[1][0].Gross, pages[2][0].Gross, "the split payout's totals repeat")
		require.Len(t, pages[1][0].Sales, 4)
		require.Len(t, pages[2][0].Sales, 1)
		require.Equal(t, 5, pages[2][0].Items)
	})
	t.Run("a page that ends exactly at a payout's end does not repeat it", func(t *testing.T) {
		pages := walk(t, payouts, true, 3)
		require.Len(t, pages[0], 1)
		require.Equal(t, "B", pages[1][0].MerchantID)
	})
	t.Run("a cursor stays right when the journal grows between pages", func(t *testing.T) {
		q, err := parsePageQuery(url.Values{"limit": {"2"}, "detail": {"true"}})
		require.NoError(t, err)
		first, next := q.page(payouts)
		require.Equal(t, []int64{1, 4}, []int64{first[0].Sales[0].EntryID, first[0].Sales[1].EntryID})
		grown := payoutsFor(t, spec{"2026-12-01", "A", []int64{1, 4, 7, 10}}, spec{"2026-12-01", "B", []int64{2}})
		q, err = parsePageQuery(url.Values{"limit": {"10"}, "detail": {"true"}, "cursor": {next}})
		require.NoError(t, err)
		rest, _ := q.page(grown)
		require.Equal(t, int64(7), rest[0].Sales[0].EntryID)
		require.Equal(t, int64(10), rest[0].Sales[1].EntryID)
	})
	t.Run("no payouts is an empty page", func(t *testing.T) {
		q, err := parsePageQuery(url.Values{})
		require.NoError(t, err)
		page, next := q.page(nil)
		require.Empty(t, page)
		require.NotNil(t, page, "encodes as []")
		require.Empty(t, next)
	})
	t.Run("limits default, cap at the maximum and refuse nonsense", func(t *testing.T) {
		for _, c := range []struct {
			query url.Values
			limit int
			err   string
		}{
			{url.Values{}, defaultPayoutsPerPage, ""},
			{url.Values{"detail": {"true"}}, defaultSalesPerPage, ""},
			{url.Values{"limit": {"1000000"}}, maxPayoutsPerPage, ""},
			{url.Values{"limit": {"1000000"}, "detail": {"true"}}, maxSalesPerPage, ""},
			{url.Values{"limit": {"0"}}, 0, `limit "0": want a whole number from 1 to 1000`},
			{url.Values{"limit": {"ten"}}, 0, `limit "ten"`},
			{url.Values{"cursor": {"bm90IGEgY3Vyc29y"}}, 0, "cursor: not a cursor this endpoint returned"},
			{url.Values{"cursor": {"%%%"}}, 0, "cursor: not a cursor"},
		} {
			q, err := parsePageQuery(c.query)
			if c.err != "" {
				require.ErrorContains(t, err, c.err, "%v", c.query)
				continue
			}
			require.NoError(t, err)
			require.Equal(t, c.limit, q.limit, "%v", c.query)
		}
	})
}

func TestSettlementsEndpointPages(t *testing.T) {
	n := mustStartNet(t)
	mixedTraffic(t, n)
	var all settlementReport
	require.NoError(t, json.Unmarshal([]byte(n.get("/acquirer/settlements?detail=true")), &all))
	require.Empty(t, all.Next, "one page holds everything at the default size")

	t.Run("following next links returns every payout once, with a Link header", func(t *testing.T) {
		var got []payoutView
		path := "/acquirer/settlements?limit=2"
		for path != "" {
			resp, err := http.Get("http://" + n.httpAddr() + path)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			var page settlementReport
			require.NoError(t, json.Unmarshal(body, &page))
			require.LessOrEqual(t, len(page.Payouts), 2)
			got = append(got, page.Payouts...)
			if page.Next != "" {
				require.Equal(t, "<"+page.Next+`>; rel="next"`, resp.Header.Get("Link"))
				require.Contains(t, page.Next, "cursor="+page.NextCursor)
				require.Contains(t, page.Next, "limit=2")
			} else {
				require.Empty(t, resp.Header.Get("Link"))
			}
			path = page.Next
		}
		require.Len(t, got, len(all.Payouts))
		for i := range got {
			require.Equal(t, all.Payouts[i].Date, got[i].Date)
			require.Equal(t, all.Payouts[i].MerchantID, got[i].MerchantID)
			require.Equal(t, all.Payouts[i].Net, got[i].Net)
		}
	})
	t.Run("bad parameters are 400 with the reason", func(t *testing.T) {
		for query, want := range map[string]string{
			"limit=-1":              `limit "-1"`,
			"cursor=abc":            "cursor",
			"merchnt=PADARIA":       `unknown parameter "merchnt"`,
			"from=2026-13-01":       "from",
			"detail=true&limit=0.5": `limit "0.5"`,
		} {
			resp, err := http.Get("http://" + n.httpAddr() + "/acquirer/settlements?" + query)
			require.NoError(t, err)
			var body map[string]string
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, query)
			require.Contains(t, body["error"], want, query)
		}
	})
}
