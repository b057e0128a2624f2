package emvtest

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// scriptMACLen is the length of the secure-messaging MAC ending every
// issuer script command's data (Book 2 §9.2.1 allows 4 to 8; we use 8).
const scriptMACLen = 8

// SMFormat is the secure messaging format of an issuer script command
// (Book 2 §9.2.1), which the class byte tells the card: CLA 8C for format
// 1 (ISO/IEC 7816-4 secure messaging, command header authenticated), CLA
// 84 for format 2 (secure messaging in a proprietary format), as Book 3
// §6.5 gives both classes for every card management command. The zero
// value is format 2.
type SMFormat byte

// The two formats of Book 2 §9.2.1.
const (
	// SMFormat2: the command data field is not TLV coded; it is the
	// (possibly enciphered) data followed by the MAC.
	SMFormat2 SMFormat = 2
	// SMFormat1: the command data field is BER-TLV data objects (ISO/IEC
	// 7816-4 §6): the data in clear (81) or enciphered after a
	// padding-content indicator (87), then the MAC as a cryptographic
	// checksum (8E).
	SMFormat1 SMFormat = 1
)

// The class bytes of the two formats.
const (
	claSMFormat1 = 0x8C
	claSMFormat2 = 0x84
)

// The format 1 data objects (ISO/IEC 7816-4 §6, Table 2 of its 2005
// edition; Book 2 §9.2.1.1, §9.3.1). Their tags are odd: each is covered
// by the cryptographic checksum.
const (
	smTagPlain      tlv.Tag = 0x81 // plain value not BER-TLV coded
	smTagCryptogram tlv.Tag = 0x87 // padding-content indicator byte, then the cryptogram
	smTagMAC        tlv.Tag = 0x8E // cryptographic checksum
)

// The padding-content indicators of a format 1 cryptogram (ISO/IEC 7816-4
// §6, Table 4 of its 2005 edition).
const (
	piPadded   = 0x01 // the plaintext was padded as ISO/IEC 7816-4 pads: 80 00 .. 00
	piNoPadded = 0x02 // no padding
)

func (f SMFormat) cla() byte {
	if f == SMFormat1 {
		return claSMFormat1
	}
	return claSMFormat2
}

func (f SMFormat) valid() bool { return f == 0 || f == SMFormat1 || f == SMFormat2 }

// Secure messaging for issuer scripts (Book 2 §9): the MAC is ISO/IEC
// 9797-1 MAC algorithm 3, padding method 2, under the SMI session key (EMV
// Common Session Key derivation from the ICC SMI master key with R = the
// application cryptogram of the first GENERATE AC, Book 2 A1.3), 8 bytes.
// One computation serves both formats; what it covers is what differs.
//
// Format 2 (CLA 84): CLA INS P1 P2 Lc || ATC || application cryptogram ||
// the data before the MAC (Lc counts the MAC). The data field is not TLV
// coded (Book 2 §9.2.1). Book 2 leaves the data a format 2 MAC covers to
// the payment system; header, ATC, cryptogram and data is the usual choice,
// and ours.
//
// Format 1 (CLA 8C): we read Book 2 §9.2.3 as computing the MAC the way
// ISO/IEC 7816-4 §6 computes a cryptographic checksum when the class byte
// says the header is authenticated: the command header CLA INS P1 P2
// padded to one block (80 00 00 00), then every data object of the data
// field before the MAC object, tag, length and value exactly as sent (all
// have odd tags, so all are covered), the whole padded by method 2. Where
// sources differ: secondary summaries of Book 2 describe the input as "the
// command header and the command data field", which read literally has
// no padding block after the header, and the format 2 practice adds the
// ATC and the cryptogram. We take ISO/IEC 7816-4's reading, the standard
// Book 2 builds format 1 on: the header padded to its own block, no Lc
// (the checksum object is not yet there to count), and no ATC or
// cryptogram — the session key, derived from this transaction's
// cryptogram, already binds the MAC to the transaction.
//
// Confidential data (the new PIN of PIN CHANGE, a confidential PUT DATA
// value) is enciphered under the SMC session key (same derivation from the
// ICC SMC master key) as the card's [Encipherment] says (Book 2 §9.3): in
// format 2 it is the data field before the MAC; in format 1 it is the
// cryptogram of data object 87, after a padding-content indicator that
// says whether the enciphered plaintext was padded (01, ISO/IEC 7816-4
// padding 80 00 .. 00) or not (02). Book 2 §9.3.1 shows only the object;
// we derive the indicator from the encipherment, so a card checks it
// against what it deciphers: CBC always pads (01), ECB never does (02),
// and the length-prefixed form pads unless LD || D fills its blocks.
func scriptMAC(sk []byte, f SMFormat, header []byte, atc uint16, ac, body []byte) ([]byte, error) {
	if f == SMFormat1 {
		in := make([]byte, 0, 8+len(body))
		in = append(in, header[:4]...)
		in = append(in, 0x80, 0, 0, 0)
		in = append(in, body...)
		return mac(sk, in)
	}
	in := make([]byte, 0, 5+2+len(ac)+len(body))
	in = append(in, header...)
	in = append(in, byte(atc>>8), byte(atc))
	in = append(in, ac...)
	in = append(in, body...)
	return mac(sk, in)
}

