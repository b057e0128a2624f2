package oda

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireODAError asserts err is an *Error for exactly this method, check
// and sentinel.
func requireODAError(t *testing.T, err error, m Method, c Check, sentinel error) {
	t.Helper()
	var e *Error
	require.ErrorAs(t, err, &e, "want %s %q %v", m, c, sentinel)
	assert.Equal(t, m, e.Method, "method")
	assert.Equal(t, c, e.Check, "check (error: %v)", err)
	assert.ErrorIs(t, err, sentinel)
	assert.True(t, strings.HasPrefix(err.Error(), "oda: "+m.String()+": "+string(c)+": "), err.Error())
}

type chainCase struct {
	name  string
	tmpl  func(c *chain) // change templates or verifier inputs; the certificates are signed after
	card  func(c *chain) // then change the card data
	check Check
	want  error
}

// apply changes the chain, applies the case and signs in the right order.
func (tc chainCase) apply(c *chain) {
	if tc.tmpl != nil {
		tc.tmpl(c)
	}
	c.sign()
	if tc.card != nil {
		tc.card(c)
	}
}

// issuerKeyCases break the checks of the Issuer Public Key recovery
// (Book 2 §5.2/§5.3, §6.2/§6.3) one at a time.
func issuerKeyCases() []chainCase {
	return []chainCase{
		{name: "no transaction date", tmpl: func(c *chain) { c.date = time.Time{} }, check: CheckInput, want: ErrInput},
		{name: "§5.2 CA key index absent", card: func(c *chain) { c.card.CAKeyIndex = nil }, check: CheckCAKeyIndex, want: ErrMissingData},
		{name: "§5.2 CA key index two bytes", card: func(c *chain) { c.card.CAKeyIndex = []byte{testIndex, 0} }, check: CheckCAKeyIndex, want: ErrFormat},
		{name: "§5.2 AID shorter than a RID", card: func(c *chain) { c.card.AID = testRID[:4] }, check: CheckInput, want: ErrInput},
		{name: "§5.2 CA key unknown", card: func(c *chain) { c.card.CAKeyIndex = []byte{0xE2} }, check: CheckCAKey, want: ErrCAKeyUnknown},
		{name: "§5.2 CA key of another RID", card: func(c *chain) { c.card.AID = h("A0000009981010") }, check: CheckCAKey, want: ErrCAKeyUnknown},
		{name: "CA key expired", tmpl: func(c *chain) { c.date = time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC) }, check: CheckCAKeyDate, want: ErrExpired},
		{name: "issuer certificate absent", card: func(c *chain) { c.card.IssuerCertificate = nil }, check: CheckIssuerCertificate, want: ErrMissingData},
		{name: "issuer exponent absent", card: func(c *chain) { c.card.IssuerExponent = nil }, check: CheckIssuerExponent, want: ErrMissingData},
		{name: "issuer exponent 02", card: func(c *chain) { c.card.IssuerExponent = []byte{2} }, check: CheckIssuerExponent, want: ErrFormat},
		{name: "step 1 certificate shorter than N_CA", card: func(c *chain) { c.card.IssuerCertificate = c.card.IssuerCertificate[1:] }, check: CheckIssuerCertLength, want: ErrLength},
		{name: "step 1 certificate longer than N_CA", card: func(c *chain) { c.card.IssuerCertificate = append(c.card.IssuerCertificate, 0) }, check: CheckIssuerCertLength, want: ErrLength},
		{name: "step 2 trailer BD", tmpl: func(c *chain) { c.issuerTmpl.trailer = 0xBD }, check: CheckIssuerCertTrailer, want: ErrFormat},
		{name: "step 2 not signed by this CA", card: func(c *chain) { c.card.IssuerCertificate[5] ^= 1 }, check: CheckIssuerCertTrailer, want: ErrFormat},
		{name: "step 3 header 6B", tmpl: func(c *chain) { c.issuerTmpl.header = 0x6B }, check: CheckIssuerCertHeader, want: ErrFormat},
		{name: "step 4 format 04", tmpl: func(c *chain) { c.issuerTmpl.format = 0x04 }, check: CheckIssuerCertFormat, want: ErrFormat},
		{name: "step 5 hash algorithm 02", tmpl: func(c *chain) { c.issuerTmpl.hashAlg = 0x02 }, check: CheckIssuerHashAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "N_I > N_CA", tmpl: func(c *chain) { c.issuerTmpl.keyLen = 177 }, check: CheckIssuerKeyLength, want: ErrLength},
		{name: "N_I zero", tmpl: func(c *chain) { c.issuerTmpl.keyLen = 0 }, check: CheckIssuerKeyLength, want: ErrLength},
		{name: "remainder absent though N_I > N_CA-36", tmpl: func(c *chain) { c.issuerTmpl.remainderOverride = []byte{} }, check: CheckIssuerRemainder, want: ErrMissingData},
		{name: "remainder one byte long", tmpl: func(c *chain) {
			c.issuerTmpl.remainderOverride = append(bytes.Clone(c.issuer.modulus[140:]), 0)
		}, check: CheckIssuerRemainder, want: ErrLength},
		{name: "step 7 hash differs", tmpl: func(c *chain) { c.issuerTmpl.breakHash = true }, check: CheckIssuerCertHash, want: ErrHashMismatch},
		{name: "step 7 remainder byte changed", card: func(c *chain) {
			r := bytes.Clone(c.card.IssuerRemainder)
			r[0] ^= 0xFF
			c.card.IssuerRemainder = r
		}, check: CheckIssuerCertHash, want: ErrHashMismatch},
		{name: "step 7 exponent differs from the signed one", tmpl: func(c *chain) { c.issuerTmpl.exponent = h("010001") }, check: CheckIssuerCertHash, want: ErrHashMismatch},
		{name: "step 8 issuer identifier of another BIN", tmpl: func(c *chain) { c.issuerTmpl.id = h("541334FF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "step 8 issuer identifier of 2 digits", tmpl: func(c *chain) { c.issuerTmpl.id = h("54FFFFFF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "step 8 issuer identifier not BCD", tmpl: func(c *chain) { c.issuerTmpl.id = h("5413A3FF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "step 8 digit after F padding", tmpl: func(c *chain) { c.issuerTmpl.id = h("5413F3FF") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "step 8 PAN shorter than the identifier", card: func(c *chain) { c.card.PAN = h("5413") }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "step 8 no PAN", card: func(c *chain) { c.card.PAN = nil }, check: CheckIssuerIdentifier, want: ErrPANMismatch},
		{name: "step 9 expired last month", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("0425") }, check: CheckIssuerCertExpiry, want: ErrExpired},
		{name: "step 9 expired last year", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("1224") }, check: CheckIssuerCertExpiry, want: ErrExpired},
		{name: "step 9 month 13", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("1330") }, check: CheckIssuerCertExpiry, want: ErrFormat},
		{name: "step 9 month 00", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("0030") }, check: CheckIssuerCertExpiry, want: ErrFormat},
		{name: "step 9 not BCD", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("123A") }, check: CheckIssuerCertExpiry, want: ErrFormat},
		{name: "step 10 serial revoked", tmpl: func(c *chain) { c.store.Revoke([5]byte(testRID), testIndex, [3]byte(h("000001"))) }, check: CheckIssuerCertRevoked, want: ErrRevoked},
		{name: "step 11 public key algorithm 02", tmpl: func(c *chain) { c.issuerTmpl.keyAlg = 0x02 }, check: CheckIssuerKeyAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "exponent length differs from 9F32", tmpl: func(c *chain) { c.issuerTmpl.expLen = 3 }, check: CheckIssuerKeyLength, want: ErrLength},
	}
}

