package oda

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eccIssuerTemplate is an Issuer ECC Public Key Certificate (Book 2 Table
// 35) with every field settable, so that a case breaks exactly one check.
type eccIssuerTemplate struct {
	format, encoding byte
	id               []byte // 5 bytes
	suite            Suite
	expiry           []byte // YYYYMMDD
	serial           []byte
	rid              []byte
	index            byte
	x                []byte // nil: the issuer key's
	breakSignature   bool
}

// eccICCTemplate is an ICC ECC Public Key Certificate (Book 2 Table 36).
type eccICCTemplate struct {
	format, encoding byte
	suite            Suite
	expiry, time     []byte // YYYYMMDD, HHMM
	serial           []byte
	hashEncoding     byte
	hashAlg          byte
	iccd             []byte // the data the ICCD Hash covers
	x                []byte // nil: the ICC key's
	breakSignature   bool
}

func (c eccIssuerTemplate) build(key, signer *ecTestKey) []byte {
	x := c.x
	if x == nil {
		x = key.x
	}
	b := []byte{c.format, c.encoding}
	b = append(b, c.id...)
	b = append(b, byte(c.suite))
	b = append(b, c.expiry...)
	b = append(b, c.serial...)
	b = append(b, c.rid...)
	b = append(b, c.index)
	b = append(b, x...)
	sig := signer.sign(b)
	if c.breakSignature {
		sig[len(sig)-1] ^= 0x01
	}
	return append(b, sig...)
}

func iccdHash(alg byte, data []byte) []byte {
	switch alg {
	case HashSHA512:
		s := sha512.Sum512(data)
		return s[:]
	case HashSHA256:
		s := sha256.Sum256(data)
		return s[:]
	}
	s := sha256.Sum256(data) // an unknown indicator still needs bytes in the field
	return s[:]
}

func (c eccICCTemplate) build(key, signer *ecTestKey) []byte {
	x := c.x
	if x == nil {
		x = key.x
	}
	b := []byte{c.format, c.encoding, byte(c.suite)}
	b = append(b, c.expiry...)
	b = append(b, c.time...)
	b = append(b, c.serial...)
	b = append(b, c.hashEncoding, c.hashAlg)
	b = append(b, iccdHash(c.hashAlg, c.iccd)...)
	b = append(b, x...)
	sig := signer.sign(b)
	if c.breakSignature {
		sig[0] ^= 0x80
	}
	return append(b, sig...)
}

// eccChain is a complete XDA test card: a CA ECC key in a store, an issuer
// key certified by it, an ICC key certified by the issuer key.
type eccChain struct {
	ca, issuer, icc *ecTestKey
	store           *KeyStore
	card            CardData
	iccd            []byte
	date, time      time.Time
	issuerTmpl      eccIssuerTemplate
	iccTmpl         eccICCTemplate
}

const eccTestIndex = 0xE5

func newECCChain(t testing.TB, ca, issuer, icc Suite) *eccChain {
	c := &eccChain{
		ca:     newECTestKey(ca, "oda test CA "+ca.String()),
		issuer: newECTestKey(issuer, "oda test issuer "+issuer.String()),
		icc:    newECTestKey(icc, "oda test ICC "+icc.String()),
	}
	k := CAKey{RID: [5]byte(testRID), Index: eccTestIndex, Suite: ca, X: c.ca.x, Expiry: time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC)}
	sum := k.ComputeCheckSum()
	k.CheckSum = sum[:]
	c.store = NewKeyStore()
	require.NoError(t, c.store.Add(k))
	// An RSA key beside it, under the index the RSA chain tests use.
	rsa := testCAKey(t)
	require.NoError(t, c.store.Add(rsa))
	c.iccd = h("5F24032512315A0854133300890200115F3401019F0702FF00" + "82023900" + "9F0607A0000009991010")
	c.date = time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC)
	c.card = CardData{AID: h("A0000009991010"), CAKeyIndex: []byte{eccTestIndex}, PAN: h("5413330089020011")}
	c.issuerTmpl = eccIssuerTemplate{format: 0x12, encoding: 0, id: h("541333FFFF"), suite: issuer,
		expiry: h("20301231"), serial: h("000001"), rid: testRID, index: eccTestIndex}
	c.iccTmpl = eccICCTemplate{format: 0x14, encoding: 0, suite: icc, expiry: h("20301231"), time: h("2359"),
		serial: h("000000000042"), hashEncoding: 0, hashAlg: icc.HashAlgorithm(), iccd: c.iccd}
	c.sign()
	return c
}

