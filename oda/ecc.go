package oda

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"math/big"

	"filippo.io/nistec"
)

// Suite is an Algorithm Suite Indicator of EMV 4.4 Book 2 Annex B2.4.1
// (Table 48): which signature algorithm, hash and curve an ECC key is for.
type Suite byte

// The EC-SDSA suites of Book 2 Table 48 that this package verifies. The
// SHA-3 suites (12, 13) and the proprietary range (80-FF) are refused with
// [ErrUnsupportedAlgorithm].
const (
	SuiteP256SHA256 Suite = 0x10 // EC-SDSA, SHA-256, P-256: N_FIELD 32, N_HASH 32, N_SIG 64
	SuiteP521SHA512 Suite = 0x11 // EC-SDSA, SHA-512, P-521: N_FIELD 66, N_HASH 64, N_SIG 130
)

// Hash Algorithm Indicators for the ECC methods, Book 2 Annex B2.3
// (Table 47). SHA-1 (01) is never used with ECC.
const (
	HashSHA256 byte = 0x02
	HashSHA512 byte = 0x03
)

// String names the suite: "P-256/SHA-256".
func (s Suite) String() string {
	if p := s.params(); p != nil {
		return p.name
	}
	return fmt.Sprintf("Suite(%02X)", byte(s))
}

// Known reports whether the suite is one this package verifies.
func (s Suite) Known() bool { return s.params() != nil }

// FieldLen is N_FIELD, the length of a coordinate and of the s half of a
// signature; 0 for an unknown suite.
func (s Suite) FieldLen() int {
	if p := s.params(); p != nil {
		return p.fieldLen
	}
	return 0
}

// HashLen is N_HASH, the length of the r half of a signature.
func (s Suite) HashLen() int {
	if p := s.params(); p != nil {
		return p.hashLen
	}
	return 0
}

// SignatureLen is N_SIG = N_HASH + N_FIELD (Book 2 Annex A2.2.2 step f).
func (s Suite) SignatureLen() int { return s.HashLen() + s.FieldLen() }

// HashAlgorithm is the Hash Algorithm Indicator of the suite's hash.
func (s Suite) HashAlgorithm() byte {
	if p := s.params(); p != nil {
		return p.hashAlg
	}
	return 0
}

// suiteParams is what verification needs of one suite.
type suiteParams struct {
	name              string
	fieldLen, hashLen int
	hashAlg           byte
	newHash           func() hash.Hash
	p, n              *big.Int // the field prime and the group order
	// point4x rebuilds a point from its x coordinate by the rule of
	// Book 2 Annex B2.2.1 (the lower root); fromXY takes a full point.
	point4x func(x []byte) (ecPoint, error)
	fromXY  func(x, y []byte) (ecPoint, error)
	// baseX returns x(scalar·G), N_FIELD bytes; scalar is N_FIELD bytes.
	baseX func(scalar []byte) ([]byte, error)
}

var (
	p256Params = newSuiteParams("P-256/SHA-256", 32, HashSHA256, sha256.New,
		"FFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF",
		"FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
		nistec.NewP256Point)
	p521Params = newSuiteParams("P-521/SHA-512", 66, HashSHA512, sha512.New,
		"01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
		"01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409",
		nistec.NewP521Point)
)

func (s Suite) params() *suiteParams {
	switch s {
	case SuiteP256SHA256:
		return p256Params
	case SuiteP521SHA512:
		return p521Params
	}
	return nil
}

// nistPoint is the method set the two nistec point types share.
type nistPoint[P any] interface {
	*nistec.P256Point | *nistec.P521Point
	Bytes() []byte
	BytesX() ([]byte, error)
	SetBytes([]byte) (P, error)
	Add(P, P) P
	ScalarMult(P, []byte) (P, error)
	ScalarBaseMult([]byte) (P, error)
}

// curve is one prime curve: its point constructor, its field prime and
// (p-1)/2, the largest y the lower-root rule admits.
type curve[P nistPoint[P]] struct {
	newPoint func() P
	size     int
	halfP    *big.Int
}

