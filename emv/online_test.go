package emv_test

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onlineRun runs a purchase above the floor limit on card with an issuer
// host and returns the result.
func onlineRun(t *testing.T, card *emvtest.Card, h *issuerHost, amount uint64) (*emv.Result, error) {
	t.Helper()
	cfg := testConfig(t, card)
	term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h}
	return emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: amount, SequenceCounter: 7}, term)
}

func scriptsRule(scripts ...emvtest.Script) emvtest.Rule {
	return func(_ *emvtest.AuthorisationRequest, valid bool) emvtest.Decision {
		return emvtest.Decision{Approve: valid, Scripts: scripts}
	}
}

// Online processing with a real ARQC/ARPC (Book 3 §10.9, Book 2 §8),
// issuer scripts (Book 3 §10.10) and completion (Book 3 §10.11).
func TestOnlineWithIssuer(t *testing.T) {
	id1, id2 := mustHex("11223344"), mustHex("55667788")
	putLCOL := emvtest.PutData(0x9F14, []byte{0x03})
	tests := []struct {
		name    string
		base    func() *emvtest.Profile
		rule    emvtest.Rule
		tamper  func(r *emv.OnlineResponse)
		outcome emv.Outcome
		tvr     string
		tsi     string
		cmds    string
		scripts string // 9F5B
	}{
		{
			name: "Book3_10_9_ARPCVerifiedByExternalAuthenticate_OnlineApproved",
			base: visaCDA, outcome: emv.OnlineApproved,
			tvr: "0000008000", tsi: "F800", cmds: cdaHead + " GAC90 EA GAC50",
		},
		{
			name: "Book3_10_9_IssuerDeclines_ValidARPC_OnlineDeclined",
			base: visaCDA, rule: emvtest.DeclineAll, outcome: emv.OnlineDeclined,
			tvr: "0000008000", tsi: "F800", cmds: cdaHead + " GAC90 EA GAC00",
		},
		{
			name: "Book3_10_9_ARPCWrong_IssuerAuthenticationFailed",
			base: visaCDA,
			tamper: func(r *emv.OnlineResponse) {
				r.IssuerAuthData = append([]byte(nil), r.IssuerAuthData...)
				r.IssuerAuthData[0] ^= 0xFF
			},
			// The card sees the failure in the TVR of CDOL2 and its own
			// state; the Visa-like card still accepts the issuer's
			// approval.
			outcome: emv.OnlineApproved,
			tvr:     "0000008040", tsi: "F800", cmds: cdaHead + " GAC90 EA GAC50",
		},
		{
			name: "Book3_10_9_ARPCMethod2_IssuerAuthenticationRequired_OnlineApproved",
			base: emvtest.MastercardDDA, outcome: emv.OnlineApproved,
			tvr: "0000048000", tsi: "F800", cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F36 GD9F13 GAC80 EA GAC40",
		},
		{
			name: "Book3_10_9_IssuerAuthenticationRequired_ARPCWrong_CardDeclines",
			base: emvtest.MastercardDDA,
			tamper: func(r *emv.OnlineResponse) {
				r.IssuerAuthData = append([]byte(nil), r.IssuerAuthData...)
				r.IssuerAuthData[1] ^= 0x01
			},
			outcome: emv.OnlineDeclined,
			tvr:     "0000048040", tsi: "F800", cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F36 GD9F13 GAC80 EA GAC40",
		},
		{
			name: "Book3_10_10_Scripts71And72_Successful",
			base: visaCDA,
			rule: scriptsRule(
				emvtest.Script{Template: 0x71, ID: id1, Commands: []emvtest.ScriptCommand{putLCOL}},
				emvtest.Script{Template: 0x72, ID: id2, Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}},
			),
			outcome: emv.OnlineApproved,
			tvr:     "0000008000", tsi: "FC00", cmds: cdaHead + " GAC90 EA 84DA GAC50 8424",
			scripts: "2011223344" + "2055667788",
		},
		{
			name: "Book3_10_10_Script71Fails_TVRByte5Bit6",
			base: visaCDA,
			rule: scriptsRule(emvtest.Script{Template: 0x71, ID: id1, Commands: []emvtest.ScriptCommand{putLCOL, putLCOL}}),
			tamper: func(r *emv.OnlineResponse) {
				// Break the first command's MAC: the card answers 6988.
				r.Scripts = append([]byte(nil), r.Scripts...)
				v, ok := tlv.Find(r.Scripts, 0x86)
				require.True(t, ok)
				v[len(v)-1] ^= 0xFF
			},
			outcome: emv.OnlineApproved,
			tvr:     "0000008020", tsi: "FC00", cmds: cdaHead + " GAC90 EA 84DA GAC50",
			scripts: "1111223344",
		},
		{
			name: "Book3_10_10_Script72Fails_TVRByte5Bit5",
			base: visaCDA,
			rule: scriptsRule(emvtest.Script{Template: 0x72, ID: id2, Commands: []emvtest.ScriptCommand{putLCOL}}),
			tamper: func(r *emv.OnlineResponse) {
				r.Scripts = append([]byte(nil), r.Scripts...)
				v, ok := tlv.Find(r.Scripts, 0x86)
				require.True(t, ok)
				v[len(v)-1] ^= 0xFF
			},
			outcome: emv.OnlineApproved,
			tvr:     "0000008010", tsi: "FC00", cmds: cdaHead + " GAC90 EA GAC50 84DA",
			scripts: "1155667788",
		},
		{
			name: "Book3_10_10_UnparsableScript_NotPerformed",
			base: visaCDA,
			tamper: func(r *emv.OnlineResponse) {
				r.Scripts = mustHex("7106" + "9F1804" + "AABBCC") // 9F18 too short, no command
			},
			outcome: emv.OnlineApproved,
			tvr:     "0000008020", tsi: "F800", cmds: cdaHead + " GAC90 EA GAC50",
			scripts: "0000000000",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(tc.base())
			iss := emvtest.IssuerFor(card)
			if tc.rule != nil {
				iss.SetRule(tc.rule)
			}
			h := &issuerHost{iss: iss, tamper: tc.tamper}
			cfg := testConfig(t, card)
			term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h}
			res, err := runRecorded(t, card, cfg, emv.Transaction{Amount: 20000, SequenceCounter: 7}, term, "")
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, res.Outcome, "outcome")
			assert.Equal(t, tc.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
			assert.Equal(t, tc.tsi, hexOf(res.TSI[:]), "TSI %s", res.TSI)
			assert.Equal(t, tc.cmds, res.Trace.Compact(), "commands")
			assert.Equal(t, tc.scripts, hexOf(res.ScriptResults), "9F5B")
			require.Len(t, h.reqs, 1)
			// The issuer found a valid ARQC in the field 55 data.
			reqs := iss.Requests()
			require.Len(t, reqs, 1)
			valid, err := iss.VerifyCryptogram(&reqs[0])
			require.NoError(t, err)
			assert.True(t, valid, "ARQC verifies")
		})
	}
}

// Book 3 §10.11: after completion the ICC data holds the final
// cryptogram and the script results for the clearing record.
func TestICCDataForField55(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	iss := emvtest.IssuerFor(card)
	iss.SetRule(scriptsRule(emvtest.Script{Template: 0x72, ID: mustHex("01020304"), Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}}))
	h := &issuerHost{iss: iss}
	res, err := onlineRun(t, card, h, 20000)
	require.NoError(t, err)
	require.Equal(t, emv.OnlineApproved, res.Outcome)

	// The authorisation request's field 55 carries the ARQC.
	req := h.reqs[0].ICCData
	cid, _ := tlv.Find(req, 0x9F27)
	assert.Equal(t, []byte{0x80}, cid)
	var tags []string
	it := tlv.NewIter(req)
	for it.Next() {
		tags = append(tags, it.Tag().String())
	}
	require.NoError(t, it.Err())
	assert.Equal(t, []string{"9F26", "9F27", "9F10", "9F37", "9F36", "95", "9A", "9C", "9F02", "5F2A", "82", "9F1A", "9F03", "9F33", "9F34", "9F35", "9F1E", "84", "9F09", "9F41", "5F34", "9B"}, tags)
	tvrv, _ := tlv.Find(req, 0x95)
	assert.Equal(t, mustHex("0000008000"), tvrv)
	amt, _ := tlv.Find(req, 0x9F02)
	assert.Equal(t, mustHex("000000020000"), amt)

	// The result's field 55 is the clearing one: TC, and 9F5B.
	cid, _ = tlv.Find(res.ICCData, 0x9F27)
	assert.Equal(t, []byte{0x40}, cid)
	sr, ok := tlv.Find(res.ICCData, 0x9F5B)
	require.True(t, ok)
	assert.Equal(t, mustHex("2001020304"), sr)
	ac, _ := tlv.Find(res.ICCData, 0x9F26)
	assert.Equal(t, res.AC, ac)
	assert.Len(t, res.AC, 8)

	// The receipt masks the PAN.
	assert.Equal(t, "476173******0119", res.Receipt.MaskedPAN)
	assert.Equal(t, "A0000000031010", res.Receipt.AID)
	assert.Equal(t, "Visa Credit", res.Receipt.Label)
	assert.Equal(t, "0000008000", res.Receipt.TVR)
	assert.Equal(t, "01", res.Receipt.PANSequence)
	assert.Equal(t, "online approved", res.Receipt.Outcome)
}

