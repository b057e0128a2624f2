package tvr

import (
	"fmt"
	"strings"
)

// TVR is the Terminal Verification Results, tag 95 (Book 3 Annex C5).
// Byte 1 is TVR[0].
type TVR [5]byte

// TSI is the Transaction Status Information, tag 9B (Book 3 Annex C6).
type TSI [2]byte

// Bit names one bit of a TVR or TSI: the byte (1-based, as the books count)
// in the high byte and the mask in the low byte.
type Bit uint16

func bit(byteNum int, b int) Bit { return Bit(byteNum<<8 | 1<<(b-1)) }

// Byte returns the 1-based byte number the books use.
func (b Bit) Byte() int { return int(b >> 8) }

// Mask returns the bit's mask within its byte.
func (b Bit) Mask() byte { return byte(b) }

// Position returns the bit as the books write it: "byte 1 bit 8".
func (b Bit) Position() string {
	n := 0
	for m := b.Mask(); m != 0; m >>= 1 {
		n++
	}
	return fmt.Sprintf("byte %d bit %d", b.Byte(), n)
}

// TVR bits, EMV 4.4 Book 3 Annex C5 (Table 46). Bits the book marks RFU
// (byte 2 bit 3) or reserves for the contactless specifications (byte 5
// bits 4 and 1) are not named.
var (
	// Byte 1
	OfflineDataAuthNotPerformed = bit(1, 8)
	SDAFailed                   = bit(1, 7)
	ICCDataMissing              = bit(1, 6)
	CardOnExceptionFile         = bit(1, 5)
	DDAFailed                   = bit(1, 4)
	CDAFailed                   = bit(1, 3)
	SDASelected                 = bit(1, 2)
	// XDASelected: Extended Data Authentication (ECC, Book 2 4.4) was
	// the offline data authentication method selected. New in 4.4.
	XDASelected = bit(1, 1)
	// Byte 2
	DifferentApplicationVersions = bit(2, 8)
	ExpiredApplication           = bit(2, 7)
	ApplicationNotYetEffective   = bit(2, 6)
	ServiceNotAllowed            = bit(2, 5)
	NewCard                      = bit(2, 4)
	// BiometricPerformedSuccessful: a biometric CVM verified offline by
	// the ICC succeeded. New in 4.4.
	BiometricPerformedSuccessful = bit(2, 2)
	// BiometricTemplateFormatNotSupported: the terminal cannot use the
	// card's biometric template format. New in 4.4.
	BiometricTemplateFormatNotSupported = bit(2, 1)
	// Byte 3
	CardholderVerificationNotSuccessful = bit(3, 8)
	UnrecognisedCVM                     = bit(3, 7)
	PINTryLimitExceeded                 = bit(3, 6)
	PINPadNotPresentOrNotWorking        = bit(3, 5)
	PINNotEntered                       = bit(3, 4)
	// OnlineCVMCaptured: an online CVM (enciphered PIN or biometric for
	// the issuer) was captured. EMV 4.3 called this bit "Online PIN
	// entered"; 4.4 widened it to the online biometric CVMs.
	OnlineCVMCaptured = bit(3, 3)
	// BiometricCaptureDeviceNotWorking: a biometric CVM was required and
	// the biometric capture device is not present or not working. New in
	// 4.4.
	BiometricCaptureDeviceNotWorking = bit(3, 2)
	// BiometricSubtypeBypassed: a biometric CVM was required, the capture
	// device is present, but the biometric subtype entry was bypassed.
	// New in 4.4.
	BiometricSubtypeBypassed = bit(3, 1)
	// Byte 4
	FloorLimitExceeded                   = bit(4, 8)
	LowerConsecutiveOfflineLimitExceeded = bit(4, 7)
	UpperConsecutiveOfflineLimitExceeded = bit(4, 6)
	SelectedRandomlyForOnline            = bit(4, 5)
	MerchantForcedOnline                 = bit(4, 4)
	// BiometricTryLimitExceeded: the card's biometric try limit was
	// exceeded. New in 4.4.
	BiometricTryLimitExceeded = bit(4, 3)
	// BiometricTypeNotSupported: a biometric type the card selected is
	// not supported by the terminal. New in 4.4.
	BiometricTypeNotSupported = bit(4, 2)
	// XDAFailed: the XDA signature did not verify. New in 4.4.
	XDAFailed = bit(4, 1)
	// Byte 5
	DefaultTDOLUsed                   = bit(5, 8)
	IssuerAuthenticationFailed        = bit(5, 7)
	ScriptFailedBeforeFinalGenerateAC = bit(5, 6)
	ScriptFailedAfterFinalGenerateAC  = bit(5, 5)
	// CAECCKeyMissing: the terminal holds no ECC CA public key for the
	// card's RID and index. New in 4.4.
	CAECCKeyMissing = bit(5, 3)
	// ECCKeyRecoveryFailed: recovering the issuer or ICC ECC public key
	// from its certificate failed. New in 4.4.
	ECCKeyRecoveryFailed = bit(5, 2)
)

