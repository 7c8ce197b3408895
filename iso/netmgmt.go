package iso

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/bandeira/bandeira"
)

// Network management (MTI class 8) is the link's own business, answered by package iso at
// both ends and never passed to an Authorizer: docs/spec.md, "Network management".

// netAction is what a network management request asks of the link.
type netAction uint8

const (
	netNone    netAction = iota // answered with its code; the link state does not change
	netSignOn                   // 0800/001: the connection may carry traffic
	netSignOff                  // 0800/002: it may no longer
)

// networkManagement decides a class-8 request whose fields have passed ToAuthorization:
// 0800/0801 with 7, 11 and 70 present get 00 for sign-on (001), sign-off (002) and echo
// (301) and 12 for any other code; a missing 7, 11 or 70 gets 30 and names the field; any
// other class-8 MTI (0820, an advice) gets 12.
func networkManagement(a bandeira.Authorization) (code bandeira.ResponseCode, act netAction, missing int) {
	if a.MTI.Original() != bandeira.MTINetworkManagement {
		return bandeira.InvalidTransaction, netNone, 0
	}
	switch {
	case a.TransmissionTime == "":
		return bandeira.FormatError, netNone, 7
	case a.STAN == "":
		return bandeira.FormatError, netNone, 11
	case a.NetworkCode == "":
		return bandeira.FormatError, netNone, 70
	}
	switch a.NetworkCode {
	case bandeira.SignOn:
		return bandeira.Approved, netSignOn, 0
	case bandeira.SignOff:
		return bandeira.Approved, netSignOff, 0
	case bandeira.Echo:
		return bandeira.Approved, netNone, 0
	}
	return bandeira.InvalidTransaction, netNone, 0
}

// stanSequence hands out system trace audit numbers 000001 to 999999 in a cycle. It is safe
// for concurrent use; the zero value starts at 000001.
type stanSequence struct{ n atomic.Uint32 }

func (s *stanSequence) next() string {
	return fmt.Sprintf("%06d", (s.n.Add(1)-1)%999_999+1)
}

// networkRequest builds an 0800 with code in field 70, a fresh STAN in 11 and the
// transmission time (MMDDhhmmss, GMT) in 7.
func networkRequest(code string, stans *stanSequence, now time.Time) Message {
	return Message{MTI: string(bandeira.MTINetworkManagement), Fields: map[int]string{
		7:  now.UTC().Format("0102150405"),
		11: stans.next(),
		70: code,
	}}
}
