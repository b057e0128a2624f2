package emv

import (
	"errors"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tvr"
)

// odaState is what offline data authentication leaves for the later
// steps: the method chosen, whether it failed, and the ICC key for CDA and
// for offline PIN encipherment.
type odaState struct {
	method ODAMethod
	failed bool
	icc    *oda.ICCKey
}

// Security capability bits of Terminal Capabilities byte 3 (Book 4 Annex
// A2) and the AIP bits of byte 1 (Book 3 Annex C1).
const (
	capSDA = 0x80
	capDDA = 0x40
	capCDA = 0x08
	aipSDA = 0x40
	aipDDA = 0x20
	aipCDA = 0x01
)

// authenticateOfflineData chooses and performs offline data
// authentication (Book 3 §10.3): CDA if card and terminal both support it,
// else DDA, else SDA; none sets "Offline data authentication was not
// performed". Failures set the method's TVR bit (and "ICC data missing"
// when the card lacks the data); the transaction goes on. For CDA the keys
// are recovered here and the signature checked at GENERATE AC.
func (s *transactionState) authenticateOfflineData() error {
	s.step = StepOfflineDataAuthentication
	caps := s.cfg.capabilities()[2]
	switch {
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
			// signature comes with the cryptogram.
			s.oda.icc, err = v.ICCPublicKey(oda.CDA, card, static)
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
	}
	return oda.AppendStaticData(nil, m, s.odaRecords, s.cardData[0x9F4A], s.aip[:])
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
	return &oda.Verifier{Keys: s.cfg.CAKeys, Date: dateOnly(s.txn.Time)}
}

func (s *transactionState) odaCardData() *oda.CardData {
	d := s.cardData
	return &oda.CardData{
		AID:               s.res.AID,
		CAKeyIndex:        d[0x8F],
		PAN:               d[0x5A],
		IssuerCertificate: d[0x90],
		IssuerRemainder:   d[0x92],
		IssuerExponent:    d[0x9F32],
		SSAD:              d[0x93],
		ICCCertificate:    d[0x9F46],
		ICCRemainder:      d[0x9F48],
		ICCExponent:       d[0x9F47],
		PINCertificate:    d[0x9F2D],
		PINExponent:       d[0x9F2E],
		PINRemainder:      d[0x9F2F],
	}
}

// performDDA recovers the ICC key and runs INTERNAL AUTHENTICATE with the
// DDOL data (Book 2 §6.5, Book 3 §10.3).
func (s *transactionState) performDDA(v *oda.Verifier, card *oda.CardData, static []byte) error {
	icc, err := v.ICCPublicKey(oda.DDA, card, static)
	if err != nil {
		return err
	}
	s.oda.icc = icc
	ddol, _, err := oda.SelectDDOL(s.cardData[0x9F49], s.params.defaultDDOL())
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
	s.cardData[0x9F4C] = dd.ICCDynamicNumber
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
	dd, err := s.oda.icc.VerifyCDA(in)
	if err != nil {
		return err
	}
	r.ac = dd.Cryptogram
	s.res.AC = dd.Cryptogram
	s.cardData[0x9F26] = dd.Cryptogram
	s.cardData[0x9F4C] = dd.ICCDynamicNumber
	return nil
}
