// Command terminal runs one EMV transaction, on the built-in virtual card
// or on a card in a PC/SC reader, and prints what the kernel decided: the
// outcome, the TVR and TSI bit by bit, the CVM Results and the APDU trace
// (PAN masked, PIN never shown).
//
//	go run ./examples/terminal
//	go run ./examples/terminal -card mastercard-dda -amount 250.00 -host issuer
//	go run ./examples/terminal -card visa-sda -pin 9999 -json
//	go run ./examples/terminal -card visa-qvsdc-offline
//	go run ./examples/terminal -card visa-qvsdc-issuer-update -amount 60.00
//	go run ./examples/terminal -readers
//	go run ./examples/terminal -reader any -config testdata/terminals/test-bench.json -amount 10.00
//	go run ./examples/terminal -reader 'Virtual PCD 00 00' -config testdata/terminals/test-bench.json -amount 10.00 -pin 1234 -json
//
// Without -reader the card is a virtual one (package emv/emvtest) and the
// virtual issuer knows its keys. With -reader the card is real, or a
// virtual card put into the vpcd virtual reader (examples/virtualcard).
//
// Flags:
//
//	-card NAME       built-in card profile (emvtest.BuiltinProfiles), or a
//	                 profile file ending in .json; without -reader only
//	-reader NAME     run on the card in this PC/SC reader; "any": the first
//	                 reader that holds a card
//	-interface I     contact, contactless, or auto (default): the card's
//	                 ATR decides, contactless for the ATR PC/SC Part 3 gives
//	                 an ISO/IEC 14443-4 card (3B 8n 80 01 ...), contact for
//	                 any other (the built-in contact cards among them)
//	-wait D          how long to wait for a card in the reader (30s)
//	-readers         list the PC/SC readers and their cards, and exit
//	-config FILE     terminal configuration JSON (see emv.ParseConfig and
//	                 testdata/terminals); a virtual card's CA key is added
//	-amount A        amount authorised, in major units ("12.34")
//	-cashback A      amount other, for -type cashback
//	-type T          purchase, cash, cashback, refund, inquiry, or two hex digits;
//	                 an inquiry (30 or 31) reads a UnionPay card's electronic
//	                 cash balance and limits first (GET DATA 9F79, 9F78, 9F77,
//	                 9F6D; emv.Transaction.ECBalance) and prints them; on
//	                 the contactless interface a QuickPass card's, after the
//	                 Entry Point's selection (kernel7.BalanceInquiry)
//	-pin PINS        the PINs the cardholder types, separated by commas: the
//	                 first when the card first asks, the next each time it
//	                 asks again (after a wrong PIN, 63Cx), so -pin 9999,1234
//	                 scripts a wrong PIN and then the right one; once the
//	                 list is used up PIN entry is bypassed, so a bench never
//	                 blocks a card. "none": the terminal has no PIN pad.
//	                 Unset: the virtual card's own PIN (its issuer's 1234
//	                 if it has none), or, on a reader, a prompt (each key
//	                 shown as * on a terminal; an empty line bypasses).
//	                 Anything but "none" or PINs of 4 to 12 digits is a
//	                 usage error
//	-host H          the online answer: none (unable to go online), approve
//	                 or decline (an ARC and no ARPC), or issuer (the virtual
//	                 issuer checks the ARQC and answers with an ARPC).
//	                 Unset: issuer for the virtual card and, on a reader,
//	                 issuer with -issuer-mk, else none
//	-aid HEX         the application to use, by its AID (5 to 16 bytes in
//	                 hex); unset, a card with several applications asks
//	                 which one on standard input (and asks "y/n" for one
//	                 that requires confirmation), Book 1 §12.4
//	-host-response HEX
//	                 the host's answer as field 55 TLV in hex: 8A (the
//	                 decision: 00, 08, 10 or 11 approve), 91, 71, 72, read
//	                 by emv.ParseHostResponse, e.g. a real host's answer
//	                 pasted from its log; replaces -host
//	-issuer-mk HEX   the issuer master key (AC) of the card, 32 hex digits:
//	                 the issuer derives the ICC master key from it by Book 2
//	                 Annex A1.4 option A (PAN and PAN sequence number), the
//	                 common session key by A1.3, checks the ARQC and answers
//	                 with an ARPC of method 1 (A1.3.1)
//	-json            print the result as JSON (below)
//	-record FILE     write the card session in apdu's session format
//	                 (testdata/README.md) with the kernel object of
//	                 emv.Recording, so it can be replayed in a test (below);
//	                 the file's mode is 0600
//	-mask            with -record: mask the card's PAN, track 2 and
//	                 cardholder name (apdu.Session.Masked)
//
// # Contactless
//
// On the contactless interface the transaction runs through the Entry
// Point of EMV Contactless Book B (package contactless) with the kernels
// registered by Kernel ID (Kernel 3, Visa qVSDC; Kernel 7, UnionPay
// QuickPass), and the reader configuration of the -config file's
// contactless section, or the built-in one (Visa by Kernel 3, TTQ
// 3600C000, online above 50.00, a CVM from 50.00, no tap from 1000.00).
// The User Interface Requests show as "[display]" lines as they come: the
// message in the cardholder's language (the first of the card's Language
// Preference 5F2D that the file's "languages" has, else its first; English
// without languages), an amount or balance with its currency, and the
// reader's status in brackets:
//
//	[display] 交易批准, 余额 CNY 487.66 (Card Read Successfully, hold 1300 ms)
//
// The text output then shows the amount, the language and the balance
// the card returned (9F5D, the electronic cash balance after the tap).
// An Online Request goes to the -host as
// on the contact interface (the Data Record as field 55); when the
// outcome asks for a restart at Start B and the response has data for the
// card (91, scripts), the card is presented again and the kernel gets 8A,
// 91 and the scripts (issuer update processing, Book C-3 §5.9). -record
// records contact transactions only.
//
// A flag given a value it cannot take is a usage error: the command exits
// with status 2, as for a flag it does not know; other failures exit 1.
//
// # JSON output
//
// One object; on the contactless interface the fields a tap has (no
// tsi, oda, receipt) with ttq (9F66), ctq (9F6C), kernel, amount (in
// major units), currency, language (of the messages), display (the
// "[display]" lines), balance (9F5D in minor units, when the card returned
// it), host_error, online_pin, and entry_point and restart: the Entry Point's
// runs (contactless.Result's JSON: the Outcome Parameter Set, every UI
// request in order, the Data Record masked).
//
//	interface       "contact" or "contactless"
//	outcome         the outcome ("approved", "online approved", "declined", ...)
//	error           why the transaction stopped, when it did (absent otherwise)
//	terminated_step the step it stopped in
//	reader          the reader's name, protocol ("T=0"/"T=1") and "atr" (hex),
//	protocol, atr   on a reader only
//	aid             the selected application's AID (84), hex
//	amount,         the amounts in minor units and the currency's ISO 4217
//	amount_other,   code ("USD")
//	currency
//	pan             the PAN, masked (first six and last four digits)
//	tvr, tsi        Terminal Verification Results (95) and Transaction Status
//	                Information (9B), hex; tvr_bits and tsi_bits name the set bits
//	cvm_results     CVM Results (9F34), hex; cvm the same in words
//	oda             the offline data authentication performed: none, SDA, DDA, CDA
//	cid, ac, atc    Cryptogram Information Data (9F27), Application
//	iad             Cryptogram (9F26), ATC (9F36), Issuer Application Data
//	                (9F10) of the last GENERATE AC, hex
//	field55         the ICC data for ISO 8583 field 55 (emv.Result.ICCData), hex
//	arc             the Authorisation Response Code (8A)
//	script_results  Issuer Script Results (9F5B), hex
//	ec_balance      an electronic cash balance inquiry's answer (emv.ECBalance),
//	                on either interface:
//	                balance, balance_limit, single_transaction_limit,
//	                reset_threshold, in minor units; absent otherwise
//	apdu_count      the number of command/response exchanges
//	receipt         the receipt data (emv.Receipt; PAN masked)
//	trace           every exchange, one string each: command, response and
//	                time, the PAN and track 2 masked, VERIFY data zeroed
//
// # Recording a session
//
// -record FILE writes everything a replay needs: the exchanges (VERIFY
// data redacted as XX), the terminal configuration (the -config file as
// loaded, or the built-in one; with a virtual card's CA key), the
// transaction and its time, every random byte the kernel drew, the
// issuer's answer, what the PIN pad answered and what the kernel showed.
// On a reader the card is a real one, and the file holds its PAN, track
// 2 and cardholder name in clear: the terminal says so on stderr and
// writes the file for its owner only (mode 0600). -mask replaces them by
// stand-ins, the same ones wherever they occur in the file (the PAN's
// first six and last four digits kept); the issuer signed the real
// data, so a masked recording cannot replay offline data authentication
// and is for reading, not for a replaying test.
//
// The PIN is never written: a PIN typed is recorded as the token
// "entered" (emv.PINEntered), and a replay types a stand-in, since VERIFY
// data is never compared and the card's answer is the recorded one. To
// turn a card's session into a test, replay the file as the session tests
// do:
//
//	sess, _ := apdu.ReadSession(f)
//	k, _ := emv.ReadRecording(sess.Kernel)
//	p, _ := k.Replay(ctx, apdu.NewReplay(sess, apdu.ReplayStrict))
//	err := k.Check(p) // nil: the kernel shows what was recorded
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/termkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "terminal:", err)
	}
	os.Exit(exitCode(err))
}