// Book 3 §10.9: the online request carries the PAN for the host, the
// enciphered PIN block when online PIN was the CVM, and prints masked.
func TestOnlineRequest(t *testing.T) {
	p := visaCDA()
	p.Applications[0].CVMList = mustHex("0000000000000000" + "4203")
	card := emvtest.NewCard(p)
	h := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00"}}
	cfg := testConfig(t, card)
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 500}, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h})
	require.NoError(t, err)
	assert.Equal(t, emv.OnlineApproved, res.Outcome)
	require.Len(t, h.reqs, 1)
	r := h.reqs[0]
	assert.True(t, r.OnlinePIN)
	assert.Equal(t, mustHex("0412AC89ABCDEF67"), r.OnlinePINBlock.Bytes())
	assert.Equal(t, "4761739001010119", tlv.Digits(r.PAN()))
	assert.NotContains(t, r.String(), "4761739001010119")
	assert.Contains(t, r.String(), "476173******0119")
	assert.NotContains(t, res.Trace.String(), "4761739001010119")
	_ = apdu.SWOK
}

// Book 3 §10.10: the results of the scripts sent before the final
// GENERATE AC reach the card when CDOL2 asks for 9F5B.
func TestScriptResultsInCDOL2(t *testing.T) {
	p := visaCDA()
	p.Applications[0].CDOL2 = mustHex(emvtest.CDOL2Default + "9F5B05")
	card := emvtest.NewCard(p)
	iss := emvtest.IssuerFor(card)
	iss.SetRule(scriptsRule(emvtest.Script{Template: 0x71, ID: mustHex("0A0B0C0D"), Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{4})}}))
	res, err := onlineRun(t, card, &issuerHost{iss: iss}, 20000)
	require.NoError(t, err)
	assert.Equal(t, emv.OnlineApproved, res.Outcome)
	gac2, err := apdu.ParseCommand(res.Trace[len(res.Trace)-1].Command)
	require.NoError(t, err)
	require.Equal(t, apdu.InsGenerateAC, gac2.INS)
	assert.Equal(t, mustHex("200A0B0C0D"), gac2.Data[len(gac2.Data)-5:])
}

// Book 3 §10.10: scripts beyond what the terminal takes are not
// performed; their failure shows in the TVR.
func TestIssuerScriptBounds(t *testing.T) {
	cmd := mustHex("86" + "0E" + "84DA9F1409" + "03" + "0102030405060708") // PUT DATA 9F14 with a wrong MAC
	script := func(tag byte, n int) []byte {
		var v []byte
		for range n {
			v = append(v, cmd...)
		}
		return tlv.AppendTLV(nil, tlv.Tag(tag), v) // 81 xx from 128 bytes on
	}
	tests := []struct {
		name    string
		scripts []byte
		tvr     string
		sent    int    // script commands sent
		results string // 9F5B
	}{
		{"Book3_10_10_BadMAC_BothScriptsFailAtTheirFirstCommand", append(script(0x71, 2), script(0x72, 1)...), "0000008030", 2, "1100000000" + "1100000000"},
		{"Book3_10_10_TooLongForTheTerminal_NotPerformed", bytesRepeat(script(0x71, 8), 10), "0000008020", 0, stringsRepeat("0000000000", 10)},
		{"Book3_10_10_MoreThan16Scripts_RestNotPerformed", bytesRepeat(script(0x72, 1), 17), "0000008010", 16, stringsRepeat("1100000000", 16)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			h := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00", Scripts: tc.scripts}}
			res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 20000}, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h})
			require.NoError(t, err)
			assert.Equal(t, emv.OnlineApproved, res.Outcome)
			assert.Equal(t, tc.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
			sent := 0
			for _, e := range res.Trace {
				if e.Command[0] == 0x84 {
					sent++
				}
			}
			assert.Equal(t, tc.sent, sent)
			assert.Equal(t, tc.results, hexOf(res.ScriptResults))
		})
	}
}

func bytesRepeat(b []byte, n int) []byte {
	var out []byte
	for range n {
		out = append(out, b...)
	}
	return out
}

func stringsRepeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// Card removed during the online part: EXTERNAL AUTHENTICATE, a script
// command before and after the final GENERATE AC, and the final GENERATE
// AC itself; and during INTERNAL AUTHENTICATE of DDA.
func TestCardRemovedOnline(t *testing.T) {
	scripts := scriptsRule(
		emvtest.Script{Template: 0x71, Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{5})}},
		emvtest.Script{Template: 0x72, Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}},
	)
	// cdaHead is 14 commands, then GAC1 15, EA 16, 71 script 17, GAC2 18,
	// 72 script 19.
	for _, tc := range []struct {
		at   int
		step emv.Step
	}{
		{16, emv.StepOnlineProcessing},
		{17, emv.StepIssuerScripts},
		{18, emv.StepCompletion},
		{19, emv.StepIssuerScripts},
	} {
		t.Run(tc.step.String(), func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			iss := emvtest.IssuerFor(card)
			iss.SetRule(scripts)
			card.RemoveAt(tc.at)
			res, err := onlineRun(t, card, &issuerHost{iss: iss}, 20000)
			require.ErrorIs(t, err, apdu.ErrCardRemoved)
			var te *emv.TerminatedError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, tc.step, te.Step)
			assert.Len(t, res.Trace, tc.at)
			assert.Equal(t, tc.at, card.Commands())
		})
	}
	t.Run("InternalAuthenticate", func(t *testing.T) {
		p := visaCDA()
		p.Applications[0].AIP = mustHex("3C00")
		card := emvtest.NewCard(p)
		card.RemoveAt(10) // SEL RR RR SEL GPO RR RR RR RR IA
		res, err := onlineRun(t, card, &issuerHost{iss: emvtest.IssuerFor(card)}, 100)
		require.ErrorIs(t, err, apdu.ErrCardRemoved)
		var te *emv.TerminatedError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, emv.StepOfflineDataAuthentication, te.Step)
		assert.Len(t, res.Trace, 10)
		assert.Equal(t, "0000000000", hexOf(res.TVR[:]), "a card that left is not a DDA failure")
	})
}

// Book 2 §6.6.2: with CDA the cryptograms come out of the signatures,
// which the kernel verifies in its recycled work space. The result keeps
// its own copies: another CDA transaction, which recovers its keys and
// verifies its signatures in the same space, changes nothing in it.
func TestCDACryptogramsOutliveTheWorkSpace(t *testing.T) {
	run := func(amount uint64) (*emv.Result, *issuerHost) {
		card := emvtest.NewCard(visaCDA())
		h := &issuerHost{iss: emvtest.IssuerFor(card)}
		res, err := onlineRun(t, card, h, amount)
		require.NoError(t, err)
		require.Equal(t, emv.OnlineApproved, res.Outcome)
		require.Len(t, h.reqs, 1)
		return res, h
	}
	res, h := run(20000)
	ac := append([]byte(nil), res.AC...)
	icc := append([]byte(nil), res.ICCData...)
	arqc, ok := tlv.Find(h.reqs[0].ICCData, 0x9F26)
	require.True(t, ok)
	require.Len(t, arqc, 8)
	assert.NotEqual(t, arqc, res.AC, "the ARQC of the first GENERATE AC, the TC of the second")

	again, _ := run(30000)
	assert.NotEqual(t, again.AC, ac)
	assert.Equal(t, ac, res.AC)
	assert.Equal(t, icc, res.ICCData)
	tc, _ := tlv.Find(res.ICCData, 0x9F26)
	assert.Equal(t, res.AC, tc)
	assert.Zero(t, res.TVR[0]&0x04, "CDA failed not set")
}

// Book 2 §7.1: a card with an ICC PIN Encipherment Public Key (9F2D) has
// its PIN enciphered under that key, not the ICC key CDA recovered; the
// card deciphers it and accepts the PIN. The key is recovered in the
// recycled work space: a second transaction recovers it again and the
// card accepts that PIN too, and a CDA card without 9F2D after it uses
// its ICC key.
func TestEncipheredPINUnderSeparatePINKey(t *testing.T) {
	for i, p := range []*emvtest.Profile{emvtest.SeparatePINKey(), emvtest.SeparatePINKey(), visaCDA()} {
		card := emvtest.NewCard(p)
		h := &issuerHost{iss: emvtest.IssuerFor(card)}
		res, err := onlineRun(t, card, h, 20000)
		require.NoError(t, err, "transaction %d", i)
		assert.Equal(t, emv.OnlineApproved, res.Outcome, "transaction %d", i)
		// Enciphered PIN verified by ICC (04), successful (02).
		assert.Equal(t, byte(0x04), res.CVMResults[0]&0x3F, "transaction %d", i)
		assert.Equal(t, byte(0x02), res.CVMResults[2], "transaction %d", i)
		var verify int
		for _, x := range res.Trace {
			if len(x.Command) > 3 && x.Command[1] == 0x20 {
				verify++
				assert.Equal(t, byte(0x88), x.Command[3], "VERIFY P2, transaction %d", i)
			}
		}
		assert.Equal(t, 1, verify, "one VERIFY, transaction %d", i)
		assert.Zero(t, res.TVR[0]&0x04, "CDA failed not set, transaction %d", i)
	}
}
