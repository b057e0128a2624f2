package oda

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/tlv"
)

// iccKey recovers the chain's ICC key.
func (c *chain) iccKey(t *testing.T, m Method) *ICCKey {
	t.Helper()
	k, err := c.verifier().ICCPublicKey(m, &c.card, c.static)
	require.NoError(t, err)
	return k
}

func ddaTemplate(ddolData []byte) sdadTemplate {
	return sdadTemplate{header: 0x6A, format: 0x05, hashAlg: 1, trailer: 0xBC, lddOverride: -1,
		dynamic: h("08 1122334455667788"), terminal: [][]byte{ddolData}}
}

func format1(sdad []byte) []byte { return tlv.AppendTLV(nil, 0x80, sdad) }
func format2(objs ...[]byte) []byte {
	return tlv.AppendTLV(nil, 0x77, bytes.Join(objs, nil))
}

// Book 2 §6.5.1 and Book 3 §10.3: the DDOL used for INTERNAL AUTHENTICATE.
func TestSelectDDOL(t *testing.T) {
	d, usedDefault, err := SelectDDOL(h("9F3704"), h("9F37049F0206"))
	require.NoError(t, err)
	assert.False(t, usedDefault)
	assert.Equal(t, tlv.DOL{{Tag: 0x9F37, Len: 4}}, d)

	d, usedDefault, err = SelectDDOL(nil, h("9F02069F3704"))
	require.NoError(t, err)
	assert.True(t, usedDefault)
	assert.Equal(t, tlv.DOL{{Tag: 0x9F02, Len: 6}, {Tag: 0x9F37, Len: 4}}, d)

	_, _, err = SelectDDOL(nil, nil)
	requireODAError(t, err, DDA, CheckDDOL, ErrMissingData)
	_, _, err = SelectDDOL(h("9F0206"), h("9F3704"))
	requireODAError(t, err, DDA, CheckDDOL, ErrFormat)
	_, _, err = SelectDDOL(nil, h("9F0206"))
	requireODAError(t, err, DDA, CheckDDOL, ErrFormat)
	_, _, err = SelectDDOL(h("9F37"), nil)
	requireODAError(t, err, DDA, CheckDDOL, ErrFormat)
}

