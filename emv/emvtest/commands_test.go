package emvtest

import (
	"bytes"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 1 §11.3 and §12.3: SELECT by name, first and next occurrence,
// partial names, not found, blocked application, blocked card.
func TestSelect(t *testing.T) {
	c := NewCard(MultiApplication())
	rid := h("A000000003")
	r := send(t, c, apdu.Select(rid, false))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("A0000000032010"), find(t, r.Data, 0x84), "first occurrence: first in card order")
	assert.Equal(t, []byte("VISA DEBIT"), find(t, r.Data, 0x50))
	r = send(t, c, apdu.Select(rid, true))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("A0000000031010"), find(t, r.Data, 0x84), "next occurrence")
	r = send(t, c, apdu.Select(rid, true))
	assert.Equal(t, apdu.SWFileNotFound, r.SW, "no more occurrences")
	r = send(t, c, apdu.Select(h("A0000000041010"), false))
	assert.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.Select(h("A0000000041010FF"), false))
	assert.Equal(t, apdu.SWFileNotFound, r.SW, "a longer name does not match")
	r = send(t, c, apdu.Select(h("A0000000999999"), false))
	assert.Equal(t, apdu.SWFileNotFound, r.SW)
	r = send(t, c, apdu.Select([]byte("2PAY.SYS.DDF01"), false))
	assert.Equal(t, apdu.SWFileNotFound, r.SW, "no PPSE on a PSE card")
	r = send(t, c, apdu.Command{CLA: 0, INS: apdu.InsSelect, P1: 0x00, Data: rid, Le: 256})
	assert.Equal(t, apdu.SWIncorrectP1P2, r.SW)

	t.Run("partial selection off", func(t *testing.T) {
		p := VisaCDA()
		p.Applications[0].PartialSelection = boolp(false)
		c := NewCard(p)
		assert.Equal(t, apdu.SWFileNotFound, send(t, c, apdu.Select(rid, false)).SW)
		assert.Equal(t, apdu.SWOK, send(t, c, apdu.Select(h("A0000000031010"), false)).SW)
	})
	t.Run("blocked application", func(t *testing.T) {
		c := NewCard(BlockedApplication())
		r := send(t, c, apdu.Select(h("A0000000031010"), false))
		assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, r.SW)
		assert.Equal(t, h("A0000000031010"), find(t, r.Data, 0x84), "FCI still returned (Book 1 §12.3.2)")
	})
	t.Run("blocked card", func(t *testing.T) {
		p := VisaCDA()
		p.Blocked = true
		c := NewCard(p)
		assert.Equal(t, apdu.SWFunctionNotSupported, send(t, c, apdu.Select([]byte("1PAY.SYS.DDF01"), false)).SW)
	})
	t.Run("PPSE", func(t *testing.T) {
		c := NewCard(PPSE())
		r := send(t, c, apdu.Select([]byte("2PAY.SYS.DDF01"), false))
		require.Equal(t, apdu.SWOK, r.SW)
		l, err := tlv.Parse(find(t, r.Data, 0xBF0C))
		require.NoError(t, err)
		assert.Equal(t, 2, l.Len())
		assert.Equal(t, apdu.SWFileNotFound, send(t, c, apdu.Select([]byte("1PAY.SYS.DDF01"), false)).SW)
	})
	t.Run("hidden application", func(t *testing.T) {
		p := MultiApplication()
		p.Applications[2].InDirectory = boolp(false)
		c := NewCard(p)
		send(t, c, apdu.Select([]byte("1PAY.SYS.DDF01"), false))
		assert.Equal(t, apdu.SWOK, send(t, c, apdu.ReadRecord(1, 2)).SW)
		assert.Equal(t, apdu.SWRecordNotFound, send(t, c, apdu.ReadRecord(1, 3)).SW)
		assert.Equal(t, apdu.SWOK, send(t, c, apdu.Select(h("A0000000041010"), false)).SW)
	})
}

// Book 3 §6.5.11: READ RECORD answers 6A83 for a missing record, 6A82 for
// an unknown file.
func TestReadRecord(t *testing.T) {
	c := NewCard(VisaCDA())
	assert.Equal(t, apdu.SWCommandNotAllowed, send(t, c, apdu.ReadRecord(1, 1)).SW, "nothing selected")
	send(t, c, apdu.Select(h("A0000000031010"), false))
	r := send(t, c, apdu.ReadRecord(1, 1))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("4761739001010119D3012201000000000F"), find(t, r.Data, 0x57))
	assert.Equal(t, apdu.SWRecordNotFound, send(t, c, apdu.ReadRecord(1, 9)).SW)
	assert.Equal(t, apdu.SWFileNotFound, send(t, c, apdu.ReadRecord(9, 1)).SW)
	assert.Equal(t, apdu.SWIncorrectP1P2, send(t, c, apdu.Command{INS: apdu.InsReadRecord, P1: 1, P2: 0x0B, Le: 256}).SW)
	assert.Equal(t, apdu.SWIncorrectP1P2, send(t, c, apdu.ReadRecord(1, 0)).SW)
}

