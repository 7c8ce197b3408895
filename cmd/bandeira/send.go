package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/bandeira/bandeira"
	"github.com/bandeira/bandeira/acquirer"
	"github.com/bandeira/bandeira/configs"
	"github.com/bandeira/bandeira/iso"
)

const sendHelp = `
Usage: bandeira send [--addr ADDR] [--mti MTI] [--pan PAN] [--expiry YYMM] [--amount CENTAVOS]
                     [--processing-code CODE] [--merchant ID] [--cvv2 CVV] [--pin PIN]
                     [--installments lojista:N|emissor:N] [--field N=VALUE]... [--file FILE]
                     [--timeout D] [--json] [--reveal]

Sends one ISO 8583 message to a gateway speaking Bandeira's dialect (docs/spec.md) and
prints the response: its response code and what it means, then every field with its name
and format (as 'bandeira describe' prints them). Fields you do not give are filled from a demo terminal and merchant:
7 transmission time (now, GMT), 11 a random STAN, 12/13 local time and date (UTC-3),
18 MCC, 19 076 (Brazil), 22 012, 25 00, 32 acquirer ID, 37 RRN, 41 terminal,
42 merchant, 43 name and city, 49 986 (BRL). 0800 messages get only 7, 11 and 70.
--file sends the JSON message in FILE exactly as written ({"mti":"0100","fields":{"2":"..."}},
the shape --json prints); flags given alongside it override its fields.

The PAN is printed masked (first 6 and last 4 digits) and the PIN block, track 2 and ICC
data hidden, in the table and in --json, unless --reveal is given.

Exit status: 0 when a response arrived (whatever its code), 1 when none did, 2 for bad usage.

Examples:
  bandeira send --pan 4000010100000000 --expiry 3205 --amount 10000          # 0100 R$100.00
  bandeira send --mti 0200 --pan 5260010100000002 --expiry 2901 --amount 2500 --cvv2 880
  bandeira send --pan 4000010100000000 --expiry 3205 --amount 60000 --installments lojista:6  # 6x
  bandeira send --pan 4000010200000009 --processing-code 310000 --amount 0   # balance inquiry
  bandeira send --mti 0200 --pan 4000010200000009 --expiry 3105 --processing-code 200000 --amount 500  # refund
  bandeira send --mti 0800 --field 70=001                                    # sign-on
  bandeira send --mti 0400 --pan 4000010100000000 --amount 10000 \
      --field 90=0100${STAN}${DE7}1000000000100000000000  # reverse 0100 STAN/DE7: orig MTI,
                                           # STAN, field 7, field 32 (11 digits), field 33 (11)
  bandeira send --pan 4000010100000000 --expiry 3205 --amount 100 --json > reply.json
  bandeira send --pan 4000010100000000 --expiry 3205 --reveal --json | bandeira describe
`

// sendOptions are the parsed flags of `bandeira send`.
type sendOptions struct {
	addr, mti, pan, expiry, processingCode, cvv2, pin, file, merchant string
	installments                                                      string // lojista:N or emissor:N
	amount                                                            int64
	fields                                                            fieldFlags
	timeout                                                           time.Duration
	json, reveal                                                      bool
	set                                                               map[string]bool // flags given explicitly
}

// fieldFlags collects repeated --field N=VALUE flags.
type fieldFlags map[int]string

func (f fieldFlags) String() string { return fmt.Sprint(map[int]string(f)) }

func (f fieldFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	n, err := strconv.Atoi(k)
	if !ok || err != nil || n < 2 || n > 128 {
		return errors.New("want N=VALUE with N a field number from 2 to 128")
	}
	f[n] = val
	return nil
}

