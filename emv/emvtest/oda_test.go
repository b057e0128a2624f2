package emvtest

import (
	"bytes"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// terminalView is what a terminal gathers from the card before offline
// data authentication: the data objects, the static data and the GPO data.
type terminalView struct {
	card     oda.CardData
	static   []byte
	aip      []byte
	pdolData []byte
	ddol     []byte
	cdol1    []byte
	records  []oda.Record
}

// readCard selects aid, sends GPO with pdolData, reads every AFL record
// and builds the static data with package oda (Book 3 §10.3).
func readCard(t *testing.T, c *Card, aid, pdolData []byte) *terminalView {
	t.Helper()
	r := startTransaction(t, c, aid, pdolData)
	require.Equal(t, apdu.SWOK, r.SW)
	var aip, afl []byte
	tag, v, err := tlv.Single(r.Data)
	require.NoError(t, err)
	if tag == 0x80 {
		aip, afl = v[:2], v[2:]
	} else {
		aip, afl = find(t, r.Data, 0x82), find(t, r.Data, 0x94)
	}
	tv := &terminalView{aip: aip, pdolData: pdolData}
	tv.card.AID = aid
	var odaRecs []oda.Record
	var all []byte
	for i := 0; i+4 <= len(afl); i += 4 {
		sfi := afl[i] >> 3
		for n := afl[i+1]; n <= afl[i+2]; n++ {
			rr := send(t, c, apdu.ReadRecord(sfi, n))
			require.Equal(t, apdu.SWOK, rr.SW)
			if int(n-afl[i+1]) < int(afl[i+3]) {
				odaRecs = append(odaRecs, oda.Record{SFI: sfi, Data: rr.Data})
			}
			all = append(all, rr.Data...)
		}
	}
	get := func(t tlv.Tag) []byte { v, _ := tlv.Find(all, t); return v }
	tv.card.CAKeyIndex = get(0x8F)
	tv.card.PAN = get(0x5A)
	tv.card.IssuerCertificate = get(0x90)
	tv.card.IssuerRemainder = get(0x92)
	tv.card.IssuerExponent = get(0x9F32)
	tv.card.SSAD = get(0x93)
	tv.card.ICCCertificate = get(0x9F46)
	tv.card.ICCRemainder = get(0x9F48)
	tv.card.ICCExponent = get(0x9F47)
	tv.card.PINCertificate = get(0x9F2D)
	tv.card.PINExponent = get(0x9F2E)
	tv.card.PINRemainder = get(0x9F2F)
	tv.ddol = get(0x9F49)
	tv.cdol1 = get(0x8C)
	tv.records = odaRecs
	tv.static, err = oda.AppendStaticData(nil, oda.SDA, odaRecs, get(0x9F4A), aip)
	require.NoError(t, err)
	return tv
}

func verifier(c *Card) *oda.Verifier {
	return &oda.Verifier{Keys: c.KeyStore(), Date: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)}
}

// Book 2 §5: package oda recovers the issuer key and verifies the SSAD
// and its DAC.
func TestODAVerifiesSDA(t *testing.T) {
	c := NewCard(VisaSDA())
	tv := readCard(t, c, h("A0000000031010"), nil)
	ssad, err := verifier(c).SDA(&tv.card, tv.static)
	require.NoError(t, err)
	assert.Equal(t, [2]byte{0xDA, 0xC0}, ssad.DAC)
	assert.Len(t, tv.card.IssuerRemainder, 4, "1152-bit issuer key under a 1408-bit CA leaves 4 bytes (Book 2 §5.3)")
}

// Book 2 §6.5: INTERNAL AUTHENTICATE signs the DDOL data, format 1 and 2.
func TestODAVerifiesDDA(t *testing.T) {
	for _, p := range []*Profile{VisaCDA(), MastercardDDA()} {
		t.Run(p.Name, func(t *testing.T) {
			c := NewCard(p)
			aid := p.Applications[0].AID
			pdol := make([]byte, mustDOL(p.Applications[0].PDOL).Len())
			tv := readCard(t, c, aid, pdol)
			key, err := verifier(c).ICCPublicKey(oda.DDA, &tv.card, tv.static)
			require.NoError(t, err)
			un := h("01020304")
			r := send(t, c, apdu.InternalAuthenticate(un))
			require.Equal(t, apdu.SWOK, r.SW)
			wantTag := tlv.Tag(0x80)
			if p.Applications[0].DDAFormat == 2 {
				wantTag = 0x77
			}
			tag, _, err := tlv.Single(r.Data)
			require.NoError(t, err)
			assert.Equal(t, wantTag, tag)
			d, err := key.VerifyDDA(r.Data, un)
			require.NoError(t, err)
			assert.Len(t, d.ICCDynamicNumber, 8)
			// Another UN does not verify.
			_, err = key.VerifyDDA(r.Data, h("01020305"))
			assertCheck(t, err, oda.CheckSDADHash)
		})
	}
}