func newSuiteParams[P nistPoint[P]](name string, size int, hashAlg byte, newHash func() hash.Hash, pHex, nHex string, newPoint func() P) *suiteParams {
	p, _ := new(big.Int).SetString(pHex, 16)
	n, _ := new(big.Int).SetString(nHex, 16)
	c := &curve[P]{newPoint: newPoint, size: size, halfP: new(big.Int).Rsh(p, 1)}
	return &suiteParams{
		name: name, fieldLen: size, hashLen: newHash().Size(), hashAlg: hashAlg, newHash: newHash, p: p, n: n,
		point4x: c.point4x, fromXY: c.fromXY, baseX: c.baseX,
	}
}

// ecPoint is a public key point on one of the curves, ready for
// verification.
type ecPoint interface {
	// sumX returns x(aG + bQ) as N_FIELD bytes; an error when the sum is
	// the point at infinity. a and b are N_FIELD bytes.
	sumX(a, b []byte) ([]byte, error)
	// y returns the point's y coordinate, N_FIELD bytes.
	y() []byte
	// mulX returns x(scalar·Q), N_FIELD bytes: the Diffie-Hellman shared
	// secret of ECC encryption (Book 2 Annex A2.3.2).
	mulX(scalar []byte) ([]byte, error)
	// compressed returns the point's SEC 1 compressed encoding (02 or 03,
	// then x), which names it exactly; nil for a point not built by
	// point4x.
	compressed() []byte
}

type curvePoint[P nistPoint[P]] struct {
	c *curve[P]
	q P
	// enc is the compressed encoding point4x built q from, never changed.
	enc []byte
}

func (p *curvePoint[P]) compressed() []byte { return p.enc }

// errNotOnCurve: an x coordinate with no point, or a point not on the curve.
var errNotOnCurve = errors.New("not a point of the curve")

// point4x is Point4x of Book 2 Annex B2.2.1: the point with this x whose
// y, as an integer in [0, p-1], is below (p+1)/2 (the "lower root"). It is
// not the SEC 1 compressed form's even-y rule: the two agree for about
// half the keys. Long-term keys are generated to meet it (Annex B2.2.4).
func (c *curve[P]) point4x(x []byte) (ecPoint, error) {
	if len(x) != c.size {
		return nil, fmt.Errorf("x coordinate of %d bytes, want %d", len(x), c.size)
	}
	enc := make([]byte, 1+c.size)
	enc[0] = 2 // the even root first
	copy(enc[1:], x)
	q, err := c.newPoint().SetBytes(enc)
	if err != nil {
		return nil, errNotOnCurve
	}
	if y := q.Bytes()[1+c.size:]; new(big.Int).SetBytes(y).Cmp(c.halfP) > 0 {
		enc[0] = 3 // the even root is the upper one: the other root is p - y, odd and lower
		if q, err = c.newPoint().SetBytes(enc); err != nil {
			return nil, errNotOnCurve
		}
	}
	return &curvePoint[P]{c: c, q: q, enc: enc}, nil
}

// fromXY takes a point given whole (tests use it for keys that do not meet
// the lower-root rule).
func (c *curve[P]) fromXY(x, y []byte) (ecPoint, error) {
	if len(x) != c.size || len(y) != c.size {
		return nil, fmt.Errorf("coordinates of %d and %d bytes, want %d", len(x), len(y), c.size)
	}
	enc := append(append([]byte{4}, x...), y...)
	q, err := c.newPoint().SetBytes(enc)
	if err != nil {
		return nil, errNotOnCurve
	}
	return &curvePoint[P]{c: c, q: q}, nil
}

func (p *curvePoint[P]) sumX(a, b []byte) ([]byte, error) {
	aG, err := p.c.newPoint().ScalarBaseMult(a)
	if err != nil {
		return nil, err
	}
	bQ, err := p.c.newPoint().ScalarMult(p.q, b)
	if err != nil {
		return nil, err
	}
	return aG.Add(aG, bQ).BytesX() // BytesX fails for the point at infinity
}

func (p *curvePoint[P]) y() []byte { return p.q.Bytes()[1+p.c.size:] }

func (p *curvePoint[P]) mulX(scalar []byte) ([]byte, error) {
	q, err := p.c.newPoint().ScalarMult(p.q, scalar)
	if err != nil {
		return nil, err
	}
	return q.BytesX()
}

func (c *curve[P]) baseX(scalar []byte) ([]byte, error) {
	q, err := c.newPoint().ScalarBaseMult(scalar)
	if err != nil {
		return nil, err
	}
	return q.BytesX()
}

