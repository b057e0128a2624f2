package quick

import (
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// HoldTime is the hold time of the messages that end a transaction: the
// Message Hold Time of Book A §7.1 at its default, 13 (1300 ms), which Book
// C-3 §5.8 and Book C-7 both use.
const HoldTime = 13

// UI builds a UI Request in the card's language preference (5F2D), with no
// value.
func UI(lang string, m contactless.MessageID, st contactless.UIStatus, hold int) *contactless.UIRequest {
	return &contactless.UIRequest{Message: m, Status: st, HoldTime: hold, LanguagePreference: lang, ValueQualifier: contactless.ValueNone}
}

// Ending is what the outcomes that carry the Data Record (Book C-3 §5.8,
// Book C-7 outcome) read from a transaction.
type Ending struct {
	Lang          string          // the card's Language Preference (5F2D)
	CVM           contactless.CVM // the CVM chosen
	OfflineAmount []byte          // 9F5D as the card sent it, nil when it sent none
	Currency      []byte          // Transaction Currency Code 5F2A of the terminal
	DataRecord    []byte          // the kernel's Data Record
}

// Approved is the outcome of an offline approval (Book C-3 §5.8.1, Book
// C-7 outcome): Approved, the CVM, a receipt when the cardholder signs,
// "Approved" (or "Approved, Please Sign") with the Available Offline
// Spending Amount as a balance when the card returned 9F5D, and the Data
// Record.
func (e Ending) Approved() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusApproved)
	p.CVM = e.CVM
	msg := contactless.MsgApproved
	if e.CVM == contactless.CVMObtainSignature {
		p.Receipt = true
		msg = contactless.MsgApprovedPleaseSign
	}
	p.UIRequestOnOutcome = UI(e.Lang, msg, contactless.UICardReadSuccessfully, HoldTime)
	e.balance(p.UIRequestOnOutcome)
	return e.WithData(p)
}

// balance puts the Available Offline Spending Amount (9F5D, n12: the
// card's balance after this transaction) in a UI request as a balance in
// the transaction currency (Book C-3 §5.8.1 and Book C-7 let the reader
// show it).
func (e Ending) balance(u *contactless.UIRequest) {
	amount, ok := Amount(e.OfflineAmount)
	if !ok {
		return
	}
	u.ValueQualifier = contactless.ValueBalance
	u.Value = amount
	if len(e.Currency) == 2 {
		u.CurrencyCode = uint16(BCDNumber(e.Currency))
	}
}

// Declined is the outcome of an offline decline (Book C-3 §5.8.2, Book C-7
// outcome): Declined, "Not Authorised", the Data Record (the card's AAC or
// the cryptogram the reader refused).
func (e Ending) Declined() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusDeclined)
	p.UIRequestOnOutcome = UI(e.Lang, contactless.MsgNotAuthorised, contactless.UICardReadSuccessfully, HoldTime)
	return e.WithData(p)
}

// OnlineRequest is the parameter set of a transaction the reader sends
// online (Book C-3 §5.8.3, Book C-7 outcome): Online Request, the CVM, a
// receipt with a signature, "Authorising, Please Wait". The kernel adds
// what its book says of a restart, then [Ending.WithData].
func (e Ending) OnlineRequest() contactless.OutcomeParameterSet {
	p := contactless.NewParameterSet(contactless.StatusOnlineRequest)
	p.CVM = e.CVM
	p.Receipt = e.CVM == contactless.CVMObtainSignature
	p.UIRequestOnOutcome = UI(e.Lang, contactless.MsgAuthorisingPleaseWait, contactless.UICardReadSuccessfully, 0)
	return p
}

// WithData is the outcome of p with the Data Record and, when the card
// returned 9F5D, the Discretionary Data holding it.
func (e Ending) WithData(p contactless.OutcomeParameterSet) *contactless.Outcome {
	o := &contactless.Outcome{Parameters: p, DataRecord: e.DataRecord}
	o.Parameters.DataRecordPresent = true
	if e.OfflineAmount != nil {
		o.DiscretionaryData = tlv.AppendTLV(nil, 0x9F5D, e.OfflineAmount)
		o.Parameters.DiscretionaryDataPresent = true
	}
	return o
}

// TryAnotherInterface asks for the contact chip (Book C-3 §5.2.2 for 6984
// to GET PROCESSING OPTIONS, §5.6.2 for an fDDA failure whose CTQ says
// switch interface, §5.5.3 for cash and cashback; Book C-7 alike): Try
// Another Interface, "Please Insert Card", contact chip preferred.
// afterRead says whether the card was read (the status then says so).
func TryAnotherInterface(lang string, afterRead bool) *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusTryAnotherInterface)
	st := contactless.UIProcessingError
	if afterRead {
		st = contactless.UICardReadSuccessfully
	}
	p.UIRequestOnOutcome = UI(lang, contactless.MsgInsertCard, st, 0)
	p.AlternateInterfacePreference = contactless.InterfaceContactChip
	return &contactless.Outcome{Parameters: p}
}

// SelectNext answers 6985 to GET PROCESSING OPTIONS (Book C-3 §5.2.2, Book
// C-7 alike): the Entry Point tries the next combination (Start C).
func SelectNext() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusSelectNext)
	p.Start = contactless.StartC
	return &contactless.Outcome{Parameters: p}
}

// TryAgainSeePhone answers 6986 to GET PROCESSING OPTIONS (Book C-3
// §5.2.2, Book C-7 alike): the cardholder must look at the mobile device
// and tap again. Try Again at Start B, "See Phone for Instructions" (Not
// Ready, held 1300 ms) with the field off as long, then "Present Card"
// (Ready to Read) on restart.
func TryAgainSeePhone(lang string) *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusTryAgain)
	p.Start = contactless.StartB
	p.UIRequestOnOutcome = UI(lang, contactless.MsgSeePhone, contactless.UINotReady, HoldTime)
	p.UIRequestOnRestart = UI(lang, contactless.MsgPresentCard, contactless.UIReadyToRead, 0)
	p.FieldOffRequest = HoldTime
	return &contactless.Outcome{Parameters: p}
}

// EndApplication ends the transaction on a card error (Book C-3 §5.2.2,
// §5.3; Book C-7 alike): End Application, "Insert, Swipe or Try Another
// Card".
func EndApplication(lang string) *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	p.UIRequestOnOutcome = UI(lang, contactless.MsgInsertSwipeOrTryAnother, contactless.UIProcessingError, 0)
	return &contactless.Outcome{Parameters: p}
}

// DataRecord appends, in the order of tags, each object value gives
// (skipping those it gives nil for) to dst.
func DataRecord(dst []byte, tags []tlv.Tag, value func(tlv.Tag) []byte) []byte {
	for _, t := range tags {
		if v := value(t); v != nil {
			dst = tlv.AppendTLV(dst, t, v)
		}
	}
	return dst
}