// Book 3 §6.5.8: GPO formats 1 and 2, PDOL data length, 6985, ATC.
func TestGetProcessingOptions(t *testing.T) {
	c := NewCard(MastercardDDA())
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GetProcessingOptions(nil)).SW, "no application selected")
	send(t, c, apdu.Select(h("A0000000041010"), false))
	assert.Equal(t, h("9F35019F1A02"), find(t, send(t, c, apdu.Select(h("A0000000041010"), false)).Data, 0x9F38))
	assert.Equal(t, apdu.SWWrongLength, send(t, c, apdu.GetProcessingOptions(h("22"))).SW, "PDOL data is 3 bytes")
	assert.Equal(t, apdu.SWIncorrectData, send(t, c, apdu.Command{CLA: 0x80, INS: apdu.InsGetProcessingOptions, Data: h("8403220826"), Le: 256}).SW)
	assert.Equal(t, 0x10, c.ATC(h("A0000000041010")), "refused GPOs leave the ATC")
	r := send(t, c, apdu.GetProcessingOptions(h("220826")))
	require.Equal(t, apdu.SWOK, r.SW)
	tag, _, err := tlv.Single(r.Data)
	require.NoError(t, err)
	assert.Equal(t, tlv.Tag(0x77), tag)
	assert.Equal(t, h("3C00"), find(t, r.Data, 0x82))
	assert.Equal(t, h("080101011001010118010200"), find(t, r.Data, 0x94))
	assert.Equal(t, 0x11, c.ATC(h("A0000000041010")))
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GetProcessingOptions(h("220826"))).SW, "one GPO per transaction")
	assert.Equal(t, h("9F36020011"), send(t, c, apdu.GetData(0x9F36)).Data)

	p := VisaCDA()
	p.Applications[0].GPORefused = true
	c = NewCard(p)
	send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GetProcessingOptions(nil)).SW)
}

// Book 3 §6.5.7: GET DATA of the counters.
func TestGetData(t *testing.T) {
	p := VisaCDA()
	p.Applications[0].LogEntry = h("0B0A")
	c := NewCard(p)
	send(t, c, apdu.Select(h("A0000000031010"), false))
	cases := []struct {
		tag  uint16
		want []byte
		sw   apdu.SW
	}{
		{0x9F36, h("9F36020010"), apdu.SWOK},
		{0x9F13, h("9F1302000E"), apdu.SWOK},
		{0x9F17, h("9F170103"), apdu.SWOK},
		{0x9F4F, append(h("9F4F10"), logFormat...), apdu.SWOK},
		{0x9F14, h("9F140105"), apdu.SWOK},
		{0x9F23, h("9F23010A"), apdu.SWOK},
		{0x5A00, nil, apdu.SWReferencedDataNotFound},
	}
	for _, tc := range cases {
		r := send(t, c, apdu.GetData(tc.tag))
		assert.Equal(t, tc.sw, r.SW, "%04X", tc.tag)
		if tc.want == nil {
			assert.Empty(t, r.Data)
		} else {
			assert.Equal(t, tc.want, r.Data, "%04X", tc.tag)
		}
	}
	c = NewCard(MastercardDDA())
	send(t, c, apdu.Select(h("A0000000041010"), false))
	assert.Equal(t, apdu.SWReferencedDataNotFound, send(t, c, apdu.GetData(0x9F17)).SW, "no offline PIN")
	assert.Equal(t, apdu.SWReferencedDataNotFound, send(t, c, apdu.GetData(0x9F4F)).SW, "no log")
}

// Book 3 §6.5.6 and §6.5.9.
func TestGetChallengeAndInternalAuthenticate(t *testing.T) {
	c := NewCard(VisaSDA())
	a := send(t, c, apdu.GetChallenge())
	b := send(t, c, apdu.GetChallenge())
	require.Equal(t, apdu.SWOK, a.SW)
	assert.Len(t, a.Data, 8)
	assert.NotEqual(t, a.Data, b.Data)
	send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.InternalAuthenticate(h("01020304"))).SW, "SDA card has no ICC key")
}

