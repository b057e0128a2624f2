package oda

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/tlv"
)

// cdaTwoSteps is what CDAKey and CDAStore.VerifyCDA stand for:
// ICCPublicKey, then the key's VerifyCDA.
func cdaTwoSteps(v *Verifier, card *CardData, static []byte, in *CDAInput) (*DynamicData, error) {
	k, err := v.ICCPublicKey(CDA, card, static)
	if err != nil {
		return nil, err
	}
	return k.VerifyCDA(in)
}

// storeCDA is CDAKey into st, then st's VerifyCDA.
func storeCDA(v *Verifier, st *CDAStore, card *CardData, static []byte, in *CDAInput) (*DynamicData, error) {
	if _, err := v.CDAKey(st, card, static); err != nil {
		return nil, err
	}
	return st.VerifyCDA(in)
}

// requireSameCDA checks that CDAKey and VerifyCDA with st answer exactly
// what the two steps answer: the same error (method, check, sentinel and
// text) or the same DynamicData.
func requireSameCDA(t *testing.T, st *CDAStore, v *Verifier, card *CardData, static []byte, in *CDAInput) (*DynamicData, error) {
	t.Helper()
	want, wantErr := cdaTwoSteps(v, card, static, in)
	got, err := storeCDA(v, st, card, static, in)
	if wantErr != nil {
		assert.Nil(t, got)
		require.Error(t, err)
		assert.Equal(t, wantErr, err)
		assert.Equal(t, wantErr.Error(), err.Error())
		return nil, err
	}
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Equal(t, *want, *got)
	return got, nil
}

// Book 2 §6.3, §6.4 and §6.6.2 through one CDAStore: every check of the
// key chain and of the signature fails as it does in ICCPublicKey and
// VerifyCDA, and a success gives the same ICC Dynamic Data, whatever the
// store held before (keys of other lengths, a failed verification).
func TestVerifyCDAWithStore(t *testing.T) {
	var st CDAStore
	atc := tlv.AppendTLV(nil, 0x9F36, h("0010"))
	iad := tlv.AppendTLV(nil, 0x9F10, h("0010904001220000000000000000000000FF"))
	input := func(c *chain, card func(cc *cdaCard)) *CDAInput {
		cc := newCDACard()
		cc.objs = [][]byte{atc, iad}
		if card != nil {
			card(cc)
		}
		return cc.input(cc.response(c.icc))
	}
	for _, tc := range append(issuerKeyCases(), iccKeyCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t, "ca1408", "issuer1152", "icc1024")
			tc.apply(c)
			_, err := requireSameCDA(t, &st, c.verifier(), &c.card, c.static, input(c, nil))
			requireODAError(t, err, CDA, tc.check, tc.want)
		})
	}
	for _, tc := range []struct {
		name  string
		card  func(cc *cdaCard)
		check Check
		want  error
	}{
		{"SDAD trailer", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.trailer = 0xCB } }, CheckSDADTrailer, ErrFormat},
		{"ICC dynamic data without TDHC", func(cc *cdaCard) { cc.truncateDynamicData = 1 + 8 + 1 + 8 }, CheckICCDynamicData, ErrLength},
		{"CID differs from 9F27", func(cc *cdaCard) { cc.signedCID = 0x80 }, CheckCID, ErrCIDMismatch},
		{"SDAD hash broken", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.breakHash = true } }, CheckSDADHash, ErrHashMismatch},
		{"TDHC over another order", func(cc *cdaCard) { cc.tdhcObjs = [][]byte{atc, h("9F27 01 40"), iad} }, CheckTDHC, ErrHashMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t, "ca1984", "issuer1984", "icc1408")
			_, err := requireSameCDA(t, &st, c.verifier(), &c.card, c.static, input(c, tc.card))
			requireODAError(t, err, CDA, tc.check, tc.want)
		})
	}
	for _, keys := range [][3]string{
		{"ca1984", "issuer1984", "icc1408"},
		{"ca1408", "issuer1152", "icc1024"},
		{"ca1408", "issuer1152", "icc768"},
		{"ca1984", "issuer1984", "icc1408"},
	} {
		t.Run("accepts "+keys[2]+" under "+keys[1], func(t *testing.T) {
			c := newChain(t, keys[0], keys[1], keys[2])
			cc := newCDACard()
			cc.objs = [][]byte{atc, iad}
			cc.dynamicTail = h("0102")
			d, err := requireSameCDA(t, &st, c.verifier(), &c.card, c.static, cc.input(cc.response(c.icc)))
			require.NoError(t, err)
			assert.Equal(t, cc.idn, d.ICCDynamicNumber)
			assert.Equal(t, byte(0x40), d.CID)
			assert.Equal(t, cc.ac, d.Cryptogram)
			assert.Len(t, d.TDHC, 20)
			assert.Equal(t, 1+8+1+8+20+2, len(d.ICCDynamicData))
			assert.Len(t, d.Recovered, len(c.icc.modulus))
			assert.Equal(t, c.icc.modulus, st.icc.Modulus)
			assert.Equal(t, c.issuer.modulus, st.issuer.Modulus)
		})
	}
}

