package emvtest

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Contactless describes how a card presents itself in a contactless field
// (ISO/IEC 14443-4): the ATR a PC/SC reader builds for it and what the
// field sees.
type Contactless struct {
	// Type is the ISO/IEC 14443 type, "A" (default) or "B".
	Type string `json:"type,omitempty"`
	// HistoricalBytes are the historical bytes of a type A card's ATS (at
	// most 15), or, for type B, the 8 bytes of ATQB application data,
	// protocol info and MBLI. Default: none for type A, 00000000 718171 00
	// for type B.
	HistoricalBytes Hex `json:"historical_bytes,omitempty"`
	// Collision puts a second card in the field with this one: the reader's
	// anticollision sees more than one card (Book B §3.2.1), reported by
	// [Card.Collision].
	Collision bool `json:"collision,omitempty"`
}

func (c *Contactless) validate() error {
	if c == nil {
		return nil
	}
	switch c.Type {
	case "", "A":
		if len(c.HistoricalBytes) > 15 {
			return errors.New("type A historical bytes at most 15")
		}
	case "B":
		if c.HistoricalBytes != nil && len(c.HistoricalBytes) != 8 {
			return errors.New("type B takes 8 bytes of ATQB data in historical_bytes")
		}
	default:
		return fmt.Errorf("type %q: want A or B", c.Type)
	}
	return nil
}

// ContactlessATR is the ATR a PC/SC reader builds for an ISO/IEC 14443-4
// card (PC/SC Part 3 §3.1.3.2.3): 3B, T0 = 8n (TD1 present, n historical
// bytes), TD1 = 80 (TD2 present, T=0 indicated), TD2 = 01 (T=1), the
// historical bytes, and TCK, the exclusive-or of T0 to the last historical
// byte (ISO/IEC 7816-3 §8.2.5). For type A the historical bytes are those
// of the ATS; for type B they are the ATQB's application data (4 bytes),
// protocol info (3 bytes) and the MBLI nibble byte of the ATTRIB answer.
func ContactlessATR(historical []byte) []byte {
	atr := make([]byte, 0, 5+len(historical))
	atr = append(atr, 0x3B, 0x80|byte(len(historical)&0x0F), 0x80, 0x01)
	atr = append(atr, historical...)
	return append(atr, tck(atr[1:]))
}

// defaultTypeB is the ATQB data of the default type B card: application
// data 00000000, protocol info 71 81 71 (106 kbit/s, frame size 256, FWI
// 7), MBLI 0.
var defaultTypeB = mustHex("0000000071817100")

// Contactless reports whether the card is tapped on a contactless reader
// rather than inserted.
func (c *Card) Contactless() bool { return c.profile.Contactless != nil }

// Collision reports whether a second card is in the field with this one
// (see [Contactless.Collision]); a reader's anticollision then finds more
// than one card and asks for one only (Book B §3.2.1).
func (c *Card) Collision() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.profile.Contactless != nil && c.collision
}

// SetCollision puts a second card in the field (true) or takes it out.
func (c *Card) SetCollision(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.collision = on
}

// CVM choices for [QVSDC.CVM]: the cardholder verification the card asks
// for in its Card Transaction Qualifiers (9F6C byte 1 bits 8-7, byte 2 bit
// 8) when the reader says a CVM is required (TTQ byte 2 bit 7).
const (
	CVMQNone      = ""           // no CVM bit: the reader falls back on its own CVMs
	CVMQOnlinePIN = "online_pin" // CTQ byte 1 bit 8 "Online PIN Required"; the card goes online
	CVMQSignature = "signature"  // CTQ byte 1 bit 7 "Signature Required"
	// CVMQCDCVM is a phone's consumer device CVM: with a reader that
	// supports CDCVM (TTQ byte 3 bit 7) the card sets CTQ byte 2 bit 8
	// "Consumer Device CVM Performed"; with one that does not, online PIN.
	CVMQCDCVM = "cdcvm"
)

// fDDA versions for [QVSDC.FDDAVersion].
const (
	FDDAVersion01   = ""     // 9F69 = 01 || card unpredictable number || CTQ; the SDAD covers 9F37 9F02 5F2A 9F69
	FDDAVersion00   = "00"   // 9F69 = 00 || card unpredictable number; the SDAD covers 9F37
	FDDANoAuthData  = "none" // no 9F69 (version 00 without the data object)
	FDDASignedIn05  = "05"   // version 01 signed with Signed Data Format 05 (as Book 2 DDA) instead of 95
	fddaSignedFmt95 = 0x95
)

