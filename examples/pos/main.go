// Command pos is a shop counter as the UnionPay and bank POS terminals of
// China run it, around the emv kernel run step by step (emv.Start).
//
//  1. The operator signs on (签到) with an operator ID and password, and
//     the terminal with the acquirer (0800/0810).
//
//  2. The operator picks from the transaction menu: sale 消费, refund 退货,
//     void 撤销, pre-authorisation 预授权 and its completion 预授权完成,
//     balance inquiry 余额查询 (each with its EMV Transaction Type and
//     ISO 8583 message type and processing code); a void, a refund and a
//     completion name their original by its STAN. Settlement 结算 ends
//     the day: totals by type, 0500/0510, a new batch.
//
//  3. Card first: the customer inserts the card (a virtual card by
//     default, or a card in a PC/SC reader with -reader) or swipes it
//     ("swipe NAME": its track 2); the counter shows the masked PAN, name
//     and expiry read from the card and waits for the operator's Confirm
//     or Cancel, then asks for the amount. A chip card swiped is sent to
//     the chip; a chip that fails (technical fallback) sends the card to
//     the stripe, and the authorisation says it is a fallback. A
//     contactless card is tapped: the amount first, then the Entry Point
//     with Kernel 3 (Visa) and Kernel 7 (UnionPay QuickPass).
//
//  4. The customer chooses the application when the card has several,
//     and enters the PIN when the card asks for one (no echo).
//
//  5. The terminal goes online when the card or the terminal wants it: an
//     authorisation request (ISO 8583 0200, the ICC data in its field 55)
//     goes to a simulated acquirer, which routes it to the card's virtual
//     issuer; the answer (0210) carries the response code, RRN and
//     authorisation code and, in its field 55, the ARPC, the ARC and any
//     issuer scripts, which go back to the card.
//
//  6. The transaction goes into the journal (-journal, an SQLite file
//     that survives a restart: masked PAN, amount, STAN, RRN, auth code,
//     outcome, field 55), then two receipts print: the merchant copy, with
//     a signature line when the cardholder verification asks for a
//     signature, and the cardholder copy.
//
//  7. "REMOVE CARD"; back to the menu, or Enter there to sign off (签退,
//     0820/0830). A card that refuses what the issuer approved, or an
//     answer that never came, is reversed (0400/0410).
//
// Run it:
//
//	go run ./examples/pos
//	go run ./examples/pos -scripts
//	go run ./examples/pos -reader 'Virtual PCD 00 00' -config testdata/terminals/test-bench.json -issuer-mk 0123456789ABCDEFFEDCBA9876543210
//
// Demo operators: 01 (password 2468) and 02 (password 1357).
//
// Every answer is one line of standard input, so a script (or a test) can
// run the counter: operator ID, password, then per transaction the menu
// choice, the original STAN if asked, the card, Enter to confirm it, the
// amount, the application number if asked, the PIN if asked.
//
// Flags:
//
//	-config FILE     terminal configuration JSON (default: the examples'
//	                 built-in terminal, with the virtual cards' CA keys)
//	-reader NAME     take cards from this PC/SC reader ("any": the first
//	                 with a card) instead of virtual cards
//	-wait D          how long to wait for a card in the reader (60s)
//	-issuer-mk HEX   the issuer master key (AC) of reader cards, for the
//	                 simulated issuer (see examples/terminal)
//	-journal FILE    the journal database (default pos-journal.db;
//	                 ":memory:" for one that ends with the program)
//	-fault LIST      test bench: the virtual line fails (downN: N dials
//	                 fail; loseN: N answers are lost; arpc: the ARPC is
//	                 damaged on the way)
//	-scripts         the issuer sends a script with each approval (PUT DATA
//	                 of the Lower Consecutive Offline Limit 9F14), virtual
//	                 cards only
//	-lang L          the language of the screens and receipts: zh, en, or
//	                 both (the default: each line in Chinese and English);
//	                 the kernel's messages follow it (emv.Message.Text)
//
// A command line the flags refuse (an unknown flag, -lang fr) ends the
// program with status 2 and the usage.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/termkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, environment{})
	stop()
	if code := exitCode(err); code != 0 {
		if code == 1 {
			fmt.Fprintln(os.Stderr, "pos:", err)
		}
		os.Exit(code)
	}
}

// exitCode is the program's exit status for the error run returned: 0
// for none or -help, 2 for a command line the flags refuse (the flag
// package has already said why), 1 for the rest.
func exitCode(err error) int {
	var usage usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usage):
		return 2
	}
	return 1
}

// usageError is a command line the flags refuse; the program exits with
// status 2, as the flag package's own programs do.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// operators are the demo operator IDs and passwords.
var operators = map[string]string{"01": "2468", "02": "1357"}

// environment holds the clock and the random source; zero values are the
// real ones (tests fix them).
type environment struct {
	now  func() time.Time
	rand io.Reader
}

