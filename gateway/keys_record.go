package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bandeira/bandeira"
)

// keyRow is one request key with the body it is bound to and its answer.
type keyRow struct {
	id  int64
	at  int64        // arrival, Unix nanoseconds
	key bandeira.Key // normal form
	fp  fingerprint
	res bandeira.Result // Code, AuthCode, Issuer, Brand, Product, StandIn
}

// keyRecordV1 is the first byte of a key record of the layout below. A record of another
// version is one a newer binary wrote: OpenKeys refuses it (ErrKeysIncompatible) rather
// than guess.
//
// The layout, after the version byte: id, arrival (Unix nanoseconds), amount (centavos)
// and the PAN's keyed hash, 8 bytes each, big-endian; the MTI class and the stand-in
// reason (0 for none), a byte each; the processing code, 6 bytes; then the acquirer ID,
// terminal ID, STAN, transmission time, response code, auth code, issuer, brand and
// product, each its length as a uvarint and its bytes. About 100 bytes a key.
const keyRecordV1 = 1

// strings returns the variable-length fields of r, in the order a record holds them.
func (r *keyRow) strings() [9]*string {
	return [9]*string{&r.key.AcquirerID, &r.key.TerminalID, &r.key.STAN, &r.key.TransmissionTime,
		(*string)(&r.res.Code), &r.res.AuthCode, &r.res.Issuer, (*string)(&r.res.Brand), (*string)(&r.res.Product)}
}

// appendRecord appends r as a key record to b.
func (r *keyRow) appendRecord(b []byte) []byte {
	b = append(b, keyRecordV1)
	b = binary.BigEndian.AppendUint64(b, uint64(r.id))
	b = binary.BigEndian.AppendUint64(b, uint64(r.at))
	b = binary.BigEndian.AppendUint64(b, uint64(r.fp.amount))
	b = binary.BigEndian.AppendUint64(b, r.fp.pan)
	standIn := byte(0)
	if r.res.StandIn.Valid() {
		standIn = byte(r.res.StandIn)
	}
	b = append(b, r.fp.class, standIn)
	b = append(b, r.fp.procCode[:]...)
	for _, s := range r.strings() {
		b = binary.AppendUvarint(b, uint64(len(*s)))
		b = append(b, *s...)
	}
	return b
}

var errKeyRecord = errors.New("malformed key record")

// decodeKeyRow reads a key record; its strings are copies, not views of rec.
func decodeKeyRow(rec []byte) (keyRow, error) {
	var r keyRow
	const fixed = 1 + 4*8 + 2 + len(r.fp.procCode)
	if len(rec) == 0 {
		return r, errKeyRecord
	}
	if rec[0] != keyRecordV1 {
		return r, fmt.Errorf("key record version %d (this binary reads %d)", rec[0], keyRecordV1)
	}
	if len(rec) < fixed {
		return r, errKeyRecord
	}
	b := rec[1:]
	r.id = int64(binary.BigEndian.Uint64(b))
	r.at = int64(binary.BigEndian.Uint64(b[8:]))
	r.fp.amount = bandeira.Amount(binary.BigEndian.Uint64(b[16:]))
	r.fp.pan = binary.BigEndian.Uint64(b[24:])
	r.fp.class = b[32]
	if b[33] != 0 {
		r.res.StandIn = bandeira.StandInReason(b[33])
	}
	b = b[34+copy(r.fp.procCode[:], b[34:]):]
	for _, s := range r.strings() {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return r, errKeyRecord
		}
		*s = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	if len(b) != 0 {
		return r, errKeyRecord
	}
	return r, nil
}
