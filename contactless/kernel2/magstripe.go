package kernel2

import (
	"context"
	"encoding/binary"
	"math/bits"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// insComputeCryptographicChecksum is COMPUTE CRYPTOGRAPHIC CHECKSUM's
// instruction (Book C-2: CLA 80, INS 2A, P1 P2 8E 80, the UDOL related
// data, Le 00).
const insComputeCryptographicChecksum = 0x2A

func computeCryptographicChecksum(udolData []byte) apdu.Command {
	return apdu.Command{CLA: 0x80, INS: insComputeCryptographicChecksum, P1: 0x8E, P2: 0x80, Data: udolData, Le: 256}
}

// Mag-stripe mode data objects (Book C-2 Annex A).
const (
	tagTrack1Data        tlv.Tag = 0x56
	tagCVC3Track1        tlv.Tag = 0x9F60
	tagCVC3Track2        tlv.Tag = 0x9F61
	tagPCVC3Track1       tlv.Tag = 0x9F62 // b, 6 bytes
	tagPUNATCTrack1      tlv.Tag = 0x9F63 // b, 6 bytes
	tagNATCTrack1        tlv.Tag = 0x9F64 // b, 1 byte
	tagPCVC3Track2       tlv.Tag = 0x9F65 // b, 2 bytes
	tagPUNATCTrack2      tlv.Tag = 0x9F66 // b, 2 bytes
	tagNATCTrack2        tlv.Tag = 0x9F67 // b, 1 byte
	tagUDOL              tlv.Tag = 0x9F69
	tagUNNumeric         tlv.Tag = 0x9F6A // n 8, 4 bytes
	tagTrack2Data        tlv.Tag = 0x9F6B
	tagMagstripeAVNRead  tlv.Tag = 0x9F6D // Mag-stripe Application Version Number (Reader)
	tagDefaultUDOL       tlv.Tag = 0xDF811A
	tagDDCardTrack1      tlv.Tag = 0xDF812A
	tagDDCardTrack2      tlv.Tag = 0xDF812B
	tagMobileSupportInd  tlv.Tag = 0x9F7E
	tagApplicationTxCntr tlv.Tag = 0x9F36
)

// defaultUDOL is the Default UDOL (DF811A) of Book C-2 Annex A: the
// Unpredictable Number (Numeric), 4 bytes.
var defaultUDOL = []byte{0x9F, 0x6A, 0x04}

// magstripe is what mag-stripe mode keeps between its states.
type magstripe struct {
	nUN      int
	unNum    [4]byte // Unpredictable Number (Numeric) 9F6A
	udol     tlv.DOL
	udolData []byte
	track1   bool
	t1, t2   trackDigits // the tracks with CVC3, UN and ATC placed
	dd1, dd2 []byte      // DD Card (Track1) and (Track2), as read
	msi      byte        // Mobile Support Indicator 9F7E
}

// Mobile Support Indicator (9F7E) byte 1 (Book C-2 Annex A).
const msiODCVMRequired = 0x02 // b2: OD-CVM required

// pcii2ODCVMVerified is "OD-CVM verification successful", byte 2 b5 of
// the POS Cardholder Interaction Information (DF4B, Book C-2 Annex A): the
// phone verified its holder (States 13 and 14).
const pcii2ODCVMVerified = 0x10

// trackDigits is one track's characters (track 2: one digit a nibble;
// track 1: one ASCII byte a character) and where its discretionary data
// begins and ends.
type trackDigits struct {
	chars    []byte
	ddStart  int
	ddEnd    int
	pcvc3    uint64
	punatc   uint64
	natc     int
	ascii    bool
	bitWidth int
}

// startMagstripeMode enters mag-stripe mode after GPO (Book C-2 State 3,
// S3.70 onward): the Active AFL is the whole AFL (the entry 08010100 of
// the mag-stripe data included), no relay resistance, and the records are
// read in State 7.
func (s *transactionState) startMagstripeMode(afl []byte) stateFn {
	s.ms = &magstripe{}
	s.afl = afl
	if !s.checkAFL() {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	if len(s.afl) == 0 {
		return statesSevenEightCommonProcessing(s)
	}
	s.aflPos, s.rec = 0, s.afl[1]
	s.send(apdu.ReadRecord(s.afl[0]>>3, s.rec))
	return waitingForMagstripeReadRecordResponse
}

// waitingForMagstripeReadRecordResponse is State 7, Waiting for Mag-stripe
// Read Record Response (Book C-2 State 7): each record of the Active AFL is
// read and parsed as in State 4 (a status word other than 9000 is L2
// STATUS BYTES, a record that is not one template 70 or repeats a data
// object L2 PARSING ERROR, both End Application); after the last one, the
// mag-stripe data checks of S7.21 to S7.24 and the common processing of
// States 7 and 8 (S78), see statesSevenEightCommonProcessing. This kernel
// has no Data Exchange, so it never waits in State 8 (Waiting for
// Mag-stripe First Write Flag).
func waitingForMagstripeReadRecordResponse(s *transactionState, sig signal) stateFn {
	return s.recordResponse(sig, waitingForMagstripeReadRecordResponse, statesSevenEightCommonProcessing)
}

// statesSevenEightCommonProcessing checks the mag-stripe data after the
// last record (Book C-2 S7.21 to S7.24) and runs the procedure States 7 and
// 8 share (S78), in the book's order:
//
//   - Track 2 Data (9F6B), PCVC3 (Track2) (9F65), PUNATC (Track2) (9F66)
//     and NATC (Track2) (9F67); one missing ends the application, L2 CARD
//     DATA MISSING (S7.21);
//   - nUN, the number of 1 bits of PUNATC (Track2) minus NATC (Track2),
//     0 to 8; with Track 1 Data (56), PCVC3, PUNATC and NATC (Track1)
//     (9F62 to 9F64) present and giving the same nUN; else L2 CARD DATA
//     ERROR (S7.22 to S7.24);
//   - the bitmaps fit the tracks' discretionary data (reading: a 1 bit
//     beyond the discretionary data names no digit, and a track without
//     discretionary data has no place for nUN; L2 CARD DATA ERROR);
//   - DD Card (Track2) (DF812B) and DD Card (Track1) (DF812A): the
//     discretionary data as the card returned it (S7.23);
//   - the amount above the Reader Contactless Transaction Limit (as in
//     S456: DF8125 with on-device cardholder verification, else DF8124):
//     Select Next at Start C, L2 MAX LIMIT EXCEEDED (S78.10, S78.11);
//   - the Unpredictable Number (Numeric) (9F6A, S78.15): the kernel's
//     random number modulo 10^nUN, as 8 BCD digits, so its 8 − nUN most
//     significant digits are zero (only the nUN least significant ones
//     reach the tracks);
//   - the UDOL (9F69), else the Default UDOL (DF811A, default 9F6A04),
//     built from the kernel's data; a UDOL that cannot be used is L2 CARD
//     DATA ERROR;
//   - the Mobile Support Indicator (9F7E) the UDOL may ask for: the
//     terminal's (reading: 00 without one), with "OD-CVM required" (b2)
//     when card (AIP byte 1 b2) and reader (Kernel Configuration b6)
//     support on-device cardholder verification and the amount is above
//     the Reader CVM Required Limit (S78.16, S78.19, S78.20);
//   - COMPUTE CRYPTOGRAPHIC CHECKSUM with the UDOL related data, then
//     State 14 (Waiting for CCC Response 2) when card and reader support
//     on-device cardholder verification (S78.21, S78.22), else State 13
//     (S78.17, S78.18).
func statesSevenEightCommonProcessing(s *transactionState) stateFn {
	c := &s.card
	ms := s.ms
	if ms == nil { // reached from a state outside mag-stripe mode
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	for _, t := range [...]tlv.Tag{tagTrack2Data, tagPCVC3Track2, tagPUNATCTrack2, tagNATCTrack2} {
		if _, ok := c.get(t); !ok {
			s.errInd.l2 = l2CardDataMissing
			return s.done(s.endApplication())
		}
	}
	_, ms.track1 = c.get(tagTrack1Data)
	var ok bool
	if ms.t2, ok = track2Digits(c.value(tagTrack2Data), c.value(tagPCVC3Track2), c.value(tagPUNATCTrack2), c.value(tagNATCTrack2)); !ok {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	ms.nUN = bits.OnesCount64(ms.t2.punatc) - ms.t2.natc
	if ms.nUN < 0 || ms.nUN > 8 {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	if ms.track1 {
		ms.t1, ok = track1Digits(c.value(tagTrack1Data), c.value(tagPCVC3Track1), c.value(tagPUNATCTrack1), c.value(tagNATCTrack1))
		if !ok || bits.OnesCount64(ms.t1.punatc)-ms.t1.natc != ms.nUN {
			s.errInd.l2 = l2CardDataError
			return s.done(s.endApplication())
		}
	}
	ms.dd2 = ms.t2.discretionary()
	if ms.track1 {
		ms.dd1 = ms.t1.discretionary()
	}
	limit := s.cfg.ReaderLimitNoOnDeviceCVM
	if s.onDeviceCVM() {
		limit = s.cfg.ReaderLimitOnDeviceCVM
	}
	if limit != nil && s.amount() > *limit {
		s.errInd.l2 = l2MaxLimitExceeded
		return s.done(s.selectNext())
	}
	if v, ok := s.terminal(tagMobileSupportInd); ok && len(v) == 1 {
		ms.msi = v[0]
	}
	if s.onDeviceCVM() && s.cvmRequired() {
		ms.msi |= msiODCVMRequired
	}
	n := binary.BigEndian.Uint32(s.un[:]) % pow10(ms.nUN)
	for i := 3; i >= 0; i-- {
		ms.unNum[i] = byte(n%10) | byte(n/10%10)<<4
		n /= 100
	}
	udol := s.cfg.DefaultUDOL
	if v, ok := c.get(tagUDOL); ok {
		udol = v
	}
	d, err := tlv.ParseDOL(udol)
	if err != nil || d.Len() > maxDOLData {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	ms.udol = d
	ms.udolData = d.Build(make([]byte, 0, d.Len()), s.dolValue)
	s.send(computeCryptographicChecksum(ms.udolData))
	if s.onDeviceCVM() {
		return waitingForCCCResponse2
	}
	return waitingForCCCResponse1
}

func pow10(n int) uint32 {
	p := uint32(1)
	for ; n > 0; n-- {
		p *= 10
	}
	return p
}

// waitingForCCCResponse1 is State 13, Waiting for CCC Response 1 (Book
// C-2 State 13), the answer of a card without on-device cardholder
// verification (or a reader without it):
//
//   - the link failed (S13.1 to S13.5): the failure wait (see [Kernel]),
//     then the kernel stops with the link's error (mag-stripe mode has no
//     torn transaction recovery; the Entry Point asks for a new tap, Try
//     Again at Start B);
//   - the response checks of both CCC states (parseCCCResponse: S13.9 to
//     S13.13, the card may leave once it parses, S13.12.1);
//   - no Application Transaction Counter (9F36): End Application, L2 CARD
//     DATA MISSING (S13.14.1, S13.14.4);
//   - no CVC3 (Track2) (9F61): without POS Cardholder Interaction
//     Information (DF4B) L2 CARD DATA MISSING (S13.14.3, S13.14.4); with
//     it, the phone's answer without a checksum (noCVC3: a second tap, or
//     declined; S13.41 to S13.45);
//   - nUN', the digit that ends the discretionary data of each track:
//     (nUN + 5) mod 10 when the PCII says "OD-CVM verification
//     successful", else nUN (S13.14.5 to S13.14.8);
//   - no CVC3 (Track1) (9F60) when the card has Track 1 Data: L2 CARD
//     DATA MISSING (S13.15, S13.16);
//   - then Failed MS Cntr back to 0 (S13.17), CVC3, the Unpredictable
//     Number (Numeric) and the ATC placed into the tracks
//     (trackDigits.place, S13.18 to S13.22), and Online Request with the
//     CVM of the Mag-stripe CVM Capability (magstripeCVM, S13.24 to
//     S13.26).
//
// Every failure after the command went out waits as [Kernel] says before
// its outcome (S13.30, S13.31, S13.42, S13.44).
func waitingForCCCResponse1(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.magstripeLinkFailed(sig.err)
	}
	if !s.parseCCCResponse(sig.r) {
		return s.magstripeFailed(s.endApplication())
	}
	c := &s.card
	if _, ok := c.get(tagApplicationTxCntr); !ok {
		s.errInd.l2 = l2CardDataMissing
		return s.magstripeFailed(s.endApplication())
	}
	pcii, hasPCII := c.get(tagPCII)
	if hasPCII && len(pcii) != 3 {
		s.errInd.l2 = l2CardDataError
		return s.magstripeFailed(s.endApplication())
	}
	if _, ok := c.get(tagCVC3Track2); !ok {
		if !hasPCII {
			s.errInd.l2 = l2CardDataMissing
			return s.magstripeFailed(s.endApplication())
		}
		return s.magstripeFailed(s.noCVC3())
	}
	nUN := s.ms.nUN
	if hasPCII && pcii[1]&pcii2ODCVMVerified != 0 {
		nUN = (nUN + 5) % 10
	}
	if !s.cccChecksums() {
		return s.magstripeFailed(s.endApplication())
	}
	s.placeTracks(nUN)
	return s.done(s.magstripeOutcome(s.magstripeCVM()))
}

// waitingForCCCResponse2 is State 14, Waiting for CCC Response 2 (Book
// C-2 State 14), the answer of a phone when card and reader support
// on-device cardholder verification:
//
//   - the link failed, and the response checks: as in State 13 (S14.1 to
//     S14.13, S14.12.1);
//   - no Application Transaction Counter (9F36) or no POS Cardholder
//     Interaction Information (DF4B): End Application, L2 CARD DATA
//     MISSING (S14.14, S14.17); a PCII of another length than 3: L2 CARD
//     DATA ERROR (reading: Annex A's length);
//   - no CVC3 (Track2) (9F61): the phone's answer without a checksum
//     (noCVC3: a second tap, or declined; S14.19.1 to S14.23);
//   - no CVC3 (Track1) (9F60) when the card has Track 1 Data: L2 CARD
//     DATA MISSING (S14.16, S14.17);
//   - the PCII says "OD-CVM verification successful": nUN' is (nUN + 5)
//     mod 10 and the CVM Confirmation Code Verified (S14.20, S14.24,
//     S14.34); else, above the Reader CVM Required Limit, the phone was
//     asked for its cardholder verification (S78.20) and did not do it:
//     End Application, L2 CARD DATA ERROR (S14.21, S14.21.1; reading: the
//     limit of S14.21 is the CVM Required Limit, the one S78.19 asked the
//     phone for OD-CVM with); up to it nUN' is nUN and the CVM No CVM
//     (S14.25, S14.33);
//   - then Failed MS Cntr back to 0 (S14.25.1), the tracks built as in
//     State 13 (S14.26 to S14.30) and Online Request (S14.32). Reading:
//     no receipt with Confirmation Code Verified, as in EMV mode.
func waitingForCCCResponse2(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.magstripeLinkFailed(sig.err)
	}
	if !s.parseCCCResponse(sig.r) {
		return s.magstripeFailed(s.endApplication())
	}
	c := &s.card
	_, hasATC := c.get(tagApplicationTxCntr)
	pcii, hasPCII := c.get(tagPCII)
	switch {
	case !hasATC || !hasPCII:
		s.errInd.l2 = l2CardDataMissing
		return s.magstripeFailed(s.endApplication())
	case len(pcii) != 3:
		s.errInd.l2 = l2CardDataError
		return s.magstripeFailed(s.endApplication())
	}
	if _, ok := c.get(tagCVC3Track2); !ok {
		return s.magstripeFailed(s.noCVC3())
	}
	if !s.cccChecksums() {
		return s.magstripeFailed(s.endApplication())
	}
	nUN, cvm := s.ms.nUN, contactless.CVMNoCVM
	switch {
	case pcii[1]&pcii2ODCVMVerified != 0:
		nUN, cvm = (nUN+5)%10, contactless.CVMConfirmationCodeVerified
	case s.cvmRequired():
		s.errInd.l2 = l2CardDataError
		return s.magstripeFailed(s.endApplication())
	}
	s.placeTracks(nUN)
	return s.done(s.magstripeOutcome(cvm))
}

// parseCCCResponse checks the response to COMPUTE CRYPTOGRAPHIC CHECKSUM
// (Book C-2 S13.9 to S13.13, S14.9 to S14.13): SW other than 9000 is L2
// STATUS BYTES with the SW in the Error Indication; a response that is not
// one template 77 or repeats a data object is L2 PARSING ERROR. Once it
// parses the card may leave (Clear Display, Card Read Successfully,
// S13.12.1, S14.12.1). It reports whether the response was stored.
func (s *transactionState) parseCCCResponse(r apdu.Response) bool {
	if r.SW != apdu.SWOK {
		s.errInd.statusBytes(r.SW)
		return false
	}
	t, v, err := tlv.Single(r.Data)
	if err != nil || t != 0x77 {
		s.errInd.l2 = l2ParsingError
		return false
	}
	if err := s.card.addTemplate(v); err != nil {
		s.errInd.l2 = l2ParsingError
		return false
	}
	s.cardReadSuccessfully()
	return true
}

// cccChecksums checks the ATC, CVC3 (Track2) and, with Track 1 Data, CVC3
// (Track1) of a CCC response that has CVC3 (Track2): CVC3 (Track1)
// missing is L2 CARD DATA MISSING (S13.15, S14.16); one of them not 2
// bytes is L2 CARD DATA ERROR (reading: the book's parsing keeps the
// lengths of Annex A, which this kernel checks here).
func (s *transactionState) cccChecksums() bool {
	need := [...]tlv.Tag{tagApplicationTxCntr, tagCVC3Track2, tagCVC3Track1}
	n := 2
	if s.ms.track1 {
		n = 3
	}
	for _, t := range need[:n] {
		v, ok := s.card.get(t)
		switch {
		case !ok:
			s.errInd.l2 = l2CardDataMissing
			return false
		case len(v) != 2:
			s.errInd.l2 = l2CardDataError
			return false
		}
	}
	return true
}

// placeTracks sets Failed MS Cntr back to 0 and places CVC3, the
// Unpredictable Number (Numeric), the ATC and nUN' into the tracks (Book
// C-2 S13.17 to S13.22, S14.25.1 to S14.30).
func (s *transactionState) placeTracks(nUN int) {
	s.k.magstripeSucceeded()
	c, ms := &s.card, s.ms
	atc := binary.BigEndian.Uint16(c.value(tagApplicationTxCntr))
	ms.t2.place(binary.BigEndian.Uint16(c.value(tagCVC3Track2)), ms.unNum, ms.nUN, atc, nUN)
	if ms.track1 {
		ms.t1.place(binary.BigEndian.Uint16(c.value(tagCVC3Track1)), ms.unNum, ms.nUN, atc, nUN)
	}
}

// noCVC3 is the outcome of a CCC response with POS Cardholder Interaction
// Information but without CVC3 (Book C-2 S13.41 to S13.45, S14.19.1 to
// S14.23): the phone did not compute a checksum. A PCII that asks for a
// second tap (phoneAsksSecondTap: PCII AND 00030F not 000000) gives the
// Phone Message Table's message, End Application at Start B (seePhone, as
// in EMV mode); any other is the phone's refusal: Declined, "Not
// Authorised" (Book C-2's DECLINED), Not Ready, held the Message Hold
// Time, with the Discretionary Data. Readings: State 14's refusal is
// Declined as State 13's (the phone declined in both); the refusal has no
// Data Record, the tracks having no checksum to carry.
func (s *transactionState) noCVC3() *contactless.Outcome {
	if s.phoneAsksSecondTap() {
		return s.seePhone()
	}
	p := contactless.NewParameterSet(contactless.StatusDeclined)
	p.UIRequestOnOutcome = s.ui(contactless.MsgNotAuthorised, contactless.UINotReady, s.cfg.MessageHoldTime)
	return s.withDiscretionary(&contactless.Outcome{Parameters: p})
}

// magstripeFailed ends a mag-stripe transaction that failed after COMPUTE
// CRYPTOGRAPHIC CHECKSUM went out with o, after the failure wait of
// [Kernel] (Book C-2 S13.30, S13.31 and the like). A ctx that ends during
// the wait ends the kernel with its error.
func (s *transactionState) magstripeFailed(o *contactless.Outcome) stateFn {
	if err := s.k.magstripeFailed(s.ctx); err != nil {
		s.err = err
		return nil
	}
	return s.done(o)
}

// magstripeLinkFailed is the lost card of States 13 and 14 (Book C-2
// S13.1 to S13.5, S14.1 to S14.5): the failure wait, then the link's
// error.
func (s *transactionState) magstripeLinkFailed(err error) stateFn {
	_ = s.k.magstripeFailed(s.ctx) // a ctx that ended leaves the link's error to report
	return s.linkFailed(err)
}

// magstripeFailed waits 2^Failed MS Cntr × 300 ms and counts the failure
// (Book C-2 S13.30, S13.31: Failed MS Cntr := min(Failed MS Cntr + 1, 5)).
func (k *Kernel) magstripeFailed(ctx context.Context) error {
	k.mu.Lock()
	n := k.failedMS
	k.failedMS = min(n+1, maxFailedMS)
	k.mu.Unlock()
	return k.cfg.sleep(ctx, failedMSWait<<n)
}

// magstripeSucceeded sets Failed MS Cntr back to 0 (Book C-2 S13.17,
// S14.25.1).
func (k *Kernel) magstripeSucceeded() {
	k.mu.Lock()
	k.failedMS = 0
	k.mu.Unlock()
}

// The failure wait of mag-stripe mode (Book C-2 States 13 and 14).
const (
	failedMSWait = 300 * time.Millisecond
	maxFailedMS  = 5
)

// track2Digits reads Track 2 Data (9F6B, cn: PAN, separator D, expiry
// YYMM, service code, discretionary data, padded with F to whole bytes)
// and the track's bitmaps. Bit 1 of a bitmap is the last digit of the
// discretionary data, bit 2 the one before, and so on (Book C-2: "the
// position of a 1 bit counted from the right").
func track2Digits(data, pcvc3, punatc, natc []byte) (trackDigits, bool) {
	if len(data) == 0 || len(data) > 19 || len(pcvc3) != 2 || len(punatc) != 2 || len(natc) != 1 {
		return trackDigits{}, false
	}
	td := trackDigits{chars: make([]byte, 0, 2*len(data)), bitWidth: 16}
	for _, b := range data {
		td.chars = append(td.chars, b>>4, b&0x0F)
	}
	end := len(td.chars)
	if td.chars[end-1] == 0x0F {
		end--
	}
	sep := -1
	for i, d := range td.chars[:end] {
		switch {
		case d == 0x0D && sep < 0:
			sep = i
		case d > 9:
			return trackDigits{}, false
		}
	}
	if sep < 1 || sep+8 >= end { // at least one digit of discretionary data, for nUN
		return trackDigits{}, false
	}
	td.ddStart, td.ddEnd = sep+8, end
	td.pcvc3 = uint64(binary.BigEndian.Uint16(pcvc3))
	td.punatc = uint64(binary.BigEndian.Uint16(punatc))
	td.natc = int(natc[0])
	return td, td.fits()
}

// track1Digits reads Track 1 Data (56, ans: format code B, PAN, ^, name,
// ^, expiry YYMM, service code, discretionary data) and its 6-byte
// bitmaps, counted as for track 2.
func track1Digits(data, pcvc3, punatc, natc []byte) (trackDigits, bool) {
	if len(data) == 0 || len(data) > 76 || len(pcvc3) != 6 || len(punatc) != 6 || len(natc) != 1 {
		return trackDigits{}, false
	}
	td := trackDigits{chars: append([]byte(nil), data...), ascii: true, bitWidth: 48}
	first, second := -1, -1
	for i, ch := range td.chars {
		if ch == '^' {
			if first < 0 {
				first = i
			} else if second < 0 {
				second = i
			}
		}
	}
	if second < 0 || second+8 >= len(td.chars) {
		return trackDigits{}, false
	}
	td.ddStart, td.ddEnd = second+8, len(td.chars)
	var p, u [8]byte
	copy(p[2:], pcvc3)
	copy(u[2:], punatc)
	td.pcvc3 = binary.BigEndian.Uint64(p[:])
	td.punatc = binary.BigEndian.Uint64(u[:])
	td.natc = int(natc[0])
	return td, td.fits()
}

// fits: every 1 bit of the bitmaps names a character of the discretionary
// data, and NATC is not more than PUNATC's 1 bits.
func (td *trackDigits) fits() bool {
	dd := td.ddEnd - td.ddStart
	limit := uint64(1)<<dd - 1
	if dd >= 64 {
		limit = ^uint64(0)
	}
	return td.pcvc3&^limit == 0 && td.punatc&^limit == 0 && td.natc <= bits.OnesCount64(td.punatc)
}

// place puts the dynamic data into the track's discretionary data (Book
// C-2 S13.18 to S13.22, building the Track 2 and Track 1 Data), in this
// order:
//
//   - CVC3 as a decimal number: its q least significant digits, q the 1
//     bits of PCVC3, into the places of those bits, the least significant
//     digit at the lowest bit (a CVC3 of fewer digits is padded with
//     zeros on the left);
//   - the nUN least significant digits of the Unpredictable Number
//     (Numeric) into the places of the nUN lowest 1 bits of PUNATC;
//   - the NATC least significant digits of the ATC, as a decimal number,
//     into the places of the NATC highest 1 bits of PUNATC;
//   - the last digit of the discretionary data becomes nUN' (nUN, or
//     (nUN + 5) mod 10 after a successful on-device cardholder
//     verification, S13.14.8, S14.24).
//
// Track 1 takes the same digits as ASCII characters.
func (td *trackDigits) place(cvc3 uint16, un [4]byte, nUN int, atc uint16, last int) {
	put := func(bitmap uint64, skip, n int, digits uint64) {
		for bit := 0; bit < td.bitWidth && n > 0; bit++ {
			if bitmap&(1<<bit) == 0 {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			td.set(bit, byte(digits%10))
			digits /= 10
			n--
		}
	}
	put(td.pcvc3, 0, bits.OnesCount64(td.pcvc3), uint64(cvc3))
	var unDigits uint64
	for _, b := range un {
		unDigits = unDigits*100 + uint64(b>>4)*10 + uint64(b&0x0F)
	}
	put(td.punatc, 0, nUN, unDigits)
	put(td.punatc, nUN, td.natc, uint64(atc))
	td.set(0, byte(last))
}

// set writes digit d at the place of bit (0: the last character of the
// discretionary data).
func (td *trackDigits) set(bit int, d byte) {
	i := td.ddEnd - 1 - bit
	if td.ascii {
		d += '0'
	}
	td.chars[i] = d
}

// bytes is the track as its data object holds it.
func (td *trackDigits) bytes() []byte {
	if td.ascii {
		return append([]byte(nil), td.chars...)
	}
	out := make([]byte, len(td.chars)/2)
	for i := range out {
		out[i] = td.chars[2*i]<<4 | td.chars[2*i+1]
	}
	return out
}

// discretionary is the track's discretionary data as the DD Card data
// objects hold it: track 2 as digits padded with F to whole bytes (cn),
// track 1 as characters.
func (td *trackDigits) discretionary() []byte {
	dd := td.chars[td.ddStart:td.ddEnd]
	if td.ascii {
		return append([]byte(nil), dd...)
	}
	out := make([]byte, 0, (len(dd)+1)/2)
	for i := 0; i < len(dd); i += 2 {
		lo := byte(0x0F)
		if i+1 < len(dd) {
			lo = dd[i+1]
		}
		out = append(out, dd[i]<<4|lo)
	}
	return out
}

// magstripeCVM is the CVM of a mag-stripe transaction in State 13 (Book
// C-2 S13.24 to S13.26): above the Reader CVM Required Limit the
// Mag-stripe CVM Capability – CVM Required (DF811E), else the Mag-stripe
// CVM Capability – No CVM Required (DF812C), both in bits 8-5: 0 No CVM, 1
// Obtain Signature, 2 Online PIN, F N/A. Reading: another value is not a
// CVM this kernel knows, N/A.
func (s *transactionState) magstripeCVM() contactless.CVM {
	capab := s.cfg.MagstripeCVMCapabilityNoCVMRequired
	if s.cvmRequired() {
		capab = s.cfg.MagstripeCVMCapabilityCVMRequired
	}
	switch capab >> 4 {
	case 0x0:
		return contactless.CVMNoCVM
	case 0x1:
		return contactless.CVMObtainSignature
	case 0x2:
		return contactless.CVMOnlinePIN
	}
	return contactless.CVMNA
}

// magstripeOutcome is the outcome of mag-stripe mode (Book C-2 S13.25,
// S13.26, S14.32 to S14.34): Online Request with the CVM, a receipt for a signature
// (reading: above the CVM Required Limit too, a receipt only for a
// signature), "Authorising Please Wait" as in EMV mode, the mag-stripe
// Data Record and Discretionary Data.
//
// The Data Record holds, each only when there is one: Mag-stripe
// Application Version Number (Reader) 9F6D (the terminal's), Track 1 Data
// 56 and Track 2 Data 9F6B with CVC3, the Unpredictable Number (Numeric)
// and the ATC in place, the Application Label 50, Application Preferred
// Name 9F12, DF Name 84 and Issuer Code Table Index 9F11. The
// Discretionary Data adds to the EMV mode's the DD Card (Track1) DF812A
// and DD Card (Track2) DF812B, the two tracks' discretionary data as the
// card returned them (S7.23: without CVC3, UN, ATC and nUN).
func (s *transactionState) magstripeOutcome(cvm contactless.CVM) *contactless.Outcome {
	s.cvm = cvm
	p := contactless.NewParameterSet(contactless.StatusOnlineRequest)
	p.CVM = s.cvm
	p.Receipt = s.cvm == contactless.CVMObtainSignature
	p.UIRequestOnOutcome = s.ui(contactless.MsgAuthorisingPleaseWait, contactless.UINotReady, 0)
	p.DataRecordPresent = true
	ms := s.ms
	rec := make([]byte, 0, 192)
	if v, ok := s.terminal(tagMagstripeAVNRead); ok {
		rec = tlv.AppendTLV(rec, tagMagstripeAVNRead, v)
	}
	if ms.track1 {
		rec = tlv.AppendTLV(rec, tagTrack1Data, ms.t1.bytes())
	}
	rec = tlv.AppendTLV(rec, tagTrack2Data, ms.t2.bytes())
	for _, t := range [...]tlv.Tag{0x50, 0x9F12, 0x84, 0x9F11} {
		v, ok := tlv.Find(s.a.FCI, t)
		if !ok {
			v, ok = s.card.get(t)
		}
		if ok {
			rec = tlv.AppendTLV(rec, t, v)
		}
	}
	o := s.withDiscretionary(&contactless.Outcome{Parameters: p, DataRecord: rec})
	if ms.track1 {
		o.DiscretionaryData = tlv.AppendTLV(o.DiscretionaryData, tagDDCardTrack1, ms.dd1)
	}
	o.DiscretionaryData = tlv.AppendTLV(o.DiscretionaryData, tagDDCardTrack2, ms.dd2)
	return o
}
