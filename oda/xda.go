package oda

import (
	"bytes"
	"fmt"
	"hash"
	"time"

	"github.com/emvkit/emvkit/internal/calendar"
	"github.com/emvkit/emvkit/tlv"
)

// Formats of the ECC certificates and of the XDA signed data, Book 2
// §12.3 (Table 35), §12.4 (Table 36) and §12.5.3 (Table 38).
const (
	formatECCIssuerCert = 0x12
	formatECCICCCert    = 0x14
	formatXDA           = 0x15
	eccCertEncoding     = 0x00 // certificate encoding and ICCD Hash encoding
)

// Fixed parts of the ECC certificates: the issuer certificate's fields
// before the key (format 1, encoding 1, issuer identifier 5, suite 1,
// expiry date 4, serial 3, RID 5, CA index 1) and the ICC certificate's
// fields before the ICCD Hash (format 1, encoding 1, suite 1, expiry date
// 4, expiry time 2, serial 6, ICCD Hash encoding 1, ICCD Hash algorithm 1).
const (
	eccIssuerFixed = 21
	eccICCFixed    = 17
)

// Checks of the ECC certificates and of XDA that the RSA methods do not
// have; the others reuse the RSA names (format, length, identifier,
// expiry, revocation, key algorithm, hash algorithm, hash).
const (
	CheckIssuerCertEncoding  Check = "issuer certificate encoding"   // Table 35: encoding not 00
	CheckIssuerCertCAKey     Check = "issuer certificate CA key"     // Table 35: RID or CA index differ from the CA key used
	CheckIssuerCertSignature Check = "issuer certificate signature"  // EC-SDSA signature by the CA key
	CheckIssuerKeyPoint      Check = "issuer public key point"       // x is no point of the suite's curve
	CheckICCCertEncoding     Check = "ICC certificate encoding"      // Table 36: encoding not 00
	CheckICCDHashEncoding    Check = "ICCD hash encoding"            // Table 36: ICCD Hash encoding not 00
	CheckICCCertSignature    Check = "ICC certificate signature"     // EC-SDSA signature by the issuer key
	CheckICCKeyPoint         Check = "ICC public key point"          // x is no point of the suite's curve
	CheckSDADSignature       Check = "signed dynamic data signature" // XDA: EC-SDSA signature by the ICC key
)

// ECCIssuerKey is an Issuer ECC Public Key taken from its certificate
// (tag 90, Book 2 §12.3, Table 35) after every check.
type ECCIssuerKey struct {
	ECPublicKey
	// IssuerIdentifier is the leftmost 3-10 PAN digits, padded with F.
	IssuerIdentifier [5]byte
	Expiry           [4]byte // Issuer Certificate Expiration Date, YYYYMMDD (UTC)
	SerialNumber     [3]byte
	// CA is the key that signed the certificate.
	CA *CAKey
	// Certificate is the certificate as the card sent it.
	Certificate []byte
}

// ECCICCKey is an ICC ECC Public Key taken from its certificate (tag 9F46,
// Book 2 §12.4, Table 36) after every check.
type ECCICCKey struct {
	ECPublicKey
	// SuiteIndicator is the certificate's ICC Public Key Algorithm Suite
	// Indicator: the ECPublicKey's Suite for XDA, an ODE suite (00, 01)
	// for the key of ECC PIN encipherment, whose curve Suite names.
	SuiteIndicator    byte
	Expiry            [4]byte // ICC Certificate Expiration Date, YYYYMMDD (UTC)
	ExpiryTime        [2]byte // ICC Certificate Expiration Time, HHMM (UTC)
	SerialNumber      [6]byte
	ICCDHashAlgorithm byte
	// Certificate is the certificate as the card sent it.
	Certificate []byte
}

// CAKeyMissing reports whether err is a failure to retrieve the CA public
// key: the CA Public Key Index absent or malformed, no key for the RID and
// index (for XDA: no ECC key), or the key expired. For XDA this is "CA ECC
// key missing" (Book 3 §10.3, Book 4 §6.3.2.2.1), any other failure of the
// key chain is "ECC key recovery failed" (Book 4 §6.3.2.2.2).
func CAKeyMissing(err error) bool {
	e, ok := err.(*Error)
	return ok && (e.Check == CheckCAKeyIndex || e.Check == CheckCAKey || e.Check == CheckCAKeyDate)
}