func (c *eccChain) sign() {
	c.card.IssuerCertificate = c.issuerTmpl.build(c.issuer, c.ca)
	c.card.ICCCertificate = c.iccTmpl.build(c.icc, c.issuer)
}

func (c *eccChain) verifier() *Verifier { return &Verifier{Keys: c.store, Date: c.date, Time: c.time} }

type eccCase struct {
	name  string
	tmpl  func(c *eccChain) // before signing
	card  func(c *eccChain) // after signing
	check Check
	want  error
}

func (tc eccCase) apply(c *eccChain) {
	if tc.tmpl != nil {
		tc.tmpl(c)
	}
	c.sign()
	if tc.card != nil {
		tc.card(c)
	}
}

var eccSuiteChains = []struct {
	name            string
	ca, issuer, icc Suite
}{
	{"P-256", SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256},
	{"P-521", SuiteP521SHA512, SuiteP521SHA512, SuiteP521SHA512},
	{"P-521 CA, P-256 issuer and ICC", SuiteP521SHA512, SuiteP256SHA256, SuiteP256SHA256},
}

// Book 2 §12.2-§12.4 and Book 3 §10.3: one case per check of the XDA key
// chain, each breaking exactly that check, for each curve.
func TestXDAKeyChecks(t *testing.T) {
	cases := []eccCase{
		{name: "no transaction date", tmpl: func(c *eccChain) { c.date = time.Time{} }, check: CheckInput, want: ErrInput},
		{name: "CA key index absent", card: func(c *eccChain) { c.card.CAKeyIndex = nil }, check: CheckCAKeyIndex, want: ErrMissingData},
		{name: "CA key index two bytes", card: func(c *eccChain) { c.card.CAKeyIndex = []byte{eccTestIndex, 0} }, check: CheckCAKeyIndex, want: ErrFormat},
		{name: "CA key unknown", card: func(c *eccChain) { c.card.CAKeyIndex = []byte{0xE6} }, check: CheckCAKey, want: ErrCAKeyUnknown},
		{name: "CA key under the index is RSA", card: func(c *eccChain) { c.card.CAKeyIndex = []byte{testIndex} }, check: CheckCAKey, want: ErrCAKeyUnknown},
		{name: "CA key expired", tmpl: func(c *eccChain) { c.date = time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC) }, check: CheckCAKeyDate, want: ErrExpired},
		{name: "issuer certificate absent", card: func(c *eccChain) { c.card.IssuerCertificate = nil }, check: CheckIssuerCertificate, want: ErrMissingData},
		{name: "ICC certificate absent", card: func(c *eccChain) { c.card.ICCCertificate = nil }, check: CheckICCCertificate, want: ErrMissingData},
		{name: "Table 35 certificate shorter than its fixed fields", card: func(c *eccChain) { c.card.IssuerCertificate = c.card.IssuerCertificate[:20] }, check: CheckIssuerCertLength, want: ErrLength},
		{name: "Table 35 format 02", tmpl: func(c *eccChain) { c.issuerTmpl.format = 0x02 }, check: CheckIssuerCertFormat, want: ErrFormat},
		{name: "Table 35 encoding 01", tmpl: func(c *eccChain) { c.issuerTmpl.encoding = 0x01 }, check: CheckIssuerCertEncoding, want: ErrFormat},
		{name: "Table 48 issuer suite 12 (SHA-3)", tmpl: func(c *eccChain) { c.issuerTmpl.suite = 0x12 }, check: CheckIssuerKeyAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "Table 35 certificate one byte long", card: func(c *eccChain) { c.card.IssuerCertificate = append(c.card.IssuerCertificate, 0) }, check: CheckIssuerCertLength, want: ErrLength},
		{name: "Table 35 certificate one byte short", card: func(c *eccChain) {
			c.card.IssuerCertificate = c.card.IssuerCertificate[:len(c.card.IssuerCertificate)-1]
		}, check: CheckIssuerCertLength, want: ErrLength},
		{name: "Table 35 RID of another CA", tmpl: func(c *eccChain) { c.issuerTmpl.rid = h("A000000998") }, check: CheckIssuerCertCAKey, want: ErrFormat},
		{name: "Table 35 index of another CA key", tmpl: func(c *eccChain) { c.issuerTmpl.index = 0xE6 }, check: CheckIssuerCertCAKey, want: ErrFormat},
		{name: "A2.2.3 issuer certificate signature", tmpl: func(c *eccChain) { c.issuerTmpl.breakSignature = true }, check: CheckIssuerCertSignature, want: ErrSignature},
		{name: "A2.2.3 issuer certificate changed after signing", card: func(c *eccChain) { c.card.IssuerCertificate[12] ^= 1 }, check: CheckIssuerCertSignature, want: ErrSignature},
		{name: "issuer identifier not the PAN's", tmpl: func(c *eccChain) { c.issuerTmpl.id = h("541334FFFF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "issuer identifier of 2 digits", tmpl: func(c *eccChain) { c.issuerTmpl.id = h("54FFFFFFFF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "issuer identifier digit after F", tmpl: func(c *eccChain) { c.issuerTmpl.id = h("541333F1FF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "issuer certificate expired", tmpl: func(c *eccChain) { c.issuerTmpl.expiry = h("20250505") }, check: CheckIssuerCertExpiry, want: ErrExpired},
		{name: "issuer certificate expiry not a date", tmpl: func(c *eccChain) { c.issuerTmpl.expiry = h("20250231") }, check: CheckIssuerCertExpiry, want: ErrFormat},
		{name: "issuer certificate revoked", tmpl: func(c *eccChain) { c.store.Revoke([5]byte(testRID), eccTestIndex, [3]byte{0, 0, 1}) }, check: CheckIssuerCertRevoked, want: ErrRevoked},
		{name: "B2.2.1 issuer key x on no point", tmpl: func(c *eccChain) { c.issuerTmpl.x = notOnCurveX(c.issuerTmpl.suite) }, check: CheckIssuerKeyPoint, want: ErrFormat},
		{name: "Table 36 certificate shorter than its fixed fields", card: func(c *eccChain) { c.card.ICCCertificate = c.card.ICCCertificate[:16] }, check: CheckICCCertLength, want: ErrLength},
		{name: "Table 36 format 04", tmpl: func(c *eccChain) { c.iccTmpl.format = 0x04 }, check: CheckICCCertFormat, want: ErrFormat},
		{name: "Table 36 encoding 01", tmpl: func(c *eccChain) { c.iccTmpl.encoding = 0x01 }, check: CheckICCCertEncoding, want: ErrFormat},
		{name: "Table 48 ICC suite 80", tmpl: func(c *eccChain) { c.iccTmpl.suite = 0x80 }, check: CheckICCKeyAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "Table 36 ICCD Hash encoding 01", tmpl: func(c *eccChain) { c.iccTmpl.hashEncoding = 0x01 }, check: CheckICCDHashEncoding, want: ErrFormat},
		{name: "Table 47 ICCD Hash algorithm 01 (SHA-1)", tmpl: func(c *eccChain) { c.iccTmpl.hashAlg = HashSHA1 }, check: CheckICCHashAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "Table 36 certificate one byte long", card: func(c *eccChain) { c.card.ICCCertificate = append(c.card.ICCCertificate, 0) }, check: CheckICCCertLength, want: ErrLength},
		{name: "A2.2.3 ICC certificate signature", tmpl: func(c *eccChain) { c.iccTmpl.breakSignature = true }, check: CheckICCCertSignature, want: ErrSignature},
		{name: "A2.2.3 ICC certificate changed after signing", card: func(c *eccChain) { c.card.ICCCertificate[9] ^= 1 }, check: CheckICCCertSignature, want: ErrSignature},
		{name: "Book 3 §10.3 ICCD differs from the card's data", tmpl: func(c *eccChain) { c.iccTmpl.iccd = append(bytes.Clone(c.iccd), 0) }, check: CheckICCCertHash, want: ErrHashMismatch},
		{name: "ICC certificate expired by date", tmpl: func(c *eccChain) { c.iccTmpl.expiry = h("20250505") }, check: CheckICCCertExpiry, want: ErrExpired},
		{name: "ICC certificate expired by time", tmpl: func(c *eccChain) {
			c.iccTmpl.expiry, c.iccTmpl.time = h("20250506"), h("1029")
			c.time = time.Date(2025, 5, 6, 10, 30, 0, 0, time.UTC)
		}, check: CheckICCCertExpiry, want: ErrExpired},
		{name: "ICC certificate expiry time 2460", tmpl: func(c *eccChain) { c.iccTmpl.time = h("2460") }, check: CheckICCCertExpiry, want: ErrFormat},
		{name: "ICC certificate expiry month 13", tmpl: func(c *eccChain) { c.iccTmpl.expiry = h("20301301") }, check: CheckICCCertExpiry, want: ErrFormat},
		{name: "B2.2.1 ICC key x on no point", tmpl: func(c *eccChain) { c.iccTmpl.x = notOnCurveX(c.iccTmpl.suite) }, check: CheckICCKeyPoint, want: ErrFormat},
	}
	for _, sc := range eccSuiteChains {
		for _, tc := range cases {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				c := newECCChain(t, sc.ca, sc.issuer, sc.icc)
				tc.apply(c)
				k, err := c.verifier().XDAKey(&c.card, c.iccd)
				assert.Nil(t, k)
				requireODAError(t, err, XDA, tc.check, tc.want)
				missing := tc.check == CheckCAKeyIndex || tc.check == CheckCAKey || tc.check == CheckCAKeyDate
				assert.Equal(t, missing, CAKeyMissing(err), "CA ECC key missing, Book 4 §6.3.2.2.1")
			})
		}
	}
}

// The chain verifies for each curve and mix; a certificate valid to the
// minute is accepted up to that minute.
func TestXDAKeyAccepts(t *testing.T) {
	for _, sc := range eccSuiteChains {
		t.Run(sc.name, func(t *testing.T) {
			c := newECCChain(t, sc.ca, sc.issuer, sc.icc)
			k, err := c.verifier().XDAKey(&c.card, c.iccd)
			require.NoError(t, err)
			assert.Equal(t, sc.icc, k.Suite)
			assert.Equal(t, c.icc.x, k.X)
			assert.Equal(t, [6]byte(h("000000000042")), k.SerialNumber)
			assert.Equal(t, sc.icc.HashAlgorithm(), k.ICCDHashAlgorithm)
			assert.Equal(t, c.card.ICCCertificate, k.Certificate)

			c.iccTmpl.expiry, c.iccTmpl.time = h("20250506"), h("1030")
			c.sign()
			c.time = time.Date(2025, 5, 6, 10, 30, 59, 0, time.UTC)
			_, err = c.verifier().XDAKey(&c.card, c.iccd)
			require.NoError(t, err, "valid through 10:30")
		})
	}
}

func TestAppendICCD(t *testing.T) {
	records := []Record{{SFI: 1, Data: h("70035A0112")}, {SFI: 11, Data: h("70029F01")}}
	got, err := AppendICCD(nil, records, h("3900"), h("A0000000031010"), h("9F3704"))
	require.NoError(t, err)
	// Book 3 §10.3: records as for the RSA methods, then 82 TLV, 9F06 TLV, 9F38 TLV.
	assert.Equal(t, h("5A0112"+"70029F01"+"82023900"+"9F0607A0000000031010"+"9F38039F3704"), got)
	got, err = AppendICCD(nil, records[:1], h("3900"), h("A0000000031010"), nil)
	require.NoError(t, err)
	assert.Equal(t, h("5A0112"+"82023900"+"9F0607A0000000031010"), got, "no PDOL received: nothing appended")
	got, err = AppendICCD(nil, nil, h("3900"), h("A0000000031010"), []byte{})
	require.NoError(t, err)
	assert.Equal(t, h("82023900"+"9F0607A0000000031010"+"9F3800"), got, "an empty PDOL is still a PDOL")
	_, err = AppendICCD(nil, []Record{{SFI: 2, Data: h("7102AABB")}}, h("3900"), h("A0000000031010"), nil)
	requireODAError(t, err, XDA, CheckStaticRecord, ErrFormat)
	_, err = AppendICCD(nil, nil, h("39"), h("A0000000031010"), nil)
	requireODAError(t, err, XDA, CheckSDATagList, ErrMissingData)
	_, err = AppendICCD(nil, nil, h("3900"), h("A000"), nil)
	requireODAError(t, err, XDA, CheckInput, ErrInput)
}

// xdaCard answers a GENERATE AC with an XDA signature (Book 2 §12.5.3).
type xdaCard struct {
	pdol, cdol1, cdol2 []byte
	objects            [][]byte // the response's data objects before 9F4B
	format             byte
	breakSignature     bool
}

func newXDACard() *xdaCard {
	return &xdaCard{pdol: h("8301"), cdol1: h("000000001000" + "0978" + "250506" + "12345678"), format: 0x15,
		objects: [][]byte{h("9F270180"), h("9F36020007"), h("9F26081122334455667788"), h("9F100706010A03A00000")}}
}

func (x *xdaCard) response(icc *ecTestKey) []byte {
	msg := []byte{0x15}
	msg = append(msg, x.pdol...)
	msg = append(msg, x.cdol1...)
	msg = append(msg, x.cdol2...)
	var body []byte
	for _, o := range x.objects {
		msg = append(msg, o...)
		body = append(body, o...)
	}
	sig := icc.sign(msg)
	if x.breakSignature {
		sig[3] ^= 0x10
	}
	body = tlv.AppendTLV(body, 0x9F4B, append([]byte{x.format}, sig...))
	return tlv.AppendTLV(nil, 0x77, body)
}

func (x *xdaCard) input(resp []byte) *XDAInput {
	return &XDAInput{PDOLData: x.pdol, CDOL1Data: x.cdol1, CDOL2Data: x.cdol2, Response: resp}
}

// Book 2 §12.5.3: one case per check of the XDA signature.
func TestXDAChecks(t *testing.T) {
	for _, sc := range eccSuiteChains {
		c := newECCChain(t, sc.ca, sc.issuer, sc.icc)
		icc, err := c.verifier().XDAKey(&c.card, c.iccd)
		require.NoError(t, err)
		cases := []struct {
			name  string
			card  func(x *xdaCard)
			resp  func(r []byte) []byte
			in    func(in *XDAInput)
			check Check
			want  error
		}{
			{name: "response not TLV", resp: func(r []byte) []byte { return r[:len(r)-1] }, check: CheckResponse, want: ErrFormat},
			{name: "format 1 response", resp: func(r []byte) []byte { return tlv.AppendTLV(nil, 0x80, h("80000711223344556677889900")) }, check: CheckResponse, want: ErrFormat},
			{name: "no 9F4B", resp: func(r []byte) []byte {
				return tlv.AppendTLV(nil, 0x77, h("9F270180"+"9F36020007"))
			}, check: CheckSDAD, want: ErrMissingData},
			{name: "9F4B twice", resp: func(r []byte) []byte {
				_, v, _ := tlv.Single(r)
				return tlv.AppendTLV(nil, 0x77, append(append([]byte(nil), v...), h("9F4B0115")...))
			}, check: CheckResponse, want: ErrFormat},
			{name: "Table 38 SDAD one byte short", resp: func(r []byte) []byte {
				_, v, _ := tlv.Single(r)
				it := tlv.NewIter(v)
				var body []byte
				for it.Next() {
					if it.Tag() == 0x9F4B {
						body = tlv.AppendTLV(body, 0x9F4B, it.Value()[:len(it.Value())-1])
					} else {
						body = append(body, it.Raw()...)
					}
				}
				return tlv.AppendTLV(nil, 0x77, body)
			}, check: CheckSDADLength, want: ErrLength},
			{name: "Table 38 signed data format 05", card: func(x *xdaCard) { x.format = 0x05 }, check: CheckSDADFormat, want: ErrFormat},
			{name: "signature", card: func(x *xdaCard) { x.breakSignature = true }, check: CheckSDADSignature, want: ErrSignature},
			{name: "CDOL1 data differs from what the card signed", in: func(in *XDAInput) { in.CDOL1Data = h("00") }, check: CheckSDADSignature, want: ErrSignature},
			{name: "PDOL data differs", in: func(in *XDAInput) { in.PDOLData = nil }, check: CheckSDADSignature, want: ErrSignature},
			{name: "second GENERATE AC without its CDOL2 data", card: func(x *xdaCard) { x.cdol2 = h("3030") }, in: func(in *XDAInput) { in.CDOL2Data = nil }, check: CheckSDADSignature, want: ErrSignature},
			{name: "a response object changed after signing", resp: func(r []byte) []byte {
				r = bytes.Clone(r)
				r[bytes.Index(r, h("9F26"))+3] ^= 1
				return r
			}, check: CheckSDADSignature, want: ErrSignature},
		}
		for _, tc := range cases {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				x := newXDACard()
				if tc.card != nil {
					tc.card(x)
				}
				resp := x.response(c.icc)
				if tc.resp != nil {
					resp = tc.resp(resp)
				}
				in := x.input(resp)
				if tc.in != nil {
					tc.in(in)
				}
				requireODAError(t, icc.VerifyXDA(in), XDA, tc.check, tc.want)
			})
		}
		t.Run(sc.name+"/accepts", func(t *testing.T) {
			x := newXDACard()
			require.NoError(t, icc.VerifyXDA(x.input(x.response(c.icc))))
			x.cdol2 = h("30300000")
			require.NoError(t, icc.VerifyXDA(x.input(x.response(c.icc))), "second GENERATE AC signs CDOL2 data too")
		})
	}
}