// Book 2 §6.5.2: one case per check of DDA.
func TestDDAChecks(t *testing.T) {
	ddolData := h("7863AFC6")
	type ddaCase struct {
		name     string
		tmpl     func(s *sdadTemplate)
		response func(sdad []byte) []byte
		ddol     []byte
		check    Check
		want     error
	}
	f1 := format1
	cases := []ddaCase{
		{"response not TLV", nil, func(s []byte) []byte { return h("80") }, nil, CheckResponse, ErrFormat},
		{"response template 70", nil, func(s []byte) []byte { return tlv.AppendTLV(nil, 0x70, s) }, nil, CheckResponse, ErrFormat},
		{"response with trailing data", nil, func(s []byte) []byte { return append(f1(s), 0x9F) }, nil, CheckResponse, ErrFormat},
		{"format 2 without 9F4B", nil, func(s []byte) []byte { return format2(tlv.AppendTLV(nil, 0x9F4C, h("1122"))) }, nil, CheckSDAD, ErrMissingData},
		{"format 2 with 9F4B twice", nil, func(s []byte) []byte {
			return format2(tlv.AppendTLV(nil, 0x9F4B, s), tlv.AppendTLV(nil, 0x9F4B, s))
		}, nil, CheckResponse, ErrFormat},
		{"format 2 malformed", nil, func(s []byte) []byte { return h("77 03 9F4B 05") }, nil, CheckResponse, ErrFormat},
		{"format 1 empty", nil, func(s []byte) []byte { return h("80 00") }, nil, CheckSDAD, ErrMissingData},
		{"step 1 SDAD shorter than N_IC", nil, func(s []byte) []byte { return f1(s[1:]) }, nil, CheckSDADLength, ErrLength},
		{"step 2 trailer", func(s *sdadTemplate) { s.trailer = 0xBB }, nil, nil, CheckSDADTrailer, ErrFormat},
		{"step 2 SDAD changed", nil, func(s []byte) []byte { s = bytes.Clone(s); s[9] ^= 4; return f1(s) }, nil, CheckSDADTrailer, ErrFormat},
		{"step 3 header", func(s *sdadTemplate) { s.header = 0x4A }, nil, nil, CheckSDADHeader, ErrFormat},
		{"step 4 format 03", func(s *sdadTemplate) { s.format = 0x03 }, nil, nil, CheckSDADFormat, ErrFormat},
		{"step 4 fDDA format 95", func(s *sdadTemplate) { s.format = 0x95 }, nil, nil, CheckSDADFormat, ErrFormat},
		{"hash algorithm 02", func(s *sdadTemplate) { s.hashAlg = 2 }, nil, nil, CheckSDADHashAlgorithm, ErrUnsupportedAlgorithm},
		{"L_DD beyond the pad", func(s *sdadTemplate) { s.lddOverride = 128 - 25 + 1 }, nil, nil, CheckICCDynamicData, ErrLength},
		{"L_DD zero", func(s *sdadTemplate) { s.dynamic = nil }, nil, nil, CheckICCDynamicData, ErrLength},
		{"ICC dynamic number of 1 byte", func(s *sdadTemplate) { s.dynamic = h("01 11") }, nil, nil, CheckICCDynamicData, ErrLength},
		{"ICC dynamic number of 9 bytes", func(s *sdadTemplate) { s.dynamic = h("09 112233445566778899") }, nil, nil, CheckICCDynamicData, ErrLength},
		{"ICC dynamic number past L_DD", func(s *sdadTemplate) { s.dynamic = h("08 112233") }, nil, nil, CheckICCDynamicData, ErrLength},
		{"step 7 hash differs", func(s *sdadTemplate) { s.breakHash = true }, nil, nil, CheckSDADHash, ErrHashMismatch},
		{"step 7 DDOL data differs", nil, nil, h("7863AFC7"), CheckSDADHash, ErrHashMismatch},
		{"step 7 DDOL data missing", nil, nil, []byte{}, CheckSDADHash, ErrHashMismatch},
	}
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	k := c.iccKey(t, DDA)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := ddaTemplate(ddolData)
			if tc.tmpl != nil {
				tc.tmpl(&s)
			}
			sdad := s.build(c.icc)
			resp := format1(sdad)
			if tc.response != nil {
				resp = tc.response(sdad)
			}
			ddol := ddolData
			if tc.ddol != nil {
				ddol = tc.ddol
			}
			d, err := k.VerifyDDA(resp, ddol)
			assert.Nil(t, d)
			requireODAError(t, err, DDA, tc.check, tc.want)
		})
	}
	// Both response formats verify.
	sdad := ddaTemplate(ddolData).build(c.icc)
	for name, resp := range map[string][]byte{
		"format 1": format1(sdad),
		"format 2": format2(tlv.AppendTLV(nil, 0x9F4C, h("00")), tlv.AppendTLV(nil, 0x9F4B, sdad)),
	} {
		t.Run(name, func(t *testing.T) {
			d, err := k.VerifyDDA(resp, ddolData)
			require.NoError(t, err)
			assert.Equal(t, h("1122334455667788"), d.ICCDynamicNumber)
			assert.Equal(t, h("08 1122334455667788"), d.ICCDynamicData)
			assert.Nil(t, d.Cryptogram)
		})
	}
}

// cdaCard builds a GENERATE AC response with CDA the way a card does:
// the Transaction Data Hash Code over PDOL data, CDOL1 data, CDOL2 data and
// the response objects except 9F4B, then the SDAD over the UN.
type cdaCard struct {
	idn, ac             []byte
	cid                 byte
	signedCID           byte
	objs                [][]byte // response objects before 9F4B, in order
	after               [][]byte // response objects after 9F4B
	pdol, cdol1, cdol2  []byte
	un                  []byte
	tdhcObjs            [][]byte // objects the card hashes; nil means objs+after
	tmpl                func(s *sdadTemplate)
	dynamicTail         []byte
	truncateDynamicData int
}

