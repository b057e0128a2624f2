package emv

import (
	"errors"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tvr"
)

// odaState is what offline data authentication leaves for the later
// steps: the method chosen, whether it failed, and the ICC key for CDA and
// for offline PIN encipherment, or the ICC ECC key for XDA.
type odaState struct {
	method ODAMethod
	failed bool
	icc    *oda.ICCKey

	// XDA (Book 4 §6.3.2.2): the ICC ECC key, or why the key chain
	// failed; whether the failure was the CA ECC key's; whether the
	// failure processing of §6.3.2.2.4 sends a TC online without a second
	// GENERATE AC.
	xda         *oda.ECCICCKey
	xdaErr      error
	caMissing   bool
	xdaTCOnline bool
}

// Security capability bits of Terminal Capabilities byte 3 (Book 4 Annex
// A2) and the AIP bits of byte 1 (Book 3 Annex C1).
const (
	capSDA = 0x80
	capDDA = 0x40
	capCDA = 0x08
	capXDA = 0x04 // EMV 4.4
	aipXDA = 0x80 // EMV 4.4
	aipSDA = 0x40
	aipDDA = 0x20
	aipCDA = 0x01
	// refXDA is GENERATE AC P1 b5-b4 = 01, "XDA signature requested"
	// (Book 3 §6.5.5.2, Table 12); apdu.RefCDA is 10.
	refXDA = 0x08
)

// authenticateOfflineData chooses and performs offline data
// authentication (Book 3 §10.3): XDA if card and terminal both support it,
// else CDA, else DDA, else SDA; none sets "Offline data authentication was
// not performed". Failures set the method's TVR bit (and "ICC data missing"
// when the card lacks the data); the transaction goes on. For CDA and XDA
// the keys are recovered here and the signature checked at GENERATE AC.
func (s *transactionState) authenticateOfflineData() error {
	s.step = StepOfflineDataAuthentication
	caps := s.cfg.capabilities()[2]
	switch {
	case s.aip[0]&aipXDA != 0 && caps&capXDA != 0:
		s.oda.method = XDA
		s.setTVR(tvr.XDASelected)
	case s.aip[0]&aipCDA != 0 && caps&capCDA != 0:
		s.oda.method = CDA
	case s.aip[0]&aipDDA != 0 && caps&capDDA != 0:
		s.oda.method = DDA
	case s.aip[0]&aipSDA != 0 && caps&capSDA != 0:
		s.oda.method = SDA
		s.setTVR(tvr.SDASelected)
	default:
		s.setTVR(tvr.OfflineDataAuthNotPerformed)
		return nil
	}
	s.res.ODA = s.oda.method
	s.setTSI(tvr.OfflineDataAuthPerformed)
	if s.oda.method == XDA {
		s.recoverXDAKey()
		return nil
	}
	v := s.verifier()
	card := s.odaCardData()
	static, err := s.staticDataToAuthenticate()
	if err == nil {
		switch s.oda.method {
		case SDA:
			_, err = v.SDA(card, static)
		case DDA:
			err = s.performDDA(v, card, static)
			if err != nil && s.err != nil {
				return s.err // the card left during INTERNAL AUTHENTICATE
			}
		case CDA:
			// Book 2 §6.6: recover the ICC key before GENERATE AC; the
			// signature comes with the cryptogram. The keys live in the
			// recycled store, which each GENERATE AC's verification uses.
			s.cdaUsed = true
			s.oda.icc, err = v.CDAKey(&s.cda, card, static)
		}
	}
	if err != nil {
		s.odaFailed(err)
	}
	return nil
}

// staticDataToAuthenticate assembles the static data from the records the
// AFL marked, and the AIP when the SDA Tag List asks for it (Book 3 §10.3).
func (s *transactionState) staticDataToAuthenticate() ([]byte, error) {
	var m oda.Method
	switch s.oda.method {
	case SDA:
		m = oda.SDA
	case DDA:
		m = oda.DDA
	case CDA:
		m = oda.CDA
	case XDA:
		return oda.AppendICCD(nil, s.odaRecords, s.aip[:], s.terminalAID(), s.receivedPDOL())
	}
	// Sized once: the records whole (their values are shorter) and the
	// AIP. oda only hashes it, so the work space of the stores holds it
	// from one transaction to the next.
	n := len(s.aip)
	for _, r := range s.odaRecords {
		n += len(r.Data)
	}
	buf := s.static[:0]
	if cap(buf) < n {
		buf = make([]byte, 0, n)
	}
	static, err := oda.AppendStaticData(buf, m, s.odaRecords, s.cardData.val(0x9F4A), s.aip[:])
	if cap(static) > cap(s.static) {
		s.static = static[:0]
	}
	return static, err
}

