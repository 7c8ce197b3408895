package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// The chaos client's completions, reversals and retransmits of the requests it sent.

// choose returns one of the originals ok accepts, drawn from rng, or nil. With chains set
// it prefers originals the client has reversed already, so chains of reversals grow.
func (c *chaosClient) choose(rng *rand.Rand, chains bool, ok func(o *chaosOriginal) bool) *chaosOriginal {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all, reversed []*chaosOriginal
	for _, o := range c.originals {
		if !ok(o) {
			continue
		}
		all = append(all, o)
		if len(o.follow) > 0 {
			reversed = append(reversed, o)
		}
	}
	if chains && len(reversed) > 0 && rng.IntN(2) == 0 {
		all = reversed
	}
	if len(all) == 0 {
		return nil
	}
	return all[rng.IntN(len(all))]
}

// followUp records f as sent for its original, before it is sent: from then on it may
// take effect.
func (c *chaosClient) followUp(f *chaosFollowUp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.orig.follow = append(f.orig.follow, f)
	c.followUps = append(c.followUps, f)
}

// acknowledge records the answer to a follow-up.
func (c *chaosClient) acknowledge(f *chaosFollowUp, resp iso.Message, ok bool) {
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f.answered, f.code, f.remaining = true, resp.Get(39), ""
	if resp.Has(95) {
		f.remaining = resp.Get(95)[:12]
	}
}

// complete sends an 0220 capturing part or all of an approved, uncaptured 0100 hold.
func (c *chaosClient) complete(rng *rand.Rand, conn *iso.Client) {
	o := c.choose(rng, false, func(o *chaosOriginal) bool {
		return o.approved() && o.msg.MTI == "0100" && o.msg.Get(3) == "000000" && len(o.follow) == 0
	})
	if o == nil {
		return
	}
	capture := o.amount
	if rng.IntN(2) == 0 {
		capture = bandeira.Amount(1 + rng.IntN(int(o.amount)))
	}
	m := c.n.request("0220", o.card, o.msg.Get(3), capture)
	m.Set(90, fieldNinety(o.msg))
	f := &chaosFollowUp{orig: o, msg: m, target: capture}
	c.followUp(f)
	resp, ok := c.send(conn, "completion 0220", m)
	c.acknowledge(f, resp, ok)
}

// reverse sends an 0400 for an approved original with money in effect: in full, or
// partially (field 95) down to a random amount. With otherCard it carries a card of
// another issuer of the same brand (the gateway's field 100 routes it to the original's
// issuer); now and then it reuses the original's STAN and field 7, as timeout reversals do.
func (c *chaosClient) reverse(rng *rand.Rand, conn *iso.Client, otherCard bool) {
	o := c.choose(rng, true, func(o *chaosOriginal) bool { return o.approved() && o.intended() > 0 })
	if o == nil {
		return
	}
	c.mu.Lock()
	left := o.intended()
	reuse := !o.keyReused && rng.IntN(5) == 0
	o.keyReused = o.keyReused || reuse
	c.mu.Unlock()
	card, kind := o.card, "reversal 0400"
	if otherCard {
		card, kind = c.otherIssuersCard(rng, o), "reversal 0400, another issuer's card"
	}
	m := c.n.reversalOf(o.msg, card, o.amount)
	var target bandeira.Amount
	if rng.IntN(100) < 55 && left > 1 {
		target = bandeira.Amount(1 + rng.IntN(int(left-1)))
		m.Set(95, replacementAmounts(target))
		kind = strings.Replace(kind, "reversal", "partial reversal", 1)
	}
	if reuse {
		m.Set(11, o.msg.Get(11))
		m.Set(7, o.msg.Get(7))
		kind += ", the original's STAN and field 7"
	}
	f := &chaosFollowUp{orig: o, msg: m, target: target}
	c.followUp(f)
	resp, ok := c.send(conn, kind, m)
	c.acknowledge(f, resp, ok)
}

// otherIssuersCard returns a regular card of o's brand from another issuer.
func (c *chaosClient) otherIssuersCard(rng *rand.Rand, o *chaosOriginal) issuers.Card {
	for {
		card := c.pick(rng, c.regular)
		if card.Brand == o.card.Brand && card.Issuer != o.card.Issuer {
			return card
		}
	}
}

// retransmit sends an answered original again, as it was (an identical retransmit) or
// as a repeat (0101, 0201): it must get its first answer.
func (c *chaosClient) retransmit(rng *rand.Rand, conn *iso.Client) {
	o := c.choose(rng, false, func(o *chaosOriginal) bool { return o.answered })
	if o == nil {
		return
	}
	m, kind := o.msg.Clone(), "exact duplicate"
	if rng.IntN(2) == 0 {
		m.MTI, kind = repeatMTI(m.MTI), "repeat "+repeatMTI(m.MTI)
	}
	resp, ok := c.send(conn, kind, m)
	c.answer(o, resp, ok)
}

// inFlightRetransmit sends a new purchase and, at the same time on another connection,
// its identical retransmit or repeat: both must get the same answer.
func (c *chaosClient) inFlightRetransmit(rng *rand.Rand, conn *iso.Client) {
	mti := []string{"0100", "0200"}[rng.IntN(2)]
	m := c.purchase(rng, mti, c.pick(rng, c.regular))
	o := c.track(m)
	again := m.Clone()
	if rng.IntN(2) == 0 {
		again.MTI = repeatMTI(mti)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		resp, ok := c.send(c.conns[len(c.conns)-1], "retransmit in flight", again)
		c.answer(o, resp, ok)
	})
	resp, ok := c.send(conn, "purchase "+mti, m)
	c.answer(o, resp, ok)
	wg.Wait()
}

// timeoutReversal sends a new purchase and, at the same time, its full reversal with the
// original's STAN and field 7, as an acquirer does when it gave up on the answer: the
// reversal may reach the issuer first.
func (c *chaosClient) timeoutReversal(rng *rand.Rand, conn *iso.Client) {
	mti := []string{"0100", "0200"}[rng.IntN(2)]
	m := c.purchase(rng, mti, c.pick(rng, c.regular))
	o := c.track(m)
	rev := c.n.reversalOf(m, o.card, o.amount)
	rev.Set(11, m.Get(11))
	rev.Set(7, m.Get(7))
	f := &chaosFollowUp{orig: o, msg: rev}
	c.mu.Lock()
	o.keyReused = true
	c.mu.Unlock()
	c.followUp(f)
	var wg sync.WaitGroup
	wg.Go(func() {
		resp, ok := c.send(c.conns[len(c.conns)-1], "timeout reversal, before or after its original", rev)
		c.acknowledge(f, resp, ok)
	})
	resp, ok := c.send(conn, "purchase "+mti, m)
	c.answer(o, resp, ok)
	wg.Wait()
}

// fieldNinety is field 90 naming orig.
func fieldNinety(orig iso.Message) string {
	acq := orig.Get(32)
	return orig.MTI + orig.Get(11) + orig.Get(7) + strings.Repeat("0", 11-len(acq)) + acq + strings.Repeat("0", 11)
}

// replacementAmounts is field 95 leaving amount in effect.
func replacementAmounts(amount bandeira.Amount) string {
	return fmt.Sprintf("%012d%012d%012d000000", amount, amount, amount)
}

// repeatMTI is the repeat of a request or advice MTI: 0100 → 0101, 0220 → 0221.
func repeatMTI(mti string) string { return mti[:3] + "1" }
