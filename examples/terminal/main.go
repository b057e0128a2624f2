// Command terminal runs one EMV transaction against a built-in virtual card
// and prints what the kernel decided: the outcome, the TVR and TSI bit by
// bit, the CVM Results and the APDU trace (PAN masked, PIN never shown).
//
//	go run ./examples/terminal
//	go run ./examples/terminal -card mastercard-dda -amount 250.00 -host issuer
//	go run ./examples/terminal -card visa-sda -pin 9999 -json
//
// Flags:
//
//	-card NAME     built-in card profile (emvtest.BuiltinProfiles)
//	-amount A      amount authorised, in major units ("12.34")
//	-cashback A    amount other, for -type cashback
//	-type T        purchase, cash, cashback, refund, inquiry, or two hex digits
//	-pin PIN       the PIN the cardholder types; "none" for a terminal without PIN pad
//	-host H        none (unable to go online), approve, decline (an ARC and no
//	               ARPC), or issuer (the virtual issuer checks the ARQC and
//	               answers with an ARPC)
//	-config FILE   terminal configuration JSON (see emv.ParseConfig); the
//	               card's CA key is added to its keys
//	-json          print the result as JSON
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/emv/tvr"
	"github.com/emvkit/emvkit/oda"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "terminal:", err)
		os.Exit(1)
	}
}

type options struct {
	card, amount, cashback, typ, pin, host, config string
	json                                           bool
}

func run(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("terminal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.card, "card", "visa-cda", "built-in card profile: "+strings.Join(emvtest.BuiltinProfiles(), ", "))
	fs.StringVar(&o.amount, "amount", "12.34", "amount authorised in major units")
	fs.StringVar(&o.cashback, "cashback", "0", "amount other (cashback) in major units")
	fs.StringVar(&o.typ, "type", "purchase", "transaction type: purchase, cash, cashback, refund, inquiry, or two hex digits")
	fs.StringVar(&o.pin, "pin", "1234", `PIN typed by the cardholder; "none": no PIN pad`)
	fs.StringVar(&o.host, "host", "issuer", "online answer: none, approve, decline or issuer")
	fs.StringVar(&o.config, "config", "", "terminal configuration JSON file")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	profile := emvtest.BuiltinProfile(o.card)
	if profile == nil {
		return fmt.Errorf("no built-in card %q (have %s)", o.card, strings.Join(emvtest.BuiltinProfiles(), ", "))
	}
	card := emvtest.NewCard(profile)

	cfg, err := terminalConfig(o.config, card)
	if err != nil {
		return err
	}
	txn, err := transaction(o, cfg.CurrencyExponent)
	if err != nil {
		return err
	}
	term := &emv.Terminal{}
	if !o.json {
		term.Display = display{stdout}
	}
	if o.pin != "none" {
		term.PINPad = pinPad(o.pin)
	}
	switch o.host {
	case "none":
	case "approve":
		term.Host = fixedHost{approve: true}
	case "decline":
		term.Host = fixedHost{}
	case "issuer":
		term.Host = issuerHost{emvtest.IssuerFor(card)}
	default:
		return fmt.Errorf("-host %q: want none, approve, decline or issuer", o.host)
	}

	res, err := emv.Run(context.Background(), card, cfg, txn, term)
	if res == nil {
		return err // an invalid configuration: nothing was sent
	}
	if o.json {
		return printJSON(stdout, res, err)
	}
	printText(stdout, res, err)
	return nil
}

// terminalConfig loads the configuration file, or builds the built-in
// one: an attended, online-capable terminal in the United States with a
// floor limit of 50.00 and common Visa action codes, supporting the
// applications of the built-in cards. Either way the card's CA key is
// trusted.
func terminalConfig(path string, card *emvtest.Card) (*emv.Config, error) {
	var cfg *emv.Config
	if path != "" {
		c, err := emv.LoadConfig(path)
		if err != nil {
			return nil, err
		}
		cfg = c
	} else {
		floor := uint64(5000)
		denial := tvr.TVR{0x00, 0x10, 0x00, 0x00, 0x00}
		online := tvr.TVR{0xDC, 0x40, 0x04, 0xF8, 0x00}
		def := tvr.TVR{0xDC, 0x40, 0x00, 0xA8, 0x00}
		cfg = &emv.Config{
			Country:              840,
			Currency:             840,
			CurrencyExponent:     2,
			MerchantCategory:     5999,
			MerchantNameLocation: "EMVKIT DEMO SHOP",
			TerminalID:           "DEMO0001",
			IFDSerial:            "IFD00001",
			Applications: []emv.Application{
				{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}},
				{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x20, 0x10}},
				{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, Params: emv.AppParams{Version: []byte{0x00, 0x02}}},
			},
			AppParams: emv.AppParams{
				Version:    []byte{0x00, 0x8C},
				FloorLimit: &floor,
				TACDenial:  &denial,
				TACOnline:  &online,
				TACDefault: &def,
			},
		}
	}
	if cfg.CAKeys == nil {
		cfg.CAKeys = oda.NewKeyStore()
	}
	for _, k := range card.CAPublicKeys() {
		key := oda.CAKey{RID: k.RID, Index: k.Index, Modulus: k.Modulus, Exponent: k.Exponent, CheckSum: k.Checksum[:]}
		if err := cfg.CAKeys.Add(key); err != nil && !errors.Is(err, oda.ErrDuplicateKey) {
			return nil, err
		}
	}
	return cfg, nil
}