// TVR byte 5 bits of the contactless Kernel 2 (EMV Contactless Book C-2
// Annex A, TVR), for the relay resistance protocol. Book C-2 gives byte 5
// bits 4 to 1 meanings of its own, two of which EMV 4.4 gives the contact
// kernel for ECC (bits 3 and 2): in a Kernel 2 TVR these are the meanings,
// and they are not in [TVRBits], which names the contact kernel's TVR.
// Bits 2-1 are one field: 00 relay resistance protocol not supported, 01
// not performed, 10 performed.
const (
	RelayResistanceThresholdExceeded  = Bit(5<<8 | 0x08) // byte 5 bit 4
	RelayResistanceTimeLimitsExceeded = Bit(5<<8 | 0x04) // byte 5 bit 3
	RelayResistancePerformed          = Bit(5<<8 | 0x02) // byte 5 bits 2-1 = 10
	RelayResistanceNotPerformed       = Bit(5<<8 | 0x01) // byte 5 bits 2-1 = 01
)

// OnlinePINEntered is byte 3 bit 3 under its EMV 4.3 name.
//
// Deprecated: EMV 4.4 names the bit "Online CVM captured"; use
// [OnlineCVMCaptured].
var OnlinePINEntered = OnlineCVMCaptured

// TSI bits, EMV 4.4 Book 3 Annex C6 (Table 47). EMV 4.4 adds none: byte 1
// bits 2-1 and all of byte 2 stay RFU.
var (
	OfflineDataAuthPerformed        = bit(1, 8)
	CardholderVerificationPerformed = bit(1, 7)
	CardRiskManagementPerformed     = bit(1, 6)
	IssuerAuthenticationPerformed   = bit(1, 5)
	TerminalRiskManagementPerformed = bit(1, 4)
	ScriptProcessingPerformed       = bit(1, 3)
)

