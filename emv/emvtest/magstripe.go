package emvtest

import (
	"errors"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// InsComputeCryptographicChecksum is the instruction byte of COMPUTE
// CRYPTOGRAPHIC CHECKSUM (Book C-2 mag-stripe mode: CLA 80, INS 2A, P1 P2
// 8E 80, the UDOL related data).
const InsComputeCryptographicChecksum byte = 0x2A

// MagStripe makes a Mastercard contactless application answer in
// mag-stripe mode (Book C-2): its SFI 1 record 1 holds these data objects
// instead of the EMV track 2 image, the AFL lists that record first and not
// for offline data authentication (08010100), and COMPUTE CRYPTOGRAPHIC
// CHECKSUM answers with CVC3 and the ATC.
//
// CVC3 is computed from the card's key as M/Chip's mag-stripe profile
// shapes it (this card's choice; Book C-2 leaves the card's cryptography
// to the issuer): the key KDcvc3 is the ICC master key for AC of the
// profile (MasterKeys.AC derived by Option A, Book 2 A1.4.1); IVCVC3 of a
// track is the 2 rightmost bytes of the retail MAC (ISO/IEC 9797-1
// algorithm 3, padding method 2) of the track's data object value (9F6B
// or 56) under KDcvc3; CVC3 of the track is the 2 rightmost bytes of
// triple DES (ECB) under KDcvc3 of IVCVC3 || Unpredictable Number
// (Numeric) 9F6A (4 bytes, zeros when the UDOL has none) || ATC (2 bytes).
type MagStripe struct {
	// Track2 is Track 2 Data (9F6B), at most 19 bytes; Track1, Track 1
	// Data (56) in ASCII, "" for none.
	Track2 Hex    `json:"track2"`
	Track1 string `json:"track1,omitempty"`
	// PCVC3Track2 (9F65) and PUNATCTrack2 (9F66) are 2 bytes, NATCTrack2
	// (9F67) a count; the Track 1 ones (9F62, 9F63: 6 bytes; 9F64) are
	// personalised with Track1.
	PCVC3Track2  Hex `json:"pcvc3_track2"`
	PUNATCTrack2 Hex `json:"punatc_track2"`
	NATCTrack2   int `json:"natc_track2"`
	PCVC3Track1  Hex `json:"pcvc3_track1,omitempty"`
	PUNATCTrack1 Hex `json:"punatc_track1,omitempty"`
	NATCTrack1   int `json:"natc_track1,omitempty"`
	// UDOL is the card's UDOL (9F69); nil: none, the reader uses its
	// Default UDOL (9F6A04).
	UDOL Hex `json:"udol,omitempty"`
	// Phone makes the application a phone's: every COMPUTE CRYPTOGRAPHIC
	// CHECKSUM response carries the POS Cardholder Interaction
	// Information (DF4B, Book C-2). When the UDOL related data's Mobile
	// Support Indicator (9F7E) has "OD-CVM required" (02), the first
	// Application.PhoneConfirmation such commands of successive taps are
	// answered without CVC3 and with DF4B [PCIIODCVMRequired] (the
	// reader says "See Phone" and asks for a second tap); after them the
	// phone has verified its holder: CVC3 with DF4B [PCIIODCVMVerified].
	// Without "OD-CVM required": CVC3 with DF4B 000000.
	Phone bool `json:"phone,omitempty"`
}

// PCIIODCVMVerified is the POS Cardholder Interaction Information of a
// phone that verified its holder: version 00, byte 2 b5 "OD-CVM
// verification successful" (Book C-2 Annex A), byte 3 00.
var PCIIODCVMVerified = []byte{0x00, 0x10, 0x00}

func (m *MagStripe) validate() error {
	if m == nil {
		return nil
	}
	switch {
	case len(m.Track2) == 0 || len(m.Track2) > 19:
		return errors.New("track2 of 1 to 19 bytes")
	case len(m.PCVC3Track2) != 2 || len(m.PUNATCTrack2) != 2 || m.NATCTrack2 < 0 || m.NATCTrack2 > 255:
		return errors.New("pcvc3_track2 and punatc_track2 of 2 bytes, natc_track2 0 to 255")
	case m.Track1 != "" && (len(m.Track1) > 76 || len(m.PCVC3Track1) != 6 || len(m.PUNATCTrack1) != 6 || m.NATCTrack1 < 0 || m.NATCTrack1 > 255):
		return errors.New("track1 of at most 76 characters with pcvc3_track1 and punatc_track1 of 6 bytes, natc_track1 0 to 255")
	}
	if _, err := tlv.ParseDOL(m.UDOL); err != nil {
		return err
	}
	return nil
}

// record is the content of the mag-stripe record (SFI 1 record 1).
func (m *MagStripe) record() []byte {
	var r []byte
	r = tlv.AppendTLV(r, 0x9F6B, m.Track2)
	r = tlv.AppendTLV(r, 0x9F65, m.PCVC3Track2)
	r = tlv.AppendTLV(r, 0x9F66, m.PUNATCTrack2)
	r = tlv.AppendTLV(r, 0x9F67, []byte{byte(m.NATCTrack2)})
	if m.Track1 != "" {
		r = tlv.AppendTLV(r, 0x56, []byte(m.Track1))
		r = tlv.AppendTLV(r, 0x9F62, m.PCVC3Track1)
		r = tlv.AppendTLV(r, 0x9F63, m.PUNATCTrack1)
		r = tlv.AppendTLV(r, 0x9F64, []byte{byte(m.NATCTrack1)})
	}
	if len(m.UDOL) > 0 {
		r = tlv.AppendTLV(r, 0x9F69, m.UDOL)
	}
	return r
}

// CVC3 computes a track's CVC3 as [MagStripe] describes: key is KDcvc3,
// track the track's data object value, un the Unpredictable Number
// (Numeric) and atc the Application Transaction Counter.
func CVC3(key, track []byte, un [4]byte, atc uint16) ([2]byte, error) {
	iv, err := ivCVC3(key, track)
	if err != nil {
		return [2]byte{}, err
	}
	return cvc3With(key, iv, un, atc)
}

// ivCVC3 is IVCVC3 of a track: the 2 rightmost bytes of its retail MAC
// under KDcvc3 (see [MagStripe]).
func ivCVC3(key, track []byte) ([2]byte, error) {
	m, err := mac(key, track)
	if err != nil {
		return [2]byte{}, err
	}
	return [2]byte(m[len(m)-2:]), nil
}

// cvc3With is CVC3 from the track's IVCVC3, so that a caller trying many
// ATCs (the issuer) computes the MAC once.
func cvc3With(key []byte, iv [2]byte, un [4]byte, atc uint16) ([2]byte, error) {
	in := make([]byte, 0, 8)
	in = append(in, iv[:]...)
	in = append(in, un[:]...)
	in = append(in, byte(atc>>8), byte(atc))
	out, err := tdesEncrypt(key, in)
	if err != nil {
		return [2]byte{}, err
	}
	return [2]byte(out[6:8]), nil
}

// computeCryptographicChecksum answers COMPUTE CRYPTOGRAPHIC CHECKSUM
// (Book C-2 mag-stripe mode): after GET PROCESSING OPTIONS, P1 P2 8E 80 and
// the UDOL related data of the UDOL's length, a format 2 response 77 with
// CVC3 (Track2) 9F61, CVC3 (Track1) 9F60 when the card has Track 1 Data,
// and the ATC 9F36 (and a phone's DF4B, see MagStripe.Phone). An
// application without mag-stripe mode answers 6D00.
func (c *Card) computeCryptographicChecksum(a *appState, cmd apdu.Command) apdu.Response {
	m := a.perso.cfg.MagStripe
	switch {
	case m == nil:
		return swOnly(apdu.SWINSNotSupported)
	case cmd.P1 != 0x8E || cmd.P2 != 0x80:
		return swOnly(apdu.SWIncorrectP1P2)
	case !a.tx.gpo:
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	udol := m.UDOL
	if len(udol) == 0 {
		udol = []byte{0x9F, 0x6A, 0x04}
	}
	d, err := tlv.ParseDOL(udol)
	if err != nil || len(cmd.Data) != d.Len() {
		return swOnly(apdu.SWWrongLength)
	}
	var un [4]byte
	if v, ok := d.Value(cmd.Data, 0x9F6A); ok && len(v) == 4 {
		un = [4]byte(v)
	}
	var pcii []byte
	if m.Phone {
		pcii = []byte{0x00, 0x00, 0x00}
		if v, found := d.Value(cmd.Data, 0x9F7E); found && len(v) == 1 && v[0]&0x02 != 0 {
			pcii = PCIIODCVMVerified
			if a.phoneAsked < a.perso.cfg.PhoneConfirmation {
				a.phoneAsked++
				body := tlv.AppendTLV(nil, 0x9F36, []byte{byte(a.atc >> 8), byte(a.atc)})
				body = tlv.AppendTLV(body, tagPCII, PCIIODCVMRequired)
				return ok(tlv.AppendTLV(nil, 0x77, body))
			}
		}
	}
	cvc2, err := CVC3(a.perso.mkAC, m.Track2, un, a.atc)
	if err != nil {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	var body []byte
	if m.Track1 != "" {
		cvc1, err := CVC3(a.perso.mkAC, []byte(m.Track1), un, a.atc)
		if err != nil {
			return swOnly(apdu.SWConditionsNotSatisfied)
		}
		body = tlv.AppendTLV(body, 0x9F60, cvc1[:])
	}
	body = tlv.AppendTLV(body, 0x9F61, cvc2[:])
	body = tlv.AppendTLV(body, 0x9F36, []byte{byte(a.atc >> 8), byte(a.atc)})
	if pcii != nil {
		body = tlv.AppendTLV(body, tagPCII, pcii)
	}
	return ok(tlv.AppendTLV(nil, 0x77, body))
}

// MastercardMagStripe is a contactless Mastercard in mag-stripe mode only
// (AIP 0000: no EMV mode): Track 2 Data 5413330089010087D3012201000000000000
// (12 digits of discretionary data) with PCVC3 (Track2) 0070, PUNATC
// (Track2) 0F8E and NATC (Track2) 03 (nUN 5), Track 1 Data with PCVC3
// (Track1) 000000000E00, PUNATC (Track1) 0000000001FE and NATC (Track1) 03,
// UDOL 9F6A04 9F0206 5F2A02.
func MastercardMagStripe() *Profile {
	a := mastercardApp()
	a.Label = "MASTERCARD"
	a.AIP = mustHex("0000")
	a.RelayResistance = nil
	a.MagStripe = &MagStripe{
		Track2:       mustHex("5413330089010087D3012201000000000000"),
		PCVC3Track2:  mustHex("0070"),
		PUNATCTrack2: mustHex("0F8E"),
		NATCTrack2:   3,
		Track1:       "B5413330089010087^MAGSTRIPE/TEST^3012201000000000000000000",
		PCVC3Track1:  mustHex("000000000E00"),
		PUNATCTrack1: mustHex("0000000001FE"),
		NATCTrack1:   3,
		UDOL:         mustHex("9F6A049F02065F2A02"),
	}
	return mastercardProfile("mastercard-magstripe", "contactless Mastercard in mag-stripe mode (Kernel 2, AIP 0000): Track 1 and Track 2 Data, COMPUTE CRYPTOGRAPHIC CHECKSUM with CVC3 from the card's key", "5413330089010087", a)
}

// MastercardMagStripePhone is a phone with a Mastercard in mag-stripe mode:
// as [MastercardMagStripe], with on-device cardholder verification (AIP
// 0200), the Mobile Support Indicator in its UDOL (9F6A04 9F7E01 9F0206
// 5F2A02) and the POS Cardholder Interaction Information in its answers
// (MagStripe.Phone: its holder verified whenever the reader asks).
func MastercardMagStripePhone() *Profile {
	p := MastercardMagStripe()
	p.Name = "mastercard-magstripe-phone"
	p.Description = "phone with a Mastercard in mag-stripe mode (Kernel 2, AIP 0200): on-device cardholder verification, the Mobile Support Indicator in the UDOL"
	p.PAN = "5413330089010095"
	a := &p.Applications[0]
	a.Label = "MASTERCARD PHONE"
	a.AIP = mustHex("0200")
	a.MagStripe.Track2 = mustHex("5413330089010095D3012201000000000000")
	a.MagStripe.Track1 = "B5413330089010095^MAGSTRIPE/PHONE^3012201000000000000000000"
	a.MagStripe.UDOL = mustHex("9F6A049F7E019F02065F2A02")
	a.MagStripe.Phone = true
	return p
}

// MastercardMagStripePhoneConfirm is [MastercardMagStripePhone] asked
// for its holder's verification once: the first COMPUTE CRYPTOGRAPHIC
// CHECKSUM with "OD-CVM required" is answered without CVC3 and with DF4B
// [PCIIODCVMRequired] (the reader says "See Phone"), the second tap's with
// CVC3 and DF4B [PCIIODCVMVerified].
func MastercardMagStripePhoneConfirm() *Profile {
	p := MastercardMagStripePhone()
	p.Name = "mastercard-magstripe-phone-confirm"
	p.Description = "phone with a Mastercard in mag-stripe mode (Kernel 2, AIP 0200): the first tap above the CVM Required Limit asks for verification on the phone (no CVC3, DF4B 000100), the second has CVC3 and DF4B 001000"
	p.Applications[0].PhoneConfirmation = 1
	return p
}

func init() {
	builtin["mastercard-magstripe"] = MastercardMagStripe
	builtin["mastercard-magstripe-phone"] = MastercardMagStripePhone
	builtin["mastercard-magstripe-phone-confirm"] = MastercardMagStripePhoneConfirm
}
