package emvtest

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 2 §9.3: each encipherment gives its data back, and refuses data
// that is not in its form.
func TestSMEncipherment(t *testing.T) {
	sk := h("9EE6A89276B008516226F8CE75FD8C02")
	for _, e := range []Encipherment{EncipherLengthPrefixed, EncipherECB, EncipherCBC} {
		for _, d := range [][]byte{h("249999FFFFFFFFFF"), h("0102030405060708090A0B0C0D0E0F10"), h("01020304050607")} {
			if e == EncipherECB && len(d)%8 != 0 {
				_, err := smEncipher(sk, e, d)
				assert.Error(t, err, "ECB takes whole blocks only")
				continue
			}
			x, err := smEncipher(sk, e, d)
			require.NoError(t, err)
			assert.Zero(t, len(x)%8)
			back, err := smDecipher(sk, e, x)
			require.NoError(t, err, "%q % X", e, d)
			assert.Equal(t, d, back, "%q", e)
		}
	}
	// Length-prefixed: 08 || PIN block || 80 00 .. is 16 bytes; LD || D of
	// 8 bytes takes no padding.
	x, err := smEncipher(sk, EncipherLengthPrefixed, h("249999FFFFFFFFFF"))
	require.NoError(t, err)
	p, err := tdesDecrypt(sk, x)
	require.NoError(t, err)
	assert.Equal(t, h("08249999FFFFFFFFFF80000000000000"), p)
	x, err = smEncipher(sk, EncipherLengthPrefixed, h("01020304050607"))
	require.NoError(t, err)
	p, err = tdesDecrypt(sk, x)
	require.NoError(t, err)
	assert.Equal(t, h("0701020304050607"), p)

	bad := map[string][]byte{
		"length byte past the end":       h("0A249999FFFFFFFFFF8000000000000000"),
		"no 80 after the data":           h("08249999FFFFFFFFFF00000000000000"),
		"non-zero after 80":              h("08249999FFFFFFFFFF80000000000001"),
		"a whole block of padding extra": h("02AABB8000000000" + "0000000000000000"),
	}
	for name, plain := range bad {
		if len(plain)%8 != 0 {
			plain = plain[:len(plain)/8*8]
		}
		x, err := tdesEncrypt(sk, plain)
		require.NoError(t, err)
		_, err = smDecipher(sk, EncipherLengthPrefixed, x)
		assert.ErrorIs(t, err, errEnciphered, name)
	}
	x, err = tdesEncrypt(sk, h("249999FFFFFFFFFF"))
	require.NoError(t, err)
	_, err = smDecipher(sk, EncipherCBC, x)
	assert.ErrorIs(t, err, errEnciphered, "CBC without padding")
	_, err = smDecipher(sk, EncipherCBC, h("0102"))
	assert.ErrorIs(t, err, errEnciphered, "not whole blocks")
	_, err = smDecipher(sk, "gcm", x)
	assert.ErrorIs(t, err, errEnciphered)
	_, err = smEncipher(sk, "gcm", x)
	assert.Error(t, err)
}

// scriptTransaction runs an online transaction on the card's first
// application whose issuer answers with the commands in a 72 script, sends
// each to the card and returns the status words. The card may answer the
// first GENERATE AC with an AAC (a blocked application does).
func scriptTransaction(t *testing.T, c *Card, cmds ...ScriptCommand) []apdu.SW {
	t.Helper()
	return runScripts(t, c, issueScripts(t, c, SMFormat2, cmds...))
}

// issueScripts runs the first half of an online transaction (SELECT, GET
// PROCESSING OPTIONS, GENERATE AC for an ARQC) and returns the 72 script
// the card's issuer answers with, its commands in format f.
func issueScripts(t *testing.T, c *Card, f SMFormat, cmds ...ScriptCommand) []byte {
	t.Helper()
	p := c.Profile()
	a := p.Applications[0]
	r := send(t, c, apdu.Select(a.AID, false))
	require.True(t, r.SW == apdu.SWOK || r.SW == apdu.SWWarningSelectedFileInvalidated, "SELECT %s", r.SW)
	r = send(t, c, apdu.GetProcessingOptions(make([]byte, mustDOL(a.PDOL).Len())))
	require.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	iss := IssuerFor(c)
	iss.SetRule(func(*AuthorisationRequest, bool) Decision {
		return Decision{Approve: true, Scripts: []Script{{Template: 0x72, ID: h("0000000A"), Format: f, Commands: cmds}}}
	})
	pan := cnPad(p.PAN, (len(p.PAN)+1)/2)
	resp, err := iss.Authorise(context.Background(), &AuthorisationRequest{ICCData: field55(t, r.Data, a.AIP, pan, mustHex(p.PSN))})
	require.NoError(t, err)
	return resp.Scripts
}

