package kernel2

import (
	"bytes"
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/require"
)

// recordedCDA records one EMV mode offline approval with relay resistance
// and CDA on the virtual card, for replay.
func recordedCDA(b *testing.B) (*apdu.Session, *contactless.Activation) {
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(b, card, tapOpts{amount: 2000})
	out := tp.run(b)
	require.Equal(b, contactless.StatusApproved, out.Parameters.Status)
	return tp.rec.Session("emvtest mastercard-offline", "C-2 EMV mode CDA offline approval"), tp.act
}

// steppingClock answers 3.1 ms later at each call: the kernel reads it
// before and after each command, so every exchange takes 6.2 ms, the
// relay resistance answer time of the recorded card.
func steppingClock() func() time.Time {
	t := testTime
	return func() time.Time { t = t.Add(3100 * time.Microsecond); return t }
}

// BenchmarkKernel2CDA is one EMV mode offline approval (GPO, EXCHANGE
// RELAY RESISTANCE DATA, four records, GENERATE AC with CDA, the key chain
// and the SDAD) on a replayed card, beside the bare RSA of the same
// transaction: big.Int.Exp of the issuer certificate under the CA key, of
// the ICC certificate under the issuer key and of the SDAD under the ICC
// key. The kernel's own share is the difference.
func BenchmarkKernel2CDA(b *testing.B) {
	s, a := recordedCDA(b)
	rnd := bytes.NewReader(nil)
	un := h(testUN)
	a.Rand = rnd
	a.UI = func(contactless.UIRequest) {}
	b.Run("kernel", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			rnd.Reset(un)
			a.Card = apdu.NewReplay(s, apdu.ReplayStrict)
			out, err := New(Config{Clock: steppingClock()}).Activate(ctx, a)
			if err != nil || out.Parameters.Status != contactless.StatusApproved {
				b.Fatalf("%v %v", out, err)
			}
		}
	})
	// ratio interleaves the two in each iteration, so that a shared, noisy
	// machine slows both alike; it reports each one's time and the
	// kernel's time over the bare RSA's.
	b.Run("ratio", func(b *testing.B) {
		ctx := context.Background()
		ops := rsaOps(b, s, a.CAKeys)
		e := big.NewInt(3)
		z := new(big.Int)
		var kt, rt time.Duration
		for b.Loop() {
			t0 := time.Now()
			rnd.Reset(un)
			a.Card = apdu.NewReplay(s, apdu.ReplayStrict)
			if _, err := New(Config{Clock: steppingClock()}).Activate(ctx, a); err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			for _, o := range ops {
				z.Exp(o.sig, e, o.mod)
			}
			t2 := time.Now()
			kt += t1.Sub(t0)
			rt += t2.Sub(t1)
		}
		b.ReportMetric(float64(kt.Nanoseconds())/float64(b.N), "kernel-ns/op")
		b.ReportMetric(float64(rt.Nanoseconds())/float64(b.N), "rsa-ns/op")
		b.ReportMetric(float64(kt)/float64(rt), "kernel/rsa")
	})
	b.Run("rsa", func(b *testing.B) {
		ops := rsaOps(b, s, a.CAKeys)
		e := big.NewInt(3)
		z := new(big.Int)
		b.ReportAllocs()
		for b.Loop() {
			for _, o := range ops {
				z.Exp(o.sig, e, o.mod)
			}
		}
	})
}

// rsaOps finds the three public-key operations of the session: issuer
// certificate (90) under the CA key, ICC certificate (9F46) under the
// issuer key, SDAD (9F4B) under the ICC key.
func rsaOps(b *testing.B, s *apdu.Session, ks *oda.KeyStore) []struct{ sig, mod *big.Int } {
	var all []byte
	var recs []oda.Record
	for _, e := range s.Exchanges {
		data := e.Response[:len(e.Response)-2]
		all = append(all, data...)
		if e.Command[1] == apdu.InsReadRecord && e.Command[3]>>3 != 0 {
			recs = append(recs, oda.Record{SFI: e.Command[3] >> 3, Data: data})
		}
	}
	get := func(t tlv.Tag) []byte {
		v, ok := tlv.Find(all, t)
		require.True(b, ok, "%s", t)
		return v
	}
	ca, ok := ks.Key(h(mcAID), get(0x8F)[0])
	require.True(b, ok)
	v := &oda.Verifier{Keys: ks, Date: testTime}
	card := &oda.CardData{AID: h(mcAID), CAKeyIndex: get(0x8F), PAN: get(0x5A),
		IssuerCertificate: get(0x90), IssuerRemainder: get(0x92), IssuerExponent: get(0x9F32),
		ICCCertificate: get(0x9F46), ICCExponent: get(0x9F47), ICCRemainder: get(0x9F48)}
	issuer, err := v.IssuerPublicKey(oda.CDA, card)
	require.NoError(b, err)
	// The records flagged for ODA: SFI 1 and SFI 2 record 1 (AFL 08010101 10010101).
	static, err := oda.AppendStaticData(nil, oda.CDA, recs[:2], get(0x9F4A), get(0x82))
	require.NoError(b, err)
	icc, err := v.ICCPublicKey(oda.CDA, card, static)
	require.NoError(b, err)
	n := func(x []byte) *big.Int { return new(big.Int).SetBytes(x) }
	return []struct{ sig, mod *big.Int }{
		{n(get(0x90)), n(ca.Modulus)},
		{n(get(0x9F46)), n(issuer.Modulus)},
		{n(get(0x9F4B)), n(icc.Modulus)},
	}
}
