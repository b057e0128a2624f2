package emvtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// field55 builds the ICC data of an authorisation request from the first
// GENERATE AC response and the CDOL1 data (CDOL1Default layout).
func field55(t *testing.T, genac []byte, aip []byte, pan, psn []byte) []byte {
	t.Helper()
	var b []byte
	for _, tag := range []tlv.Tag{0x9F26, 0x9F27, 0x9F10, 0x9F36} {
		b = tlv.AppendTLV(b, tag, find(t, genac, tag))
	}
	b = tlv.AppendTLV(b, 0x82, aip)
	vals := dolValues(mustDOL(h(CDOL1Default)), cdol1Data)
	for _, e := range acTerminalData {
		b = tlv.AppendTLV(b, e.Tag, vals[e.Tag])
	}
	b = tlv.AppendTLV(b, 0x5A, pan)
	return tlv.AppendTLV(b, 0x5F34, psn)
}

// onlineTransaction runs a card to its first GENERATE AC (ARQC) and sends
// the request to the issuer.
func onlineTransaction(t *testing.T, c *Card, iss *Issuer) (*AuthorisationResponse, error) {
	t.Helper()
	p := c.Profile()
	a := p.Applications[0]
	pdol := make([]byte, mustDOL(a.PDOL).Len())
	r := startTransaction(t, c, a.AID, pdol)
	require.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	require.Equal(t, []byte{0x80}, find(t, r.Data, 0x9F27))
	pan := cnPad(p.PAN, (len(p.PAN)+1)/2)
	return iss.Authorise(context.Background(), &AuthorisationRequest{ICCData: field55(t, r.Data, a.AIP, pan, mustHex(p.PSN))})
}

// Book 2 §8.2.1 / Book 3 §10.9: approve with ARPC method 1; the card
// accepts it in EXTERNAL AUTHENTICATE and gives a TC.
func TestIssuerApprovesARPCMethod1(t *testing.T) {
	c := NewCard(VisaCDA())
	iss := IssuerFor(c)
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	assert.True(t, resp.ARQCValid)
	assert.True(t, resp.Approved)
	assert.Equal(t, ARCApproved, resp.ARC)
	require.Len(t, resp.IssuerAuthenticationData, 10)
	assert.Equal(t, []byte("00"), resp.IssuerAuthenticationData[8:])
	assert.Equal(t, resp.IssuerAuthenticationData, find(t, resp.ICCData, 0x91))

	r := send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GenerateAC(apdu.RefTC, cdol2Data))
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, []byte{0x40}, find(t, r.Data, 0x9F27))
	// CVR: second AC TC (01), first ARQC (10) = 0x60; no issuer auth failure.
	assert.Equal(t, byte(0x60), find(t, r.Data, 0x9F10)[4])

	// The issuer verifies the TC too.
	tc := field55(t, r.Data, h("3D00"), h("4761739001010119"), h("01"))
	ok, err := iss.VerifyCryptogram(&AuthorisationRequest{ICCData: tc})
	require.NoError(t, err)
	// The TC was computed over CDOL2's values, which equal CDOL1's here.
	assert.True(t, ok)
	assert.Equal(t, 1, len(iss.Requests()))
}

// A tampered ARQC is reported invalid and declined; the card refuses the
// ARPC for a cryptogram it did not make (6300).
func TestIssuerRejectsBadARQC(t *testing.T) {
	c := NewCard(VisaCDA())
	c.Inject(Fault{Match: OnINS(apdu.InsGenerateAC), Corrupt: ReplaceValue, Tag: 0x9F26, Value: h("0000000000000000")})
	resp, err := onlineTransaction(t, c, IssuerFor(c))
	require.NoError(t, err)
	assert.False(t, resp.ARQCValid)
	assert.False(t, resp.Approved)
	assert.Equal(t, ARCDeclined, resp.ARC)
	r := send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWVerifyFailedNoInfo, r.SW)
	// Second EXTERNAL AUTHENTICATE in one transaction: 6985.
	r = send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWConditionsNotSatisfied, r.SW)
}

