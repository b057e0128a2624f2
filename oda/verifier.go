package oda

import (
	"sync"
	"time"
)

// CardData holds the card's data objects that offline data authentication
// reads, as the kernel received them (values only, exactly as sent). An
// absent object is nil or empty.
type CardData struct {
	AID        []byte // 4F or 84: the first five bytes are the RID
	CAKeyIndex []byte // 8F Certification Authority Public Key Index
	PAN        []byte // 5A Application PAN

	IssuerCertificate []byte // 90
	IssuerRemainder   []byte // 92
	IssuerExponent    []byte // 9F32

	SSAD []byte // 93 Signed Static Application Data

	ICCCertificate []byte // 9F46
	ICCRemainder   []byte // 9F48
	ICCExponent    []byte // 9F47

	PINCertificate []byte // 9F2D ICC PIN Encipherment Public Key Certificate
	PINExponent    []byte // 9F2E
	PINRemainder   []byte // 9F2F
}

// Verifier holds the terminal's side of offline data authentication: its
// CA public keys with the revocation list, and the transaction date.
type Verifier struct {
	// Keys holds the CA public keys and revoked issuer certificates.
	Keys *KeyStore
	// Date is the transaction date (9A). Certificates are checked against
	// it (expiry month), and CA keys against their expiry date. It must be
	// set: a zero Date fails every method with CheckInput.
	Date time.Time
	// Time is the moment of the transaction, for the ICC ECC certificate's
	// expiration time (HHMM, UTC; Book 2 §12.4, Table 36). Zero: Date, so
	// a certificate is valid through every minute of its expiry date.
	Time time.Time
}

// CAKey finds the CA public key for the card's RID and CA Public Key Index
// (Book 2 §5.2 / §6.2) and checks it has not expired on v.Date.
func (v *Verifier) CAKey(m Method, card *CardData) (*CAKey, error) {
	if v.Date.IsZero() {
		return nil, fail(m, CheckInput, ErrInput, "no transaction date")
	}
	if len(card.CAKeyIndex) == 0 {
		return nil, fail(m, CheckCAKeyIndex, ErrMissingData, "")
	}
	if len(card.CAKeyIndex) != 1 {
		return nil, fail(m, CheckCAKeyIndex, ErrFormat, "index is %d bytes, want 1", len(card.CAKeyIndex))
	}
	if len(card.AID) < 5 {
		return nil, fail(m, CheckInput, ErrInput, "AID of %d bytes has no RID", len(card.AID))
	}
	k, ok := v.Keys.Key(card.AID, card.CAKeyIndex[0])
	if !ok {
		return nil, fail(m, CheckCAKey, ErrCAKeyUnknown, "%X/%02X", card.AID[:5], card.CAKeyIndex[0])
	}
	if !k.Expiry.IsZero() && dayAfter(v.Date, k.Expiry) {
		return nil, fail(m, CheckCAKeyDate, ErrExpired, "%v expired %s", k, k.Expiry.Format(time.DateOnly))
	}
	return k, nil
}

// dayAfter reports whether the calendar date of a is after that of b.
func dayAfter(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	if ay != by {
		return ay > by
	}
	if am != bm {
		return am > bm
	}
	return ad > bd
}

// IssuerPublicKey finds the CA public key and recovers the Issuer Public
// Key from the card's certificate, with every check of Book 2 §5.3 (for
// SDA) or §6.3 (for DDA, CDA, fDDA and PIN encipherment).
func (v *Verifier) IssuerPublicKey(m Method, card *CardData) (*IssuerKey, error) {
	ca, err := v.CAKey(m, card)
	if err != nil {
		return nil, err
	}
	return v.RecoverIssuerKey(m, ca, card)
}

