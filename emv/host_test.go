package emv_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lastGenerateACData returns the data of the trace's last GENERATE AC: the
// CDOL2 data of a completed online transaction.
func lastGenerateACData(t *testing.T, tr emv.Trace) []byte {
	t.Helper()
	for i := len(tr) - 1; i >= 0; i-- {
		c, err := apdu.ParseCommand(tr[i].Command)
		require.NoError(t, err)
		if c.INS == apdu.InsGenerateAC {
			return c.Data
		}
	}
	t.Fatal("no GENERATE AC")
	return nil
}

// Book 3 Annex A: the Authorisation Response Code 8A is an 2 and the
// Issuer Authentication Data 91 is b 8-16. A host answer that breaks
// either cannot be used: it is handled as unable to go online (Book 3
// §10.9, Book 4 §6.3.8): default action analysis (Book 3 §10.7), the
// second GENERATE AC with the terminal's own ARC (Z3 here: the default
// codes match "floor limit exceeded"; Y3 when they do not), no EXTERNAL
// AUTHENTICATE, no scripts, whatever the host decided.
func TestBook3_10_9_InvalidHostAnswer_HandledAsUnableToGoOnline(t *testing.T) {
	script := []byte{0x71, 0x0A, 0x9F, 0x18, 0x04, 0x11, 0x22, 0x33, 0x44, 0x86, 0x00, 0x00}
	tests := []struct {
		name     string
		resp     emv.OnlineResponse
		lenient  bool // default codes that let the card approve
		outcome  emv.Outcome
		arc      string
		cmds     string
		tvr, tsi string
	}{
		{name: "ARCOf3Bytes", resp: emv.OnlineResponse{Approved: true, ARC: "000"},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "ARCOf1Byte", resp: emv.OnlineResponse{Approved: true, ARC: "0"},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "ARCAbsent", resp: emv.OnlineResponse{Approved: true},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "ARCNotAlphanumeric", resp: emv.OnlineResponse{Approved: true, ARC: "0\x00"},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "ARCWithSpace", resp: emv.OnlineResponse{Approved: true, ARC: "0 "},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf4000Bytes", resp: emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: make([]byte, 4000), Scripts: script},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf7Bytes", resp: emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: make([]byte, 7), Scripts: script},
			outcome: emv.DeclinedUnableOnline, arc: "Z3", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
		{name: "IssuerAuthDataOf17Bytes_DefaultApproves", resp: emv.OnlineResponse{Approved: false, ARC: "05", IssuerAuthData: make([]byte, 17)},
			lenient: true, outcome: emv.ApprovedUnableOnline, arc: "Y3", cmds: cdaHead + " GAC90 GAC50", tvr: "0000008000", tsi: "E800"},
		// The limits themselves are valid: the answer is used.
		{name: "IssuerAuthDataOf8Bytes_Used", resp: emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: bytes.Repeat([]byte{0x11}, 8)},
			outcome: emv.OnlineApproved, arc: "00", cmds: cdaHead + " GAC90 EA GAC50", tvr: "0000008040", tsi: "F800"},
		{name: "IssuerAuthDataOf16Bytes_Used", resp: emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: bytes.Repeat([]byte{0x11}, 16)},
			outcome: emv.OnlineApproved, arc: "00", cmds: cdaHead + " GAC90 EA GAC50", tvr: "0000008040", tsi: "F800"},
		{name: "LowerCaseARC_Used", resp: emv.OnlineResponse{Approved: false, ARC: "z9"},
			outcome: emv.OnlineDeclined, arc: "z9", cmds: cdaHead + " GAC90 GAC00", tvr: "0000008000", tsi: "E800"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := visaCDA()
			if tt.lenient {
				p.Applications[0].IACDefault = mustHex("0000000000")
			}
			card := emvtest.NewCard(p)
			cfg := testConfig(t, card)
			if tt.lenient {
				cfg.TACDefault = &tvr.TVR{}
			}
			resp := tt.resp
			host := &fakeHost{resp: &resp}
			term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: host}
			res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 20000}, term)
			require.NoError(t, err)
			require.Len(t, host.reqs, 1, "the host was asked")
			assert.Equal(t, tt.outcome, res.Outcome)
			assert.Equal(t, tt.arc, res.ARC)
			assert.Equal(t, tt.cmds, res.Trace.Compact())
			assert.Equal(t, tt.tvr, hexOf(res.TVR[:]))
			assert.Equal(t, tt.tsi, hexOf(res.TSI[:]))
			// CDOL2 (8A 02, 9F02 06, 9F03 06, 9F1A 02, 95 05, ...): the ARC
			// the card is given is the one the terminal used, and the
			// TVR it sees is the result's.
			cdol2 := lastGenerateACData(t, res.Trace)
			assert.Equal(t, tt.arc, string(cdol2[:2]), "ARC in the CDOL2 data")
			assert.Equal(t, tt.tvr, hexOf(cdol2[16:21]), "TVR in the CDOL2 data")
			assert.Equal(t, 0, len(res.ScriptResults), "no script of an unusable answer runs")
		})
	}
}
