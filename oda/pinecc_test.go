package oda

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/emvkit/emvkit/internal/ode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// odeKey returns a chain whose card also holds an ICC ECC key for ODE in
// 9F2D (Table 36 with ODE suite 00 or 01), and that key's private half.
func odeChain(t *testing.T, curve Suite) (*eccChain, *ecTestKey) {
	c := newECCChain(t, curve, SuiteP256SHA256, SuiteP256SHA256)
	pin := newECTestKey(curve, "oda test ODE key "+curve.String())
	tmpl := c.iccTmpl
	tmpl.suite = Suite(ODESuiteP256)
	if curve == SuiteP521SHA512 {
		tmpl.suite = Suite(ODESuiteP521)
	}
	tmpl.hashAlg = curve.HashAlgorithm()
	c.card.PINCertificate = tmpl.build(pin, c.issuer)
	return c, pin
}

// decipherPIN is the card's side of Book 2 §13.2-§13.3: Z = x(d_ICC·R),
// the same session keys, the MAC, then 7F || PIN block || UN.
func decipherPIN(t *testing.T, key *ecTestKey, data, un []byte) []byte {
	t.Helper()
	n := key.suite.FieldLen()
	require.Greater(t, len(data), n+ode.MACLen)
	r, err := key.suite.params().point4x(data[:n]) // either root gives the same x(dR)
	require.NoError(t, err)
	zx, err := r.mulX(key.d.FillBytes(make([]byte, n)))
	require.NoError(t, err)
	keys, err := ode.DeriveKeys(SharedSecretZ(key.suite, zx), un)
	require.NoError(t, err)
	plain, err := ode.Decrypt(keys.K1[:], keys.K2[:], 0, data[n:], nil)
	require.NoError(t, err)
	require.Len(t, plain, 17)
	require.Equal(t, byte(0x7F), plain[0])
	require.Equal(t, un, plain[9:])
	return plain[1:9]
}

// Book 2 §13.1-§13.2: the ODE key from 9F2D, the PIN enciphered under it,
// and the card recovers the PIN block; the data is x(R) || C* || MAC.
func TestEncipherPINECC(t *testing.T) {
	for _, curve := range []Suite{SuiteP256SHA256, SuiteP521SHA512} {
		t.Run(curve.String(), func(t *testing.T) {
			c, pin := odeChain(t, curve)
			key, err := c.verifier().ECCPINKey(&c.card, c.iccd)
			require.NoError(t, err)
			assert.Equal(t, curve, key.Suite)
			assert.Equal(t, pin.x, key.X)
			assert.Contains(t, key.String(), "for ODE")
			block := h("241234FFFFFFFFFF")
			un := h("0102030405060708")
			data, err := EncipherPINECC(key, block, un, rand.Reader)
			require.NoError(t, err)
			assert.Len(t, data, curve.FieldLen()+17+ode.MACLen)
			assert.Equal(t, block, decipherPIN(t, pin, data, un))
			again, err := EncipherPINECC(key, block, un, rand.Reader)
			require.NoError(t, err)
			assert.NotEqual(t, data, again, "a fresh ephemeral key each time")
			assert.False(t, bytes.Contains(data, block))
		})
	}
}

func TestEncipherPINECCErrors(t *testing.T) {
	c, _ := odeChain(t, SuiteP256SHA256)
	key, err := c.verifier().ECCPINKey(&c.card, c.iccd)
	require.NoError(t, err)
	block, un := h("241234FFFFFFFFFF"), h("0102030405060708")
	_, err = EncipherPINECC(nil, block, un, rand.Reader)
	requireODAError(t, err, PIN, CheckPINKey, ErrInput)
	xda, err := c.verifier().XDAKey(&c.card, c.iccd)
	require.NoError(t, err)
	_, err = EncipherPINECC(xda, block, un, rand.Reader)
	requireODAError(t, err, PIN, CheckPINKey, ErrInput) // an XDA key is no ODE key
	_, err = EncipherPINECC(key, block[:7], un, rand.Reader)
	requireODAError(t, err, PIN, CheckPINBlock, ErrInput)
	_, err = EncipherPINECC(key, block, un[:4], rand.Reader)
	requireODAError(t, err, PIN, CheckICCUN, ErrLength)
	_, err = EncipherPINECC(key, block, un, nil)
	requireODAError(t, err, PIN, CheckRandom, ErrInput)
	_, err = EncipherPINECC(key, block, un, bytes.NewReader(nil))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CheckRandom, e.Check)
	assert.NotContains(t, err.Error(), "241234")
}

// The ODE key's certificate goes through the checks of Table 36; its suite
// must be an ODE suite.
func TestECCPINKeyChecks(t *testing.T) {
	cases := []struct {
		name  string
		card  func(c *eccChain)
		check Check
		want  error
	}{
		{"9F2D absent", func(c *eccChain) { c.card.PINCertificate = nil }, CheckICCCertificate, ErrMissingData},
		{"CA ECC key unknown", func(c *eccChain) { c.card.CAKeyIndex = []byte{0xE6} }, CheckCAKey, ErrCAKeyUnknown},
		{"issuer certificate broken", func(c *eccChain) { c.card.IssuerCertificate[30] ^= 1 }, CheckIssuerCertSignature, ErrSignature},
		{"ODE certificate with an XDA suite", func(c *eccChain) {
			tmpl := c.iccTmpl
			c.card.PINCertificate = tmpl.build(c.icc, c.issuer)
		}, CheckICCKeyAlgorithm, ErrUnsupportedAlgorithm},
		{"ODE certificate changed", func(c *eccChain) { c.card.PINCertificate[5] ^= 1 }, CheckICCCertSignature, ErrSignature},
		{"other card data", func(c *eccChain) { c.iccd = append(c.iccd, 0) }, CheckICCCertHash, ErrHashMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := odeChain(t, SuiteP256SHA256)
			tc.card(c)
			k, err := c.verifier().ECCPINKey(&c.card, c.iccd)
			assert.Nil(t, k)
			requireODAError(t, err, PIN, tc.check, tc.want)
		})
	}
}