// Book 3 §6.5.10, Book 2 §9.3: PIN CHANGE (P2 02) with each encipherment;
// the new PIN verifies in the next session and the old one does not.
func TestPINChangeEachEncipherment(t *testing.T) {
	for _, e := range []Encipherment{EncipherLengthPrefixed, EncipherECB, EncipherCBC} {
		t.Run(string(e), func(t *testing.T) {
			p := VisaSDA()
			p.Applications[0].ScriptEncipherment = e
			c := NewCard(p)
			aid := p.Applications[0].AID
			assert.Equal(t, []apdu.SW{apdu.SWOK}, scriptTransaction(t, c, PINChange("864209")))
			startTransaction(t, c, aid, make([]byte, mustDOL(p.Applications[0].PDOL).Len()))
			assert.Equal(t, apdu.SW(0x63C2), send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, pinBlock2("1234"))).SW, "old PIN refused")
			assert.Equal(t, apdu.SWOK, send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, pinBlock2("864209"))).SW, "new PIN verifies")
		})
	}
	// A card and issuer that disagree on the encipherment: the MAC is
	// right but the PIN does not decipher; the card refuses it (6A80) and
	// keeps its PIN.
	p := VisaSDA()
	p.Applications[0].ScriptEncipherment = EncipherCBC
	c := NewCard(p)
	p2 := c.Profile()
	p2.Applications[0].ScriptEncipherment = EncipherECB
	c2 := NewCard(p2)
	sws := scriptTransactionWith(t, c, IssuerFor(c2), PINChange("864209"))
	assert.Equal(t, []apdu.SW{apdu.SWIncorrectData}, sws)
	startTransaction(t, c, p.Applications[0].AID, make([]byte, mustDOL(p.Applications[0].PDOL).Len()))
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, pinBlock2("1234"))).SW)
}

// scriptTransactionWith is scriptTransaction with a given issuer.
func scriptTransactionWith(t *testing.T, c *Card, iss *Issuer, cmds ...ScriptCommand) []apdu.SW {
	t.Helper()
	p := c.Profile()
	a := p.Applications[0]
	startTransaction(t, c, a.AID, make([]byte, mustDOL(a.PDOL).Len()))
	r := send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	iss.SetRule(func(*AuthorisationRequest, bool) Decision {
		return Decision{Approve: true, Scripts: []Script{{Template: 0x72, Commands: cmds}}}
	})
	pan := cnPad(p.PAN, (len(p.PAN)+1)/2)
	resp, err := iss.Authorise(context.Background(), &AuthorisationRequest{ICCData: field55(t, r.Data, a.AIP, pan, mustHex(p.PSN))})
	require.NoError(t, err)
	return runScripts(t, c, resp.Scripts)
}

// pinBlock2 is the ISO 9564 format 2 block VERIFY P2 80 carries.
func pinBlock2(pin string) []byte { return formatTwoPINBlock(pin) }

// Book 3 §6.5.13, Book 2 §9.3: PUT DATA replaces an issuer data object,
// which GET DATA then returns; a confidential one only takes an
// enciphered value and is never given out in clear; an object the card
// does not hold is 6A88.
func TestPutDataIssuerObjects(t *testing.T) {
	p := VisaSDA()
	p.Applications[0].IssuerData = []IssuerDataObject{
		{Tag: h("9F58"), Value: h("03")},
		{Tag: h("DF01"), Value: h("00000000"), Confidential: true},
	}
	c := NewCard(p)
	aid := p.Applications[0].AID
	getData := func(tag uint16) apdu.Response {
		startTransaction(t, c, aid, make([]byte, mustDOL(p.Applications[0].PDOL).Len()))
		return send(t, c, apdu.GetData(tag))
	}
	assert.Equal(t, h("9F580103"), getData(0x9F58).Data)
	assert.Equal(t, apdu.SWReferencedDataNotFound, getData(0xDF01).SW, "confidential: not in clear")

	sws := scriptTransaction(t, c,
		PutData(0x9F58, h("07")),
		PutDataConfidential(0xDF01, h("11223344")),
		PutData(0xDF01, h("55667788")), // plaintext for a confidential object
		PutData(0x9F59, h("01")),       // not on the card
	)
	assert.Equal(t, []apdu.SW{apdu.SWOK, apdu.SWOK, apdu.SWIncorrectData, apdu.SWReferencedDataNotFound}, sws)
	assert.Equal(t, h("9F580107"), getData(0x9F58).Data, "PUT DATA changed the object")
	assert.Equal(t, h("11223344"), c.apps[0].issuerData(0xDF01).value, "deciphered value stored")

	// Each encipherment carries a confidential value the card reads back.
	for _, e := range []Encipherment{EncipherECB, EncipherCBC} {
		q := VisaSDA()
		q.Applications[0].ScriptEncipherment = e
		q.Applications[0].IssuerData = []IssuerDataObject{{Tag: h("DF01"), Value: h("00"), Confidential: true}}
		d := NewCard(q)
		assert.Equal(t, []apdu.SW{apdu.SWOK}, scriptTransaction(t, d, PutDataConfidential(0xDF01, h("A1A2A3A4A5A6A7A8"))), string(e))
		assert.Equal(t, h("A1A2A3A4A5A6A7A8"), d.apps[0].issuerData(0xDF01).value, string(e))
	}
}