// QVSDC is a Visa contactless application's behaviour in the quick VSDC
// path of Book C-3: GET PROCESSING OPTIONS is the whole card transaction
// and answers, in a format 2 response, the AIP, AFL, the cryptogram, the
// ATC, the IAD, track 2, the CTQ and, for offline approvals, the fDDA
// signature (9F4B with 9F69). The cryptogram type follows [CardRisk] and
// the reader's TTQ (9F66); see [Card] for the rules.
type QVSDC struct {
	// CTQ is the Card Transaction Qualifiers 9F6C (2 bytes) before the
	// CVM bits the card adds; nil leaves 9F6C out unless a CVM sets a bit.
	CTQ Hex `json:"ctq,omitempty"`
	// CVM is CVMQNone (default), CVMQOnlinePIN, CVMQSignature or CVMQCDCVM.
	CVM string `json:"cvm,omitempty"`
	// FDDAVersion is FDDAVersion01 (default), FDDAVersion00, FDDANoAuthData
	// or FDDASignedIn05.
	FDDAVersion string `json:"fdda_version,omitempty"`
	// OmitCID leaves the Cryptogram Information Data 9F27 out of the
	// response: the reader takes the cryptogram type from the IAD (byte 5
	// bits 6-5).
	OmitCID bool `json:"omit_cid,omitempty"`
	// AvailableOffline is the Available Offline Spending Amount 9F5D the
	// card returns and spends its offline approvals from; nil: no 9F5D and
	// no offline amount limit of the card's own.
	AvailableOffline *uint64 `json:"available_offline,omitempty"`
	// FormFactor is the Form Factor Indicator 9F6E (4 bytes); nil: absent.
	FormFactor Hex `json:"form_factor,omitempty"`
	// CustomerExclusive is the Customer Exclusive Data 9F7C; nil: absent.
	CustomerExclusive Hex `json:"customer_exclusive,omitempty"`
	// IssuerUpdate sets CTQ byte 2 bit 7 "Card Supports Issuer Update
	// Processing at the POS": after an ARQC the card accepts, on a second
	// tap, EXTERNAL AUTHENTICATE and issuer script commands for that ARQC.
	IssuerUpdate bool `json:"issuer_update,omitempty"`
	// SeePhone answers 6986 to that many first GET PROCESSING OPTIONS (a
	// phone asking the cardholder to look at it, Book C-3).
	SeePhone int `json:"see_phone,omitempty"`
	// RefuseSW, if not zero, answers GET PROCESSING OPTIONS with this
	// status word every time (6984, 6985, ...).
	RefuseSW uint16 `json:"refuse_sw,omitempty"`

	// UnionPay makes the application a UnionPay QuickPass one (Book C-7,
	// qUICS): the same one-command transaction, with the Issuer Application
	// Data in the UnionPay layout (07 DKI CVN 03 CVR algorithm 01) instead
	// of the Visa one (06 DKI CVN 03 CVR).
	UnionPay bool `json:"unionpay,omitempty"`
	// ProductID is the UnionPay Product Identification Information 9F63
	// (at most 16 bytes) the GPO response carries; nil: absent.
	ProductID Hex `json:"product_id,omitempty"`
	// IgnoreOnlineRequired misbehaves: the card decides as if the TTQ did
	// not ask for an online cryptogram (byte 2 bit 8), so it can answer a
	// TC the reader did not allow.
	IgnoreOnlineRequired bool `json:"ignore_online_required,omitempty"`
}

func (q *QVSDC) validate() error {
	if q == nil {
		return nil
	}
	switch {
	case q.CTQ != nil && len(q.CTQ) != 2:
		return errors.New("ctq must be 2 bytes")
	case q.FormFactor != nil && len(q.FormFactor) != 4:
		return errors.New("form_factor must be 4 bytes")
	case len(q.CustomerExclusive) > 32:
		return errors.New("customer_exclusive at most 32 bytes")
	case q.AvailableOffline != nil && *q.AvailableOffline > 999999999999:
		return errors.New("available_offline at most 12 digits")
	case len(q.ProductID) > 16:
		return errors.New("product_id at most 16 bytes")
	case q.SeePhone < 0 || q.SeePhone > 255:
		return errors.New("see_phone 0 to 255")
	}
	switch q.CVM {
	case CVMQNone, CVMQOnlinePIN, CVMQSignature, CVMQCDCVM:
	default:
		return fmt.Errorf("cvm %q", q.CVM)
	}
	switch q.FDDAVersion {
	case FDDAVersion01, FDDAVersion00, FDDANoAuthData, FDDASignedIn05:
	default:
		return fmt.Errorf("fdda_version %q", q.FDDAVersion)
	}
	return nil
}