// padIndicator returns the padding-content indicator of a format 1
// cryptogram whose plaintext of n bytes is enciphered as e says.
func padIndicator(e Encipherment, n int) byte {
	switch e {
	case EncipherECB:
		return piNoPadded
	case EncipherLengthPrefixed:
		if (1+n)%8 == 0 {
			return piNoPadded
		}
	}
	return piPadded
}

// scriptData is the data of a script command once its secure messaging is
// checked: the value in clear, or (format 1) the cryptogram of data object
// 87 with its padding-content indicator. Format 2 does not say which its
// data is; the command and the object tell the card.
type scriptData struct {
	format     SMFormat
	value      []byte // format 2: the data before the MAC; format 1: the value of 81
	cryptogram []byte // format 1: the value of 87 after the indicator
	pi         byte
	enciphered bool // format 1: the data came in 87
}

// format1 is a format 1 command data field taken apart (Book 2 §9.2.1.1).
type format1 struct {
	data    scriptData
	covered []byte // the data objects before 8E, as sent: what the MAC covers
	mac     []byte
}

// parseFormat1 takes a format 1 command data field apart: at most one data
// object 81 or 87, then the MAC object 8E of 8 bytes, last, the objects
// back to back. A field without 8E lacks an expected secure messaging data
// object (6987, ISO/IEC 7816-4 §5.1.3); anything else out of that form —
// bad BER-TLV, another tag, padding between objects, a second data
// object, data after the MAC, a MAC of another length, an 87 without its
// indicator — is secure messaging data objects incorrect (6988). It never
// reads past data and allocates nothing.
func parseFormat1(data []byte) (format1, apdu.SW) {
	var f format1
	f.data.format = SMFormat1
	it := tlv.NewStrictIter(data)
	pos, seen := 0, false
	for it.Next() {
		if it.Offset() != pos || f.mac != nil {
			return format1{}, apdu.SWSMDataObjectsIncorrect
		}
		pos += len(it.Raw())
		v := it.Value()
		switch it.Tag() {
		case smTagPlain, smTagCryptogram:
			if seen {
				return format1{}, apdu.SWSMDataObjectsIncorrect
			}
			seen = true
			if it.Tag() == smTagCryptogram {
				if len(v) < 1 {
					return format1{}, apdu.SWSMDataObjectsIncorrect
				}
				f.data.enciphered = true
				f.data.pi, f.data.cryptogram = v[0], v[1:]
			} else {
				f.data.value = v
			}
		case smTagMAC:
			if len(v) != scriptMACLen {
				return format1{}, apdu.SWSMDataObjectsIncorrect
			}
			f.covered = data[:it.Offset():it.Offset()]
			f.mac = v
		default:
			return format1{}, apdu.SWSMDataObjectsIncorrect
		}
	}
	switch {
	case it.Err() != nil || pos != len(data):
		return format1{}, apdu.SWSMDataObjectsIncorrect
	case f.mac == nil:
		return format1{}, apdu.SWSMDataObjectsMissing
	}
	return f, apdu.SWOK
}

