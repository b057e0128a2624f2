package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/apdu/pcsc"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel2"
	"github.com/emvkit/emvkit/contactless/kernel3"
	"github.com/emvkit/emvkit/contactless/kernel7"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/termkit"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// kernels are the contactless kernels of the terminal, by Kernel ID: a
// combination whose kernel is not here is not supported (Book B
// §3.3.2.5). A kernel is added by one line.
var kernels = map[contactless.KernelID]contactless.Kernel{
	contactless.Kernel2: kernel2.New(kernel2.Config{}),
	contactless.Kernel3: kernel3.New(kernel3.Config{}),
	contactless.Kernel7: kernel7.New(kernel7.Config{}),
}

// The values of -interface.
const (
	ifaceContact     = "contact"
	ifaceContactless = "contactless"
	ifaceAuto        = "auto"
)

// checkInterface refuses a -interface value the command does not know.
func checkInterface(v string) error {
	switch v {
	case ifaceContact, ifaceContactless, ifaceAuto:
		return nil
	}
	return &usageError{Flag: "-interface", Reason: fmt.Sprintf("%q: want contact, contactless or auto", v)}
}

// chooseInterface resolves -interface for a card with this ATR: auto is
// contactless for the ATR a PC/SC reader builds for an ISO/IEC 14443-4
// card, contact for any other.
func chooseInterface(flag string, atr []byte) string {
	if flag != ifaceAuto {
		return flag
	}
	if contactlessATR(atr) {
		return ifaceContactless
	}
	return ifaceContact
}

// contactlessATR reports whether atr has the form PC/SC Part 3
// §3.1.3.2.3 gives a contactless card of ISO/IEC 14443-4: 3B, T0 = 8n (TD1
// only, n historical bytes), TD1 = 80 (TD2 only, T=0), TD2 = 01 (T=1), the
// n historical bytes and a TCK that makes the exclusive-or of T0 to TCK
// zero (ISO/IEC 7816-3 §8.2.5). A contactless storage card (PC/SC Part 3
// §3.1.3.2.2) has the same form; it answers no SELECT of the PPSE, and
// the Entry Point ends it with End Application (Book B §3.3.2.2).
func contactlessATR(atr []byte) bool {
	if len(atr) < 5 || atr[0] != 0x3B || atr[1]&0xF0 != 0x80 || atr[2] != 0x80 || atr[3] != 0x01 {
		return false
	}
	n := int(atr[1] & 0x0F)
	if len(atr) != 4+n+1 {
		return false
	}
	var x byte
	for _, b := range atr[1:] {
		x ^= b
	}
	return x == 0
}

// tap is one contactless transaction as the terminal ran it: the Entry
// Point's first run, the host's answer to an Online Request, and the run
// of the restart at Start B when the outcome asked for one.
type tap struct {
	Amount uint64
	// Currency is the transaction currency (5F2A, 5F36) with its ISO 4217
	// alphabetic code.
	Currency termkit.Currency
	// Languages are the reader's languages ([contactless.Config].Languages).
	Languages []string
	// Display holds what the reader's display showed, one line per UI
	// Request, in the order they came (displayLine).
	Display []string
	// SeePhone is the first tap of a phone that asked for a second (End
	// Application at Start B with See Phone, Book C-2 S910, States 13 and
	// 14); First is then the second tap.
	SeePhone *contactless.Result
	First    *contactless.Result
	// Online is set when the outcome was an Online Request.
	Online bool
	// OnlinePIN: the cardholder entered a PIN for the issuer.
	OnlinePIN bool
	// HostErr is why the terminal could not go online (the host's error,
	// or emv.ErrUnableToGoOnline without a host).
	HostErr  error
	Response *emv.OnlineResponse
	// Second is the restart at Start B after the online response.
	Second *contactless.Result
	// Err is the Entry Point's error (a run that could not go on).
	Err error
	// ECBalance is what an electronic cash balance inquiry read
	// (kernel7.BalanceInquiry); nil for any other tap.
	ECBalance *emv.ECBalance
}

// inquiryKernels are the kernels of a balance inquiry: [kernels] with
// Kernel 7's electronic cash balance inquiry in place of Kernel 7 (a
// card without electronic cash gets the Kernel 7 transaction, for the
// issuer).
func inquiryKernels() map[contactless.KernelID]contactless.Kernel {
	ks := make(map[contactless.KernelID]contactless.Kernel, len(kernels))
	for id, k := range kernels {
		ks[id] = k
	}
	k7, _ := kernels[contactless.Kernel7].(*kernel7.Kernel)
	ks[contactless.Kernel7] = kernel7.BalanceInquiry{Kernel: k7}
	return ks
}