// Book 3 §6.5.1, §6.5.2: APPLICATION BLOCK makes SELECT answer 6283 and
// GENERATE AC an AAC; APPLICATION UNBLOCK, sent to the blocked application
// in a session the issuer controls, gives it back.
func TestApplicationBlockUnblock(t *testing.T) {
	p := VisaSDA()
	c := NewCard(p)
	aid := p.Applications[0].AID
	assert.Equal(t, []apdu.SW{apdu.SWOK}, scriptTransaction(t, c, ApplicationBlock()))
	r := send(t, c, apdu.Select(aid, false))
	assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, r.SW)
	assert.NotEmpty(t, r.Data, "the FCI comes with 6283")
	send(t, c, apdu.GetProcessingOptions(make([]byte, mustDOL(p.Applications[0].PDOL).Len())))
	r = send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
	assert.Equal(t, []byte{cidAAC}, find(t, r.Data, 0x9F27), "a blocked application declines")

	assert.Equal(t, []apdu.SW{apdu.SWOK}, scriptTransaction(t, c, ApplicationUnblock()))
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.Select(aid, false)).SW)
	assert.False(t, c.ApplicationBlocked(aid))
}

// Book 3 §6.5.14: UPDATE RECORD replaces a record the AFL names, and the
// next READ RECORD returns it; a record that is not TLV is refused.
func TestUpdateRecordEffect(t *testing.T) {
	p := VisaSDA()
	c := NewCard(p)
	aid := p.Applications[0].AID
	afl := find(t, startTransaction(t, c, aid, make([]byte, mustDOL(p.Applications[0].PDOL).Len())).Data, 0x80)[2:]
	sfi, num := afl[0]>>3, afl[1]
	old := send(t, c, apdu.ReadRecord(sfi, num)).Data
	name := tlv.AppendTLV(nil, 0x5F20, []byte("EMVKIT/NEW NAME"))
	track2 := find(t, old, 0x57)
	rec := tlv.AppendTLV(nil, 0x70, append(tlv.AppendTLV(nil, 0x57, track2), name...))
	sws := scriptTransaction(t, c, UpdateRecord(sfi, num, rec), UpdateRecord(sfi, num, h("70")))
	assert.Equal(t, []apdu.SW{apdu.SWOK, apdu.SWIncorrectData}, sws)
	startTransaction(t, c, aid, make([]byte, mustDOL(p.Applications[0].PDOL).Len()))
	assert.Equal(t, rec, send(t, c, apdu.ReadRecord(sfi, num)).Data)
}

// The issuer refuses an encipherment it does not know, and so does a
// profile.
func TestEnciphermentConfig(t *testing.T) {
	_, err := NewIssuer(IssuerConfig{Encipherment: "aes"})
	assert.ErrorContains(t, err, `emvtest: script encipherment "aes"`)
	p := VisaSDA()
	p.Applications[0].ScriptEncipherment = "aes"
	assert.ErrorContains(t, p.Validate(), "script_encipherment")
	p = VisaSDA()
	p.Applications[0].IssuerData = []IssuerDataObject{{Tag: h("70"), Value: h("00")}}
	assert.ErrorContains(t, p.Validate(), "issuer_data[0].tag")
	p.Applications[0].IssuerData = []IssuerDataObject{{Tag: h("9F"), Value: h("00")}}
	assert.ErrorContains(t, p.Validate(), "issuer_data[0].tag")
	p.Applications[0].IssuerData = []IssuerDataObject{{Tag: h("9F58"), Value: h("00")}}
	assert.NoError(t, p.Validate())
}