func newCDACard() *cdaCard {
	return &cdaCard{idn: h("4CC2FB1FAFB30915"), ac: h("16AFBA13C52FB173"), cid: 0x40, signedCID: 0x40,
		pdol: h("EA"), cdol1: h("000000001000 000000000000 0643"), un: h("12345779")}
}

func (cc *cdaCard) response(icc *testKey) []byte {
	objs := append([][]byte{tlv.AppendTLV(nil, 0x9F27, []byte{cc.cid})}, cc.objs...)
	hashObjs := cc.tdhcObjs
	if hashObjs == nil {
		hashObjs = append(append([][]byte{}, objs...), cc.after...)
	}
	hs := sha1.New()
	hs.Write(cc.pdol)
	hs.Write(cc.cdol1)
	hs.Write(cc.cdol2)
	for _, o := range hashObjs {
		hs.Write(o)
	}
	dyn := append([]byte{byte(len(cc.idn))}, cc.idn...)
	dyn = append(dyn, cc.signedCID)
	dyn = append(dyn, cc.ac...)
	dyn = append(dyn, hs.Sum(nil)...)
	dyn = append(dyn, cc.dynamicTail...)
	if cc.truncateDynamicData > 0 {
		dyn = dyn[:cc.truncateDynamicData]
	}
	s := sdadTemplate{header: 0x6A, format: 0x05, hashAlg: 1, trailer: 0xBC, lddOverride: -1, dynamic: dyn, terminal: [][]byte{cc.un}}
	if cc.tmpl != nil {
		cc.tmpl(&s)
	}
	all := append(objs, tlv.AppendTLV(nil, 0x9F4B, s.build(icc)))
	return format2(append(all, cc.after...)...)
}

func (cc *cdaCard) input(resp []byte) *CDAInput {
	return &CDAInput{UnpredictableNumber: cc.un, PDOLData: cc.pdol, CDOL1Data: cc.cdol1, CDOL2Data: cc.cdol2, Response: resp}
}