// terminalAID is the Application Identifier (AID) - terminal (9F06) of
// the selected application: the AID of the terminal's list entry that
// matched (Book 1 §12.3.1), the card's AID when the list entry is unknown.
func (s *transactionState) terminalAID() []byte {
	if i := s.app.terminal; i >= 0 && i < len(s.cfg.Applications) {
		return s.cfg.Applications[i].AID
	}
	return s.res.AID
}

// receivedPDOL is the PDOL (9F38) as the card sent it, nil when the card
// sent none (Book 3 §10.3: then nothing is appended to the ICCD).
func (s *transactionState) receivedPDOL() []byte {
	p, ok := s.cardData.get(0x9F38)
	if !ok {
		return nil
	}
	if p == nil {
		p = []byte{}
	}
	return p
}

// recoverXDAKey runs the ECC key chain of XDA before the first GENERATE
// AC (Book 3 §10.3, Book 2 §12.2-§12.4). A missing CA ECC key sets "CA ECC
// key missing" now, before terminal action analysis (Book 4 §6.3.2.2.1);
// any other failure is kept and "ECC key recovery failed" is set only
// after the first GENERATE AC (§6.3.2.2.2), so that the first terminal
// action analysis does not depend on when the keys were recovered.
// "ICC data missing" is set at once for a data object the card did not
// give: presence is read, not recovered (our reading; the book lists that
// bit apart from the three XDA bits).
func (s *transactionState) recoverXDAKey() {
	iccd, err := s.staticDataToAuthenticate()
	if err == nil {
		s.oda.xda, err = s.verifier().XDAKey(s.odaCardData(), iccd)
	}
	if err == nil {
		return
	}
	s.oda.failed = true
	s.oda.xdaErr = err
	if errors.Is(err, oda.ErrMissingData) {
		s.setTVR(tvr.ICCDataMissing)
	}
	if oda.CAKeyMissing(err) {
		s.oda.caMissing = true
		s.setTVR(tvr.CAECCKeyMissing)
	}
	s.log.DebugContext(s.ctx, "emv: XDA key chain failed", "error", err.Error())
}

// checkXDAFirst performs XDA on the first GENERATE AC's answer and, when
// XDA failed, the processing of Book 4 §6.3.2.2.4. With an AAC nothing is
// signed (Book 2 §12.5.1): only a key recovery failure is recorded. It
// reports done when the failure processing decided the rest: decline with
// an ARQC (second GENERATE AC asking for an AAC), decline with a TC
// (errStop), or go online whatever the card answered.
func (s *transactionState) checkXDAFirst(r *acResponse) (done bool, err error) {
	switch {
	case s.oda.caMissing:
		// "CA ECC key missing" is already set; no recovery, no signature.
	case s.oda.xdaErr != nil:
		s.setTVR(tvr.ECCKeyRecoveryFailed)
	case r.cryptogramType() == cidAAC:
		return false, nil
	default:
		err := s.oda.xda.VerifyXDA(&oda.XDAInput{PDOLData: s.pdolData, CDOL1Data: r.commandDOL, Response: r.raw})
		if err == nil {
			return false, nil
		}
		// Book 4 §6.3.2.2.3: no SDAD, or it does not verify.
		s.oda.failed = true
		s.setTVR(tvr.XDAFailed)
		s.log.DebugContext(s.ctx, "emv: XDA signature failed", "error", err.Error())
	}
	if r.cryptogramType() == cidAAC {
		return false, nil // declined without a second GENERATE AC
	}
	// Book 4 §6.3.2.2.4: terminal action analysis with the denial codes.
	if s.denialCheck() {
		if r.cryptogramType() == cidARQC {
			s.decision = apdu.RefAAC
			s.skipOnline = true
			return true, nil
		}
		s.res.Outcome = Declined
		s.setARC("Z1")
		return true, errStop
	}
	// Otherwise online, with the updated TVR; a TC is sent online and no
	// second GENERATE AC follows.
	s.oda.xdaTCOnline = r.cryptogramType() == cidTC
	return true, nil
}