// script answers an issuer script command (Book 3 §10.10, Book 2 §9):
// APPLICATION BLOCK/UNBLOCK, CARD BLOCK, PIN CHANGE/UNBLOCK, PUT DATA and
// UPDATE RECORD, each after its MAC is checked, in the format its class
// byte gives.
func (c *Card) script(a *appState, cmd apdu.Command) apdu.Response {
	if a.tx.acs == 0 || a.tx.ac == nil {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	if cmd.CLA == claSMFormat1 {
		return c.scriptFormat1(a, cmd)
	}
	if len(cmd.Data) < scriptMACLen {
		return swOnly(apdu.SWSMDataObjectsMissing)
	}
	body := cmd.Data[:len(cmd.Data)-scriptMACLen]
	got := cmd.Data[len(cmd.Data)-scriptMACLen:]
	skSMI, err := sessionKey(a.perso.mkSMI, a.tx.ac)
	if err != nil {
		return swOnly(apdu.SWNoPreciseDiagnosis)
	}
	header := []byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2, byte(len(cmd.Data))}
	want, err := scriptMAC(skSMI, SMFormat2, header, a.atc, a.tx.ac, body)
	if err != nil || !bytes.Equal(want, got) {
		a.scriptFailed = true
		return swOnly(apdu.SWSMDataObjectsIncorrect)
	}
	r := c.runScript(a, cmd, scriptData{format: SMFormat2, value: body})
	if r.SW.OK() {
		a.scriptCount++
	} else {
		a.scriptFailed = true
	}
	return r
}

// scriptFormat1 checks a format 1 command's data objects and MAC (Book 2
// §9.2.1.1, §9.2.3) and runs it. Every refusal counts as a failed script
// command.
func (c *Card) scriptFormat1(a *appState, cmd apdu.Command) apdu.Response {
	r := func() apdu.Response {
		f, sw := parseFormat1(cmd.Data)
		if !sw.OK() {
			return swOnly(sw)
		}
		skSMI, err := sessionKey(a.perso.mkSMI, a.tx.ac)
		if err != nil {
			return swOnly(apdu.SWNoPreciseDiagnosis)
		}
		header := []byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2, byte(len(cmd.Data))}
		want, err := scriptMAC(skSMI, SMFormat1, header, a.atc, a.tx.ac, f.covered)
		if err != nil || !bytes.Equal(want, f.mac) {
			return swOnly(apdu.SWSMDataObjectsIncorrect)
		}
		return c.runScript(a, cmd, f.data)
	}()
	if r.SW.OK() {
		a.scriptCount++
	} else {
		a.scriptFailed = true
	}
	return r
}

// plain returns the data of a command that takes its data in clear. In
// format 1 an enciphered object there is not the object expected (6988).
func (d scriptData) plain() ([]byte, apdu.SW) {
	if d.enciphered {
		return nil, apdu.SWSMDataObjectsIncorrect
	}
	return d.value, apdu.SWOK
}

// confidential deciphers the data of a command that takes it enciphered
// (Book 2 §9.3). Format 2: data that does not decipher to the
// encipherment's form is refused (6A80), as plaintext sent for it is.
// Format 1: the data must come in 87 (a plain 81 lacks the expected
// object: 6987), with the padding-content indicator that the encipherment
// gives (6988 otherwise), and decipher (6A80 otherwise).
func (c *Card) confidential(a *appState, d scriptData) ([]byte, apdu.SW) {
	if d.format != SMFormat1 {
		p, good := c.decipher(a, d.value)
		if !good {
			return nil, apdu.SWIncorrectData
		}
		return p, apdu.SWOK
	}
	if !d.enciphered {
		return nil, apdu.SWSMDataObjectsMissing
	}
	e := a.perso.cfg.ScriptEncipherment
	if e != EncipherLengthPrefixed && d.pi != padIndicator(e, 0) {
		return nil, apdu.SWSMDataObjectsIncorrect
	}
	p, good := c.decipher(a, d.cryptogram)
	if !good {
		return nil, apdu.SWIncorrectData
	}
	if d.pi != padIndicator(e, len(p)) {
		clear(p)
		return nil, apdu.SWSMDataObjectsIncorrect
	}
	return p, apdu.SWOK
}

