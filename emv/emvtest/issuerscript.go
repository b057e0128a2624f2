package emvtest

import (
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Script is one issuer script (Book 3 §10.10): template 71 (sent to the
// card before the final GENERATE AC) or 72 (after it), an optional Issuer
// Script Identifier (9F18) and the commands (86), each MACed by the issuer
// for the transaction it answers.
type Script struct {
	Template tlv.Tag // 0x71 or 0x72
	ID       []byte  // 9F18, 4 bytes, or nil
	Commands []ScriptCommand
}

// ScriptCommand is an issuer script command before secure messaging: the
// issuer sets CLA 84, enciphers a new PIN or confidential data and appends
// the MAC (Book 2 §9).
type ScriptCommand struct {
	INS, P1, P2 byte
	Data        []byte // plaintext data (for PIN CHANGE: the new PIN digits as ASCII)
	// Confidential: Data is enciphered under the SMC session key before
	// the MAC is computed (Book 2 §9.3). PIN CHANGE with P2 02 always is.
	Confidential bool
}

// ApplicationBlock returns APPLICATION BLOCK (Book 3 §6.5.1).
func ApplicationBlock() ScriptCommand { return ScriptCommand{INS: apdu.InsApplicationBlock} }

// ApplicationUnblock returns APPLICATION UNBLOCK (Book 3 §6.5.2).
func ApplicationUnblock() ScriptCommand { return ScriptCommand{INS: apdu.InsApplicationUnblock} }

// CardBlock returns CARD BLOCK (Book 3 §6.5.3).
func CardBlock() ScriptCommand { return ScriptCommand{INS: apdu.InsCardBlock} }

// PINUnblock returns PIN CHANGE/UNBLOCK with P2 00: reset the PIN try
// counter (Book 3 §6.5.10).
func PINUnblock() ScriptCommand { return ScriptCommand{INS: apdu.InsPINChangeUnblock} }

// PINChange returns PIN CHANGE/UNBLOCK with P2 02: set a new PIN without
// the current one; the issuer enciphers it (Book 2 §9.3).
func PINChange(newPIN string) ScriptCommand {
	return ScriptCommand{INS: apdu.InsPINChangeUnblock, P2: 0x02, Data: []byte(newPIN)}
}

// PutData returns PUT DATA of a primitive data object (Book 3 §6.5.13
// lists none; issuers update 9F14 and 9F23 this way).
func PutData(tag uint16, value []byte) ScriptCommand {
	return ScriptCommand{INS: apdu.InsPutData, P1: byte(tag >> 8), P2: byte(tag), Data: value}
}

// PutDataConfidential returns PUT DATA of a primitive data object whose
// value the issuer enciphers (Book 2 §9.3), for the objects a card keeps
// confidential.
func PutDataConfidential(tag uint16, value []byte) ScriptCommand {
	c := PutData(tag, value)
	c.Confidential = true
	return c
}

// UpdateRecord returns UPDATE RECORD of one record, record being the whole
// new record (normally a template 70).
func UpdateRecord(sfi, number byte, record []byte) ScriptCommand {
	return ScriptCommand{INS: apdu.InsUpdateRecord, P1: number, P2: sfi<<3 | 4, Data: record}
}

// maxScriptCommands bounds the commands of one script.
const maxScriptCommands = 16

// encode builds the script template with MACed commands for one request.
func (s Script) encode(k *cardKeys, p *parsed, e Encipherment) ([]byte, error) {
	if s.Template != 0x71 && s.Template != 0x72 {
		return nil, fmt.Errorf("emvtest: script template %s, want 71 or 72", s.Template)
	}
	if s.ID != nil && len(s.ID) != 4 {
		return nil, fmt.Errorf("emvtest: script identifier of %d bytes, want 4", len(s.ID))
	}
	if len(s.Commands) > maxScriptCommands {
		return nil, fmt.Errorf("emvtest: %d script commands, at most %d", len(s.Commands), maxScriptCommands)
	}
	skSMI, err := sessionKey(k.mkSMI, p.ac)
	if err != nil {
		return nil, err
	}
	var body []byte
	if s.ID != nil {
		body = tlv.AppendTLV(body, 0x9F18, s.ID)
	}
	for _, c := range s.Commands {
		data := c.Data
		switch {
		case c.INS == apdu.InsPINChangeUnblock && c.P2 == 0x02:
			data, err = encipherPIN(k, p, e, string(c.Data))
		case c.Confidential:
			data, err = encipherData(k, p, e, c.Data)
		}
		if err != nil {
			return nil, err
		}
		if len(data)+scriptMACLen > 255 {
			return nil, fmt.Errorf("emvtest: script command data of %d bytes is too long", len(data))
		}
		header := []byte{0x84, c.INS, c.P1, c.P2, byte(len(data) + scriptMACLen)}
		m, err := scriptMAC(skSMI, header, p.atc, p.ac, data)
		if err != nil {
			return nil, err
		}
		cmd := append(append(append([]byte(nil), header...), data...), m...)
		body = tlv.AppendTLV(body, 0x86, cmd)
	}
	return tlv.AppendTLV(nil, s.Template, body), nil
}

// encipherPIN builds the enciphered new PIN of PIN CHANGE: the ISO 9564
// format 2 PIN block enciphered under the SMC session key (Book 2 §9.3).
func encipherPIN(k *cardKeys, p *parsed, e Encipherment, pin string) ([]byte, error) {
	if !isDigits(pin) || len(pin) < 4 || len(pin) > 12 {
		return nil, fmt.Errorf("emvtest: new PIN must be 4 to 12 digits")
	}
	block := formatTwoPINBlock(pin)
	defer clear(block)
	return encipherData(k, p, e, block)
}

// encipherData enciphers confidential script data under the SMC session
// key of the transaction (R = its application cryptogram, Book 2 A1.3).
func encipherData(k *cardKeys, p *parsed, e Encipherment, d []byte) ([]byte, error) {
	sk, err := sessionKey(k.mkSMC, p.ac)
	if err != nil {
		return nil, err
	}
	return smEncipher(sk, e, d)
}

// formatTwoPINBlock builds an ISO 9564 format 2 PIN block: 2, N, the PIN
// digits, F fill.
func formatTwoPINBlock(pin string) []byte {
	b := make([]byte, 8)
	nib := make([]byte, 16)
	nib[0] = 2
	nib[1] = byte(len(pin))
	for i := 2; i < 16; i++ {
		nib[i] = 0x0F
	}
	for i, c := range pin {
		nib[2+i] = byte(c - '0')
	}
	for i := range b {
		b[i] = nib[2*i]<<4 | nib[2*i+1]
	}
	return b
}