// Book 2 §12.2: ECC CA keys live beside RSA keys, with their own checks.
func TestECCCAKeyValidate(t *testing.T) {
	k := newECTestKey(SuiteP256SHA256, "validate")
	good := func() CAKey {
		c := CAKey{RID: [5]byte(testRID), Index: 0xE7, Suite: SuiteP256SHA256, X: k.x}
		s := c.ComputeCheckSum()
		c.CheckSum = s[:]
		return c
	}
	g := good()
	require.NoError(t, g.Validate())
	cases := []struct {
		name   string
		change func(c *CAKey)
		want   error
	}{
		{"check value", func(c *CAKey) { c.CheckSum[0] ^= 1 }, ErrCheckValue},
		{"suite 12", func(c *CAKey) { c.Suite = 0x12 }, ErrUnsupportedAlgorithm},
		{"x short", func(c *CAKey) { c.X = c.X[1:] }, ErrLength},
		{"x on no point", func(c *CAKey) { c.X = notOnCurveX(SuiteP256SHA256) }, ErrFormat},
		{"modulus beside x", func(c *CAKey) { c.Modulus = []byte{0xC1} }, ErrFormat},
		{"hash algorithm 01", func(c *CAKey) { c.HashAlgorithm = HashSHA1 }, ErrUnsupportedAlgorithm},
		{"key algorithm 01", func(c *CAKey) { c.KeyAlgorithm = KeyRSA }, ErrUnsupportedAlgorithm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good()
			c.CheckSum = bytes.Clone(c.CheckSum)
			tc.change(&c)
			if tc.name != "check value" {
				s := c.ComputeCheckSum()
				c.CheckSum = s[:]
			}
			err := c.Validate()
			var ke *KeyError
			require.ErrorAs(t, err, &ke)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, NewKeyStore().Add(c), tc.want)
		})
	}
	s := NewKeyStore()
	require.NoError(t, s.Add(good()))
	got, ok := s.Key(testRID, 0xE7)
	require.True(t, ok)
	assert.Equal(t, "A000000999/E7 (P-256/SHA-256)", got.String())
	assert.Equal(t, HashSHA256, got.HashAlgorithm)
	assert.Equal(t, byte(SuiteP256SHA256), got.KeyAlgorithm)
}