// Book 2 §6.6.2: one case per check of CDA, for both GENERATE AC commands.
func TestCDAChecks(t *testing.T) {
	c := newChain(t, "ca1984", "issuer1984", "icc1408")
	k := c.iccKey(t, CDA)
	atc := tlv.AppendTLV(nil, 0x9F36, h("0010"))
	iad := tlv.AppendTLV(nil, 0x9F10, h("0010904001220000000000000000000000FF"))
	type cdaCase struct {
		name  string
		card  func(cc *cdaCard)
		input func(in *CDAInput)
		check Check
		want  error
	}
	cases := []cdaCase{
		{"no unpredictable number", nil, func(in *CDAInput) { in.UnpredictableNumber = nil }, CheckInput, ErrInput},
		{"format 1 response", nil, func(in *CDAInput) { in.Response = h("80 0B 40 0010 16AFBA13C52FB173") }, CheckResponse, ErrFormat},
		{"response not TLV", nil, func(in *CDAInput) { in.Response = h("77 81") }, CheckResponse, ErrFormat},
		{"response objects malformed", nil, func(in *CDAInput) { in.Response = h("77 04 9F27 01 40 9F") }, CheckResponse, ErrFormat},
		{"no 9F27", nil, func(in *CDAInput) { in.Response = format2(atc, tlv.AppendTLV(nil, 0x9F4B, make([]byte, 176))) }, CheckCID, ErrMissingData},
		{"no 9F4B", nil, func(in *CDAInput) { in.Response = format2(h("9F2701 40"), atc) }, CheckSDAD, ErrMissingData},
		{"9F4B twice", nil, func(in *CDAInput) {
			_, v, _ := tlv.Single(in.Response)
			in.Response = format2(v, h("9F4B 01 00"))
		}, CheckResponse, ErrFormat},
		{"9F27 twice", func(cc *cdaCard) { cc.after = [][]byte{h("9F27 01 40")} }, nil, CheckResponse, ErrFormat},
		{"step 1 SDAD too short", func(cc *cdaCard) {}, func(in *CDAInput) {
			in.Response = format2(h("9F2701 40"), tlv.AppendTLV(nil, 0x9F4B, make([]byte, 175)))
		}, CheckSDADLength, ErrLength},
		{"step 2 trailer", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.trailer = 0xCB } }, nil, CheckSDADTrailer, ErrFormat},
		{"step 3 header", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.header = 0x6B } }, nil, CheckSDADHeader, ErrFormat},
		{"step 4 format 95", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.format = 0x95 } }, nil, CheckSDADFormat, ErrFormat},
		{"hash algorithm 00", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.hashAlg = 0 } }, nil, CheckSDADHashAlgorithm, ErrUnsupportedAlgorithm},
		{"ICC dynamic data without TDHC", func(cc *cdaCard) { cc.truncateDynamicData = 1 + 8 + 1 + 8 }, nil, CheckICCDynamicData, ErrLength},
		{"ICC dynamic data one byte short", func(cc *cdaCard) { cc.truncateDynamicData = 1 + 8 + 1 + 8 + 19 }, nil, CheckICCDynamicData, ErrLength},
		{"CID differs from 9F27", func(cc *cdaCard) { cc.signedCID = 0x80 }, nil, CheckCID, ErrCIDMismatch},
		{"9F27 two bytes", func(cc *cdaCard) {}, func(in *CDAInput) {
			in.Response = bytes.Replace(in.Response, h("9F27 01 40"), h("9F27 02 4000"), 1)
			in.Response[2]++ // 77 81 LL
		}, CheckCID, ErrCIDMismatch},
		{"SDAD hash: another unpredictable number", nil, func(in *CDAInput) { in.UnpredictableNumber = h("12345778") }, CheckSDADHash, ErrHashMismatch},
		{"SDAD hash broken", func(cc *cdaCard) { cc.tmpl = func(s *sdadTemplate) { s.breakHash = true } }, nil, CheckSDADHash, ErrHashMismatch},
		{"TDHC: PDOL data differs", nil, func(in *CDAInput) { in.PDOLData = h("E2") }, CheckTDHC, ErrHashMismatch},
		{"TDHC: PDOL data left out", nil, func(in *CDAInput) { in.PDOLData = nil }, CheckTDHC, ErrHashMismatch},
		{"TDHC: CDOL1 data differs", nil, func(in *CDAInput) { in.CDOL1Data = bytes.Clone(in.CDOL1Data); in.CDOL1Data[0] = 1 }, CheckTDHC, ErrHashMismatch},
		{"TDHC: CDOL2 data given for the first GENERATE AC", nil, func(in *CDAInput) { in.CDOL2Data = h("3030") }, CheckTDHC, ErrHashMismatch},
		{"TDHC: card hashed the objects in another order", func(cc *cdaCard) {
			cc.tdhcObjs = [][]byte{atc, h("9F27 01 40"), iad}
		}, nil, CheckTDHC, ErrHashMismatch},
		{"TDHC: card hashed 9F4B too", func(cc *cdaCard) {
			cc.tdhcObjs = [][]byte{h("9F27 01 40"), atc, iad, h("9F4B 00")}
		}, nil, CheckTDHC, ErrHashMismatch},
		{"TDHC: an object added after signing", nil, func(in *CDAInput) {
			in.Response = append(bytes.Clone(in.Response), 0x9F, 0x36, 0x00)
			in.Response[2] += 3 // 77 81 LL
		}, CheckTDHC, ErrHashMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cc := newCDACard()
			cc.objs = [][]byte{atc, iad}
			if tc.card != nil {
				tc.card(cc)
			}
			in := cc.input(cc.response(c.icc))
			if tc.input != nil {
				tc.input(in)
			}
			d, err := k.VerifyCDA(in)
			assert.Nil(t, d)
			requireODAError(t, err, CDA, tc.check, tc.want)
		})
	}

	t.Run("first GENERATE AC", func(t *testing.T) {
		cc := newCDACard()
		cc.objs = [][]byte{atc, iad}
		d, err := k.VerifyCDA(cc.input(cc.response(c.icc)))
		require.NoError(t, err)
		assert.Equal(t, cc.idn, d.ICCDynamicNumber)
		assert.Equal(t, byte(0x40), d.CID)
		assert.Equal(t, cc.ac, d.Cryptogram)
		assert.Len(t, d.TDHC, 20)
	})
	t.Run("second GENERATE AC hashes CDOL2 data", func(t *testing.T) {
		cc := newCDACard()
		cc.cid, cc.signedCID = 0x40, 0x40
		cc.cdol2 = h("3030 0000048000")
		cc.objs = [][]byte{atc}
		cc.after = [][]byte{iad} // objects after 9F4B are hashed too, in order
		d, err := k.VerifyCDA(cc.input(cc.response(c.icc)))
		require.NoError(t, err)
		assert.Equal(t, cc.ac, d.Cryptogram)
		in := cc.input(cc.response(c.icc))
		in.CDOL2Data = nil
		_, err = k.VerifyCDA(in)
		requireODAError(t, err, CDA, CheckTDHC, ErrHashMismatch)
	})
	t.Run("extra ICC dynamic data after the TDHC", func(t *testing.T) {
		cc := newCDACard()
		cc.objs = [][]byte{atc}
		cc.dynamicTail = h("0102")
		d, err := k.VerifyCDA(cc.input(cc.response(c.icc)))
		require.NoError(t, err)
		assert.Equal(t, 1+8+1+8+20+2, len(d.ICCDynamicData))
	})
}