type counter struct {
	configPath  string // -config: its contactless section configures the tap
	online0800  bool   // signed on with the acquirer
	faults      faults
	lastReceipt func() // reprints the merchant copy of the last receipt
	journal     *journal
	con         *termkit.Console
	out         io.Writer
	cfg         *emv.Config
	acq         *acquirer
	env         environment
	operator    string
	lang        string // -lang: zh, en or both

	reader      string
	wait        time.Duration
	defaultCard string
	cards       map[string]*emvtest.Card // virtual cards by name: each keeps its state between sales
	scripts     bool
	sequence    uint32
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env environment) error {
	fs := flag.NewFlagSet("pos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "terminal configuration JSON file")
	reader := fs.String("reader", "", `PC/SC reader for the cards ("any": the first with a card); default: virtual cards`)
	wait := fs.Duration("wait", 60*time.Second, "how long to wait for a card in the reader")
	issuerMK := fs.String("issuer-mk", "", "issuer master key (AC) of reader cards, 32 hex digits")
	scripts := fs.Bool("scripts", false, "the issuer sends a PUT DATA script with each approval (virtual cards)")
	fault := fs.String("fault", "", "test bench: the virtual line fails: downN (N dials fail), loseN (N answers lost), arpc (the ARPC damaged)")
	lang := "both"
	fs.Func("lang", "language of the screens and receipts: zh, en or both (default both)", func(s string) error {
		if err := langFlag(s); err != nil {
			return err
		}
		lang = s
		return nil
	})
	journalPath := fs.String("journal", "pos-journal.db", "the journal: an SQLite database file, created when missing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err} // the flag package has said what and shown the usage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if env.now == nil {
		env.now = time.Now
	}
	cfg := termkit.DemoConfig()
	if *config != "" {
		c, err := emv.LoadConfig(*config)
		if err != nil {
			return err
		}
		cfg = c
	}
	cfg.Time = env.now
	cfg.Rand = env.rand
	fl, err := parseFaults(*fault)
	if err != nil {
		return err
	}
	j, err := openJournal(*journalPath, env.now())
	if err != nil {
		return err
	}
	defer j.Close()
	c := &counter{
		journal: j, faults: fl, configPath: *config,
		con: termkit.NewConsole(stdin, stdout), out: stdout, cfg: cfg, env: env,
		acq:    &acquirer{issuers: map[string]*emvtest.Issuer{}},
		reader: *reader, wait: *wait, defaultCard: "visa-cda",
		cards: map[string]*emvtest.Card{}, scripts: *scripts, lang: lang,
	}
	if *issuerMK != "" {
		iss, err := emvtest.NewIssuerFromMasterKey(*issuerMK)
		if err != nil {
			return fmt.Errorf("-issuer-mk: %w", err)
		}
		c.acq.issuers[""] = iss
	}
	return c.serve(ctx)
}

// signOn asks for an operator ID and password, three times at most: an
// unknown operator and a wrong password each have their message. Then the
// counter signs on with the acquirer (0800/0810).
func (c *counter) signOn(ctx context.Context) error {
	for range 3 {
		id, err := c.con.ReadLine(ctx, c.tr("signOnPrompt"))
		if err != nil {
			return err
		}
		want, known := operators[id]
		if !known {
			c.con.Printf("%s %q\n", c.tr("unknownOperator"), id)
			continue
		}
		pw, err := c.con.ReadSecret(ctx, c.tr("passwordPrompt"))
		if err != nil {
			return err
		}
		if pw != want {
			c.con.Printf("%s\n", c.tr("wrongPassword"))
			continue
		}
		c.operator = id
		c.con.Printf(c.tr("signedOn")+"\n", id)
		return c.signOnline(ctx)
	}
	return errors.New("pos: sign-on refused three times")
}

// withScript approves valid ARQCs and sends an issuer script after the
// final GENERATE AC (template 72) that sets the Lower Consecutive Offline
// Limit (9F14) to 5 (Book 3 §10.10).
func withScript(req *emvtest.AuthorisationRequest, valid bool) emvtest.Decision {
	d := emvtest.Decision{Approve: valid}
	if valid {
		d.Scripts = []emvtest.Script{{Template: 0x72, ID: []byte{0, 0, 0, 1}, Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{0x05})}}}
	}
	return d
}

// display shows the kernel's standard messages (Book 4 §11.2) on the
// counter's screen: with -lang both, in the cardholder's language (Book 4
// §11.1) beside English when that is another; with -lang zh or en, in
// that language only, the counter's choice over the card's (a counter
// set to one language shows one); none once the operator has cancelled
// (the kernel's processing error is the Cancel itself).
type display struct {
	con  *termkit.Console
	card *cardWatch
	lang string // -lang
}

func (d display) Show(ctx context.Context, m emv.Message) { d.ShowIn(ctx, m, "en") }

// ShowIn shows m in lang and in English, or in the counter's one
// language.
func (d display) ShowIn(ctx context.Context, m emv.Message, lang string) {
	if m == emv.MsgRemoveCard || d.card != nil && d.card.cancelled {
		return // "remove card" is shown once the receipts are printed
	}
	if d.lang == "zh" || d.lang == "en" {
		d.con.Printf("[%s]\n", m.Text(d.lang))
		return
	}
	if t := m.Text(lang); t != m.String() {
		d.con.Printf("[%s %s]\n", t, m)
		return
	}
	d.con.Printf("[%s]\n", m)
}