func transaction(o options, exponent int) (emv.Transaction, error) {
	typ, err := emv.ParseTransactionType(o.typ)
	if err != nil {
		return emv.Transaction{}, err
	}
	amount, err := parseAmount(o.amount, exponent)
	if err != nil {
		return emv.Transaction{}, fmt.Errorf("-amount: %w", err)
	}
	other, err := parseAmount(o.cashback, exponent)
	if err != nil {
		return emv.Transaction{}, fmt.Errorf("-cashback: %w", err)
	}
	return emv.Transaction{Type: typ, Amount: amount + other, AmountOther: other, SequenceCounter: 1, Time: time.Now()}, nil
}

// parseAmount reads "12.34" as minor units with the currency's exponent.
func parseAmount(s string, exponent int) (uint64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > exponent {
		return 0, fmt.Errorf("%q has more than %d decimals", s, exponent)
	}
	frac += strings.Repeat("0", exponent-len(frac))
	v, err := strconv.ParseUint(whole+frac, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an amount", s)
	}
	return v, nil
}

// pinPad types the same PIN at every prompt; online PIN is enciphered by
// a real PIN pad, here it is a fixed block.
type pinPad string

func (p pinPad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	return cvm.NewPIN([]byte(p))
}

func (p pinPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	return cvm.NewOnlinePINBlock(cvm.PINBlockFormat(0), make([]byte, 8), nil), nil
}

// fixedHost answers every authorisation with an ARC and no ARPC.
type fixedHost struct{ approve bool }

func (h fixedHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	if h.approve {
		return &emv.OnlineResponse{Approved: true, ARC: "00"}, nil
	}
	return &emv.OnlineResponse{ARC: "05"}, nil
}

// issuerHost sends the request to the virtual issuer, which checks the
// ARQC and answers with an ARPC.
type issuerHost struct{ iss *emvtest.Issuer }

func (h issuerHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	r, err := h.iss.Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: req.ICCData, PAN: digits(req.PAN), PSN: digits(req.PANSequence)})
	if err != nil {
		return nil, err
	}
	return &emv.OnlineResponse{Approved: r.Approved, ARC: string(r.ARC[:]), IssuerAuthData: r.IssuerAuthenticationData, Scripts: r.Scripts}, nil
}

func digits(b []byte) string {
	var s []byte
	for _, x := range b {
		for _, d := range [2]byte{x >> 4, x & 0x0F} {
			if d > 9 {
				return string(s)
			}
			s = append(s, '0'+d)
		}
	}
	return string(s)
}

