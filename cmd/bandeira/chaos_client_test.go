package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers"
)

// The chaos test's client: several terminals sending mixed traffic to the gateway, each on
// its own connection, and the record a careful integrator keeps of what it was answered.

// chaosOriginal is one money-moving request the client sent (an 0100 or 0200 with an
// amount), what it was answered, and what the client asked of it afterwards.
type chaosOriginal struct {
	msg       iso.Message // as first sent
	card      issuers.Card
	amount    bandeira.Amount
	answered  bool
	code      string           // field 39 of the first answer
	authCode  string           // field 38
	standIn   string           // field 44: the network decided
	follow    []*chaosFollowUp // the completions and reversals the client sent for it
	keyReused bool             // a reversal already carries this original's STAN and field 7
}

// approved reports whether the client holds an approval for o.
func (o *chaosOriginal) approved() bool { return o.answered && o.code == "00" }

// intended is the amount the client expects in effect for o: 0 unless it was approved,
// else its amount brought down by every completion and reversal it sent (each leaves at
// most its target in effect, in any order), but those the issuer declined. The caller
// holds the client's lock.
func (o *chaosOriginal) intended() bandeira.Amount {
	if !o.approved() {
		return 0
	}
	v := o.amount
	for _, f := range o.follow {
		if !f.declined() {
			v = min(v, f.target)
		}
	}
	return v
}

// chaosFollowUp is a reversal or completion the client sent for an original.
type chaosFollowUp struct {
	orig      *chaosOriginal
	msg       iso.Message
	target    bandeira.Amount // what it leaves in effect (reversal) or captures (completion)
	answered  bool
	code      string
	remaining string // field 95 of the answer, "" when absent
}

// acknowledged reports whether the issuer's side acknowledged f (00).
func (f *chaosFollowUp) acknowledged() bool { return f.answered && f.code == "00" }

// declined reports whether the issuer refused f: only a refund's reversal the card can no
// longer cover is (51); it changed nothing.
func (f *chaosFollowUp) declined() bool { return f.answered && f.code == "51" }

// chaosClient drives the traffic and keeps the record. Its methods are safe for
// concurrent use.
type chaosClient struct {
	t       *testing.T
	n       *testNet
	conns   []*iso.Client // one per terminal, and the last for retransmits in flight
	regular []issuers.Card
	credit  []issuers.Card
	special []issuers.Card // scenario cards: declines, no answer, slow

	mu         sync.Mutex
	originals  []*chaosOriginal
	followUps  []*chaosFollowUp
	sent       map[string]int // requests by kind
	unanswered int            // requests that got no answer (the gateway was down, or the connection)
	k1         []string       // retransmits answered otherwise than their original
}

func newChaosClient(t *testing.T, n *testNet, terminals int) *chaosClient {
	c := &chaosClient{t: t, n: n, sent: map[string]int{}}
	for _, card := range n.cards {
		switch card.Scenario {
		case "":
			c.regular = append(c.regular, card)
			if card.Product == bandeira.Credit {
				c.credit = append(c.credit, card)
			}
		case issuers.ScenarioInsufficientFunds, issuers.ScenarioExpired, issuers.ScenarioNoAnswer, issuers.ScenarioSlow:
			c.special = append(c.special, card)
		}
	}
	for range terminals + 1 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := iso.Dial(ctx, n.gatewayAddr, n.clientCfg, zerolog.Nop())
		cancel()
		require.NoError(t, err)
		t.Cleanup(func() { _ = conn.Close() })
		c.conns = append(c.conns, conn)
	}
	return c
}

// chaosSendTimeout is how long the client waits for an answer: well past the gateway's
// outermost timer, so an answer that does not come means a lost connection.
const chaosSendTimeout = 15 * time.Second

// send sends m on conn and returns the answer, or false when none came.
func (c *chaosClient) send(conn *iso.Client, kind string, m iso.Message) (iso.Message, bool) {
	c.mu.Lock()
	c.sent[kind]++
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), chaosSendTimeout)
	defer cancel()
	resp, err := conn.Send(ctx, m)
	if err != nil {
		c.mu.Lock()
		c.unanswered++
		c.mu.Unlock()
		time.Sleep(100 * time.Millisecond) // the terminal's pause before it tries again
		return iso.Message{}, false
	}
	return resp, true
}

// run sends from every terminal until ctx ends; terminal i draws from its own generator,
// seeded from seed and i.
func (c *chaosClient) run(ctx context.Context, seed uint64) {
	var wg sync.WaitGroup
	for i := range len(c.conns) - 1 {
		rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
		wg.Go(func() {
			for ctx.Err() == nil {
				c.step(rng, c.conns[i])
			}
		})
	}
	wg.Wait()
}

