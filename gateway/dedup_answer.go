package gateway

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bandeira/bandeira"
)

// An outcome packed into a remembered key's slot (dedup_window.go), without pointers.

// answer is a bandeira.Result without its pointer fields (Balances, Remaining, Token):
// the response and authorization codes in place, and the issuer, brand and product names
// as indexes into the store's names. pack says which Results it holds exactly.
type answer struct {
	code    [2]byte
	auth    [6]byte
	lens    uint8 // the length of code (high four bits) and of auth (low four bits)
	standIn bandeira.StandInReason
	issuer  uint8
	brand   uint8
	product uint8
}

// maxNames is how many distinct non-empty names the store interns: an index is one byte,
// and 0 stands for the empty name.
const maxNames = 255

// names interns the issuer, brand and product names of the outcomes the store keeps. There
// are few of them (the issuers, two brands, three products); an outcome with a name past
// the first maxNames is kept whole in a side map instead. Safe for concurrent use: readers
// take no lock.
type names struct {
	mu  sync.Mutex              // serializes additions
	set atomic.Pointer[nameSet] // replaced, never changed, by an addition
}

type nameSet struct {
	index map[string]uint8
	list  []string // list[i] is the name of index i; list[0] is ""
}

func (n *names) init() {
	n.set.Store(&nameSet{index: map[string]uint8{"": 0}, list: []string{""}})
}

// id returns the index of name, interning it if it is new; ok is false when the table is
// full and name is not in it.
func (n *names) id(name string) (i uint8, ok bool) {
	if i, ok := n.set.Load().index[name]; ok {
		return i, true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	cur := n.set.Load()
	if i, ok := cur.index[name]; ok {
		return i, true
	}
	if len(cur.list) > maxNames {
		return 0, false
	}
	name = strings.Clone(name) // not the rest of the message it may have been cut from
	next := &nameSet{index: maps.Clone(cur.index), list: append(slices.Clip(cur.list), name)}
	i = uint8(len(cur.list))
	next.index[name] = i
	n.set.Store(next)
	return i, true
}

// pack returns the answer that holds res exactly, with ok set, or ok unset when it cannot:
// when err is not nil, when res has Balances, Remaining or a Token, a response code longer
// than two bytes or an authorization code longer than six, or a name the table has no room
// for.
func (n *names) pack(res bandeira.Result, err error) (a answer, ok bool) {
	if err != nil || res.Balances != nil || res.Remaining != nil || res.Token != nil ||
		len(res.Code) > len(a.code) || len(res.AuthCode) > len(a.auth) {
		return answer{}, false
	}
	a.lens = uint8(len(res.Code))<<4 | uint8(len(res.AuthCode))
	copy(a.code[:], res.Code)
	copy(a.auth[:], res.AuthCode)
	a.standIn = res.StandIn
	var okIssuer, okBrand, okProduct bool
	a.issuer, okIssuer = n.id(res.Issuer)
	a.brand, okBrand = n.id(string(res.Brand))
	a.product, okProduct = n.id(string(res.Product))
	return a, okIssuer && okBrand && okProduct
}

// unpack returns the Result a holds.
func (n *names) unpack(a answer) bandeira.Result {
	set := n.set.Load()
	return bandeira.Result{
		Code:     bandeira.ResponseCode(a.code[:a.lens>>4]),
		AuthCode: string(a.auth[:a.lens&0xf]),
		Issuer:   set.list[a.issuer],
		Brand:    bandeira.Brand(set.list[a.brand]),
		Product:  bandeira.Product(set.list[a.product]),
		StandIn:  a.standIn,
	}
}
