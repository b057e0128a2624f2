package oda

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/emvkit/emvkit/tlv"
)

// fuzzDate is the transaction date of the fuzz targets.
var fuzzDate = time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC)

// checkFuzzError asserts the error contract: a typed *Error of the given
// method with a check named, wrapping one of the package's sentinels.
func checkFuzzError(t *testing.T, err error, m Method) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *oda.Error", err, err)
	}
	if e.Method != m || e.Check == "" {
		t.Fatalf("error %v: method %v, check %q", err, e.Method, e.Check)
	}
	known := false
	for _, s := range []error{ErrMissingData, ErrLength, ErrFormat, ErrHashMismatch, ErrUnsupportedAlgorithm,
		ErrPANMismatch, ErrExpired, ErrRevoked, ErrCIDMismatch, ErrInput} {
		known = known || errors.Is(err, s)
	}
	if !known {
		t.Fatalf("error %v wraps no sentinel", err)
	}
}

// FuzzRecoverCertificate runs the Issuer and ICC certificate checks of
// Book 2 §5.3/§6.3/§6.4 with an arbitrary (small) modulus and arbitrary
// card data: no panic, a typed error, and on success a key whose fields
// are consistent with the recovered block, whose hash really matches, and
// whose identity matches the PAN.
func FuzzRecoverCertificate(f *testing.F) {
	seedKey := loadTestKey(f, "fuzz512")
	pan := h("5413330089020011")
	issuerT := newIssuerTemplate(loadTestKey(f, "icc768"))
	cert, rem := issuerT.build(seedKey)
	f.Add(seedKey.modulus, false, cert, rem, []byte{3}, []byte(nil), pan, false)
	iccT := newICCTemplate(loadTestKey(f, "icc768"), pan, h("5A08"))
	cert, rem = iccT.build(seedKey)
	f.Add(seedKey.modulus, false, cert, rem, []byte{3}, h("5A08"), pan, true)
	f.Add(h("C5"), true, h("01"), []byte(nil), h("010001"), []byte(nil), pan, false)
	// The issuer and ICC certificates of the recorded sessions' cards, with
	// their remainders, exponents and PAN, under the small seed modulus.
	for _, c := range sessionCards(f) {
		for _, k := range [][3]tlv.Tag{{0x90, 0x92, 0x9F32}, {0x9F46, 0x9F48, 0x9F47}} {
			if cert := c.get(k[0]); cert != nil {
				f.Add(seedKey.modulus, false, cert, c.get(k[1]), c.get(k[2]), []byte(nil), c.get(0x5A), k[0] == 0x9F46)
			}
		}
	}
	f.Fuzz(func(t *testing.T, modulus []byte, e65537 bool, cert, remainder, exponent, extra, pan []byte, icc bool) {
		if len(modulus) == 0 || len(modulus) > 96 || modulus[0] == 0 || len(cert) > 256 || len(remainder) > 256 || len(extra) > 512 {
			return // bounded work: small moduli keep each iteration cheap
		}
		e := []byte{3}
		if e65537 {
			e = []byte{1, 0, 1}
		}
		key := newRSAKey(modulus, e)
		spec, match := &issuerCertSpec, matchIssuerIdentifier(pan)
		if icc {
			spec, match = &iccCertSpec, matchPAN(pan)
		}
		revoked := func(serial []byte) bool { return serial[0] == 0xEE }
		got, err := recoverCert(CDA, spec, &key, cert, remainder, exponent, extra, match, fuzzDate, revoked)
		if err != nil {
			if got.modulus != nil {
				t.Fatal("key with an error")
			}
			checkFuzzError(t, err, CDA)
			return
		}
		n := len(modulus)
		rec := got.recovered
		if len(rec) != n || rec[0] != 0x6A || rec[n-1] != 0xBC || rec[1] != spec.format {
			t.Fatalf("accepted block %X", rec)
		}
		p := 2 + spec.idLen
		if len(got.modulus) != int(rec[p+7]) || got.modulus[0] == 0 || !bytes.Equal(got.exponent, exponent) {
			t.Fatalf("key of %d bytes, length field %d", len(got.modulus), rec[p+7])
		}
		hs := sha1.New()
		hs.Write(rec[1 : n-21])
		hs.Write(remainder)
		hs.Write(exponent)
		hs.Write(extra)
		if !bytes.Equal(hs.Sum(nil), rec[n-21:n-1]) {
			t.Fatal("accepted a certificate whose hash differs")
		}
		if match(got.id) != nil || checkExpiry(got.expiry, fuzzDate) != nil || (!icc && revoked(got.serial)) {
			t.Fatal("accepted a certificate failing identity, expiry or revocation")
		}
	})
}