// ecBalance reads the electronic cash balance and limits a balance
// inquiry left in the Discretionary Data (9F79, 9F78, 9F77, 9F6D, n 12);
// nil when it has no 9F79 (the card had no electronic cash).
func ecBalance(r *contactless.Result) *emv.ECBalance {
	if r == nil || r.Outcome == nil {
		return nil
	}
	amount := func(tag tlv.Tag) *uint64 {
		v, ok := tlv.Find(r.Outcome.DiscretionaryData, tag)
		if !ok || len(v) != 6 {
			return nil
		}
		n, err := strconv.ParseUint(tlv.Digits(v), 10, 64)
		if err != nil || len(tlv.Digits(v)) != 12 {
			return nil
		}
		return &n
	}
	b := amount(0x9F79)
	if b == nil {
		return nil
	}
	return &emv.ECBalance{Balance: *b, SingleTransactionLimit: amount(0x9F78), BalanceLimit: amount(0x9F77), ResetThreshold: amount(0x9F6D)}
}

// field is the reader's field for the Entry Point: the one card in it.
// Every poll after the first presents the card again (a second tap): a
// warm reset of the virtual card or of the card in the PC/SC reader.
type field struct {
	card  apdu.Transceiver
	again func(ctx context.Context) error
	polls int
}

func (f *field) Poll(ctx context.Context) (apdu.Transceiver, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.polls > 0 && f.again != nil {
		if err := f.again(ctx); err != nil {
			return nil, err
		}
	}
	f.polls++
	return f.card, nil
}