// exitCode is the process's exit status for run's error: 0 for none or
// -help, 2 for a usage error (as package flag exits), 1 for any other.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// usageError is a flag given a value it cannot take, or arguments flag
// could not parse; Flag names the flag ("-pin"), empty for a parse error
// flag has already reported.
type usageError struct {
	Flag   string
	Reason string
	Err    error // the parse error, when there is one
}

func (e *usageError) Error() string {
	if e.Flag == "" {
		return e.Reason
	}
	return e.Flag + ": " + e.Reason
}

func (e *usageError) Unwrap() error { return e.Err }

// checkPIN refuses a -pin value that is neither "none" nor a list of
// PINs, each 4 to 12 decimal digits (ISO 9564-1; Book 3 §6.5.12: the PIN
// block's length nibble is 4 to C), separated by commas. The message
// never repeats the value: it may be a real PIN.
func checkPIN(pins string) error {
	for n, pin := range strings.Split(pins, ",") {
		p, err := cvm.NewPIN([]byte(pin))
		if err != nil {
			return &usageError{Flag: "-pin", Reason: fmt.Sprintf(`entry %d: want "none" or PINs of %d to %d decimal digits, separated by commas`, n+1, cvm.MinPINLen, cvm.MaxPINLen)}
		}
		p.Zero()
	}
	return nil
}

