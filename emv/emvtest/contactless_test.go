package emvtest

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PC/SC Part 3 §3.1.3.2.3: an ISO/IEC 14443-4 card's ATR is 3B 8n 80 01,
// the n historical bytes and TCK, and the exclusive-or of T0 to TCK is 0
// (ISO/IEC 7816-3 §8.2.5).
func TestContactlessATR(t *testing.T) {
	cases := []struct {
		name    string
		profile func() *Profile
		want    string
	}{
		{"type A, no historical bytes", VisaQVSDCOffline, "3B80800101"},
		{"type A with ATS historical bytes", VisaQVSDCPhone, "3B868001656D766B69740F"},
		{"type B with ATQB data", ContactlessTypeB, "3B8880010000000071817100" + "88"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCard(tc.profile())
			atr := c.ATR()
			var x byte
			for _, b := range atr[1:] {
				x ^= b
			}
			assert.Zero(t, x, "TCK makes T0..TCK exclusive-or to zero")
			assert.Equal(t, tc.want, sprintf("%X", atr))
			assert.True(t, c.Contactless())
		})
	}
	assert.Equal(t, "3B8F8001"+"000102030405060708090A0B0C0D0E"+"01", sprintf("%X", ContactlessATR(h("000102030405060708090A0B0C0D0E"))))
	assert.False(t, NewCard(VisaCDA()).Contactless())
}

// The vpcd reader is answered the contactless ATR, so a terminal tells a
// tapped card from an inserted one.
func TestVPCDServesContactlessATR(t *testing.T) {
	r, _, cancel := startVPCD(t, NewCard(VisaQVSDCOffline()))
	defer cancel()
	r.send([]byte{vpcdGetATR})
	assert.Equal(t, h("3B80800101"), r.recv())
}

// Book B §3.3: the PPSE lists each application with its Kernel
// Identifier (9F2A) and priority.
func TestPPSEKernelIdentifiers(t *testing.T) {
	c := NewCard(ContactlessMulti())
	r := send(t, c, apdu.Select([]byte("2PAY.SYS.DDF01"), false))
	require.Equal(t, apdu.SWOK, r.SW)
	var got [][3]string
	it := tlv.NewIter(find(t, r.Data, 0xBF0C))
	for it.Next() {
		e := it.Value()
		aid, _ := tlv.Find(e, 0x4F)
		prio, _ := tlv.Find(e, 0x87)
		kid, _ := tlv.Find(e, 0x9F2A)
		got = append(got, [3]string{sprintf("%X", aid), sprintf("%X", prio), sprintf("%X", kid)})
	}
	require.NoError(t, it.Err())
	assert.Equal(t, [][3]string{
		{"A0000000041010", "01", "02"}, {"A0000000031010", "02", "03"}, {"A000000333010101", "03", "07"},
	}, got)
	assert.False(t, c.Collision())
	assert.True(t, NewCard(ContactlessCollision()).Collision())
}

// qvsdcPDOL builds the PDOL data of the qVSDC profiles.
func qvsdcPDOL(ttq, amount string) []byte {
	return h(ttq + amount + "000000000000" + "0840" + "0000000000" + "0840" + "260115" + "00" + "11223344")
}

// The card's qVSDC rules (Book C-3 as the card side of it): the cryptogram
// type from the TTQ and the card's own risk, with 9F27 and IAD byte 5 bits
// 6-5 agreeing, and fDDA with a TC.
func TestQVSDCCardDecides(t *testing.T) {
	cases := []struct {
		name    string
		profile func() *Profile
		ttq     string
		amount  string
		cid     byte
		sdad    bool
		sw      apdu.SW
	}{
		{"offline below 9F5D: TC with fDDA", VisaQVSDCOffline, "26000000", "000000001000", cidTC, true, apdu.SWOK},
		{"above 9F5D: ARQC", VisaQVSDCOffline, "26000000", "000000060000", cidARQC, false, apdu.SWOK},
		{"TTQ online cryptogram required: ARQC", VisaQVSDCOffline, "26800000", "000000001000", cidARQC, false, apdu.SWOK},
		{"ODA for online authorisations: ARQC with fDDA", VisaQVSDCOffline, "27800000", "000000001000", cidARQC, true, apdu.SWOK},
		{"offline-only reader, card wants online: AAC", VisaQVSDCOnline, "2A000000", "000000001000", cidAAC, false, apdu.SWOK},
		{"declining card: AAC", VisaQVSDCDecline, "26000000", "000000001000", cidAAC, false, apdu.SWOK},
		{"online PIN by CTQ above the CVM limit: ARQC", VisaQVSDCOnlinePIN, "26400000", "000000001000", cidARQC, false, apdu.SWOK},
		{"no qVSDC in the TTQ: 6985", VisaQVSDCOffline, "80000000", "000000001000", 0, false, apdu.SWConditionsNotSatisfied},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCard(tc.profile())
			r := startTransaction(t, c, h("A0000000031010"), qvsdcPDOL(tc.ttq, tc.amount))
			require.Equal(t, tc.sw, r.SW)
			if tc.sw != apdu.SWOK {
				return
			}
			assert.Equal(t, []byte{tc.cid}, find(t, r.Data, 0x9F27))
			iad := find(t, r.Data, 0x9F10)
			assert.Equal(t, tc.cid>>2, iad[4]&0x30, "IAD byte 5 bits 6-5 give the cryptogram type")
			_, has := tlv.Find(r.Data, 0x9F4B)
			assert.Equal(t, tc.sdad, has)
		})
	}
}

