package apdu

import (
	"errors"
	"fmt"
)

// Instruction bytes of the commands EMV uses (Book 1 §11, Book 3 §6.5).
const (
	InsExternalAuthenticate byte = 0x82
	InsGenerateAC           byte = 0xAE
	InsGetChallenge         byte = 0x84
	InsGetData              byte = 0xCA
	InsGetProcessingOptions byte = 0xA8
	InsGetResponse          byte = 0xC0
	InsInternalAuthenticate byte = 0x88
	InsReadRecord           byte = 0xB2
	InsSelect               byte = 0xA4
	InsVerify               byte = 0x20
	InsApplicationBlock     byte = 0x1E
	InsApplicationUnblock   byte = 0x18
	InsCardBlock            byte = 0x16
	InsPINChangeUnblock     byte = 0x24
	InsPutData              byte = 0xDA
	InsUpdateRecord         byte = 0xDC
)

// Command is one command APDU (ISO 7816-4 §5.1).
type Command struct {
	CLA, INS, P1, P2 byte
	// Data is the command data field; nil or empty means no Lc and no data
	// (cases 1 and 2). At most 255 bytes.
	Data []byte
	// Le is the expected response length: 0 means no Le field (cases 1 and
	// 3); 1 to 256 is sent as one byte, 256 as 00 (cases 2 and 4).
	Le int
}

// MaxShortCommand is the length of the longest short command APDU: CLA INS
// P1 P2, Lc, 255 data bytes and Le (ISO 7816-4 §5.1).
const MaxShortCommand = 4 + 1 + 255 + 1

// ErrMalformedCommand is returned for a command that cannot be encoded or
// a byte string that is not a short command APDU.
var ErrMalformedCommand = errors.New("apdu: malformed command")

// Bytes encodes the command with short Lc and Le fields.
func (c Command) Bytes() ([]byte, error) {
	if len(c.Data) > 255 || c.Le < 0 || c.Le > 256 {
		return nil, fmt.Errorf("%w: %d data bytes, Le %d", ErrMalformedCommand, len(c.Data), c.Le)
	}
	return c.Append(make([]byte, 0, 6+len(c.Data)))
}

// Append is [Command.Bytes] appending to b: a caller that sends many
// commands may encode them all into one buffer of [MaxShortCommand] bytes.
func (c Command) Append(b []byte) ([]byte, error) {
	if len(c.Data) > 255 || c.Le < 0 || c.Le > 256 {
		return nil, fmt.Errorf("%w: %d data bytes, Le %d", ErrMalformedCommand, len(c.Data), c.Le)
	}
	b = append(b, c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		b = append(b, byte(len(c.Data)))
		b = append(b, c.Data...)
	}
	if c.Le > 0 {
		b = append(b, byte(c.Le)) // 256 encodes as 00
	}
	return b, nil
}

// ParseCommand decodes a short command APDU (cases 1 to 4, ISO 7816-4
// §5.1). Data is a sub-slice of b. An extended-length command (Lc 00
// followed by more bytes) is rejected: EMV uses short lengths only.
func ParseCommand(b []byte) (Command, error) {
	if len(b) < 4 {
		return Command{}, fmt.Errorf("%w: %d bytes", ErrMalformedCommand, len(b))
	}
	c := Command{CLA: b[0], INS: b[1], P1: b[2], P2: b[3]}
	hasLe, hasData, ok := shortCase(b)
	body := b[4:]
	switch {
	case !ok && body[0] == 0:
		return Command{}, fmt.Errorf("%w: Lc 00 with %d bytes following", ErrMalformedCommand, len(body)-1)
	case !ok:
		return Command{}, fmt.Errorf("%w: Lc %d does not match %d body bytes", ErrMalformedCommand, body[0], len(body))
	}
	n := 0
	if hasData {
		// The full slice expression keeps an append to Data from
		// overwriting the Le byte of b.
		n = int(body[0])
		c.Data = body[1 : 1+n : 1+n]
	}
	if hasLe {
		c.Le = leValue(body[len(body)-1])
	}
	return c, nil
}