// ECCCAKey finds the CA ECC public key for the card's RID and CA Public
// Key Index (Book 3 §10.3, Book 2 §12.2). An RSA key under that index is
// not the key XDA needs: it fails as no key ([ErrCAKeyUnknown]).
func (v *Verifier) ECCCAKey(card *CardData) (*CAKey, error) {
	k, err := v.CAKey(XDA, card)
	if err != nil {
		return nil, err
	}
	if k.ec == nil {
		return nil, fail(XDA, CheckCAKey, ErrCAKeyUnknown, "%v is an RSA key, XDA needs an ECC key", k)
	}
	return k, nil
}

// XDAKey runs the ECC key chain of XDA (Book 2 §12.2-§12.4): it checks
// that the card gave 8F, 90 and 9F46 ([ErrMissingData] otherwise), finds
// the CA ECC key, then takes the Issuer and the ICC ECC public keys from
// their certificates. iccd is the Issuer Certified Card Data
// ([AppendICCD]).
func (v *Verifier) XDAKey(card *CardData, iccd []byte) (*ECCICCKey, error) {
	for _, d := range []required{
		{card.CAKeyIndex, CheckCAKeyIndex},
		{card.IssuerCertificate, CheckIssuerCertificate},
		{card.ICCCertificate, CheckICCCertificate},
	} {
		if len(d.v) == 0 {
			return nil, fail(XDA, d.c, ErrMissingData, "")
		}
	}
	ca, err := v.ECCCAKey(card)
	if err != nil {
		return nil, err
	}
	issuer, err := v.RecoverECCIssuerKey(ca, card)
	if err != nil {
		return nil, err
	}
	return v.RecoverECCICCKey(issuer, card, iccd)
}

// RecoverECCIssuerKey checks the Issuer ECC Public Key Certificate (90)
// under a CA ECC key from v.Keys and returns the key it certifies. The
// certificate travels in clear (Book 2 §12.3, Table 35):
//
//	format 12 | encoding 00 | issuer identifier (5) | issuer key suite (1) |
//	expiry YYYYMMDD (4) | serial (3) | RID (5) | CA key index (1) |
//	issuer key x (N_FIELD of the issuer suite) | signature (N_SIG of the CA suite)
//
// and the checks, in this order, are: present; at least the fixed fields
// long; format 12; encoding 00; issuer key suite known; length 21 + N_FIELD
// + N_SIG; RID and index those of the CA key; the CA's EC-SDSA signature
// over every byte before it; issuer identifier against the PAN; expiry;
// revocation; the key's x a point of its curve.
func (v *Verifier) RecoverECCIssuerKey(ca *CAKey, card *CardData) (*ECCIssuerKey, error) {
	const m = XDA
	if v.Date.IsZero() {
		return nil, fail(m, CheckInput, ErrInput, "no transaction date")
	}
	if ca == nil || ca.ec == nil {
		return nil, fail(m, CheckCAKey, ErrInput, "CA ECC key not taken from a KeyStore")
	}
	cert := card.IssuerCertificate
	if len(cert) == 0 {
		return nil, fail(m, CheckIssuerCertificate, ErrMissingData, "")
	}
	if len(cert) < eccIssuerFixed {
		return nil, fail(m, CheckIssuerCertLength, ErrLength, "certificate of %d bytes, the fixed fields alone are %d", len(cert), eccIssuerFixed)
	}
	if cert[0] != formatECCIssuerCert {
		return nil, fail(m, CheckIssuerCertFormat, ErrFormat, "format %02X, want 12", cert[0])
	}
	if cert[1] != eccCertEncoding {
		return nil, fail(m, CheckIssuerCertEncoding, ErrFormat, "encoding %02X, want 00", cert[1])
	}
	suite := Suite(cert[7])
	if !suite.Known() {
		return nil, fail(m, CheckIssuerKeyAlgorithm, ErrUnsupportedAlgorithm, "issuer public key algorithm suite %02X", byte(suite))
	}
	keyEnd := eccIssuerFixed + suite.FieldLen()
	if want := keyEnd + ca.Suite.SignatureLen(); len(cert) != want {
		return nil, fail(m, CheckIssuerCertLength, ErrLength, "certificate of %d bytes, want %d", len(cert), want)
	}
	if !bytes.Equal(cert[15:20], ca.RID[:]) || cert[20] != ca.Index {
		return nil, fail(m, CheckIssuerCertCAKey, ErrFormat, "certificate names CA key %X/%02X, signer is %X/%02X", cert[15:20], cert[20], ca.RID[:], ca.Index)
	}
	if err := ca.ec.verifyCert(cert, keyEnd); err != nil {
		return nil, fail(m, CheckIssuerCertSignature, ErrSignature, "%v", err)
	}
	if err := matchIssuerIdentifier(card.PAN)(cert[2:7]); err != nil {
		return nil, fail(m, CheckIssuerIdentifier, ErrPANMismatch, "%v", err)
	}
	if err := checkExpiryDateTime(cert[8:12], nil, v.moment()); err != nil {
		return nil, expiryError(m, CheckIssuerCertExpiry, err, cert[8:12], nil)
	}
	if v.Keys.Revoked(ca.RID, ca.Index, [3]byte(cert[12:15])) {
		return nil, fail(m, CheckIssuerCertRevoked, ErrRevoked, "serial number %X", cert[12:15])
	}
	x := bytes.Clone(cert[eccIssuerFixed:keyEnd])
	key, err := NewECPublicKey(suite, x)
	if err != nil {
		return nil, fail(m, CheckIssuerKeyPoint, ErrFormat, "%v", err)
	}
	k := &ECCIssuerKey{
		ECPublicKey:      *key,
		IssuerIdentifier: [5]byte(cert[2:7]),
		Expiry:           [4]byte(cert[8:12]),
		SerialNumber:     [3]byte(cert[12:15]),
		CA:               ca,
		Certificate:      cert,
	}
	return k, nil
}

