package emv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
)

// Run performs one whole transaction with the card by Book 3 and returns
// its result. The card is any apdu.Transceiver; the kernel adds the T=0
// procedures itself. term may be nil: a terminal with no cardholder
// selection, no PIN pad, no host (unable to go online) and no display.
//
// The error is nil when the transaction reached an outcome (approved or
// declined, offline or online). Otherwise it is a *TerminatedError naming
// the step and the cause, and the Result holds what was done up to there
// (TVR, TSI, trace) with Outcome Terminated or TryAnotherInterface. A
// *ConfigError is returned, before anything is sent, for an invalid cfg.
//
// When ctx ends Run returns at once, a card that ignores ctx included: the
// error then also matches ErrCardLinkAbandoned if a Transmit of card was
// still running, and card must not be used again before that call returns
// (reset or close the reader).
func Run(ctx context.Context, card apdu.Transceiver, cfg *Config, txn Transaction, term *Terminal) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if term == nil {
		term = &Terminal{}
	}
	s := newState(ctx, card, cfg, terminalSeam{term})
	s.txn, s.hasTxn = txn, true
	return s.execute()
}

// execute runs the flow and assembles the result.
func (s *transactionState) execute() (*Result, error) {
	s.now = s.cfg.now()
	s.res.Language = s.cfg.defaultLanguage()
	err := s.run()
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil && s.err != nil {
		err = s.err
	}
	s.finish(err)
	s.release()
	return &s.res, err
}

// run is the flow of Book 3 §10, one step per line.
func (s *transactionState) run() error {
	if s.hasTxn {
		if err := s.txn.validate(); err != nil {
			s.step = StepSelection
			return s.fail("", fmt.Errorf("%w: %v", ErrTransaction, err))
		}
	}
	s.setTerminalData()
	for {
		if err := s.selectApplication(); err != nil {
			return err
		}
		if s.hasTxn && s.txn.ECBalance {
			answered, err := s.readECBalance()
			if err != nil {
				return err
			}
			if answered {
				return errStop
			}
		}
		if err := s.needTransaction(true); err != nil {
			return err
		}
		err := s.initiateProcessing()
		if errors.Is(err, errSelectAgain) {
			continue // Book 3 §10.1: GPO 6985, back to selection
		}
		if err != nil {
			return err
		}
		break
	}
	if err := s.readApplicationData(); err != nil {
		return err
	}
	if err := s.needTransaction(false); err != nil {
		return err
	}
	if err := s.authenticateOfflineData(); err != nil {
		return err
	}
	if err := s.checkProcessingRestrictions(); err != nil {
		return err
	}
	if err := s.verifyCardholder(); err != nil {
		return err
	}
	if err := s.manageTerminalRisk(); err != nil {
		return err
	}
	if err := s.analyseTerminalActions(); err != nil {
		return err
	}
	if err := s.analyseCardActions(); err != nil {
		return err
	}
	if err := s.processOnline(); err != nil {
		return err
	}
	if err := s.processIssuerScripts(0x71); err != nil {
		return err
	}
	if err := s.complete(); err != nil {
		return err
	}
	return s.processIssuerScripts(0x72)
}

// needTransaction asks the terminal for the transaction when it was not
// given at the start (a Session that reads the card first): before GET
// PROCESSING OPTIONS if the PDOL asks for transaction data, else after
// the records are read.
func (s *transactionState) needTransaction(beforeGPO bool) error {
	if s.hasTxn {
		return nil
	}
	if beforeGPO && !dolHas(s.pdol, 0x9F02) && !dolHas(s.pdol, 0x9F03) && !dolHas(s.pdol, 0x9C) && !dolHas(s.pdol, 0x81) {
		return nil
	}
	info := &CardInfo{AID: s.res.AID, Label: s.res.Label}
	if pan, ok := s.cardData.get(0x5A); ok {
		info.MaskedPAN = maskPAN(pan)
	}
	t, err := s.term.transaction(s.ctx, info)
	if err != nil {
		return s.fail("transaction details", err)
	}
	if err := t.validate(); err != nil {
		return s.fail("", fmt.Errorf("%w: %v", ErrTransaction, err))
	}
	s.txn, s.hasTxn = t, true
	s.setTransactionData()
	return nil
}

// finish sets the outcome of a stopped transaction, the ICC data, the
// receipt and the trace, and shows the final message.
func (s *transactionState) finish(err error) {
	te := terminatedBy(err)
	if te != nil {
		s.res.Terminated = te
		s.res.Outcome = Terminated
	}
	entries := s.rec.Take() // nothing is recorded after this
	if te != nil && technicalFallback(err, te.Step, entries) {
		s.res.Outcome = TryAnotherInterface
	}
	s.res.ICCData = s.iccData()
	if v, ok := s.cardData.get(0x9F74); ok && checkLength(0x9F74, v) == nil && printable(v) {
		s.res.ECIssuerAuthCode = string(v)
	}
	s.res.Trace = Trace(entries)
	s.res.Receipt = s.receipt()
	switch {
	case s.res.Outcome == BalanceRead:
		// The terminal shows the balance itself (Result.ECBalance).
	case s.res.Outcome.IsApproved():
		s.show(MsgApproved)
	case s.res.Outcome == Terminated || s.res.Outcome == TryAnotherInterface:
		if errors.Is(err, ErrNotAccepted) {
			break // shown when it happened
		}
		s.show(MsgProcessingError)
	default:
		s.show(MsgDeclined)
	}
	if !errors.Is(err, apdu.ErrCardRemoved) {
		s.show(MsgRemoveCard)
	}
	if s.log.Enabled(s.ctx, slog.LevelInfo) {
		s.log.LogAttrs(s.ctx, slog.LevelInfo, "emv: transaction done", slog.String("outcome", s.res.Outcome.String()),
			slog.String("tvr", hexUpper(s.res.TVR[:])), slog.String("tsi", hexUpper(s.res.TSI[:])))
	}
}