// RecoverIssuerKey recovers the Issuer Public Key under a given CA key
// (Book 2 §5.3 / §6.3 steps 1-12). ca must come from v.Keys (its
// revocation list is consulted).
func (v *Verifier) RecoverIssuerKey(m Method, ca *CAKey, card *CardData) (*IssuerKey, error) {
	k := new(IssuerKey)
	if err := v.recoverIssuer(m, ca, card, k, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// recoverIssuer is RecoverIssuerKey into k, with what the key holds in st
// (allocated when st is nil).
func (v *Verifier) recoverIssuer(m Method, ca *CAKey, card *CardData, k *IssuerKey, st *keyStorage) error {
	if ca == nil || ca.rsa.n == nil {
		return fail(m, CheckCAKey, ErrInput, "CA key not taken from a KeyStore")
	}
	revoked := func(serial []byte) bool { return v.Keys.Revoked(ca.RID, ca.Index, [3]byte(serial)) }
	f, err := recoverCertIn(m, &issuerCertSpec, &ca.rsa, card.IssuerCertificate, card.IssuerRemainder,
		card.IssuerExponent, nil, matchIssuerIdentifier(card.PAN), v.Date, revoked, st)
	if err != nil {
		return err
	}
	*k = IssuerKey{
		PublicKey:        PublicKey{Modulus: f.modulus, Exponent: f.exponent},
		IssuerIdentifier: [4]byte(f.id),
		Expiry:           [2]byte(f.expiry),
		SerialNumber:     [3]byte(f.serial),
		HashAlgorithm:    f.hashAlg,
		KeyAlgorithm:     f.keyAlg,
		CA:               ca,
		Recovered:        f.recovered,
	}
	k.rsa = newRSAKeyIn(k.Modulus, k.Exponent, st)
	k.PublicKey.rsa = &k.rsa
	return nil
}

// RecoverICCKey recovers the ICC Public Key (9F46, 9F48, 9F47) under the
// Issuer Public Key, with every check of Book 2 §6.4. staticData is the
// static data to be authenticated ([AppendStaticData]); it is part of the
// certificate's hash.
func (v *Verifier) RecoverICCKey(m Method, issuer *IssuerKey, card *CardData, staticData []byte) (*ICCKey, error) {
	return v.recoverICC(m, issuer, card.ICCCertificate, card.ICCRemainder, card.ICCExponent, card.PAN, staticData)
}

func (v *Verifier) recoverICC(m Method, issuer *IssuerKey, cert, rem, exp, pan, staticData []byte) (*ICCKey, error) {
	k := new(ICCKey)
	if err := v.recoverICCIn(m, issuer, cert, rem, exp, pan, staticData, k, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// recoverICCIn is recoverICC into k, with what the key holds in st
// (allocated when st is nil).
func (v *Verifier) recoverICCIn(m Method, issuer *IssuerKey, cert, rem, exp, pan, staticData []byte, k *ICCKey, st *keyStorage) error {
	f, err := recoverCertIn(m, &iccCertSpec, &issuer.rsa, cert, rem, exp, staticData, matchPAN(pan), v.Date, nil, st)
	if err != nil {
		return err
	}
	*k = ICCKey{
		PublicKey:     PublicKey{Modulus: f.modulus, Exponent: f.exponent},
		PAN:           [10]byte(f.id),
		Expiry:        [2]byte(f.expiry),
		SerialNumber:  [3]byte(f.serial),
		HashAlgorithm: f.hashAlg,
		KeyAlgorithm:  f.keyAlg,
		Recovered:     f.recovered,
	}
	k.rsa = newRSAKeyIn(k.Modulus, k.Exponent, st)
	k.PublicKey.rsa = &k.rsa
	return nil
}

// ICCPublicKey runs the key chain for DDA, CDA or fDDA (Book 2 §6.2-§6.4):
// it first checks that the card gave every data object the method needs
// (8F, 90, 9F32, 9F46, 9F47; a missing one is [ErrMissingData]), then finds
// the CA key, recovers the Issuer Public Key and then the ICC Public Key.
func (v *Verifier) ICCPublicKey(m Method, card *CardData, staticData []byte) (*ICCKey, error) {
	// The Issuer Public Key serves only to recover the ICC's: it and what
	// it holds come from issuerScratch and go back to it.
	is := issuerScratch.Get().(*issuerKeyStorage)
	defer func() {
		is.k = IssuerKey{}
		issuerScratch.Put(is)
	}()
	k := new(ICCKey)
	if err := v.iccPublicKey(m, card, staticData, &is.k, &is.st, k, nil); err != nil {
		return nil, err
	}
	return k, nil
}

// iccPublicKey is ICCPublicKey with the Issuer Public Key recovered into
// issuer and ist, the ICC Public Key into icc and st (allocated when st
// is nil).
func (v *Verifier) iccPublicKey(m Method, card *CardData, staticData []byte, issuer *IssuerKey, ist *keyStorage, icc *ICCKey, st *keyStorage) error {
	if err := requireData(m, card,
		required{card.ICCCertificate, CheckICCCertificate},
		required{card.ICCExponent, CheckICCExponent}); err != nil {
		return err
	}
	ca, err := v.CAKey(m, card)
	if err != nil {
		return err
	}
	if err := v.recoverIssuer(m, ca, card, issuer, ist); err != nil {
		return err
	}
	return v.recoverICCIn(m, issuer, card.ICCCertificate, card.ICCRemainder, card.ICCExponent, card.PAN, staticData, icc, st)
}

// issuerKeyStorage is an Issuer Public Key with the storage of what it
// holds.
type issuerKeyStorage struct {
	k  IssuerKey
	st keyStorage
}

// issuerScratch recycles the Issuer Public Keys that ICCPublicKey
// recovers and does not return. They hold public data only (the issuer
// certificate and key), so they are not wiped.
var issuerScratch = sync.Pool{New: func() any { return new(issuerKeyStorage) }}

// required is one data object a method needs and the check that is named
// when the card did not give it.
type required struct {
	v []byte
	c Check
}

// requireData checks, before any RSA, that the card gave the data objects
// of the issuer key chain (8F, 90, 9F32) and those in more, in that order;
// the first one missing fails with [ErrMissingData], which the kernel maps
// to "ICC data missing" (Book 3 §10.3).
func requireData(m Method, card *CardData, more ...required) error {
	chain := [...]required{
		{card.CAKeyIndex, CheckCAKeyIndex},
		{card.IssuerCertificate, CheckIssuerCertificate},
		{card.IssuerExponent, CheckIssuerExponent},
	}
	for _, list := range [][]required{chain[:], more} {
		for _, d := range list {
			if len(d.v) == 0 {
				return fail(m, d.c, ErrMissingData, "")
			}
		}
	}
	return nil
}
