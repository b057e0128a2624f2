package oda

import (
	"math"
	"math/big"
	"testing"
	"time"

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