// Book 2 §5.2/§5.3 and §6.2/§6.3: one case per check of the Issuer Public
// Key recovery, each breaking exactly that check.
func TestIssuerKeyChecks(t *testing.T) {
	cases := issuerKeyCases()
	for _, m := range []Method{SDA, DDA} {
		for _, tc := range cases {
			t.Run(m.String()+"/"+tc.name, func(t *testing.T) {
				c := newChain(t, "ca1408", "issuer1152", "icc1024")
				tc.apply(c)
				k, err := c.verifier().IssuerPublicKey(m, &c.card)
				assert.Nil(t, k)
				requireODAError(t, err, m, tc.check, tc.want)
				assert.NotContains(t, err.Error(), "541333", "no PAN digits in errors")
			})
		}
	}
}

func TestRecoverIssuerKeyNeedsStoredKey(t *testing.T) {
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	v := c.verifier()
	_, err := v.RecoverIssuerKey(SDA, nil, &c.card)
	requireODAError(t, err, SDA, CheckCAKey, ErrInput)
	raw := *c.caKey
	raw.rsa = rsaKey{}
	_, err = v.RecoverIssuerKey(SDA, &raw, &c.card)
	requireODAError(t, err, SDA, CheckCAKey, ErrInput)
	k, err := v.RecoverIssuerKey(SDA, c.caKey, &c.card)
	require.NoError(t, err)
	assert.Equal(t, c.issuer.modulus, k.Modulus)
}

