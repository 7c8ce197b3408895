package loadtest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
)

func TestLayoutMatchesTheCodec(t *testing.T) {
	t.Run("every field of the dialect scans back where iso.Pack put it", func(t *testing.T) {
		values := map[int]string{2: "4000010100000017", 35: "4000010100000017=2912", 48: "CV003123",
			52: "0123456789ABCDEF", 54: "0001986C000000001000", 55: "9F2701", 90: fmt.Sprintf("%042d", 7), 100: "001"}
		for n, w := range dialect {
			if w.fixed == 0 && w.digits == 0 {
				continue
			}
			v, ok := values[n]
			if !ok {
				v = make1(w.fixed)
			}
			body, err := iso.Pack(iso.Message{MTI: "0100", Fields: map[int]string{n: v, 11: "000001"}})
			require.NoError(t, err, "field %d", n)
			want, err := iso.Unpack(body)
			require.NoError(t, err)
			got := map[int]string{}
			require.NoError(t, dialect.scan(body, func(n int, s span) { got[n] = string(body[s.start:s.end]) }), "field %d", n)
			require.Equal(t, want.Fields, got, "field %d", n)
		}
	})
	t.Run("a truncated or padded message is malformed", func(t *testing.T) {
		body, err := iso.Pack(iso.Message{MTI: "0100", Fields: map[int]string{2: "4000010100000017", 11: "000001"}})
		require.NoError(t, err)
		require.ErrorIs(t, dialect.scan(body[:len(body)-1], func(int, span) {}), errMalformed)
		require.ErrorIs(t, dialect.scan(append(body, '0'), func(int, span) {}), errMalformed)
		require.ErrorIs(t, dialect.scan(body[:10], func(int, span) {}), errMalformed)
	})
}

// make1 returns a value of n '1' characters (valid in numeric and text fields alike).
func make1(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '1'
	}
	return string(b)
}

func TestPatchedMessagesUnpackToTheIntendedFields(t *testing.T) {
	cards := testCards()
	var all Mix
	for k := range all {
		all[k] = 1
	}
	p, err := newPlan(all, cards, testMerchant())
	require.NoError(t, err)
	require.NotNil(t, p.tmpl[Installments][16], "installments on both credit card lengths")
	require.NotNil(t, p.tmpl[Installments][19])
	now := time.Date(2026, 3, 9, 2, 4, 5, 0, time.UTC) // 23:04:05 on 8 March in Brasília
	var clk clockFields
	clk.update(now)
	tr := newTraffic(p, 42, 7)
	approvals := []approval{{card: 1, amount: 990, stan: 123456, f7: clk.f7}} // the newest last
	tr.remember(approvals[0])

	seen := map[Kind]bool{}
	for stan := uint32(1); stan <= 400; stan++ {
		buf, s := tr.appendRequest(nil, stan, &clk)
		got, err := iso.Unpack(buf[2:])
		require.NoError(t, err)
		require.Equal(t, len(buf)-2, int(buf[0])<<8|int(buf[1]), "the length header is the body's")
		var orig approval
		if s.kind == Reversal {
			orig, approvals = approvals[len(approvals)-1], approvals[:len(approvals)-1]
			require.Equal(t, orig.card, s.card, "a reversal repeats the original's card")
			require.Equal(t, orig.amount, s.amount, "and amount")
		}
		require.Equal(t, intended(t, s, stan, orig, cards), got, "%s STAN %d", s.kind, stan)
		if s.kind == Installments {
			a, err := iso.ToAuthorization(got)
			require.NoError(t, err)
			require.Equal(t, &bandeira.Installments{Plan: s.plan, Count: int(s.count)}, a.Installments,
				"the IP tag reads back as the plan drawn")
			require.Equal(t, bandeira.Credit, bandeira.Product(cards[s.card].Product))
		}
		seen[s.kind] = true
		if s.kind == Purchase && stan%2 == 0 {
			a := approval{card: s.card, amount: s.amount, stan: stan, f7: clk.f7}
			tr.remember(a)
			approvals = append(approvals, a)
		}
	}
	require.Len(t, seen, int(numKinds), "every kind was checked")
}

