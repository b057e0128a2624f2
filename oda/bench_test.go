package oda

import (
	"bytes"
	"math"
	"math/big"
	"testing"
	"time"

	"filippo.io/nistec"
	"github.com/emvkit/emvkit/tlv"
)

// BenchmarkODA measures what a CDA transaction costs the terminal: Issuer
// Public Key recovery (Book 2 §6.3), ICC Public Key recovery (§6.4) and
// CDA verification of one GENERATE AC (§6.6.2). "bare" runs only the three
// big.Int.Exp calls of the same sizes and exponents, so the ratio shows
// the overhead of the checks, hashing and parsing.
func BenchmarkODA(b *testing.B) {
	for _, tc := range []struct{ name, ca, issuer, icc string }{
		{"CA1408", "ca1408", "issuer1152", "icc1024"},
		{"CA1984", "ca1984", "issuer1984", "icc1408"},
	} {
		c := newChain(b, tc.ca, tc.issuer, tc.icc)
		cc := newCDACard()
		cc.objs = [][]byte{tlv.AppendTLV(nil, 0x9F36, h("0010")), tlv.AppendTLV(nil, 0x9F10, h("0010904001220000000000000000000000FF"))}
		in := cc.input(cc.response(c.icc))
		v := c.verifier()
		sdad, _ := tlv.Find(in.Response, 0x9F4B)

		b.Run(tc.name+"/chain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				icc, err := v.ICCPublicKey(CDA, &c.card, c.static)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := icc.VerifyCDA(in); err != nil {
					b.Fatal(err)
				}
			}
		})
		// store is the same chain and signature through one CDAStore, as
		// a kernel that keeps the store in its transaction state runs it.
		b.Run(tc.name+"/store", func(b *testing.B) {
			var st CDAStore
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.CDAKey(&st, &c.card, c.static); err != nil {
					b.Fatal(err)
				}
				if _, err := st.VerifyCDA(in); err != nil {
					b.Fatal(err)
				}
			}
		})
		type op struct{ x, e, n *big.Int }
		ops := []op{
			{new(big.Int).SetBytes(c.card.IssuerCertificate), new(big.Int).SetBytes(c.ca.exponent), c.ca.n},
			{new(big.Int).SetBytes(c.card.ICCCertificate), new(big.Int).SetBytes(c.issuer.exponent), c.issuer.n},
			{new(big.Int).SetBytes(sdad), new(big.Int).SetBytes(c.icc.exponent), c.icc.n},
		}
		z := new(big.Int)
		bare := func() {
			for _, o := range ops {
				z.Exp(o.x, o.e, o.n)
			}
		}
		chain := func() {
			icc, err := v.ICCPublicKey(CDA, &c.card, c.static)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := icc.VerifyCDA(in); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(tc.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bare()
			}
		})
		// ratio runs both in turn and reports the ratio of their fastest
		// rounds, which a machine busy with other work disturbs least.
		b.Run(tc.name+"/ratio", func(b *testing.B) {
			const round = 10
			minChain, minBare := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			for b.Loop() {
				start := time.Now()
				for range round {
					chain()
				}
				minChain = min(minChain, time.Since(start))
				start = time.Now()
				for range round {
					bare()
				}
				minBare = min(minBare, time.Since(start))
			}
			b.ReportMetric(float64(minChain)/float64(minBare), "x-bare")
			b.ReportMetric(float64(minChain.Nanoseconds())/round, "min-chain-ns")
			b.ReportMetric(float64(minBare.Nanoseconds())/round, "min-bare-ns")
		})
	}
}

// BenchmarkXDA measures XDA (Book 2 §12): "verify" is the signature of one
// GENERATE AC (§12.5.3), "chain" the Issuer and ICC ECC keys taken from
// their certificates plus that signature, three EC-SDSA verifications.
// "bare" runs only the scalar multiplications one verification needs, a
// nistec ScalarBaseMult and a ScalarMult of the same curve; "ratio" runs
// verify and bare in turn and reports the ratio of their fastest rounds.
func BenchmarkXDA(b *testing.B) {
	for _, tc := range []struct {
		name            string
		ca, issuer, icc Suite
	}{
		{"P256", SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256},
		{"P521", SuiteP521SHA512, SuiteP521SHA512, SuiteP521SHA512},
	} {
		c := newECCChain(b, tc.ca, tc.issuer, tc.icc)
		v := c.verifier()
		icc, err := v.XDAKey(&c.card, c.iccd)
		if err != nil {
			b.Fatal(err)
		}
		x := newXDACard()
		in := x.input(x.response(c.icc))
		verify := func() {
			if err := icc.VerifyXDA(in); err != nil {
				b.Fatal(err)
			}
		}
		bare := bareScalarMults(b, tc.icc, c.icc.x)
		b.Run(tc.name+"/verify", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				verify()
			}
		})
		b.Run(tc.name+"/chain", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, err := v.XDAKey(&c.card, c.iccd)
				if err != nil {
					b.Fatal(err)
				}
				if err := k.VerifyXDA(in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bare()
			}
		})
		b.Run(tc.name+"/ratio", func(b *testing.B) {
			const round = 10
			minVerify, minBare := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			for b.Loop() {
				start := time.Now()
				for range round {
					verify()
				}
				minVerify = min(minVerify, time.Since(start))
				start = time.Now()
				for range round {
					bare()
				}
				minBare = min(minBare, time.Since(start))
			}
			b.ReportMetric(float64(minVerify)/float64(minBare), "x-bare")
			b.ReportMetric(float64(minVerify.Nanoseconds())/round, "min-verify-ns")
			b.ReportMetric(float64(minBare.Nanoseconds())/round, "min-bare-ns")
		})
	}
}

// bareScalarMults returns a function doing the two scalar multiplications
// of one EC-SDSA verification on the suite's curve: s'G and (n - r')P.
func bareScalarMults(b *testing.B, suite Suite, x []byte) func() {
	n := suite.FieldLen()
	s := bytes.Repeat([]byte{0x5A}, n)
	r := bytes.Repeat([]byte{0x3C}, n)
	s[0], r[0] = 0, 0 // below the group order on both curves
	enc := append([]byte{2}, x...)
	switch suite {
	case SuiteP256SHA256:
		q, err := nistec.NewP256Point().SetBytes(enc)
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			p1, _ := nistec.NewP256Point().ScalarBaseMult(s)
			p2, _ := nistec.NewP256Point().ScalarMult(q, r)
			p1.Add(p1, p2)
		}
	default:
		q, err := nistec.NewP521Point().SetBytes(enc)
		if err != nil {
			b.Fatal(err)
		}
		return func() {
			p1, _ := nistec.NewP521Point().ScalarBaseMult(s)
			p2, _ := nistec.NewP521Point().ScalarMult(q, r)
			p1.Add(p1, p2)
		}
	}
}