// The passing side of the same checks: what the book allows is accepted.
func TestIssuerKeyAccepts(t *testing.T) {
	for _, tc := range []chainCase{
		{name: "as built", tmpl: func(c *chain) {}},
		{name: "3-digit issuer identifier", tmpl: func(c *chain) { c.issuerTmpl.id = h("541FFFFF") }},
		{name: "8-digit issuer identifier", tmpl: func(c *chain) { c.issuerTmpl.id = h("54133300") }},
		{name: "last day of the expiry month", tmpl: func(c *chain) { c.date = time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC) }},
		{name: "expiry this month", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("0525") }},
		{name: "19YY expiry before 2000 is in the past, 49 is 2049", tmpl: func(c *chain) { c.issuerTmpl.expiry = h("1249") }},
		{name: "other serial revoked", tmpl: func(c *chain) { c.store.Revoke([5]byte(testRID), testIndex, [3]byte(h("000002"))) }},
		{name: "CA key's last day", tmpl: func(c *chain) {
			c.date = time.Date(2031, 12, 31, 23, 0, 0, 0, time.UTC)
			c.issuerTmpl.expiry = h("1231")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t, "ca1408", "issuer1152", "icc1024")
			tc.apply(c)
			k, err := c.verifier().IssuerPublicKey(DDA, &c.card)
			require.NoError(t, err)
			assert.Equal(t, c.issuer.modulus, k.Modulus)
			assert.Equal(t, c.issuer.exponent, k.Exponent)
			assert.Equal(t, c.issuerTmpl.id, k.IssuerIdentifier[:])
			assert.Equal(t, c.issuerTmpl.expiry, k.Expiry[:])
			assert.Equal(t, h("000001"), k.SerialNumber[:])
			assert.Equal(t, c.caKey, k.CA)
			assert.Len(t, k.Recovered, 176)
		})
	}
	// A 19YY expiry is in the past.
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	c.issuerTmpl.expiry = h("1299")
	c.sign()
	_, err := c.verifier().IssuerPublicKey(DDA, &c.card)
	requireODAError(t, err, DDA, CheckIssuerCertExpiry, ErrExpired)
}

