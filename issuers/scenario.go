package issuers

// The scenario names. Every BIN row has one card of each scenario, at serial
// ScenarioSerialBase(BIN) + the scenario's position in Scenarios.
const (
	// ScenarioInsufficientFunds cards hold R$ 1.00 (or a R$ 1.00 credit limit): any
	// purchase above it declines 51.
	ScenarioInsufficientFunds = "insufficient-funds"
	// ScenarioExpired cards expired before 2026 (54).
	ScenarioExpired = "expired"
	// ScenarioLost cards are reported lost (41).
	ScenarioLost = "lost"
	// ScenarioStolen cards are reported stolen (43).
	ScenarioStolen = "stolen"
	// ScenarioBlocked cards are blocked by the issuer (62).
	ScenarioBlocked = "blocked"
	// ScenarioWrongPIN cards are ordinary cards for PIN tests: a PIN other than the listed
	// one declines 55, the PINTries-th wrong PIN in a row and later ones 75, and the listed
	// PIN approves and resets the count.
	ScenarioWrongPIN = "wrong-pin"
	// ScenarioIssuerDown cards make the bank return bandeira.ErrIssuerUnavailable (edge 91).
	ScenarioIssuerDown = "issuer-down"
	// ScenarioNoAnswer cards make the bank block until ctx is done and return its error.
	ScenarioNoAnswer = "no-answer"
	// ScenarioSlow cards answer normally after Config.SlowDelay (or ctx's error if it ends
	// first).
	ScenarioSlow = "slow"
)

// scenarioNames is in serial order; append only, so published PANs never move.
var scenarioNames = [...]string{
	ScenarioInsufficientFunds, ScenarioExpired, ScenarioLost, ScenarioStolen,
	ScenarioBlocked, ScenarioWrongPIN, ScenarioIssuerDown, ScenarioNoAnswer, ScenarioSlow,
}

// scenarioBlock is the number of serials reserved for scenario cards at the top of each
// BIN row's serial space.
const scenarioBlock = 100

// scenario is an index into scenarioNames plus one; 0 means a regular card.
type scenario uint8

const (
	regular scenario = iota
	insufficientFunds
	expired
	lost
	stolen
	blocked
	wrongPIN
	issuerDown
	noAnswer
	slow
)

func (s scenario) String() string {
	if s == regular || int(s) > len(scenarioNames) {
		return ""
	}
	return scenarioNames[s-1]
}

// Scenarios returns the scenario names in serial order.
func Scenarios() []string { return append([]string(nil), scenarioNames[:]...) }

// serialWidth is the number of serial digits after a BIN: PANs are 16 digits, the last a
// Luhn check digit.
func serialWidth(bin string) int { return 15 - len(bin) }

// ScenarioSerialBase returns the first serial of the scenario block of a 6- to 8-digit BIN:
// 10^(15−len(BIN)) − 100, so 9999900 for an 8-digit BIN. The block's serials are never
// regular cards, even when Config.CardsPerBIN reaches them. It returns 0 for other lengths.
func ScenarioSerialBase(bin string) uint32 {
	w := serialWidth(bin)
	if w < 7 || w > 9 {
		return 0
	}
	n := uint32(1)
	for range w {
		n *= 10
	}
	return n - scenarioBlock
}