// RecoverECCICCKey checks the ICC ECC Public Key Certificate (9F46) under
// the Issuer ECC key and returns the key it certifies (Book 2 §12.4,
// Table 36):
//
//	format 14 | encoding 00 | ICC key suite (1) | expiry YYYYMMDD (4) |
//	expiry HHMM (2) | serial (6) | ICCD Hash encoding 00 | ICCD Hash
//	algorithm (1) | ICCD Hash (N_HASH) | ICC key x (N_FIELD of the ICC
//	suite) | signature (N_SIG of the issuer suite)
//
// The checks, in this order: present; at least the fixed fields long;
// format 14; encoding 00; ICC key suite known; ICCD Hash encoding 00; ICCD
// Hash algorithm 02 (SHA-256) or 03 (SHA-512); length; the issuer's EC-SDSA
// signature over every byte before it; the ICCD Hash over iccd; expiry
// date and time; the key's x a point of its curve. The certificate has no
// PAN: the ICCD Hash binds it to the card's data.
func (v *Verifier) RecoverECCICCKey(issuer *ECCIssuerKey, card *CardData, iccd []byte) (*ECCICCKey, error) {
	return v.recoverECCICC(XDA, issuer, card.ICCCertificate, iccd, func(b byte) Suite { return Suite(b) })
}

