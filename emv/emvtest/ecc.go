package emvtest

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"math/big"
	"sync"

	"filippo.io/nistec"
	"github.com/emvkit/emvkit/internal/ode"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// aipXDA is AIP byte 1 bit 8, "XDA supported" (EMV 4.4 Book 3 Annex C1).
const aipXDA = 0x80

// eccKey is an EC-SDSA private key of one suite (Book 2 Annex A2.2): the
// test CA's, an issuer's or a card's.
type eccKey struct {
	suite oda.Suite
	d     *big.Int
	x     []byte // x of dG, N_FIELD bytes; dG's y is the lower root
}

// Group orders of the two curves (SEC 2 §2.4.2 and §2.6.1).
var (
	orderP256, _ = new(big.Int).SetString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
	orderP521, _ = new(big.Int).SetString("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16)
)

func (k *eccKey) order() *big.Int {
	if k.suite == oda.SuiteP521SHA512 {
		return orderP521
	}
	return orderP256
}

func (k *eccKey) newHash() hash.Hash {
	if k.suite == oda.SuiteP521SHA512 {
		return sha512.New()
	}
	return sha256.New()
}

// baseMult returns x and y of scalar·G, each N_FIELD bytes.
func baseMult(suite oda.Suite, scalar []byte) (x, y []byte) {
	var enc []byte
	var err error
	switch suite {
	case oda.SuiteP521SHA512:
		var p *nistec.P521Point
		if p, err = nistec.NewP521Point().ScalarBaseMult(scalar); err == nil {
			enc = p.Bytes()
		}
	default:
		var p *nistec.P256Point
		if p, err = nistec.NewP256Point().ScalarBaseMult(scalar); err == nil {
			enc = p.Bytes()
		}
	}
	if err != nil {
		panic("emvtest: " + err.Error()) // scalars here are always N_FIELD bytes
	}
	n := suite.FieldLen()
	return enc[1 : 1+n], enc[1+n:]
}

var eccKeys sync.Map // seed/label/suite -> *eccKey

// deterministicECCKey derives a key from the chain's seed and a label:
// d = OS2I(SHA-512(seed/label)) mod n, replaced by n - d when dG's y is
// the upper root, as Book 2 Annex B2.2.4 asks of long-term keys (their y
// must be the root Point4x rebuilds from x).
func deterministicECCKey(seed, label string, suite oda.Suite) *eccKey {
	id := fmt.Sprintf("%s/%s/%02X", seed, label, byte(suite))
	if k, ok := eccKeys.Load(id); ok {
		return k.(*eccKey)
	}
	k := &eccKey{suite: suite}
	sum := sha512.Sum512([]byte(id))
	n := k.order()
	k.d = new(big.Int).SetBytes(sum[:])
	k.d.Mod(k.d, n)
	if k.d.Sign() == 0 {
		k.d.SetInt64(1)
	}
	size := suite.FieldLen()
	x, y := baseMult(suite, k.d.FillBytes(make([]byte, size)))
	if new(big.Int).SetBytes(y).Cmp(new(big.Int).Rsh(fieldPrime(suite), 1)) > 0 {
		k.d.Sub(n, k.d)
		x, _ = baseMult(suite, k.d.FillBytes(make([]byte, size)))
	}
	k.x = x
	v, _ := eccKeys.LoadOrStore(id, k)
	return v.(*eccKey)
}

func fieldPrime(suite oda.Suite) *big.Int {
	if suite == oda.SuiteP521SHA512 {
		return new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 521), big.NewInt(1))
	}
	p, _ := new(big.Int).SetString("FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF", 16)
	return p
}