// TVRBits lists every named TVR bit with its name from EMV 4.4 Annex C5,
// in byte and bit order.
var TVRBits = []Named{
	{OfflineDataAuthNotPerformed, "Offline data authentication was not performed"},
	{SDAFailed, "SDA failed"},
	{ICCDataMissing, "ICC data missing"},
	{CardOnExceptionFile, "Card appears on terminal exception file"},
	{DDAFailed, "DDA failed"},
	{CDAFailed, "CDA failed"},
	{SDASelected, "SDA selected"},
	{XDASelected, "XDA selected"},
	{DifferentApplicationVersions, "ICC and terminal have different application versions"},
	{ExpiredApplication, "Expired application"},
	{ApplicationNotYetEffective, "Application not yet effective"},
	{ServiceNotAllowed, "Requested service not allowed for card product"},
	{NewCard, "New card"},
	{BiometricPerformedSuccessful, "Biometric performed and successful"},
	{BiometricTemplateFormatNotSupported, "Biometric template format not supported"},
	{CardholderVerificationNotSuccessful, "Cardholder verification was not successful"},
	{UnrecognisedCVM, "Unrecognised CVM"},
	{PINTryLimitExceeded, "PIN Try Limit exceeded"},
	{PINPadNotPresentOrNotWorking, "PIN entry required and PIN pad not present or not working"},
	{PINNotEntered, "PIN entry required, PIN pad present, but PIN was not entered"},
	{OnlineCVMCaptured, "Online CVM captured"},
	{BiometricCaptureDeviceNotWorking, "Biometric required but Biometric capture device not working"},
	{BiometricSubtypeBypassed, "Biometric required, Biometric capture device present, but Biometric Subtype entry was bypassed"},
	{FloorLimitExceeded, "Transaction exceeds floor limit"},
	{LowerConsecutiveOfflineLimitExceeded, "Lower consecutive offline limit exceeded"},
	{UpperConsecutiveOfflineLimitExceeded, "Upper consecutive offline limit exceeded"},
	{SelectedRandomlyForOnline, "Transaction selected randomly for online processing"},
	{MerchantForcedOnline, "Merchant forced transaction online"},
	{BiometricTryLimitExceeded, "Biometric Try Limit exceeded"},
	{BiometricTypeNotSupported, "A selected Biometric Type not supported"},
	{XDAFailed, "XDA signature verification failed"},
	{DefaultTDOLUsed, "Default TDOL used"},
	{IssuerAuthenticationFailed, "Issuer authentication failed"},
	{ScriptFailedBeforeFinalGenerateAC, "Script processing failed before final GENERATE AC"},
	{ScriptFailedAfterFinalGenerateAC, "Script processing failed after final GENERATE AC"},
	{CAECCKeyMissing, "CA ECC key missing"},
	{ECCKeyRecoveryFailed, "ECC key recovery failed"},
}

// TSIBits lists every named TSI bit with its name from Annex C6.
var TSIBits = []Named{
	{OfflineDataAuthPerformed, "Offline data authentication was performed"},
	{CardholderVerificationPerformed, "Cardholder verification was performed"},
	{CardRiskManagementPerformed, "Card risk management was performed"},
	{IssuerAuthenticationPerformed, "Issuer authentication was performed"},
	{TerminalRiskManagementPerformed, "Terminal risk management was performed"},
	{ScriptProcessingPerformed, "Script processing was performed"},
}

// Named pairs a bit with its name in the book.
type Named struct {
	Bit  Bit
	Name string
}

// Set sets bit b.
func (v *TVR) Set(b Bit) { v[b.Byte()-1] |= b.Mask() }

// Clear clears bit b.
func (v *TVR) Clear(b Bit) { v[b.Byte()-1] &^= b.Mask() }

// Has reports whether bit b is set.
func (v TVR) Has(b Bit) bool { return v[b.Byte()-1]&b.Mask() != 0 }

// Bits returns the names of the set bits, in byte and bit order; a set RFU
// bit is named by its position.
func (v TVR) Bits() []string { return names(v[:], TVRBits) }

// String returns the TVR in hex followed by the names of its set bits:
// "8000000000 [Offline data authentication was not performed]".
func (v TVR) String() string { return format(v[:], TVRBits) }

// Set sets bit b.
func (v *TSI) Set(b Bit) { v[b.Byte()-1] |= b.Mask() }

// Has reports whether bit b is set.
func (v TSI) Has(b Bit) bool { return v[b.Byte()-1]&b.Mask() != 0 }

// Bits returns the names of the set bits.
func (v TSI) Bits() []string { return names(v[:], TSIBits) }

// String returns the TSI in hex followed by the names of its set bits.
func (v TSI) String() string { return format(v[:], TSIBits) }

func names(v []byte, table []Named) []string {
	var out []string
	for i, by := range v {
		for m := byte(0x80); m != 0; m >>= 1 {
			if by&m == 0 {
				continue
			}
			b := Bit((i+1)<<8 | int(m))
			name := ""
			for _, n := range table {
				if n.Bit == b {
					name = n.Name
				}
			}
			if name == "" {
				name = "RFU " + b.Position()
			}
			out = append(out, name)
		}
	}
	return out
}

func format(v []byte, table []Named) string {
	n := names(v, table)
	if len(n) == 0 {
		return fmt.Sprintf("%X", v)
	}
	return fmt.Sprintf("%X [%s]", v, strings.Join(n, "; "))
}
