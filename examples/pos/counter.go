package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/termkit"
	"github.com/emvkit/emvkit/tlv"
)

// kind is one item of the transaction menu: the EMV Transaction Type 9C
// the card sees, and the ISO 8583 message type and processing code
// (field 3: 9C, then the account types "0000") the acquirer sees, as the
// UnionPay counter terminals of China send them.
type kind struct {
	key, name, zh, label string
	mti                  string
	emvType              emv.TransactionType
	card                 bool   // the card is read
	original             string // the kind of transaction this one refers to, by STAN
}

// processingCode is field 3.
func (k *kind) processingCode() string { return fmt.Sprintf("%02X0000", byte(k.emvType)) }

// menu is the transaction menu. A void (撤销) and a pre-authorisation
// completion (预授权完成) refer to an approved transaction of the journal
// by its STAN and are keyed without the card: the acquirer matches them
// to the original by its RRN and authorisation code. UnionPay lets the
// acquirer decide whether these need the card again; this counter, like
// most, does not ask for it.
var menu = []*kind{
	{key: "1", name: "sale", zh: "消费", label: "SALE", mti: "0200", emvType: emv.Purchase, card: true},
	{key: "2", name: "refund", zh: "退货", label: "REFUND", mti: "0220", emvType: emv.Refund, card: true, original: "sale"},
	{key: "3", name: "void", zh: "撤销", label: "VOID", mti: "0200", emvType: emv.Refund, original: "sale"},
	{key: "4", name: "preauth", zh: "预授权", label: "PRE-AUTH", mti: "0100", emvType: emv.PreAuthorisation, card: true},
	{key: "5", name: "completion", zh: "预授权完成", label: "PRE-AUTH COMPLETION", mti: "0200", emvType: emv.Purchase, original: "preauth"},
	{key: "6", name: "balance", zh: "余额查询", label: "BALANCE INQUIRY", mti: "0200", emvType: emv.BalanceInquiry31, card: true},
}

// completionLimit is how far a completion may exceed its
// pre-authorisation, in percent: UnionPay's 115 %.
const completionLimit = 115

func (c *counter) serve(ctx context.Context) error {
	name := c.cfg.MerchantNameLocation
	if name == "" {
		name = "EMVKIT POS"
	}
	c.con.Printf(c.tr("banner")+"\n", name, c.cfg.TerminalID)
	if err := c.signOn(ctx); err != nil {
		return err
	}
	for {
		c.con.Printf("\n--- %s ---\n", c.tr("menu"))
		for _, k := range menu {
			c.con.Printf("  %s %s\n", k.key, c.kindName(k))
		}
		c.con.Printf("  7 %s\n  8 %s\n  0 %s\n", c.tr("settlement"), c.tr("menuReprint"), c.tr("menuSignOff"))
		choice, err := c.con.ReadLine(ctx, c.tr("choicePrompt"))
		if errors.Is(err, termkit.ErrNoInput) || (err == nil && (choice == "" || choice == "0")) {
			return c.signOff(ctx)
		}
		if err != nil {
			return err
		}
		switch choice {
		case "7":
			if err := c.signOnline(ctx); err != nil {
				return err
			}
			if err := c.flushReversals(ctx); err != nil {
				return err
			}
			if err := c.settle(ctx); err != nil {
				return err
			}
			continue
		case "8":
			if c.lastReceipt == nil {
				c.con.Printf("%s\n", c.tr("noReceipt"))
			} else {
				c.con.Printf("%s\n", c.tr("reprint"))
				c.lastReceipt()
			}
			continue
		}
		var k *kind
		for _, m := range menu {
			if m.key == choice {
				k = m
			}
		}
		if k == nil {
			c.con.Printf("%s\n", c.tr("invalidChoice"))
			continue
		}
		if err := c.signOnline(ctx); err != nil {
			return err
		}
		if !c.online0800 {
			c.con.Printf("%s\n", c.tr("notSignedOn"))
			continue
		}
		if err := c.flushReversals(ctx); err != nil {
			return err
		}
		if err := c.do(ctx, k); err != nil {
			return err
		}
	}
}

