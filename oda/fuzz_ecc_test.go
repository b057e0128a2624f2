package oda

import (
	"bytes"
	"errors"
	"testing"
)

// checkXDAError requires err to be nil or an *Error of XDA.
func checkXDAError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Method != XDA {
		t.Fatalf("error %v is not an *Error of XDA", err)
	}
}

// FuzzECCCertificates feeds the ECC issuer and ICC certificates (Book 2
// §12.3, §12.4) to the key chain: it never panics, every failure is an
// *Error of XDA, and a key taken from a certificate is the one the
// certificate carries.
func FuzzECCCertificates(f *testing.F) {
	chains := []*eccChain{
		newECCChain(f, SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256),
		newECCChain(f, SuiteP521SHA512, SuiteP256SHA256, SuiteP521SHA512),
	}
	for i, c := range chains {
		f.Add(uint8(i), c.card.IssuerCertificate, c.card.ICCCertificate)
		f.Add(uint8(i), c.card.IssuerCertificate[:21], c.card.ICCCertificate[:17])
		f.Add(uint8(i), append(bytes.Clone(c.card.IssuerCertificate), 0), c.card.ICCCertificate)
	}
	f.Fuzz(func(t *testing.T, which uint8, issuerCert, iccCert []byte) {
		c := chains[int(which)%len(chains)]
		card := c.card
		card.IssuerCertificate, card.ICCCertificate = issuerCert, iccCert
		v := c.verifier()
		ca, err := v.ECCCAKey(&card)
		if err != nil {
			t.Fatal(err)
		}
		issuer, err := v.RecoverECCIssuerKey(ca, &card)
		checkXDAError(t, err)
		if err != nil {
			if issuer != nil {
				t.Fatal("a key with an error")
			}
			return
		}
		if !bytes.Equal(issuer.X, issuerCert[21:21+issuer.Suite.FieldLen()]) {
			t.Fatal("issuer key is not the certificate's")
		}
		icc, err := v.RecoverECCICCKey(issuer, &card, c.iccd)
		checkXDAError(t, err)
		if err != nil {
			return
		}
		off := 17 + eccHash(icc.ICCDHashAlgorithm)().Size()
		if !bytes.Equal(icc.X, iccCert[off:off+icc.Suite.FieldLen()]) {
			t.Fatal("ICC key is not the certificate's")
		}
		// The certificate's signature covers the ICCD Hash: other card
		// data must fail.
		if _, err := v.RecoverECCICCKey(issuer, &card, append(bytes.Clone(c.iccd), 0)); err == nil {
			t.Fatal("accepted under other card data")
		}
	})
}

// FuzzXDA feeds GENERATE AC responses and CDOL1 data to XDA verification
// (Book 2 §12.5.3): no panic, failures are *Error of XDA, and a response
// that verifies stops verifying when any signed input changes.
func FuzzXDA(f *testing.F) {
	c := newECCChain(f, SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256)
	icc, err := c.verifier().XDAKey(&c.card, c.iccd)
	if err != nil {
		f.Fatal(err)
	}
	x := newXDACard()
	resp := x.response(c.icc)
	f.Add(resp, x.cdol1)
	f.Add(resp[:len(resp)-1], x.cdol1)
	f.Add([]byte{0x77, 0x00}, []byte{})
	f.Add([]byte{0x77, 0x03, 0x9F, 0x4B, 0x00}, []byte{1})
	f.Fuzz(func(t *testing.T, response, cdol1 []byte) {
		in := &XDAInput{PDOLData: x.pdol, CDOL1Data: cdol1, Response: response}
		err := icc.VerifyXDA(in)
		checkXDAError(t, err)
		if err != nil {
			return
		}
		in.CDOL1Data = append(bytes.Clone(cdol1), 0)
		if icc.VerifyXDA(in) == nil {
			t.Fatal("verified with other CDOL1 data")
		}
	})
}