// ECPublicKey is an ECC public key as EMV carries it: the x coordinate
// only (Book 2 Annex B2.2.1), under an Algorithm Suite.
type ECPublicKey struct {
	Suite Suite
	X     []byte // N_FIELD bytes, leading zeros kept
	pt    ecPoint
}

// NewECPublicKey rebuilds the point of an x-only key by Book 2 Annex
// B2.2.1 (Point4x: y is the lower root). The error wraps
// [ErrUnsupportedAlgorithm] for a suite this package does not verify,
// [ErrLength] for x of the wrong length and [ErrFormat] for an x that is
// no point's coordinate (or not below p).
func NewECPublicKey(suite Suite, x []byte) (*ECPublicKey, error) {
	sp := suite.params()
	if sp == nil {
		return nil, &detailError{sentinel: ErrUnsupportedAlgorithm, detail: fmt.Sprintf("algorithm suite %02X", byte(suite))}
	}
	if len(x) != sp.fieldLen {
		return nil, &detailError{sentinel: ErrLength, detail: fmt.Sprintf("x coordinate of %d bytes, suite %v wants %d", len(x), suite, sp.fieldLen)}
	}
	pt, err := sp.point4x(x)
	if err != nil {
		return nil, &detailError{sentinel: ErrFormat, detail: fmt.Sprintf("x coordinate: %v", err)}
	}
	return &ECPublicKey{Suite: suite, X: x, pt: pt}, nil
}

// Y returns the y coordinate the key stands for (the lower root).
func (k *ECPublicKey) Y() []byte { return k.pt.y() }

// String names the key: "P-256/SHA-256 public key".
func (k *ECPublicKey) String() string { return k.Suite.String() + " public key" }

// ErrSignature: an EC-SDSA signature does not verify (Book 2 Annex
// A2.2.3): its r differs from the hash the key and s give, or r or s is
// out of range.
var ErrSignature = errors.New("signature does not verify")

// VerifySignature verifies an EC-SDSA signature over message, Book 2
// Annex A2.2.3. The error wraps [ErrLength] when the signature is not
// N_SIG bytes and [ErrSignature] when it does not verify.
func (k *ECPublicKey) VerifySignature(message, signature []byte) error {
	return k.verify(signature, func(h hash.Hash) { h.Write(message) })
}

// verify runs Book 2 Annex A2.2.3 with the message fed by write, so that
// callers hash card data in place:
//
//	a  the signature is N_SIG = N_HASH + N_FIELD bytes
//	b  r is its first N_HASH bytes, s the N_FIELD bytes after
//	c  s' = OS2I(s)
//	d  r' = OS2I(r) mod n (reduced, not refused)
//	e  0 < r' and 0 < s' < n
//	f  Q = s'G - r'P, computed as s'G + (n - r')P; Q is not the point at infinity
//	g  B2 = I2OS(x(Q), N_FIELD)
//	h  v = Hash(B2 || message)
//	i  v = r
func (k *ECPublicKey) verify(sig []byte, write func(hash.Hash)) error {
	sp := k.Suite.params()
	if sp == nil || k.pt == nil {
		return &detailError{sentinel: ErrInput, detail: "key not built by NewECPublicKey"}
	}
	if len(sig) != sp.hashLen+sp.fieldLen {
		return &detailError{sentinel: ErrLength, detail: fmt.Sprintf("signature of %d bytes, suite %v wants %d", len(sig), k.Suite, sp.hashLen+sp.fieldLen)}
	}
	r, s := sig[:sp.hashLen], sig[sp.hashLen:]
	sv := new(big.Int).SetBytes(s)
	rv := new(big.Int).SetBytes(r)
	rv.Mod(rv, sp.n)
	if rv.Sign() == 0 || sv.Sign() == 0 || sv.Cmp(sp.n) >= 0 {
		return &detailError{sentinel: ErrSignature, detail: "r or s out of range"}
	}
	negR := rv.Sub(sp.n, rv)
	x, err := k.pt.sumX(sv.FillBytes(make([]byte, sp.fieldLen)), negR.FillBytes(make([]byte, sp.fieldLen)))
	if err != nil {
		return &detailError{sentinel: ErrSignature, detail: "Q is the point at infinity"}
	}
	h := sp.newHash()
	h.Write(x)
	write(h)
	if subtle.ConstantTimeCompare(h.Sum(nil), r) != 1 {
		return ErrSignature
	}
	return nil
}
