// Package iso is Bandeira's ISO 8583:1987 ASCII wire dialect: the message spec, a
// plain-data Message with Pack and Unpack, conversion between messages and the domain
// types of package bandeira, field 48 TLV, and (in the files of the network half) the
// length-prefixed framing, the TCP Server and the Client.
//
// It is the only package of the module that imports moov-io/iso8583 and
// iso8583-connection. docs/spec.md documents the dialect for integrators; the golden
// messages under testdata/*.hex pin it byte for byte.
//
// A Message holds card secrets in clear. Log or print one only through Describe, which
// masks the PAN and hides track 2, the PIN block, ICC data, MACs and the CVV2.
package iso