// fDDA (Book C-3): version 00 signs the UN, version 01 also the amount,
// currency and 9F69.
func TestFDDAChecks(t *testing.T) {
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	k := c.iccKey(t, FDDA)
	un, amount, cur := h("38393031"), h("000000001000"), h("0978")
	cad := h("01 5FC31D97 0400")
	sign := func(tmpl func(s *sdadTemplate), terminal ...[]byte) []byte {
		s := sdadTemplate{header: 0x6A, format: 0x95, hashAlg: 1, trailer: 0xBC, lddOverride: -1, dynamic: h("02 00EC"), terminal: terminal}
		if tmpl != nil {
			tmpl(&s)
		}
		return s.build(c.icc)
	}
	d, err := k.VerifyFDDA(sign(nil, un, amount, cur, cad), &FDDAInput{UnpredictableNumber: un, Amount: amount, CurrencyCode: cur, CardAuthData: cad})
	require.NoError(t, err)
	assert.Equal(t, h("00EC"), d.ICCDynamicNumber)
	d, err = k.VerifyFDDA(sign(nil, un), &FDDAInput{UnpredictableNumber: un, Amount: amount, CurrencyCode: cur})
	require.NoError(t, err, "no 9F69: version 00")
	assert.Equal(t, h("00EC"), d.ICCDynamicNumber)
	_, err = k.VerifyFDDA(sign(nil, un), &FDDAInput{UnpredictableNumber: un, CardAuthData: h("00")})
	require.NoError(t, err, "version 00")

	for _, tc := range []struct {
		name  string
		sdad  []byte
		in    FDDAInput
		check Check
		want  error
	}{
		{"UN of 3 bytes", sign(nil, un), FDDAInput{UnpredictableNumber: un[:3]}, CheckInput, ErrInput},
		{"version 01 without amount", sign(nil, un), FDDAInput{UnpredictableNumber: un, CardAuthData: cad}, CheckInput, ErrInput},
		{"version 02", sign(nil, un), FDDAInput{UnpredictableNumber: un, CardAuthData: h("02")}, CheckCardAuthData, ErrFormat},
		{"no SDAD", nil, FDDAInput{UnpredictableNumber: un}, CheckSDAD, ErrMissingData},
		{"contact format 05", sign(func(s *sdadTemplate) { s.format = 5 }, un), FDDAInput{UnpredictableNumber: un}, CheckSDADFormat, ErrFormat},
		{"version 01 data but signed as 00", sign(nil, un), FDDAInput{UnpredictableNumber: un, Amount: amount, CurrencyCode: cur, CardAuthData: cad}, CheckSDADHash, ErrHashMismatch},
		{"amount differs", sign(nil, un, amount, cur, cad), FDDAInput{UnpredictableNumber: un, Amount: h("000000001001"), CurrencyCode: cur, CardAuthData: cad}, CheckSDADHash, ErrHashMismatch},
		{"currency differs", sign(nil, un, amount, cur, cad), FDDAInput{UnpredictableNumber: un, Amount: amount, CurrencyCode: h("0840"), CardAuthData: cad}, CheckSDADHash, ErrHashMismatch},
		{"UN differs", sign(nil, un), FDDAInput{UnpredictableNumber: h("38393032")}, CheckSDADHash, ErrHashMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := k.VerifyFDDA(tc.sdad, &tc.in)
			assert.Nil(t, d)
			requireODAError(t, err, FDDA, tc.check, tc.want)
		})
	}
}