// FuzzSignedCertificate signs arbitrary certificate bodies with a real
// (512-bit) key so fuzzing reaches every check after the signature: a
// correctly signed and hashed certificate never fails on its trailer,
// header or hash, and the recovered block is exactly what was signed.
func FuzzSignedCertificate(f *testing.F) {
	signer := loadTestKey(f, "fuzz512")
	f.Add(h("02 541333FF 1230 000001 01 01 10 01")[:], []byte(nil), true, false)
	f.Add(h("04 5413330089020011FFFF 1230 000001 01 01 20 01"), h("0102030405060708090A0B"), true, true)
	// The public key remainders of the recorded sessions' cards.
	for _, c := range sessionCards(f) {
		if r := c.get(0x92); r != nil {
			f.Add(h("02 541333FF 1230 000001 01 01 10 01")[:], r, true, false)
		}
		if r := c.get(0x9F48); r != nil {
			f.Add(h("04 5413330089020011FFFF 1230 000001 01 01 20 01"), r, true, true)
		}
	}
	f.Fuzz(func(t *testing.T, body, remainder []byte, e3 bool, icc bool) {
		n := signer.size()
		if len(remainder) > 256 {
			return
		}
		plain := bytes.Repeat([]byte{0xBB}, n)
		plain[0] = 0x6A
		copy(plain[1:n-21], body)
		exp := []byte{3}
		if !e3 {
			exp = []byte{1, 0, 1}
		}
		extra := []byte("static")
		hs := sha1.New()
		hs.Write(plain[1 : n-21])
		hs.Write(remainder)
		hs.Write(exp)
		if icc {
			hs.Write(extra)
		}
		copy(plain[n-21:], hs.Sum(nil))
		plain[n-1] = 0xBC
		cert := signer.sign(plain)
		key := newRSAKey(signer.modulus, signer.exponent)
		spec, match, ex := &issuerCertSpec, matchIssuerIdentifier(h("5413330089020011")), []byte(nil)
		if icc {
			spec, match, ex = &iccCertSpec, matchPAN(h("5413330089020011")), extra
		}
		got, err := recoverCert(DDA, spec, &key, cert, remainder, exp, ex, match, fuzzDate, nil)
		if err != nil {
			checkFuzzError(t, err, DDA)
			var e *Error
			errors.As(err, &e)
			switch e.Check {
			case CheckIssuerCertTrailer, CheckIssuerCertHeader, CheckIssuerCertHash, CheckICCCertTrailer, CheckICCCertHeader, CheckICCCertHash:
				t.Fatalf("correctly signed certificate failed: %v", err)
			}
			if e.Check == spec.c.remainder {
				return
			}
			if plain[1] == spec.format && plain[2+spec.idLen+5] == 1 && errors.Is(err, ErrHashMismatch) {
				t.Fatalf("hash mismatch on a correct hash: %v", err)
			}
			return
		}
		if !bytes.Equal(got.recovered, plain) {
			t.Fatal("recovered block differs from the signed one")
		}
	})
}

// FuzzSDAD parses and verifies arbitrary INTERNAL AUTHENTICATE, GENERATE
// AC and GPO data against a real ICC key (emv-tools' 896-bit Mastercard
// card, e = 3): no panic, typed errors, and success only with the checks
// really met.
func FuzzSDAD(f *testing.F) {
	vs := loadODAVectors(f)
	dda, cda := vs["emvtools-dda-mc05"], vs["emvtools-cda-mc05"]
	icc := iccKeyFromModulus(h(dda.ICCKey.ICCMod), dda.tag("9F47"))
	f.Add(format1(dda.tag("9F4B")), h(dda.DDOLData), h(cda.CDA.UN), []byte(nil), h(cda.CDA.CDOL1Data))
	f.Add(format2(h(cda.CDA.TLVs), tlv.AppendTLV(nil, 0x9F4B, cda.tag("9F4B"))), h(dda.DDOLData), h(cda.CDA.UN), []byte(nil), h(cda.CDA.CDOL1Data))
	f.Add(h("77 05 9F4B 02 0102"), []byte(nil), h("00000000"), h("EA"), []byte(nil))
	// The INTERNAL AUTHENTICATE and GENERATE AC answers of the recorded
	// sessions, with the DDOL, PDOL and CDOL1 data the terminal sent.
	for _, c := range sessionCards(f) {
		for _, r := range c.dynamic {
			f.Add(r, c.ddolData, h(cda.CDA.UN), c.pdolData, c.cdol1Data)
		}
	}
	f.Fuzz(func(t *testing.T, response, ddolData, un, pdol, cdol1 []byte) {
		if len(response) > 1024 {
			return
		}
		if d, err := icc.VerifyDDA(response, ddolData); err != nil {
			checkFuzzError(t, err, DDA)
		} else if n := len(d.ICCDynamicNumber); n < 2 || n > 8 || d.Recovered[1] != 0x05 {
			t.Fatalf("accepted SDAD %X", d.Recovered)
		}
		in := &CDAInput{UnpredictableNumber: un, PDOLData: pdol, CDOL1Data: cdol1, Response: response}
		if d, err := icc.VerifyCDA(in); err != nil {
			checkFuzzError(t, err, CDA)
		} else {
			cid, _ := tlv.Find(response, 0x9F27)
			if len(d.TDHC) != 20 || len(d.Cryptogram) != 8 || !bytes.Equal(cid, []byte{d.CID}) {
				t.Fatalf("accepted CDA data %X", d.ICCDynamicData)
			}
		}
		sdad, _ := tlv.Find(response, 0x9F4B)
		if _, err := icc.VerifyFDDA(sdad, &FDDAInput{UnpredictableNumber: un, CardAuthData: ddolData}); err != nil {
			checkFuzzError(t, err, FDDA)
		}
	})
}