// sign makes an EC-SDSA signature (Book 2 Annex A2.2.2): r = Hash(I2OS(x(kG))
// || msg), s = (k + r'd) mod n with r' = OS2I(r) mod n; the result is r || s.
// The nonce k is derived from the key and the message, so a card signs the
// same data the same way on every run (a real card draws k at random).
func (k *eccKey) sign(msg []byte) []byte {
	n := k.order()
	size := k.suite.FieldLen()
	nh := sha512.New()
	nh.Write([]byte("emvtest nonce"))
	nh.Write(k.d.Bytes())
	nh.Write(msg)
	nonce := new(big.Int).SetBytes(nh.Sum(nil))
	nonce.Mod(nonce, n)
	if nonce.Sign() == 0 {
		nonce.SetInt64(1)
	}
	kx, _ := baseMult(k.suite, nonce.FillBytes(make([]byte, size)))
	h := k.newHash()
	h.Write(kx)
	h.Write(msg)
	r := h.Sum(nil)
	rv := new(big.Int).SetBytes(r)
	rv.Mod(rv, n)
	s := rv.Mul(rv, k.d)
	s.Add(s, nonce)
	s.Mod(s, n)
	return append(r, s.FillBytes(make([]byte, size))...)
}

// ECC key chain of XDA (Book 2 §12): the test CA ECC key, the issuer and
// the ICC ECC keys, derived from the chain's seed.
func (kc *KeyChain) eccSuite() oda.Suite { return oda.Suite(kc.keys.ECCSuite) }
func (kc *KeyChain) eccCAIndex() byte    { return byte(kc.keys.ECCCAIndex) }
func (kc *KeyChain) eccCA() *eccKey {
	return deterministicECCKey(kc.seed, fmt.Sprintf("ecc-ca-%02X", kc.keys.ECCCAIndex), kc.eccSuite())
}
func (kc *KeyChain) eccIssuer() *eccKey {
	return deterministicECCKey(kc.seed, "ecc-issuer", oda.Suite(kc.keys.ECCIssuerSuite))
}
func (kc *KeyChain) eccICC() *eccKey {
	return deterministicECCKey(kc.seed, "ecc-icc", oda.Suite(kc.keys.ECCICCSuite))
}

func (kc *KeyChain) eccODE() *eccKey {
	return deterministicECCKey(kc.seed, "ecc-ode", oda.Suite(kc.keys.ECCICCSuite))
}

// ECCCAPublicKey returns the chain's CA ECC public key, which signs the
// issuer certificates of XDA cards (Book 2 §12.2).
func (kc *KeyChain) ECCCAPublicKey() CAPublicKey {
	c := CAPublicKey{RID: kc.rid, Index: kc.eccCAIndex(), Suite: kc.eccSuite(), X: kc.eccCA().x}
	h := sha1.New()
	h.Write(c.RID[:])
	h.Write([]byte{c.Index})
	h.Write(c.X)
	copy(c.Checksum[:], h.Sum(nil))
	return c
}

// eccIssuerCertificate builds the Issuer ECC Public Key Certificate (90)
// signed by the CA ECC key, Book 2 §12.3 Table 35. issuerID is 3 to 10
// PAN digits, expiry YYYYMMDD.
func eccIssuerCertificate(ca, issuer *eccKey, rid [5]byte, index byte, issuerID, expiry string, serial []byte, corrupt bool) []byte {
	b := []byte{0x12, 0x00}
	b = append(b, cnPad(issuerID, 5)...)
	b = append(b, byte(issuer.suite))
	b = append(b, mustHex(expiry)...)
	b = append(b, serial...)
	b = append(b, rid[:]...)
	b = append(b, index)
	b = append(b, issuer.x...)
	sig := ca.sign(b)
	if corrupt {
		sig[len(sig)-1] ^= 0x01
	}
	return append(b, sig...)
}

// eccICCCertificate builds the ICC ECC Public Key Certificate (9F46)
// signed by the issuer ECC key over the Issuer Certified Card Data, Book 2
// §12.4 Table 36. expiry is YYYYMMDDHHMM.
func eccICCCertificate(issuer, icc *eccKey, expiry string, serial, iccd []byte) []byte {
	b := []byte{0x14, 0x00, byte(icc.suite)}
	b = append(b, mustHex(expiry)...)
	b = append(b, serial...)
	h := icc.newHash()
	h.Write(iccd)
	b = append(b, 0x00, icc.suite.HashAlgorithm())
	b = append(b, h.Sum(nil)...)
	b = append(b, icc.x...)
	return append(b, issuer.sign(b)...)
}