// Book 2 §7.1: the PIN encipherment key, from 9F2D or else the ICC key.
func TestPINKey(t *testing.T) {
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	pinKey := loadTestKey(t, "pin896")
	pinTmpl := newICCTemplate(pinKey, c.card.PAN, nil)

	// No 9F2D: the ICC Public Key.
	k, err := c.verifier().PINKey(&c.card, c.static)
	require.NoError(t, err)
	assert.Equal(t, c.icc.modulus, k.Modulus)

	// With 9F2D: its key, whose certificate hash does not cover static data.
	c.card.PINCertificate, c.card.PINRemainder = pinTmpl.build(c.issuer)
	c.card.PINExponent = pinKey.exponent
	assert.Len(t, c.card.PINRemainder, 10, "896-bit key in a 1152-bit certificate")
	k, err = c.verifier().PINKey(&c.card, c.static)
	require.NoError(t, err)
	assert.Equal(t, pinKey.modulus, k.Modulus)
	assert.Equal(t, pinKey.exponent, k.Exponent)

	// A 9F2D certificate whose hash includes the static data fails.
	bad := pinTmpl
	bad.extra = c.static
	card := c.card
	card.PINCertificate, _ = bad.build(c.issuer)
	_, err = c.verifier().PINKey(&card, c.static)
	requireODAError(t, err, PIN, CheckICCCertHash, ErrHashMismatch)

	card = c.card
	card.PINExponent = nil
	_, err = c.verifier().PINKey(&card, c.static)
	requireODAError(t, err, PIN, CheckICCExponent, ErrMissingData)

	card = c.card
	card.IssuerCertificate = nil
	_, err = c.verifier().PINKey(&card, c.static)
	requireODAError(t, err, PIN, CheckIssuerCertificate, ErrMissingData)

	card = c.card
	card.PINCertificate[3] ^= 1
	_, err = c.verifier().PINKey(&card, c.static)
	requireODAError(t, err, PIN, CheckICCCertTrailer, ErrFormat)

	// No 9F2D and no ICC key: data missing.
	card = c.card
	card.PINCertificate, card.ICCCertificate = nil, nil
	_, err = c.verifier().PINKey(&card, c.static)
	requireODAError(t, err, PIN, CheckICCCertificate, ErrMissingData)
}

