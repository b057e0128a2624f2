package kernel7

import (
	"context"
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/tlv"
)

// ecBalanceTags are the electronic cash data objects a balance inquiry
// reads, in the order it asks for them (the contact kernel's order, emv's
// electronic cash balance inquiry): the EC Balance 9F79, the EC Single
// Transaction Limit 9F78, the EC Balance Limit 9F77 and the EC Reset
// Threshold 9F6D, each n 12 (JR/T 0025.13).
var ecBalanceTags = [...]uint16{0x9F79, 0x9F78, 0x9F77, 0x9F6D}

// BalanceInquiry is the electronic cash balance inquiry (余额查询) on the
// contactless interface: a reader registers it for [contactless.Kernel7]
// in place of [Kernel] for a balance inquiry (Transaction Type 31). It
// implements [contactless.Kernel].
//
// Book C-7 is a payment kernel and has no balance inquiry: the card takes
// every transaction it is asked for in GET PROCESSING OPTIONS, which
// counts the ATC and answers a cryptogram. The UnionPay electronic cash
// balance is read as on the contact interface (JR/T 0025.13, the reader
// functions of its Annex C): once the Entry Point has selected the
// application, GET DATA 9F79, 9F78, 9F77 and 9F6D, and no GET PROCESSING
// OPTIONS. The public readers of QuickPass cards do the same over NFC
// (sinpolib/nfcard, Quickpass.java: SELECT of the PPSE, SELECT of the
// UnionPay AID, GET DATA 9F79, 9F78, 9F77 and no GPO, "each GPO adds one
// to the ATC").
//
// The outcome is End Application (Book A §6.2: the transaction is done;
// nothing goes to the acquirer) with "Card Read OK" and the balance as its
// UI Request on Outcome (Value Qualifier Balance, Book A §7.1, in the
// transaction currency: a QuickPass card's electronic cash is in the
// currency of the country it is issued for, CNY, and the reader has no
// exponent for any other), and the Discretionary Data holding the four
// data objects as the card answered them (those it had). A card whose
// GET DATA 9F79 is refused or malformed has no electronic cash balance:
// with [BalanceInquiry.Kernel] set, it gets the Kernel 7 transaction of
// the inquiry's type, for the issuer (the contact kernel's reading of the
// same case); without, End Application with "Insert, Swipe or Try Another
// Card".
type BalanceInquiry struct {
	// Kernel runs the transaction of a card without an electronic cash
	// balance. Nil: such a card ends the application.
	Kernel *Kernel
}

var _ contactless.Kernel = BalanceInquiry{}

// Activate reads the electronic cash balance and limits of the selected
// card. It returns an error only when the card link failed or ctx ended.
func (b BalanceInquiry) Activate(ctx context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
	var (
		dd      []byte
		balance uint64
	)
	for i, tag := range ecBalanceTags {
		v, ok, err := getAmount(ctx, a.Card, tag)
		if err != nil {
			return nil, err
		}
		if i == 0 && !ok {
			a.Logger.Info("kernel7: no electronic cash balance (9F79)")
			if b.Kernel != nil {
				return b.Kernel.Activate(ctx, a)
			}
			p := contactless.NewParameterSet(contactless.StatusEndApplication)
			p.UIRequestOnOutcome = &contactless.UIRequest{Message: contactless.MsgInsertSwipeOrTryAnother, Status: contactless.UIProcessingError, LanguagePreference: languagePreference(a.FCI)}
			return &contactless.Outcome{Parameters: p}, nil
		}
		if !ok {
			continue
		}
		if i == 0 {
			balance, _ = quick.Amount(v)
		}
		dd = tlv.AppendTLV(dd, tlv.Tag(tag), v)
	}
	u := &contactless.UIRequest{
		Message: contactless.MsgCardReadOK, Status: contactless.UICardReadSuccessfully, HoldTime: holdTime,
		LanguagePreference: languagePreference(a.FCI), ValueQualifier: contactless.ValueBalance, Value: balance,
	}
	if c, ok := tlv.Find(a.TerminalData, 0x5F2A); ok && len(c) == 2 {
		u.CurrencyCode = uint16(quick.BCDNumber(c))
	}
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	p.UIRequestOnOutcome = u
	p.DiscretionaryDataPresent = true
	return &contactless.Outcome{Parameters: p, DiscretionaryData: dd}, nil
}

// getAmount sends GET DATA for tag (Book 3 §6.5.7) and returns the value
// when the card answered 9000 with that one data object of six BCD bytes
// (n 12). A card that answered anything else has no such object; a
// response without a status word is such an answer. A link failure is an
// error.
func getAmount(ctx context.Context, card apdu.Transceiver, tag uint16) ([]byte, bool, error) {
	c := apdu.GetData(tag)
	r, err := apdu.Exchange(ctx, card, c)
	if errors.Is(err, apdu.ErrShortResponse) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("kernel7: %s %04X: %w", c.Name(), tag, err)
	}
	if r.SW != apdu.SWOK {
		return nil, false, nil
	}
	t, v, err := tlv.Single(r.Data)
	if err != nil || t != tlv.Tag(tag) {
		return nil, false, nil
	}
	if _, ok := quick.Amount(v); !ok {
		return nil, false, nil
	}
	return v, true, nil
}

// languagePreference is the Language Preference 5F2D of the FCI, empty
// when it has none or one longer than four codes.
func languagePreference(fci []byte) string {
	if v, ok := tlv.Find(fci, 0x5F2D); ok && len(v) <= 8 {
		return string(v)
	}
	return ""
}