// fatal reports whether err ends the counter rather than the
// transaction: the input ended, or the program is stopping.
func fatal(ctx context.Context, err error) bool {
	return err != nil && (ctx.Err() != nil || errors.Is(err, termkit.ErrNoInput))
}

// do runs one transaction of the menu.
func (c *counter) do(ctx context.Context, k *kind) error {
	c.con.Printf("\n--- %s ---\n", c.kindName(k))
	var orig *entry
	if k.original != "" {
		var err error
		if orig, err = c.original(ctx, k); err != nil || orig == nil {
			return err
		}
	}
	stan, err := c.journal.nextSTAN()
	if err != nil {
		return err
	}
	if !k.card {
		return c.keyed(ctx, k, orig, stan)
	}
	return c.withCard(ctx, k, orig, stan)
}

// original asks for the STAN of the transaction a void, refund or
// completion refers to and checks it against the journal: nil when the
// operator's answer does not name one that can be used.
func (c *counter) original(ctx context.Context, k *kind) (*entry, error) {
	s, err := c.con.ReadLine(ctx, c.tr("originalPrompt"))
	if err != nil {
		return nil, err
	}
	var n uint32
	if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n == 0 {
		c.con.Printf("%s\n", c.tr("invalidSTAN"))
		return nil, nil
	}
	e, err := c.journal.find(n)
	if err != nil {
		return nil, err
	}
	batch, err := c.journal.batch()
	if err != nil {
		return nil, err
	}
	switch {
	case e == nil || e.Kind != k.original && !(k.name == "refund" && e.Kind == "completion"):
		c.con.Printf("%s\n", c.tr("noSuch "+k.original))
		return nil, nil
	case e.Outcome != "approved":
		c.con.Printf("%s\n", c.tr("origNotApproved"))
		return nil, nil
	case e.Voided:
		c.con.Printf("%s\n", c.tr("origVoided"))
		return nil, nil
	case k.name == "void" && e.Batch != batch:
		// A void takes back a sale of the open batch; once settled, the
		// sale can only be refunded.
		c.con.Printf("%s\n", c.tr("notInBatch"))
		return nil, nil
	}
	c.con.Printf("%s %06d %s %s %s\n", c.tr("original"), e.STAN, pick(c.lang, kindByName(e.Kind).zh, strings.ToUpper(e.Kind), strings.ToUpper(e.Kind)), e.MaskedPAN, c.money(e.Amount))
	return e, nil
}

func (c *counter) money(v uint64) string { return termkit.ConfigCurrency(c.cfg).Display(v) }

// amountRule gives the largest amount a transaction may have, 0 for no
// bound: a refund at most what is left of its sale, a completion at most
// 115 % of its pre-authorisation.
func (c *counter) amountRule(k *kind, orig *entry) (uint64, error) {
	switch k.name {
	case "refund":
		done, err := c.journal.refunded(orig.STAN)
		return orig.Amount - min(done, orig.Amount), err
	case "completion":
		return orig.Amount * completionLimit / 100, nil
	}
	return 0, nil
}

// askAmount asks for the amount until a valid one is keyed: more than
// zero, at most limit when limit is not 0.
func (c *counter) askAmount(ctx context.Context, limit uint64) (uint64, error) {
	cur := termkit.ConfigCurrency(c.cfg)
	for {
		s, err := c.con.ReadLine(ctx, c.tr("amountPrompt"))
		if err != nil {
			return 0, err
		}
		a, err := cur.Parse(s)
		switch {
		case err != nil || a == 0:
			c.con.Printf("%s\n", c.tr("invalidAmount"))
		case limit != 0 && a > limit:
			c.con.Printf("%s %s\n", c.tr("amountAbove"), c.money(limit))
		default:
			c.con.Printf("%s %s\n", c.tr("amount"), c.money(a))
			return a, nil
		}
	}
}