// recoverECCICC checks a certificate of the Table 36 layout: the ICC ECC
// certificate of XDA (9F46) or the ICC ECC certificate for ODE (9F2D),
// whose suite byte is an ODE suite that suite maps to its curve (0 when
// unknown).
func (v *Verifier) recoverECCICC(m Method, issuer *ECCIssuerKey, cert, iccd []byte, suiteOf func(byte) Suite) (*ECCICCKey, error) {
	if v.Date.IsZero() {
		return nil, fail(m, CheckInput, ErrInput, "no transaction date")
	}
	if issuer == nil || issuer.pt == nil {
		return nil, fail(m, CheckInput, ErrInput, "no issuer ECC key")
	}
	if len(cert) == 0 {
		return nil, fail(m, CheckICCCertificate, ErrMissingData, "")
	}
	if len(cert) < eccICCFixed {
		return nil, fail(m, CheckICCCertLength, ErrLength, "certificate of %d bytes, the fixed fields alone are %d", len(cert), eccICCFixed)
	}
	if cert[0] != formatECCICCCert {
		return nil, fail(m, CheckICCCertFormat, ErrFormat, "format %02X, want 14", cert[0])
	}
	if cert[1] != eccCertEncoding {
		return nil, fail(m, CheckICCCertEncoding, ErrFormat, "encoding %02X, want 00", cert[1])
	}
	suite := suiteOf(cert[2])
	if !suite.Known() {
		return nil, fail(m, CheckICCKeyAlgorithm, ErrUnsupportedAlgorithm, "ICC public key algorithm suite %02X", byte(suite))
	}
	if cert[15] != eccCertEncoding {
		return nil, fail(m, CheckICCDHashEncoding, ErrFormat, "ICCD Hash encoding %02X, want 00", cert[15])
	}
	hashAlg := cert[16]
	newHash := eccHash(hashAlg)
	if newHash == nil {
		return nil, fail(m, CheckICCHashAlgorithm, ErrUnsupportedAlgorithm, "ICCD Hash algorithm indicator %02X", hashAlg)
	}
	nHash := newHash().Size()
	hashEnd := eccICCFixed + nHash
	keyEnd := hashEnd + suite.FieldLen()
	if want := keyEnd + issuer.Suite.SignatureLen(); len(cert) != want {
		return nil, fail(m, CheckICCCertLength, ErrLength, "certificate of %d bytes, want %d", len(cert), want)
	}
	if err := issuer.verifyCert(cert, keyEnd); err != nil {
		return nil, fail(m, CheckICCCertSignature, ErrSignature, "%v", err)
	}
	h := newHash()
	h.Write(iccd)
	if !bytes.Equal(h.Sum(nil), cert[eccICCFixed:hashEnd]) {
		return nil, fail(m, CheckICCCertHash, ErrHashMismatch, "ICCD Hash differs from the card's data")
	}
	if err := checkExpiryDateTime(cert[3:7], cert[7:9], v.moment()); err != nil {
		return nil, expiryError(m, CheckICCCertExpiry, err, cert[3:7], cert[7:9])
	}
	key, err := NewECPublicKey(suite, bytes.Clone(cert[hashEnd:keyEnd]))
	if err != nil {
		return nil, fail(m, CheckICCKeyPoint, ErrFormat, "%v", err)
	}
	return &ECCICCKey{
		ECPublicKey:       *key,
		SuiteIndicator:    cert[2],
		Expiry:            [4]byte(cert[3:7]),
		ExpiryTime:        [2]byte(cert[7:9]),
		SerialNumber:      [6]byte(cert[9:15]),
		ICCDHashAlgorithm: hashAlg,
		Certificate:       cert,
	}, nil
}

// eccHash returns the hash of an ECC Hash Algorithm Indicator (Book 2
// Annex B2.3), nil for one this package does not compute.
func eccHash(indicator byte) func() hash.Hash {
	switch indicator {
	case HashSHA256:
		return SuiteP256SHA256.params().newHash
	case HashSHA512:
		return SuiteP521SHA512.params().newHash
	}
	return nil
}

// moment is the transaction's date and time in UTC for the ECC
// certificates' expiry: Time when set, else Date.
func (v *Verifier) moment() time.Time {
	if !v.Time.IsZero() {
		return v.Time.UTC()
	}
	return v.Date
}

// checkExpiryDateTime checks an ECC certificate's expiry, YYYYMMDD and, for
// the ICC certificate, HHMM, BCD, in UTC (Book 2 Tables 35 and 36). The
// certificate is valid through the last minute it names (through the whole
// day when it gives no time). It returns ErrExpired, or another error for
// a value that is no date or time.
func checkExpiryDateTime(yyyymmdd, hhmm []byte, now time.Time) error {
	var d [4]int
	for i, b := range yyyymmdd {
		n, ok := bcd(b)
		if !ok {
			return fmt.Errorf("not BCD")
		}
		d[i] = n
	}
	year, month, day := d[0]*100+d[1], d[2], d[3]
	if month < 1 || month > 12 || day < 1 || day > calendar.DaysIn(year, month) {
		return fmt.Errorf("not a valid date")
	}
	hour, minute := 23, 59
	if hhmm != nil {
		h, ok1 := bcd(hhmm[0])
		mi, ok2 := bcd(hhmm[1])
		if !ok1 || !ok2 || h > 23 || mi > 59 {
			return fmt.Errorf("not a valid time")
		}
		hour, minute = h, mi
	}
	last := time.Date(year, time.Month(month), day, hour, minute, 59, 999999999, time.UTC)
	if now.UTC().After(last) {
		return ErrExpired
	}
	return nil
}

func expiryError(m Method, c Check, err error, date, hhmm []byte) *Error {
	if err == ErrExpired {
		return fail(m, c, ErrExpired, "certificate expired %X %X", date, hhmm)
	}
	return fail(m, c, ErrFormat, "expiration %X %X: %v", date, hhmm, err)
}

