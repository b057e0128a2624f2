package emv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 3 §10.10: the two ways a script fails that no failing command
// shows, each the only reason for "Script processing failed after final
// GENERATE AC" (TVR byte 5 bit 5, and bit 6 for a 71 that may be in an
// unreadable rest): every command the terminal sends succeeds. The terminal performs at most 16 scripts, so a 17th correct
// one is not performed; a script field whose rest cannot be read leaves
// that rest not performed.
func TestScriptFailedBitWithoutFailingCommand(t *testing.T) {
	ok := emvtest.PutData(0x9F14, []byte{0x05})
	tests := []struct {
		name    string
		scripts []emvtest.Script
		tamper  func(r *emv.OnlineResponse)
		sent    int
		tvr     string
		results string
	}{
		{
			name:    "Book3_10_10_SeventeenCorrectScripts_SeventeenthNotPerformed",
			scripts: repeatScript(emvtest.Script{Template: 0x72, ID: mustHex("0000000B"), Commands: []emvtest.ScriptCommand{ok}}, 17),
			sent:    16, tvr: "0000008010", results: strings.Repeat("200000000B", 16),
		},
		{
			name:    "Book3_10_10_CorrectScriptThenUnreadableRest_RestNotPerformed",
			scripts: []emvtest.Script{{Template: 0x72, ID: mustHex("0000000B"), Commands: []emvtest.ScriptCommand{ok}}},
			tamper:  func(r *emv.OnlineResponse) { r.Scripts = append(r.Scripts, mustHex("7208 9F1804")...) },
			// The rest might have held a 71 as well: both passes over the
			// scripts meet it, and both bits go on.
			sent: 1, tvr: "0000008030", results: "200000000B",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			iss := emvtest.IssuerFor(card)
			iss.SetRule(scriptsRule(tc.scripts...))
			h := &issuerHost{iss: iss, tamper: tc.tamper}
			res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 20000},
				&emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h})
			require.NoError(t, err)
			assert.Equal(t, emv.OnlineApproved, res.Outcome)
			assert.Equal(t, tc.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
			assert.Equal(t, "FC00", hexOf(res.TSI[:]), "TSI %s", res.TSI)
			assert.Equal(t, tc.results, hexOf(res.ScriptResults), "Issuer Script Results")
			sent := 0
			for _, e := range res.Trace {
				if e.Command[0] == 0x84 {
					sent++
				}
			}
			assert.Equal(t, tc.sent, sent, "script commands sent")
		})
	}
}

func repeatScript(s emvtest.Script, n int) []emvtest.Script {
	out := make([]emvtest.Script, n)
	for i := range out {
		out[i] = s
	}
	return out
}