func (c *Card) runScript(a *appState, cmd apdu.Command, d scriptData) apdu.Response {
	switch cmd.INS {
	case apdu.InsApplicationBlock, apdu.InsApplicationUnblock, apdu.InsCardBlock:
		if cmd.P1 != 0 || cmd.P2 != 0 {
			return swOnly(apdu.SWIncorrectP1P2)
		}
		if body, sw := d.plain(); !sw.OK() || len(body) != 0 {
			return swOnly(firstFailure(sw, apdu.SWWrongLength))
		}
		switch cmd.INS {
		case apdu.InsApplicationBlock:
			a.blocked = true
		case apdu.InsApplicationUnblock:
			a.blocked = false
		default:
			c.cardBlock = true
		}
		return swOnly(apdu.SWOK)
	case apdu.InsPINChangeUnblock:
		if cmd.P1 != 0 {
			return swOnly(apdu.SWIncorrectP1P2)
		}
		switch cmd.P2 {
		case 0x00: // unblock: reset the PIN try counter
			if body, sw := d.plain(); !sw.OK() || len(body) != 0 {
				return swOnly(firstFailure(sw, apdu.SWWrongLength))
			}
		case 0x02: // change without the current PIN
			if a.pin == "" {
				return swOnly(apdu.SWReferencedDataNotFound)
			}
			block, sw := c.confidential(a, d)
			if !sw.OK() {
				return swOnly(sw)
			}
			pin, good := pinFromBlock(block)
			clear(block)
			if !good {
				return swOnly(apdu.SWIncorrectData)
			}
			a.pin = PIN(pin)
		default: // P2 01 (change with the current PIN) is issuer-proprietary
			return swOnly(apdu.SWIncorrectP1P2)
		}
		if a.pin != "" {
			a.pinTries = a.perso.cfg.PINTryLimit
			a.pinBlockedByTry = false
		}
		return swOnly(apdu.SWOK)
	case apdu.InsPutData:
		tag := tlv.Tag(cmd.P1)<<8 | tlv.Tag(cmd.P2)
		if cmd.P1 == 0 {
			tag = tlv.Tag(cmd.P2)
		}
		switch {
		case tag == 0x9F14, tag == 0x9F23:
			body, sw := d.plain()
			if !sw.OK() {
				return swOnly(sw)
			}
			if len(body) != 1 {
				return swOnly(apdu.SWWrongLength)
			}
			if tag == 0x9F14 {
				a.lcol = int(body[0])
			} else {
				a.ucol = int(body[0])
			}
			return swOnly(apdu.SWOK)
		}
		obj := a.issuerData(tag)
		if obj == nil {
			return swOnly(apdu.SWReferencedDataNotFound)
		}
		var value []byte
		var sw apdu.SW
		if obj.confidential {
			// Book 2 §9.3: the value travels enciphered; one that does not
			// decipher to the encipherment's form is refused.
			value, sw = c.confidential(a, d)
		} else {
			value, sw = d.plain()
		}
		if !sw.OK() {
			return swOnly(sw)
		}
		if len(value) > 0xFF {
			return swOnly(apdu.SWWrongLength)
		}
		obj.value = append([]byte(nil), value...)
		return swOnly(apdu.SWOK)
	case apdu.InsUpdateRecord:
		if cmd.P2&0x07 != 0x04 || cmd.P1 == 0 {
			return swOnly(apdu.SWIncorrectP1P2)
		}
		id := recordID{cmd.P2 >> 3, cmd.P1}
		if _, found := a.records[id]; !found {
			return swOnly(apdu.SWRecordNotFound)
		}
		body, sw := d.plain()
		if !sw.OK() {
			return swOnly(sw)
		}
		if _, _, err := tlv.Single(body); err != nil {
			return swOnly(apdu.SWIncorrectData)
		}
		a.records[id] = append([]byte(nil), body...)
		return swOnly(apdu.SWOK)
	}
	return swOnly(apdu.SWINSNotSupported)
}

// firstFailure returns sw unless it is 9000, then otherwise.
func firstFailure(sw, otherwise apdu.SW) apdu.SW {
	if !sw.OK() {
		return sw
	}
	return otherwise
}

// decipher deciphers confidential script data under the SMC session key of
// this transaction.
func (c *Card) decipher(a *appState, body []byte) ([]byte, bool) {
	sk, err := sessionKey(a.perso.mkSMC, a.tx.ac)
	if err != nil {
		return nil, false
	}
	d, err := smDecipher(sk, a.perso.cfg.ScriptEncipherment, body)
	return d, err == nil
}

