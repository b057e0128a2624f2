package kernel2

import (
	"bytes"
	"errors"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Cryptogram types (9F27 bits 8-7).
const (
	cidAAC  byte = 0x00
	cidTC   byte = 0x40
	cidARQC byte = 0x80
)

// waitingForGenerateACResponse1 is State 9, Waiting for Generate AC
// Response 1 (Book C-2 State 9):
//
//   - the link failed: a torn transaction. With a torn transaction log
//     and a card that can recover (DRDOL), the transaction is logged and
//     the outcome asks for the card again (see tearTransaction);
//     otherwise the kernel stops with the link's error;
//   - SW other than 9000: End Application, L2 STATUS BYTES;
//   - a response that is not one template 77 or 80, or holds a data object
//     twice: End Application, L2 PARSING ERROR;
//   - when the terminal asks for Balance Read After Gen AC and the card
//     supports balance reading, GET DATA 9F50 and State 17 (balance.go);
//   - then the common processing of States 9 and 10.
func waitingForGenerateACResponse1(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.tearTransaction(sig.err)
	}
	if sig.r.SW != apdu.SWOK {
		s.errInd.statusBytes(sig.r.SW)
		return s.done(s.endApplication())
	}
	if s.tornPending {
		s.removeTornRecord(s.tornRec)
		s.tornPending = false
	}
	s.genAC = sig.r.Data
	t, v, err := tlv.Single(sig.r.Data)
	if err != nil {
		s.errInd.l2 = l2ParsingError
		return s.done(s.endApplication())
	}
	switch t {
	case 0x77:
		if err := s.card.addTemplate(v); err != nil {
			s.errInd.l2 = l2ParsingError
			return s.done(s.endApplication())
		}
	case 0x80:
		// Format 1: CID (1), ATC (2), AC (8), IAD (the rest, at most 32).
		if len(v) < 11 || len(v) > 11+32 ||
			s.card.add(0x9F27, v[:1]) != nil || s.card.add(0x9F36, v[1:3]) != nil ||
			s.card.add(0x9F26, v[3:11]) != nil || (len(v) > 11 && s.card.add(0x9F10, v[11:]) != nil) {
			s.errInd.l2 = l2ParsingError
			return s.done(s.endApplication())
		}
	default:
		s.errInd.l2 = l2ParsingError
		return s.done(s.endApplication())
	}
	if s.balanceWanted(tagBalanceAfterGenAC) {
		s.genACTemplate = t
		s.readBalance()
		return waitingForPostGenACBalance
	}
	return statesNineTenCommonProcessing(s, t)
}