// Book 2 §6.6: the contact kernel recovers the ICC Public Key once and
// verifies the SDAD of each GENERATE AC with it. CDAKey gives the key
// ICCPublicKey gives, and CDAStore.VerifyCDA answers each GENERATE AC as
// the key's VerifyCDA does, the second (CDOL2 data in the hash) after the
// first and after a failed one.
func TestCDAKeyThenVerifyCDAWithStore(t *testing.T) {
	var st CDAStore
	c := newChain(t, "ca1984", "issuer1984", "icc1408")
	v := c.verifier()
	want, err := v.ICCPublicKey(CDA, &c.card, c.static)
	require.NoError(t, err)
	k, err := v.CDAKey(&st, &c.card, c.static)
	require.NoError(t, err)
	assert.Same(t, &st.icc, k)
	assertSameICCKey(t, want, k)

	atc := tlv.AppendTLV(nil, 0x9F36, h("0010"))
	first := newCDACard()
	first.objs = [][]byte{atc}
	second := newCDACard()
	second.objs = [][]byte{tlv.AppendTLV(nil, 0x9F36, h("0011"))}
	second.idn, second.ac, second.cid, second.signedCID = h("0102030405"), h("1122334455667788"), 0x40, 0x40
	second.cdol2 = h("3030 000000000000")
	broken := newCDACard()
	broken.objs = [][]byte{atc}
	broken.signedCID = 0x80
	for _, cc := range []*cdaCard{first, broken, second, first} {
		in := cc.input(cc.response(c.icc))
		wantD, wantErr := want.VerifyCDA(in)
		got, err := st.VerifyCDA(in)
		if wantErr != nil {
			assert.Nil(t, got)
			require.Error(t, err)
			assert.Equal(t, wantErr, err)
			assert.Equal(t, wantErr.Error(), err.Error())
			requireODAError(t, err, CDA, CheckCID, ErrCIDMismatch)
			continue
		}
		require.NoError(t, err)
		assert.Same(t, &st.d, got)
		assert.Equal(t, *wantD, *got)
		assert.Equal(t, cc.idn, got.ICCDynamicNumber)
		assert.Equal(t, cc.ac, got.Cryptogram)
	}
}

// A store without a key (never filled, or its CDAKey failed) verifies
// nothing: CheckInput, whatever the response.
func TestVerifyCDAWithStoreWithoutKey(t *testing.T) {
	c := newChain(t, "ca1984", "issuer1984", "icc1408")
	cc := newCDACard()
	cc.objs = [][]byte{tlv.AppendTLV(nil, 0x9F36, h("0010"))}
	in := cc.input(cc.response(c.icc))
	var st CDAStore
	d, err := st.VerifyCDA(in)
	assert.Nil(t, d)
	requireODAError(t, err, CDA, CheckInput, ErrInput)

	v := c.verifier()
	_, err = v.CDAKey(&st, &c.card, c.static)
	require.NoError(t, err)
	_, err = st.VerifyCDA(in)
	require.NoError(t, err)
	bad := c.card
	bad.ICCExponent = h("02")
	k, err := v.CDAKey(&st, &bad, c.static)
	assert.Nil(t, k)
	requireODAError(t, err, CDA, CheckICCExponent, ErrFormat)
	d, err = st.VerifyCDA(in)
	assert.Nil(t, d)
	requireODAError(t, err, CDA, CheckInput, ErrInput)
}

// CDAKey and two VerifyCDAs through one CDAStore allocate nothing once the
// pools they draw on are warm (sync.Pool keeps nothing reliably under the
// race detector).
func TestCDAKeyThenVerifyCDAWithStoreAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	c := newChain(t, "ca1984", "issuer1984", "icc1408")
	cc := newCDACard()
	cc.objs = [][]byte{tlv.AppendTLV(nil, 0x9F36, h("0010"))}
	in := cc.input(cc.response(c.icc))
	v := c.verifier()
	var st CDAStore
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.CDAKey(&st, &c.card, c.static); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := st.VerifyCDA(in); err != nil {
				t.Fatal(err)
			}
		}
	})
	assert.Zero(t, allocs)
}

// assertSameICCKey checks that got holds the key want holds, field by
// field: a key recovered into a store and one recovered on its own keep
// their parsed forms in different places.
func assertSameICCKey(t *testing.T, want, got *ICCKey) {
	t.Helper()
	assert.Equal(t, want.Modulus, got.Modulus)
	assert.Equal(t, want.Exponent, got.Exponent)
	assert.Equal(t, want.PAN, got.PAN)
	assert.Equal(t, want.Expiry, got.Expiry)
	assert.Equal(t, want.SerialNumber, got.SerialNumber)
	assert.Equal(t, want.HashAlgorithm, got.HashAlgorithm)
	assert.Equal(t, want.KeyAlgorithm, got.KeyAlgorithm)
	assert.Equal(t, want.Recovered, got.Recovered)
}