// Book 3 §6.5.12: plaintext PIN, counting down 63Cx to 6983.
func TestVerifyPlaintext(t *testing.T) {
	c := NewCard(VisaSDA())
	send(t, c, apdu.Select(h("A0000000031010"), false))
	pin := func(b string) apdu.SW { return send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, h(b))).SW }
	assert.Equal(t, apdu.SWWrongLength, pin("241234FFFFFF"))
	assert.Equal(t, apdu.SW(0x63C2), pin("241111FFFFFFFFFF"))
	assert.Equal(t, apdu.SWOK, pin("241234FFFFFFFFFF"))
	assert.Equal(t, 3, c.PINTries(h("A0000000031010")), "a right PIN resets the counter")
	assert.Equal(t, apdu.SW(0x63C2), pin("241111FFFFFFFFFF"))
	assert.Equal(t, apdu.SW(0x63C1), pin("1412FFFFFFFFFFFF"), "not a format 2 block counts as wrong")
	assert.Equal(t, apdu.SW(0x63C0), pin("2412345FFFFFFFFF"))
	assert.Equal(t, apdu.SWAuthenticationBlocked, pin("241234FFFFFFFFFF"))
	assert.Equal(t, h("9F170100"), send(t, c, apdu.GetData(0x9F17)).Data)
	assert.Equal(t, apdu.SWIncorrectP1P2, send(t, c, apdu.Verify(0x00, h("241234FFFFFFFFFF"))).SW)

	c = NewCard(SignatureT0())
	c.profile.T0Procedures = false
	send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWReferencedDataNotFound, pin("241234FFFFFFFFFF"), "card without offline PIN")
}

// Book 3 §6.5.5: the card's risk management and the rules of GENERATE AC.
func TestGenerateAC(t *testing.T) {
	aid := h("A0000000031010")
	cid := func(t *testing.T, r apdu.Response) byte {
		t.Helper()
		require.Equal(t, apdu.SWOK, r.SW)
		return find(t, r.Data, 0x9F27)[0]
	}
	t.Run("rules", func(t *testing.T) {
		c := NewCard(VisaCDA())
		send(t, c, apdu.Select(aid, false))
		assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data)).SW, "before GPO")
		send(t, c, apdu.GetProcessingOptions(nil))
		assert.Equal(t, apdu.SWWrongLength, send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data[1:])).SW)
		assert.Equal(t, apdu.SWIncorrectP1P2, send(t, c, apdu.GenerateAC(0xC0, cdol1Data)).SW)
		assert.Equal(t, apdu.SWIncorrectP1P2, send(t, c, apdu.GenerateAC(0x41, cdol1Data)).SW)
		assert.Equal(t, cidTC, cid(t, send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))))
		assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GenerateAC(apdu.RefTC, cdol2Data)).SW, "no second AC after a TC")
	})
	t.Run("decisions", func(t *testing.T) {
		cases := []struct {
			name     string
			decision string
			ref      byte
			want     byte
		}{
			{"AAC asked", DecideRisk, apdu.RefAAC, cidAAC},
			{"ARQC asked", DecideRisk, apdu.RefARQC, cidARQC},
			{"TC asked within limits", DecideRisk, apdu.RefTC, cidTC},
			{"online card", DecideOnline, apdu.RefTC, cidARQC},
			{"offline card asked ARQC", DecideOffline, apdu.RefARQC, cidARQC},
			{"declining card", DecideDecline, apdu.RefARQC, cidAAC},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := VisaCDA()
				p.Applications[0].Risk.Decision = tc.decision
				c := NewCard(p)
				startTransaction(t, c, aid, nil)
				assert.Equal(t, tc.want, cid(t, send(t, c, apdu.GenerateAC(tc.ref, cdol1Data))))
			})
		}
	})
	t.Run("velocity", func(t *testing.T) {
		// LCOL 5: ATC 0010 -> 0011..0013 within (3 since 000E), ...
		c := NewCard(VisaCDA())
		var got []byte
		for range 5 {
			startTransaction(t, c, aid, nil)
			r := send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
			got = append(got, cid(t, r))
		}
		// ATC-LastOnline: 3, 4, 5 (not above LCOL 5), 6, 7 -> online.
		assert.Equal(t, []byte{cidTC, cidTC, cidTC, cidARQC, cidARQC}, got)
	})
	t.Run("PIN failure sends the card online", func(t *testing.T) {
		c := NewCard(VisaSDA())
		startTransaction(t, c, aid, nil)
		send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, h("240000FFFFFFFFFF")))
		r := send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
		assert.Equal(t, cidARQC, cid(t, r))
		assert.Equal(t, byte(0x80|0x20|cvr1PINPerformed|cvr1PINFailed), find(t, r.Data, 0x9F10)[4])
	})
	t.Run("last online not completed", func(t *testing.T) {
		c := NewCard(VisaCDA())
		startTransaction(t, c, aid, nil)
		assert.Equal(t, cidARQC, cid(t, send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))))
		// The terminal could not go online: second AC AAC, and the next
		// transaction goes online by itself.
		assert.Equal(t, cidAAC, cid(t, send(t, c, apdu.GenerateAC(apdu.RefAAC, cdol2Data))))
		startTransaction(t, c, aid, nil)
		r := send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
		assert.Equal(t, cidARQC, cid(t, r))
		assert.Equal(t, byte(cvr2LastOnlineIncomplete), find(t, r.Data, 0x9F10)[5]&cvr2LastOnlineIncomplete)
	})
	t.Run("format 1", func(t *testing.T) {
		p := VisaSDA()
		p.Applications[0].GenACFormat = 1
		c := NewCard(p)
		startTransaction(t, c, aid, nil)
		r := send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
		tag, v, err := tlv.Single(r.Data)
		require.NoError(t, err)
		assert.Equal(t, tlv.Tag(0x80), tag)
		require.Len(t, v, 1+2+8+7)
		assert.Equal(t, cidARQC, v[0])
		assert.Equal(t, h("0011"), v[1:3])
	})
	t.Run("cryptogram independent of the card", func(t *testing.T) {
		// Recompute the TC with crypto from the test, from the documented
		// input layout (genac.go).
		c := NewCard(VisaCDA())
		startTransaction(t, c, aid, nil)
		r := send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
		iad := find(t, r.Data, 0x9F10)
		in := bytes.Join([][]byte{cdol1Data[:29], h("3D00"), h("0011"), iad}, nil)
		mk, _ := deriveICCMasterKey(DefaultIMKAC, "4761739001010119", "01")
		sk, _ := sessionKey(mk, h("0011000000000000"))
		want := independentMAC3(t, sk, pad2(in))
		assert.Equal(t, want, find(t, r.Data, 0x9F26))
	})
}