// iccKeyCases break the checks of the ICC Public Key recovery (Book 2
// §6.4) one at a time.
func iccKeyCases() []chainCase {
	return []chainCase{
		{name: "ICC certificate absent", card: func(c *chain) { c.card.ICCCertificate = nil }, check: CheckICCCertificate, want: ErrMissingData},
		{name: "ICC exponent absent", card: func(c *chain) { c.card.ICCExponent = nil }, check: CheckICCExponent, want: ErrMissingData},
		{name: "ICC exponent 5", card: func(c *chain) { c.card.ICCExponent = []byte{5} }, check: CheckICCExponent, want: ErrFormat},
		{name: "step 1 certificate shorter than N_I", card: func(c *chain) { c.card.ICCCertificate = c.card.ICCCertificate[:143] }, check: CheckICCCertLength, want: ErrLength},
		{name: "step 2 trailer 00", tmpl: func(c *chain) { c.iccTmpl.trailer = 0x00 }, check: CheckICCCertTrailer, want: ErrFormat},
		{name: "step 3 header 00", tmpl: func(c *chain) { c.iccTmpl.header = 0x00 }, check: CheckICCCertHeader, want: ErrFormat},
		{name: "step 4 format 02", tmpl: func(c *chain) { c.iccTmpl.format = 0x02 }, check: CheckICCCertFormat, want: ErrFormat},
		{name: "step 5 hash algorithm 00", tmpl: func(c *chain) { c.iccTmpl.hashAlg = 0x00 }, check: CheckICCHashAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "N_IC > N_I", tmpl: func(c *chain) { c.iccTmpl.keyLen = 145 }, check: CheckICCKeyLength, want: ErrLength},
		{name: "remainder absent", tmpl: func(c *chain) { c.iccTmpl.remainderOverride = []byte{} }, check: CheckICCRemainder, want: ErrMissingData},
		{name: "remainder short", tmpl: func(c *chain) { c.iccTmpl.remainderOverride = c.icc.modulus[102:127] }, check: CheckICCRemainder, want: ErrLength},
		{name: "step 7 hash differs", tmpl: func(c *chain) { c.iccTmpl.breakHash = true }, check: CheckICCCertHash, want: ErrHashMismatch},
		{name: "step 7 static data differs", tmpl: func(c *chain) {
			c.iccTmpl.extra = append(bytes.Clone(c.static[:len(c.static)-1]), 0x01)
		}, check: CheckICCCertHash, want: ErrHashMismatch},
		{name: "step 7 static data without the AIP", tmpl: func(c *chain) { c.iccTmpl.extra = c.static[:len(c.static)-2] }, check: CheckICCCertHash, want: ErrHashMismatch},
		{name: "step 8 PAN of another card", tmpl: func(c *chain) { c.iccTmpl.id = h("5413330089020012FFFF") }, check: CheckICCPAN, want: ErrPANMismatch},
		{name: "step 8 PAN padded with 0", tmpl: func(c *chain) { c.iccTmpl.id = h("54133300890200110000") }, check: CheckICCPAN, want: ErrPANMismatch},
		{name: "step 9 expired", tmpl: func(c *chain) { c.iccTmpl.expiry = h("0425") }, check: CheckICCCertExpiry, want: ErrExpired},
		{name: "step 9 month 20", tmpl: func(c *chain) { c.iccTmpl.expiry = h("2025") }, check: CheckICCCertExpiry, want: ErrFormat},
		{name: "step 10 public key algorithm 00", tmpl: func(c *chain) { c.iccTmpl.keyAlg = 0 }, check: CheckICCKeyAlgorithm, want: ErrUnsupportedAlgorithm},
		{name: "exponent length differs from 9F47", tmpl: func(c *chain) { c.iccTmpl.expLen = 1 }, check: CheckICCKeyLength, want: ErrLength},
	}
}

// Book 2 §6.4: one case per check of the ICC Public Key recovery.
func TestICCKeyChecks(t *testing.T) {
	cases := iccKeyCases()
	for _, m := range []Method{DDA, CDA, FDDA} {
		for _, tc := range cases {
			t.Run(m.String()+"/"+tc.name, func(t *testing.T) {
				c := newChain(t, "ca1408", "issuer1152", "icc1024")
				tc.apply(c)
				k, err := c.verifier().ICCPublicKey(m, &c.card, c.static)
				assert.Nil(t, k)
				requireODAError(t, err, m, tc.check, tc.want)
				assert.NotContains(t, err.Error(), "541333", "no PAN digits in errors")
			})
		}
	}
	// Step 8 against the card's PAN: recover the issuer key, then change 5A.
	for _, tc := range []struct {
		name string
		pan  []byte
	}{{"other PAN", h("5413330089020012")}, {"PAN over 10 bytes", h("5413330089020011000000")}, {"no PAN", nil}} {
		t.Run("card "+tc.name, func(t *testing.T) {
			c := newChain(t, "ca1408", "issuer1152", "icc1024")
			v := c.verifier()
			issuer, err := v.IssuerPublicKey(DDA, &c.card)
			require.NoError(t, err)
			c.card.PAN = tc.pan
			_, err = v.RecoverICCKey(DDA, issuer, &c.card, c.static)
			requireODAError(t, err, DDA, CheckICCPAN, ErrPANMismatch)
		})
	}
}

