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

// Secure messaging for issuer scripts (Book 2 §9): every script command
// has CLA 84 and ends its data with an 8-byte MAC. The MAC is ISO/IEC
// 9797-1 MAC algorithm 3, padding method 2, under the SMI session key (EMV
// Common Session Key derivation from the ICC SMI master key with R = the
// application cryptogram of the first GENERATE AC, Book 2 A1.3), over
// CLA INS P1 P2 Lc || ATC || application cryptogram || the data before the
// MAC (Lc counts the MAC): format 2 secure messaging, whose data field is
// not TLV coded (Book 2 §9.2.1). Book 2 leaves the data a format 2 MAC
// covers to the payment system; header, ATC, cryptogram and data is the
// usual choice, and ours. Confidential data (the new PIN of PIN
// CHANGE, a confidential PUT DATA value) is enciphered under the SMC
// session key (same derivation from the ICC SMC master key) as the card's
// [Encipherment] says (Book 2 §9.3).
func scriptMAC(sk []byte, header []byte, atc uint16, ac, body []byte) ([]byte, error) {
	in := make([]byte, 0, 5+2+len(ac)+len(body))
	in = append(in, header...)
	in = append(in, byte(atc>>8), byte(atc))
	in = append(in, ac...)
	in = append(in, body...)
	return mac(sk, in)
}

// script answers an issuer script command (Book 3 §10.10, Book 2 §9):
// APPLICATION BLOCK/UNBLOCK, CARD BLOCK, PIN CHANGE/UNBLOCK, PUT DATA and
// UPDATE RECORD, each after its MAC is checked.
func (c *Card) script(a *appState, cmd apdu.Command) apdu.Response {
	if a.tx.acs == 0 || a.tx.ac == nil {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	if len(cmd.Data) < scriptMACLen {
		return swOnly(0x6987) // secure messaging data objects missing
	}
	body := cmd.Data[:len(cmd.Data)-scriptMACLen]
	got := cmd.Data[len(cmd.Data)-scriptMACLen:]
	skSMI, err := sessionKey(a.perso.mkSMI, a.tx.ac)
	if err != nil {
		return swOnly(apdu.SWNoPreciseDiagnosis)
	}
	header := []byte{cmd.CLA, cmd.INS, cmd.P1, cmd.P2, byte(len(cmd.Data))}
	want, err := scriptMAC(skSMI, header, a.atc, a.tx.ac, body)
	if err != nil || !bytes.Equal(want, got) {
		a.scriptFailed = true
		return swOnly(0x6988) // secure messaging data objects incorrect
	}
	r := c.runScript(a, cmd, body)
	if r.SW.OK() {
		a.scriptCount++
	} else {
		a.scriptFailed = true
	}
	return r
}

func (c *Card) runScript(a *appState, cmd apdu.Command, body []byte) apdu.Response {
	switch cmd.INS {
	case apdu.InsApplicationBlock, apdu.InsApplicationUnblock, apdu.InsCardBlock:
		if cmd.P1 != 0 || cmd.P2 != 0 {
			return swOnly(apdu.SWIncorrectP1P2)
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
			if len(body) != 0 {
				return swOnly(apdu.SWWrongLength)
			}
		case 0x02: // change without the current PIN
			if a.pin == "" {
				return swOnly(apdu.SWReferencedDataNotFound)
			}
			pin, good := c.decipherNewPIN(a, body)
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
		value := body
		if obj.confidential {
			// Book 2 §9.3: the value travels enciphered; one that does not
			// decipher to the encipherment's form is refused.
			d, good := c.decipher(a, body)
			if !good {
				return swOnly(apdu.SWIncorrectData)
			}
			value = d
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
		if _, _, err := tlv.Single(body); err != nil {
			return swOnly(apdu.SWIncorrectData)
		}
		a.records[id] = append([]byte(nil), body...)
		return swOnly(apdu.SWOK)
	}
	return swOnly(apdu.SWINSNotSupported)
}

// decipherNewPIN deciphers the new PIN of PIN CHANGE: an ISO 9564 format
// 2 PIN block enciphered under the SMC session key as the card's
// encipherment says (Book 2 §9.3).
func (c *Card) decipherNewPIN(a *appState, body []byte) (string, bool) {
	block, good := c.decipher(a, body)
	if !good {
		return "", false
	}
	defer clear(block)
	return pinFromBlock(block)
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