// Book 2 §8.2.2: ARPC method 2 with CSU; a card requiring issuer
// authentication declines the second AC without it.
func TestIssuerARPCMethod2(t *testing.T) {
	c := NewCard(MastercardDDA())
	iss := IssuerFor(c)
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	require.True(t, resp.Approved)
	require.Len(t, resp.IssuerAuthenticationData, 8)
	assert.Equal(t, []byte{0x00, 0x80, 0x00, 0x00}, resp.IssuerAuthenticationData[4:])
	r := send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GenerateAC(apdu.RefTC, cdol2Data))
	assert.Equal(t, []byte{0x40}, find(t, r.Data, 0x9F27))

	// Without issuer authentication the card declines (IssuerAuthRequired).
	_, err = onlineTransaction(t, c, iss)
	require.NoError(t, err)
	r = send(t, c, apdu.GenerateAC(apdu.RefTC, cdol2Data))
	assert.Equal(t, []byte{0x00}, find(t, r.Data, 0x9F27))
	assert.Equal(t, byte(0x04), find(t, r.Data, 0x9F10)[5]&0x04, "CVR: issuer authentication not performed")
}

// Issuer scripts: MACed APPLICATION BLOCK, PIN CHANGE, PUT DATA and UPDATE
// RECORD are accepted by the card and take effect (Book 3 §10.10).
func TestIssuerScripts(t *testing.T) {
	c := NewCard(VisaCDA())
	iss := IssuerFor(c)
	newRecord := tlv.AppendTLV(nil, 0x70, tlv.AppendTLV(nil, 0x9F4D, h("0B0A")))
	iss.SetRule(func(_ *AuthorisationRequest, valid bool) Decision {
		return Decision{Approve: valid, Scripts: []Script{
			{Template: 0x71, ID: h("00000001"), Commands: []ScriptCommand{PINChange("4321"), PutData(0x9F14, []byte{9})}},
			{Template: 0x72, Commands: []ScriptCommand{UpdateRecord(1, 1, newRecord), ApplicationBlock()}},
		}}
	})
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	tr, err := tlv.Parse(resp.Scripts)
	require.NoError(t, err)
	l := tr.List()
	require.Len(t, l, 2)
	assert.Equal(t, tlv.Tag(0x71), l[0].Tag)
	assert.Equal(t, h("00000001"), find(t, l[0].Value, 0x9F18))
	send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	for _, s := range l {
		it := tlv.NewIter(s.Value)
		for it.Next() {
			if it.Tag() != 0x86 {
				continue
			}
			out, err := c.Transmit(t.Context(), it.Value())
			require.NoError(t, err)
			assert.Equal(t, []byte{0x90, 0x00}, out, "% X", it.Value())
		}
	}
	// Effects: PIN 4321, LCOL 9, record replaced, application blocked.
	r := send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, h("244321FFFFFFFFFF")))
	assert.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GetData(0x9F14))
	assert.Equal(t, h("9F140109"), r.Data)
	r = send(t, c, apdu.ReadRecord(1, 1))
	assert.Equal(t, newRecord, r.Data)
	assert.True(t, c.ApplicationBlocked(h("A0000000031010")))
	r = send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, r.SW)
	// CVR of the next cryptogram: 4 script commands processed.
	r = send(t, c, apdu.GetProcessingOptions(nil))
	require.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
	assert.Equal(t, []byte{0x00}, find(t, r.Data, 0x9F27), "blocked application: AAC")
	assert.Equal(t, byte(0x40), find(t, r.Data, 0x9F10)[6])
}

// A script command with a wrong MAC is refused (6988) and does nothing.
func TestScriptBadMAC(t *testing.T) {
	c := NewCard(VisaCDA())
	iss := IssuerFor(c)
	iss.SetRule(func(_ *AuthorisationRequest, valid bool) Decision {
		return Decision{Approve: valid, Scripts: []Script{{Template: 0x72, Commands: []ScriptCommand{ApplicationBlock()}}}}
	})
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	cmd := find(t, resp.Scripts, 0x86)
	cmd[len(cmd)-1] ^= 1
	out, err := c.Transmit(t.Context(), cmd)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x69, 0x88}, out)
	assert.False(t, c.ApplicationBlocked(h("A0000000031010")))
}

