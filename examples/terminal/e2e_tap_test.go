package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/emv/emvtest"
)

// End-to-end taps: a virtual contactless card of emv/emvtest in the vpcd
// reader answers with the ATR PC/SC Part 3 gives an ISO/IEC 14443-4 card,
// and the command, with -interface auto, takes it through the Entry Point
// (Book B) and Kernel 3 (Book C-3) over the real pcscd, with the reader
// configuration of test-bench.json's contactless section (TTQ 3600C000,
// online above 50.00, a CVM from 50.00). Online, the virtual issuer of
// -issuer-mk checks the ARQC of the Data Record.
func TestE2ETapCommandJSON(t *testing.T) {
	env := e2eSetup(t)
	qvsdc := []string{"SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD", "READ RECORD", "READ RECORD"}
	online := []string{"-issuer-mk", fmt.Sprintf("%X", emvtest.DefaultIMKAC)}
	tests := []struct {
		name               string
		profile            *emvtest.Profile
		extra              []string
		outcome, pan       string
		tvr, ttq, ctq, cvm string
		cid, arc           string
		commands           []string
		restart            bool
		ui                 string // the first outcome's UI Request on Outcome
	}{
		// Book C-3 §5.8.1: a TC with fDDA 01 passed.
		{"offline approval", emvtest.VisaQVSDCOffline(), nil, "approved", "476173******0019",
			"0000000000", "3600C000", "0000", "No CVM", "40", "", qvsdc, false, "Approved"},
		// Book C-3 §5.8.3: the ARQC goes to the issuer, which approves.
		{"online approval", emvtest.VisaQVSDCOnline(), online, "online approved", "476173******0027",
			"0000000000", "3600C000", "0000", "No CVM", "80", "00", qvsdc, false, "Authorising Please Wait"},
		// Book C-3 §5.8.2: the card's AAC.
		{"decline", emvtest.VisaQVSDCDecline(), nil, "declined", "476173******0035",
			"0000000000", "3600C000", "0000", "N/A", "00", "", qvsdc, false, "Not Authorised"},
		// Book C-3 §5.9: the ARPC goes back to the card on a second tap
		// (a warm reset through pcscd), in EXTERNAL AUTHENTICATE.
		{"online approval, issuer update on a second tap", emvtest.VisaQVSDCIssuerUpdate(), online, "online approved", "476173******0118",
			"0000000000", "3600C000", "0040", "No CVM", "80", "00",
			append(append([]string{}, qvsdc...), "SELECT", "SELECT", "EXTERNAL AUTHENTICATE"), true, "Authorising Please Wait"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(tc.profile)
			insert(t, env, card)
			args := append([]string{"-reader", env.reader, "-interface", "auto", "-config", benchConfig, "-amount", "10.00", "-pin", "1234", "-json"}, tc.extra...)
			var out, errOut bytes.Buffer
			require.NoError(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), errOut.String())
			t.Logf("terminal %s:\n%s", strings.Join(args, " "), out.String())

			var j tapOut
			require.NoError(t, json.Unmarshal(out.Bytes(), &j))
			assert.Equal(t, tc.outcome, j.Outcome)
			assert.Equal(t, "contactless", j.Interface, "the ATR decided")
			assert.Equal(t, env.reader, j.Reader)
			assert.Equal(t, "T=1", j.Protocol)
			assert.Equal(t, fmt.Sprintf("%X", card.ATR()), j.ATR)
			assert.Equal(t, fmt.Sprintf("%X", emvtest.ContactlessATR(nil)), j.ATR, "3B 80 80 01 01: ISO/IEC 14443-4 type A, no historical bytes")
			assert.Equal(t, "A0000000031010", j.AID)
			assert.Equal(t, tc.pan, j.PAN)
			assert.Equal(t, "10.00", j.Amount)
			assert.Equal(t, tc.tvr, j.TVR)
			assert.Equal(t, tc.ttq, j.TTQ)
			assert.Equal(t, tc.ctq, j.CTQ)
			assert.Equal(t, tc.cvm, j.CVM)
			assert.Equal(t, tc.cid, j.CID)
			assert.Equal(t, tc.arc, j.ARC)
			assert.Regexp(t, `^[0-9A-F]{16}$`, j.AC)
			assert.Equal(t, "0021", j.ATC)
			assert.Equal(t, tc.commands, commands(j.Trace))
			assert.Equal(t, len(card.Exchanges()), j.APDUCount, "T=1: one exchange per command")
			assert.Equal(t, tc.restart, j.Restart != nil)
			if tc.restart {
				assert.Equal(t, "B", j.EntryPoint.Outcome.Start)
				assert.Equal(t, "Approved", j.Restart.Outcome.Status)
				assert.Equal(t, "8A02303095050000000000", j.Restart.Outcome.DataRecord)
			}
			require.NotNil(t, j.EntryPoint.Outcome.UIRequestOnOutcome)
			assert.Equal(t, tc.ui, j.EntryPoint.Outcome.UIRequestOnOutcome.Message)
			assert.NotContains(t, out.String(), strings.ReplaceAll(tc.pan, "******", ""), "PAN masked")
			assert.NotContains(t, out.String(), "4761739001020", "PAN masked")
		})
	}
}

// The text output of a tap through pcscd: the UI requests as they came,
// the outcome and the TVR, as the README's "Tap a card" shows them on the
// built-in virtual card.
func TestE2ETapCommandText(t *testing.T) {
	env := e2eSetup(t)
	card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
	insert(t, env, card)
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-reader", env.reader, "-config", benchConfig, "-amount", "10.00"}, strings.NewReader(""), &out, &errOut), errOut.String())
	s := out.String()
	t.Logf("%s", s)
	for _, line := range []string{
		"card in " + env.reader + ", T=1, ATR 3B80800101\n",
		"[display] Present Card (Ready to Read)\n",
		"[display] Approved, Balance USD 490.00 (Card Read Successfully, hold 1300 ms)\n",
		"\noutcome:      approved\ninterface:    contactless\napplication:  A0000000031010 VISA CREDIT, Kernel 3 (Visa)\ncard:         476173******0019\namount:       USD 10.00\nlanguage:     en\n",
		"\nTVR:          0000000000\nTTQ:          3600C000\nCTQ:          0000\n",
		"\ntrace (6 commands):\n",
	} {
		assert.Contains(t, s, line)
	}
}

// A QuickPass (Kernel 7) tap through pcscd at the Chinese counter: the
// virtual UnionPay card in the vpcd reader, the reader configuration of
// china-counter.json (its CA keys hold the virtual cards' UnionPay key
// E1, so fDDA passes without the card's help), the messages in Chinese,
// the amount and the 9F5D balance in CNY; then a balance inquiry on the
// same card, which reads the balance the tap left with GET DATA.
func TestE2EQuickPassTap(t *testing.T) {
	env := e2eSetup(t)
	card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
	insert(t, env, card)
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-reader", env.reader, "-config", chinaConfig, "-amount", "10.00"}, strings.NewReader(""), &out, &errOut), errOut.String())
	s := out.String()
	t.Logf("%s", s)
	for _, line := range []string{
		"card in " + env.reader + ", T=1, ATR 3B80800101\n",
		"[display] 请挥卡 (Ready to Read)\n[display] 读卡成功 (Card Read Successfully)\n[display] 交易批准, 余额 CNY 490.00 (Card Read Successfully, hold 1300 ms)\n",
		"\noutcome:      approved\ninterface:    contactless\napplication:  A000000333010101 UNIONPAY DEBIT, Kernel 7 (UnionPay)\ncard:         621234******1234\namount:       CNY 10.00\nlanguage:     zh\n",
		"\nbalance 9F5D: CNY 490.00\n",
		"\ntrace (6 commands):\n",
	} {
		assert.Contains(t, s, line)
	}
	assert.NotContains(t, s, "6212345678901234")

	out.Reset()
	require.NoError(t, run(context.Background(), []string{"-reader", env.reader, "-config", chinaConfig, "-type", "inquiry", "-amount", "0", "-json"}, strings.NewReader(""), &out, &errOut), errOut.String())
	var j tapOut
	require.NoError(t, json.Unmarshal(out.Bytes(), &j), out.String())
	assert.Equal(t, "balance read", j.Outcome)
	assert.Equal(t, "contactless", j.Interface)
	require.NotNil(t, j.ECBalance)
	assert.Equal(t, uint64(49000), j.ECBalance.Balance)
	assert.Equal(t, []string{"SELECT", "SELECT", "GET DATA", "GET DATA", "GET DATA", "GET DATA"}, commands(j.Trace))
}
