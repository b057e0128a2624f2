package emvtest

import (
	"bytes"
	"crypto/sha1"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Issuer Application Data layout (a Visa CVN 18-style format; EMV leaves
// the content of 9F10 to the issuer):
//
//	byte 1     06, the length of what follows
//	byte 2     Derivation Key Index (01)
//	byte 3     Cryptogram Version Number (12)
//	bytes 4-7  Card Verification Results:
//	  byte 4   03, the CVR length
//	  byte 5   b8-7 second GENERATE AC: 00 AAC, 01 TC, 10 not requested
//	           b6-5 first GENERATE AC: 00 AAC, 01 TC, 10 ARQC
//	           b4 issuer authentication performed and failed
//	           b3 offline PIN verification performed
//	           b2 offline PIN verification failed
//	           b1 unable to go online (never set: the card cannot know)
//	  byte 6   b8 last online transaction not completed
//	           b7 PIN try limit exceeded
//	           b6 exceeded velocity checking counters (LCOL/UCOL)
//	           b5 new card (no online transaction yet)
//	           b4 issuer authentication failed on the last online transaction
//	           b3 issuer authentication not performed after online authorisation
//	           b2 the card blocked its PIN when the try limit was reached
//	  byte 7   b8-5 issuer script commands processed on the last online transaction
//	           b4 issuer script processing failed on the last online transaction
//
// The application cryptogram (Book 2 §8.1, Annex A1.2) is MAC algorithm 3
// with padding method 2 under the AC session key (EMV Common Session Key,
// R = ATC || 00..00) over, in order: Amount Authorised (9F02), Amount Other
// (9F03), Terminal Country Code (9F1A), TVR (95), Transaction Currency
// Code (5F2A), Transaction Date (9A), Transaction Type (9C), Unpredictable
// Number (9F37), all taken from the CDOL data (the second GENERATE AC's
// CDOL2 values replace CDOL1's where present; a value the CDOLs do not ask
// for is zeros), then AIP, ATC and the whole Issuer Application Data.
const (
	iadDKI = 0x01
	iadCVN = 0x12
)

// acTerminalData lists the terminal data elements of the cryptogram input
// with their lengths.
var acTerminalData = tlv.DOL{
	{Tag: 0x9F02, Len: 6}, {Tag: 0x9F03, Len: 6}, {Tag: 0x9F1A, Len: 2}, {Tag: 0x95, Len: 5},
	{Tag: 0x5F2A, Len: 2}, {Tag: 0x9A, Len: 3}, {Tag: 0x9C, Len: 1}, {Tag: 0x9F37, Len: 4},
}

// appendTerminalData appends the terminal data of the cryptogram input in
// the order of acTerminalData, each value fitted to its length: cut on the
// right when longer, zeros on the left when shorter (Book 2 Annex A1.2).
func appendTerminalData(in []byte, get func(tlv.Tag) []byte) []byte {
	for _, e := range acTerminalData {
		v := get(e.Tag)
		switch {
		case len(v) == e.Len:
			in = append(in, v...)
		case len(v) > e.Len:
			in = append(in, v[:e.Len]...)
		default:
			in = append(in, make([]byte, e.Len-len(v))...)
			in = append(in, v...)
		}
	}
	return in
}

// CVR bits, by byte (numbered from the first byte after the CVR length).
const (
	cvr1IssuerAuthFailed = 0x08
	cvr1PINPerformed     = 0x04
	cvr1PINFailed        = 0x02

	cvr2LastOnlineIncomplete = 0x80
	cvr2PINTryLimitExceeded  = 0x40
	cvr2VelocityExceeded     = 0x20
	cvr2NewCard              = 0x10
	cvr2LastIssuerAuthFailed = 0x08
	cvr2IssuerAuthNotDone    = 0x04
	cvr2PINBlockedByCard     = 0x02

	cvr3ScriptFailed = 0x08
)

func acBits(cid byte) byte {
	switch cid {
	case cidTC:
		return 1
	case cidARQC:
		return 2
	}
	return 0
}

// iad builds the Issuer Application Data: first is the first GENERATE AC's
// cryptogram type; for the second GENERATE AC isSecond is set and second is
// its type.
func (a *appState) iad(first, second byte, isSecond bool) []byte {
	var b1, b2, b3 byte
	if isSecond {
		b1 = acBits(second)<<6 | acBits(first)<<4
	} else {
		b1 = 0x80 | acBits(first)<<4
	}
	if a.tx.issuerAuth == 2 {
		b1 |= cvr1IssuerAuthFailed
	}
	if a.tx.pinDone {
		b1 |= cvr1PINPerformed
	}
	if a.tx.pinFailed {
		b1 |= cvr1PINFailed
	}
	if a.tx.lastIncomplete {
		b2 |= cvr2LastOnlineIncomplete
	}
	if a.pin != "" && a.pinTries == 0 {
		b2 |= cvr2PINTryLimitExceeded
	}
	if a.velocityExceeded() {
		b2 |= cvr2VelocityExceeded
	}
	if a.lastOnline == 0 {
		b2 |= cvr2NewCard
	}
	if a.tx.lastAuthFailed {
		b2 |= cvr2LastIssuerAuthFailed
	}
	if isSecond && first == cidARQC && a.tx.issuerAuth == 0 {
		b2 |= cvr2IssuerAuthNotDone
	}
	if a.pinBlockedByTry {
		b2 |= cvr2PINBlockedByCard
	}
	n := a.scriptCount
	if n > 15 {
		n = 15
	}
	b3 = byte(n) << 4
	if a.scriptFailed {
		b3 |= cvr3ScriptFailed
	}
	return []byte{0x06, iadDKI, iadCVN, 0x03, b1, b2, b3}
}

// velocityExceeded reports whether the transactions since the last online
// one exceed the lower consecutive offline limit (Book 3 §10.6.3, applied
// by the card).
func (a *appState) velocityExceeded() bool {
	since := int(a.atc) - int(a.lastOnline)
	return (a.lcol >= 0 && since > a.lcol) || (a.ucol >= 0 && since > a.ucol)
}

// cryptogram computes the application cryptogram over the terminal data,
// AIP, ATC and IAD (see the layout above).
func (a *appState) cryptogram(vals map[tlv.Tag][]byte, iad []byte) []byte {
	in := appendTerminalData(make([]byte, 0, 64), func(t tlv.Tag) []byte {
		if v, found := vals[t]; found {
			return v
		}
		return a.tx.cdol1Vals[t]
	})
	in = append(in, a.perso.cfg.AIP...)
	in = append(in, byte(a.atc>>8), byte(a.atc))
	in = append(in, iad...)
	sk, err := sessionKey(a.perso.mkAC, acSessionKeyR(a.atc))
	if err != nil {
		panic(err) // keys are checked at personalisation
	}
	m, err := mac(sk, in)
	if err != nil {
		panic(err)
	}
	return m
}

// generateAC answers GENERATE AC, first or second (Book 3 §6.5.5), with
// the card's own risk management deciding the cryptogram type and CDA
// (Book 2 §6.6) when asked for and supported.
func (c *Card) generateAC(a *appState, cmd apdu.Command) apdu.Response {
	ref := cmd.P1 & 0xC0
	// P1 b5-b4: 10 CDA, 01 XDA signature requested, 11 RFU (treated as
	// neither, EMV 4.4 Book 3 Table 12).
	if cmd.P2 != 0 || cmd.P1&0x27 != 0 || ref == 0xC0 {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if !a.tx.gpo {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	cfg := a.perso.cfg
	second := a.tx.acs == 1
	dol := a.perso.cdol1
	switch {
	case a.tx.acs == 0:
	case second && a.tx.firstCID == cidARQC && ref != cidARQC:
		dol = a.perso.cdol2
	default:
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	if len(cmd.Data) != dol.Len() {
		return swOnly(apdu.SWWrongLength)
	}
	vals := dolValues(dol, cmd.Data)
	// The ICC Dynamic Number of a CDA signature is drawn before any state
	// changes, so a failing random source leaves the card as it was.
	wantCDA := cmd.P1&0x18 == apdu.RefCDA && cfg.AIP[0]&aipCDA != 0 && a.perso.hasICC
	wantXDA := cmd.P1&0x18 == 0x08 && a.perso.hasECC
	var dn []byte
	if wantCDA {
		var good bool
		if dn, good = c.random(8); !good {
			return swOnly(apdu.SWNoPreciseDiagnosis)
		}
	}

	var cid byte
	var pcii []byte // the POS Cardholder Interaction Information of a phone asking for confirmation
	if !second {
		a.tx.cdol1Data = append([]byte(nil), cmd.Data...)
		a.tx.cdol1Vals = dolValues(dol, a.tx.cdol1Data)
		cid = a.firstDecision(ref)
		if ref == cidTC && cid != cidAAC && a.eCashPurchase() {
			cid = cidTC
		}
		if a.phoneAsked < cfg.PhoneConfirmation {
			a.phoneAsked++
			cid = cidAAC
			pcii = PCIIODCVMRequired
		}
	} else {
		// Issuer Authentication Data in CDOL2 (91) is checked here when
		// EXTERNAL AUTHENTICATE was not used (Book 3 §10.9).
		if v, found := vals[0x91]; found && a.tx.issuerAuth == 0 && !allZero(v) {
			a.checkIssuerAuth(c, v)
		}
		cid = a.secondDecision(ref)
	}
	iad := a.iad(a.tx.firstCIDOr(cid, second), cid, second)
	ac := a.cryptogram(vals, iad)
	if !second {
		a.tx.firstCID = cid
		a.tx.ac = ac
		if cid == cidARQC {
			a.onlinePending = true
			a.scriptCount, a.scriptFailed = 0, false
		}
	}
	a.tx.acs++

	atc := []byte{byte(a.atc >> 8), byte(a.atc)}
	if wantCDA && cid != cidAAC {
		// Book 2 §6.6.1: the Transaction Data Hash Code covers the PDOL
		// data, the CDOL1 data, the CDOL2 data (second GENERATE AC) and
		// the response's data objects other than the SDAD, in order.
		var objs []byte
		objs = tlv.AppendTLV(objs, 0x9F27, []byte{cid})
		objs = tlv.AppendTLV(objs, 0x9F36, atc)
		iadTLV := tlv.AppendTLV(nil, 0x9F10, iad)
		h := sha1.New()
		h.Write(a.tx.pdolData)
		h.Write(a.tx.cdol1Data)
		if second {
			h.Write(cmd.Data)
		}
		h.Write(objs)
		h.Write(iadTLV)
		tdhc := h.Sum(nil)
		iccDD := make([]byte, 0, 38)
		iccDD = append(iccDD, 8)
		iccDD = append(iccDD, dn...)
		iccDD = append(iccDD, cid)
		iccDD = append(iccDD, ac...)
		iccDD = append(iccDD, tdhc...)
		iccDD = append(iccDD, a.tx.rrp...)
		un := vals[0x9F37]
		if un == nil {
			un = a.tx.cdol1Vals[0x9F37]
		}
		sdad := signedDynamicData(a.perso.chain.icc, iccDD, un, cfg.Faults.BadSDAD)
		body := append(objs, tlv.AppendTLV(nil, 0x9F4B, sdad)...)
		body = append(body, iadTLV...)
		return ok(tlv.AppendTLV(nil, 0x77, body))
	}
	if wantXDA && cid != cidAAC {
		// Book 2 §12.5.3: the cryptogram in clear and the XDA signature
		// over the PDOL, CDOL1 (and CDOL2) data and the other objects.
		var objs []byte
		objs = tlv.AppendTLV(objs, 0x9F27, []byte{cid})
		objs = tlv.AppendTLV(objs, 0x9F36, atc)
		objs = tlv.AppendTLV(objs, 0x9F26, ac)
		objs = tlv.AppendTLV(objs, 0x9F10, iad)
		var cdol2 []byte
		if second {
			cdol2 = cmd.Data
		}
		return ok(xdaResponse(a.perso.chain.eccICC(), objs, a.tx.pdolData, a.tx.cdol1Data, cdol2, cfg.Faults.BadSDAD))
	}
	if cfg.GenACFormat == 1 {
		v := append([]byte{cid}, atc...)
		v = append(v, ac...)
		v = append(v, iad...)
		return ok(tlv.AppendTLV(nil, 0x80, v))
	}
	var body []byte
	body = tlv.AppendTLV(body, 0x9F27, []byte{cid})
	body = tlv.AppendTLV(body, 0x9F36, atc)
	body = tlv.AppendTLV(body, 0x9F26, ac)
	body = tlv.AppendTLV(body, 0x9F10, iad)
	if pcii != nil {
		body = tlv.AppendTLV(body, tagPCII, pcii)
	}
	return ok(tlv.AppendTLV(nil, 0x77, body))
}

func (t *txState) firstCIDOr(cid byte, second bool) byte {
	if second {
		return t.firstCID
	}
	return cid
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// firstDecision is the card's risk management for the first GENERATE AC:
// never a higher cryptogram than asked for (Book 3 §6.5.5.4).
func (a *appState) firstDecision(ref byte) byte {
	switch {
	case ref == cidAAC || a.blocked || a.perso.cfg.Risk.Decision == DecideDecline:
		return cidAAC
	case ref == cidARQC:
		return cidARQC
	}
	switch a.perso.cfg.Risk.Decision {
	case DecideOffline:
		return cidTC
	case DecideOnline:
		return cidARQC
	}
	if a.tx.lastIncomplete || a.velocityExceeded() || a.tx.pinFailed || (a.pin != "" && a.pinTries == 0) || a.tx.lastAuthFailed {
		return cidARQC
	}
	return cidTC
}

// secondDecision is the card's decision at the second GENERATE AC: a TC
// when asked for one, unless the application is blocked, the profile
// declines, or issuer authentication is required and did not succeed.
func (a *appState) secondDecision(ref byte) byte {
	if ref != cidTC || a.blocked || a.perso.cfg.Risk.Decision == DecideDecline {
		return cidAAC
	}
	if a.perso.cfg.Risk.IssuerAuthRequired && a.tx.issuerAuth != 1 {
		return cidAAC
	}
	return cidTC
}

// Card Status Update bits (Book 2 §8.2.2), second byte.
const (
	csuApprove      = 0x80
	csuCardBlock    = 0x40
	csuAppBlock     = 0x20
	csuUpdatePTC    = 0x10
	csuGoOnlineNext = 0x08
)

// checkIssuerAuth verifies Issuer Authentication Data (91): ARPC || ARC
// for method 1, ARPC || CSU || Proprietary Authentication Data for method
// 2 (Book 2 §8.2), and records the result.
func (a *appState) checkIssuerAuth(c *Card, iad []byte) bool {
	sk, err := sessionKey(a.perso.mkAC, acSessionKeyR(a.atc))
	good := false
	if err == nil && a.tx.ac != nil {
		switch a.perso.cfg.ARPCMethod {
		case 2:
			if len(iad) >= 8 && len(iad) <= 16 {
				var csu [4]byte
				copy(csu[:], iad[4:8])
				want, err := arpcMethod2(sk, a.tx.ac, csu, iad[8:])
				good = err == nil && bytes.Equal(want, iad[:4])
				defer func() {
					if good {
						a.applyCSU(c, csu)
					}
				}()
			}
		default:
			if len(iad) == 10 {
				want, err := arpcMethod1(sk, a.tx.ac, [2]byte{iad[8], iad[9]})
				good = err == nil && bytes.Equal(want, iad[:8])
			}
		}
	}
	if good {
		a.tx.issuerAuth = 1
		a.onlinePending = false
		a.lastAuthFailed = false
		a.lastOnline = a.atc
	} else {
		a.tx.issuerAuth = 2
		a.lastAuthFailed = true
	}
	return good
}

// applyCSU carries out a verified Card Status Update (Book 2 §8.2.2).
func (a *appState) applyCSU(c *Card, csu [4]byte) {
	if csu[1]&csuCardBlock != 0 {
		c.cardBlock = true
	}
	if csu[1]&csuAppBlock != 0 {
		a.blocked = true
	}
	if csu[1]&csuUpdatePTC != 0 {
		a.pinTries = int(csu[0] & 0x0F)
	}
	if csu[1]&csuGoOnlineNext != 0 {
		a.onlinePending = true
	}
}

// externalAuthenticate answers EXTERNAL AUTHENTICATE (Book 3 §6.5.4):
// 9000 when the ARPC is right, 6300 when it is not.
func (c *Card) externalAuthenticate(a *appState, cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if a.tx.acs != 1 || a.tx.firstCID != cidARQC || a.tx.extAuth {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	if len(cmd.Data) < 8 || len(cmd.Data) > 16 {
		return swOnly(apdu.SWWrongLength)
	}
	a.tx.extAuth = true
	if a.checkIssuerAuth(c, cmd.Data) {
		return swOnly(apdu.SWOK)
	}
	return swOnly(apdu.SWVerifyFailedNoInfo)
}
