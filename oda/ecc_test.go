package oda

import (
	"crypto/sha512"
	"encoding/json"
	"math/big"
	"os"
	"testing"

	"filippo.io/nistec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ecTestKey is an EC-SDSA private key that can sign as a card, an issuer
// or a certification authority would (Book 2 Annex A2.2.2).
type ecTestKey struct {
	suite Suite
	d     *big.Int
	x     []byte
}

// baseMult returns x and y of scalar·G; scalar is N_FIELD bytes.
func baseMult(suite Suite, scalar []byte) (x, y []byte) {
	var enc []byte
	switch suite {
	case SuiteP256SHA256:
		p, err := nistec.NewP256Point().ScalarBaseMult(scalar)
		if err != nil {
			panic(err)
		}
		enc = p.Bytes()
	case SuiteP521SHA512:
		p, err := nistec.NewP521Point().ScalarBaseMult(scalar)
		if err != nil {
			panic(err)
		}
		enc = p.Bytes()
	default:
		panic("suite")
	}
	n := suite.FieldLen()
	return enc[1 : 1+n], enc[1+n:]
}

// newECTestKey derives a key from a seed: d = OS2I(SHA-512(seed)) mod n,
// replaced by n - d when dG's y is the upper root, so that the key meets
// the rule long-term keys must meet (Book 2 Annex B2.2.4) and verifies
// from x alone.
func newECTestKey(suite Suite, seed string) *ecTestKey {
	sp := suite.params()
	sum := sha512.Sum512([]byte(seed))
	d := new(big.Int).SetBytes(sum[:])
	d.Mod(d, sp.n)
	if d.Sign() == 0 {
		d.SetInt64(1)
	}
	return newECTestKeyD(suite, d, true)
}

func newECTestKeyD(suite Suite, d *big.Int, lower bool) *ecTestKey {
	sp := suite.params()
	x, y := baseMult(suite, d.FillBytes(make([]byte, sp.fieldLen)))
	half := new(big.Int).Rsh(fieldPrime(suite), 1)
	if lower && new(big.Int).SetBytes(y).Cmp(half) > 0 {
		d = new(big.Int).Sub(sp.n, d)
		x, _ = baseMult(suite, d.FillBytes(make([]byte, sp.fieldLen)))
	}
	return &ecTestKey{suite: suite, d: d, x: x}
}

func fieldPrime(suite Suite) *big.Int { return suite.params().p }

func (k *ecTestKey) public(t testing.TB) *ECPublicKey {
	pk, err := NewECPublicKey(k.suite, k.x)
	require.NoError(t, err)
	return pk
}

// signNonce signs with the given nonce (Book 2 Annex A2.2.2): r =
// Hash(I2OS(x(kG)) || M), s = (k + r'd) mod n with r' = OS2I(r) mod n.
func (k *ecTestKey) signNonce(msg, nonce []byte) []byte {
	sp := k.suite.params()
	kx, _ := baseMult(k.suite, nonce)
	h := sp.newHash()
	h.Write(kx)
	h.Write(msg)
	r := h.Sum(nil)
	rv := new(big.Int).SetBytes(r)
	rv.Mod(rv, sp.n)
	s := new(big.Int).Mul(rv, k.d)
	s.Add(s, new(big.Int).SetBytes(nonce))
	s.Mod(s, sp.n)
	return append(r, s.FillBytes(make([]byte, sp.fieldLen))...)
}

// sign signs with a nonce derived from the key and the message, so that
// test cards are the same on every run.
func (k *ecTestKey) sign(msg []byte) []byte {
	sp := k.suite.params()
	h := sha512.New()
	h.Write([]byte("nonce"))
	h.Write(k.d.Bytes())
	h.Write(msg)
	n := new(big.Int).SetBytes(h.Sum(nil))
	n.Mod(n, sp.n)
	return k.signNonce(msg, n.FillBytes(make([]byte, sp.fieldLen)))
}

type eccVector struct {
	ID                string `json:"id"`
	Kind              string `json:"kind"`
	Source            string `json:"source"`
	Trust             string `json:"trust"`
	Suite             string `json:"suite"`
	D                 string `json:"private_key_d"`
	K                 string `json:"nonce_k"`
	Message           string `json:"message"`
	Signature         string `json:"signature"`
	X                 string `json:"public_key_x"`
	Y                 string `json:"public_key_y"`
	YLower            string `json:"y_lower_root"`
	VerifiesFullPoint bool   `json:"verifies_full_point"`
	VerifiesLowerRoot bool   `json:"verifies_x_only_lower_root"`
	VerifiesEvenRoot  bool   `json:"verifies_x_only_even_root"`
	Negatives         []struct {
		What      string `json:"what"`
		Message   string `json:"message"`
		Signature string `json:"signature"`
	} `json:"negatives"`
}

func loadECCVectors(t testing.TB) []eccVector {
	raw, err := os.ReadFile("testdata/ecc_vectors.json")
	require.NoError(t, err)
	var f struct {
		Vectors []eccVector `json:"vectors"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	return f.Vectors
}

// keyWithY builds a key from a whole point, bypassing the lower-root rule.
func keyWithY(t *testing.T, suite Suite, x, y []byte) *ECPublicKey {
	pt, err := suite.params().fromXY(x, y)
	require.NoError(t, err)
	return &ECPublicKey{Suite: suite, X: x, pt: pt}
}

// Book 2 Annex A2.2.3 against outside known answers: libecc's ECOSDSA
// (the EMV construction), its ECSDSA (hashes x and y, not EMV: rejected),
// and constructed keys whose lower root is odd, which tell the EMV rule
// (Annex B2.2.1, lower root) from SEC 1's even root.
func TestECSDSAVectors(t *testing.T) {
	vs := loadECCVectors(t)
	require.Len(t, vs, 6)
	kinds := map[string]int{}
	for _, v := range vs {
		kinds[v.Kind]++
		t.Run(v.ID, func(t *testing.T) {
			require.NotEmpty(t, v.Source)
			suite := Suite(h(v.Suite)[0])
			msg, sig, x := h(v.Message), h(v.Signature), h(v.X)
			key, err := NewECPublicKey(suite, x)
			require.NoError(t, err)
			assert.Equal(t, h(v.YLower), key.Y(), "Point4x must give the lower root")
			assert.Equal(t, v.VerifiesLowerRoot, key.VerifySignature(msg, sig) == nil, "x only, lower root")
			assert.Equal(t, v.VerifiesFullPoint, keyWithY(t, suite, x, h(v.Y)).VerifySignature(msg, sig) == nil, "full point")
			even := new(big.Int).SetBytes(h(v.YLower))
			if even.Bit(0) == 1 {
				even.Sub(fieldPrime(suite), even)
			}
			evenKey := keyWithY(t, suite, x, even.FillBytes(make([]byte, suite.FieldLen())))
			assert.Equal(t, v.VerifiesEvenRoot, evenKey.VerifySignature(msg, sig) == nil, "x only, even root (not the EMV rule)")
			for _, n := range v.Negatives {
				err := key.VerifySignature(h(n.Message), h(n.Signature))
				assert.ErrorIs(t, err, ErrSignature, n.What)
			}
			// The test signer reproduces the EMV construction and only it.
			signer := newECTestKeyD(suite, new(big.Int).SetBytes(h(v.D)), false)
			got := signer.signNonce(msg, h(v.K))
			if v.Kind == "ecsdsa-not-emv" {
				assert.NotEqual(t, sig, got)
				assert.ErrorIs(t, key.VerifySignature(msg, sig), ErrSignature)
			} else {
				assert.Equal(t, sig, got)
			}
		})
	}
	assert.Equal(t, map[string]int{"ecosdsa": 2, "constructed": 3, "ecsdsa-not-emv": 1}, kinds)
}

// Book 2 Annex A2.2.3 steps a and e: length and range of r and s.
func TestECSDSARejects(t *testing.T) {
	for _, suite := range []Suite{SuiteP256SHA256, SuiteP521SHA512} {
		k := newECTestKey(suite, "reject "+suite.String())
		pk := k.public(t)
		msg := []byte("message")
		sig := k.sign(msg)
		require.NoError(t, pk.VerifySignature(msg, sig))
		nh, nf := suite.HashLen(), suite.FieldLen()
		assert.ErrorIs(t, pk.VerifySignature(msg, sig[1:]), ErrLength)
		assert.ErrorIs(t, pk.VerifySignature(msg, append(sig, 0)), ErrLength)
		zeroS := append(append([]byte(nil), sig[:nh]...), make([]byte, nf)...)
		assert.ErrorIs(t, pk.VerifySignature(msg, zeroS), ErrSignature, "s = 0")
		bigS := append(append([]byte(nil), sig[:nh]...), suite.params().n.FillBytes(make([]byte, nf))...)
		assert.ErrorIs(t, pk.VerifySignature(msg, bigS), ErrSignature, "s = n")
		zeroR := append(make([]byte, nh), sig[nh:]...)
		assert.ErrorIs(t, pk.VerifySignature(msg, zeroR), ErrSignature, "r = 0")
		assert.ErrorIs(t, pk.VerifySignature([]byte("other"), sig), ErrSignature)
	}
	_, err := NewECPublicKey(0x12, make([]byte, 32))
	assert.ErrorIs(t, err, ErrUnsupportedAlgorithm, "SHA-3 suite")
	_, err = NewECPublicKey(SuiteP256SHA256, make([]byte, 31))
	assert.ErrorIs(t, err, ErrLength)
	_, err = NewECPublicKey(SuiteP256SHA256, fieldPrime(SuiteP256SHA256).Bytes())
	assert.ErrorIs(t, err, ErrFormat, "x = p is no field element")
	_, err = NewECPublicKey(SuiteP256SHA256, notOnCurveX(SuiteP256SHA256))
	assert.ErrorIs(t, err, ErrFormat, "no point has this x")
	assert.ErrorIs(t, (&ECPublicKey{Suite: SuiteP256SHA256}).VerifySignature(nil, nil), ErrInput)
}

// notOnCurveX returns an x coordinate that belongs to no point of the
// suite's curve (about half of all values are such).
func notOnCurveX(suite Suite) []byte {
	x := make([]byte, suite.FieldLen())
	for i := 1; ; i++ {
		x[len(x)-1] = byte(i)
		if _, err := suite.params().point4x(x); err != nil {
			return x
		}
	}
}

func TestSuite(t *testing.T) {
	assert.Equal(t, "P-256/SHA-256", SuiteP256SHA256.String())
	assert.Equal(t, "P-521/SHA-512", SuiteP521SHA512.String())
	assert.Equal(t, "Suite(80)", Suite(0x80).String())
	assert.Equal(t, []int{32, 32, 64}, []int{SuiteP256SHA256.FieldLen(), SuiteP256SHA256.HashLen(), SuiteP256SHA256.SignatureLen()})
	assert.Equal(t, []int{66, 64, 130}, []int{SuiteP521SHA512.FieldLen(), SuiteP521SHA512.HashLen(), SuiteP521SHA512.SignatureLen()})
	assert.Equal(t, []byte{HashSHA256, HashSHA512, 0}, []byte{SuiteP256SHA256.HashAlgorithm(), SuiteP521SHA512.HashAlgorithm(), Suite(0x13).HashAlgorithm()})
	assert.Zero(t, Suite(0x12).SignatureLen())
}