// Terminal Transaction Qualifiers 9F66 bits the card reads (Book C-3
// Annex A), by byte.
const (
	ttq1QVSDC          = 0x20 // byte 1 bit 6: qVSDC supported
	ttq1OfflineOnly    = 0x08 // byte 1 bit 4: offline-only reader
	ttq1OnlinePIN      = 0x04 // byte 1 bit 3: online PIN supported
	ttq1Signature      = 0x02 // byte 1 bit 2: signature supported
	ttq1ODAForOnline   = 0x01 // byte 1 bit 1: offline data authentication for online authorisations
	ttq2OnlineRequired = 0x80 // byte 2 bit 8: online cryptogram required
	ttq2CVMRequired    = 0x40 // byte 2 bit 7: CVM required
	ttq3CDCVM          = 0x40 // byte 3 bit 7: consumer device CVM supported
)

// Card Transaction Qualifiers 9F6C bits the card sets (Book C-3 Annex A).
const (
	ctq1OnlinePIN    = 0x80 // byte 1 bit 8: online PIN required
	ctq1Signature    = 0x40 // byte 1 bit 7: signature required
	ctq2CDCVM        = 0x80 // byte 2 bit 8: consumer device CVM performed
	ctq2IssuerUpdate = 0x40 // byte 2 bit 7: card supports issuer update processing at the POS
)