// A phone answers 6986 while the cardholder has to look at it, then the
// transaction on the next tap; with CDCVM it sets CTQ byte 2 bit 8.
func TestQVSDCSeePhoneThenCDCVM(t *testing.T) {
	p := VisaQVSDCPhone()
	p.Applications[0].QVSDC.SeePhone = 1
	c := NewCard(p)
	r := startTransaction(t, c, h("A0000000031010"), qvsdcPDOL("26404000", "000000001000"))
	assert.Equal(t, apdu.SW(0x6986), r.SW)
	r = startTransaction(t, c, h("A0000000031010"), qvsdcPDOL("26404000", "000000001000"))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("0080"), find(t, r.Data, 0x9F6C))
	assert.Equal(t, h("20700000"), find(t, r.Data, 0x9F6E))
}

// Issuer update processing on a second tap: the card accepts EXTERNAL
// AUTHENTICATE for the ARQC of the transaction that went online.
func TestQVSDCIssuerUpdateSecondTap(t *testing.T) {
	c := NewCard(VisaQVSDCIssuerUpdate())
	r := startTransaction(t, c, h("A0000000031010"), qvsdcPDOL("26000000", "000000001000"))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("0040"), find(t, r.Data, 0x9F6C))
	iss := IssuerFor(c)
	pdol, err := mustDOL(h(PDOLQVSDC)).Split(qvsdcPDOL("26000000", "000000001000"))
	require.NoError(t, err)
	icc := pdol.Append(append([]byte(nil), r.Data[2:]...))
	icc = tlv.AppendTLV(icc, 0x5A, h("4761739001020118"))
	resp, err := iss.Authorise(t.Context(), &AuthorisationRequest{ICCData: icc})
	require.NoError(t, err)
	require.True(t, resp.ARQCValid, "the virtual issuer verifies the qVSDC ARQC")
	ia := resp.IssuerAuthenticationData
	c.Reset()
	require.Equal(t, apdu.SWOK, send(t, c, apdu.Select(h("A0000000031010"), false)).SW)
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.ExternalAuthenticate(ia)).SW)
}

// A UnionPay QuickPass card (Book C-7, qUICS) answers as a qVSDC one with
// the UnionPay IAD layout: 07 DKI CVN 03 CVR 01, the cryptogram type in IAD
// byte 5 bits 6-5 agreeing with 9F27; the credit card adds 9F63; a card that
// ignores the TTQ's online cryptogram request answers a TC.
func TestQuickPassCardDecides(t *testing.T) {
	pdol := func(ttq, amount string) []byte {
		return h(ttq + amount + "000000000000" + "0156" + "0000000000" + "0156" + "261202" + "00" + "11223344")
	}
	cases := []struct {
		name    string
		profile func() *Profile
		aid     string
		ttq     string
		amount  string
		cid     byte
		sdad    bool
		product bool
		ignore  bool
	}{
		{"debit below 9F5D: TC with fDDA", UnionPayQuickPassDebit, AIDUnionPayDebit, "26000080", "000000001000", cidTC, true, false, false},
		{"debit above 9F5D: ARQC", UnionPayQuickPassDebit, AIDUnionPayDebit, "26000080", "000000060000", cidARQC, false, false, false},
		{"credit: TC with 9F63", UnionPayQuickPassCredit, AIDUnionPayCredit, "26000080", "000000001000", cidTC, true, true, false},
		{"quasi-credit: ARQC", UnionPayQuickPassQuasiCredit, AIDUnionPayQuasiCredit, "26000080", "000000001000", cidARQC, false, false, false},
		{"decline: AAC", UnionPayQuickPassDecline, AIDUnionPayDebit, "26000080", "000000001000", cidAAC, false, false, false},
		{"online required, obeyed: ARQC", UnionPayQuickPassDebit, AIDUnionPayDebit, "26800080", "000000001000", cidARQC, false, false, false},
		{"online required, ignored: TC", UnionPayQuickPassDebit, AIDUnionPayDebit, "26800080", "000000001000", cidTC, true, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.profile()
			p.Applications[0].QVSDC.IgnoreOnlineRequired = tc.ignore
			c := NewCard(p)
			r := startTransaction(t, c, h(tc.aid), pdol(tc.ttq, tc.amount))
			require.Equal(t, apdu.SWOK, r.SW)
			assert.Equal(t, []byte{tc.cid}, find(t, r.Data, 0x9F27))
			iad := find(t, r.Data, 0x9F10)
			require.Len(t, iad, 8)
			assert.Equal(t, byte(0x07), iad[0], "UnionPay IAD: length of the EMV part")
			assert.Equal(t, byte(0x01), iad[7], "UnionPay IAD: algorithm identifier")
			assert.Equal(t, tc.cid>>2, iad[4]&0x30, "IAD byte 5 bits 6-5 give the cryptogram type")
			_, has := tlv.Find(r.Data, 0x9F4B)
			assert.Equal(t, tc.sdad, has)
			_, has = tlv.Find(r.Data, 0x9F63)
			assert.Equal(t, tc.product, has)
		})
	}
}