// keyed runs a void or a completion: no card, a message to the acquirer
// that names the original.
func (c *counter) keyed(ctx context.Context, k *kind, orig *entry, stan uint32) error {
	amount := orig.Amount
	if k.name == "completion" {
		limit, _ := c.amountRule(k, orig)
		var err error
		if amount, err = c.askAmount(ctx, limit); err != nil {
			return err
		}
	} else {
		c.con.Printf("%s %s\n", c.tr("amount"), c.money(amount))
	}
	now := c.env.now()
	req := &authRequest{MTI: k.mti, ProcessingCode: k.processingCode(), Amount: amount, STAN: stan, Time: now,
		EntryMode: "012", TerminalID: c.cfg.TerminalID, MerchantID: c.cfg.MerchantID, Currency: c.cfg.Currency,
		OriginalSTAN: orig.STAN, OriginalRRN: orig.RRN, OriginalAuthCode: orig.AuthCode, MaskedPAN: orig.MaskedPAN}
	resp, lost, err := c.online(ctx, req)
	if err != nil {
		return err
	}
	e := &entry{STAN: stan, Time: now, Operator: c.operator, Kind: k.name, MTI: k.mti, ProcessingCode: k.processingCode(),
		Amount: amount, MaskedPAN: orig.MaskedPAN, Entry: "key", Original: orig.STAN, Outcome: "declined"}
	if lost {
		if err := c.reverseEntry(ctx, e, req, "no answer"); err != nil {
			return err
		}
	}
	if resp != nil {
		e.RRN, e.AuthCode, e.ResponseCode = resp.RRN, resp.AuthCode, resp.ResponseCode
		if resp.ResponseCode == "00" {
			e.Outcome = "approved"
		}
	} else {
		e.Outcome = "no answer"
	}
	if err := c.journal.add(e); err != nil {
		return err
	}
	if k.name == "void" && e.Outcome == "approved" {
		if err := c.journal.markVoided(orig.STAN); err != nil {
			return err
		}
	}
	return c.receipts(ctx, k, e, nil)
}

// online sends a request to the acquirer and shows both messages; a nil
// answer with a nil error is a communication failure, and lost reports
// that the answer to a request sent never came.
func (c *counter) online(ctx context.Context, req *authRequest) (resp *authResponse, lost bool, err error) {
	c.con.Printf("%s\n", c.tr("authorising"))
	resp, lost, err = c.exchange(ctx, req)
	if resp != nil && resp.ResponseCode != "00" {
		c.con.Printf("%s %s: %s\n", c.tr("declined"), resp.ResponseCode, c.declineReason(resp.ResponseCode))
	}
	return resp, lost, err
}