func sendCommand(ctx context.Context, args []string, s stdio) int {
	o, code, ok := parseSendFlags(args, s)
	if !ok {
		return code
	}
	cfg, err := configs.Load("")
	if err != nil {
		fmt.Fprintf(s.err, "bandeira send: %v\n", err)
		return exitUsage
	}
	req, err := buildSendMessage(o, cfg, time.Now())
	if err != nil {
		fmt.Fprintf(s.err, "bandeira send: %v\n", err)
		return exitUsage
	}
	if _, err := iso.Pack(req); err != nil {
		fmt.Fprintf(s.err, "bandeira send: the message does not pack: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	resp, err := exchange(ctx, o.addr, req, o.timeout)
	if err != nil {
		fmt.Fprintf(s.err, "bandeira send: no response from %s: %v\n", o.addr, err)
		return exitFail
	}
	if err := printResponse(s.out, resp, o.json, o.reveal); err != nil {
		fmt.Fprintf(s.err, "bandeira send: printing the response: %v\n", err)
	}
	return exitOK
}

func parseSendFlags(args []string, s stdio) (sendOptions, int, bool) {
	o := sendOptions{fields: fieldFlags{}, set: map[string]bool{}}
	fs := newFlagSet("send", sendHelp, s)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8583", "gateway `address`")
	fs.StringVar(&o.mti, "mti", "0100", "message type: 0100, 0200, 0400, 0420, 0800 (or their repeats)")
	fs.StringVar(&o.pan, "pan", "", "card number (field 2); see 'bandeira cards'")
	fs.StringVar(&o.expiry, "expiry", "", "card expiry YYMM (field 14)")
	fs.Int64Var(&o.amount, "amount", 1000, "amount in `centavos` (field 4): 10000 = R$ 100.00")
	fs.StringVar(&o.processingCode, "processing-code", "000000", "field 3: 000000 purchase, 010000 cash, 200000 refund, 300000/310000 balance")
	fs.StringVar(&o.merchant, "merchant", "", "demo merchant `ID` for fields 18, 41, 42, 43 (default: the WhatsApp catalog shop)")
	fs.StringVar(&o.cvv2, "cvv2", "", "CVV2, sent in field 48 tag CV")
	fs.StringVar(&o.installments, "installments", "", "installment plan `lojista:N` (merchant-financed, 2–12) or emissor:N (issuer-financed, 2–24), sent in field 48 tag IP; --amount is the total")
	fs.StringVar(&o.pin, "pin", "", "PIN, sent in field 52 as a clear ISO 9564 format 0 block (test only)")
	fs.Var(o.fields, "field", "set field `N=VALUE` (repeatable; overrides the filled-in value)")
	fs.StringVar(&o.file, "file", "", "JSON message `file` to send ({\"mti\":...,\"fields\":{...}})")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "connect and response timeout, a `duration`")
	fs.BoolVar(&o.json, "json", false, "print the response as JSON: {\"mti\":\"0110\",\"fields\":{...},\"meaning\":\"Approved\"}, the PAN masked")
	fs.BoolVar(&o.reveal, "reveal", false, "print the PAN in full (in JSON, every field as it arrived), e.g. to replay the response")
	if code, ok := fs.parse(args); !ok {
		return o, code, false
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.timeout <= 0 {
		fmt.Fprintln(s.err, "bandeira send: --timeout must be positive")
		return o, exitUsage, false
	}
	return o, 0, true
}

// buildSendMessage builds the request from --file or from the flags and demo defaults.
func buildSendMessage(o sendOptions, cfg configs.Config, now time.Time) (iso.Message, error) {
	var m iso.Message
	if o.file != "" {
		data, err := os.ReadFile(o.file)
		if err != nil {
			return m, fmt.Errorf("reading message file: %w", err)
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return m, fmt.Errorf("decoding message file %s: %w", o.file, err)
		}
		if o.set["mti"] {
			m.MTI = o.mti
		}
	} else {
		merchant, err := pickMerchant(cfg.Acquirer, o.merchant)
		if err != nil {
			return m, err
		}
		m = demoMessage(o.mti, cfg.Gateway.AcquirerID, merchant, now)
	}
	if len(m.MTI) != 4 || !bandeira.IsDigits(m.MTI) || !bandeira.MTI(m.MTI).IsRequest() {
		return m, fmt.Errorf("MTI %q is not a request message type (e.g. 0100, 0200, 0400, 0800)", m.MTI)
	}
	if err := applyCardFlags(&m, o); err != nil {
		return m, err
	}
	for n, v := range o.fields {
		m.Set(n, v)
	}
	return m, nil
}

// applyCardFlags sets the fields given by card and amount flags: always when building
// from flags, only when given explicitly on top of --file.
func applyCardFlags(m *iso.Message, o sendOptions) error {
	given := func(name string) bool { return o.file == "" || o.set[name] }
	if m.MTI[1] == '8' {
		return nil
	}
	if o.amount < 0 || o.amount > 999_999_999_999 {
		return errors.New("--amount must be 0 to 999999999999 centavos")
	}
	if given("amount") {
		m.Set(4, fmt.Sprintf("%012d", o.amount))
	}
	if given("processing-code") {
		m.Set(3, o.processingCode)
	}
	if o.pan != "" {
		m.Set(2, o.pan)
	}
	if o.expiry != "" {
		m.Set(14, o.expiry)
	}
	if err := setField48(m, o.cvv2, o.installments); err != nil {
		return err
	}
	if o.pin != "" {
		if o.pan == "" && m.Get(2) == "" {
			return errors.New("--pin needs a PAN: the ISO format 0 PIN block mixes in the PAN")
		}
		pan := m.Get(2)
		block, err := bandeira.EncodePINBlock(o.pin, bandeira.PAN(pan))
		if err != nil {
			return err
		}
		m.Set(52, block)
	}
	if m.Get(2) == "" && m.MTI[1] != '8' {
		return errors.New("--pan is required (list test cards with 'bandeira cards')")
	}
	return nil
}

// setField48 puts the CVV2 (tag CV) and the installment plan (tag IP) in field 48, keeping
// the other elements of a well-formed field 48 from --file. It does nothing when both are
// empty.
func setField48(m *iso.Message, cvv2, installments string) error {
	if cvv2 == "" && installments == "" {
		return nil
	}
	var set []iso.Element
	if cvv2 != "" {
		set = append(set, iso.Element{Tag: iso.TagCVV2, Value: cvv2})
	}
	if installments != "" {
		v, err := installmentsTag(installments)
		if err != nil {
			return err
		}
		set = append(set, iso.Element{Tag: iso.TagInstallments, Value: v})
	}
	var els []iso.Element
	if old, err := iso.ParseTLV(m.Get(48)); err == nil {
		for _, e := range old {
			if !slices.ContainsFunc(set, func(s iso.Element) bool { return s.Tag == e.Tag }) {
				els = append(els, e)
			}
		}
	}
	field, err := iso.FormatTLV(append(els, set...))
	if err != nil {
		return err
	}
	m.Set(48, field)
	return nil
}

// installmentsTag turns --installments lojista:N or emissor:N into the value of tag IP:
// the plan digit (1 lojista, 2 emissor) and N in two digits.
func installmentsTag(s string) (string, error) {
	plan, count, _ := strings.Cut(s, ":")
	n, err := strconv.Atoi(count)
	switch {
	case err == nil && plan == "lojista" && n >= 2 && n <= 12:
		return fmt.Sprintf("1%02d", n), nil
	case err == nil && plan == "emissor" && n >= 2 && n <= 24:
		return fmt.Sprintf("2%02d", n), nil
	}
	return "", fmt.Errorf("--installments %q: want lojista:N with N from 2 to 12 or emissor:N with N from 2 to 24", s)
}

// brasilia is Brazil's official time (UTC-3, no daylight saving since 2019).
var brasilia = time.FixedZone("BRT", -3*60*60)

// demoMessage fills the non-card fields as the acquirer's demo terminal would.
func demoMessage(mti, acquirerID string, merchant acquirer.MerchantConfig, now time.Time) iso.Message {
	stan := randomSTAN()
	utc, local := now.UTC(), now.In(brasilia)
	m := iso.Message{MTI: mti, Fields: map[int]string{
		7:  utc.Format("0102150405"),
		11: stan,
	}}
	if len(mti) == 4 && mti[1] == '8' {
		m.Set(70, bandeira.Echo)
		return m
	}
	m.Set(12, local.Format("150405"))
	m.Set(13, local.Format("0102"))
	m.Set(18, merchant.MCC)
	m.Set(19, "076")
	m.Set(22, "012")
	m.Set(25, "00")
	m.Set(32, acquirerID)
	// RRN: last digit of the year, day of the year, hour, STAN (YDDDhhNNNNNN).
	m.Set(37, fmt.Sprintf("%d%03d%02d%s", utc.Year()%10, utc.YearDay(), utc.Hour(), stan))
	m.Set(41, merchant.TerminalID)
	m.Set(42, merchant.ID)
	m.Set(43, nameLocation(merchant.Name, merchant.City))
	m.Set(49, bandeira.CurrencyBRL)
	return m
}

// pickMerchant returns the configured merchant with the given ID, or the default demo
// merchant when id is empty.
func pickMerchant(cfg acquirer.Config, id string) (acquirer.MerchantConfig, error) {
	if id == "" {
		return acquirer.DefaultMerchant(), nil
	}
	ids := make([]string, 0, len(cfg.Merchants))
	for _, m := range cfg.Merchants {
		if m.ID == id {
			if m.TerminalID == "" {
				return m, fmt.Errorf("merchant %q has no terminal_id configured", id)
			}
			return m, nil
		}
		ids = append(ids, m.ID)
	}
	return acquirer.MerchantConfig{}, fmt.Errorf("unknown merchant %q (configured: %s)", id, strings.Join(ids, ", "))
}

// nameLocation formats field 43 as 40 characters: name (25), city (13), country (2),
// Visa's layout.
func nameLocation(name, city string) string {
	return fmt.Sprintf("%-25.25s%-13.13s%-2s", name, city, "BR")
}

// randomSTAN returns a 6-digit system trace audit number from 000001 to 999999.
func randomSTAN() string {
	n, err := rand.Int(rand.Reader, big.NewInt(999_999))
	if err != nil {
		return fmt.Sprintf("%06d", time.Now().UnixNano()%999_999+1)
	}
	return fmt.Sprintf("%06d", n.Int64()+1)
}

// exchange dials addr, sends one message and waits for its response.
func exchange(ctx context.Context, addr string, m iso.Message, timeout time.Duration) (iso.Message, error) {
	cc := iso.DefaultClientConfig()
	cc.ConnectTimeout, cc.SendTimeout = timeout, timeout
	cc.PoolSize = 1 // one message needs one connection
	c, err := iso.Dial(ctx, addr, cc, zerolog.Nop())
	if err != nil {
		return iso.Message{}, err
	}
	defer func() { _ = c.Close() }()
	return c.Send(ctx, m)
}
