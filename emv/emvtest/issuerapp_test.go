package emvtest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
)

// onlineApplication runs the card's application n to its first GENERATE
// AC (ARQC) and sends the request, naming the application by its DF Name
// (84) as a terminal's field 55 does, to the issuer; edit may add a PIN
// block.
func onlineApplication(t *testing.T, c *Card, iss *Issuer, n int, edit func(*AuthorisationRequest)) *AuthorisationResponse {
	t.Helper()
	p := c.Profile()
	a := p.Applications[n]
	r := startTransaction(t, c, a.AID, make([]byte, mustDOL(a.PDOL).Len()))
	require.Equal(t, apdu.SWOK, r.SW)
	r = send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
	require.Equal(t, apdu.SWOK, r.SW)
	require.Equal(t, []byte{0x80}, find(t, r.Data, 0x9F27))
	icc := field55(t, r.Data, a.AIP, cnPad(p.PAN, (len(p.PAN)+1)/2), mustHex(p.PSN))
	req := &AuthorisationRequest{ICCData: tlv.AppendTLV(icc, 0x84, a.AID)}
	if edit != nil {
		edit(req)
	}
	resp, err := iss.Authorise(context.Background(), req)
	require.NoError(t, err)
	return resp
}

// Book 2 §8.2: the ARPC is made by the method of the application the
// terminal selected. On the blocked-application card the selected one is
// the second (Mastercard, method 2); an issuer answering method 1, the
// first application's, gets 6300 from EXTERNAL AUTHENTICATE.
func TestIssuerForUsesTheSelectedApplicationsARPCMethod(t *testing.T) {
	c := NewCard(BlockedApplication())
	require.Equal(t, 2, c.Profile().Applications[1].ARPCMethod)
	resp := onlineApplication(t, c, IssuerFor(c), 1, nil)
	require.True(t, resp.Approved)
	// Method 2: ARPC (4) || CSU (4), CSU 00 80 00 00 for an approval.
	require.Len(t, resp.IssuerAuthenticationData, 8)
	assert.Equal(t, []byte{0x00, 0x80, 0x00, 0x00}, resp.IssuerAuthenticationData[4:])
	r := send(t, c, apdu.ExternalAuthenticate(resp.IssuerAuthenticationData))
	assert.Equal(t, apdu.SWOK, r.SW)
}

// Book 3 §10.5.2: an online PIN is verified by the issuer. The virtual
// issuer deciphers the PIN block (ISO 9564-1 format 4 under the AES key,
// format 0 under the TDES key it shares with the PIN pad) and declines a
// wrong PIN with ISO 8583 response code 55; the right PIN is approved.
func TestIssuerVerifiesOnlinePIN(t *testing.T) {
	const pan = "4761739001010119"
	block := func(t *testing.T, f cvm.PINBlockFormat, digits string) []byte {
		pin, err := cvm.NewPIN([]byte(digits))
		require.NoError(t, err)
		defer pin.Zero()
		if f == cvm.Format4 {
			b, err := cvm.EncipherPINBlock4(DefaultPINKey, pin, pan, zeroReader{})
			require.NoError(t, err)
			return b
		}
		clearBlock, err := cvm.PINBlock0(pin, pan)
		require.NoError(t, err)
		b, err := tdesEncrypt(DefaultPINKey, clearBlock)
		require.NoError(t, err)
		return b
	}
	for _, tc := range []struct {
		name   string
		format cvm.PINBlockFormat
		block  func(t *testing.T) []byte
		arc    [2]byte
	}{
		{"format 4 right", cvm.Format4, func(t *testing.T) []byte { return block(t, cvm.Format4, "1234") }, ARCApproved},
		{"format 4 wrong", cvm.Format4, func(t *testing.T) []byte { return block(t, cvm.Format4, "9999") }, ARCIncorrectPIN},
		{"format 0 right", cvm.Format0, func(t *testing.T) []byte { return block(t, cvm.Format0, "1234") }, ARCApproved},
		{"format 0 wrong", cvm.Format0, func(t *testing.T) []byte { return block(t, cvm.Format0, "12345") }, ARCIncorrectPIN},
		{"format 0 block sent as format 4", cvm.Format4, func(t *testing.T) []byte { return block(t, cvm.Format0, "1234") }, ARCIncorrectPIN},
		{"format 1 is not accepted", cvm.Format1, func(t *testing.T) []byte { return block(t, cvm.Format0, "1234") }, ARCIncorrectPIN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCard(VisaCDA())
			require.Equal(t, PIN("1234"), c.Profile().Applications[0].PIN)
			iss := IssuerFor(c)
			resp := onlineApplication(t, c, iss, 0, func(r *AuthorisationRequest) {
				r.PINBlock, r.PINFormat = tc.block(t), tc.format
			})
			assert.Equal(t, tc.arc, resp.ARC)
			assert.Equal(t, tc.arc == ARCApproved, resp.Approved)
			assert.True(t, resp.ARQCValid)
			assert.Equal(t, tc.arc[:], find(t, resp.ICCData, 0x8A))
			assert.Nil(t, iss.Requests()[0].PINBlock, "the issuer keeps no PIN block")
		})
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }
