package kernel2

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// L2 is the second byte of the Error Indication (DF8115, Book C-2 Annex
// A): the error the kernel found in the card's data or the terminal's.
type L2 byte

// l1TimeOut is the L1 error TIME OUT ERROR (Error Indication byte 1);
// l3TimeOut the L3 error TIME OUT (byte 3: the terminal did not answer the
// DEK in time, State 2).
const (
	l1TimeOut = 0x01
	l3TimeOut = 0x01
)

// L2 errors (Book C-2 Annex A, Error Indication byte 2).
const (
	l2OK                    L2 = 0x00
	l2CardDataMissing       L2 = 0x01
	l2CAMFailed             L2 = 0x02
	l2StatusBytes           L2 = 0x03
	l2ParsingError          L2 = 0x04
	l2MaxLimitExceeded      L2 = 0x05
	l2CardDataError         L2 = 0x06
	l2MagstripeNotSupported L2 = 0x07
	l2TerminalDataError     L2 = 0x0F
)

var l2Names = map[L2]string{
	l2OK: "OK", l2CardDataMissing: "CARD DATA MISSING", l2CAMFailed: "CAM FAILED",
	l2StatusBytes: "STATUS BYTES", l2ParsingError: "PARSING ERROR", l2MaxLimitExceeded: "MAX LIMIT EXCEEDED",
	l2CardDataError: "CARD DATA ERROR", l2MagstripeNotSupported: "MAGSTRIPE NOT SUPPORTED",
	l2TerminalDataError: "TERMINAL DATA ERROR",
}

// String names the error as Book C-2 writes it: "STATUS BYTES".
func (e L2) String() string {
	if n, ok := l2Names[e]; ok {
		return n
	}
	return "RFU"
}

// errorIndication is the Error Indication DF8115 (Book C-2 Annex A): L1,
// L2, L3, SW1 SW2 and the Msg On Error. This kernel reports an L1 error
// only for a torn transaction it logged (any other link failure is the
// Activate error) and an L3 error only for a DET that did not come in
// time (State 2).
type errorIndication struct {
	l1    byte
	l2    L2
	l3    byte
	sw    apdu.SW
	msgOn contactless.MessageID
}

func (e *errorIndication) statusBytes(sw apdu.SW) {
	e.l2 = l2StatusBytes
	e.sw = sw
}

func (e *errorIndication) bytes() []byte {
	m := e.msgOn
	if m == 0 {
		m = contactless.MsgNA
	}
	return []byte{e.l1, byte(e.l2), e.l3, byte(e.sw >> 8), byte(e.sw), byte(m)}
}

// ui builds a UI Request with the card's language preference.
func (s *transactionState) ui(m contactless.MessageID, st contactless.UIStatus, hold int) *contactless.UIRequest {
	var u *contactless.UIRequest
	if ob := s.outStore(); ob.nui < len(ob.ui) {
		u = &ob.ui[ob.nui]
		ob.nui++
	} else {
		u = new(contactless.UIRequest)
	}
	*u = contactless.UIRequest{Message: m, Status: st, HoldTime: hold, LanguagePreference: s.langPref, ValueQualifier: contactless.ValueNone}
	return u
}

// outcomeStore is what an Outcome keeps, in one allocation: the Outcome,
// its UI Requests, its Data Record and Discretionary Data.
type outcomeStore struct {
	o        contactless.Outcome
	oUsed    bool
	ui       [2]contactless.UIRequest
	nui      int
	rec      [384]byte
	discr    [64]byte
	recUsed  bool
	discUsed bool
}

// outStore returns the activation's outcomeStore, made at the first call.
func (s *transactionState) outStore() *outcomeStore {
	if s.ob == nil {
		s.ob = new(outcomeStore)
	}
	return s.ob
}

// newOutcome returns an Outcome with the parameters p: the store's the
// first time, a new one after (no path makes two).
func (s *transactionState) newOutcome(p contactless.OutcomeParameterSet) *contactless.Outcome {
	var o *contactless.Outcome
	if ob := s.outStore(); !ob.oUsed {
		o, ob.oUsed = &ob.o, true
	} else {
		o = new(contactless.Outcome)
	}
	*o = contactless.Outcome{Parameters: p}
	return o
}

// endApplication ends the transaction on an error (Book C-2, the
// exits of States 3 to 9): End Application with "Insert, Swipe or Try
// Another Card" (Book C-2's ERROR – OTHER CARD), status Not Ready, held
// the Message Hold Time, that message as the Error Indication's Msg On
// Error, and the Discretionary Data with the Error Indication.
func (s *transactionState) endApplication() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	p.UIRequestOnOutcome = s.ui(contactless.MsgInsertSwipeOrTryAnother, contactless.UINotReady, s.cfg.MessageHoldTime)
	s.errInd.msgOn = contactless.MsgInsertSwipeOrTryAnother
	return s.withDiscretionary(s.newOutcome(p))
}

// endApplicationNoMessage ends the transaction on the terminal's error
// (Book C-2 State 2, an L3 error): End Application with the Discretionary
// Data, no UI Request.
func (s *transactionState) endApplicationNoMessage() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	return s.withDiscretionary(s.newOutcome(p))
}

// selectNext asks the Entry Point for the next combination (Book C-2
// State 1 and State 3: an FCI or GPO answer the kernel cannot use, or an
// amount above the Reader Contactless Transaction Limit): Select Next at
// Start C, with the Discretionary Data.
func (s *transactionState) selectNext() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusSelectNext)
	p.Start = contactless.StartC
	return s.withDiscretionary(s.newOutcome(p))
}

// approved is the outcome of a TC (Book C-2 S910): Approved with the CVM,
// a receipt for a signature, "Approved" or "Approved Please Sign" (status
// Not Ready, the Message Hold Time), the Data Record.
func (s *transactionState) approved() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusApproved)
	p.CVM = s.cvm
	msg := contactless.MsgApproved
	if s.cvm == contactless.CVMObtainSignature {
		p.Receipt = true
		msg = contactless.MsgApprovedPleaseSign
	}
	p.UIRequestOnOutcome = s.ui(msg, contactless.UINotReady, s.cfg.MessageHoldTime)
	return s.withData(p)
}

// onlineRequest is the outcome of an ARQC (Book C-2 S910): Online Request
// with the CVM (a receipt for a signature), "Authorising Please Wait"
// (status Not Ready), the Data Record. Kernel 2 in EMV mode takes no
// online response back (Online Response Data N/A, no restart).
func (s *transactionState) onlineRequest() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusOnlineRequest)
	p.CVM = s.cvm
	p.Receipt = s.cvm == contactless.CVMObtainSignature
	p.UIRequestOnOutcome = s.ui(contactless.MsgAuthorisingPleaseWait, contactless.UINotReady, 0)
	return s.withData(p)
}

// declined is the outcome of an AAC or a failed CDA (Book C-2 S910):
// Declined, "Not Authorised" (status Not Ready, the Message Hold Time), the
// Data Record.
func (s *transactionState) declined() *contactless.Outcome {
	p := contactless.NewParameterSet(contactless.StatusDeclined)
	p.UIRequestOnOutcome = s.ui(contactless.MsgNotAuthorised, contactless.UINotReady, s.cfg.MessageHoldTime)
	return s.withData(p)
}

func (s *transactionState) withData(p contactless.OutcomeParameterSet) *contactless.Outcome {
	o := s.newOutcome(p)
	o.DataRecord = s.dataRecord()
	o.Parameters.DataRecordPresent = true
	return s.withDiscretionary(o)
}

// withDiscretionary adds the Discretionary Data (see the package doc).
func (s *transactionState) withDiscretionary(o *contactless.Outcome) *contactless.Outcome {
	var b []byte
	if ob := s.outStore(); !ob.discUsed {
		b, ob.discUsed = ob.discr[:0:len(ob.discr)], true
	}
	if v, ok := s.card.get(0x9F42); ok {
		b = tlv.AppendTLV(b, 0x9F42, v)
	}
	if v, ok := s.card.get(0x9F6E); ok {
		b = tlv.AppendTLV(b, 0x9F6E, v)
	}
	if s.balanceBefore != nil {
		b = tlv.AppendTLV(b, tagBalanceBeforeGenAC, s.balanceBefore)
	}
	if s.balanceAfter != nil {
		b = tlv.AppendTLV(b, tagBalanceAfterGenAC, s.balanceAfter)
	}
	if s.postGenACPutData != nil {
		b = tlv.AppendTLV(b, tagPostGenACPutDataStatus, s.postGenACPutData)
	}
	if s.preGenACPutData != nil {
		b = tlv.AppendTLV(b, tagPreGenACPutDataStatus, s.preGenACPutData)
	}
	b = tlv.AppendTLV(b, tagErrorIndication, s.errInd.bytes())
	if s.rrp.performed {
		b = tlv.AppendTLV(b, tagMeasuredRRPTime, []byte{byte(s.rrp.measured >> 8), byte(s.rrp.measured)})
		b = tlv.AppendTLV(b, tagRRPCounter, []byte{s.rrp.counter})
	}
	o.DiscretionaryData = b[:len(b):len(b)]
	o.Parameters.DiscretionaryDataPresent = true
	return o
}

// dataRecordTags is the order of the EMV mode Data Record (package doc).
var dataRecordTags = [...]tlv.Tag{
	0x9F02, 0x9F03, 0x9F26, 0x5F24, 0x82, 0x50, 0x5A, 0x5F34, 0x9F12, 0x9F36, 0x9F07, 0x9F09,
	0x9F27, 0x9F34, 0x84, 0x9F1E, 0x9F10, 0x9F33, 0x9F1A, 0x9F35, 0x95, 0x57, tagTransactionCatCode,
	0x5F2A, 0x9A, 0x9C, 0x9F37,
}

// dataRecord builds the Data Record: the card's data as received (the
// Application Cryptogram recovered from the CDA signature when the card
// signed it), the terminal data as the card saw it in the CDOL1 data, else
// as the terminal has it, and the TVR, CVM Results and Terminal
// Capabilities as the kernel left them.
func (s *transactionState) dataRecord() []byte {
	var out []byte
	if ob := s.outStore(); !ob.recUsed {
		out, ob.recUsed = ob.rec[:0:len(ob.rec)], true
	}
	for _, t := range dataRecordTags {
		var v []byte
		ok := true
		switch t {
		case 0x9F26:
			v, ok = s.card.get(0x9F26)
			if s.cda != nil {
				v, ok = s.cda.Cryptogram, true
			}
		case 0x95:
			v = s.tvr[:]
		case 0x9F34:
			v = s.cvmRes[:]
		case 0x9F33:
			v = s.caps[:]
		case 0x9F37:
			v = s.un[:]
		case 0x84:
			v = s.aid()
			ok = v != nil
		case 0x9F12, 0x50:
			v, ok = s.fci.label.get()
			if t == 0x9F12 {
				v, ok = s.fci.preferredName.get()
			}
			if !ok {
				v, ok = s.card.get(t)
			}
		case 0x9F02, 0x9F03, 0x9F1A, 0x5F2A, 0x9A, 0x9C, 0x9F35, 0x9F09, 0x9F1E, tagTransactionCatCode:
			if v, ok = s.cdol1.Value(s.cdolData, t); !ok {
				v, ok = s.terminal(t)
			}
		default:
			v, ok = s.card.get(t)
		}
		if ok {
			out = tlv.AppendTLV(out, t, v)
		}
	}
	return out[:len(out):len(out)]
}