// terminatedBy returns the *TerminatedError in err's chain, nil when there
// is none. The target errors.As needs is made only for an error, not on
// the way of every transaction that ends without one.
func terminatedBy(err error) *TerminatedError {
	if err == nil {
		return nil
	}
	var te *TerminatedError
	if errors.As(err, &te) {
		return te
	}
	return nil
}

// printable reports whether v is printable ASCII.
func printable(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c > 0x7E {
			return false
		}
	}
	return true
}

// iccData encodes the data objects of Field55Tags the transaction has, in
// that order: 84 is the selected AID, CVM Results only once set, and the
// rest as get gives them (9F5B only once a script ran).
func (s *transactionState) iccData() []byte {
	b := s.room() // the usual field 55 is 150 to 250 bytes
	for _, t := range Field55Tags {
		if t == 0x84 {
			if len(s.res.AID) > 0 {
				b = tlv.AppendTLV(b, t, s.res.AID)
			}
			continue
		}
		if t == 0x9F34 && s.res.CVMResults == [3]byte{} {
			continue
		}
		if v, ok := s.get(t); ok {
			b = tlv.AppendTLV(b, t, v)
		}
	}
	return s.keep(b)
}

func (s *transactionState) receipt() Receipt {
	// The masked PAN and the hex fields are cut from one string: one
	// allocation, not eight.
	var buf [128]byte
	var cut [8]int
	b := buf[:0]
	psn, hasPSN := s.cardData.get(0x5F34)
	for i, v := range [...][]byte{s.cardData.val(0x5A), s.res.AID, s.res.TVR[:], s.res.TSI[:], s.res.AC, s.res.CVMResults[:], s.res.ATC, psn} {
		if i == 0 {
			b = appendMaskedPAN(b, v)
		} else {
			b = appendHexUpper(b, v)
		}
		cut[i] = len(b)
	}
	text := string(b)
	part := func(i int) string {
		if i == 0 {
			return text[:cut[0]]
		}
		return text[cut[i-1]:cut[i]]
	}
	r := Receipt{
		MaskedPAN:         part(0),
		AID:               part(1),
		Label:             s.res.Label,
		TVR:               part(2),
		TSI:               part(3),
		AC:                part(4),
		CVMResults:        part(5),
		ATC:               part(6),
		Amount:            s.txn.Amount,
		AmountOther:       s.txn.AmountOther,
		Currency:          s.cfg.Currency,
		Type:              s.txn.Type.String(),
		Time:              s.txn.Time,
		Outcome:           s.res.Outcome.String(),
		SignatureRequired: s.res.SignatureRequired,
	}
	if hasPSN {
		r.PANSequence = part(7)
	}
	if id, ok := s.cardData.get(0x9F61); ok {
		r.CardholderID = tlv.MaskID(string(id))
	}
	if t, ok := s.cardData.get(0x9F62); ok {
		r.CardholderIDType = fmt.Sprintf("%X", t)
	}
	if s.res.PreferredName != "" {
		r.Label = s.res.PreferredName
	}
	return r
}

// appendHexUpper appends b in upper-case hex, as hexUpper gives it.
func appendHexUpper(dst, b []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range b {
		dst = append(dst, digits[c>>4], digits[c&0x0F])
	}
	return dst
}

// appendMaskedPAN appends maskPAN(pan): the PAN's leading digits
// (tlv.Digits) masked by tlv.MaskPAN, the first six and the last four
// kept when there are more than ten.
func appendMaskedPAN(dst, pan []byte) []byte {
	var digits [2 * 10]byte // a PAN has at most 19 digits (Book 3 Annex A)
	d := digits[:0]
	for _, c := range pan {
		hi, lo := c>>4, c&0x0F
		if hi > 9 {
			break
		}
		d = append(d, '0'+hi)
		if lo > 9 {
			break
		}
		d = append(d, '0'+lo)
	}
	if len(d) <= 10 {
		for range d {
			dst = append(dst, '*')
		}
		return dst
	}
	dst = append(dst, d[:6]...)
	for range len(d) - 10 {
		dst = append(dst, '*')
	}
	return append(dst, d[len(d)-4:]...)
}

// terminalSeam answers the flow's questions from a Terminal.
type terminalSeam struct{ t *Terminal }

func (ts terminalSeam) canSelect() bool { return ts.t.Selector != nil }

func (ts terminalSeam) choose(ctx context.Context, c []Candidate) (int, error) {
	return ts.t.Selector.Choose(ctx, c)
}

func (ts terminalSeam) confirm(ctx context.Context, c Candidate) (bool, error) {
	return ts.t.Selector.Confirm(ctx, c)
}

func (ts terminalSeam) transaction(context.Context, *CardInfo) (Transaction, error) {
	return Transaction{}, fmt.Errorf("%w: no transaction given", ErrTransaction)
}

func (ts terminalSeam) authorise(ctx context.Context, req *OnlineRequest) (*OnlineResponse, error) {
	if ts.t.Host == nil {
		return nil, ErrUnableToGoOnline
	}
	return authoriseWaiting(ctx, ts.t.Host, req)
}

func (ts terminalSeam) show(ctx context.Context, m Message, lang string) {
	switch d := ts.t.Display.(type) {
	case nil:
	case LanguageDisplay:
		d.ShowIn(ctx, m, lang)
	default:
		d.Show(ctx, m)
	}
}

func (ts terminalSeam) pinPad() cvm.PINPad { return ts.t.PINPad }

func (ts terminalSeam) terminal() *Terminal { return ts.t }