// Book 1 §9.3 (T=0): 61xx then GET RESPONSE for case 4, 6Cxx for a case 2
// command with the wrong Le.
func TestT0Procedures(t *testing.T) {
	c := NewCard(SignatureT0())
	r := send(t, c, apdu.Select(h("A0000000031010"), false))
	require.Equal(t, byte(0x61), r.SW.SW1())
	n := int(r.SW.SW2())
	r = send(t, c, apdu.Command{INS: apdu.InsGetResponse, Le: n - 1})
	assert.Equal(t, apdu.SW(0x6C00|n), r.SW)
	r = send(t, c, apdu.Command{INS: apdu.InsGetResponse, Le: n})
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("A0000000031010"), find(t, r.Data, 0x84))
	r = send(t, c, apdu.ReadRecord(1, 1))
	require.Equal(t, byte(0x6C), r.SW.SW1())
	r = send(t, c, apdu.Command{INS: apdu.InsReadRecord, P1: 1, P2: 0x0C, Le: int(r.SW.SW2())})
	assert.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.Command{INS: apdu.InsGetResponse, Le: 5}).SW, "nothing pending")
	assert.Equal(t, h("3B021450"), c.ATR())

	// Annex A7: a case 4 command with a warning answers the warning alone;
	// the data waits for GET RESPONSE.
	p := BlockedApplication()
	p.Protocol, p.T0Procedures = "T=0", true
	c = NewCard(p)
	r = send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, r.SW)
	assert.Empty(t, r.Data)
	r = send(t, c, apdu.Command{INS: apdu.InsGetResponse, Le: 256})
	require.Equal(t, byte(0x6C), r.SW.SW1())
	r = send(t, c, apdu.Command{INS: apdu.InsGetResponse, Le: int(r.SW.SW2())})
	assert.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, h("A0000000031010"), find(t, r.Data, 0x84))

	// Through apdu's T=0 wrapper the terminal sees one response.
	c = NewCard(p)
	w := &apdu.T0{Card: c}
	got, err := apdu.Exchange(t.Context(), w, apdu.Select(h("A0000000031010"), false))
	require.NoError(t, err)
	assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, got.SW)
	assert.Equal(t, h("A0000000031010"), find(t, got.Data, 0x84))
	got, err = apdu.Exchange(t.Context(), w, apdu.ReadRecord(1, 1))
	require.NoError(t, err)
	assert.Equal(t, apdu.SWOK, got.SW)
}

func TestClassAndInstruction(t *testing.T) {
	c := NewCard(VisaCDA())
	assert.Equal(t, apdu.SWINSNotSupported, send(t, c, apdu.Command{CLA: 0x00, INS: 0x12}).SW)
	assert.Equal(t, apdu.SWCLANotSupported, send(t, c, apdu.Command{CLA: 0x80, INS: apdu.InsSelect, P1: 4, Data: h("A0000000031010")}).SW)
	assert.Equal(t, apdu.SWCLANotSupported, send(t, c, apdu.Command{CLA: 0x00, INS: apdu.InsGenerateAC}).SW)
	out, err := c.Transmit(t.Context(), h("00A404"))
	require.NoError(t, err)
	assert.Equal(t, h("6700"), out, "malformed APDU")
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.Command{CLA: 0x84, INS: apdu.InsApplicationBlock, Data: make([]byte, 8)}).SW, "script before any cryptogram")
}
