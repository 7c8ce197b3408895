package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/iso"
	"github.com/bandeira/bandeira/issuers/books"
)

// The chaos test's checks at rest: the network-wide audit, and the client's record against
// the issuers' books.

// chaosBookEntry is one issuer's record of a key.
type chaosBookEntry struct {
	issuer string
	books.Request
}

// readChaosBooks reads every issuer's requests, by key in normal form.
func readChaosBooks(t *testing.T, dataDir string) map[bandeira.Key][]chaosBookEntry {
	paths, err := filepath.Glob(filepath.Join(dataDir, "issuers", "*.db"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	out := map[bandeira.Key][]chaosBookEntry{}
	for _, p := range paths {
		issuer := strings.TrimSuffix(filepath.Base(p), ".db")
		reqs, err := books.ReadRequests(context.Background(), p)
		require.NoError(t, err)
		for _, r := range reqs {
			out[r.Key] = append(out[r.Key], chaosBookEntry{issuer: issuer, Request: r})
		}
	}
	return out
}

// keyOf is m's request key in normal form.
func keyOf(m iso.Message) bandeira.Key {
	return bandeira.Key{AcquirerID: m.Get(32), TerminalID: m.Get(41), STAN: m.Get(11), TransmissionTime: m.Get(7)}.Normal()
}

// chaosRecord is the client's record checked against the books.
type chaosRecord struct {
	approved, standIn, declined, failed int      // originals by answer: 00 by the issuer, 00 in stand-in, a decline, 91/96
	lost                                []string // approvals the client holds that are not, or not wholly, in effect
	doubled                             []string // money in effect beyond what the client holds: twice, elsewhere, or told failed
	authCode                            []string // issuer approvals whose auth code the books do not have
}

// check compares every original the client sent with the books: what is in effect for
// its key must be what the client holds, no more and no less.
func (c *chaosClient) check(booksByKey map[bandeira.Key][]chaosBookEntry) chaosRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	var rec chaosRecord
	known := map[bandeira.Key]bool{}
	for _, o := range c.originals {
		key := keyOf(o.msg)
		known[key] = true
		rec.count(o)
		want, got, where := o.intended(), bandeira.Amount(0), []string{}
		for _, e := range booksByKey[key] {
			got += e.InEffect
			if e.InEffect > 0 {
				where = append(where, e.issuer)
			}
			if o.approved() && o.standIn == "" && e.issuer == o.card.Issuer && e.AuthCode != o.authCode {
				rec.authCode = append(rec.authCode, fmt.Sprintf("%s: answered %s, the books have %s", c.describe(o), o.authCode, e.AuthCode))
			}
		}
		switch {
		case got < want:
			rec.lost = append(rec.lost, fmt.Sprintf("%s: %s in effect, the client holds %s", c.describe(o), got, want))
		case got > want || len(where) > 1 || (got > 0 && where[0] != o.card.Issuer):
			rec.doubled = append(rec.doubled, fmt.Sprintf("%s: %s in effect at %v, the client holds %s", c.describe(o), got, where, want))
		}
	}
	for key, entries := range booksByKey {
		for _, e := range entries {
			if !known[key] && e.InEffect > 0 {
				rec.doubled = append(rec.doubled, fmt.Sprintf("key %v: %s in effect at %s, never sent", key, e.InEffect, e.issuer))
			}
		}
	}
	return rec
}

func (r *chaosRecord) count(o *chaosOriginal) {
	switch {
	case o.approved() && o.standIn != "":
		r.standIn++
	case o.approved():
		r.approved++
	case o.code == "91" || o.code == "96":
		r.failed++
	default:
		r.declined++
	}
}

// describe names o and what the client asked of it, for a failure message. The caller
// holds the client's lock.
func (c *chaosClient) describe(o *chaosOriginal) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s STAN %s (%s, %s) answered %q", o.msg.MTI, o.msg.Get(3)[:2], o.msg.Get(11), o.card.Issuer, o.amount, o.code)
	if o.standIn != "" {
		fmt.Fprintf(&b, " in stand-in (44 = %s)", o.standIn)
	}
	for _, f := range o.follow {
		fmt.Fprintf(&b, "; %s STAN %s to %s answered %q 95 %q", f.msg.MTI, f.msg.Get(11), f.target, f.code, f.remaining)
	}
	return b.String()
}

// chaosAudit is what `bandeira audit --json` says: whether it passed, and its divergences,
// one line each.
type chaosAudit struct {
	exitCode    int
	passed      bool
	divergences []string
	keys        []string // the keys the divergences name, in the audit's form
}

// runChaosAudit runs the network-wide `bandeira audit --data-dir D --json` and reads its
// answer {"passed": ..., "divergences": [...]}.
func runChaosAudit(t *testing.T, dataDir string) chaosAudit {
	code, out, errOut := run(t, "audit", "--data-dir", dataDir, "--json")
	var whole struct {
		Passed      *bool `json:"passed"`
		Divergences []struct {
			Kind   string `json:"kind"`
			Key    string `json:"key"`
			Issuer string `json:"issuer"`
			Detail string `json:"detail"`
		} `json:"divergences"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &whole), "bandeira audit --json:\n%s%s", out, errOut)
	require.NotNil(t, whole.Passed, "bandeira audit --json has no \"passed\":\n%s", out)
	a := chaosAudit{exitCode: code, passed: *whole.Passed}
	for _, d := range whole.Divergences {
		a.divergences = append(a.divergences, fmt.Sprintf("%s %s at %s: %s", d.Kind, d.Key, d.Issuer, d.Detail))
		if d.Key != "" {
			a.keys = append(a.keys, d.Key)
		}
	}
	return a
}

// histories describes what the client sent and was answered for each of keys (in the
// audit's form), so that a divergence can be read against the client's side.
func (c *chaosClient) histories(keys []string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	byKey := map[string]*chaosOriginal{}
	for _, o := range c.originals {
		byKey[keyText(keyOf(o.msg))] = o
	}
	var out []string
	for _, k := range keys {
		if o := byKey[k]; o != nil {
			out = append(out, k+": "+c.describe(o))
		} else {
			out = append(out, k+": the client never sent it")
		}
	}
	return out
}
