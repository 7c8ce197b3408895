package network

import "github.com/bandeira/bandeira"

// adviceOf is the 0120 stand-in advice of a for the issuer: a's fields with 38 = the
// stand-in auth code, 39 = the decision, 44 = the reason, and 90 naming a (so the issuer
// knows whether it was an authorization or a financial request; its key is a's own). The
// CVV2 and PIN block never travel in it.
func adviceOf(a *bandeira.Authorization, d *StandIn) bandeira.Authorization {
	adv := *a
	adv.MTI = bandeira.MTIAuthorizationAdvice
	adv.AuthCode, adv.ResponseCode, adv.StandIn = d.AuthCode, d.Code, d.Reason
	adv.Original = originalOf(a)
	adv.CVV2, adv.PINBlock, adv.Track2Present = "", "", false
	return adv
}

// reversalOf is the 0420 reversal advice of a, in full, for the issuer: a's fields with 90
// naming a, so that whatever a posted at the issuer, if anything, is released.
func reversalOf(a *bandeira.Authorization) bandeira.Authorization {
	rev := *a
	rev.MTI = bandeira.MTIReversalAdvice
	rev.Original = originalOf(a)
	rev.AmountPresent = true
	rev.AuthCode, rev.ResponseCode, rev.StandIn, rev.Replacement = "", "", 0, nil
	rev.CVV2, rev.PINBlock, rev.Track2Present = "", "", false
	return rev
}

// originalOf is field 90 naming a.
func originalOf(a *bandeira.Authorization) *bandeira.OriginalData {
	return &bandeira.OriginalData{MTI: a.MTI.Original(), STAN: a.STAN, TransmissionTime: a.TransmissionTime,
		AcquirerID: a.AcquirerID, ForwardingID: a.ForwardingID}
}

// followsUp reports whether a is a message about an earlier request, which the issuer
// matches by field 90: a reversal (0400, 0420 and repeats) or a completion (0220, 0221).
func followsUp(a *bandeira.Authorization) bool {
	return (a.MTI.Class() == '4' && a.MTI.IsRequest()) || a.MTI.Original() == bandeira.MTIFinancialAdvice
}

// queuedFollowUp is the form in which a reversal or completion a is stored for the issuer:
// a reversal as an 0420 reversal advice, a completion as an 0220, with a's other fields.
func queuedFollowUp(a bandeira.Authorization) bandeira.Authorization {
	if a.MTI.Class() == '4' {
		a.MTI = bandeira.MTIReversalAdvice
	} else {
		a.MTI = bandeira.MTIFinancialAdvice
	}
	a.CVV2, a.PINBlock, a.Track2Present = "", "", false
	return a
}

// giveUpMessage is what the network stores for an issuer that gave no decision on a when
// the network does not stand in: a reversal (0420) of an authorization or financial
// request that may have moved money there (all but balance inquiries), or a reversal a
// itself, to be delivered when the issuer is back. Nothing for anything else.
func giveUpMessage(a *bandeira.Authorization) (bandeira.Authorization, bool) {
	switch {
	case a.MTI.Class() == '4' && a.MTI.IsRequest():
		rev := *a
		rev.MTI = bandeira.MTIReversalAdvice
		rev.CVV2, rev.PINBlock, rev.Track2Present = "", "", false
		return rev, true
	case (a.MTI.Original() == bandeira.MTIAuthorization || a.MTI.Original() == bandeira.MTIFinancial) && !a.IsBalanceInquiry():
		return reversalOf(a), true
	}
	return bandeira.Authorization{}, false
}