// LoadKeyStore reads ECC CA keys beside RSA keys (suite and x in place of
// modulus and exponent) and refuses a bad one with its *KeyError.
func TestLoadKeyStoreECC(t *testing.T) {
	k := newECTestKey(SuiteP521SHA512, "json")
	ecc := CAKey{RID: [5]byte(testRID), Index: 0xE8, Suite: SuiteP521SHA512, X: k.x}
	sum := ecc.ComputeCheckSum()
	rsa := testCAKey(t)
	file := func(suite, x, checksum string) string {
		return `{"keys":[{"rid":"` + hexs(rsa.RID[:]) + `","index":"` + hexs([]byte{rsa.Index}) + `","modulus":"` + hexs(rsa.Modulus) +
			`","exponent":"` + hexs(rsa.Exponent) + `","checksum":"` + hexs(rsa.CheckSum) + `"},` +
			`{"rid":"A000000999","index":"E8","suite":"` + suite + `","x":"` + x + `","checksum":"` + checksum + `","expiry":"2030-12-31"}]}`
	}
	s, err := LoadKeyStore(strings.NewReader(file("11", hexs(k.x), hexs(sum[:]))))
	require.NoError(t, err)
	require.Len(t, s.Keys(), 2)
	got, ok := s.Key(testRID, 0xE8)
	require.True(t, ok)
	assert.Equal(t, SuiteP521SHA512, got.Suite)
	assert.Equal(t, k.x, got.X)
	assert.Equal(t, time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC), got.Expiry)
	var ke *KeyError
	_, err = LoadKeyStore(strings.NewReader(file("10", hexs(k.x), hexs(sum[:]))))
	require.ErrorAs(t, err, &ke)
	assert.ErrorIs(t, err, ErrLength, "a P-521 x under suite 10")
	_, err = LoadKeyStore(strings.NewReader(file("11", hexs(k.x), hexs(make([]byte, 20)))))
	assert.ErrorIs(t, err, ErrCheckValue)
	_, err = LoadKeyStore(strings.NewReader(file("1", hexs(k.x), hexs(sum[:]))))
	assert.Error(t, err)
}

