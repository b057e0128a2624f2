package kernel3

import (
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
)

// process takes the decision after the card has left (Book C-3 §5.5 to
// §5.8), from the cryptogram type:
//
//   - AAC: Declined;
//   - TC: the exception file (on it: Declined), the expiry date (expired:
//     Online Request when CTQ byte 1 bit 4 asks for it and the reader is
//     online capable, else Declined), fDDA (failed: the CTQ's policy), the
//     CVM; Approved;
//   - ARQC: the same checks set their TVR bits for the issuer, fDDA only
//     when the card signed and the reader asked for ODA on online
//     authorisations (TTQ byte 1 bit 1); Online Request.
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
	if kind == cryptogramAAC {
		return s.declined()
	}
	onFile := s.ExceptionFile(s.a.ExceptionFile, s.card.pan, s.card.track2, s.card.psn)
	expired := s.checkDates()
	if kind == cryptogramARQC {
		if s.offlineOnly() {
			// Book C-3 §5.5.1: an offline-only reader cannot send an ARQC
			// online; the transaction is declined.
			return s.declined()
		}
		if s.card.sdad != nil && s.TTQ[0]&ttq1ODAForOnline != 0 {
			s.fdda() // failure only sets its TVR bit: the issuer decides
		}
		if !s.verifyCardholder(true) {
			return s.declined()
		}
		return s.onlineRequest()
	}

	// A TC.
	if onFile {
		return s.declined()
	}
	if expired {
		if s.ctq(0, ctq1OnlineIfExpired) && !s.offlineOnly() {
			if !s.verifyCardholder(true) {
				return s.declined()
			}
			return s.onlineRequest()
		}
		return s.declined()
	}
	if !s.fdda() {
		switch {
		case s.ctq(0, ctq1OnlineIfODAFails) && !s.offlineOnly():
			if !s.verifyCardholder(true) {
				return s.declined()
			}
			return s.onlineRequest()
		case s.ctq(0, ctq1SwitchIfODAFails) && s.TTQ[0]&ttq1ContactChip != 0:
			return quick.TryAnotherInterface(s.langPref, true)
		}
		return s.declined()
	}
	if !s.verifyCardholder(false) {
		return s.declined()
	}
	return s.approved()
}

func (s *transactionState) ctq(i int, bit byte) bool {
	return len(s.card.ctq) == 2 && s.card.ctq[i]&bit != 0
}

func (s *transactionState) offlineOnly() bool { return s.TTQ[0]&ttq1OfflineOnly != 0 }

// checkDates is the application expiry check of Book C-3 §5.5.2: the
// Application Expiration Date (5F24, or the YYMM of track 2 when the card
// gave no 5F24) earlier than the transaction date sets TVR byte 2 bit 7
// and reports true. An Application Effective Date (5F25) after the
// transaction date sets byte 2 bit 6 for the issuer; Book C-3 gives it no
// outcome of its own, so it does not stop an offline approval by itself.
func (s *transactionState) checkDates() (expired bool) {
	return quick.CheckDates(s.Date, s.card.expiry, s.card.effective, s.card.track2, &s.TVR)
}

// fdda performs fast DDA (Book C-3 §5.6, Annex C): the ICC key chain under
// the CA key of the card's RID and 8F, over the static data of the records
// the AFL flags (with the AIP when 9F4A names it), then the SDAD (9F4B) with
// Signed Data Format 95 (Book C-3 Annex C.2: fDDA signs its own format, 95,
// not the 05 of Book 2 DDA), hashed over the Unpredictable Number for fDDA
// version 00 (or no 9F69) and over Unpredictable Number || Amount,
// Authorised || Transaction Currency Code || 9F69 for version 01. A
// consumer device CVM is bound to the signature: when 9F69 carries the CTQ
// (bytes 6-7 of version 01) it must equal 9F6C. It reports success; a
// failure sets TVR byte 1 bit 4 (DDA failed; fDDA has no bit of its own)
// and, for missing data, byte 1 bit 6; a card that does not support fDDA
// (AIP byte 1 bit 6) sets byte 1 bit 8 and fails.
func (s *transactionState) fdda() bool {
	ok, err := quick.AuthenticateFDDA(s.card.aip, &s.TVR, s.verifyFDDA)
	if err != nil {
		s.a.Logger.Debug("kernel3: fDDA", "err", err)
	}
	return ok
}

func (s *transactionState) verifyFDDA() error {
	c := &s.card
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

// verifyCardholder chooses the CVM (Book C-3 §5.7). The card's CTQ comes
// first, each bit only when the reader supports that CVM: consumer device
// CVM performed (byte 2 bit 8, with TTQ byte 3 bit 7) is Confirmation Code
// Verified; online PIN required (byte 1 bit 8, with TTQ byte 1 bit 3) is
// Online PIN, for an online transaction only (a TC cannot carry a PIN to
// the issuer); signature required (byte 1 bit 7, with TTQ byte 1 bit 2) is
// Obtain Signature. When none applies and the reader requires a CVM (TTQ
// byte 2 bit 7, set by pre-processing above the Reader CVM Required Limit):
// a card without a CTQ gets the reader's own, signature if supported, else
// online PIN for an online transaction (Book C-3 §5.7.2); a card whose CTQ
// names no CVM the reader can do fails CVM processing (false: Declined).
// Otherwise No CVM.
func (s *transactionState) verifyCardholder(online bool) bool {
	var ok bool
	s.cvm, ok = quick.VerifyCardholder(s.TTQ, s.card.ctq, online, &s.TVR)
	return ok
}
