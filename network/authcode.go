package network

// Stand-in auth codes are "S" and five base-36 characters: recognisable as the network's
// (issuers' codes come from their own counters), unique within a network's store and never
// issued twice, since the sequence behind them is durable (Store) and only grows.
const (
	authPrefix     = 'S'
	authDigits     = 5
	authSpace      = 36 * 36 * 36 * 36 * 36 // codes a network can issue
	authMultiplier = 1_000_003              // prime to 2 and 3, so a bijection of the space
)

// standInAuthCode returns the auth code of sequence number seq (1 to authSpace−1): a
// bijection of the code space, so consecutive approvals do not carry consecutive codes.
func standInAuthCode(seq uint64) string {
	v := (seq*authMultiplier + 0x5eed) % authSpace
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var out [1 + authDigits]byte
	out[0] = authPrefix
	for i := authDigits; i >= 1; i-- {
		out[i] = digits[v%36]
		v /= 36
	}
	return string(out[:])
}