// FuzzSignedSDAD signs arbitrary ICC Dynamic Data with a real key: DDA
// succeeds exactly when the data's lengths are within Book 2 Table 18's
// bounds, and then returns the ICC Dynamic Number signed.
func FuzzSignedSDAD(f *testing.F) {
	signer := loadTestKey(f, "fuzz512")
	icc := iccKeyFromModulus(signer.modulus, signer.exponent)
	f.Add(h("08 1122334455667788"), h("12345678"))
	f.Add(h("01 11"), []byte(nil))
	// The DDOL data of the recorded sessions' INTERNAL AUTHENTICATEs.
	for _, c := range sessionCards(f) {
		if c.ddolData != nil {
			f.Add(h("08 1122334455667788"), c.ddolData)
		}
	}
	f.Fuzz(func(t *testing.T, dynamic, ddolData []byte) {
		n := signer.size()
		if len(dynamic) > n-25 {
			return
		}
		sdad := sdadTemplate{header: 0x6A, format: 0x05, hashAlg: 1, trailer: 0xBC, lddOverride: -1,
			dynamic: dynamic, terminal: [][]byte{ddolData}}.build(signer)
		d, err := icc.VerifyDDA(format1(sdad), ddolData)
		ok := len(dynamic) >= 1 && dynamic[0] >= 2 && dynamic[0] <= 8 && 1+int(dynamic[0]) <= len(dynamic)
		if ok != (err == nil) {
			t.Fatalf("dynamic data %X: error %v", dynamic, err)
		}
		if err != nil {
			checkFuzzError(t, err, DDA)
			return
		}
		if !bytes.Equal(d.ICCDynamicNumber, dynamic[1:1+dynamic[0]]) || !bytes.Equal(d.ICCDynamicData, dynamic) {
			t.Fatal("wrong ICC dynamic number")
		}
	})
}

// FuzzAppendStaticData assembles static data from arbitrary records: the
// result is what Book 3 §10.3 says, computed independently here.
func FuzzAppendStaticData(f *testing.F) {
	f.Add(byte(1), h("70 03 9F08 00"), byte(11), h("70 02 5A00"), h("82"), h("3900"))
	f.Add(byte(2), h("77 00"), byte(0), []byte(nil), h("5A"), []byte(nil))
	// Each recorded session's records two by two, its tag list and AIP.
	for _, c := range sessionCards(f) {
		for i := 0; i+1 < len(c.records); i += 2 {
			f.Add(c.records[i].SFI, c.records[i].Data, c.records[i+1].SFI, c.records[i+1].Data, c.get(0x9F4A), c.aip)
		}
	}
	f.Fuzz(func(t *testing.T, sfi1 byte, rec1 []byte, sfi2 byte, rec2, list, aip []byte) {
		recs := []Record{{SFI: sfi1, Data: rec1}, {SFI: sfi2, Data: rec2}}
		got, err := AppendStaticData([]byte{0xAA}, SDA, recs, list, aip)
		want := []byte{0xAA}
		wantOK := true
		for _, r := range recs {
			tag, v, err := tlv.Single(r.Data)
			if err != nil || tag != 0x70 || r.SFI < 1 || r.SFI > 30 {
				wantOK = false
			}
			if r.SFI <= 10 {
				want = append(want, v...)
			} else {
				want = append(want, r.Data...)
			}
		}
		if len(list) > 0 {
			wantOK = wantOK && bytes.Equal(list, []byte{0x82}) && len(aip) == 2
			want = append(want, aip...)
		}
		if wantOK != (err == nil) {
			t.Fatalf("error %v, want ok %v", err, wantOK)
		}
		if err != nil {
			checkFuzzError(t, err, SDA)
			return
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("static data %X, want %X", got, want)
		}
	})
}

