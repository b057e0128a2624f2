package emvtest

import (
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"sync"
)

// rsaKey is an RSA key pair of the test key chain. Book 2 keys are raw RSA:
// signing is the private operation on a block the signer formats itself
// (Book 2 §5.1, ISO/IEC 9796-2 with message recovery), so no padding scheme
// of crypto/rsa fits and the operations are done on math/big values.
type rsaKey struct {
	N          *big.Int // modulus
	E          int      // public exponent: 3 or 65537 (Book 2 §5.1, Annex B2.1)
	d, p, q    *big.Int
	dp, dq, qi *big.Int
}

// size returns the modulus length in bytes.
func (k *rsaKey) size() int { return (k.N.BitLen() + 7) / 8 }

// modulus returns the modulus as a big-endian byte string of size bytes.
func (k *rsaKey) modulus() []byte { return k.N.FillBytes(make([]byte, k.size())) }

// exponent returns the public exponent as Book 2 writes it: 03 or 01 00 01.
func (k *rsaKey) exponent() []byte {
	if k.E == 3 {
		return []byte{0x03}
	}
	return []byte{0x01, 0x00, 0x01}
}

// private applies the private operation to a block of exactly size bytes
// whose value is below the modulus (CRT form).
func (k *rsaKey) private(block []byte) []byte {
	m := new(big.Int).SetBytes(block)
	m1 := new(big.Int).Exp(m, k.dp, k.p)
	m2 := new(big.Int).Exp(m, k.dq, k.q)
	h := new(big.Int).Sub(m1, m2)
	h.Mul(h, k.qi).Mod(h, k.p)
	h.Mul(h, k.q).Add(h, m2)
	return h.FillBytes(make([]byte, k.size()))
}

// public applies the public operation, as a terminal recovers a signature.
func (k *rsaKey) public(block []byte) []byte {
	m := new(big.Int).SetBytes(block)
	m.Exp(m, big.NewInt(int64(k.E)), k.N)
	return m.FillBytes(make([]byte, k.size()))
}

var keyCache sync.Map // string -> *rsaKey

// deterministicKey returns the RSA key of bits bits and exponent e generated
// from seed and label. Generation is deterministic (a ChaCha8 stream keyed by
// SHA-256 of seed, label and size feeds the prime search), so a profile's
// certificates are the same on every run, and results are cached for the
// life of the process because prime search is slow.
func deterministicKey(seed, label string, bits, e int) *rsaKey {
	id := fmt.Sprintf("%s\x00%s\x00%d\x00%d", seed, label, bits, e)
	if k, ok := keyCache.Load(id); ok {
		return k.(*rsaKey)
	}
	sum := sha256.Sum256([]byte(id))
	rng := rand.NewChaCha8(sum)
	bigE := big.NewInt(int64(e))
	one := big.NewInt(1)
	for {
		p := findPrime(rng, bits-bits/2, bigE)
		q := findPrime(rng, bits/2, bigE)
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != bits {
			continue
		}
		if p.Cmp(q) < 0 {
			p, q = q, p
		}
		pm1 := new(big.Int).Sub(p, one)
		qm1 := new(big.Int).Sub(q, one)
		phi := new(big.Int).Mul(pm1, qm1)
		d := new(big.Int).ModInverse(bigE, phi)
		if d == nil {
			continue
		}
		k := &rsaKey{
			N: n, E: e, d: d, p: p, q: q,
			dp: new(big.Int).Mod(d, pm1),
			dq: new(big.Int).Mod(d, qm1),
			qi: new(big.Int).ModInverse(q, p),
		}
		got, _ := keyCache.LoadOrStore(id, k)
		return got.(*rsaKey)
	}
}

// findPrime returns a prime of exactly bits bits, with its top two bits set
// (so a product of two reaches the full size) and gcd(e, p-1) = 1.
func findPrime(rng *rand.ChaCha8, bits int, e *big.Int) *big.Int {
	buf := make([]byte, (bits+7)/8)
	one := big.NewInt(1)
	for {
		rng.Read(buf)
		excess := len(buf)*8 - bits
		buf[0] &= 0xFF >> excess
		buf[0] |= 0xC0 >> excess
		if excess == 7 {
			buf[1] |= 0x80
		}
		buf[len(buf)-1] |= 1
		p := new(big.Int).SetBytes(buf)
		if !p.ProbablyPrime(20) {
			continue
		}
		if new(big.Int).GCD(nil, nil, e, new(big.Int).Sub(p, one)).Cmp(one) != 0 {
			continue
		}
		return p
	}
}
