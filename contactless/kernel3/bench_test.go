package kernel3

import (
	"bytes"
	"context"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/kerneltest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/require"
)

// BenchmarkOfflineApprovalFDDA is one qVSDC offline approval with fDDA
// (GPO, three records, the key chain and the SDAD) on a replayed card,
// beside the bare RSA of the same transaction: big.Int.Exp of the issuer
// certificate under the CA key, of the ICC certificate under the issuer key
// and of the SDAD under the ICC key. The kernel's own share is the
// difference.
func BenchmarkOfflineApprovalFDDA(b *testing.B) {
	s, hd := readSession(b, filepath.Join(sessionDir, "C3_5_2_1_PDOLDataWithTTQAndUN_OfflineApprovalWithFDDA.json"))
	b.Run("kernel", func(b *testing.B) {
		a, _ := sessionActivation(b, hd, nil)
		rnd := bytes.NewReader(nil)
		un := h(hd.UN)
		a.Rand = rnd
		a.UI = func(contactless.UIRequest) {}
		k := New(Config{})
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			rnd.Reset(un)
			a.Card = apdu.NewReplay(s, apdu.ReplayStrict)
			out, err := k.Activate(ctx, a)
			if err != nil || out.Parameters.Status != contactless.StatusApproved {
				b.Fatalf("%v %v", out, err)
			}
		}
	})
	// ratio interleaves the two in each iteration, so that a shared,
	// noisy machine slows both alike; it reports each one's time and the
	// kernel's time over the bare RSA's.
	b.Run("ratio", func(b *testing.B) {
		a, _ := sessionActivation(b, hd, nil)
		rnd := bytes.NewReader(nil)
		un := h(hd.UN)
		a.Rand = rnd
		a.UI = func(contactless.UIRequest) {}
		k := New(Config{})
		ctx := context.Background()
		ops := rsaOps(b, s)
		e := big.NewInt(3)
		z := new(big.Int)
		var kt, rt time.Duration
		for b.Loop() {
			t0 := time.Now()
			rnd.Reset(un)
			a.Card = apdu.NewReplay(s, apdu.ReplayStrict)
			if _, err := k.Activate(ctx, a); err != nil {
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
		ops := rsaOps(b, s)
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
func rsaOps(b *testing.B, s *apdu.Session) []struct{ sig, mod *big.Int } {
	var all []byte
	for _, e := range s.Exchanges {
		all = append(all, e.Response[:len(e.Response)-2]...)
	}
	get := func(t tlv.Tag) []byte {
		v, ok := tlv.Find(all, t)
		require.True(b, ok, "%s", t)
		return v
	}
	ks := kerneltest.BuiltinCAKeys(b)
	ca, ok := ks.Key(h(visaAID), get(0x8F)[0])
	require.True(b, ok)
	v := &oda.Verifier{Keys: ks, Date: testTime}
	card := &oda.CardData{AID: h(visaAID), CAKeyIndex: get(0x8F), PAN: get(0x5A),
		IssuerCertificate: get(0x90), IssuerRemainder: get(0x92), IssuerExponent: get(0x9F32),
		ICCCertificate: get(0x9F46), ICCExponent: get(0x9F47), ICCRemainder: get(0x9F48)}
	issuer, err := v.IssuerPublicKey(oda.FDDA, card)
	require.NoError(b, err)
	// The ICC certificate's hash covers the static data; recovery is all
	// that is measured here, so the modulus is taken from a verified run.
	rec := s.Exchanges[1].Response
	static, err := oda.AppendStaticData(nil, oda.FDDA, []oda.Record{{SFI: 2, Data: rec[:len(rec)-2]}}, nil, get(0x82))
	require.NoError(b, err)
	icc, err := v.ICCPublicKey(oda.FDDA, card, static)
	require.NoError(b, err)
	n := func(x []byte) *big.Int { return new(big.Int).SetBytes(x) }
	return []struct{ sig, mod *big.Int }{
		{n(get(0x90)), n(ca.Modulus)},
		{n(get(0x9F46)), n(issuer.Modulus)},
		{n(get(0x9F4B)), n(icc.Modulus)},
	}
}
