package kernel2

import (
	"bytes"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Transaction types (9C) with rules of their own.
const (
	txPurchase = 0x00
	txCash     = 0x01
	txCashback = 0x09
	txRefund   = 0x20
)

// Terminal Capabilities bits (Book 4 Annex A2) that Kernel 2 reads.
const (
	caps2OnlinePIN = 0x40
	caps2Signature = 0x20
	caps2NoCVM     = 0x08
	caps3CDA       = 0x08
)

// statesFourFiveSixCommonProcessing is the procedure States 4, 5 and 6
// share when the last record has been read (Book C-2 S456), in
// the book's order:
//
//   - the Reader Contactless Transaction Limit: DF8125 when both card (AIP
//     byte 1 b2) and reader (Kernel Configuration b6) support on-device
//     cardholder verification, else DF8124; an amount above it is Select
//     Next at Start C, L2 MAX LIMIT EXCEEDED (S456.14, S456.15);
//   - the data EMV mode needs: Application Expiration Date (5F24), PAN
//     (5A) and CDOL1 (8C); one missing ends the application, L2 CARD DATA
//     MISSING (S456.16, S456.17), and a CDOL1 that cannot be used, L2 CARD
//     DATA ERROR;
//   - offline data authentication: CDA when the card (AIP byte 1 b1) and
//     the reader (Security Capability b4) support it, else "offline data
//     authentication not performed" in the TVR (S456.24 to S456.28, see
//     prepareCDA);
//   - Terminal Capabilities byte 2: the CVM Capability – CVM Required
//     (DF8118) when the amount is above the Reader CVM Required Limit, else
//     the CVM Capability – No CVM Required (DF8119) (S456.30 to S456.33);
//   - Processing Restrictions (§7.7), CVM Selection (§7.5), the floor limit
//     and Terminal Action Analysis (§7.8);
//   - a record of this card in the torn transaction log: RECOVER AC, then
//     State 10 (S456.45 to S456.48);
//   - otherwise, when the terminal asks for Balance Read Before Gen AC and
//     the card supports balance reading, GET DATA 9F50 and State 16
//     (balance.go);
//   - then Prepare Generate AC Command (§7.6) and GENERATE AC, then
//     State 9.
func statesFourFiveSixCommonProcessing(s *transactionState) stateFn {
	c := &s.card
	amount := s.amount()
	limit := s.cfg.ReaderLimitNoOnDeviceCVM
	if s.onDeviceCVM() {
		limit = s.cfg.ReaderLimitOnDeviceCVM
	}
	if limit != nil && amount > *limit {
		s.errInd.l2 = l2MaxLimitExceeded
		return s.done(s.selectNext())
	}
	for _, t := range [...]tlv.Tag{0x5F24, 0x5A, 0x8C} {
		if _, ok := c.get(t); !ok {
			s.errInd.l2 = l2CardDataMissing
			return s.done(s.endApplication())
		}
	}
	d, err := tlv.AppendDOL(s.cdolEnts[:0], c.value(0x8C))
	if err != nil || d.Len() > maxDOLData {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	s.cdol1 = d
	if s.startGetData() {
		return waitingForGetDataResponse
	}
	return s.afterDataExchange()
}

// afterDataExchange is the rest of the S456 procedure once the Tags To
// Read the records did not give are read (State 5): the DEK, then CDA,
// the risk steps and GENERATE AC.
func (s *transactionState) afterDataExchange() stateFn {
	s.dataExchange()
	if !s.prepareCDA() {
		s.errInd.l2 = l2CardDataError
		return s.done(s.endApplication())
	}
	if s.cvmRequired() {
		s.caps[1] = s.cfg.CVMCapabilityCVMRequired
	} else {
		s.caps[1] = s.cfg.CVMCapabilityNoCVMRequired
	}
	s.processingRestrictions()
	s.cvmSelection()
	s.terminalRiskManagement()
	s.terminalActionAnalysis()
	if r, ok := s.findTornRecord(); ok {
		return s.recoverAC(r)
	}
	// Reading: the balance before GENERATE AC is read for a new
	// transaction only; RECOVER AC answers for a transaction whose
	// GENERATE AC was already sent.
	if s.balanceWanted(tagBalanceBeforeGenAC) {
		s.readBalance()
		return waitingForPreGenACBalance
	}
	return s.writeBeforeGenAC()
}

// amount is Amount, Authorised (9F02) as the terminal has it.
func (s *transactionState) amount() uint64 {
	if s.a.Transaction != nil {
		return s.a.Transaction.Amount
	}
	v, _ := s.terminal(0x9F02)
	n, _ := bcdNumber(v)
	return n
}

func (s *transactionState) aip() []byte { return s.card.value(0x82) }

func (s *transactionState) onDeviceCVM() bool {
	return s.aip()[0]&aip1OnDeviceCVM != 0 && s.cfg.KernelConfiguration&KernelConfigOnDeviceCVM != 0
}

// cvmRequired: the amount is above the Reader CVM Required Limit; no limit
// means no CVM is required.
func (s *transactionState) cvmRequired() bool {
	l := s.cfg.ReaderCVMRequiredLimit
	return l != nil && s.amount() > *l
}

// prepareCDA decides the ODA Status and checks, before GENERATE AC, that
// CDA can be done (Book C-2 S456.24 to S456.28): the data objects of the
// key chain and the Static Data Authentication Tag List (8F, 90, 9F32,
// 9F46, 9F47, 9F4A) present, else "ICC data missing" and "CDA failed"; the
// CA public key of the RID and 8F known, else "CDA failed". A 9F4A that is
// not exactly the tag of the AIP (82) is a card data error: prepareCDA
// reports false and the application ends. Reading: a CDA the kernel knows
// has failed is not requested of the card (there is nothing left to
// verify); the TVR goes to Terminal Action Analysis, whose action codes
// decide.
func (s *transactionState) prepareCDA() bool {
	if s.aip()[0]&aip1CDA == 0 || s.caps[2]&caps3CDA == 0 {
		s.tvr.Set(tvr.OfflineDataAuthNotPerformed)
		return true
	}
	c := &s.card
	if l, ok := c.get(0x9F4A); ok && !bytes.Equal(l, []byte{0x82}) {
		return false
	}
	for _, t := range [...]tlv.Tag{0x8F, 0x90, 0x9F32, 0x9F46, 0x9F47, 0x9F4A} {
		if _, ok := c.get(t); !ok {
			s.tvr.Set(tvr.ICCDataMissing)
			s.tvr.Set(tvr.CDAFailed)
			return true
		}
	}
	idx := c.value(0x8F)
	aid := s.aid()
	if len(idx) != 1 || len(aid) < 5 || s.a.CAKeys == nil {
		s.tvr.Set(tvr.CDAFailed)
		return true
	}
	if _, ok := s.a.CAKeys.Key(aid[:5], idx[0]); !ok {
		s.tvr.Set(tvr.CDAFailed)
		return true
	}
	s.odaCDA = true
	return true
}

func (s *transactionState) aid() []byte {
	if v, ok := s.fci.dfName.get(); ok && len(v) >= 5 {
		return v
	}
	if s.a.Combination != nil {
		return s.a.Combination.AID
	}
	return nil
}

// processingRestrictions is Book C-2 §7.7: the Application Version Number
// of the card (9F08) against the reader's (9F09), the Application Usage
// Control (9F07) for the terminal and the transaction, the effective and
// expiration dates. Each failure sets its TVR bit; none stops the
// transaction (Terminal Action Analysis decides).
func (s *transactionState) processingRestrictions() {
	c := &s.card
	if cv, ok := c.get(0x9F08); ok {
		if tv, ok := s.terminal(0x9F09); ok && !bytes.Equal(cv, tv) {
			s.tvr.Set(tvr.DifferentApplicationVersions)
		}
	}
	if auc, ok := c.get(0x9F07); ok && len(auc) == 2 {
		if !s.usageAllowed(auc) {
			s.tvr.Set(tvr.ServiceNotAllowed)
		}
	}
	today := ymd(s.date)
	if eff, ok := bcdNumber(c.value(0x5F25)); ok && len(c.value(0x5F25)) == 3 && int(eff) > today {
		s.tvr.Set(tvr.ApplicationNotYetEffective)
	}
	if exp, ok := bcdNumber(c.value(0x5F24)); ok && len(c.value(0x5F24)) == 3 && int(exp) < today {
		s.tvr.Set(tvr.ExpiredApplication)
	}
}

// ymd is a date as the number YYMMDD, the way 5F24 and 5F25 read.
func ymd(t time.Time) int { return (t.Year()%100)*10000 + int(t.Month())*100 + t.Day() }

// usageAllowed applies the Application Usage Control (Book C-2 §7.7, as
// Book 3 §10.4.2): valid at ATMs (byte 1 b2) for an ATM, at other
// terminals (b1) otherwise; then, when the card has an Issuer Country Code
// (5F28), domestic (equal to 9F1A) or international cash (b8, b7), goods
// and services for a purchase (b6 or b4 domestic, b5 or b3
// international), cashback (byte 2 b8, b7). Reading: a purchase is
// allowed when the card allows goods or services, since a contactless
// reader does not tell them apart.
func (s *transactionState) usageAllowed(auc []byte) bool {
	tt, _ := s.terminal(0x9F35)
	add, _ := s.terminal(0x9F40)
	atm := len(tt) == 1 && (tt[0] == 0x14 || tt[0] == 0x15 || tt[0] == 0x16) && len(add) >= 1 && add[0]&0x80 != 0
	if atm && auc[0]&0x02 == 0 || !atm && auc[0]&0x01 == 0 {
		return false
	}
	ic, ok := s.card.get(0x5F28)
	if !ok {
		return true
	}
	tc, _ := s.terminal(0x9F1A)
	domestic := bytes.Equal(ic, tc)
	switch s.txType() {
	case txCash:
		return domestic && auc[0]&0x80 != 0 || !domestic && auc[0]&0x40 != 0
	case txPurchase:
		return domestic && auc[0]&0x28 != 0 || !domestic && auc[0]&0x14 != 0
	case txCashback:
		goods := domestic && auc[0]&0x28 != 0 || !domestic && auc[0]&0x14 != 0
		return goods && (domestic && auc[1]&0x80 != 0 || !domestic && auc[1]&0x40 != 0)
	}
	return true
}

func (s *transactionState) txType() byte {
	if s.a.Transaction != nil {
		return s.a.Transaction.Type
	}
	if v, ok := s.terminal(0x9C); ok && len(v) == 1 {
		return v[0]
	}
	return txPurchase
}

// CVM Results of the on-device CVM paths (Book C-2 §7.5): 01 00 02 for a
// confirmation code verified on the device, 3F 00 02 for no CVM.
var (
	cvmResultsOnDevice = [3]byte{0x01, 0x00, 0x02}
	cvmResultsNoCVM    = [3]byte{0x3F, 0x00, 0x02}
	cvmResultsNone     = [3]byte{0x3F, 0x00, 0x00}
	cvmResultsFailed   = [3]byte{0x3F, 0x00, 0x01}
)

// CVM Result byte 3 values (Book 4 Annex A4).
const (
	cvmUnknown    = 0x00
	cvmFailed     = 0x01
	cvmSuccessful = 0x02
)

// cvmSelection is Book C-2 §7.5, CVM Selection:
//
//   - card and reader support on-device cardholder verification: above the
//     Reader CVM Required Limit the CVM is Confirmation Code Verified (CVM
//     Results 01 00 02), else No CVM (3F 00 02);
//   - the card does not support cardholder verification (AIP byte 1 b5):
//     No CVM, CVM Results 3F 00 00;
//   - no CVM List or an empty one: No CVM, CVM Results 3F 00 00, "ICC data
//     missing";
//   - otherwise the CV Rules in order, as Book 3 §10.5 with the reader's
//     CVMs of Terminal Capabilities byte 2: online PIN (02) is Online PIN
//     ("online PIN entered", result unknown), signature (1E) Obtain
//     Signature (result unknown), no CVM (1F) No CVM (successful), Fail CVM
//     (00) fails; the offline PINs a contactless reader cannot take are
//     never supported. A rule whose condition is not satisfied or not
//     understood is skipped; an unknown CVM sets "unrecognised CVM"; Fail
//     CVM, a CVM not supported or an unrecognised one goes on to the next
//     rule when the rule says so (b7), else fails. A failure, or the end of
//     the list, sets "cardholder verification was not successful" with the
//     CVM No CVM (CVM Results the rule with 01 for Fail CVM, else 3F 00 01:
//     CVM.14, CVM.22 to CVM.25). Byte 1 of the CVM Results is the CV Rule's
//     first byte as the card wrote it, b7 included (Book 4 Annex A4: "the
//     CVM Code of the CVM List"), as the contact kernel writes it.
func (s *transactionState) cvmSelection() {
	if s.onDeviceCVM() {
		if s.cvmRequired() {
			s.cvm, s.cvmRes = contactless.CVMConfirmationCodeVerified, cvmResultsOnDevice
		} else {
			s.cvm, s.cvmRes = contactless.CVMNoCVM, cvmResultsNoCVM
		}
		return
	}
	if s.aip()[0]&aip1CVMSupported == 0 {
		s.cvm, s.cvmRes = contactless.CVMNoCVM, cvmResultsNone
		return
	}
	list, err := cvm.ParseList(s.card.value(0x8E))
	if err != nil || len(list.Rules) == 0 {
		s.tvr.Set(tvr.ICCDataMissing)
		s.cvm, s.cvmRes = contactless.CVMNoCVM, cvmResultsNone
		return
	}
	for _, r := range list.Rules {
		if !s.conditionSatisfied(r, list) {
			continue
		}
		code := r.Code()
		supported := false
		switch code {
		case cvm.EncipheredPINOnline:
			supported = s.caps[1]&caps2OnlinePIN != 0
		case cvm.Signature:
			supported = s.caps[1]&caps2Signature != 0
		case cvm.NoCVMRequired:
			supported = s.caps[1]&caps2NoCVM != 0
		case cvm.FailCVM:
		default:
			if !code.Known() {
				s.tvr.Set(tvr.UnrecognisedCVM)
			}
		}
		if supported {
			s.cvmRes = [3]byte{r.Method, byte(r.Condition), cvmUnknown}
			switch code {
			case cvm.EncipheredPINOnline:
				s.cvm = contactless.CVMOnlinePIN
				s.tvr.Set(tvr.OnlinePINEntered)
			case cvm.Signature:
				s.cvm = contactless.CVMObtainSignature
			default:
				s.cvm = contactless.CVMNoCVM
				s.cvmRes[2] = cvmSuccessful
			}
			return
		}
		if !r.ApplySucceeding() {
			s.cvmFailed(r)
			return
		}
	}
	s.tvr.Set(tvr.CardholderVerificationNotSuccessful)
	s.cvm, s.cvmRes = contactless.CVMNoCVM, cvmResultsFailed
}

// cvmFailed ends CVM Selection on a rule that failed (Book C-2 CVM.22 to
// CVM.25): "cardholder verification was not successful", No CVM, and CVM
// Results of the rule with result 01 when it is Fail CVM, 3F 00 01
// otherwise.
func (s *transactionState) cvmFailed(r cvm.Rule) {
	s.tvr.Set(tvr.CardholderVerificationNotSuccessful)
	s.cvm = contactless.CVMNoCVM
	s.cvmRes = cvmResultsFailed
	if r.Code() == cvm.FailCVM {
		s.cvmRes = [3]byte{r.Method, byte(r.Condition), cvmFailed}
	}
}

// conditionSatisfied evaluates a CV Rule's condition (Book 3 Annex C3).
// The amount conditions apply only when the transaction is in the
// application's currency (9F42 equal to 5F2A); "unattended cash" and
// "manual cash" never hold on a contactless reader that is not an ATM
// (reading: Kernel 2 readers in this package are attended or unattended
// POS, not bank counters).
func (s *transactionState) conditionSatisfied(r cvm.Rule, l cvm.List) bool {
	typ := s.txType()
	switch r.Condition {
	case cvm.Always:
		return true
	case cvm.IfNotCashOrCashback:
		return typ != txCash && typ != txCashback
	case cvm.IfTerminalSupportsCVM:
		switch r.Code() {
		case cvm.EncipheredPINOnline:
			return s.caps[1]&caps2OnlinePIN != 0
		case cvm.Signature:
			return s.caps[1]&caps2Signature != 0
		case cvm.NoCVMRequired:
			return s.caps[1]&caps2NoCVM != 0
		}
		return false
	case cvm.IfPurchaseWithCashback:
		return typ == txCashback
	case cvm.IfAppCurrencyAndUnderX, cvm.IfAppCurrencyAndOverX, cvm.IfAppCurrencyAndUnderY, cvm.IfAppCurrencyAndOverY:
		ac, ok := s.card.get(0x9F42)
		tc, _ := s.terminal(0x5F2A)
		if !ok || !bytes.Equal(ac, tc) {
			return false
		}
		a := s.amount()
		switch r.Condition {
		case cvm.IfAppCurrencyAndUnderX:
			return a < uint64(l.X)
		case cvm.IfAppCurrencyAndOverX:
			return a > uint64(l.X)
		case cvm.IfAppCurrencyAndUnderY:
			return a < uint64(l.Y)
		}
		return a > uint64(l.Y)
	}
	return false
}

// terminalRiskManagement is the floor limit check of Book C-2 S456.36 to S456.38: an
// amount above the Reader Contactless Floor Limit sets "transaction
// exceeds floor limit". The terminal exception file, when the terminal has
// one, sets "card appears on terminal exception file" (reading: Book C-2
// leaves the exception file to the terminal; this kernel checks it here
// so that the action codes see it).
func (s *transactionState) terminalRiskManagement() {
	if l := s.cfg.ReaderContactlessFloorLimit; l != nil && s.amount() > *l {
		s.tvr.Set(tvr.FloorLimitExceeded)
	}
	if f := s.a.ExceptionFile; f != nil && f(s.card.value(0x5A), s.card.value(0x5F34)) {
		s.tvr.Set(tvr.CardOnExceptionFile)
	}
}

// terminalActionAnalysis is Book C-2 §7.8: a refund is an AAC; the TVR
// against TAC-Denial and IAC-Denial (9F0E, zeros when absent) gives an
// AAC; an online-only reader (Terminal Type x1 or x4) asks for an ARQC; an
// offline-only one (x3, x6) compares with TAC-Default and IAC-Default
// (9F0D, FF..FF when absent): AAC on a match, else TC; a reader that can go
// online compares with TAC-Online and IAC-Online (9F0F, FF..FF when
// absent): ARQC on a match, else TC.
func (s *transactionState) terminalActionAnalysis() {
	iac := func(t tlv.Tag, absent byte) [5]byte {
		if v, ok := s.card.get(t); ok && len(v) == 5 {
			return [5]byte(v)
		}
		return [5]byte{absent, absent, absent, absent, absent}
	}
	match := func(tac, iac [5]byte) bool {
		for i := range s.tvr {
			if s.tvr[i]&(tac[i]|iac[i]) != 0 {
				return true
			}
		}
		return false
	}
	if s.txType() == txRefund {
		s.acType = apdu.RefAAC
		return
	}
	if match(s.cfg.TACDenial, iac(0x9F0E, 0x00)) {
		s.acType = apdu.RefAAC
		return
	}
	tt, _ := s.terminal(0x9F35)
	kind := byte(0x02)
	if len(tt) == 1 {
		kind = tt[0] & 0x0F
	}
	switch kind {
	case 0x01, 0x04:
		s.acType = apdu.RefARQC
	case 0x03, 0x06:
		s.acType = apdu.RefTC
		if match(s.cfg.TACDefault, iac(0x9F0D, 0xFF)) {
			s.acType = apdu.RefAAC
		}
	default:
		s.acType = apdu.RefTC
		if match(s.cfg.TACOnline, iac(0x9F0F, 0xFF)) {
			s.acType = apdu.RefARQC
		}
	}
}

// prepareGenerateACCommand is Book C-2 §7.6: the Reference Control
// Parameter is the AC type of Terminal Action Analysis with "CDA signature
// requested" when the ODA Status is CDA and the AC type is not AAC (the
// card signs no AAC, Book 2 §6.6.1); the data is the CDOL1 related data,
// built with the TVR and CVM Results as they stand now. Then State 9.
func (s *transactionState) prepareGenerateACCommand() stateFn {
	p1 := s.acType
	if s.odaCDA && s.acType != apdu.RefAAC {
		p1 |= apdu.RefCDA
		s.cdaReq = true
	}
	s.genACP1 = p1
	s.cdolData = s.cdol1.Build(s.cdolBuf[:0], s.dolValue)
	s.send(apdu.GenerateAC(p1, s.cdolData))
	return waitingForGenerateACResponse1
}

// staticData is the static data to be authenticated (Book 2 §5.4): the
// records the AFL flags, then the AIP when 9F4A names it.
func (s *transactionState) staticData() ([]byte, error) {
	n := 2
	for _, r := range s.odaRecs {
		n += len(r.Data)
	}
	buf := s.staticBuf[:0]
	if n > cap(buf) {
		buf = make([]byte, 0, n)
	}
	return oda.AppendStaticData(buf, oda.CDA, s.odaRecs, s.card.value(0x9F4A), s.aip())
}