// Encipherment is how the confidential data of a script command is
// enciphered under the SMC session key (Book 2 §9.3, Annex A1.1). The
// zero value is the length-prefixed form.
type Encipherment string

// The encipherments the virtual issuer and card speak.
const (
	// EncipherLengthPrefixed: 3DES ECB of LD || D, where LD is the length
	// of D, followed by 80 00 .. 00 to a whole number of blocks unless
	// LD || D is one already. For PIN CHANGE D is the ISO 9564 format 2
	// PIN block, so the command carries 16 enciphered bytes.
	EncipherLengthPrefixed Encipherment = ""
	// EncipherECB: 3DES ECB of D itself, which must be whole 8-byte
	// blocks: the PIN block alone, 8 bytes (as Mastercard cards take PIN
	// CHANGE).
	EncipherECB Encipherment = "ecb"
	// EncipherCBC: 3DES CBC with a zero IV of D || 80 00 .. 00, padding
	// method 2 of ISO/IEC 9797-1 always applied (as the Common Core
	// Definitions take PIN CHANGE: 16 bytes for a PIN block).
	EncipherCBC Encipherment = "cbc"
)

func (e Encipherment) valid() bool {
	return e == EncipherLengthPrefixed || e == EncipherECB || e == EncipherCBC
}

// errEnciphered reports confidential data that does not decipher to the
// form its encipherment gives it.
var errEnciphered = errors.New("emvtest: enciphered data not well formed")

// smEncipher enciphers d under the SMC session key sk (Book 2 §9.3).
func smEncipher(sk []byte, e Encipherment, d []byte) ([]byte, error) {
	switch e {
	case EncipherLengthPrefixed:
		if len(d) > 0xFF {
			return nil, fmt.Errorf("emvtest: %d bytes to encipher, at most 255", len(d))
		}
		x := append([]byte{byte(len(d))}, d...)
		if len(x)%8 != 0 {
			x = pad2(x)
		}
		defer clear(x)
		return tdesEncrypt(sk, x)
	case EncipherECB:
		if len(d) == 0 || len(d)%8 != 0 {
			return nil, fmt.Errorf("emvtest: ECB encipherment of %d bytes, want whole 8-byte blocks", len(d))
		}
		return tdesEncrypt(sk, d)
	case EncipherCBC:
		b, err := tdes(sk)
		if err != nil {
			return nil, err
		}
		x := pad2(d)
		defer clear(x)
		out := make([]byte, len(x))
		cipher.NewCBCEncrypter(b, make([]byte, 8)).CryptBlocks(out, x)
		return out, nil
	}
	return nil, fmt.Errorf("emvtest: encipherment %q", string(e))
}

// smDecipher reverses smEncipher, checking the length byte and padding;
// it returns errEnciphered for data that is not in the form e gives.
func smDecipher(sk []byte, e Encipherment, x []byte) ([]byte, error) {
	if len(x) == 0 || len(x)%8 != 0 {
		return nil, errEnciphered
	}
	switch e {
	case EncipherLengthPrefixed:
		p, err := tdesDecrypt(sk, x)
		if err != nil {
			return nil, err
		}
		defer clear(p)
		n := int(p[0])
		switch {
		case 1+n > len(p):
			return nil, errEnciphered
		case 1+n == len(p):
			// LD || D filled the blocks: no padding.
		case p[1+n] != 0x80 || !allZero(p[2+n:]) || len(p)-(1+n) > 8:
			return nil, errEnciphered
		}
		return append([]byte(nil), p[1:1+n]...), nil
	case EncipherECB:
		return tdesDecrypt(sk, x)
	case EncipherCBC:
		b, err := tdes(sk)
		if err != nil {
			return nil, err
		}
		p := make([]byte, len(x))
		defer clear(p)
		cipher.NewCBCDecrypter(b, make([]byte, 8)).CryptBlocks(p, x)
		i := len(p) - 1
		for i >= 0 && p[i] == 0 {
			i--
		}
		if i < 0 || p[i] != 0x80 || len(p)-i > 8 {
			return nil, errEnciphered
		}
		return append([]byte(nil), p[:i]...), nil
	}
	return nil, errEnciphered
}
