package oda

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The RSA public operation of Book 2 Annex A2.1 gives what big.Int.Exp
// gives, for the two exponents of Book 2 and for others, for an operand
// below, equal to and above the modulus, and for the smallest moduli.
func TestBigTempsExpIsExp(t *testing.T) {
	n := new(big.Int).SetBytes(h("C3A1F2E4D5B6978877665544332211FFEEDDCCBBAA99887766554433221100F1"))
	moduli := []*big.Int{n, big.NewInt(1), big.NewInt(2), big.NewInt(0xFFFFFFFB)}
	exps := []*big.Int{bigThree, bigF4, big.NewInt(1), big.NewInt(2), big.NewInt(0), new(big.Int).Lsh(big.NewInt(1), 70)}
	for _, m := range moduli {
		xs := []*big.Int{big.NewInt(0), big.NewInt(1), new(big.Int).Sub(m, big.NewInt(1)), new(big.Int).Set(m), new(big.Int).Add(m, big.NewInt(12345)), new(big.Int).Lsh(m, 40)}
		for _, e := range exps {
			for _, x := range xs {
				if x.Sign() < 0 {
					continue
				}
				tmp := getBigTemps()
				tmp.x.Set(x)
				tmp.exp(e, m)
				want := new(big.Int).Exp(x, e, m)
				assert.Zero(t, want.Cmp(&tmp.z), "%v^%v mod %v: got %v, want %v", x, e, m, &tmp.z, want)
				putBigTemps(tmp)
			}
		}
	}
}

// putBigTemps leaves no word of the operation behind: a PIN block went
// through it.
func TestPutBigTempsWipes(t *testing.T) {
	tmp := getBigTemps()
	tmp.x.SetBytes(h("7F241234FFFFFFFFFF0102030405060708"))
	tmp.exp(bigThree, new(big.Int).SetBytes(h("F1E2D3C4B5A6978877665544332211FFF1E2D3C4B5A6978877665544332211FF")))
	// A shorter operation after a longer one leaves words past the
	// values' lengths.
	tmp.x.SetBytes(h("7F24"))
	tmp.exp(bigThree, big.NewInt(0xFFFFFFFB))
	words := [][]big.Word{tmp.x.Bits()[:cap(tmp.x.Bits())], tmp.z.Bits()[:cap(tmp.z.Bits())],
		tmp.base.Bits()[:cap(tmp.base.Bits())], tmp.prod.Bits()[:cap(tmp.prod.Bits())], tmp.quo.Bits()[:cap(tmp.quo.Bits())]}
	putBigTemps(tmp)
	for i, w := range words {
		for _, x := range w {
			assert.Zero(t, x, "temporary %d", i)
		}
	}
}

// fillBytes gives what big.Int.FillBytes gives, for values from zero to
// the buffer's capacity, on word boundaries and between them.
func TestFillBytesIsFillBytes(t *testing.T) {
	for _, size := range []int{1, 7, 8, 9, 16, 17, 128, 131, 176} {
		max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(8*size)), big.NewInt(1))
		for _, x := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(0x0102030405060708), max, new(big.Int).Rsh(max, 13)} {
			if x.Cmp(max) > 0 {
				continue
			}
			got := fillBytes(x, append([]byte(nil), make([]byte, size)...))
			want := x.FillBytes(make([]byte, size))
			assert.Equal(t, want, got, "%d bytes, %X", size, x)
		}
		// A dirty buffer is overwritten whole.
		dirty := make([]byte, size)
		for i := range dirty {
			dirty[i] = 0xA5
		}
		assert.Equal(t, make([]byte, size), fillBytes(big.NewInt(0), dirty))
	}
	assert.Panics(t, func() { fillBytes(big.NewInt(0x1FF), make([]byte, 1)) })
}
