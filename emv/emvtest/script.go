package emvtest

import (
	"bytes"

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
// MAC (Lc counts the MAC). Enciphered data (PIN CHANGE) is 3DES ECB under
// the SMC session key (same derivation from the ICC SMC master key) of
// 08 || PIN block || 80 00 .. 00 (Book 2 §9.3, the length-prefixed
// variant).
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
		switch tag {
		case 0x9F14, 0x9F23:
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
		return swOnly(apdu.SWReferencedDataNotFound)
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

// decipherNewPIN deciphers the new PIN of PIN CHANGE: 3DES ECB under the
// SMC session key of 08 || ISO 9564 format 2 PIN block || 80 00 ..
func (c *Card) decipherNewPIN(a *appState, body []byte) (string, bool) {
	if len(body) != 16 {
		return "", false
	}
	sk, err := sessionKey(a.perso.mkSMC, a.tx.ac)
	if err != nil {
		return "", false
	}
	plain, err := tdesDecrypt(sk, body)
	if err != nil {
		return "", false
	}
	defer clear(plain)
	if plain[0] != 0x08 || plain[9] != 0x80 || !allZero(plain[10:]) {
		return "", false
	}
	return pinFromBlock(plain[1:9])
}
