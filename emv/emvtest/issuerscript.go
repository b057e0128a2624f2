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
	// Format is the secure messaging format of the commands (Book 2
	// §9.2.1): [SMFormat1] (CLA 8C, BER-TLV data objects) or
	// [SMFormat2] (CLA 84); the zero value is format 2.
	Format SMFormat
}

// ScriptCommand is an issuer script command before secure messaging: the
// issuer sets the class of its script's format (84 or 8C), enciphers a new
// PIN or confidential data and adds the MAC (Book 2 §9).
type ScriptCommand struct {
	INS, P1, P2 byte
	Data        []byte // plaintext data (for PIN CHANGE: the new PIN digits as ASCII)
	// Confidential: Data is enciphered under the SMC session key before
	// the MAC is computed (Book 2 §9.3). PIN CHANGE with P2 02 always is.
	Confidential bool
	// Fault makes the issuer send this command wrong on purpose, to test
	// how a card refuses it; the zero value sends it right.
	Fault SMFault
}

// SMFault is a deliberate secure messaging fault in a script command.
type SMFault byte

// The faults the virtual issuer can put in a script command.
const (
	// SMFaultNone: the command as Book 2 §9 makes it.
	SMFaultNone SMFault = iota
	// SMFaultTamperedMAC: the last bit of the MAC inverted.
	SMFaultTamperedMAC
	// SMFaultNoMAC: format 1 only, the MAC object 8E left out.
	SMFaultNoMAC
	// SMFaultPadIndicator: format 1 only, for enciphered data, the other
	// padding-content indicator (02 for 01, 01 for 02) in object 87,
	// MACed as sent, so that only the indicator is wrong.
	SMFaultPadIndicator
)

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
	if !s.Format.valid() {
		return nil, fmt.Errorf("emvtest: secure messaging format %d, want 1 or 2", s.Format)
	}
	var body []byte
	if s.ID != nil {
		body = tlv.AppendTLV(body, 0x9F18, s.ID)
	}
	for _, c := range s.Commands {
		cmd, err := s.command(c, skSMI, k, p, e)
		if err != nil {
			return nil, err
		}
		body = tlv.AppendTLV(body, 0x86, cmd)
	}
	return tlv.AppendTLV(nil, s.Template, body), nil
}

// command builds one script command under the script's secure messaging
// format (Book 2 §9.2, §9.3).
func (s Script) command(c ScriptCommand, skSMI []byte, k *cardKeys, p *parsed, e Encipherment) ([]byte, error) {
	f := s.Format
	if f == 0 {
		f = SMFormat2
	}
	if f != SMFormat1 && (c.Fault == SMFaultNoMAC || c.Fault == SMFaultPadIndicator) {
		return nil, fmt.Errorf("emvtest: secure messaging fault %d is for format 1 only", c.Fault)
	}
	data, plainLen := c.Data, len(c.Data)
	enciphered := false
	var err error
	switch {
	case c.INS == apdu.InsPINChangeUnblock && c.P2 == 0x02:
		data, err = encipherPIN(k, p, e, string(c.Data))
		enciphered, plainLen = true, 8 // the PIN block
	case c.Confidential:
		data, err = encipherData(k, p, e, c.Data)
		enciphered = true
	}
	if err != nil {
		return nil, err
	}
	if f == SMFormat1 {
		// Book 2 §9.2.1.1, §9.3.1: the data as object 81, or enciphered as
		// object 87 after its padding-content indicator; then 8E.
		var field []byte
		switch {
		case enciphered:
			pi := padIndicator(e, plainLen)
			if c.Fault == SMFaultPadIndicator {
				pi ^= piPadded ^ piNoPadded
			}
			field = tlv.AppendTLV(nil, smTagCryptogram, append([]byte{pi}, data...))
		case c.Fault == SMFaultPadIndicator:
			return nil, fmt.Errorf("emvtest: padding indicator fault on a command without enciphered data")
		case len(data) > 0:
			field = tlv.AppendTLV(nil, smTagPlain, data)
		}
		if len(field)+2+scriptMACLen > 255 {
			return nil, fmt.Errorf("emvtest: script command data of %d bytes is too long", len(data))
		}
		header := []byte{f.cla(), c.INS, c.P1, c.P2, byte(len(field) + 2 + scriptMACLen)}
		m, err := scriptMAC(skSMI, SMFormat1, header, p.atc, p.ac, field)
		if err != nil {
			return nil, err
		}
		if c.Fault == SMFaultNoMAC {
			header[4] = byte(len(field))
		} else {
			if c.Fault == SMFaultTamperedMAC {
				m[len(m)-1] ^= 0x01
			}
			field = tlv.AppendTLV(field, smTagMAC, m)
		}
		return append(append([]byte(nil), header...), field...), nil
	}
	if len(data)+scriptMACLen > 255 {
		return nil, fmt.Errorf("emvtest: script command data of %d bytes is too long", len(data))
	}
	header := []byte{f.cla(), c.INS, c.P1, c.P2, byte(len(data) + scriptMACLen)}
	m, err := scriptMAC(skSMI, SMFormat2, header, p.atc, p.ac, data)
	if err != nil {
		return nil, err
	}
	if c.Fault == SMFaultTamperedMAC {
		m[len(m)-1] ^= 0x01
	}
	return append(append(append([]byte(nil), header...), data...), m...), nil
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
