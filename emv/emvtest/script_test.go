package emvtest

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runScripts sends every command of the script templates to the card and
// returns the status words.
func runScripts(t *testing.T, c *Card, scripts []byte) []apdu.SW {
	t.Helper()
	var sws []apdu.SW
	l, err := tlv.Parse(scripts)
	require.NoError(t, err)
	for s := range l.All() {
		for cmd := range s.Children().All() {
			if cmd.Tag() != 0x86 {
				continue
			}
			out, err := c.Transmit(t.Context(), cmd.Value())
			require.NoError(t, err)
			r, err := apdu.ParseResponse(out)
			require.NoError(t, err)
			sws = append(sws, r.SW)
		}
	}
	return sws
}

// Book 3 §6.5.1-§6.5.3, §6.5.10, §10.10: the other script commands and
// their refusals.
func TestScriptCommands(t *testing.T) {
	p := VisaSDA()
	p.Applications[0].PINBlocked = true
	c := NewCard(p)
	iss := IssuerFor(c)
	iss.SetRule(func(_ *AuthorisationRequest, valid bool) Decision {
		return Decision{Approve: valid, Scripts: []Script{{Template: 0x72, Commands: []ScriptCommand{
			PINUnblock(),
			ApplicationBlock(),
			ApplicationUnblock(),
			PutData(0x9F4F, []byte{1}),
			UpdateRecord(7, 1, h("700100")),
			{INS: apdu.InsPINChangeUnblock, P2: 0x01, Data: h("00")},
			CardBlock(),
		}}}}
	})
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	sws := runScripts(t, c, resp.Scripts)
	assert.Equal(t, []apdu.SW{apdu.SWOK, apdu.SWOK, apdu.SWOK, apdu.SWReferencedDataNotFound, apdu.SWRecordNotFound, apdu.SWIncorrectP1P2, apdu.SWOK}, sws)
	aid := h("A0000000031010")
	assert.Equal(t, 3, c.PINTries(aid), "PIN unblocked")
	assert.False(t, c.ApplicationBlocked(aid))
	r := send(t, c, apdu.GenerateAC(apdu.RefTC, cdol2Data))
	// CVR byte 3: 4 commands succeeded, script processing failed.
	assert.Equal(t, byte(0x40|cvr3ScriptFailed), find(t, r.Data, 0x9F10)[6])
	assert.Equal(t, apdu.SWFunctionNotSupported, send(t, c, apdu.Select(aid, false)).SW, "card blocked")
}

// Book 2 §8.2.2: a verified Card Status Update carries out its bits.
func TestCSU(t *testing.T) {
	c := NewCard(MastercardDDA())
	iss := IssuerFor(c)
	iss.SetRule(func(_ *AuthorisationRequest, valid bool) Decision {
		// Approve, block the application, set the PIN try counter to 2.
		return Decision{Approve: valid, CSU: []byte{0x02, csuApprove | csuAppBlock | csuUpdatePTC, 0, 0}}
	})
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData)).SW)
	aid := h("A0000000041010")
	assert.True(t, c.ApplicationBlocked(aid))
	assert.Equal(t, 2, c.PINTries(aid))

	// A tampered CSU does not verify and does nothing.
	c = NewCard(MastercardDDA())
	resp, err = onlineTransaction(t, c, IssuerFor(c))
	require.NoError(t, err)
	iad := append([]byte(nil), resp.IssuerAuthenticationData...)
	iad[5] |= csuAppBlock
	assert.Equal(t, apdu.SWVerifyFailedNoInfo, send(t, c, apdu.ExternalAuthenticate(iad)).SW)
	assert.False(t, c.ApplicationBlocked(aid))
}

// Issuer Authentication Data in CDOL2 (tag 91) is checked at the second
// GENERATE AC when EXTERNAL AUTHENTICATE was not sent.
func TestIssuerAuthDataInCDOL2(t *testing.T) {
	p := VisaCDA()
	p.Applications[0].CDOL2 = h("910A8A02" + "9F02069F03069F1A0295055F2A029A039C019F3704")
	p.Applications[0].Risk.IssuerAuthRequired = true
	c := NewCard(p)
	resp, err := onlineTransaction(t, c, IssuerFor(c))
	require.NoError(t, err)
	data := append(append([]byte(nil), resp.IssuerAuthenticationData...), cdol2Data...)
	r := send(t, c, apdu.GenerateAC(apdu.RefTC, data))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, []byte{cidTC}, find(t, r.Data, 0x9F27))
	assert.Equal(t, 0x11, int(c.apps[0].lastOnline), "Last Online ATC updated")
}