// withCard runs a transaction with the card: chip, or the magnetic
// stripe.
func (c *counter) withCard(ctx context.Context, k *kind, orig *entry, stan uint32) error {
	card, err := c.takeCard(ctx)
	if err != nil {
		if fatal(ctx, err) {
			return err
		}
		c.con.Printf("%s: %v\n", c.tr("noCard"), err)
		return nil
	}
	if card.swipe {
		return c.stripe(ctx, k, orig, stan, card, false)
	}
	defer card.done()
	if card.virtual != nil && contactlessCard(card.virtual.ATR()) {
		return c.tap(ctx, k, orig, stan, card)
	}
	c.con.Printf("%s\n", c.tr("doNotRemove"))
	c.sequence++
	txn := emv.Transaction{Type: k.emvType, SequenceCounter: c.sequence, Time: c.env.now()}
	w := &cardWatch{Transceiver: card.chip}
	w.confirm = func() error { return c.confirmCard(ctx, w) }
	var lost bool
	res, host, sent, err := c.transact(ctx, w, k, orig, &txn, stan, &lost)
	switch {
	case res == nil && !errors.Is(err, errCancelled):
		return err
	case fatal(ctx, err):
		return err
	case errors.Is(err, errCancelled) || w.cancelled:
		c.con.Printf("%s\n%s\n", c.tr("cancelled"), c.tr("removeCard"))
		return nil
	case res.Outcome == emv.TryAnotherInterface:
		// Technical fallback (Book 4 §6.3.6): the chip could not be used;
		// the stripe of the same card may be swiped, and the
		// authorisation says it is a fallback.
		c.con.Printf("\n%s: %v\n%s\n", c.tr("chipError"), err, c.tr("useStripe"))
		card.done()
		s, err := c.con.ReadLine(ctx, c.tr("swipePrompt"))
		if err != nil || strings.EqualFold(s, "C") {
			c.con.Printf("%s\n", c.tr("cancelled"))
			return err
		}
		return c.stripe(ctx, k, orig, stan, card, true)
	case err != nil:
		c.con.Printf("\n%s: %v\n", c.tr("notCompleted"), err)
		if errors.Is(err, apdu.ErrCardRemoved) {
			c.con.Printf("%s\n", c.tr("removedEarly"))
		}
		return nil
	}
	if k.name == "refund" && host == nil {
		// A refund is an advice (0220) the acquirer must have whatever the
		// card answered: the card's cryptogram goes in its field 55.
		req := &authRequest{MTI: k.mti, PAN: w.pan, ProcessingCode: k.processingCode(), Amount: res.Receipt.Amount, STAN: stan,
			Time: res.Receipt.Time, EntryMode: "051", PANSequence: res.Receipt.PANSequence, TerminalID: c.cfg.TerminalID,
			MerchantID: c.cfg.MerchantID, Currency: c.cfg.Currency, ICCData: res.ICCData,
			OriginalSTAN: orig.STAN, OriginalRRN: orig.RRN, OriginalAuthCode: orig.AuthCode}
		if host, _, err = c.online(ctx, req); err != nil {
			return err
		}
	}
	if res.ECBalance != nil {
		c.con.Printf("%s %s\n", c.tr("ecBalance"), c.money(res.ECBalance.Balance))
	} else if host != nil && host.Balance != nil {
		c.con.Printf("%s %s\n", c.tr("availBalance"), c.money(*host.Balance))
	}
	e := c.chipEntry(k, res, host, stan, orig, w)
	switch {
	case lost:
		if err := c.reverseEntry(ctx, e, sent, "no answer"); err != nil {
			return err
		}
	case host != nil && host.ResponseCode == "00" && res.Outcome == emv.OnlineDeclined && k.name != "refund":
		// The issuer approved, the card refused at the second GENERATE AC
		// (Book 3 §10.11: an AAC): the acquirer must take back the
		// approval.
		sent.ICCData = res.ICCData
		if err := c.reverseEntry(ctx, e, sent, "card declined after approval"); err != nil {
			return err
		}
	}
	if err := c.journal.add(e); err != nil {
		return err
	}
	if err := c.receipts(ctx, k, e, res); err != nil {
		return err
	}
	c.con.Printf("%s\n", c.tr("removeCard"))
	return nil
}

// chipEntry is the journal row of a chip transaction.
func (c *counter) chipEntry(k *kind, res *emv.Result, host *authResponse, stan uint32, orig *entry, w *cardWatch) *entry {
	e := &entry{STAN: stan, Time: res.Receipt.Time, Operator: c.operator, Kind: k.name, MTI: k.mti,
		ProcessingCode: k.processingCode(), Amount: res.Receipt.Amount, MaskedPAN: res.Receipt.MaskedPAN,
		Entry: "chip", Outcome: "declined", Field55: res.ICCData}
	if e.MaskedPAN == "" {
		e.MaskedPAN = tlv.MaskPAN(w.pan)
	}
	if orig != nil {
		e.Original = orig.STAN
	}
	switch {
	case res.Outcome == emv.BalanceRead:
		e.Outcome = "balance read"
	case host != nil && host.ResponseCode == "00" && (res.Outcome.IsApproved() || k.name == "refund"):
		// A refund's card answers an AAC (the terminal asks for one,
		// Book 3 §9.3 leaves it to the terminal): the acquirer's approval
		// decides.
		e.Outcome = "approved"
	case host == nil && res.Outcome.IsApproved():
		e.Outcome = "approved"
	}
	if host != nil {
		e.AuthCode, e.RRN, e.ResponseCode = host.AuthCode, host.RRN, host.ResponseCode
	}
	return e
}