func (f *field) Off(ctx context.Context, _ time.Duration) error         { return ctx.Err() }
func (f *field) WaitRemoval(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// runContactless runs the transaction on the contactless interface: the
// Entry Point with the kernels of [kernels], the reader configuration of
// the contactless section of -config (or the built-in one), the host of
// -host for an Online Request. The User Interface Requests are shown as
// they come, in the text output.
func runContactless(ctx context.Context, o options, term *emv.Terminal, card apdu.Transceiver, virtual *emvtest.Card, reader *app.Reader, stdout io.Writer) error {
	if o.record != "" {
		return &usageError{Flag: "-record", Reason: "records contact transactions only"}
	}
	cfg, err := contactlessConfig(o.config, virtual)
	if err != nil {
		return err
	}
	txn, err := transaction(o, termkit.Currency{Code: cfg.Currency, Exponent: cfg.CurrencyExponent})
	if err != nil {
		return err
	}
	f := &field{card: card}
	if virtual != nil {
		f.again = virtualAgain(virtual)
	} else {
		f.again = readerAgain(reader)
	}
	var shown []string
	show := func(u contactless.UIRequest) {
		line := displayLine(u, cfg)
		shown = append(shown, line)
		if !o.json {
			fmt.Fprintf(stdout, "[display] %s\n", line)
		}
	}
	t := runTap(ctx, cfg, txn, term, f, show)
	t.Display = shown
	if t.First == nil {
		return t.Err // an invalid configuration: nothing was sent
	}
	if o.json {
		if err := printTapJSON(stdout, t, reader); err != nil {
			return err
		}
	} else {
		printTapText(stdout, t)
	}
	if t.Err != nil {
		return fmt.Errorf("%w: %v", errTransaction, t.Err)
	}
	return nil
}

// tapCurrency is the reader's transaction currency, named by its ISO 4217
// alphabetic code.
func tapCurrency(cfg *contactless.Config) termkit.Currency {
	return termkit.Currency{Code: cfg.Currency, Alpha: termkit.CurrencyName(cfg.Currency), Exponent: cfg.CurrencyExponent}
}

// displayLine is what the reader's display shows for a User Interface
// Request (Book A §7.1): the message in the cardholder's language (the
// first of the card's Language Preference the reader has, else the
// reader's default: [contactless.UIRequest.Language]), the amount or
// balance with its currency, and, in brackets, the status the reader's
// indicator shows and the hold time:
//
//	交易批准, 余额 CNY 487.66 (Card Read Successfully, hold 1300 ms)
//
// The value is in the reader's currency exponent: Book A gives the value
// in the transaction currency, the only one the reader has an exponent
// for.
func displayLine(u contactless.UIRequest, cfg *contactless.Config) string {
	l := u.Language(cfg.Languages)
	var b strings.Builder
	b.WriteString(u.Message.Text(l))
	if u.ValueQualifier != contactless.ValueNone {
		cur := termkit.Currency{Code: u.CurrencyCode, Alpha: termkit.CurrencyName(u.CurrencyCode), Exponent: cfg.CurrencyExponent}
		fmt.Fprintf(&b, ", %s %s", u.ValueQualifier.Text(l), cur.Display(u.Value))
	}
	fmt.Fprintf(&b, " (%s", u.Status)
	if u.HoldTime != 0 {
		fmt.Fprintf(&b, ", hold %d ms", u.HoldTime*100)
	}
	b.WriteString(")")
	return b.String()
}

// contactlessConfig loads the contactless section of the configuration
// file, or takes the examples' built-in reader (termkit.DemoContactlessConfig).
// Either way a virtual card's CA key is trusted.
func contactlessConfig(path string, card *emvtest.Card) (*contactless.Config, error) {
	cfg := termkit.DemoContactlessConfig()
	if path != "" {
		c, err := contactless.LoadConfig(path)
		if err != nil {
			return nil, err
		}
		cfg = c
	}
	if card != nil {
		if cfg.CAKeys == nil {
			cfg.CAKeys = oda.NewKeyStore()
		}
		if err := termkit.TrustCardKeys(cfg.CAKeys, card); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// runTap runs a contactless transaction on card: the Entry Point from
// Start A, the host for an Online Request, and the restart at Start B the
// outcome asks for.
func runTap(ctx context.Context, cfg *contactless.Config, txn emv.Transaction, term *emv.Terminal, f *field, show func(contactless.UIRequest)) *tap {
	ks := kernels
	if txn.ECBalance {
		ks = inquiryKernels()
	}
	ep := &contactless.EntryPoint{Config: cfg, Kernels: ks, UI: show}
	t := &tap{Amount: txn.Amount, Currency: tapCurrency(cfg), Languages: cfg.Languages}
	ctxn := &contactless.Transaction{Type: byte(txn.Type), Amount: txn.Amount, OtherAmount: txn.AmountOther, Time: txn.Time}
	t.First, t.Err = ep.Run(ctx, f, ctxn)
	// Book A §6.2: End Application with Start B is a phone that asks the
	// cardholder to look at it (See Phone) and to tap again; the terminal
	// restarts the Entry Point at Start B once, with the restart's
	// message. A phone that asks again ends the transaction there.
	if t.Err == nil && asksSecondTap(t.First) {
		t.SeePhone = t.First
		t.First, t.Err = ep.Restart(ctx, f, t.SeePhone, nil)
	}
	if txn.ECBalance {
		t.ECBalance = ecBalance(t.First)
	}
	if t.Err != nil || t.First == nil || t.First.Outcome == nil || t.First.Outcome.Parameters.Status != contactless.StatusOnlineRequest {
		return t
	}
	t.Online = true
	out := t.First.Outcome
	req := onlineRequest(txn, t.First)
	if out.Parameters.CVM == contactless.CVMOnlinePIN && term.PINPad != nil {
		pinReq := cvm.PINRequest{Kind: cvm.OnlinePIN, TriesLeft: -1, Amount: txn.Amount, PAN: req.PAN()}
		if cur, ok := tlv.Find(out.DataRecord, 0x5F2A); ok && len(cur) == 2 {
			copy(pinReq.Currency[:], cur)
		}
		if block, err := term.PINPad.EnterOnlinePIN(ctx, pinReq); err == nil {
			req.OnlinePIN, req.OnlinePINBlock = true, block
			t.OnlinePIN = true
		}
	}
	if term.Host == nil {
		t.HostErr = emv.ErrUnableToGoOnline
		return t
	}
	resp, err := term.Host.Authorise(ctx, req)
	req.OnlinePINBlock = cvm.OnlinePINBlock{}
	if err != nil {
		t.HostErr = err
		return t
	}
	t.Response = resp
	data := responseData(resp)
	// Book A §6.2: Start B with Online Response Data "EMV Data" asks for
	// the issuer's data to be taken to the card on a second tap (Book C-3
	// §5.9). The terminal restarts only when the response carries data
	// for the card, Issuer Authentication Data (91) or an issuer script
	// (71, 72): with an ARC alone there is nothing the card can act on,
	// and the host's decision is final without asking for a second tap.
	if out.Parameters.Start != contactless.StartB || (resp.IssuerAuthData == nil && len(resp.Scripts) == 0) {
		return t
	}
	t.Second, t.Err = ep.Restart(ctx, f, t.First, data)
	return t
}

// asksSecondTap reports whether a run ended with End Application at Start
// B: a phone asking for a second tap.
func asksSecondTap(r *contactless.Result) bool {
	return r != nil && r.Outcome != nil && r.Outcome.Parameters.Status == contactless.StatusEndApplication &&
		r.Outcome.Parameters.Start == contactless.StartB
}

// onlineRequest is the authorisation request of an Online Request
// outcome, for the same emv.Host as the contact interface: the Data
// Record as field 55 without the PAN (5A) and track 2 (57), which the
// request carries apart.
func onlineRequest(txn emv.Transaction, r *contactless.Result) *emv.OnlineRequest {
	rec := r.Outcome.DataRecord
	pan, _ := tlv.Find(rec, 0x5A)
	track2, _ := tlv.Find(rec, 0x57)
	if track2 == nil {
		// Mag-stripe mode (Book C-2): Track 2 Data 9F6B, with CVC3, the
		// Unpredictable Number and the ATC in place, is the track the
		// issuer verifies; it stays in the ICC data too.
		track2, _ = tlv.Find(rec, 0x9F6B)
	}
	if pan == nil && track2 != nil {
		pan = panOfTrack2(track2)
	}
	req := emv.NewOnlineRequest(txn, pan, track2)
	req.AID, _ = tlv.Find(rec, 0x84)
	if req.AID == nil && r.Combination != nil {
		req.AID = bytes.Clone(r.Combination.AID)
	}
	req.PANSequence, _ = tlv.Find(rec, 0x5F34)
	var icc []byte
	it := tlv.NewIter(rec)
	for it.Next() {
		if it.Tag() == 0x5A || it.Tag() == 0x57 {
			continue
		}
		icc = tlv.AppendTLV(icc, it.Tag(), it.Value())
	}
	req.ICCData = icc
	return req
}

// panOfTrack2 is the PAN of Track 2 Equivalent Data (the digits before the
// separator D), F-padded to whole bytes as 5A is.
func panOfTrack2(t2 []byte) []byte {
	d := tlv.Digits(t2)
	for i := 0; i < len(d); i++ {
		if d[i] == 'D' || d[i] == 'd' {
			d = d[:i]
			break
		}
	}
	if len(d)%2 == 1 {
		d += "F"
	}
	out := make([]byte, len(d)/2)
	for i := range out {
		out[i] = nibble(d[2*i])<<4 | nibble(d[2*i+1])
	}
	return out
}

func nibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0x0F
}

// responseData is the online response for the kernel (Book C-3 §5.9):
// the ARC 8A, the Issuer Authentication Data 91 and the scripts as the
// issuer sent them.
func responseData(r *emv.OnlineResponse) []byte {
	var b []byte
	if len(r.ARC) == 2 {
		b = tlv.AppendTLV(b, 0x8A, []byte(r.ARC))
	}
	if r.IssuerAuthData != nil {
		b = tlv.AppendTLV(b, 0x91, r.IssuerAuthData)
	}
	return append(b, r.Scripts...)
}

// outcome names the transaction's result as the contact path does:
// "approved", "declined", "online approved", "online declined",
// "declined (unable to go online)", else the final outcome's status in
// lower case ("try another interface", "end application").
//
// An Online Request the terminal cannot send is declined: a qVSDC card
// that asked for an ARQC gives no offline approval to fall back on
// (Book C-3 §5.8.3 leaves the decision to the reader; declining is the
// choice that takes no risk the card did not accept). After a restart at
// Start B the second outcome is the issuer's decision as the kernel saw it
// (Book C-3 §5.9).
func (t *tap) outcome() string {
	last := t.final()
	if last == nil || last.Outcome == nil {
		return "no outcome"
	}
	if t.ECBalance != nil {
		return emv.BalanceRead.String()
	}
	st := last.Outcome.Parameters.Status
	switch {
	case t.Online && t.HostErr != nil:
		return "declined (unable to go online)"
	case t.Online && t.Second == nil && t.Response != nil:
		if t.Response.Approved {
			return "online approved"
		}
		return "online declined"
	case t.Second != nil && st == contactless.StatusApproved:
		return "online approved"
	case t.Second != nil && st == contactless.StatusDeclined:
		return "online declined"
	}
	return strings.ToLower(st.String())
}

// final is the last run: the restart's, or the first.
func (t *tap) final() *contactless.Result {
	if t.Second != nil {
		return t.Second
	}
	return t.First
}

// record is the first run's Data Record (the card's data), nil without one.
func (t *tap) record() []byte {
	if t.First == nil || t.First.Outcome == nil {
		return nil
	}
	return t.First.Outcome.DataRecord
}

// value finds a tag in the last Data Record that has it: the restart's
// (8A, 95, 9F5B after issuer update processing), then the first run's.
func (t *tap) value(tag tlv.Tag) []byte {
	if t.Second != nil && t.Second.Outcome != nil {
		if v, ok := tlv.Find(t.Second.Outcome.DataRecord, tag); ok {
			return v
		}
	}
	v, _ := tlv.Find(t.record(), tag)
	return v
}

// maskedPAN is the PAN of the Data Record (5A, else that of track 2),
// masked (first six and last four digits).
func (t *tap) maskedPAN() string {
	pan := t.value(0x5A)
	if pan == nil {
		if t2 := t.value(0x57); t2 != nil {
			pan = panOfTrack2(t2)
		} else if t2 := t.value(0x9F6B); t2 != nil { // mag-stripe mode
			pan = panOfTrack2(t2)
		}
	}
	d := tlv.Digits(pan)
	for len(d) > 0 && (d[len(d)-1] == 'F' || d[len(d)-1] == 'f') {
		d = d[:len(d)-1]
	}
	return tlv.MaskPAN(d)
}

// arc is the Authorisation Response Code: the host's, or the one the
// restart's Data Record carries.
func (t *tap) arc() string {
	if t.Response != nil {
		return t.Response.ARC
	}
	return string(t.value(0x8A))
}

// trace is every exchange of every run, in order.
func (t *tap) trace() contactless.Trace {
	var tr contactless.Trace
	if t.SeePhone != nil {
		tr = append(tr, t.SeePhone.Trace...)
	}
	if t.First != nil {
		tr = append(tr, t.First.Trace...)
	}
	if t.Second != nil {
		tr = append(tr, t.Second.Trace...)
	}
	return tr
}

// language is the language of the cardholder messages: that of the last
// UI Request (the card's preference once it gave one), else the reader's
// default.
func (t *tap) language() string {
	last := t.final()
	if last != nil && len(last.UI) > 0 {
		return last.UI[len(last.UI)-1].Language(t.Languages)
	}
	return contactless.UIRequest{}.Language(t.Languages)
}

// balance is the Available Offline Spending Amount (9F5D: the electronic
// cash balance the card has left after the tap) of the first run's
// Discretionary Data, in minor units; false when the card returned none.
func (t *tap) balance() (uint64, bool) {
	if t.First == nil || t.First.Outcome == nil {
		return 0, false
	}
	v, ok := tlv.Find(t.First.Outcome.DiscretionaryData, 0x9F5D)
	if !ok || len(v) != 6 {
		return 0, false
	}
	n, err := strconv.ParseUint(tlv.Digits(v), 10, 64)
	return n, err == nil
}

// cvmName is the CVM of the outcome that decided it (the first run's: the
// restart's outcome carries none).
func (t *tap) cvmName() string {
	if t.First == nil || t.First.Outcome == nil {
		return contactless.CVMNA.String()
	}
	return t.First.Outcome.Parameters.CVM.String()
}

// readerAgain is the second tap on a card in a PC/SC reader: a warm reset.
func readerAgain(r *app.Reader) func(context.Context) error {
	return func(ctx context.Context) error { return r.Card.Reconnect(ctx, pcsc.ResetCard) }
}

// virtualAgain is the second tap on the virtual card: a warm reset.
func virtualAgain(c *emvtest.Card) func(context.Context) error {
	return func(context.Context) error { c.Reset(); return nil }
}

// tvrBits names the set bits of the tap's TVR. Under Kernel 2, TVR byte 5
// bits 2-1 are one field, "relay resistance performed" (Book C-2 Annex A,
// TVR: 00 not supported, 01 not performed, 10 performed), not the bits
// Book 3 gives them, so it is named here and the other bits by package tvr.
func (t *tap) tvrBits(r tvr.TVR) []string {
	if t.First == nil || t.First.Combination == nil || t.First.Combination.Kernel != contactless.Kernel2 {
		return r.Bits()
	}
	rrp := r[4] & 0x03
	r[4] &^= 0x03
	b := r.Bits()
	switch rrp {
	case 0x01:
		b = append(b, "relay resistance protocol not performed")
	case 0x02:
		b = append(b, "relay resistance protocol performed")
	case 0x03:
		b = append(b, "relay resistance field RFU (11)")
	}
	return b
}
