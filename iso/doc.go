// Package iso is Bandeira's ISO 8583:1987 ASCII wire dialect and the whole transport that
// carries it: the message spec, a plain-data Message with Pack and Unpack, conversion
// between messages and the domain types of package bandeira, field 48 TLV, the
// length-prefixed framing, the Server and the Client.
//
// A Server accepts connections (TCP, or TLS with TLSConfig) and asks a bandeira.Authorizer
// to decide each well-formed request. It answers network management (class 8: sign-on,
// sign-off, echo) itself and keeps each connection's sign-on state, so no party behind it
// ever sees an 0800; with RequireSignOn it answers 91 to traffic on a connection that has
// not signed on.
//
// A Client is one link to a peer: a small pool of connections kept open in the background
// (reconnect with jittered back-off, sign-on before traffic, echo when idle, sign-off on
// Close), reporting its state and LinkMetrics. It is itself a bandeira.Authorizer, so a
// party reaches its neighbour over a Client exactly as it would call it in process.
//
// It is the only package of the module that imports moov-io/iso8583 and
// iso8583-connection. docs/spec.md documents the dialect and the link behaviour for
// integrators; the golden messages under testdata/*.hex pin the dialect byte for byte.
//
// A Message holds card secrets in clear. Log or print one only through Describe, which
// masks the PAN and hides track 2, the PIN block, ICC data, MACs and the CVV2.
package iso
