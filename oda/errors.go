package oda

import (
	"errors"
	"fmt"
)

// Method names the offline data authentication method (or the PIN
// encipherment step) a check belongs to.
type Method uint8

// The methods of Book 2, plus the contactless fDDA variant and offline PIN
// encipherment.
const (
	SDA  Method = iota + 1 // Static Data Authentication, Book 2 §5
	DDA                    // Dynamic Data Authentication, Book 2 §6.5
	CDA                    // Combined DDA/Application Cryptogram Generation, Book 2 §6.6
	FDDA                   // fast DDA of the contactless kernels (Book C-3)
	PIN                    // offline PIN encipherment, Book 2 §7
	XDA                    // Extended Data Authentication (ECC), Book 2 §12
)

var methodNames = [...]string{SDA: "SDA", DDA: "DDA", CDA: "CDA", FDDA: "fDDA", PIN: "PIN", XDA: "XDA"}

// String returns the method as the books write it: "SDA", "fDDA".
func (m Method) String() string {
	if int(m) < len(methodNames) && methodNames[m] != "" {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// Check names the step of Book 2 that failed. The values are fixed
// strings, so callers may compare them; doc.go lists which TVR bit each
// leads to.
type Check string

// Checks on the terminal's data: the CA public key and the inputs the
// kernel supplies.
const (
	CheckCAKeyIndex Check = "CA public key index"  // 8F absent or not one byte
	CheckCAKey      Check = "CA public key"        // no key for RID and index (Book 2 §5.2, §6.2)
	CheckCAKeyDate  Check = "CA public key expiry" // the key's expiry date has passed
	CheckInput      Check = "terminal input"       // a terminal-side input is absent or malformed
)

// Checks of the Issuer Public Key Certificate, Book 2 §5.3 and §6.3, in
// the order the book gives them.
const (
	CheckIssuerCertificate   Check = "issuer certificate"                // 90 absent
	CheckIssuerExponent      Check = "issuer public key exponent"        // 9F32 absent or not 3 or 65537
	CheckIssuerCertLength    Check = "issuer certificate length"         // step 1: length of 90 differs from N_CA
	CheckIssuerCertTrailer   Check = "issuer certificate trailer"        // step 2: trailer not BC
	CheckIssuerCertHeader    Check = "issuer certificate header"         // step 3: header not 6A
	CheckIssuerCertFormat    Check = "issuer certificate format"         // step 4: format not 02
	CheckIssuerKeyLength     Check = "issuer public key length"          // N_I > N_CA, or exponent length differs from 9F32
	CheckIssuerRemainder     Check = "issuer public key remainder"       // 92 absent though N_I > N_CA-36, or of the wrong length
	CheckIssuerHashAlgorithm Check = "issuer certificate hash algorithm" // step 6: indicator not 01 (SHA-1)
	CheckIssuerCertHash      Check = "issuer certificate hash"           // step 7: hash differs
	CheckIssuerIdentifier    Check = "issuer identifier vs PAN"          // step 8
	CheckIssuerCertExpiry    Check = "issuer certificate expiry"         // step 9
	CheckIssuerCertRevoked   Check = "issuer certificate revocation"     // step 10
	CheckIssuerKeyAlgorithm  Check = "issuer public key algorithm"       // step 11: indicator not 01 (RSA)
)

// Checks of the ICC Public Key Certificate, Book 2 §6.4, in the order the
// book gives them. The ICC PIN Encipherment Public Key Certificate
// (Book 2 §7.1) goes through the same checks under [PIN].
const (
	CheckICCCertificate   Check = "ICC certificate"                // 9F46 (or 9F2D) absent
	CheckICCExponent      Check = "ICC public key exponent"        // 9F47 (or 9F2E) absent or not 3 or 65537
	CheckICCCertLength    Check = "ICC certificate length"         // step 1: length differs from N_I
	CheckICCCertTrailer   Check = "ICC certificate trailer"        // step 2
	CheckICCCertHeader    Check = "ICC certificate header"         // step 3
	CheckICCCertFormat    Check = "ICC certificate format"         // step 4: format not 04
	CheckICCKeyLength     Check = "ICC public key length"          // N_IC > N_I, or exponent length differs
	CheckICCRemainder     Check = "ICC public key remainder"       // 9F48 (or 9F2F) absent though needed, or wrong length
	CheckICCHashAlgorithm Check = "ICC certificate hash algorithm" // step 6
	CheckICCCertHash      Check = "ICC certificate hash"           // step 7
	CheckICCPAN           Check = "ICC certificate PAN"            // step 8: PAN differs from 5A
	CheckICCCertExpiry    Check = "ICC certificate expiry"         // step 9
	CheckICCKeyAlgorithm  Check = "ICC public key algorithm"       // step 10
)

// Checks of the static data to be authenticated, Book 3 §10.3.
const (
	CheckStaticRecord Check = "static data record" // an SFI 1-10 record is not a template 70
	CheckSDATagList   Check = "SDA tag list"       // 9F4A lists a tag other than 82, or AIP absent
)

// Checks of the Signed Static Application Data, Book 2 §5.4.
const (
	CheckSSAD              Check = "signed static data"                // 93 absent
	CheckSSADLength        Check = "signed static data length"         // step 1
	CheckSSADTrailer       Check = "signed static data trailer"        // step 2
	CheckSSADHeader        Check = "signed static data header"         // step 3
	CheckSSADFormat        Check = "signed static data format"         // step 4: not 03
	CheckSSADHashAlgorithm Check = "signed static data hash algorithm" // step 5
	CheckSSADHash          Check = "signed static data hash"           // step 7
)

// Checks of the Signed Dynamic Application Data, Book 2 §6.5.2 (DDA),
// §6.6.2 (CDA) and the fDDA variant.
const (
	CheckDDOL              Check = "DDOL"                               // neither card nor default DDOL, or no 9F37 in it
	CheckResponse          Check = "response format"                    // INTERNAL AUTHENTICATE / GENERATE AC / GPO response malformed
	CheckSDAD              Check = "signed dynamic data"                // 9F4B absent
	CheckSDADLength        Check = "signed dynamic data length"         // step 1
	CheckSDADTrailer       Check = "signed dynamic data trailer"        // step 2
	CheckSDADHeader        Check = "signed dynamic data header"         // step 3
	CheckSDADFormat        Check = "signed dynamic data format"         // step 4: not 05 (95 for fDDA)
	CheckSDADHashAlgorithm Check = "signed dynamic data hash algorithm" // hash algorithm indicator not 01
	CheckICCDynamicData    Check = "ICC dynamic data"                   // L_DD or the ICC dynamic number length out of range
	CheckCID               Check = "cryptogram information data"        // CDA step 5: CID in SDAD differs from 9F27
	CheckSDADHash          Check = "signed dynamic data hash"           // DDA step 7, CDA step 8
	CheckTDHC              Check = "transaction data hash code"         // CDA step 10
	CheckCardAuthData      Check = "card authentication related data"   // fDDA: 9F69 malformed
)

// Checks of offline PIN encipherment, Book 2 §7.2.
const (
	CheckPINKey   Check = "PIN encipherment key" // key unusable (too short, bad exponent)
	CheckPINBlock Check = "PIN block"            // not 8 bytes
	CheckICCUN    Check = "ICC unpredictable number"
	CheckRandom   Check = "random padding" // the random source failed
)

// Sentinel errors carried by [Error]; compare with errors.Is.
var (
	// ErrMissingData: a data object the method needs is absent. The kernel
	// sets "ICC data missing" beside the method's failure bit.
	ErrMissingData = errors.New("data missing")
	// ErrCAKeyUnknown: the terminal has no CA public key for the RID and index.
	ErrCAKeyUnknown = errors.New("CA public key unknown")
	// ErrCheckValue: a CA public key's SHA-1 check value does not match its data.
	ErrCheckValue = errors.New("check value mismatch")
	// ErrLength: a signed block's length differs from the key's modulus, or a
	// length field inside it is inconsistent.
	ErrLength = errors.New("length mismatch")
	// ErrFormat: a recovered header, trailer or format byte, or a data
	// object's encoding, is not what the book requires.
	ErrFormat = errors.New("format error")
	// ErrHashMismatch: a recomputed hash differs from the one signed.
	ErrHashMismatch = errors.New("hash mismatch")
	// ErrUnsupportedAlgorithm: a hash or public key algorithm indicator other
	// than SHA-1 (01) or RSA (01).
	ErrUnsupportedAlgorithm = errors.New("unsupported algorithm")
	// ErrPANMismatch: the issuer identifier or certificate PAN does not match
	// the Application PAN.
	ErrPANMismatch = errors.New("PAN mismatch")
	// ErrExpired: a certificate (or CA key) expired before the transaction date.
	ErrExpired = errors.New("expired")
	// ErrRevoked: the certificate serial number is on the revocation list.
	ErrRevoked = errors.New("certificate revoked")
	// ErrInput: an input the terminal supplies (transaction date,
	// Unpredictable Number, amount, PIN block, random source, key) is
	// absent or malformed: a fault of the caller, not of the card, so it
	// sets no "ICC data missing".
	ErrInput = errors.New("invalid terminal input")
	// ErrCIDMismatch: the CID signed in the SDAD differs from the one returned
	// in the GENERATE AC response.
	ErrCIDMismatch = errors.New("cryptogram information data mismatch")
)

// Error reports which method and which check of Book 2 failed. Err wraps
// one of the sentinel errors, usually with detail.
type Error struct {
	Method Method
	Check  Check
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("oda: %s: %s: %v", e.Method, e.Check, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// fail builds an *Error whose Err wraps sentinel with a formatted detail.
// The detail never contains PAN digits or PIN data.
func fail(m Method, c Check, sentinel error, format string, args ...any) *Error {
	if format == "" {
		return &Error{Method: m, Check: c, Err: sentinel}
	}
	return &Error{Method: m, Check: c, Err: &detailError{sentinel: sentinel, detail: fmt.Sprintf(format, args...)}}
}

// detailError adds a detail to a sentinel while keeping errors.Is working.
type detailError struct {
	sentinel error
	detail   string
}

func (d *detailError) Error() string { return d.sentinel.Error() + ": " + d.detail }
func (d *detailError) Unwrap() error { return d.sentinel }