type options struct {
	card, reader, amount, cashback, typ, pin, host, issuerMK, config, record, iface string
	aid, hostResponse                                                               string
	wait                                                                            time.Duration
	json, readers, mask                                                             bool
	pinSet                                                                          bool
}

// errTransaction marks a transaction that stopped with an error after its
// result was printed.
var errTransaction = errors.New("the transaction did not complete")

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("terminal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.card, "card", "visa-cda", "virtual card: built-in profile ("+strings.Join(emvtest.BuiltinProfiles(), ", ")+") or profile .json file")
	fs.StringVar(&o.reader, "reader", "", `PC/SC reader holding the card; "any": the first reader with a card`)
	fs.DurationVar(&o.wait, "wait", 30*time.Second, "how long to wait for a card in the reader")
	fs.BoolVar(&o.readers, "readers", false, "list the PC/SC readers and exit")
	fs.StringVar(&o.amount, "amount", "12.34", "amount authorised in major units")
	fs.StringVar(&o.cashback, "cashback", "0", "amount other (cashback) in major units")
	fs.StringVar(&o.typ, "type", "purchase", "transaction type: purchase, cash, cashback, refund, inquiry, or two hex digits")
	fs.StringVar(&o.pin, "pin", "", `PINs typed by the cardholder, in order, separated by commas (9999,1234: a wrong PIN, then the right one); "none": no PIN pad; unset: the virtual card's PIN, or a prompt on a reader`)
	fs.StringVar(&o.host, "host", "", "online answer: none, approve, decline or issuer (default: issuer for the virtual card or with -issuer-mk, else none)")
	fs.StringVar(&o.issuerMK, "issuer-mk", "", "issuer master key (AC), 32 hex digits, for -host issuer on a reader")
	fs.StringVar(&o.config, "config", "", "terminal configuration JSON file")
	fs.StringVar(&o.aid, "aid", "", "the application to use, by AID in hex (default: a prompt on a card with several)")
	fs.StringVar(&o.hostResponse, "host-response", "", "the host's answer as field 55 TLV in hex (8A, 91, 71, 72), e.g. a real host's pasted from its log")
	fs.StringVar(&o.record, "record", "", "write the card session to this file (apdu session format, mode 0600)")
	fs.BoolVar(&o.mask, "mask", false, "with -record: mask the PAN, track 2 and cardholder name consistently across the file (it then cannot replay offline data authentication)")
	fs.BoolVar(&o.json, "json", false, "print the result as JSON")
	fs.StringVar(&o.iface, "interface", ifaceAuto, "card interface: contact, contactless, or auto (by the card's ATR)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{Reason: err.Error(), Err: err}
	}
	if fs.NArg() > 0 {
		return &usageError{Reason: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cardSet := false
	fs.Visit(func(f *flag.Flag) {
		o.pinSet = o.pinSet || f.Name == "pin"
		cardSet = cardSet || f.Name == "card"
	})
	if o.pinSet && o.pin != "none" {
		if err := checkPIN(o.pin); err != nil {
			return err
		}
	}
	if err := checkInterface(o.iface); err != nil {
		return err
	}
	aid, err := parseAID(o.aid)
	if err != nil {
		return err
	}
	if o.hostResponse != "" && o.host != "" {
		return &usageError{Flag: "-host-response", Reason: "is the online answer: give it or -host, not both"}
	}
	if o.mask && o.record == "" {
		return &usageError{Flag: "-mask", Reason: "masks a recording: give -record FILE"}
	}
	if cardSet && o.reader != "" {
		return errors.New("-card chooses the virtual card; with -reader the card is the one in the reader")
	}
	if o.readers {
		return listReaders(ctx, stdout)
	}

	// The card: virtual, or in a reader.
	var (
		card    apdu.Transceiver
		virtual *emvtest.Card
		reader  *app.Reader
	)
	if o.reader == "" {
		profile, err := app.LoadProfile(o.card)
		if err != nil {
			return err
		}
		virtual = emvtest.NewCard(profile)
		card = virtual
	}
	cfg, err := terminalConfig(o.config, virtual)
	if err != nil {
		return err
	}
	txn, err := transaction(o, termkit.ConfigCurrency(cfg))
	if err != nil {
		return err
	}
	console := termkit.NewConsole(stdin, stderr)
	term := &emv.Terminal{Selector: &termkit.Selector{Console: console, AID: aid}}
	if !o.json {
		term.Display = display{stdout}
	}
	switch {
	case o.pin == "none":
	case o.pinSet:
		term.PINPad = &termkit.PINPad{PINs: strings.Split(o.pin, ",")}
	case virtual != nil:
		// The card's reference PIN; a card without offline PIN gets the
		// one its virtual issuer checks online PINs against.
		pin := string(virtual.Profile().Applications[0].PIN)
		if pin == "" {
			pin = emvtest.DefaultOnlinePIN
		}
		term.PINPad = &termkit.PINPad{PINs: []string{pin}}
	default:
		term.PINPad = &termkit.PINPad{Console: console}
	}
	host, err := chooseHost(o, virtual)
	if err != nil {
		return err
	}
	term.Host = host

	if o.reader != "" {
		if !o.json {
			fmt.Fprintf(stdout, "waiting up to %s for a card in %s\n", o.wait, readerName(o.reader))
		}
		reader, err = app.OpenReader(ctx, o.reader, o.wait)
		if err != nil {
			return err
		}
		defer reader.Close()
		card = reader.Card
		if !o.json {
			fmt.Fprintf(stdout, "card in %s\n", reader.Describe())
		}
	}

	var atr []byte
	if virtual != nil {
		atr = virtual.ATR()
	} else {
		atr = reader.Card.ATR()
	}
	if chooseInterface(o.iface, atr) == ifaceContactless {
		return runContactless(ctx, o, term, card, virtual, reader, stdout)
	}

	var rec *recorder
	if o.record != "" {
		rec = newRecorder(cfg, txn.Time, term)
	}
	res, runErr := emv.Run(ctx, card, cfg, txn, term)
	if res == nil {
		return runErr // an invalid configuration: nothing was sent
	}
	if rec != nil {
		if err := rec.write(o, txn, res, runErr, reader, stderr); err != nil {
			return err
		}
	}
	if o.json {
		if err := printJSON(stdout, res, runErr, reader); err != nil {
			return err
		}
	} else {
		printText(stdout, res, runErr)
		printECBalance(stdout, res, cfg.CurrencyExponent)
	}
	if runErr != nil {
		return fmt.Errorf("%w: %v", errTransaction, runErr)
	}
	return nil
}

func readerName(r string) string {
	if r == app.AnyReader {
		return "any reader"
	}
	return fmt.Sprintf("%q", r)
}

// parseAID reads -aid: an AID of 5 to 16 bytes in hex (Book 1 §12.2.1),
// nil when not given.
func parseAID(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) < 5 || len(b) > 16 {
		return nil, &usageError{Flag: "-aid", Reason: fmt.Sprintf("%q is not an AID: want 5 to 16 bytes in hex (10 to 32 hex digits)", s)}
	}
	return b, nil
}

// chooseHost builds the online answer of -host or -host-response.
func chooseHost(o options, virtual *emvtest.Card) (emv.Host, error) {
	if o.hostResponse != "" {
		b, err := hex.DecodeString(strings.ReplaceAll(o.hostResponse, " ", ""))
		if err != nil {
			return nil, &usageError{Flag: "-host-response", Reason: "not hex: " + err.Error(), Err: err}
		}
		h, err := termkit.NewResponseHost("", b)
		if err != nil {
			return nil, &usageError{Flag: "-host-response", Reason: err.Error(), Err: err}
		}
		return h, nil
	}
	h := o.host
	if h == "" {
		h = "none"
		if virtual != nil || o.issuerMK != "" {
			h = "issuer"
		}
	}
	switch h {
	case "none":
		return nil, nil
	case "approve":
		return termkit.FixedHost{Approve: true}, nil
	case "decline":
		return termkit.FixedHost{}, nil
	case "issuer":
		if o.issuerMK != "" {
			iss, err := emvtest.NewIssuerFromMasterKey(o.issuerMK)
			if err != nil {
				return nil, fmt.Errorf("-issuer-mk: %w", err)
			}
			return termkit.IssuerHost{Issuer: iss}, nil
		}
		if virtual == nil {
			return nil, errors.New("-host issuer on a reader needs the card's issuer master key: -issuer-mk HEX")
		}
		return termkit.IssuerHost{Issuer: emvtest.IssuerFor(virtual)}, nil
	}
	return nil, &usageError{Flag: "-host", Reason: fmt.Sprintf("%q: want none, approve, decline or issuer", o.host)}
}

// terminalConfig loads the configuration file, or takes the examples'
// built-in one (termkit.DemoConfig). Either way a virtual card's CA key is
// trusted.
func terminalConfig(path string, card *emvtest.Card) (*emv.Config, error) {
	cfg := termkit.DemoConfig()
	if path != "" {
		c, err := emv.LoadConfig(path)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if card != nil {
		if err := termkit.TrustCard(cfg, card); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func transaction(o options, cur termkit.Currency) (emv.Transaction, error) {
	typ, err := emv.ParseTransactionType(o.typ)
	if err != nil {
		return emv.Transaction{}, &usageError{Flag: "-type", Reason: err.Error(), Err: err}
	}
	amount, err := cur.Parse(o.amount)
	if err != nil {
		return emv.Transaction{}, &usageError{Flag: "-amount", Reason: err.Error(), Err: err}
	}
	other, err := cur.Parse(o.cashback)
	if err != nil {
		return emv.Transaction{}, &usageError{Flag: "-cashback", Reason: err.Error(), Err: err}
	}
	// 9A and 9F21 keep seconds: a recording's time is the one sent.
	at := time.Now().Truncate(time.Second)
	inquiry := typ == emv.BalanceInquiry || typ == emv.BalanceInquiry31
	return emv.Transaction{Type: typ, Amount: amount + other, AmountOther: other, SequenceCounter: 1, Time: at, ECBalance: inquiry}, nil
}

func listReaders(ctx context.Context, w io.Writer) error {
	states, err := app.ListReaders(ctx)
	if err != nil {
		return err
	}
	for _, s := range states {
		if s.CardPresent() {
			fmt.Fprintf(w, "%s\tcard present, ATR %X\n", s.Name, s.ATR)
		} else {
			fmt.Fprintf(w, "%s\tno card\n", s.Name)
		}
	}
	return nil
}

type display struct{ w io.Writer }

func (d display) Show(ctx context.Context, m emv.Message) { fmt.Fprintf(d.w, "[display] %s\n", m) }

// ShowIn shows the message in the language the kernel chose from the
// card's Language Preference and the configuration's languages.
func (d display) ShowIn(ctx context.Context, m emv.Message, lang string) {
	fmt.Fprintf(d.w, "[display] %s\n", m.Text(lang))
}