func TestICCKeyAccepts(t *testing.T) {
	for _, tc := range []struct {
		name                string
		ca, issuer, icc     string
		wantIssRem, wantRem int
	}{
		{"1408 CA, remainders for both keys", "ca1408", "issuer1152", "icc1024", 4, 26},
		{"1984 CA, issuer remainder, ICC key fits", "ca1984", "issuer1984", "icc1408", 36, 0},
		{"ICC key shorter than the field", "ca1408", "issuer1152", "icc768", 4, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t, tc.ca, tc.issuer, tc.icc)
			assert.Len(t, c.card.IssuerRemainder, tc.wantIssRem)
			assert.Len(t, c.card.ICCRemainder, tc.wantRem)
			k, err := c.verifier().ICCPublicKey(CDA, &c.card, c.static)
			require.NoError(t, err)
			assert.Equal(t, c.icc.modulus, k.Modulus)
			assert.Equal(t, c.icc.exponent, k.Exponent)
			assert.Equal(t, h("5413330089020011FFFF"), k.PAN[:])
			assert.Equal(t, h("123456"), k.SerialNumber[:])
			assert.Equal(t, "ICC public key ("+itoa(8*len(c.icc.modulus))+" bits, exponent "+strings.ToUpper(hexs(c.icc.exponent))+", PAN 541333******0011, expires 12/30)", k.String())
		})
	}
}

// Book 2 §5.4: one case per check of the Signed Static Application Data,
// and SDA's data-missing rule (Book 2 §5.1.1, Book 3 §10.3).
func TestSDAChecks(t *testing.T) {
	type sdaCase struct {
		name   string
		mutate func(c *chain, s *sdadTemplate)
		after  func(c *chain)
		check  Check
		want   error
	}
	cases := []sdaCase{
		{"8F absent", nil, func(c *chain) { c.card.CAKeyIndex = nil }, CheckCAKeyIndex, ErrMissingData},
		{"90 absent", nil, func(c *chain) { c.card.IssuerCertificate = nil }, CheckIssuerCertificate, ErrMissingData},
		{"9F32 absent", nil, func(c *chain) { c.card.IssuerExponent = nil }, CheckIssuerExponent, ErrMissingData},
		{"93 absent", nil, func(c *chain) { c.card.SSAD = nil }, CheckSSAD, ErrMissingData},
		{"93 absent and issuer certificate bad: data missing wins", nil, func(c *chain) { c.card.SSAD = nil; c.card.IssuerCertificate[0] ^= 1 }, CheckSSAD, ErrMissingData},
		{"issuer key fails", nil, func(c *chain) { c.card.IssuerCertificate[0] ^= 1 }, CheckIssuerCertTrailer, ErrFormat},
		{"step 1 SSAD shorter than N_I", nil, func(c *chain) { c.card.SSAD = c.card.SSAD[1:] }, CheckSSADLength, ErrLength},
		{"step 2 trailer", func(c *chain, s *sdadTemplate) { s.trailer = 0xB0 }, nil, CheckSSADTrailer, ErrFormat},
		{"step 3 header", func(c *chain, s *sdadTemplate) { s.header = 0x6C }, nil, CheckSSADHeader, ErrFormat},
		{"step 4 format 05", func(c *chain, s *sdadTemplate) { s.format = 0x05 }, nil, CheckSSADFormat, ErrFormat},
		{"hash algorithm 02", func(c *chain, s *sdadTemplate) { s.hashAlg = 0x02 }, nil, CheckSSADHashAlgorithm, ErrUnsupportedAlgorithm},
		{"step 7 hash differs", func(c *chain, s *sdadTemplate) { s.breakHash = true }, nil, CheckSSADHash, ErrHashMismatch},
		{"step 7 static data changed", nil, func(c *chain) { c.static = append(bytes.Clone(c.static), 0x00) }, CheckSSADHash, ErrHashMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChain(t, "ca1408", "issuer1152", "icc1024")
			s := sdadTemplate{header: 0x6A, format: 0x03, hashAlg: 1, trailer: 0xBC, dynamic: h("DAC1"), terminal: [][]byte{c.static}}
			if tc.mutate != nil {
				tc.mutate(c, &s)
			}
			c.card.SSAD = s.build(c.issuer)
			if tc.after != nil {
				tc.after(c)
			}
			r, err := c.verifier().SDA(&c.card, c.static)
			assert.Nil(t, r)
			requireODAError(t, err, SDA, tc.check, tc.want)
		})
	}
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	c.card.SSAD = sdadTemplate{header: 0x6A, format: 0x03, hashAlg: 1, trailer: 0xBC, dynamic: h("DAC1"), terminal: [][]byte{c.static}}.build(c.issuer)
	r, err := c.verifier().SDA(&c.card, c.static)
	require.NoError(t, err)
	assert.Equal(t, [2]byte{0xDA, 0xC1}, r.DAC)
	assert.Equal(t, byte(0x6A), r.Recovered[0])
}

