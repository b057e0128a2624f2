package cvm

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Code is a CVM code: bits 6-1 of byte 1 of a CV Rule (Book 3 Annex C3,
// Table C-1). Bit 7 of that byte ("apply succeeding CV Rule") and bit 8
// (RFU) are not part of the code; see [Rule].
type Code byte

// CVM codes of EMV 4.4 Book 3 Annex C3 (Table 43). 06 to 0F are the
// biometric CVMs EMV 4.4 added; see [Code.Biometric].
const (
	FailCVM                        Code = 0x00 // Fail CVM processing
	PlaintextPINByICC              Code = 0x01 // Plaintext PIN verification performed by ICC
	EncipheredPINOnline            Code = 0x02 // Enciphered PIN verified online
	PlaintextPINByICCAndSignature  Code = 0x03 // Plaintext PIN verification performed by ICC and signature (paper)
	EncipheredPINByICC             Code = 0x04 // Enciphered PIN verification performed by ICC
	EncipheredPINByICCAndSignature Code = 0x05 // Enciphered PIN verification performed by ICC and signature (paper)
	FacialBiometricOffline         Code = 0x06 // Facial biometric verified offline (by ICC)
	FacialBiometricOnline          Code = 0x07 // Facial biometric verified online
	FingerBiometricOffline         Code = 0x08 // Finger biometric verified offline (by ICC)
	FingerBiometricOnline          Code = 0x09 // Finger biometric verified online
	PalmBiometricOffline           Code = 0x0A // Palm biometric verified offline (by ICC)
	PalmBiometricOnline            Code = 0x0B // Palm biometric verified online
	IrisBiometricOffline           Code = 0x0C // Iris biometric verified offline (by ICC)
	IrisBiometricOnline            Code = 0x0D // Iris biometric verified online
	VoiceBiometricOffline          Code = 0x0E // Voice biometric verified offline (by ICC)
	VoiceBiometricOnline           Code = 0x0F // Voice biometric verified online
	Signature                      Code = 0x1E // Signature (paper)
	NoCVMRequired                  Code = 0x1F // No CVM required
	// NoCVMPerformed is not a CV Rule code: it fills byte 1 of the CVM
	// Results when no CVM was performed (Book 4 Annex A4, tag 9F34).
	NoCVMPerformed Code = 0x3F
)

var codeNames = [...]string{
	FailCVM:                        "Fail CVM processing",
	PlaintextPINByICC:              "Plaintext PIN verification performed by ICC",
	EncipheredPINOnline:            "Enciphered PIN verified online",
	PlaintextPINByICCAndSignature:  "Plaintext PIN verification performed by ICC and signature (paper)",
	EncipheredPINByICC:             "Enciphered PIN verification performed by ICC",
	EncipheredPINByICCAndSignature: "Enciphered PIN verification performed by ICC and signature (paper)",
	FacialBiometricOffline:         "Facial biometric verified offline (by ICC)",
	FacialBiometricOnline:          "Facial biometric verified online",
	FingerBiometricOffline:         "Finger biometric verified offline (by ICC)",
	FingerBiometricOnline:          "Finger biometric verified online",
	PalmBiometricOffline:           "Palm biometric verified offline (by ICC)",
	PalmBiometricOnline:            "Palm biometric verified online",
	IrisBiometricOffline:           "Iris biometric verified offline (by ICC)",
	IrisBiometricOnline:            "Iris biometric verified online",
	VoiceBiometricOffline:          "Voice biometric verified offline (by ICC)",
	VoiceBiometricOnline:           "Voice biometric verified online",
}

// Known reports whether the code is one EMV 4.4 defines (00-0F, 1E, 1F):
// the terminal recognises it. Every other code (RFU 10-1D, payment system
// 20-2F, issuer 30-3E) is unrecognised (Book 3 §10.5: the "Unrecognised
// CVM" TVR bit). A recognised code the terminal does not support is a
// different case: no "Unrecognised CVM", the rule is just not performed.
func (c Code) Known() bool {
	return c <= VoiceBiometricOnline || c == Signature || c == NoCVMRequired
}

// String names the code as Book 3 Annex C3 does; codes in the reserved
// ranges are named by their range.
func (c Code) String() string {
	c &= 0x3F
	switch {
	case int(c) < len(codeNames):
		return codeNames[c]
	case c == Signature:
		return "Signature (paper)"
	case c == NoCVMRequired:
		return "No CVM required"
	case c == NoCVMPerformed:
		return "No CVM performed"
	case c >= 0x30:
		return fmt.Sprintf("Issuer CVM %02X", byte(c))
	case c >= 0x20:
		return fmt.Sprintf("Payment system CVM %02X", byte(c))
	}
	return fmt.Sprintf("RFU CVM %02X", byte(c))
}

// offlinePIN reports whether the CVM is verified by the card (VERIFY).
func (c Code) offlinePIN() bool {
	switch c {
	case PlaintextPINByICC, PlaintextPINByICCAndSignature, EncipheredPINByICC, EncipheredPINByICCAndSignature:
		return true
	}
	return false
}

// enciphered reports whether an offline PIN CVM sends the PIN enciphered
// (VERIFY P2 88).
func (c Code) enciphered() bool {
	return c == EncipheredPINByICC || c == EncipheredPINByICCAndSignature
}

// withSignature reports whether the CVM also requires a paper signature.
func (c Code) withSignature() bool {
	return c == PlaintextPINByICCAndSignature || c == EncipheredPINByICCAndSignature || c == Signature
}

// pinEntry reports whether the CVM needs the cardholder to enter a PIN.
func (c Code) pinEntry() bool { return c.offlinePIN() || c == EncipheredPINOnline }

// Condition is a CVM Condition Code: byte 2 of a CV Rule (Book 3 Annex C3,
// Table C-2).
type Condition byte

// CVM condition codes of Book 3 Annex C3. 0A-7F are RFU; 80-FF are reserved
// for the payment systems. A terminal understands neither and skips the
// rule (Book 3 §10.5).
const (
	Always                 Condition = 0x00
	IfUnattendedCash       Condition = 0x01
	IfNotCashOrCashback    Condition = 0x02 // not unattended cash, not manual cash, not purchase with cashback
	IfTerminalSupportsCVM  Condition = 0x03
	IfManualCash           Condition = 0x04
	IfPurchaseWithCashback Condition = 0x05
	IfAppCurrencyAndUnderX Condition = 0x06
	IfAppCurrencyAndOverX  Condition = 0x07
	IfAppCurrencyAndUnderY Condition = 0x08
	IfAppCurrencyAndOverY  Condition = 0x09
)

var conditionNames = [...]string{
	Always:                 "Always",
	IfUnattendedCash:       "If unattended cash",
	IfNotCashOrCashback:    "If not unattended cash and not manual cash and not purchase with cashback",
	IfTerminalSupportsCVM:  "If terminal supports the CVM",
	IfManualCash:           "If manual cash",
	IfPurchaseWithCashback: "If purchase with cashback",
	IfAppCurrencyAndUnderX: "If transaction is in the application currency and is under X value",
	IfAppCurrencyAndOverX:  "If transaction is in the application currency and is over X value",
	IfAppCurrencyAndUnderY: "If transaction is in the application currency and is under Y value",
	IfAppCurrencyAndOverY:  "If transaction is in the application currency and is over Y value",
}

// Known reports whether the terminal understands the condition (00-09).
func (c Condition) Known() bool { return int(c) < len(conditionNames) }

// String names the condition as Book 3 Annex C3 does.
func (c Condition) String() string {
	switch {
	case c.Known():
		return conditionNames[c]
	case c >= 0x80:
		return fmt.Sprintf("Payment system condition %02X", byte(c))
	}
	return fmt.Sprintf("RFU condition %02X", byte(c))
}

// Rule is one Cardholder Verification Rule, two bytes (Book 3 §10.5 and
// Annex C3).
type Rule struct {
	// Method is byte 1 as the card wrote it: bit 7 (40) is "apply
	// succeeding CV Rule if this CVM is unsuccessful", bits 6-1 the CVM
	// code, bit 8 RFU. The CVM Results copy it unchanged.
	Method byte
	// Condition is byte 2.
	Condition Condition
}

// ApplySucceedingBit is bit 7 of CV Rule byte 1.
const ApplySucceedingBit = 0x40

// Code returns the CVM code, bits 6-1 of byte 1.
func (r Rule) Code() Code { return Code(r.Method & 0x3F) }

// ApplySucceeding reports whether the next CV Rule applies when this CVM is
// unsuccessful (bit 7 of byte 1 set); otherwise cardholder verification
// fails (Book 3 Annex C3).
func (r Rule) ApplySucceeding() bool { return r.Method&ApplySucceedingBit != 0 }

// String describes the rule: "5E03 Signature (paper); If terminal supports
// the CVM; apply succeeding CV Rule if unsuccessful".
func (r Rule) String() string {
	s := fmt.Sprintf("%02X%02X %s; %s", r.Method, byte(r.Condition), r.Code(), r.Condition)
	if r.ApplySucceeding() {
		return s + "; apply succeeding CV Rule if unsuccessful"
	}
	return s + "; fail cardholder verification if unsuccessful"
}

// List is a decoded CVM List, tag 8E (Book 3 §10.5).
type List struct {
	// X and Y are the two amount fields, binary, in the minor units of
	// the Application Currency Code (9F42).
	X, Y uint32
	// Rules are the CV Rules in the card's order of preference.
	Rules []Rule
}

// MaxListLen is the longest CVM List Book 3 Annex A allows (var. up to
// 252 bytes: X, Y and 122 CV Rules). Longer lists are refused, which also
// bounds the number of rules a card can make the terminal process.
const MaxListLen = 252

// Errors of [ParseList]; compare with errors.Is.
var (
	// ErrListTooShort: fewer than the 8 bytes of amounts X and Y.
	ErrListTooShort = errors.New("shorter than amounts X and Y")
	// ErrOddRules: the CV Rules part has an odd length (a rule is 2 bytes).
	ErrOddRules = errors.New("CV Rules part has an odd length")
	// ErrListTooLong: longer than [MaxListLen].
	ErrListTooLong = errors.New("longer than 252 bytes")
)

// ListError reports a CVM List that is not well formed.
type ListError struct {
	Len int   // length of the list value
	Err error // ErrListTooShort, ErrOddRules or ErrListTooLong
}

func (e *ListError) Error() string {
	return fmt.Sprintf("cvm: CVM List (8E) of %d bytes: %v", e.Len, e.Err)
}

func (e *ListError) Unwrap() error { return e.Err }

// ParseList decodes the value of a CVM List (8E): amount X (4 bytes),
// amount Y (4 bytes), then two-byte CV Rules. A list of exactly 8 bytes is
// well formed and has no rules; Book 3 §10.5 treats it like an absent list,
// and so does [Perform]. A list shorter than 8 bytes, longer than
// [MaxListLen], or with an odd trailing byte is not a CVM List as Book 3
// defines it: ParseList returns a [*ListError] and an empty List.
func ParseList(b []byte) (List, error) { return appendList(nil, b) }

// appendList is [ParseList] with the rules appended to rules, which a
// caller that parses one list a transaction keeps in its own state.
func appendList(rules []Rule, b []byte) (List, error) {
	if err := listLengthError(len(b)); err != nil {
		return List{}, &ListError{Len: len(b), Err: err}
	}
	l := List{X: binary.BigEndian.Uint32(b[0:4]), Y: binary.BigEndian.Uint32(b[4:8])}
	if n := (len(b) - 8) / 2; n > 0 {
		if cap(rules)-len(rules) < n {
			rules = make([]Rule, 0, n)
		}
		for i := range n {
			rules = append(rules, Rule{Method: b[8+2*i], Condition: Condition(b[9+2*i])})
		}
		l.Rules = rules[:len(rules):len(rules)]
	}
	return l, nil
}

// listLengthError returns why a CVM List of n bytes is malformed, nil
// when its length is one (Book 3 §10.5: X and Y, then two bytes a rule;
// Annex A: at most 252 bytes).
func listLengthError(n int) error {
	switch {
	case n < 8:
		return ErrListTooShort
	case n > MaxListLen:
		return ErrListTooLong
	case n%2 != 0:
		return ErrOddRules
	}
	return nil
}

// ListHasCode reports whether the CVM List value b is well formed (see
// [ParseList]) and names one of codes in a CV Rule: what a kernel asks
// before cardholder verification (is an offline enciphered PIN key
// needed?) without decoding the list.
func ListHasCode(b []byte, codes ...Code) bool {
	if listLengthError(len(b)) != nil {
		return false
	}
	for i := 8; i < len(b); i += 2 {
		c := Rule{Method: b[i]}.Code()
		for _, want := range codes {
			if c == want {
				return true
			}
		}
	}
	return false
}

// Bytes encodes the list as the value of tag 8E.
func (l List) Bytes() []byte {
	b := make([]byte, 8, 8+2*len(l.Rules))
	binary.BigEndian.PutUint32(b[0:4], l.X)
	binary.BigEndian.PutUint32(b[4:8], l.Y)
	for _, r := range l.Rules {
		b = append(b, r.Method, byte(r.Condition))
	}
	return b
}