func TestIssuerUnreachableAndSlow(t *testing.T) {
	iss, err := NewIssuer(IssuerConfig{Unreachable: true})
	require.NoError(t, err)
	_, err = iss.Authorise(context.Background(), &AuthorisationRequest{})
	assert.ErrorIs(t, err, ErrIssuerUnreachable)

	var slept time.Duration
	iss, err = NewIssuer(IssuerConfig{Delay: 3 * time.Second, Sleep: func(ctx context.Context, d time.Duration) error {
		slept += d
		return context.DeadlineExceeded
	}})
	require.NoError(t, err)
	_, err = iss.Authorise(context.Background(), &AuthorisationRequest{})
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
	assert.Equal(t, 3*time.Second, slept)

	_, err = NewIssuerFromMasterKey("0123")
	assert.Error(t, err)
	iss, err = NewIssuerFromMasterKey("0123456789ABCDEFFEDCBA9876543210")
	require.NoError(t, err)
	_, err = iss.Authorise(context.Background(), &AuthorisationRequest{ICCData: h("9F260100")})
	assert.ErrorIs(t, err, ErrAuthorisationRequest)
}

// NewIssuerFromMasterKey with the profiles' AC key approves their ARQCs.
func TestIssuerFromMasterKey(t *testing.T) {
	c := NewCard(VisaCDA())
	iss, err := NewIssuerFromMasterKey("0123456789ABCDEFFEDCBA9876543210")
	require.NoError(t, err)
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	assert.True(t, resp.ARQCValid)
	r := send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWOK, r.SW)
}

func TestIssuerDeclineRules(t *testing.T) {
	c := NewCard(VisaCDA())
	iss := IssuerFor(c)
	iss.SetRule(ApproveUpTo(999)) // amount is 1000
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	assert.True(t, resp.ARQCValid)
	assert.False(t, resp.Approved)
	assert.Equal(t, ARCDeclined, resp.ARC)
	// The ARPC over the declining ARC still authenticates the issuer.
	r := send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWOK, r.SW)
}

func TestIssuerNilRequest(t *testing.T) {
	iss, err := NewIssuer(IssuerConfig{})
	require.NoError(t, err)
	_, err = iss.Authorise(context.Background(), nil)
	assert.ErrorIs(t, err, ErrAuthorisationRequest)
	_, err = iss.VerifyCryptogram(nil)
	assert.ErrorIs(t, err, ErrAuthorisationRequest)
	_, err = NewIssuer(IssuerConfig{ARPCMethod: 3})
	assert.Error(t, err)
	_, err = NewIssuer(IssuerConfig{ProprietaryAuthData: make([]byte, 9)})
	assert.Error(t, err)
}

// ARPC method 2 with Proprietary Authentication Data (Book 2 §8.2.2): the
// card checks the MAC over ARQC || CSU || PAD.
func TestIssuerARPCMethod2ProprietaryData(t *testing.T) {
	c := NewCard(MastercardDDA())
	iss, err := NewIssuer(IssuerConfig{ARPCMethod: 2, ProprietaryAuthData: h("1234567890ABCDEF")})
	require.NoError(t, err)
	resp, err := onlineTransaction(t, c, iss)
	require.NoError(t, err)
	require.Len(t, resp.IssuerAuthenticationData, 16)
	assert.Equal(t, h("1234567890ABCDEF"), resp.IssuerAuthenticationData[8:])
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData)).SW)

	// Method 1 data sent to a method 2 card fails.
	c = NewCard(MastercardDDA())
	resp, err = onlineTransaction(t, c, mustIssuer(t, IssuerConfig{ARPCMethod: 1}))
	require.NoError(t, err)
	assert.Equal(t, apdu.SWVerifyFailedNoInfo, send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData)).SW)
}

func mustIssuer(t *testing.T, cfg IssuerConfig) *Issuer {
	t.Helper()
	i, err := NewIssuer(cfg)
	require.NoError(t, err)
	return i
}