// AppendICCD appends the Issuer Certified Card Data, the static data to
// be authenticated for XDA (Book 3 §10.3), to dst: the records flagged by
// the AFL as [AppendStaticData] takes them, then the AIP as tag, length
// and value (whatever the SDA Tag List says), then the Application
// Identifier (AID) - terminal (9F06) as tag, length and value, then, when
// the card gave a PDOL, the PDOL (9F38) as tag, length and value. A nil
// pdol is "no PDOL received"; an empty non-nil pdol is a PDOL of length 0.
func AppendICCD(dst []byte, records []Record, aip, terminalAID, pdol []byte) ([]byte, error) {
	dst, err := AppendStaticData(dst, XDA, records, nil, nil)
	if err != nil {
		return dst, err
	}
	if len(aip) != 2 {
		return dst, fail(XDA, CheckSDATagList, ErrMissingData, "AIP is %d bytes, want 2", len(aip))
	}
	if len(terminalAID) < 5 || len(terminalAID) > 16 {
		return dst, fail(XDA, CheckInput, ErrInput, "terminal AID of %d bytes", len(terminalAID))
	}
	dst = tlv.AppendTLV(dst, 0x82, aip)
	dst = tlv.AppendTLV(dst, 0x9F06, terminalAID)
	if pdol != nil {
		dst = tlv.AppendTLV(dst, 0x9F38, pdol)
	}
	return dst, nil
}

// XDAInput holds what the terminal sent and received around one
// GENERATE AC that asked for an XDA signature, each field the exact bytes
// sent or received.
type XDAInput struct {
	// PDOLData is the data sent in GET PROCESSING OPTIONS (the value of
	// tag 83), empty when the card had no PDOL.
	PDOLData []byte
	// CDOL1Data is the data sent in the first GENERATE AC.
	CDOL1Data []byte
	// CDOL2Data is the data sent in the second GENERATE AC; nil when
	// verifying the response to the first.
	CDOL2Data []byte
	// Response is this GENERATE AC's response data without SW1 SW2: a
	// format 2 template 77.
	Response []byte
}

// VerifyXDA verifies the XDA Signed Dynamic Application Data of a
// GENERATE AC response (Book 2 §12.5.3, Tables 37 and 38):
//
//   - the response is a format 2 template 77 holding one 9F4B
//   - 9F4B is 15 (Signed Data Format) followed by the ICC key's EC-SDSA
//     signature, 1 + N_SIG bytes
//   - the signature verifies over 15 || PDOL data || CDOL1 data || CDOL2
//     data (second GENERATE AC only) || every data object of the response
//     except 9F4B, tag, length and value, in the order received.
//
// The kernel calls VerifyXDA only for a TC or an ARQC: with an AAC the card
// signs nothing (Book 2 §12.5.1).
func (k *ECCICCKey) VerifyXDA(in *XDAInput) error {
	const m = XDA
	tag, val, err := tlv.Single(in.Response)
	if err != nil {
		return fail(m, CheckResponse, ErrFormat, "%v", err)
	}
	if tag != tagResponseFormat2 {
		return fail(m, CheckResponse, ErrFormat, "response template %s, want 77", tag)
	}
	var sdad []byte
	found := false
	it := tlv.NewIter(val)
	for it.Next() {
		if it.Tag() == tagSDAD {
			if found {
				return fail(m, CheckResponse, ErrFormat, "9F4B twice in the response")
			}
			sdad, found = it.Value(), true
		}
	}
	if err := it.Err(); err != nil {
		return fail(m, CheckResponse, ErrFormat, "%v", err)
	}
	if !found || len(sdad) == 0 {
		return fail(m, CheckSDAD, ErrMissingData, "no 9F4B in the response")
	}
	if want := 1 + k.Suite.SignatureLen(); len(sdad) != want {
		return fail(m, CheckSDADLength, ErrLength, "SDAD of %d bytes, want %d", len(sdad), want)
	}
	if sdad[0] != formatXDA {
		return fail(m, CheckSDADFormat, ErrFormat, "signed data format %02X, want 15", sdad[0])
	}
	err = k.verify(sdad[1:], func(h hash.Hash) {
		h.Write([]byte{formatXDA})
		h.Write(in.PDOLData)
		h.Write(in.CDOL1Data)
		h.Write(in.CDOL2Data)
		it := tlv.NewIter(val)
		for it.Next() {
			if it.Tag() != tagSDAD {
				h.Write(it.Raw())
			}
		}
	})
	if err != nil {
		return fail(m, CheckSDADSignature, ErrSignature, "%v", err)
	}
	return nil
}