type display struct{ w io.Writer }

func (d display) Show(ctx context.Context, m emv.Message) { fmt.Fprintf(d.w, "[display] %s\n", m) }

func printText(w io.Writer, r *emv.Result, err error) {
	fmt.Fprintf(w, "\noutcome:      %s\n", r.Outcome)
	if err != nil {
		fmt.Fprintf(w, "reason:       %v\n", err)
	}
	fmt.Fprintf(w, "application:  %X %s\n", r.AID, r.Receipt.Label)
	fmt.Fprintf(w, "card:         %s\n", r.Receipt.MaskedPAN)
	fmt.Fprintf(w, "ODA:          %s\n", r.ODA)
	fmt.Fprintf(w, "CVM Results:  %s\n", cvm.Results(r.CVMResults))
	if r.SignatureRequired {
		fmt.Fprintln(w, "signature:    required")
	}
	fmt.Fprintf(w, "TVR:          %X\n", r.TVR[:])
	for _, b := range r.TVR.Bits() {
		fmt.Fprintf(w, "                %s\n", b)
	}
	fmt.Fprintf(w, "TSI:          %X\n", r.TSI[:])
	for _, b := range r.TSI.Bits() {
		fmt.Fprintf(w, "                %s\n", b)
	}
	if r.AC != nil {
		fmt.Fprintf(w, "cryptogram:   CID %02X AC %X ATC %X\n", r.CID, r.AC, r.ATC)
	}
	if r.ARC != "" {
		fmt.Fprintf(w, "ARC:          %s\n", r.ARC)
	}
	if len(r.ScriptResults) > 0 {
		fmt.Fprintf(w, "scripts 9F5B: %X\n", r.ScriptResults)
	}
	fmt.Fprintf(w, "\ntrace (%d commands):\n%s", len(r.Trace), r.Trace)
}

// jsonResult is the -json output.
type jsonResult struct {
	Outcome    string      `json:"outcome"`
	Error      string      `json:"error,omitempty"`
	TVR        string      `json:"tvr"`
	TVRBits    []string    `json:"tvr_bits"`
	TSI        string      `json:"tsi"`
	TSIBits    []string    `json:"tsi_bits"`
	CVMResults string      `json:"cvm_results"`
	AID        string      `json:"aid"`
	ODA        string      `json:"oda"`
	CID        string      `json:"cid"`
	AC         string      `json:"ac"`
	ATC        string      `json:"atc"`
	ARC        string      `json:"arc,omitempty"`
	Scripts    string      `json:"script_results,omitempty"`
	APDUCount  int         `json:"apdu_count"`
	Receipt    emv.Receipt `json:"receipt"`
	Trace      []string    `json:"trace"`
}

func printJSON(w io.Writer, r *emv.Result, err error) error {
	j := jsonResult{
		Outcome:    r.Outcome.String(),
		TVR:        fmt.Sprintf("%X", r.TVR[:]),
		TVRBits:    r.TVR.Bits(),
		TSI:        fmt.Sprintf("%X", r.TSI[:]),
		TSIBits:    r.TSI.Bits(),
		CVMResults: fmt.Sprintf("%X", r.CVMResults[:]),
		AID:        fmt.Sprintf("%X", r.AID),
		ODA:        r.ODA.String(),
		CID:        fmt.Sprintf("%02X", r.CID),
		AC:         fmt.Sprintf("%X", r.AC),
		ATC:        fmt.Sprintf("%X", r.ATC),
		ARC:        r.ARC,
		Scripts:    fmt.Sprintf("%X", r.ScriptResults),
		APDUCount:  len(r.Trace),
		Receipt:    r.Receipt,
		Trace:      []string{},
	}
	if j.TVRBits == nil {
		j.TVRBits = []string{}
	}
	if j.TSIBits == nil {
		j.TSIBits = []string{}
	}
	if err != nil {
		j.Error = err.Error()
	}
	for _, e := range r.Trace {
		j.Trace = append(j.Trace, e.String())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
