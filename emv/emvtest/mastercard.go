package emvtest

import (
	"errors"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// InsExchangeRelayResistanceData is the instruction byte of EXCHANGE
// RELAY RESISTANCE DATA (Book C-2: CLA 80, INS EA, P1 P2 00 00, the
// Terminal Relay Resistance Entropy as data).
const InsExchangeRelayResistanceData byte = 0xEA

// RelayResistance is a Mastercard contactless application's side of the
// relay resistance protocol of Book C-2: the times it announces in its
// EXCHANGE RELAY RESISTANCE DATA response (in units of 100 µs, as the
// book counts them) and how long the reader waits for that response.
type RelayResistance struct {
	// MinTime is the Min Time For Processing Relay Resistance APDU
	// (DF8303); MaxTime the Max Time (DF8304); EstimatedTransmission the
	// Device Estimated Transmission Time For Relay Resistance R-APDU
	// (DF8305).
	MinTime               uint16 `json:"min_time"`
	MaxTime               uint16 `json:"max_time"`
	EstimatedTransmission uint16 `json:"estimated_transmission"`
	// AnswerMicros is the time, in microseconds, between the reader
	// sending the command and receiving the answer: the card waits it
	// through the sleep function of [Card.SetSleep], so a test's clock sees
	// exactly this time (a virtual delay). Zero answers at once.
	AnswerMicros int `json:"answer_us,omitempty"`
}

func (r *RelayResistance) validate() error {
	if r == nil {
		return nil
	}
	if r.AnswerMicros < 0 || r.AnswerMicros > 10_000_000 {
		return errors.New("answer_us 0 to 10000000")
	}
	return nil
}

// exchangeRelayResistanceData answers EXCHANGE RELAY RESISTANCE DATA
// (Book C-2): after GET PROCESSING OPTIONS, with 4 bytes of Terminal Relay
// Resistance Entropy, a format 1 response 80 holding the Device Relay
// Resistance Entropy (4 random bytes), the Min and Max Time For Processing
// Relay Resistance APDU and the Device Estimated Transmission Time (2
// bytes each). The data is kept for the CDA signature of the GENERATE AC
// that follows. A card without relay resistance answers 6D00.
func (c *Card) exchangeRelayResistanceData(a *appState, cmd apdu.Command) apdu.Response {
	rr := a.perso.cfg.RelayResistance
	switch {
	case rr == nil:
		return swOnly(apdu.SWINSNotSupported)
	case cmd.P1 != 0 || cmd.P2 != 0:
		return swOnly(apdu.SWIncorrectP1P2)
	case !a.tx.gpo || a.tx.acs != 0:
		return swOnly(apdu.SWConditionsNotSatisfied)
	case len(cmd.Data) != 4:
		return swOnly(apdu.SWWrongLength)
	}
	entropy, good := c.random(4)
	if !good {
		return swOnly(apdu.SWNoPreciseDiagnosis)
	}
	v := make([]byte, 0, 10)
	v = append(v, entropy...)
	v = append(v, byte(rr.MinTime>>8), byte(rr.MinTime), byte(rr.MaxTime>>8), byte(rr.MaxTime),
		byte(rr.EstimatedTransmission>>8), byte(rr.EstimatedTransmission))
	a.tx.rrp = append(append(make([]byte, 0, 14), cmd.Data...), v...)
	c.answerTime = time.Duration(rr.AnswerMicros) * time.Microsecond
	return ok(tlv.AppendTLV(nil, 0x80, v))
}

// InsRecoverAC is the instruction byte of RECOVER AC (Book C-2: CLA 80,
// INS D0, P1 P2 00 00, the DRDOL related data).
const InsRecoverAC byte = 0xD0

// keepForRecovery keeps, for an application with a DRDOL, the DRDOL
// related values of a first GENERATE AC the card answered and its
// response: the card has completed that transaction whether or not the
// reader got the answer.
func (a *appState) keepForRecovery(cmd apdu.Command, r apdu.Response) {
	drdol := a.perso.cfg.DRDOL
	if len(drdol) == 0 || r.SW != apdu.SWOK || a.tx.acs != 1 {
		return
	}
	d, err := tlv.ParseDOL(drdol)
	if err != nil {
		return
	}
	vals := a.tx.cdol1Vals
	var want []byte
	for _, e := range d {
		v := vals[e.Tag]
		if len(v) != e.Len {
			v = make([]byte, e.Len)
		}
		want = append(want, v...)
	}
	a.lastGenACDRDOL = want
	a.lastGenACResp = append(append([]byte(nil), r.Data...), 0x90, 0x00)
}

// recoverAC answers RECOVER AC (Book C-2, torn transaction recovery):
// with the DRDOL related data of the last first GENERATE AC (its values
// taken from that command's CDOL1 data), that GENERATE AC's response,
// once; with other data 6A88 (referenced data not found). A card without
// a DRDOL does not know the command (6D00).
func (c *Card) recoverAC(a *appState, cmd apdu.Command) apdu.Response {
	switch {
	case len(a.perso.cfg.DRDOL) == 0:
		return swOnly(apdu.SWINSNotSupported)
	case cmd.P1 != 0 || cmd.P2 != 0:
		return swOnly(apdu.SWIncorrectP1P2)
	case a.lastGenACResp == nil || string(cmd.Data) != string(a.lastGenACDRDOL):
		return swOnly(0x6A88)
	}
	resp := a.lastGenACResp
	a.lastGenACResp, a.lastGenACDRDOL = nil, nil
	return apdu.Response{Data: resp[:len(resp)-2], SW: apdu.SWOK}
}

// PDOLMastercard is the PDOL of the Mastercard contactless profiles:
// amount, terminal country, currency, date, type and unpredictable number.
const PDOLMastercard = "9F02069F1A025F2A029A039C019F3704"

// mastercardApp is the base of the Mastercard contactless applications
// (Book C-2 EMV mode): AID A0000000041010 with Kernel Identifier 02 in the
// PPSE, AIP 1981 (cardholder verification, terminal risk management, CDA;
// EMV mode, relay resistance), a format 2 GET PROCESSING OPTIONS response,
// the CVM list online PIN / signature / no CVM, IACs that send to the
// issuer what Mastercard sends (ODA, expiry, CVM, floor limit and relay
// resistance failures), and relay resistance times of 1.6 ms to 4.8 ms
// with a 2.4 ms estimated transmission, answered in 6.2 ms.
func mastercardApp() Application {
	return Application{
		AID:                mustHex("A0000000041010"),
		Label:              "MASTERCARD",
		PreferredName:      "Mastercard",
		Priority:           1,
		LanguagePreference: "en",
		KernelIdentifier:   mustHex("02"),
		PDOL:               mustHex(PDOLMastercard),
		AIP:                mustHex("1981"),
		GPOFormat:          2,
		CDOL1:              mustHex(CDOL1Default),
		CDOL2:              mustHex(CDOL2Default),
		CVMList:            mustHex(CVMOnlinePIN),
		IACDefault:         mustHex("F45084800C"),
		IACDenial:          mustHex("0000000000"),
		IACOnline:          mustHex("F45084800C"),
		AUC:                mustHex("FF00"),
		Version:            mustHex("0002"),
		EffectiveDate:      "200101",
		ExpiryDate:         "301231",
		IssuerCountry:      mustHex("0840"),
		Currency:           mustHex("0840"),
		SDATagList:         mustHex("82"),
		ATC:                0x0040,
		LastOnlineATC:      0x003F,
		Risk:               CardRisk{Decision: DecideOffline},
		RelayResistance:    &RelayResistance{MinTime: 0x0010, MaxTime: 0x0030, EstimatedTransmission: 0x0018, AnswerMicros: 6200},
	}
}

func mastercardProfile(name, description, pan string, a Application) *Profile {
	return &Profile{
		Name:         name,
		Description:  description,
		PAN:          pan,
		PSN:          "01",
		Directory:    DirectoryPPSE,
		Contactless:  &Contactless{},
		Applications: []Application{a},
	}
}

// MastercardOffline is a contactless Mastercard in EMV mode that approves
// offline (TC) with CDA and relay resistance.
func MastercardOffline() *Profile {
	return mastercardProfile("mastercard-offline", "contactless Mastercard (Kernel 2, EMV mode): TC with CDA, relay resistance", "5413330089010012", mastercardApp())
}

// MastercardOnline is a contactless Mastercard that always asks to go
// online (ARQC, signed with CDA).
func MastercardOnline() *Profile {
	a := mastercardApp()
	a.Risk.Decision = DecideOnline
	return mastercardProfile("mastercard-online", "contactless Mastercard (Kernel 2, EMV mode): always an ARQC with CDA", "5413330089010020", a)
}

// MastercardDecline is a contactless Mastercard that declines (AAC).
func MastercardDecline() *Profile {
	a := mastercardApp()
	a.Risk.Decision = DecideDecline
	return mastercardProfile("mastercard-decline", "contactless Mastercard (Kernel 2, EMV mode): the card declines (AAC)", "5413330089010038", a)
}

// MastercardNoRRP is a contactless Mastercard without relay resistance
// (AIP 1980): it does not support EXCHANGE RELAY RESISTANCE DATA.
func MastercardNoRRP() *Profile {
	a := mastercardApp()
	a.AIP = mustHex("1980")
	a.RelayResistance = nil
	return mastercardProfile("mastercard-no-rrp", "contactless Mastercard (Kernel 2, EMV mode): no relay resistance protocol (AIP 1980)", "5413330089010046", a)
}

// MastercardSlowRRP is a contactless Mastercard that answers EXCHANGE
// RELAY RESISTANCE DATA in 20 ms, far beyond its announced 4.8 ms: a
// relayed card, as the reader measures it.
func MastercardSlowRRP() *Profile {
	a := mastercardApp()
	a.RelayResistance.AnswerMicros = 20000
	return mastercardProfile("mastercard-slow-rrp", "contactless Mastercard (Kernel 2): answers relay resistance in 20 ms, beyond its 4.8 ms maximum", "5413330089010053", a)
}

// MastercardTorn is a contactless Mastercard that can recover a torn
// transaction: DRDOL 9F3704 (the Unpredictable Number of the torn
// GENERATE AC) and RECOVER AC.
func MastercardTorn() *Profile {
	a := mastercardApp()
	a.DRDOL = mustHex("9F3704")
	return mastercardProfile("mastercard-torn", "contactless Mastercard (Kernel 2): recovers a torn transaction (DRDOL 9F3704, RECOVER AC)", "5413330089010079", a)
}

// MastercardPhone is a phone with a Mastercard: on-device cardholder
// verification (AIP byte 1 bit 2), CDA, relay resistance.
func MastercardPhone() *Profile {
	a := mastercardApp()
	a.Label = "MASTERCARD PHONE"
	a.AIP = mustHex("1B81")
	return mastercardProfile("mastercard-phone", "phone with a Mastercard (Kernel 2, EMV mode): on-device cardholder verification, CDA, relay resistance", "5413330089010061", a)
}

// tagPCII is the POS Cardholder Interaction Information (DF4B, Book C-2
// Annex A): 3 bytes a phone returns in its GENERATE AC response.
const tagPCII tlv.Tag = 0xDF4B

// PCIIODCVMRequired is the POS Cardholder Interaction Information of a
// phone that wants the cardholder to verify (or confirm) on the phone
// before it pays: version 00, byte 2 b1 "OD-CVM required" (the bit name is
// this package's reading, unchecked against Book C-2 Annex A), byte 3 00.
var PCIIODCVMRequired = []byte{0x00, 0x01, 0x00}

// MastercardPhoneConfirm is a phone with a Mastercard ([MastercardPhone])
// that asks for confirmation on the phone once: the first tap's GENERATE
// AC is an AAC with the POS Cardholder Interaction Information DF4B
// [PCIIODCVMRequired] (the reader says "See Phone"), the second tap is
// approved offline with CDA.
func MastercardPhoneConfirm() *Profile {
	a := mastercardApp()
	a.Label = "MASTERCARD PHONE"
	a.AIP = mustHex("1B81")
	a.PhoneConfirmation = 1
	return mastercardProfile("mastercard-phone-confirm", "phone with a Mastercard (Kernel 2, EMV mode): the first tap asks for confirmation on the phone (AAC with DF4B 000100), the second is approved", "5413330089010103", a)
}

func init() {
	for name, f := range map[string]func() *Profile{
		"mastercard-phone-confirm": MastercardPhoneConfirm,
		"mastercard-offline":       MastercardOffline,
		"mastercard-online":        MastercardOnline,
		"mastercard-decline":       MastercardDecline,
		"mastercard-no-rrp":        MastercardNoRRP,
		"mastercard-slow-rrp":      MastercardSlowRRP,
		"mastercard-phone":         MastercardPhone,
		"mastercard-torn":          MastercardTorn,
	} {
		builtin[name] = f
	}
}
