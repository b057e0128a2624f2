package kernel7

import (
	"errors"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tvr"
)

// process takes the decision after the card has left (Book C-7 processing
// restrictions, offline data authentication, cardholder verification and
// outcome), from the cryptogram type:
//
//   - AAC: Declined;
//   - TC: the reader's limits (a TC the reader did not allow: Declined),
//     the exception file (on it: Declined), the expiry date (expired:
//     Online Request when CTQ byte 1 bit 4 asks for it and the reader is
//     online capable, else Declined), fDDA (failed: the CTQ's policy), the
//     CVM; Approved;
//   - ARQC: the same checks set their TVR bits for the issuer; an
//     offline-only reader declines; Online Request.
//
// Cash and cashback transactions whose card asks to switch interface for
// them (CTQ byte 1 bits 3 and 2) go to the contact interface first.
func (s *transactionState) process() *contactless.Outcome {
	kind, ok := s.card.cryptogramType()
	if !ok {
		return quick.EndApplication(s.langPref)
	}
	if s.SwitchForCash(s.a.Transaction, s.card.ctq) {
		return quick.TryAnotherInterface(s.langPref, true)
	}
	if kind == quick.AAC {
		return s.declined()
	}
	onFile := s.ExceptionFile(s.a.ExceptionFile, s.card.pan, s.card.track2, s.card.psn)
	expired := quick.CheckDates(s.Date, s.card.expiry, s.card.effective, s.card.track2, &s.TVR)
	if kind == quick.ARQC {
		if s.offlineOnly() {
			// An offline-only reader cannot send an ARQC online.
			return s.declined()
		}
		// Kernel 7 has no ODA for online authorisations (TTQ byte 1 bit 1
		// is RFU in Book C-7): an SDAD sent with an ARQC is not checked.
		return s.online()
	}

	// A TC.
	if s.offlineNotAllowed() {
		return s.declined()
	}
	if onFile {
		return s.declined()
	}
	if expired {
		if quick.CTQ(s.card.ctq, 0, quick.CTQ1OnlineIfExpired) && !s.offlineOnly() {
			return s.online()
		}
		return s.declined()
	}
	if !s.fdda() {
		switch {
		case quick.CTQ(s.card.ctq, 0, quick.CTQ1OnlineIfODAFails) && !s.offlineOnly():
			return s.online()
		case quick.CTQ(s.card.ctq, 0, quick.CTQ1SwitchIfODAFails) && s.TTQ[0]&quick.TTQ1ContactChip != 0:
			return quick.TryAnotherInterface(s.langPref, true)
		}
		return s.declined()
	}
	if !s.verifyCardholder(false) {
		return s.declined()
	}
	return s.approved()
}

// online chooses the CVM for an online authorisation and asks for it.
func (s *transactionState) online() *contactless.Outcome {
	if !s.verifyCardholder(true) {
		return s.declined()
	}
	return s.onlineRequest()
}

func (s *transactionState) offlineOnly() bool { return s.TTQ[0]&quick.TTQ1OfflineOnly != 0 }

// offlineNotAllowed is the limits check of a TC. Pre-processing asks the
// card for an online cryptogram (TTQ byte 2 bit 8) when the amount exceeds
// the Reader Contactless Floor Limit, is zero on a reader that sends those
// online, or the status check was requested (Book B §3.1.1). Reading
// chosen: Book C-7 leaves the reader's answer to a card that returns a TC
// all the same open; an offline approval the reader's own limits forbid is
// declined (TVR byte 4 bit 8, transaction exceeds floor limit, set for the
// record when the floor limit was the cause), never approved.
func (s *transactionState) offlineNotAllowed() bool {
	ind := &s.a.Indicators
	if ind.ReaderContactlessFloorLimitExceeded {
		s.TVR.Set(tvr.FloorLimitExceeded)
		return true
	}
	return s.TTQ[1]&quick.TTQ2OnlineCrypto != 0
}

// errFDDAVersion reports Card Authentication Related Data (9F69) of
// another fDDA version than 01.
var errFDDAVersion = errors.New("kernel7: fDDA version is not 01")

// fdda performs fast DDA for an offline approval (Book C-7 offline data
// authentication). Reading chosen: Book C-7 (Version 2.11) supports fDDA
// version 01 only (the reader announces it in TTQ byte 4 bit 8, which the
// Entry Point's configuration sets); a card that returns no 9F69, or a 9F69 of version 00,
// fails fDDA (no 9F69 also sets ICC data missing, TVR byte 1 bit 6). The
// signature is checked as Book C-3 Annex C does (Signed Data Format 95,
// hashed over 9F37 || 9F02 || 5F2A || 9F69 as the card got them; the CTQ in
// 9F69 bytes 6-7 equal to 9F6C). A failure sets TVR byte 1 bit 4 (DDA
// failed: fDDA has no bit of its own); a card that does not support it
// (AIP byte 1 bit 6) sets byte 1 bit 8 (ODA not performed) and fails.
func (s *transactionState) fdda() bool {
	ok, err := quick.AuthenticateFDDA(s.card.aip, &s.TVR, s.verifyFDDA)
	if err != nil {
		s.a.Logger.Debug("kernel7: fDDA", "err", err)
	}
	return ok
}

func (s *transactionState) verifyFDDA() error {
	c := &s.card
	switch {
	case len(c.cardAuthData) == 0:
		return &oda.Error{Method: oda.FDDA, Check: oda.CheckSDAD, Err: oda.ErrMissingData}
	case c.cardAuthData[0] != 0x01:
		return errFDDAVersion
	}
	pan := c.pan
	if pan == nil {
		pan = quick.PANFromTrack2(c.track2)
	}
	amount, _ := s.SignedValue(0x9F02)
	currency, _ := s.SignedValue(0x5F2A)
	f := quick.FDDA{
		Keys: s.a.CAKeys, Date: s.Date, AID: quick.AID(s.a),
		AIP: c.aip, PAN: pan, SDATagList: c.sdaTagList,
		CAIndex: c.caIndex, IssuerCert: c.issuerCert, IssuerRem: c.issuerRem, IssuerExp: c.issuerExp,
		ICCCert: c.iccCert, ICCRem: c.iccRem, ICCExp: c.iccExp,
		Records: s.odaRecs, SDAD: c.sdad, CardAuthData: c.cardAuthData, CTQ: c.ctq,
		UnpredictableNumber: s.UN[:], Amount: amount, Currency: currency,
	}
	return f.Verify()
}

// verifyCardholder chooses the CVM (Book C-7 cardholder verification) from
// the CTQ and the TTQ, as quick.ChooseCVM words it: consumer device CVM,
// online PIN (online only), signature, the reader's own CVM for a card
// without a CTQ, or No CVM. A CVM required that neither side can do fails
// (TVR byte 3 bit 8) and the transaction is declined. Reading chosen: the
// qPBOC TTQ of the UnionPay specifications keeps byte 3 RFU; Book C-7 reads
// consumer device CVM support from TTQ byte 3 bit 7, as Book C-3 does, and
// so does Kernel 7.
func (s *transactionState) verifyCardholder(online bool) bool {
	var ok bool
	s.cvm, ok = quick.VerifyCardholder(s.TTQ, s.card.ctq, online, &s.TVR)
	return ok
}
