package issuers

import (
	"context"

	"github.com/bandeira/bandeira"
)

// advise applies an 0120/0121 advice: the decision the network's stand-in processing took
// on the bank's behalf (field 39, with the stand-in's auth code in 38), which binds the
// bank. An approval is posted once under the original's key (a hold for an 0100, even
// beyond the available balance: the stand-in risk), also over a decline the bank made
// itself, unless a reversal of the key came first; a decline is remembered as the key's
// answer when the bank never decided the key. A repeat changes nothing. The answer is 00,
// with the stand-in's auth code for an approval; 94 when the key is bound to another body,
// 12 for a processing code the bank does not serve, 30 without field 39. The advice names
// its original by field 90 when present (whose MTI gives the original's class), and is
// otherwise sent under the original's own key.
func (b *Bank) advise(ctx context.Context, a *bandeira.Authorization, c *cardData, res bandeira.Result) (bandeira.Result, error) {
	if a.ResponseCode == "" {
		res.Code = bandeira.FormatError
		return res, nil
	}
	orig := *a
	orig.MTI = bandeira.MTIAuthorization
	if o := a.Original; o != nil && (o.MTI.Class() == '1' || o.MTI.Class() == '2') {
		orig.MTI = o.MTI
	}
	approved := a.ResponseCode.Approved()
	got, err := b.process(ctx, &orig, c, res, screening{advice: &advice{key: a.OriginalKey(), approved: approved}})
	if err != nil || got.Code == bandeira.DuplicateTransmission || got.Code == bandeira.InvalidTransaction {
		return got, err
	}
	got.Code, got.Balances = bandeira.Approved, nil
	switch {
	case !approved:
		got.AuthCode = ""
	case a.AuthCode != "":
		got.AuthCode = a.AuthCode
	}
	return got, nil
}