// errCancelled is the operator's Cancel at the card check.
var errCancelled = errors.New("pos: cancelled by the operator")

// confirmCard shows the card the kernel read and waits for the
// operator's Confirm or Cancel.
func (c *counter) confirmCard(ctx context.Context, w *cardWatch) error {
	if w.confirmed || w.cancelled {
		return nil
	}
	w.confirmed = true
	exp := w.expiry
	if len(exp) >= 4 {
		exp = exp[2:4] + "/" + exp[:2]
	}
	c.con.Printf("%s %s\n%s %s\n%s %s\n", c.tr("cardNo"), tlv.MaskPAN(w.pan), c.tr("cardName"), strings.TrimSpace(w.name), c.tr("cardExpiry"), exp)
	for {
		s, err := c.con.ReadLine(ctx, c.tr("confirmPrompt"))
		if err != nil {
			return err
		}
		switch strings.ToUpper(s) {
		case "", "Y", "OK":
			return nil
		case "C", "CANCEL", "N":
			w.cancelled = true
			return errCancelled
		}
	}
}

// cardWatch passes the kernel's commands to the card and reads, from the
// records the card returns (READ RECORD, Book 3 §10.2), the PAN 5A, the
// cardholder name 5F20 and the expiry 5F24 the operator checks. The
// first command after the records waits for the operator's Confirm: a
// Cancel there ends the transaction before any cryptogram is asked for.
type cardWatch struct {
	apdu.Transceiver
	pan, name, expiry string
	records           bool
	lastIns           byte
	gpo               bool
	confirm           func() error
	confirmed         bool
	cancelled         bool
}

func (w *cardWatch) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) < 2 {
		return w.Transceiver.Transmit(ctx, cmd)
	}
	ins := cmd[1]
	if ins != 0xB2 && ins != 0xC0 && w.records && !w.confirmed {
		if err := w.confirm(); err != nil {
			return nil, err
		}
	}
	resp, err := w.Transceiver.Transmit(ctx, cmd)
	// An application record comes after GET PROCESSING OPTIONS (the
	// records before are the PSE's), in the answer to READ RECORD or to
	// the GET RESPONSE after it (T=0, Book 1 §9.3).
	if ins == 0xA8 {
		w.gpo = true
	}
	if err == nil && w.gpo && (ins == 0xB2 || ins == 0xC0 && w.lastIns == 0xB2) && len(resp) > 2 {
		body := resp[:len(resp)-2]
		if v, ok := tlv.Find(body, 0x5A); ok {
			w.pan = tlv.Digits(v)
		}
		if v, ok := tlv.Find(body, 0x5F20); ok {
			w.name = string(v)
		}
		if v, ok := tlv.Find(body, 0x5F24); ok {
			w.expiry = fmt.Sprintf("%X", v)
		}
		w.records = true
	}
	if ins != 0xC0 {
		w.lastIns = ins
	}
	return resp, err
}

// heldCard is the customer's card at the counter.
type heldCard struct {
	name    string
	chip    apdu.Transceiver
	virtual *emvtest.Card
	swipe   bool
	done    func()
}

// takeCard gets the customer's card: a virtual card named on the input
// (Enter: the default card; "swipe NAME" swipes its stripe), or the card
// in the reader.
func (c *counter) takeCard(ctx context.Context) (*heldCard, error) {
	if c.reader != "" {
		c.con.Printf("%s (%s)\n", c.tr("insertCard"), c.reader)
		r, err := app.OpenReader(ctx, c.reader, c.wait)
		if err != nil {
			return nil, err
		}
		return &heldCard{chip: r.Card, done: sync1(func() {
			c.con.Printf("%s\n", c.tr("waitRemoval"))
			wctx, cancel := context.WithTimeout(ctx, c.wait)
			r.WaitForRemoval(wctx)
			cancel()
			r.Close()
		})}, nil
	}
	name, err := c.con.ReadLine(ctx, fmt.Sprintf(c.tr("insertOrSwipe"), c.defaultCard))
	if err != nil {
		return nil, err
	}
	swipe := false
	if rest, ok := strings.CutPrefix(name, "swipe"); ok && (rest == "" || rest[0] == ' ') {
		swipe, name = true, strings.TrimSpace(rest)
	}
	if name == "" {
		name = c.defaultCard
	}
	card, err := c.virtualCard(name)
	if err != nil {
		return nil, err
	}
	h := &heldCard{name: name, chip: card, virtual: card, swipe: swipe, done: func() {}}
	if !swipe {
		card.Insert()
		h.done = sync1(card.Remove)
	}
	return h, nil
}