// Book 2 §7.2: the enciphered data is 7F || PIN block || ICC UN || pad.
func TestEncipherPIN(t *testing.T) {
	key := loadTestKey(t, "pin896")
	pub := key.public()
	pinBlock := h("241234FFFFFFFFFF")
	un := h("0102030405060708")
	pad := bytes.Repeat([]byte{0xA5}, 200)
	out, err := EncipherPIN(&pub, pinBlock, un, bytes.NewReader(pad))
	require.NoError(t, err)
	require.Len(t, out, 112)
	// Decipher with the private key: the exact plaintext comes back.
	x := new(big.Int).SetBytes(out)
	plain := x.Exp(x, key.d, key.n).FillBytes(make([]byte, 112))
	want := append(append(append([]byte{0x7F}, pinBlock...), un...), pad[:112-17]...)
	assert.Equal(t, want, plain)

	// With e = 65537 too.
	key2 := loadTestKey(t, "icc1024")
	pub2 := key2.public()
	out, err = EncipherPIN(&pub2, pinBlock, un, bytes.NewReader(pad))
	require.NoError(t, err)
	x = new(big.Int).SetBytes(out)
	plain = x.Exp(x, key2.d, key2.n).FillBytes(make([]byte, 128))
	assert.Equal(t, append(append(append([]byte{0x7F}, pinBlock...), un...), pad[:128-17]...), plain)

	small := PublicKey{Modulus: h("C1 0000000000000000 00000000000000 01"), Exponent: []byte{3}}
	for _, tc := range []struct {
		name  string
		key   *PublicKey
		pin   []byte
		un    []byte
		rand  func() any
		check Check
		want  error
	}{
		{"no key", nil, pinBlock, un, nil, CheckPINKey, ErrInput},
		{"leading zero", &PublicKey{Modulus: append([]byte{0}, key.modulus...), Exponent: []byte{3}}, pinBlock, un, nil, CheckPINKey, ErrFormat},
		{"modulus below 7F..", &PublicKey{Modulus: append([]byte{0x7F}, key.modulus[1:]...), Exponent: []byte{3}}, pinBlock, un, nil, CheckPINKey, ErrLength},
		{"modulus of 17 bytes", &small, pinBlock, un, nil, CheckPINKey, ErrLength},
		{"exponent 5", &PublicKey{Modulus: key.modulus, Exponent: []byte{5}}, pinBlock, un, nil, CheckPINKey, ErrFormat},
		{"PIN block of 7 bytes", &pub, pinBlock[:7], un, nil, CheckPINBlock, ErrInput},
		{"UN of 4 bytes", &pub, pinBlock, un[:4], nil, CheckICCUN, ErrLength},
		{"no random source", &pub, pinBlock, un, func() any { return nil }, CheckRandom, ErrInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.rand != nil {
				_, err = EncipherPIN(tc.key, tc.pin, tc.un, nil)
			} else {
				_, err = EncipherPIN(tc.key, tc.pin, tc.un, bytes.NewReader(pad))
			}
			requireODAError(t, err, PIN, tc.check, tc.want)
			assert.NotContains(t, strings.ToUpper(err.Error()), "241234")
		})
	}
	// A failing random source is reported, wrapped.
	boom := errors.New("no entropy")
	_, err = EncipherPIN(&pub, pinBlock, un, iotest.ErrReader(boom))
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CheckRandom, e.Check)
	assert.ErrorIs(t, err, boom)
	_, err = EncipherPIN(&pub, pinBlock, un, bytes.NewReader(pad[:10]))
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CheckRandom, e.Check)
}