// shortCase reads which of the four cases of ISO/IEC 7816-4 §5.1 an
// encoded short command of at least 4 bytes is: whether it has an Le field
// (cases 2 and 4) and a data field (cases 3 and 4), and whether it is any
// of them (ok false: Lc 00, or Lc and the body's length disagree).
// [ParseCommand] reads a command by it, and [T0] asks it of every command
// without building a Command.
func shortCase(b []byte) (hasLe, hasData, ok bool) {
	switch body := len(b) - 4; {
	case body < 0:
		return false, false, false
	case body == 0: // case 1
		return false, false, true
	case body == 1: // case 2
		return true, false, true
	default:
		lc := int(b[4])
		switch {
		case lc == 0:
			return false, false, false
		case body == 1+lc: // case 3
			return false, true, true
		case body == 2+lc: // case 4
			return true, true, true
		}
		return false, false, false
	}
}

func leValue(b byte) int {
	if b == 0 {
		return 256
	}
	return int(b)
}

// Name returns the command's name from its CLA and INS ("SELECT",
// "GENERATE AC"), or "INS xx" for one EMV does not define.
func (c Command) Name() string {
	switch c.INS {
	case InsExternalAuthenticate:
		return "EXTERNAL AUTHENTICATE"
	case InsGenerateAC:
		return "GENERATE AC"
	case InsGetChallenge:
		return "GET CHALLENGE"
	case InsGetData:
		return "GET DATA"
	case InsGetProcessingOptions:
		return "GET PROCESSING OPTIONS"
	case InsGetResponse:
		return "GET RESPONSE"
	case InsInternalAuthenticate:
		return "INTERNAL AUTHENTICATE"
	case InsReadRecord:
		return "READ RECORD"
	case InsSelect:
		return "SELECT"
	case InsVerify:
		return "VERIFY"
	case InsApplicationBlock:
		return "APPLICATION BLOCK"
	case InsApplicationUnblock:
		return "APPLICATION UNBLOCK"
	case InsCardBlock:
		return "CARD BLOCK"
	case InsPINChangeUnblock:
		return "PIN CHANGE/UNBLOCK"
	case InsPutData:
		return "PUT DATA"
	case InsUpdateRecord:
		return "UPDATE RECORD"
	}
	return fmt.Sprintf("INS %02X", c.INS)
}

// Sensitive reports whether the command's data must never be shown or
// recorded: VERIFY carries a PIN block, PIN CHANGE/UNBLOCK may carry a new PIN.
func (c Command) Sensitive() bool {
	return c.INS == InsVerify || c.INS == InsPINChangeUnblock
}

// Redacted returns c with the data of a [Command.Sensitive] command
// replaced by as many zero bytes: the header, Lc and Le survive, nothing of
// the PIN block does. Other commands are returned unchanged.
func (c Command) Redacted() Command {
	if c.Sensitive() && len(c.Data) > 0 {
		c.Data = make([]byte, len(c.Data))
	}
	return c
}

// String describes the command in hex, with the data of a [Command.Sensitive]
// command replaced by its length.
func (c Command) String() string {
	s := fmt.Sprintf("%s %02X%02X%02X%02X", c.Name(), c.CLA, c.INS, c.P1, c.P2)
	if len(c.Data) > 0 {
		if c.Sensitive() {
			s += fmt.Sprintf(" Lc=%02X [%d bytes redacted]", len(c.Data), len(c.Data))
		} else {
			s += fmt.Sprintf(" Lc=%02X %X", len(c.Data), c.Data)
		}
	}
	if c.Le > 0 {
		s += fmt.Sprintf(" Le=%02X", byte(c.Le))
	}
	return s
}

// GoString is like String: %#v of a Command, or of a value holding one
// (a [*StatusError]), never shows the data of a sensitive command.
func (c Command) GoString() string { return "apdu.Command(" + c.String() + ")" }

// Format makes every fmt verb (%v, %x, %d, %#v, ...) print [Command.String]
// or [Command.GoString], so no verb reaches the raw data of a sensitive
// command.
func (c Command) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// Select returns SELECT by DF name (Book 1 §11.3): the first occurrence, or
// with next set, the next occurrence (P2 02) for partial-name selection.
func Select(name []byte, next bool) Command {
	c := Command{CLA: 0x00, INS: InsSelect, P1: 0x04, P2: 0x00, Data: name, Le: 256}
	if next {
		c.P2 = 0x02
	}
	return c
}