func mustDOL(b []byte) tlv.DOL {
	d, err := tlv.ParseDOL(b)
	if err != nil {
		panic(err)
	}
	return d
}

func assertCheck(t *testing.T, err error, check oda.Check) {
	t.Helper()
	var e *oda.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, check, e.Check, "%v", err)
}

// Book 2 §6.6: CDA on the first and second GENERATE AC, with the TDHC
// over PDOL, CDOL1, CDOL2 data and the response's objects.
func TestODAVerifiesCDA(t *testing.T) {
	c := NewCard(VisaCDA())
	tv := readCard(t, c, h("A0000000031010"), nil)
	key, err := verifier(c).ICCPublicKey(oda.CDA, &tv.card, tv.static)
	require.NoError(t, err)
	r := send(t, c, apdu.GenerateAC(apdu.RefARQC|apdu.RefCDA, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	d, err := key.VerifyCDA(&oda.CDAInput{UnpredictableNumber: h("12345678"), CDOL1Data: cdol1Data, Response: r.Data})
	require.NoError(t, err)
	assert.Equal(t, byte(0x80), d.CID)
	_, hasAC := tlv.Find(r.Data, 0x9F26)
	assert.False(t, hasAC, "with CDA the AC is only inside the SDAD (Book 3 §6.5.5.4)")

	r = send(t, c, apdu.GenerateAC(apdu.RefTC|apdu.RefCDA, cdol2Data))
	require.Equal(t, apdu.SWOK, r.SW)
	d, err = key.VerifyCDA(&oda.CDAInput{UnpredictableNumber: h("12345678"), CDOL1Data: cdol1Data, CDOL2Data: cdol2Data, Response: r.Data})
	require.NoError(t, err)
	assert.Equal(t, byte(0x40), d.CID)
}

// Book 2 §6.6.1: an AAC carries no signature even when CDA is asked for.
func TestCDANotForAAC(t *testing.T) {
	c := NewCard(VisaCDA())
	startTransaction(t, c, h("A0000000031010"), nil)
	r := send(t, c, apdu.GenerateAC(apdu.RefAAC|apdu.RefCDA, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	_, hasSDAD := tlv.Find(r.Data, 0x9F4B)
	assert.False(t, hasSDAD)
	assert.Len(t, find(t, r.Data, 0x9F26), 8)
}

// The ODA knobs fail exactly the check they target.
func TestODAFaults(t *testing.T) {
	cases := []struct {
		name   string
		fault  func(*ODAFaults)
		method oda.Method
		check  oda.Check
		revoke bool
	}{
		{"bad SSAD", func(f *ODAFaults) { f.BadSSAD = true }, oda.SDA, oda.CheckSSADHash, false},
		{"expired issuer certificate", func(f *ODAFaults) { f.IssuerCertExpiry = "0120" }, oda.SDA, oda.CheckIssuerCertExpiry, false},
		{"revoked issuer certificate", func(f *ODAFaults) { f.IssuerCertSerial = h("ABCDEF") }, oda.SDA, oda.CheckIssuerCertRevoked, true},
		{"issuer certificate for another issuer", func(f *ODAFaults) { f.IssuerCertIssuerID = "999999" }, oda.SDA, oda.CheckIssuerIdentifier, false},
		{"expired ICC certificate", func(f *ODAFaults) { f.ICCCertExpiry = "0120" }, oda.DDA, oda.CheckICCCertExpiry, false},
		{"ICC certificate for another PAN", func(f *ODAFaults) { f.ICCCertPAN = "4761739001010127" }, oda.DDA, oda.CheckICCPAN, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := VisaCDA()
			if tc.method == oda.SDA {
				p = VisaSDA()
			}
			tc.fault(&p.Applications[0].Faults)
			c := NewCard(p)
			tv := readCard(t, c, h("A0000000031010"), nil)
			v := verifier(c)
			if tc.revoke {
				v.Keys.Revoke(c.CAPublicKey().RID, c.CAPublicKey().Index, [3]byte{0xAB, 0xCD, 0xEF})
			}
			var err error
			if tc.method == oda.SDA {
				_, err = v.SDA(&tv.card, tv.static)
			} else {
				_, err = v.ICCPublicKey(tc.method, &tv.card, tv.static)
			}
			assertCheck(t, err, tc.check)
		})
	}

	t.Run("bad SDAD", func(t *testing.T) {
		p := VisaCDA()
		p.Applications[0].Faults.BadSDAD = true
		c := NewCard(p)
		tv := readCard(t, c, h("A0000000031010"), nil)
		key, err := verifier(c).ICCPublicKey(oda.DDA, &tv.card, tv.static)
		require.NoError(t, err)
		r := send(t, c, apdu.InternalAuthenticate(h("01020304")))
		_, err = key.VerifyDDA(r.Data, h("01020304"))
		assertCheck(t, err, oda.CheckSDADHash)
		r = send(t, c, apdu.GenerateAC(apdu.RefARQC|apdu.RefCDA, cdol1Data))
		_, err = key.VerifyCDA(&oda.CDAInput{UnpredictableNumber: h("12345678"), CDOL1Data: cdol1Data, Response: r.Data})
		assertCheck(t, err, oda.CheckSDADHash)
	})
}

// Book 2 §7: the terminal enciphers the PIN under the ICC key or the
// separate PIN key; the card deciphers it.
func TestEncipheredPIN(t *testing.T) {
	for _, sep := range []bool{false, true} {
		p := VisaCDA()
		p.Applications[0].PINKey = sep
		c := NewCard(p)
		tv := readCard(t, c, h("A0000000031010"), nil)
		key, err := verifier(c).PINKey(&tv.card, tv.static)
		require.NoError(t, err)
		if sep {
			require.NotEmpty(t, tv.card.PINCertificate)
		}
		encipher := func(pinBlock []byte) []byte {
			un := send(t, c, apdu.GetChallenge())
			require.Equal(t, apdu.SWOK, un.SW)
			enc, err := oda.EncipherPIN(&key.PublicKey, pinBlock, un.Data, bytes.NewReader(make([]byte, 256)))
			require.NoError(t, err)
			return enc
		}
		r := send(t, c, apdu.Verify(apdu.VerifyEncipheredPIN, encipher(h("241234FFFFFFFFFF"))))
		assert.Equal(t, apdu.SWOK, r.SW)
		r = send(t, c, apdu.Verify(apdu.VerifyEncipheredPIN, encipher(h("241235FFFFFFFFFF"))))
		assert.Equal(t, apdu.SW(0x63C2), r.SW)
		// Book 2 §7.2: with another GET CHALLENGE since, the UN does not
		// match and verification fails even with the right PIN.
		enc := encipher(h("241234FFFFFFFFFF"))
		send(t, c, apdu.GetChallenge())
		r = send(t, c, apdu.Verify(apdu.VerifyEncipheredPIN, enc))
		assert.Equal(t, apdu.SW(0x63C1), r.SW)
		// Nor is an enciphered PIN accepted twice: each GET CHALLENGE
		// serves one VERIFY.
		enc = encipher(h("241234FFFFFFFFFF"))
		assert.Equal(t, apdu.SWOK, send(t, c, apdu.Verify(apdu.VerifyEncipheredPIN, enc)).SW)
		assert.Equal(t, apdu.SW(0x63C2), send(t, c, apdu.Verify(apdu.VerifyEncipheredPIN, enc)).SW)
	}
}

// The largest keys Book 2 allows (1984 bits) and exponent 65537: every
// record still fits a short response and oda verifies the chain.
func TestLargestKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("generates three 1984-bit keys")
	}
	p := VisaCDA()
	p.Keys = Keys{Seed: "large", CABits: 1984, IssuerBits: 1984, ICCBits: 1984, Exponent: 65537}
	p.Applications[0].AIP = h("7D00") // SDA too
	p.Applications[0].PINKey = true
	c := NewCard(p)
	tv := readCard(t, c, h("A0000000031010"), nil)
	for _, e := range c.Exchanges() {
		assert.LessOrEqual(t, len(e.Response), 258)
	}
	v := verifier(c)
	_, err := v.SDA(&tv.card, tv.static)
	require.NoError(t, err)
	key, err := v.ICCPublicKey(oda.CDA, &tv.card, tv.static)
	require.NoError(t, err)
	r := send(t, c, apdu.GenerateAC(apdu.RefARQC|apdu.RefCDA, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	_, err = key.VerifyCDA(&oda.CDAInput{UnpredictableNumber: h("12345678"), CDOL1Data: cdol1Data, Response: r.Data})
	require.NoError(t, err)
	_, err = v.PINKey(&tv.card, tv.static)
	require.NoError(t, err)
}

// xdaProfile is the Visa CDA card turned into an XDA card (AIP 9C00) with
// an ECC key for ODE, signing with the given suites.
func xdaProfile(ca, issuer, icc oda.Suite) *Profile {
	p := VisaCDA()
	p.Applications[0].AIP = h("9C00")
	p.Applications[0].PINKey = true
	p.Keys.ECCSuite, p.Keys.ECCIssuerSuite, p.Keys.ECCICCSuite = int(ca), int(issuer), int(icc)
	return p
}

// Book 2 §12: package oda takes the ECC keys from the card's certificates
// and verifies its XDA signatures on both GENERATE ACs; an AAC is not
// signed (§12.5.1). The card's ECC key for ODE is recoverable too (§13.1).
func TestODAVerifiesXDA(t *testing.T) {
	for _, sc := range []struct {
		name            string
		ca, issuer, icc oda.Suite
	}{
		{"P-256", oda.SuiteP256SHA256, oda.SuiteP256SHA256, oda.SuiteP256SHA256},
		{"P-521 CA and ICC", oda.SuiteP521SHA512, oda.SuiteP256SHA256, oda.SuiteP521SHA512},
		{"P-521 CA and issuer", oda.SuiteP521SHA512, oda.SuiteP521SHA512, oda.SuiteP256SHA256},
	} {
		t.Run(sc.name, func(t *testing.T) {
			c := NewCard(xdaProfile(sc.ca, sc.issuer, sc.icc))
			aid := h("A0000000031010")
			tv := readCard(t, c, aid, nil)
			assert.Equal(t, []byte{0xE5}, tv.card.CAKeyIndex)
			assert.Empty(t, tv.card.IssuerExponent, "no RSA data on an ECC card")
			iccd, err := oda.AppendICCD(nil, tv.records, tv.aip, aid, nil)
			require.NoError(t, err)
			key, err := verifier(c).XDAKey(&tv.card, iccd)
			require.NoError(t, err)
			assert.Equal(t, sc.icc, key.Suite)
			pinKey, err := verifier(c).ECCPINKey(&tv.card, iccd)
			require.NoError(t, err)
			assert.Equal(t, sc.icc, pinKey.Suite)

			r := send(t, c, apdu.GenerateAC(apdu.RefARQC|0x08, cdol1Data))
			require.Equal(t, apdu.SWOK, r.SW)
			require.NoError(t, key.VerifyXDA(&oda.XDAInput{CDOL1Data: cdol1Data, Response: r.Data}))
			assert.Len(t, find(t, r.Data, 0x9F26), 8, "with XDA the AC is in clear")
			assert.Len(t, find(t, r.Data, 0x9F4B), 1+sc.icc.SignatureLen())

			r = send(t, c, apdu.GenerateAC(apdu.RefTC|0x08, cdol2Data))
			require.Equal(t, apdu.SWOK, r.SW)
			require.NoError(t, key.VerifyXDA(&oda.XDAInput{CDOL1Data: cdol1Data, CDOL2Data: cdol2Data, Response: r.Data}))
		})
	}
	c := NewCard(xdaProfile(oda.SuiteP256SHA256, oda.SuiteP256SHA256, oda.SuiteP256SHA256))
	startTransaction(t, c, h("A0000000031010"), nil)
	r := send(t, c, apdu.GenerateAC(apdu.RefAAC|0x08, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	_, hasSDAD := tlv.Find(r.Data, 0x9F4B)
	assert.False(t, hasSDAD)

	p := xdaProfile(oda.SuiteP521SHA512, oda.SuiteP521SHA512, oda.SuiteP521SHA512)
	assert.ErrorIs(t, p.Validate(), ErrProfile, "a P-521 ICC certificate by a P-521 issuer fits no record")
}