// FuzzLoadKeyStore reads arbitrary JSON key files: no panic, and every key
// a store accepts has a matching check value.
func FuzzLoadKeyStore(f *testing.F) {
	// Small seeds keep each iteration cheap: one good key (Visa test key
	// 99) with a revocation, and one key with a bad check value.
	good := testCAKey(f)
	seed := func(k *CAKey) []byte {
		b, err := jsonMarshal(map[string]any{
			"keys": []any{map[string]string{"rid": hexs(k.RID[:]), "index": hexs([]byte{k.Index}),
				"modulus": hexs(k.Modulus), "exponent": hexs(k.Exponent), "checksum": hexs(k.CheckSum), "expiry": "2030-12-31"}},
			"revocations": []any{map[string]string{"rid": hexs(k.RID[:]), "index": hexs([]byte{k.Index}), "serial": "000001"}},
		})
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(seed(&good))
	good.CheckSum = bytes.Repeat([]byte{1}, 20)
	f.Add(seed(&good))
	f.Add([]byte(`{"keys":[{"rid":"A000000003","index":"01","modulus":"C1","exponent":"03","checksum":"00"}]}`))
	// The CA keys of the recorded sessions' terminals.
	seen := map[string]bool{}
	for _, c := range sessionCards(f) {
		if len(c.caKeys) > 0 && !seen[string(c.caKeys)] {
			seen[string(c.caKeys)] = true
			f.Add([]byte(c.caKeys))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		s, err := LoadKeyStore(bytes.NewReader(data))
		if err != nil {
			if s != nil {
				t.Fatal("store with an error")
			}
			return
		}
		for _, k := range s.Keys() {
			if err := k.Validate(); err != nil {
				t.Fatalf("stored key fails validation: %v", err)
			}
		}
	})
}

// sessionCard is what the fuzz targets take from one recorded session:
// the card's data objects, records, AIP and dynamic answers, and the data
// the terminal sent.
type sessionCard struct {
	objects                       map[tlv.Tag][]byte
	records                       []Record
	aip                           []byte
	dynamic                       [][]byte // INTERNAL AUTHENTICATE and GENERATE AC answers, without SW
	ddolData, pdolData, cdol1Data []byte
	caKeys                        json.RawMessage
}

func (c *sessionCard) get(t tlv.Tag) []byte { return c.objects[t] }

// sessionCards reads what the fuzz targets take from every recorded
// session (at most 64, the seeds of one target stay few).
func sessionCards(tb testing.TB) []*sessionCard {
	var out []*sessionCard
	for _, s := range fuzzseed.Sessions(tb) {
		c := &sessionCard{objects: map[tlv.Tag][]byte{}}
		var k struct {
			Terminal struct {
				CAKeys json.RawMessage `json:"ca_keys"`
			} `json:"terminal"`
		}
		if len(s.Kernel) > 0 {
			if err := json.Unmarshal(s.Kernel, &k); err != nil {
				tb.Fatal(err)
			}
		}
		c.caKeys = k.Terminal.CAKeys
		for _, x := range s.Exchanges {
			if len(x.Response) < 2 || len(x.Command) < 4 {
				continue
			}
			data := x.Response[:len(x.Response)-2]
			var cdata []byte
			if len(x.Command) > 5 {
				cdata = x.Command[5:min(len(x.Command), 5+int(x.Command[4]))]
			}
			switch x.Command[1] {
			case 0xB2:
				c.records = append(c.records, Record{SFI: x.Command[3] >> 3, Data: data})
			case 0xA8:
				if v, ok := tlv.Find(data, 0x82); ok {
					c.aip = v
				} else if len(data) >= 4 && data[0] == 0x80 {
					c.aip = data[2:4]
				}
				c.pdolData = cdata
			case 0x88:
				c.dynamic = append(c.dynamic, data)
				c.ddolData = cdata
			case 0xAE:
				c.dynamic = append(c.dynamic, data)
				if c.cdol1Data == nil {
					c.cdol1Data = cdata
				}
			}
			it := tlv.NewIter(data)
			for it.Next() {
				for ch := it.Children(); ch.Next(); {
					c.objects[ch.Tag()] = ch.Value()
				}
			}
		}
		out = append(out, c)
		if len(out) == 64 {
			break
		}
	}
	return out
}