// The inputs the terminal hands the ECC recovery are checked too.
func TestXDAInputs(t *testing.T) {
	c := newECCChain(t, SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256)
	v := c.verifier()
	_, err := v.RecoverECCIssuerKey(&CAKey{Suite: SuiteP256SHA256}, &c.card)
	requireODAError(t, err, XDA, CheckCAKey, ErrInput)
	_, err = v.RecoverECCICCKey(nil, &c.card, c.iccd)
	requireODAError(t, err, XDA, CheckInput, ErrInput)
	ca, err := v.ECCCAKey(&c.card)
	require.NoError(t, err)
	issuer, err := v.RecoverECCIssuerKey(ca, &c.card)
	require.NoError(t, err)
	assert.Equal(t, [5]byte(h("541333FFFF")), issuer.IssuerIdentifier)
	assert.Same(t, ca, issuer.CA)
	_, err = (&Verifier{Keys: c.store}).RecoverECCICCKey(issuer, &c.card, c.iccd)
	requireODAError(t, err, XDA, CheckInput, ErrInput)
	c.issuerTmpl.expiry = h("2030A231")
	c.sign()
	_, err = v.XDAKey(&c.card, c.iccd)
	requireODAError(t, err, XDA, CheckIssuerCertExpiry, ErrFormat)
	assert.False(t, CAKeyMissing(err))
	assert.False(t, CAKeyMissing(ErrExpired), "only an *Error of the CA key check")
}
