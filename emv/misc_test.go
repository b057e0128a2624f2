package emv_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"log/slog"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// More scenarios: the TC Hash Value (Book 3 §5.4, TVR byte 5 bit 8), a
// T=0 card, format 1 responses.
func TestMoreScenarios(t *testing.T) {
	withTCHash := func(tdol string) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			p.Applications[0].CDOL1 = mustHex(emvtest.CDOL1Default + "9814")
			p.Applications[0].TDOL = mustHex(tdol)
		}
	}
	runScenarios(t, []scenario{
		{
			name:    "Book3_5_4_TCHashWithDefaultTDOL_DefaultTDOLUsed",
			profile: withTCHash(""),
			config:  func(c *emv.Config) { c.DefaultTDOL = mustHex("9F0206") },
			outcome: emv.Approved, tvr: "0000000080", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				gac, _ := apdu.ParseCommand(r.Trace[len(r.Trace)-1].Command)
				h := sha1.Sum(mustHex("000000001234"))
				assert.Equal(t, h[:], gac.Data[len(gac.Data)-20:], "TC Hash Value over the default TDOL data")
			},
		},
		{
			name:    "Book3_5_4_TCHashWithCardTDOL",
			profile: withTCHash("9F02069A03"),
			config:  func(c *emv.Config) { c.DefaultTDOL = mustHex("9F0206") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				gac, _ := apdu.ParseCommand(r.Trace[len(r.Trace)-1].Command)
				h := sha1.Sum(mustHex("000000001234" + "260102"))
				assert.Equal(t, h[:], gac.Data[len(gac.Data)-20:])
			},
		},
		{
			name: "Book1_9_3_T0Card_GetResponseHandledBelowTheSteps",
			profile: func(p *emvtest.Profile) {
				p.Protocol = "T=0"
				p.T0Procedures = true
			},
			// The trace shows what the steps sent; the T=0 wrapper sent
			// the GET RESPONSEs under them.
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, c *emvtest.Card) {
				assert.Greater(t, c.Commands(), len(r.Trace))
			},
		},
		{
			name: "Book3_6_5_5_GenerateACFormat1",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AIP = mustHex("3C00") // DDA: no CDA, so format 1 is allowed
				p.Applications[0].GenACFormat = 1
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, byte(0x80), r.Trace[len(r.Trace)-1].Response[0], "format 1")
				assert.Equal(t, byte(0x40), r.CID&0xC0)
				assert.Len(t, r.AC, 8)
				assert.NotEmpty(t, r.IAD)
			},
		},
		{
			name:    "Book3_6_5_5_CardAnswersTCToARQCRequest_Terminated",
			txn:     txn(20000),
			profile: func(p *emvtest.Profile) { p.Applications[0].Risk.Decision = emvtest.DecideOffline },
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.ReplaceValue, Tag: 0x9F27, Value: []byte{0x40}})
			},
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepTerminalActionAnalysis,
			tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90",
		},
		{
			name: "Book3_6_5_5_GenerateACMalformed_Terminated",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.BreakTLV})
			},
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepTerminalActionAnalysis,
			tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
	})
}

// The messages of Book 4 §11.2 a terminal shows during a transaction.
func TestDisplayMessages(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	d := &display{}
	_, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 100}, &emv.Terminal{Display: d, PINPad: &pinPad{pins: []string{"1234"}}})
	require.NoError(t, err)
	assert.Equal(t, []emv.Message{emv.MsgPleaseWait, emv.MsgPINOK, emv.MsgApproved, emv.MsgRemoveCard}, d.msgs)
	assert.Equal(t, "REMOVE CARD", emv.MsgRemoveCard.String())

	card = emvtest.NewCard(visaCDA())
	card.RemoveAt(6)
	d = &display{}
	_, err = emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 100}, &emv.Terminal{Display: d})
	require.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.Equal(t, []emv.Message{emv.MsgPleaseWait, emv.MsgProcessingError}, d.msgs, "no REMOVE CARD for a card already gone")
}

// Neither the log nor the trace's text ever holds the PIN or the
// unmasked PAN; the trace keeps no VERIFY data.
func TestSecretsStayOut(t *testing.T) {
	var logs bytes.Buffer
	card := emvtest.NewCard(visaSDA()) // plaintext PIN: the PIN block holds the digits
	cfg := testConfig(t, card)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 100}, &emv.Terminal{PINPad: &pinPad{pins: []string{"9871", "1234"}}})
	require.NoError(t, err)
	require.NotEmpty(t, logs.String())
	text := logs.String() + res.Trace.String() + res.Receipt.MaskedPAN
	for _, secret := range []string{"4761739001010010", "1234", "9871", "241234FF", "249871FF"} {
		assert.NotContains(t, text, secret)
	}
	var verifies int
	for _, e := range res.Trace {
		if e.Command[1] == apdu.InsVerify {
			verifies++
			assert.Equal(t, make([]byte, 8), e.Command[5:13], "VERIFY data zeroed")
		}
	}
	assert.Equal(t, 2, verifies)
}

// Errors say what and where, and start with the package name.
func TestErrorMessages(t *testing.T) {
	sc := scenario{card: func(c *emvtest.Card) {
		c.Inject(emvtest.Fault{Match: emvtest.OnRecord(3, 1), SW: apdu.SWRecordNotFound})
	}}
	_, err, _ := sc.run(t)
	require.Error(t, err)
	assert.Equal(t, "emv: transaction terminated in read application data: emv: card refused a command: apdu: READ RECORD answered 6A83 (record not found)", err.Error())
	assert.Equal(t, "card action analysis", emv.StepCardActionAnalysis.String())
	assert.Equal(t, "approved (unable to go online)", emv.ApprovedUnableOnline.String())
	assert.True(t, emv.OnlineApproved.IsApproved())
	assert.False(t, emv.DeclinedUnableOnline.IsApproved())
}

// A transaction's trace becomes a session file that replays byte for
// byte into the same outcome.
func TestTraceSessionReplays(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	cfg := testConfig(t, card)
	term := func() *emv.Terminal { return &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}} }
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 100}, term())
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, res.Trace.Session("emvtest visa-cda", "Book 3 §10.8 offline approval").Write(&buf))
	assert.Contains(t, buf.String(), `"0020008880XXXX`, "VERIFY data redacted in the file")
	sess, err := apdu.ReadSession(&buf)
	require.NoError(t, err)
	rp := apdu.NewReplay(sess, apdu.ReplayStrict)
	again, err := emv.Run(context.Background(), rp, cfg, emv.Transaction{Amount: 100}, term())
	require.NoError(t, err)
	assert.Equal(t, res.Outcome, again.Outcome)
	assert.Equal(t, res.TVR, again.TVR)
	assert.Equal(t, res.AC, again.AC)
	require.NoError(t, rp.Close())
}