// intended builds, field by field through the codec, the message a request should be.
func intended(t *testing.T, s sent, stan uint32, orig approval, cards []Card) iso.Message {
	t.Helper()
	m := testMerchant()
	want := iso.Message{MTI: "0200", Fields: map[int]string{7: "0309020405", 11: fmt.Sprintf("%06d", stan)}}
	if s.kind == Echo {
		want.MTI = "0800"
		want.Fields[70] = "301"
		return want
	}
	c := cards[s.card]
	for n, v := range map[int]string{
		2: c.PAN.Digits(), 3: "000000", 4: fmt.Sprintf("%012d", s.amount), 12: "230405", 13: "0308", 14: c.Expiry,
		18: m.MCC, 19: "076", 22: "012", 25: "00", 32: m.AcquirerID, 37: fmt.Sprintf("606802%06d", stan),
		41: "LT000042", 42: m.MerchantID, 43: m.NameLocation, 49: "986",
	} {
		want.Fields[n] = v
	}
	switch s.kind {
	case Refund:
		want.Fields[3] = "200000"
	case Balance:
		want.MTI, want.Fields[3] = "0100", "310000"
	case Decline:
		require.NotEmpty(t, c.Scenario)
	case Installments:
		want.Fields[48] = fmt.Sprintf("IP003%c%02d", byte(s.plan), s.count)
	case Reversal:
		want.MTI = "0400"
		delete(want.Fields, 14)
		want.Fields[90] = fmt.Sprintf("0200%06d%s%011s%011d", orig.stan, orig.f7[:], m.AcquirerID, 0)
	}
	if s.kind != Decline {
		require.Empty(t, c.Scenario)
	}
	body, err := iso.Pack(want)
	require.NoError(t, err)
	out, err := iso.Unpack(body)
	require.NoError(t, err)
	return out
}

func TestInstallmentsAreDrawnFromTheSeed(t *testing.T) {
	p, err := newPlan(Mix{Installments: 1}, testCards(), testMerchant())
	require.NoError(t, err)
	var clk clockFields
	clk.update(time.Date(2026, 3, 9, 2, 4, 5, 0, time.UTC))
	draw := func(seed uint64) ([]byte, map[bandeira.InstallmentPlan]map[int]int) {
		tr := newTraffic(p, 3, seed)
		counts := map[bandeira.InstallmentPlan]map[int]int{bandeira.PlanLojista: {}, bandeira.PlanEmissor: {}}
		var buf []byte
		for stan := uint32(1); stan <= 3000; stan++ {
			var s sent
			buf, s = tr.appendRequest(buf, stan, &clk)
			require.Equal(t, Installments, s.kind)
			require.Contains(t, counts, s.plan)
			counts[s.plan][int(s.count)]++
		}
		return buf, counts
	}
	first, counts := draw(42)

	t.Run("lojista draws every count from 2 to 12 and emissor every count from 2 to 24", func(t *testing.T) {
		for plan, max := range map[bandeira.InstallmentPlan]int{bandeira.PlanLojista: 12, bandeira.PlanEmissor: 24} {
			require.Len(t, counts[plan], max-1, "plan %c", byte(plan))
			for n := range counts[plan] {
				require.True(t, n >= 2 && n <= max, "plan %c count %d", byte(plan), n)
			}
		}
	})
	t.Run("the plans come in roughly equal shares", func(t *testing.T) {
		lojista := 0
		for _, c := range counts[bandeira.PlanLojista] {
			lojista += c
		}
		require.InDelta(t, 1500, lojista, 200)
	})
	t.Run("the same seed repeats the run byte for byte and another seed does not", func(t *testing.T) {
		again, _ := draw(42)
		require.Equal(t, first, again)
		other, _ := draw(43)
		require.NotEqual(t, first, other)
	})
}

func TestInstallmentsNeedCreditCards(t *testing.T) {
	var debit []Card
	for _, c := range testCards() {
		if c.Product != "credit" {
			debit = append(debit, c)
		}
	}
	_, err := newPlan(Mix{Installments: 1}, debit, testMerchant())
	require.ErrorContains(t, err, "installments but no card suits it (it needs regular credit cards)")
}