// Book 2 §7.2 into a buffer: EncipherPINTo gives what EncipherPIN gives,
// in out when it has room, in a new slice when it has not, and the
// temporaries it recycles hold no plaintext afterwards.
func TestEncipherPINTo(t *testing.T) {
	key := loadTestKey(t, "pin896")
	pub := key.public()
	pinBlock := h("241234FFFFFFFFFF")
	un := h("0102030405060708")
	pad := bytes.Repeat([]byte{0xA5}, 200)
	want, err := EncipherPIN(&pub, pinBlock, un, bytes.NewReader(pad))
	require.NoError(t, err)

	var buf [MaxCAModulusLen]byte
	buf[0], buf[MaxCAModulusLen-1] = 0xEE, 0xEE
	got, err := EncipherPINTo(buf[:0], &pub, pinBlock, un, bytes.NewReader(pad))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Same(t, &buf[0], &got[0])
	assert.Equal(t, byte(0xEE), buf[MaxCAModulusLen-1]) // nothing past the result

	short := make([]byte, 0, 111)
	got, err = EncipherPINTo(short, &pub, pinBlock, un, bytes.NewReader(pad))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.NotSame(t, &short[:1][0], &got[0])

	_, err = EncipherPINTo(buf[:0], &pub, pinBlock[:7], un, bytes.NewReader(pad))
	requireODAError(t, err, PIN, CheckPINBlock, ErrInput)

	if raceEnabled {
		return // sync.Pool drops items under the race detector
	}
	// A warm pool and a recovered key (its modulus already a big.Int):
	// the plaintext lives in the recycled temporaries, wiped when they go
	// back.
	icc := newChain(t, "ca1984", "issuer1984", "icc1408").iccKey(t, CDA)
	rd := bytes.NewReader(pad)
	allocs := testing.AllocsPerRun(50, func() {
		rd.Reset(pad)
		if _, err := EncipherPINTo(buf[:0], &icc.PublicKey, pinBlock, un, rd); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	tmp := getBigTemps()
	assert.Equal(t, [MaxCAModulusLen]byte{}, tmp.plain)
	bigTempsPool.Put(tmp)
}

// Book 2 §7.1 into a PINKeyStore: PINKeyIn gives the key PINKey gives, or
// its error, with and without 9F2D, whatever the store held before, and
// leaves no key behind a failure.
func TestPINKeyIn(t *testing.T) {
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	pinKey := loadTestKey(t, "pin896")
	pinTmpl := newICCTemplate(pinKey, c.card.PAN, nil)
	withPIN := c.card
	withPIN.PINCertificate, withPIN.PINRemainder = pinTmpl.build(c.issuer)
	withPIN.PINExponent = pinKey.exponent
	bad := pinTmpl
	bad.extra = c.static
	hashed := withPIN
	hashed.PINCertificate, _ = bad.build(c.issuer)
	noExp := withPIN
	noExp.PINExponent = nil
	noIssuer := withPIN
	noIssuer.IssuerCertificate = nil
	noICC := c.card
	noICC.ICCCertificate = nil

	var st PINKeyStore
	v := c.verifier()
	for _, tc := range []struct {
		name  string
		card  *CardData
		mod   []byte
		check Check
		want  error
	}{
		{"ICC key", &c.card, c.icc.modulus, "", nil},
		{"9F2D", &withPIN, pinKey.modulus, "", nil},
		{"9F2D hash over static data", &hashed, nil, CheckICCCertHash, ErrHashMismatch},
		{"ICC key again", &c.card, c.icc.modulus, "", nil},
		{"no 9F2E", &noExp, nil, CheckICCExponent, ErrMissingData},
		{"no 90", &noIssuer, nil, CheckIssuerCertificate, ErrMissingData},
		{"9F2D again", &withPIN, pinKey.modulus, "", nil},
		{"no 9F2D and no 9F46", &noICC, nil, CheckICCCertificate, ErrMissingData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := v.PINKey(tc.card, c.static)
			got, err := v.PINKeyIn(&st, tc.card, c.static)
			if tc.want != nil {
				assert.Nil(t, got)
				requireODAError(t, err, PIN, tc.check, tc.want)
				assert.Equal(t, wantErr, err)
				assert.Equal(t, ICCKey{}, st.key)
				return
			}
			require.NoError(t, wantErr)
			require.NoError(t, err)
			assert.Same(t, &st.key, got)
			assert.Equal(t, tc.mod, got.Modulus)
			assertSameICCKey(t, want, got)
		})
	}
	if raceEnabled {
		return // sync.Pool drops items under the race detector
	}
	allocs := testing.AllocsPerRun(50, func() {
		if _, err := v.PINKeyIn(&st, &withPIN, c.static); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}