// verifyXDASecond verifies the XDA signature of the second GENERATE AC
// (Book 2 §12.5.3 with the CDOL2 data). Failed, the transaction is
// declined (Book 4 §6.3.2.2.3).
func (s *transactionState) verifyXDASecond(r *acResponse) bool {
	err := s.oda.xda.VerifyXDA(&oda.XDAInput{PDOLData: s.pdolData, CDOL1Data: s.first.commandDOL, CDOL2Data: r.commandDOL, Response: r.raw})
	if err != nil {
		s.oda.failed = true
		s.setTVR(tvr.XDAFailed)
		s.log.DebugContext(s.ctx, "emv: XDA signature failed", "error", err.Error())
		return false
	}
	return true
}

// odaFailed sets the TVR bits for a failed method: the method's bit, and
// "ICC data missing" when the card lacked a data object.
func (s *transactionState) odaFailed(err error) {
	s.oda.failed = true
	if errors.Is(err, oda.ErrMissingData) {
		s.setTVR(tvr.ICCDataMissing)
	}
	switch s.oda.method {
	case SDA:
		s.setTVR(tvr.SDAFailed)
	case DDA:
		s.setTVR(tvr.DDAFailed)
	case CDA:
		s.setTVR(tvr.CDAFailed)
	}
	s.log.DebugContext(s.ctx, "emv: offline data authentication failed", "method", s.oda.method.String(), "error", err.Error())
}

func (s *transactionState) verifier() *oda.Verifier {
	return &oda.Verifier{Keys: s.cfg.CAKeys, Date: dateOnly(s.txn.Time), Time: s.txn.Time}
}

// odaCardData returns the card's data objects for oda, in the state's
// own oda.CardData (filled again at each call).
func (s *transactionState) odaCardData() *oda.CardData {
	d := &s.cardData
	s.odaCard = oda.CardData{
		AID:               s.res.AID,
		CAKeyIndex:        d.val(0x8F),
		PAN:               d.val(0x5A),
		IssuerCertificate: d.val(0x90),
		IssuerRemainder:   d.val(0x92),
		IssuerExponent:    d.val(0x9F32),
		SSAD:              d.val(0x93),
		ICCCertificate:    d.val(0x9F46),
		ICCRemainder:      d.val(0x9F48),
		ICCExponent:       d.val(0x9F47),
		PINCertificate:    d.val(0x9F2D),
		PINExponent:       d.val(0x9F2E),
		PINRemainder:      d.val(0x9F2F),
	}
	return &s.odaCard
}

// performDDA recovers the ICC key and runs INTERNAL AUTHENTICATE with the
// DDOL data (Book 2 §6.5, Book 3 §10.3).
func (s *transactionState) performDDA(v *oda.Verifier, card *oda.CardData, static []byte) error {
	icc, err := v.ICCPublicKey(oda.DDA, card, static)
	if err != nil {
		return err
	}
	s.oda.icc = icc
	ddol, _, err := oda.SelectDDOL(s.cardData.val(0x9F49), s.params.defaultDDOL())
	if err != nil {
		return err
	}
	data := ddol.Build(nil, s.get)
	c := apdu.InternalAuthenticate(data)
	r, err := s.transmit(c)
	if err != nil {
		return err
	}
	if r.SW != apdu.SWOK {
		return &apdu.StatusError{Command: c, SW: r.SW}
	}
	dd, err := icc.VerifyDDA(r.Data, data)
	if err != nil {
		return err
	}
	s.cardData.set(0x9F4C, dd.ICCDynamicNumber)
	return nil
}

func (p *AppParams) defaultDDOL() []byte {
	if p.DefaultDDOL == nil {
		return []byte{0x9F, 0x37, 0x04}
	}
	return p.DefaultDDOL
}

// verifyCDA checks the signature of a GENERATE AC response (Book 2
// §6.6.2) and takes the cryptogram from it.
func (s *transactionState) verifyCDA(r *acResponse) error {
	if s.oda.icc == nil {
		return errors.New("emv: no ICC public key for CDA")
	}
	in := &oda.CDAInput{
		UnpredictableNumber: s.res.UnpredictableNumber[:],
		PDOLData:            s.pdolData,
		CDOL1Data:           s.first.commandDOL,
		Response:            r.raw,
	}
	if r != s.first {
		in.CDOL2Data = r.commandDOL
	}
	dd, err := s.cda.VerifyCDA(in)
	if err != nil {
		return err
	}
	// The DynamicData lives in the store, which the second GENERATE AC's
	// verification overwrites and release clears: what is kept is copied
	// into the arena, with the Result.
	ac := s.clone(dd.Cryptogram)
	r.ac = ac
	s.res.AC = ac
	s.cardData.set(0x9F26, ac)
	s.cardData.set(0x9F4C, s.clone(dd.ICCDynamicNumber))
	return nil
}