// step sends one request, or one pair of requests, of a kind drawn from rng.
func (c *chaosClient) step(rng *rand.Rand, conn *iso.Client) {
	switch p := rng.IntN(100); {
	case p < 24:
		c.original(conn, "purchase 0100", c.purchase(rng, "0100", c.pick(rng, c.regular)))
	case p < 40:
		c.original(conn, "purchase 0200", c.purchase(rng, "0200", c.pick(rng, c.regular)))
	case p < 45:
		card := c.pick(rng, c.credit)
		c.original(conn, "refund", c.n.request("0200", card, "200000", bandeira.Amount(100+rng.IntN(5000))))
	case p < 49:
		c.original(conn, "scenario card", c.purchase(rng, "0100", c.pick(rng, c.special)))
	case p < 55:
		c.send(conn, "balance inquiry", c.n.request("0100", c.pick(rng, c.regular), "310000", 0))
	case p < 65:
		c.complete(rng, conn)
	case p < 77:
		c.reverse(rng, conn, false)
	case p < 80:
		c.reverse(rng, conn, true)
	case p < 90:
		c.retransmit(rng, conn)
	case p < 95:
		c.inFlightRetransmit(rng, conn)
	default:
		c.timeoutReversal(rng, conn)
	}
}

func (c *chaosClient) pick(rng *rand.Rand, cards []issuers.Card) issuers.Card {
	return cards[rng.IntN(len(cards))]
}

// purchase builds an 0100 or 0200 purchase of R$ 1.00 to R$ 150.00 (within the network's
// stand-in limit) on card.
func (c *chaosClient) purchase(rng *rand.Rand, mti string, card issuers.Card) iso.Message {
	return c.n.request(mti, card, "000000", bandeira.Amount(100+rng.IntN(15_000)))
}

// original sends m, a new money-moving request, and records it with its answer.
func (c *chaosClient) original(conn *iso.Client, kind string, m iso.Message) *chaosOriginal {
	o := c.track(m)
	resp, ok := c.send(conn, kind, m)
	c.answer(o, resp, ok)
	return o
}

// track records m as an original before it is sent.
func (c *chaosClient) track(m iso.Message) *chaosOriginal {
	amount, _ := strconv.ParseInt(m.Get(4), 10, 64)
	o := &chaosOriginal{msg: m, amount: bandeira.Amount(amount), card: c.cardOf(m.Get(2))}
	c.mu.Lock()
	c.originals = append(c.originals, o)
	c.mu.Unlock()
	return o
}

func (c *chaosClient) cardOf(pan string) issuers.Card {
	for _, card := range c.n.cards {
		if card.PAN.Digits() == pan {
			return card
		}
	}
	c.t.Fatalf("chaos: no card %s", bandeira.PAN(pan))
	return issuers.Card{}
}

// answer records resp as o's answer; a later answer (to a retransmit) must be the same.
func (c *chaosClient) answer(o *chaosOriginal, resp iso.Message, ok bool) {
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.answered {
		if resp.Get(39) != o.code || resp.Get(38) != o.authCode {
			c.k1 = append(c.k1, fmt.Sprintf("%s STAN %s answered %s/%s, first %s/%s", resp.MTI, o.msg.Get(11),
				resp.Get(39), resp.Get(38), o.code, o.authCode))
		}
		return
	}
	o.answered, o.code, o.authCode, o.standIn = true, resp.Get(39), resp.Get(38), resp.Get(44)
}

// chaosSettleRounds bounds how many times settle repeats what is still open.
const chaosSettleRounds = 8

// settle finishes what the traffic left open, once the faults are cleared, as a careful
// integrator does: it repeats every original that got no answer (0101, 0201) and every
// completion or reversal that was not acknowledged (0221, 0401), with the same key, in
// rounds with a growing pause between them, and returns what is still open after the last.
func (c *chaosClient) settle() []string {
	for round := range chaosSettleRounds {
		origs, follow := c.open()
		if len(origs)+len(follow) == 0 {
			return nil
		}
		if round > 0 {
			time.Sleep(time.Duration(round) * 250 * time.Millisecond) // the client's back-off between repeats
		}
		var wg sync.WaitGroup
		for i, o := range origs {
			conn := c.conns[i%len(c.conns)]
			wg.Go(func() {
				m := o.msg.Clone()
				m.MTI = repeatMTI(m.MTI)
				resp, ok := c.send(conn, "settling: repeat "+m.MTI, m)
				c.answer(o, resp, ok)
			})
		}
		for i, f := range follow {
			conn := c.conns[i%len(c.conns)]
			wg.Go(func() {
				m := f.msg.Clone()
				m.MTI = repeatMTI(m.MTI)
				resp, ok := c.send(conn, "settling: repeat "+m.MTI, m)
				c.acknowledge(f, resp, ok)
			})
		}
		wg.Wait()
	}
	origs, follow := c.open()
	var out []string
	for _, o := range origs {
		out = append(out, fmt.Sprintf("%s STAN %s: no answer", o.msg.MTI, o.msg.Get(11)))
	}
	for _, f := range follow {
		out = append(out, fmt.Sprintf("%s STAN %s of %s STAN %s: answered %q, never acknowledged", f.msg.MTI,
			f.msg.Get(11), f.orig.msg.MTI, f.orig.msg.Get(11), f.code))
	}
	return out
}

// open returns the originals without an answer and the follow-ups neither acknowledged
// nor declined.
func (c *chaosClient) open() ([]*chaosOriginal, []*chaosFollowUp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var origs []*chaosOriginal
	var follow []*chaosFollowUp
	for _, o := range c.originals {
		if !o.answered {
			origs = append(origs, o)
		}
	}
	for _, f := range c.followUps {
		if !f.acknowledged() && !f.declined() {
			follow = append(follow, f)
		}
	}
	return origs, follow
}