// eccODECertificate builds the ICC ECC Public Key Certificate for ODE
// (9F2D): the layout of Table 36 with the ODE suite of the key's curve
// (00 P-256, 01 P-521; Book 2 Table 49).
func eccODECertificate(issuer, ode *eccKey, expiry string, serial, iccd []byte) []byte {
	cert := eccICCCertificate(issuer, ode, expiry, serial, iccd)
	suite := oda.ODESuiteP256
	if ode.suite == oda.SuiteP521SHA512 {
		suite = oda.ODESuiteP521
	}
	cert[2] = suite
	sigLen := issuer.suite.SignatureLen()
	body := cert[:len(cert)-sigLen]
	return append(body[:len(body):len(body)], issuer.sign(body)...)
}

// decipherPIN is the card's side of ECC offline PIN encipherment (Book 2
// §13.3): Z = x(d·R) from x(R), the session keys from Z and the last GET
// CHALLENGE number, the MAC checked, then 7F || PIN block || number. It
// returns nil when any of it fails (the PIN then counts as wrong).
func (k *eccKey) decipherPIN(data, un []byte) []byte {
	n := k.suite.FieldLen()
	if len(data) != n+17+ode.MACLen || un == nil {
		return nil
	}
	r, err := oda.NewECPublicKey(k.suite, data[:n])
	if err != nil {
		return nil
	}
	zx, err := sharedX(k.suite, r, k.d.FillBytes(make([]byte, n)))
	if err != nil {
		return nil
	}
	keys, err := ode.DeriveKeys(oda.SharedSecretZ(k.suite, zx), un)
	if err != nil {
		return nil
	}
	defer keys.Clear()
	plain, err := ode.Decrypt(keys.K1[:], keys.K2[:], 0, data[n:], nil)
	if err != nil {
		return nil
	}
	defer clear(plain)
	if plain[0] != 0x7F || !bytes.Equal(plain[9:17], un) {
		return nil
	}
	return bytes.Clone(plain[1:9])
}

// sharedX is x(scalar·R) for the point r stands for.
func sharedX(suite oda.Suite, r *oda.ECPublicKey, scalar []byte) ([]byte, error) {
	enc := append(append([]byte{4}, r.X...), r.Y()...)
	switch suite {
	case oda.SuiteP521SHA512:
		p, err := nistec.NewP521Point().SetBytes(enc)
		if err != nil {
			return nil, err
		}
		if p, err = p.ScalarMult(p, scalar); err != nil {
			return nil, err
		}
		return p.BytesX()
	default:
		p, err := nistec.NewP256Point().SetBytes(enc)
		if err != nil {
			return nil, err
		}
		if p, err = p.ScalarMult(p, scalar); err != nil {
			return nil, err
		}
		return p.BytesX()
	}
}

// iccd is the Issuer Certified Card Data an XDA card's certificate signs
// (Book 3 §10.3): the static data of the AFL records, then the AIP, the
// AID (the card's own: the terminal's list entry for it is the same AID
// when it selects exactly) and the PDOL when the card has one, each as
// tag, length and value.
func iccdFor(a *Application, recordsData []byte) []byte {
	d := append([]byte(nil), recordsData...)
	d = tlv.AppendTLV(d, 0x82, a.AIP)
	d = tlv.AppendTLV(d, 0x9F06, a.AID)
	if len(a.PDOL) > 0 {
		d = tlv.AppendTLV(d, 0x9F38, a.PDOL)
	}
	return d
}

// xdaResponse builds a GENERATE AC response with the XDA signature (Book
// 2 §12.5.3, Tables 37 and 38): 77 holding the response's data objects and
// 9F4B = 15 || the ICC key's signature over 15 || PDOL data || CDOL1 data
// || CDOL2 data (second GENERATE AC) || those data objects.
func xdaResponse(icc *eccKey, objs, pdolData, cdol1Data, cdol2Data []byte, corrupt bool) []byte {
	msg := []byte{0x15}
	msg = append(msg, pdolData...)
	msg = append(msg, cdol1Data...)
	msg = append(msg, cdol2Data...)
	msg = append(msg, objs...)
	sig := icc.sign(msg)
	if corrupt {
		sig[0] ^= 0x40
	}
	body := append(append([]byte(nil), objs...), tlv.AppendTLV(nil, 0x9F4B, append([]byte{0x15}, sig...))...)
	return tlv.AppendTLV(nil, 0x77, body)
}
