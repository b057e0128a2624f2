package kernel7

import (
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/tlv"
)

// holdTime is the hold time of the messages that end a transaction: the
// Message Hold Time of Book A §7.1, default 13 (1300 ms).
const holdTime = 13

// ui builds a UI Request with the card's language preference.
func (s *transactionState) ui(m contactless.MessageID, st contactless.UIStatus, hold int) *contactless.UIRequest {
	return &contactless.UIRequest{Message: m, Status: st, HoldTime: hold, LanguagePreference: s.langPref, ValueQualifier: contactless.ValueNone}
}

// approved is the outcome of an offline approval (Book C-7 outcome):
// Approved, the CVM, a receipt when the cardholder signs, "Approved" (or
// "Approved, Please Sign") with the Available Offline Spending Amount as a
// balance when the card returned 9F5D, and the Data Record.
func (s *transactionState) approved() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusApproved)
	p.CVM = s.cvm
	msg := contactless.MsgApproved
	if s.cvm == contactless.CVMObtainSignature {
		p.Receipt = true
		msg = contactless.MsgApprovedPleaseSign
	}
	p.UIRequestOnOutcome = s.ui(msg, contactless.UICardReadSuccessfully, holdTime)
	s.balance(p.UIRequestOnOutcome)
	return s.withData(p)
}

// balance puts the Available Offline Spending Amount (9F5D, n12: the
// electronic cash balance after this transaction) in a UI request as a
// balance in the transaction currency. Reading chosen: Book C-7 lets the
// reader show it; Kernel 7 shows it with an offline approval only, where
// the card has spent from it (after an ARQC the issuer decides).
func (s *transactionState) balance(u *contactless.UIRequest) {
	amount, ok := quick.Amount(s.card.offlineAmount)
	if !ok {
		return
	}
	u.ValueQualifier = contactless.ValueBalance
	u.Value = amount
	if c, ok := s.terminalValue(0x5F2A); ok && len(c) == 2 {
		u.CurrencyCode = uint16(quick.BCDNumber(c))
	}
}

// declined is the outcome of an offline decline: Declined, "Not
// Authorised", the Data Record (the card's AAC or the cryptogram the reader
// refused).
func (s *transactionState) declined() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusDeclined)
	p.UIRequestOnOutcome = s.ui(contactless.MsgNotAuthorised, contactless.UICardReadSuccessfully, holdTime)
	return s.withData(p)
}

// onlineRequest is the outcome of a transaction the reader sends online:
// Online Request, the CVM, a receipt with a signature, "Authorising, Please
// Wait", the Data Record. Kernel 7 has no issuer update processing: no
// restart, Online Response Data N/A.
func (s *transactionState) onlineRequest() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusOnlineRequest)
	p.CVM = s.cvm
	p.Receipt = s.cvm == contactless.CVMObtainSignature
	p.UIRequestOnOutcome = s.ui(contactless.MsgAuthorisingPleaseWait, contactless.UICardReadSuccessfully, 0)
	return s.withData(p)
}

// tryAnotherInterface asks for the contact chip (6984 to GET PROCESSING
// OPTIONS, an fDDA failure whose CTQ says switch interface, cash and
// cashback): Try Another Interface, "Please Insert Card", contact chip
// preferred. afterRead says whether the card was read (the status then
// says so).
func (s *transactionState) tryAnotherInterface(afterRead bool) *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusTryAnotherInterface)
	st := contactless.UIProcessingError
	if afterRead {
		st = contactless.UICardReadSuccessfully
	}
	p.UIRequestOnOutcome = s.ui(contactless.MsgInsertCard, st, 0)
	p.AlternateInterfacePreference = contactless.InterfaceContactChip
	return &contactless.Outcome{Parameters: p}
}

// selectNext answers 6985 to GET PROCESSING OPTIONS: the Entry Point tries
// the next combination (Start C).
func (s *transactionState) selectNext() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusSelectNext)
	p.Start = contactless.StartC
	return &contactless.Outcome{Parameters: p}
}

// tryAgainSeePhone answers 6986: the cardholder must look at the mobile
// device and tap again. Try Again at Start B, "See Phone for Instructions"
// (Not Ready, held 1300 ms) with the field off as long, then "Present
// Card" (Ready to Read) on restart.
func (s *transactionState) tryAgainSeePhone() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusTryAgain)
	p.Start = contactless.StartB
	p.UIRequestOnOutcome = s.ui(contactless.MsgSeePhone, contactless.UINotReady, holdTime)
	p.UIRequestOnRestart = s.ui(contactless.MsgPresentCard, contactless.UIReadyToRead, 0)
	p.FieldOffRequest = holdTime
	return &contactless.Outcome{Parameters: p}
}

// endApplication ends the transaction on a card error: End Application,
// "Insert, Swipe or Try Another Card".
func (s *transactionState) endApplication() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	p.UIRequestOnOutcome = s.ui(contactless.MsgInsertSwipeOrTryAnother, contactless.UIProcessingError, 0)
	return &contactless.Outcome{Parameters: p}
}

// withData adds the Data Record and the Discretionary Data.
func (s *transactionState) withData(p contactless.OutcomeParameterSet) *contactless.Outcome {
	o := &contactless.Outcome{Parameters: p, DataRecord: s.dataRecord()}
	o.Parameters.DataRecordPresent = true
	if s.card.offlineAmount != nil {
		o.DiscretionaryData = tlv.AppendTLV(nil, 0x9F5D, s.card.offlineAmount)
		o.Parameters.DiscretionaryDataPresent = true
	}
	return o
}

// dataRecordTags is the order of the Data Record (see the package doc).
var dataRecordTags = [...]tlv.Tag{
	0x9F02, 0x9F03, 0x9F26, 0x9F27, 0x82, 0x9F36, 0x9F10, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C,
	0x9F37, 0x9F35, 0x9F33, 0x9F1E, 0x9F09, 0x9F66, 0x9F6C, 0x9F63, 0x84, 0x5F34, 0x57, 0x5A,
	0x5F24, 0x9F21,
}

// dataRecord builds the Data Record: the card's data as received, the
// terminal data as the card saw it in the PDOL data (else as the terminal
// has it), the TVR as the kernel left it, and 9F27 as the card sent it or,
// when it sent none, the cryptogram type the IAD gives.
func (s *transactionState) dataRecord() []byte {
	c := &s.card
	out := make([]byte, 0, 320)
	for _, t := range dataRecordTags {
		var v []byte
		switch t {
		case 0x9F26:
			v = c.ac
		case 0x9F27:
			v = c.cid
			if v == nil {
				if kind, ok := c.cryptogramType(); ok {
					v = []byte{kind}
				}
			}
		case 0x82:
			v = c.aip
		case 0x9F36:
			v = c.atc
		case 0x9F10:
			v = c.iad
		case 0x95:
			v = s.tvr[:]
		case 0x9F37:
			v = s.un[:]
		case 0x9F66:
			v = s.ttq[:]
		case 0x9F6C:
			v = c.ctq
		case 0x9F63:
			v = c.productID
		case 0x84:
			v = s.aid()
		case 0x5F34:
			v = c.psn
		case 0x57:
			v = c.track2
		case 0x5A:
			v = c.pan
		case 0x5F24:
			v = c.expiry
		default:
			v, _ = s.signedValue(t)
		}
		if v != nil {
			out = tlv.AppendTLV(out, t, v)
		}
	}
	return out
}