// ReadRecord returns READ RECORD of one record of a short file (Book 1
// §11.2): P1 is the record number, P2 is the SFI in bits 8-4 with 100 in
// bits 3-1 ("P1 is a record number"). sfi must be 1 to 30 (Book 3 §10.2
// checks the AFL before reading); larger values do not fit in P2.
func ReadRecord(sfi, record byte) Command {
	return Command{CLA: 0x00, INS: InsReadRecord, P1: record, P2: sfi<<3 | 0x04, Le: 256}
}

// GetProcessingOptions returns GET PROCESSING OPTIONS (Book 3 §6.5.8) with
// the PDOL-related data wrapped in its command template 83.
func GetProcessingOptions(pdolData []byte) Command {
	return GetProcessingOptionsIn(nil, pdolData)
}

// GetProcessingOptionsIn is [GetProcessingOptions] with the command
// template built in the free room of buf (after its length) when it fits
// there, else in a new slice: for a kernel that keeps a transaction's
// small values in one work space.
func GetProcessingOptionsIn(buf, pdolData []byte) Command {
	data := buf[len(buf):]
	if cap(data) < 3+len(pdolData) {
		data = make([]byte, 0, 3+len(pdolData))
	}
	data = append(data, 0x83)
	if len(pdolData) >= 0x80 {
		data = append(data, 0x81)
	}
	data = append(data, byte(len(pdolData)))
	data = append(data, pdolData...)
	return Command{CLA: 0x80, INS: InsGetProcessingOptions, Data: data, Le: 256}
}

// Reference control parameter bits of GENERATE AC P1 (Book 3 §6.5.5.2).
const (
	RefAAC  byte = 0x00 // application authentication cryptogram
	RefTC   byte = 0x40 // transaction certificate
	RefARQC byte = 0x80 // authorisation request cryptogram
	RefCDA  byte = 0x10 // CDA signature requested
)

// GenerateAC returns GENERATE AC (Book 3 §6.5.5) with the reference control
// parameter p1 (RefAAC, RefTC or RefARQC, ORed with RefCDA) and the CDOL data.
func GenerateAC(p1 byte, cdolData []byte) Command {
	return Command{CLA: 0x80, INS: InsGenerateAC, P1: p1, Data: cdolData, Le: 256}
}

// GetData returns GET DATA for a primitive data object such as 9F36 (ATC),
// 9F13 (Last Online ATC Register) or 9F17 (PIN Try Counter) (Book 3 §6.5.7).
func GetData(tag uint16) Command {
	return Command{CLA: 0x80, INS: InsGetData, P1: byte(tag >> 8), P2: byte(tag), Le: 256}
}

// InternalAuthenticate returns INTERNAL AUTHENTICATE with the DDOL data
// (Book 3 §6.5.9).
func InternalAuthenticate(ddolData []byte) Command {
	return Command{CLA: 0x00, INS: InsInternalAuthenticate, Data: ddolData, Le: 256}
}

// ExternalAuthenticate returns EXTERNAL AUTHENTICATE with the Issuer
// Authentication Data (Book 3 §6.5.4).
func ExternalAuthenticate(issuerAuthData []byte) Command {
	return Command{CLA: 0x00, INS: InsExternalAuthenticate, Data: issuerAuthData}
}

// GetChallenge returns GET CHALLENGE (Book 3 §6.5.6), which answers an
// 8-byte unpredictable number.
func GetChallenge() Command {
	return Command{CLA: 0x00, INS: InsGetChallenge, Le: 256}
}

// VERIFY P2 qualifiers (Book 3 §6.5.12).
const (
	VerifyPlaintextPIN  byte = 0x80
	VerifyEncipheredPIN byte = 0x88
)

// Verify returns VERIFY with the given qualifier and PIN data: a plaintext
// PIN block (P2 80) or an enciphered PIN (P2 88). Its data never reaches a
// trace or a log (see [Command.Sensitive]).
func Verify(p2 byte, pinData []byte) Command {
	return Command{CLA: 0x00, INS: InsVerify, P2: p2, Data: pinData}
}