// sync1 makes f run once however often it is called.
func sync1(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

// virtualCard returns the virtual card of that name, made (with its
// issuer at the acquirer) the first time.
func (c *counter) virtualCard(name string) (*emvtest.Card, error) {
	if card := c.cards[name]; card != nil {
		return card, nil
	}
	p, err := app.LoadProfile(name)
	if err != nil {
		return nil, err
	}
	card := emvtest.NewCard(p)
	if err := termkit.TrustCard(c.cfg, card); err != nil {
		return nil, err
	}
	iss := emvtest.IssuerFor(card)
	if c.scripts {
		iss.SetRule(withScript)
	}
	c.acq.issuers[p.PAN] = iss
	c.cards[name] = card
	return card, nil
}

// transact runs the kernel step by step and answers its requests: the
// transaction once the card is known (after the operator's check), the
// PIN and the trip to the acquirer (the customer chooses the
// application through termkit.Selector).
func (c *counter) transact(ctx context.Context, card *cardWatch, k *kind, orig *entry, txn *emv.Transaction, stan uint32, reversal *bool) (*emv.Result, *authResponse, *authRequest, error) {
	var start *emv.Transaction
	if k.name == "balance" {
		// The electronic cash inquiry must be known from the start; a card
		// without electronic cash gets the Book 3 inquiry, online.
		txn.ECBalance = true
		start = txn
	}
	s := emv.Start(ctx, card, c.cfg, start, &emv.Terminal{Display: display{c.con, card, c.lang}, Selector: &termkit.Selector{Console: c.con}})
	defer s.Close()
	pad := &termkit.PINPad{Console: c.con, Rand: c.env.rand}
	var host *authResponse
	var sent *authRequest
	for {
		req, done := s.Next()
		if done != nil {
			return done.Result, host, sent, done.Err
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
			m.MTI, m.ProcessingCode, m.EntryMode = k.mti, k.processingCode(), "051"
			if orig != nil {
				m.OriginalSTAN, m.OriginalRRN, m.OriginalAuthCode = orig.STAN, orig.RRN, orig.AuthCode
			}
			resp, lost, err := c.online(ctx, m)
			if err != nil {
				r.Answer(nil, err)
				continue
			}
			sent, *reversal = m, lost
			if resp == nil {
				r.Answer(nil, errNoAnswer)
				continue
			}
			host = resp
			r.Answer(emv.ParseHostResponse(resp.ResponseCode, resp.ICCData))
		case *emv.TransactionDetails:
			if card.records {
				if err := card.confirm(); err != nil {
					return nil, nil, nil, err
				}
			}
			if orig != nil || k.name != "balance" {
				limit := uint64(0)
				if orig != nil {
					var err error
					if limit, err = c.amountRule(k, orig); err != nil {
						return nil, nil, nil, err
					}
				}
				a, err := c.askAmount(ctx, limit)
				if err != nil {
					return nil, nil, nil, err
				}
				txn.Amount = a
			}
			r.Answer(*txn)
		}
	}
}

var errNoAnswer = errors.New("pos: the acquirer did not answer")

// declineReason says in words why the issuer declined (ISO 8583 field 39,
// the response codes of the UnionPay acquirer messages).
func (c *counter) declineReason(code string) string {
	switch code {
	case "04", "41", "43":
		code = "41" // pick up card, lost or stolen
	case "01", "05", "12", "13", "14", "25", "51", "54", "55", "61", "75", "96":
	default:
		code = ""
	}
	return c.tr("rc" + code)
}

// stripe runs the transaction on the card's magnetic stripe: the track 2
// of the virtual card, as its stripe holds it. A card whose service code
// says it has a chip (first digit 2 or 6, ISO/IEC 7813) must go in the
// chip reader, unless the chip has just failed (technical fallback,
// Book 4 §6.3.6): the authorisation then says so in its POS entry mode
// (field 22 "80": fallback from chip to magnetic stripe).
func (c *counter) stripe(ctx context.Context, k *kind, orig *entry, stan uint32, card *heldCard, fallback bool) error {
	if card.virtual == nil {
		c.con.Printf("%s\n", c.tr("noStripeReader"))
		return nil
	}
	track2 := card.virtual.Profile().Track2
	if track2 == nil {
		p := card.virtual.Profile()
		sc := p.ServiceCode
		if sc == "" {
			sc = "201"
		}
		track2, _ = hexDigits(p.PAN + "D" + p.Applications[0].ExpiryDate[:4] + sc + "000000000")
	}
	t2 := strings.ToUpper(fmt.Sprintf("%X", track2))
	sep := strings.IndexByte(t2, 'D')
	if sep < 0 || len(t2) < sep+8 {
		c.con.Printf("%s\n", c.tr("cardReadError"))
		return nil
	}
	pan, sc := t2[:sep], t2[sep+5:sep+8]
	c.con.Printf("%s %s\n", c.tr("swiped"), tlv.MaskTrack2(track2))
	if (sc[0] == '2' || sc[0] == '6') && !fallback {
		c.con.Printf("%s\n", c.tr("useChip"))
		return nil
	}
	c.con.Printf("%s %s  %s %s/%s\n", c.tr("cardNo"), tlv.MaskPAN(pan), c.tr("cardExpiry"), t2[sep+3:sep+5], t2[sep+1:sep+3])
	amount := uint64(0)
	if k.name != "balance" {
		limit := uint64(0)
		if orig != nil {
			var err error
			if limit, err = c.amountRule(k, orig); err != nil {
				return err
			}
		}
		var err error
		if amount, err = c.askAmount(ctx, limit); err != nil {
			return err
		}
	}
	mode, entryName := "021", "swipe"
	if fallback {
		mode, entryName = "801", "fallback"
	}
	now := c.env.now()
	req := &authRequest{MTI: k.mti, PAN: pan, ProcessingCode: k.processingCode(), Amount: amount, STAN: stan, Time: now,
		EntryMode: mode, Track2: track2, TerminalID: c.cfg.TerminalID, MerchantID: c.cfg.MerchantID, Currency: c.cfg.Currency}
	if orig != nil {
		req.OriginalSTAN, req.OriginalRRN, req.OriginalAuthCode = orig.STAN, orig.RRN, orig.AuthCode
	}
	resp, lost, err := c.online(ctx, req)
	if err != nil {
		return err
	}
	e := &entry{STAN: stan, Time: now, Operator: c.operator, Kind: k.name, MTI: k.mti, ProcessingCode: k.processingCode(),
		Amount: amount, MaskedPAN: tlv.MaskPAN(pan), Entry: entryName, Outcome: "no answer"}
	if lost {
		if err := c.reverseEntry(ctx, e, req, "no answer"); err != nil {
			return err
		}
	}
	if orig != nil {
		e.Original = orig.STAN
	}
	if resp != nil {
		e.RRN, e.AuthCode, e.ResponseCode, e.Outcome = resp.RRN, resp.AuthCode, resp.ResponseCode, "declined"
		if resp.ResponseCode == "00" {
			e.Outcome = "approved"
		}
	}
	if resp != nil && resp.Balance != nil {
		c.con.Printf("%s %s\n", c.tr("availBalance"), c.money(*resp.Balance))
	}
	if err := c.journal.add(e); err != nil {
		return err
	}
	return c.receipts(ctx, k, e, nil)
}

// hexDigits packs a string of hex digits, padded with F to whole bytes.
func hexDigits(s string) ([]byte, error) {
	if len(s)%2 == 1 {
		s += "F"
	}
	return hex.DecodeString(s)
}