// statesNineTenCommonProcessing is the procedure States 9 and 10 share
// (Book C-2 S910):
//
//   - the Cryptogram Information Data (9F27, 1 byte) and the ATC (9F36, 2
//     bytes) must be there, else End Application, L2 CARD DATA MISSING;
//   - the card may answer a lower cryptogram than asked for, never a higher
//     one (TC when an ARQC or AAC was asked, ARQC when an AAC was asked),
//     nor the RFU type 11: End Application, L2 CARD DATA ERROR;
//   - with CDA requested and a TC or ARQC answered, the response must be a
//     template 77 with the Signed Dynamic Application Data (9F4B), else
//     "CDA failed" and "ICC data missing"; the kernel recovers the key
//     chain and verifies the signature (oda: Book 2 §6.6.2 with the
//     Transaction Data Hash Code over the PDOL, CDOL1 and response data)
//     and, after relay resistance, that the ICC Dynamic Data carries the
//     relay resistance data exchanged, after the Transaction Data Hash Code.
//     Reading: a CDA failure declines the transaction, whatever the
//     cryptogram (the card's TC or ARQC cannot be trusted); Error
//     Indication L2 CAM FAILED;
//   - without CDA the response must hold the Application Cryptogram 9F26;
//   - "Card Read Successfully": the card may leave (User Interface Request
//     Clear Display with status Card Read Successfully);
//   - the outcome from the cryptogram type: TC Approved, ARQC Online
//     Request, AAC Declined, or, from a phone whose POS Cardholder
//     Interaction Information asks for a second tap, End Application at
//     Start B with "See Phone" (phone.go).
func statesNineTenCommonProcessing(s *transactionState, template tlv.Tag) stateFn {
	c := &s.card
	cid, okCID := c.get(0x9F27)
	atc, okATC := c.get(0x9F36)
	if !okCID || !okATC || len(cid) != 1 || len(atc) != 2 {
		s.errInd.l2 = l2CardDataMissing
		return s.done(s.endApplication())
	}
	kind := cid[0] & 0xC0
	if kind == 0xC0 || rank(kind) > rank(s.acType) {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	if s.cdaReq && kind != cidAAC {
		if template != 0x77 {
			s.tvr.Set(tvr.ICCDataMissing)
			s.tvr.Set(tvr.CDAFailed)
		} else if err := s.verifyCDA(); err != nil {
			s.a.Logger.Debug("kernel2: CDA", "err", err)
			s.tvr.Set(tvr.CDAFailed)
			if errors.Is(err, oda.ErrMissingData) {
				s.tvr.Set(tvr.ICCDataMissing)
			}
		}
		if s.tvr.Has(tvr.CDAFailed) {
			s.errInd.l2 = l2CAMFailed
			s.cardReadSuccessfully()
			return s.done(s.declined())
		}
	} else if _, ok := c.get(0x9F26); !ok {
		s.errInd.l2 = l2CardDataMissing
		return s.done(s.endApplication())
	}
	if s.startPutData(tagsToWrite(s.k.cfg.TagsToWriteAfterGenAC, s.writeAfter), &s.postGenACPutData) {
		s.afterPutDataKind = kind
		return waitingForPutDataResponseAfterGenAC
	}
	return s.completeGenAC(kind)
}

// completeGenAC ends the S910 procedure once the card has answered its
// last command: "Card Read Successfully", then the outcome of the
// cryptogram type.
func (s *transactionState) completeGenAC(kind byte) stateFn {
	s.cardReadSuccessfully()
	switch kind {
	case cidTC:
		return s.done(s.approved())
	case cidARQC:
		return s.done(s.onlineRequest())
	}
	if s.phoneAsksSecondTap() {
		return s.done(s.seePhone()) // phone.go
	}
	return s.done(s.declined())
}

// rank orders the cryptogram types: AAC < ARQC < TC (Book 3 §6.5.5.4).
func rank(t byte) int {
	switch t & 0xC0 {
	case cidARQC:
		return 1
	case cidTC:
		return 2
	}
	return 0
}

// errRRPData reports a CDA signature whose ICC Dynamic Data does not carry
// the relay resistance data the kernel exchanged with the card.
var errRRPData = errors.New("kernel2: the CDA ICC Dynamic Data does not carry the relay resistance data exchanged")

// verifyCDA recovers the ICC public key (Book 2 §6.6.2 with the static
// data of the records the AFL flags) and verifies the GENERATE AC
// response's signature.
func (s *transactionState) verifyCDA() error {
	c := &s.card
	static, err := s.staticData()
	if err != nil {
		return err
	}
	v := oda.Verifier{Keys: s.a.CAKeys, Date: s.date}
	if v.Keys == nil {
		v.Keys = oda.NewKeyStore()
	}
	card := oda.CardData{
		AID: s.aid(), CAKeyIndex: c.value(0x8F), PAN: c.value(0x5A),
		IssuerCertificate: c.value(0x90), IssuerRemainder: c.value(0x92), IssuerExponent: c.value(0x9F32),
		ICCCertificate: c.value(0x9F46), ICCRemainder: c.value(0x9F48), ICCExponent: c.value(0x9F47),
	}
	un, ok := s.cdol1.Value(s.cdolData, 0x9F37)
	if !ok {
		un = s.un[:]
	}
	// The key chain and the signature, in the state's own storage.
	if _, err := v.CDAKey(&s.cdaStore, &card, static); err != nil {
		return err
	}
	d, err := s.cdaStore.VerifyCDA(&oda.CDAInput{
		UnpredictableNumber: un, PDOLData: s.pdolData, CDOL1Data: s.cdolData, Response: s.genAC,
	})
	if err != nil {
		return err
	}
	if s.rrp.performed {
		// The relay resistance data follows the ICC Dynamic Number (its
		// length byte and value), the CID, the cryptogram and the TDHC.
		p := 1 + int(d.ICCDynamicData[0]) + 1 + 8 + 20
		want := s.rrp.iccDynamicData()
		if len(d.ICCDynamicData) < p+len(want) || !bytes.Equal(d.ICCDynamicData[p:p+len(want)], want) {
			return errRRPData
		}
	}
	s.cda = d
	return nil
}

// cardReadSuccessfully tells the cardholder the card may leave (Book C-2
// State 9: after the last command, Clear Display with Card Read
// Successfully, hold time zero).
func (s *transactionState) cardReadSuccessfully() {
	s.a.UI(contactless.UIRequest{
		Message:            contactless.MsgClearDisplay,
		Status:             contactless.UICardReadSuccessfully,
		LanguagePreference: s.langPref,
		ValueQualifier:     contactless.ValueNone,
	})
}
