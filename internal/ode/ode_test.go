package ode

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func h(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// RFC 4493 §4 examples (AES-128), the known answers of NIST SP 800-38B
// Appendix D.1.
func TestCMACKnownAnswers(t *testing.T) {
	key := h("2b7e151628aed2a6abf7158809cf4f3c")
	msg := h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		assert.Equal(t, tc.want, hex.EncodeToString(CMAC(key, msg[:tc.n])), "%d bytes", tc.n)
	}
}

// Annex A2.3.3/A2.3.4: a round trip, and a MAC that fails on any change
// of ciphertext, associated data or counter.
func TestEncryptThenMAC(t *testing.T) {
	k, err := DeriveKeys(h("11223344556677889900AABBCCDDEEFF11223344556677889900AABBCCDDEEFF"), h("0102030405060708"))
	require.NoError(t, err)
	assert.NotEqual(t, k.K1, k.K2)
	p := h("7F241234FFFFFFFFFF0102030405060708")
	c, err := Encrypt(k.K1[:], k.K2[:], 0, p, nil)
	require.NoError(t, err)
	require.Len(t, c, len(p)+MACLen)
	got, err := Decrypt(k.K1[:], k.K2[:], 0, c, nil)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	for i := range c {
		bad := append([]byte(nil), c...)
		bad[i] ^= 0x01
		_, err := Decrypt(k.K1[:], k.K2[:], 0, bad, nil)
		assert.ErrorIs(t, err, ErrMAC, "byte %d", i)
	}
	_, err = Decrypt(k.K1[:], k.K2[:], 1, c, nil)
	assert.ErrorIs(t, err, ErrMAC, "counter")
	_, err = Decrypt(k.K1[:], k.K2[:], 0, c, []byte{0})
	assert.ErrorIs(t, err, ErrMAC, "associated data")
	_, err = Encrypt(k.K1[:], k.K2[:], 0xFFFF, p, nil)
	assert.ErrorIs(t, err, ErrInput)
	_, err = Decrypt(k.K1[:], k.K2[:], 0, c[:7], nil)
	assert.ErrorIs(t, err, ErrInput)
	_, err = DeriveKeys(nil, h("0102030405060708"))
	assert.ErrorIs(t, err, ErrInput)
	k2, err := DeriveKeys(h("11223344556677889900AABBCCDDEEFF11223344556677889900AABBCCDDEEFF"), h("0102030405060709"))
	require.NoError(t, err)
	assert.NotEqual(t, k.K1, k2.K1, "UN_KD enters every key")
	k.Clear()
	assert.Equal(t, Keys{}, k)
}