// Book 3 §10.3: which bytes of which record go into the static data.
func TestAppendStaticData(t *testing.T) {
	rec1 := h("70 0B 5F24 03 251231 5A 03 541333")
	rec11 := h("70 05 9F08 02 0002")
	aip := h("3900")
	got, err := AppendStaticData(nil, DDA, []Record{{SFI: 1, Data: rec1}, {SFI: 11, Data: rec11}, {SFI: 10, Data: h("70 00")}}, h("82"), aip)
	require.NoError(t, err)
	assert.Equal(t, h("5F24 03 251231 5A 03 541333"+"70 05 9F08 02 0002"+"3900"), got)

	// Appending to dst keeps what was there.
	got, err = AppendStaticData(h("AA"), SDA, []Record{{SFI: 2, Data: h("70 01 00")}}, nil, aip)
	require.NoError(t, err)
	assert.Equal(t, h("AA 00"), got, "no tag list: no AIP")

	// Padding after the template is not part of the value.
	got, err = AppendStaticData(nil, SDA, []Record{{SFI: 3, Data: h("70 03 9F08 00 0000")}}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, h("9F08 00"), got)

	for _, tc := range []struct {
		name    string
		records []Record
		list    []byte
		aip     []byte
		check   Check
		want    error
	}{
		{"SFI 1-10 record not a 70 template", []Record{{SFI: 1, Data: h("77 02 9F08 00")}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 1-10 record of two objects", []Record{{SFI: 1, Data: h("70 00 70 00")}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 1-10 record truncated", []Record{{SFI: 1, Data: h("70 05 00")}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 1-10 record empty", []Record{{SFI: 5, Data: nil}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 11-30 record not a 70 template", []Record{{SFI: 11, Data: h("61 02 9F08 00")}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 11-30 record malformed", []Record{{SFI: 30, Data: h("70 81")}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 0", []Record{{SFI: 0, Data: rec1}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"SFI 31", []Record{{SFI: 31, Data: rec1}}, nil, nil, CheckStaticRecord, ErrFormat},
		{"tag list with 5A", nil, h("5A"), aip, CheckSDATagList, ErrFormat},
		{"tag list 82 then 5A", nil, h("825A"), aip, CheckSDATagList, ErrFormat},
		{"tag list 9F4A", nil, h("9F4A"), aip, CheckSDATagList, ErrFormat},
		{"tag list 82 without AIP", nil, h("82"), nil, CheckSDATagList, ErrMissingData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AppendStaticData(nil, CDA, tc.records, tc.list, tc.aip)
			requireODAError(t, err, CDA, tc.check, tc.want)
		})
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Repeat(" ", 0) + func() string { return fmtInt(i) }())
}

var _ = errors.New

// Book 2 §5.3 / §6.3 / §6.4 step 9 needs the transaction date: the
// exported recoveries that skip the CA key look-up refuse a zero date
// themselves, before any RSA.
func TestRecoverWithoutDate(t *testing.T) {
	c := newChain(t, "ca1408", "issuer1152", "icc1024")
	issuer, err := c.verifier().RecoverIssuerKey(DDA, c.caKey, &c.card)
	require.NoError(t, err)
	noDate := &Verifier{Keys: c.store}
	_, err = noDate.RecoverIssuerKey(DDA, c.caKey, &c.card)
	requireODAError(t, err, DDA, CheckInput, ErrInput)
	_, err = noDate.RecoverICCKey(DDA, issuer, &c.card, c.static)
	requireODAError(t, err, DDA, CheckInput, ErrInput)
	_, err = noDate.PINKey(&c.card, c.static)
	requireODAError(t, err, PIN, CheckInput, ErrInput)
}