// gpoQVSDC answers GET PROCESSING OPTIONS of a qVSDC application: the
// card's whole transaction in one command. The card's rules:
//
//   - a TTQ without qVSDC (byte 1 bit 6) answers 6985: the card has no
//     other contactless path;
//   - the CVM (see [QVSDC.CVM]) is set in the CTQ only when the TTQ says
//     a CVM is required; online PIN makes the card go online;
//   - the cryptogram: an AAC when the card declines ([DecideDecline]) or
//     is blocked; an ARQC when the TTQ requires an online cryptogram, the
//     CVM needs online PIN, the card always goes online ([DecideOnline]),
//     or the amount exceeds the Available Offline Spending Amount; else a
//     TC (spent from 9F5D); an ARQC asked of an offline-only reader
//     becomes an AAC;
//   - the fDDA signature (9F4B, 9F69) comes with a TC, and with an ARQC
//     when the TTQ asks for ODA on online authorisations (byte 1 bit 1),
//     when the AIP says fDDA (byte 1 bit 6).
func (c *Card) gpoQVSDC(a *appState, cmd apdu.Command) apdu.Response {
	q := a.perso.cfg.QVSDC
	if q.RefuseSW != 0 {
		return swOnly(apdu.SW(q.RefuseSW))
	}
	t, v, err := tlv.Single(cmd.Data)
	if err != nil || t != 0x83 {
		return swOnly(apdu.SWIncorrectData)
	}
	if len(v) != a.perso.pdol.Len() {
		return swOnly(apdu.SWWrongLength)
	}
	vals := dolValues(a.perso.pdol, v)
	ttq := vals[0x9F66]
	if len(ttq) != 4 || ttq[0]&ttq1QVSDC == 0 {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	if a.seePhone < q.SeePhone {
		a.seePhone++
		return swOnly(0x6986)
	}
	if a.atc == 0xFFFF {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	a.atc++
	a.tx.gpo = true
	a.tx.pdolData = append([]byte(nil), v...)

	var ctq []byte
	if q.CTQ != nil {
		ctq = append([]byte(nil), q.CTQ...)
	}
	setCTQ := func(byteIndex int, bit byte) {
		if ctq == nil {
			ctq = make([]byte, 2)
		}
		ctq[byteIndex] |= bit
	}
	if q.IssuerUpdate {
		setCTQ(1, ctq2IssuerUpdate)
	}
	goOnline := false
	if ttq[1]&ttq2CVMRequired != 0 {
		switch q.CVM {
		case CVMQOnlinePIN:
			setCTQ(0, ctq1OnlinePIN)
			goOnline = true
		case CVMQSignature:
			setCTQ(0, ctq1Signature)
		case CVMQCDCVM:
			if ttq[2]&ttq3CDCVM != 0 {
				setCTQ(1, ctq2CDCVM)
			} else {
				setCTQ(0, ctq1OnlinePIN)
				goOnline = true
			}
		}
	}
	amount := bcdValue(vals[0x9F02])
	cid := cidTC
	switch {
	case a.blocked || a.perso.cfg.Risk.Decision == DecideDecline:
		cid = cidAAC
	case ttq[1]&ttq2OnlineRequired != 0 && !q.IgnoreOnlineRequired, goOnline, a.perso.cfg.Risk.Decision == DecideOnline:
		cid = cidARQC
	case a.perso.cfg.Risk.Decision == DecideRisk && a.offline >= 0 && amount > uint64(a.offline):
		cid = cidARQC
	}
	if cid == cidARQC && ttq[0]&ttq1OfflineOnly != 0 {
		cid = cidAAC
	}
	if cid == cidTC && a.offline >= 0 && amount <= uint64(a.offline) {
		a.offline -= int64(amount)
	}
	iad := a.iad(cid, 0, false)
	if q.UnionPay {
		// The UnionPay layout: length 07, the algorithm identifier (01,
		// triple DES) after the CVR.
		iad = append([]byte{0x07}, append(iad[1:], 0x01)...)
	}
	ac := a.cryptogram(vals, iad)
	a.tx.ac, a.tx.firstCID, a.tx.acs = ac, cid, 1
	if cid == cidARQC {
		a.onlinePending = true
		a.lastARQC = ac
		a.scriptCount, a.scriptFailed = 0, false
	}

	atc := []byte{byte(a.atc >> 8), byte(a.atc)}
	var body []byte
	body = tlv.AppendTLV(body, 0x82, a.perso.cfg.AIP)
	body = tlv.AppendTLV(body, 0x94, a.perso.afl)
	body = tlv.AppendTLV(body, 0x9F36, atc)
	body = tlv.AppendTLV(body, 0x9F26, ac)
	body = tlv.AppendTLV(body, 0x9F10, iad)
	if !q.OmitCID {
		body = tlv.AppendTLV(body, 0x9F27, []byte{cid})
	}
	body = tlv.AppendTLV(body, 0x57, c.profile.Track2)
	if c.profile.PSN != "" {
		body = tlv.AppendTLV(body, 0x5F34, mustHex(c.profile.PSN))
	}
	if ctq != nil {
		body = tlv.AppendTLV(body, 0x9F6C, ctq)
	}
	if q.FormFactor != nil {
		body = tlv.AppendTLV(body, 0x9F6E, q.FormFactor)
	}
	if q.CustomerExclusive != nil {
		body = tlv.AppendTLV(body, 0x9F7C, q.CustomerExclusive)
	}
	if q.ProductID != nil {
		body = tlv.AppendTLV(body, 0x9F63, q.ProductID)
	}
	if a.offline >= 0 {
		body = tlv.AppendTLV(body, 0x9F5D, bcd6(uint64(a.offline)))
	}
	fdda := a.perso.cfg.AIP[0]&aipDDA != 0 && a.perso.hasICC &&
		(cid == cidTC || (cid == cidARQC && ttq[0]&ttq1ODAForOnline != 0))
	if fdda {
		un, good := c.random(4)
		if !good {
			return swOnly(apdu.SWNoPreciseDiagnosis)
		}
		var cad []byte
		terminal := append([]byte(nil), vals[0x9F37]...)
		format := byte(fddaSignedFmt95)
		switch q.FDDAVersion {
		case FDDAVersion00:
			cad = append([]byte{0x00}, un...)
		case FDDANoAuthData:
		default:
			cad = append([]byte{0x01}, un...)
			cad = append(cad, ctqOrZero(ctq)...)
			terminal = append(terminal, vals[0x9F02]...)
			terminal = append(terminal, vals[0x5F2A]...)
			terminal = append(terminal, cad...)
			if q.FDDAVersion == FDDASignedIn05 {
				format = 0x05
			}
		}
		iccDD := append([]byte{byte(len(un))}, un...)
		sdad := signedDynamicDataFormat(a.perso.chain.icc, format, iccDD, terminal, a.perso.cfg.Faults.BadSDAD)
		if cad != nil {
			body = tlv.AppendTLV(body, 0x9F69, cad)
		}
		body = tlv.AppendTLV(body, 0x9F4B, sdad)
	}
	return ok(tlv.AppendTLV(nil, 0x77, body))
}

func ctqOrZero(ctq []byte) []byte {
	if ctq == nil {
		return []byte{0, 0}
	}
	return ctq
}

// bcd6 writes an amount as n12 in 6 bytes.
func bcd6(v uint64) []byte {
	b := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		b[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
	return b
}

// resumeOnline brings back, for EXTERNAL AUTHENTICATE and issuer script
// commands on a second tap (Book C-3 issuer update processing), the ARQC
// of the qVSDC transaction that went online: the application was selected
// again, so the transaction state is new, but the card answers for the
// cryptogram the issuer saw.
func (a *appState) resumeOnline() {
	q := a.perso.cfg.QVSDC
	if q == nil || !q.IssuerUpdate || a.tx.gpo || a.lastARQC == nil {
		return
	}
	a.tx.ac = a.lastARQC
	a.tx.firstCID = cidARQC
	a.tx.acs = 1
	a.tx.resumed = true
}
