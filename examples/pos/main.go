// Command pos is a shop counter: the flow a merchant knows, around the
// emv kernel run step by step (emv.Start).
//
//  1. The operator signs on with an operator ID and password.
//
//  2. The operator keys in the amount.
//
//  3. The customer inserts the card: a virtual card by default (Enter,
//     or the name of a card profile), or a card in a PC/SC reader with
//     -reader.
//
//  4. The customer chooses the application when the card has several,
//     and enters the PIN when the card asks for one (no echo).
//
//  5. The terminal goes online when the card or the terminal wants it: an
//     authorisation request (ISO 8583 0200, the ICC data in its field 55)
//     goes to a simulated acquirer, which routes it to the card's virtual
//     issuer; the answer (0210) carries the response code and, in its
//     field 55, the ARPC, the ARC and any issuer scripts, which go back
//     to the card.
//
//  6. The transaction goes into the journal (-journal, an SQLite file
//     that survives a restart: masked PAN, amount, STAN, RRN, auth code,
//     outcome, field 55), then two receipts print: the merchant copy, with a signature line when
//     the cardholder verification asks for a signature, and the
//     cardholder copy. Both show the masked PAN, the application label
//     and AID, TVR, TSI, the cryptogram and the result.
//
//  7. "REMOVE CARD"; the next sale, or Enter at the amount to sign off.
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
// run the counter: operator ID, password, then per sale the amount, the
// card, the application number if asked, the PIN if asked.
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
//	-journal FILE    the journal database (default pos-journal.db)
//	-scripts         the issuer sends a script with each approval (PUT DATA
//	                 of the Lower Consecutive Offline Limit 9F14), virtual
//	                 cards only
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

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/termkit"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, environment{})
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "pos:", err)
		os.Exit(1)
	}
}

// operators are the demo operator IDs and passwords.
var operators = map[string]string{"01": "2468", "02": "1357"}

// environment holds the clock and the random source; zero values are the
// real ones (tests fix them).
type environment struct {
	now  func() time.Time
	rand io.Reader
}

