package oda

import (
	"fmt"
	"io"
	"math/big"

	"github.com/emvkit/emvkit/internal/ode"
)

// ODE Algorithm Suite Indicators of Book 2 Annex B2.4.1 (Table 49): the
// ICC key of offline data encryption, which ECC offline PIN encipherment
// uses (Book 2 §13.2).
const (
	ODESuiteP256 byte = 0x00 // P-256 Diffie-Hellman, AES-128
	ODESuiteP521 byte = 0x01 // P-521 Diffie-Hellman, AES-128
)

// odeCurve maps an ODE suite to the EC-SDSA suite of the same curve,
// whose parameters it shares; 0 for an unknown suite.
func odeCurve(b byte) Suite {
	switch b {
	case ODESuiteP256:
		return SuiteP256SHA256
	case ODESuiteP521:
		return SuiteP521SHA512
	}
	return 0
}

// ECCPINKey finds the key for ECC offline enciphered PIN (Book 2 §13.1):
// the ICC ECC Public Key for ODE from its certificate (9F2D, the layout
// of Table 36 with an ODE suite), checked under the Issuer ECC key as the
// XDA ICC certificate is. iccd is the Issuer Certified Card Data; the
// certificate's ICCD Hash covers it as 9F46's does (our reading: the
// layout is the same, and we had no text saying the ODE certificate hashes
// other data). Failures carry [PIN].
func (v *Verifier) ECCPINKey(card *CardData, iccd []byte) (*ECCICCKey, error) {
	for _, d := range []required{
		{card.CAKeyIndex, CheckCAKeyIndex},
		{card.IssuerCertificate, CheckIssuerCertificate},
		{card.PINCertificate, CheckICCCertificate},
	} {
		if len(d.v) == 0 {
			return nil, fail(PIN, d.c, ErrMissingData, "")
		}
	}
	ca, err := v.ECCCAKey(card)
	if err != nil {
		return nil, asPIN(err)
	}
	issuer, err := v.RecoverECCIssuerKey(ca, card)
	if err != nil {
		return nil, asPIN(err)
	}
	return v.recoverECCICC(PIN, issuer, card.PINCertificate, iccd, odeCurve)
}

// asPIN reports a key chain failure under PIN.
func asPIN(err error) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Method = PIN
		return &c
	}
	return err
}

// EncipherPINECC enciphers a PIN block for VERIFY with P2 88 under an ICC
// ECC key for ODE, Book 2 §13.2 with the scheme of Annex A2.3:
//
//  1. an ephemeral key pair: d from rand in [1, n-1], R = dG (its y need
//     not meet the lower-root rule, Annex B2.2.4);
//  2. Z = x(dQ), Q the card's key; for P-521 Z is written in 80 bytes;
//  3. the session keys from Z and the ICC Unpredictable Number (GET
//     CHALLENGE) as UN_KD;
//  4. C = encrypt-then-MAC of 7F || PIN block || ICC Unpredictable Number
//     under K1 and K2, counter 0, no associated data;
//  5. the data sent is x(R) || C: N_FIELD + 17 + 8 bytes.
//
// Errors never contain the PIN block; d, Z, the keys and the plaintext are
// wiped before returning.
func EncipherPINECC(key *ECCICCKey, pinBlock, iccUnpredictableNumber []byte, rand io.Reader) ([]byte, error) {
	const m = PIN
	if key == nil || key.pt == nil || odeCurve(key.SuiteIndicator) == 0 {
		return nil, fail(m, CheckPINKey, ErrInput, "no ICC ECC key for ODE")
	}
	if len(pinBlock) != 8 {
		return nil, fail(m, CheckPINBlock, ErrInput, "PIN block is %d bytes, want 8", len(pinBlock))
	}
	if len(iccUnpredictableNumber) != ode.UNLen {
		return nil, fail(m, CheckICCUN, ErrLength, "ICC unpredictable number is %d bytes, want 8", len(iccUnpredictableNumber))
	}
	if rand == nil {
		return nil, fail(m, CheckRandom, ErrInput, "no random source")
	}
	sp := key.Suite.params()
	// d: N_FIELD + 8 random bytes reduced mod n-1, plus 1, so the bias is
	// below 2^-64.
	seed := make([]byte, sp.fieldLen+8)
	defer clear(seed)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, &Error{Method: m, Check: CheckRandom, Err: err}
	}
	d := new(big.Int).SetBytes(seed)
	defer func() { clear(d.Bits()) }()
	nMinus1 := new(big.Int).Sub(sp.n, big.NewInt(1))
	d.Mod(d, nMinus1).Add(d, big.NewInt(1))
	scalar := d.FillBytes(make([]byte, sp.fieldLen))
	defer clear(scalar)
	rx, err := sp.baseX(scalar)
	if err != nil {
		return nil, fail(m, CheckPINKey, ErrInput, "ephemeral key: %v", err)
	}
	zx, err := key.pt.mulX(scalar)
	if err != nil {
		return nil, fail(m, CheckPINKey, ErrFormat, "shared secret is the point at infinity")
	}
	z := SharedSecretZ(key.Suite, zx)
	defer clear(z)
	keys, err := ode.DeriveKeys(z, iccUnpredictableNumber)
	if err != nil {
		return nil, fail(m, CheckPINKey, ErrInput, "%v", err)
	}
	defer keys.Clear()
	plain := make([]byte, 0, 17)
	plain = append(append(append(plain, 0x7F), pinBlock...), iccUnpredictableNumber...)
	defer clear(plain)
	c, err := ode.Encrypt(keys.K1[:], keys.K2[:], 0, plain, nil)
	if err != nil {
		return nil, fail(m, CheckPINKey, ErrInput, "%v", err)
	}
	return append(rx, c...), nil
}

// SharedSecretZ writes the x coordinate of a Diffie-Hellman shared secret
// as the key derivation of Book 2 Annex A2.3.2 takes it: N_FIELD bytes for
// P-256, 80 bytes (640 bits, zeros on the left) for P-521.
func SharedSecretZ(curve Suite, x []byte) []byte {
	size := len(x)
	if curve == SuiteP521SHA512 {
		size = 80
	}
	z := make([]byte, size)
	copy(z[size-len(x):], x)
	return z
}

// String describes the key: "ICC ECC public key (P-256/SHA-256)" or, for
// ODE, "ICC ECC public key for ODE (suite 00, P-256)".
func (k *ECCICCKey) String() string {
	if odeCurve(k.SuiteIndicator) != 0 && Suite(k.SuiteIndicator) != k.Suite {
		return fmt.Sprintf("ICC ECC public key for ODE (suite %02X, %s)", k.SuiteIndicator, k.Suite.params().name[:5])
	}
	return fmt.Sprintf("ICC ECC public key (%v)", k.Suite)
}