type counter struct {
	journal  *journal
	con      *termkit.Console
	out      io.Writer
	cfg      *emv.Config
	acq      *acquirer
	env      environment
	operator string

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
	journalPath := fs.String("journal", "pos-journal.db", "the journal: an SQLite database file, created when missing")
	if err := fs.Parse(args); err != nil {
		return err
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
	j, err := openJournal(*journalPath, env.now())
	if err != nil {
		return err
	}
	defer j.Close()
	c := &counter{
		journal: j,
		con:     termkit.NewConsole(stdin, stdout), out: stdout, cfg: cfg, env: env,
		acq:    &acquirer{issuers: map[string]*emvtest.Issuer{}},
		reader: *reader, wait: *wait, defaultCard: "visa-cda",
		cards: map[string]*emvtest.Card{}, scripts: *scripts,
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

func (c *counter) serve(ctx context.Context) error {
	name := c.cfg.MerchantNameLocation
	if name == "" {
		name = "EMVKIT POS"
	}
	c.con.Printf("%s, terminal %s\n", name, c.cfg.TerminalID)
	if err := c.signOn(ctx); err != nil {
		return err
	}
	for {
		more, err := c.sale(ctx)
		if err != nil {
			return err
		}
		if !more {
			c.con.Printf("Operator %s signed off.\n", c.operator)
			return nil
		}
	}
}

// signOn asks for an operator ID and password, three times at most.
func (c *counter) signOn(ctx context.Context) error {
	for range 3 {
		id, err := c.con.ReadLine(ctx, "Operator ID: ")
		if err != nil {
			return err
		}
		pw, err := c.con.ReadSecret(ctx, "Password: ")
		if err != nil {
			return err
		}
		if want, ok := operators[id]; ok && pw == want {
			c.operator = id
			c.con.Printf("Operator %s signed on.\n", id)
			return nil
		}
		c.con.Printf("Sign-on refused.\n")
	}
	return errors.New("sign-on refused three times")
}

// sale runs one sale; it reports false when the operator signs off.
func (c *counter) sale(ctx context.Context) (bool, error) {
	c.con.Printf("\n--- new sale ---\n")
	var amount uint64
	for {
		s, err := c.con.ReadLine(ctx, "Amount (Enter to sign off): ")
		if errors.Is(err, termkit.ErrNoInput) || (err == nil && s == "") {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if amount, err = termkit.ConfigCurrency(c.cfg).Parse(s); err == nil && amount > 0 {
			break
		}
		c.con.Printf("Invalid amount.\n")
	}
	c.con.Printf("AMOUNT %s\n", termkit.ConfigCurrency(c.cfg).Display(amount))

	card, done, err := c.insertCard(ctx)
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, termkit.ErrNoInput) {
			return false, err
		}
		c.con.Printf("No card: %v\n", err)
		return true, nil
	}
	defer done()

	c.sequence++
	txn := emv.Transaction{Type: emv.Purchase, Amount: amount, SequenceCounter: c.sequence, Time: c.env.now()}
	stan, err := c.journal.nextSTAN()
	if err != nil {
		return false, err
	}
	res, host, err := c.transact(ctx, card, txn, stan)
	switch {
	case res == nil:
		return false, err
	case err != nil && (ctx.Err() != nil || errors.Is(err, termkit.ErrNoInput)):
		return false, err
	case res.Outcome == emv.TryAnotherInterface:
		// Technical fallback (Book 4 §6.3.6): the chip could not be used.
		c.con.Printf("\nCHIP ERROR: %v\nUSE THE MAGNETIC STRIPE: swipe the card\n", err)
		return true, nil
	case err != nil:
		c.con.Printf("\nTRANSACTION NOT COMPLETED: %v\n", err)
		if errors.Is(err, apdu.ErrCardRemoved) {
			c.con.Printf("The card was removed too early.\n")
		}
		return true, nil
	}
	if err := c.record("sale", res, host, stan); err != nil {
		return false, err
	}
	c.printReceipt(res, stan, true)
	c.printReceipt(res, stan, false)
	c.con.Printf("REMOVE CARD\n")
	return true, nil
}

// insertCard gets the customer's card: a virtual card named on the input
// (Enter: the default card), or the card in the reader. done ends the
// card's session.
func (c *counter) insertCard(ctx context.Context) (apdu.Transceiver, func(), error) {
	if c.reader != "" {
		c.con.Printf("INSERT CARD (%s)\n", c.reader)
		r, err := app.OpenReader(ctx, c.reader, c.wait)
		if err != nil {
			return nil, nil, err
		}
		return r.Card, func() {
			c.con.Printf("Waiting for the card to be removed...\n")
			wctx, cancel := context.WithTimeout(ctx, c.wait)
			r.WaitForRemoval(wctx)
			cancel()
			r.Close()
		}, nil
	}
	name, err := c.con.ReadLine(ctx, fmt.Sprintf("INSERT CARD (Enter: %s, or a card name or profile file): ", c.defaultCard))
	if err != nil {
		return nil, nil, err
	}
	if name == "" {
		name = c.defaultCard
	}
	card := c.cards[name]
	if card == nil {
		p, err := app.LoadProfile(name)
		if err != nil {
			return nil, nil, err
		}
		card = emvtest.NewCard(p)
		if err := termkit.TrustCard(c.cfg, card); err != nil {
			return nil, nil, err
		}
		iss := emvtest.IssuerFor(card)
		if c.scripts {
			iss.SetRule(withScript)
		}
		c.acq.issuers[p.PAN] = iss
		c.cards[name] = card
	}
	card.Insert()
	return card, func() { card.Remove() }, nil
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

// transact runs the kernel step by step and answers its requests: the
// PIN and the trip to the acquirer (the customer chooses the application
// through termkit.Selector).
func (c *counter) transact(ctx context.Context, card apdu.Transceiver, txn emv.Transaction, stan uint32) (*emv.Result, *authResponse, error) {
	s := emv.Start(ctx, card, c.cfg, &txn, &emv.Terminal{Display: display{c.con}, Selector: &termkit.Selector{Console: c.con}})
	defer s.Close()
	pad := &termkit.PINPad{Console: c.con, Rand: c.env.rand}
	var host *authResponse
	for {
		req, done := s.Next()
		if done != nil {
			return done.Result, host, done.Err
		}
		switch r := req.(type) {
		case *emv.EnterPIN:
			if r.PINRequest.Kind == cvm.OnlinePIN {
				b, err := pad.EnterOnlinePIN(ctx, r.PINRequest)
				if err != nil {
					r.Fail(err)
					continue
				}
				r.AnswerOnlinePIN(b)
				continue
			}
			p, err := pad.EnterOfflinePIN(ctx, r.PINRequest)
			if err != nil {
				r.Fail(err)
				continue
			}
			r.AnswerPIN(p)
		case *emv.GoOnline:
			m := c.acq.request(c.cfg, r.Request, stan)
			c.con.Printf("AUTHORISING...\n  > %s\n", m)
			resp, err := c.acq.authorise(ctx, m)
			if err != nil {
				c.con.Printf("  no answer: %v\n", err)
				r.Answer(nil, err)
				continue
			}
			c.con.Printf("  < %s\n", resp)
			host = resp
			r.Answer(emv.ParseHostResponse(resp.ResponseCode, resp.ICCData))
		case *emv.TransactionDetails:
			r.Answer(txn)
		}
	}
}

// display shows the kernel's standard messages (Book 4 §11.2) on the
// counter's screen.
type display struct{ con *termkit.Console }

func (d display) Show(ctx context.Context, m emv.Message) {
	if m == emv.MsgRemoveCard {
		return // shown once the receipts are printed
	}
	d.con.Printf("[%s]\n", m)
}

// record writes the transaction to the journal, before its receipt
// prints.
func (c *counter) record(kind string, res *emv.Result, host *authResponse, stan uint32) error {
	e := &entry{STAN: stan, Time: res.Receipt.Time, Operator: c.operator, Kind: kind, MTI: "0200",
		ProcessingCode: fmt.Sprintf("%02X0000", byte(emv.Purchase)), Amount: res.Receipt.Amount,
		MaskedPAN: res.Receipt.MaskedPAN, Entry: "chip", Outcome: "declined", Field55: res.ICCData}
	if res.Outcome.IsApproved() {
		e.Outcome = "approved"
	}
	if host != nil {
		e.AuthCode, e.RRN, e.ResponseCode = host.AuthCode, host.RRN, host.ResponseCode
	}
	return c.journal.add(e)
}
