package emv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runUnrecorded runs each scenario on the virtual card and asserts it, as
// runScenarios does, without a session file: these scenarios pin rules
// whose exact bytes the table states.
func runUnrecorded(t *testing.T, table []scenario) {
	t.Helper()
	for _, sc := range table {
		t.Run(sc.name, func(t *testing.T) {
			res, err, card := sc.run(t)
			sc.assert(t, res, err, card)
		})
	}
}

// atTerminal sets the Terminal Type and the cash capability (9F40 byte 1
// bit 8) of the test terminal.
func atTerminal(typ byte, cash bool) func(c *emv.Config) {
	return func(c *emv.Config) {
		c.TerminalType = typ
		c.AdditionalCapabilities = [5]byte{0x00, 0x00, 0xF0, 0xA0, 0x01}
		if cash {
			c.AdditionalCapabilities[0] = 0x80
		}
	}
}

// Book 3 §10.4.2 with Book 4 Annex A1: only Terminal Types 14, 15 and 16
// with the cash capability are ATMs. A bank teller's terminal (11 to 13)
// is "other than an ATM" even though it pays out cash.
func TestBook3_10_4_2_AUC_TellerTerminalIsNotATM(t *testing.T) {
	cash := &emv.Transaction{Type: emv.Cash, Amount: 1234}
	notAtATMs := func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FD00") } // everything but ATMs
	onlyAtATMs := func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FE00") }
	runUnrecorded(t, []scenario{
		{
			name: "Type12WithCash_CardNotValidAtATMs_Allowed",
			txn:  cash, config: atTerminal(0x12, true), profile: notAtATMs,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Type12WithCash_ATMOnlyCard_ServiceNotAllowed",
			txn:  cash, config: atTerminal(0x12, true), profile: onlyAtATMs,
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Type13WithCash_CardNotValidAtATMs_Allowed",
			txn:  cash, config: atTerminal(0x13, true), profile: notAtATMs,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Type15WithCash_CardNotValidAtATMs_ServiceNotAllowed",
			txn:  cash, config: atTerminal(0x15, true), profile: notAtATMs,
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Type16WithCash_ATMOnlyCard_Allowed",
			txn:  cash, config: atTerminal(0x16, true), profile: onlyAtATMs,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Type14WithoutCash_IsNotATM_ATMOnlyCard_ServiceNotAllowed",
			txn:  cash, config: atTerminal(0x14, false), profile: onlyAtATMs,
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
	})
}

// lastCommand is the last command the trace holds, in hex.
func lastCommand(tr emv.Trace) string {
	if len(tr) == 0 {
		return ""
	}
	return hexOf(tr[len(tr)-1].Command)
}

// Book 2 §6.6.2 with Book 4 Annex A6: CDA fails on the ARQC of the first
// GENERATE AC; the terminal declines offline without going online, so the
// second GENERATE AC asks for an AAC with the terminal's own ARC Z1
// ("offline declined") in the CDOL2 data, as it does for a TC whose CDA
// failed, and the result carries Z1.
func TestBook2_6_6_CDAFailedOnARQC_SecondGenerateACCarriesZ1(t *testing.T) {
	host := approve()
	sc := scenario{
		txn:     txn(20000),
		host:    host,
		profile: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
		outcome: emv.Declined, tvr: "0400008000", tsi: "E800", cvm: "440302",
		cmds: cdaHead + " GAC90 GAC00",
	}
	res, err, card := sc.run(t)
	sc.assert(t, res, err, card)
	assert.Empty(t, host.reqs, "no authorisation request")
	assert.Equal(t, "Z1", res.ARC)
	// CDOL2: 8A ARC "Z1" (5A31), 9F02 200.00, 9F03 0, 9F1A 0840, 95 the
	// TVR, 5F2A 0840, 9A 260102, 9C 00, 9F37 11111111; P1 00 asks for an
	// AAC without CDA.
	assert.Equal(t, "80AE00001F"+"5A31"+"000000020000"+"000000000000"+"0840"+"0400008000"+"0840"+"260102"+"00"+"11111111"+"00",
		lastCommand(res.Trace), "second GENERATE AC")
}

// issuerScript encodes one issuer script template: tag 71 or 72, the
// Issuer Script Identifier 9F18 and n commands, each PUT DATA 9F14 with a
// wrong MAC; lengths over 127 take the long form (81 xx), as the kernel
// must read them.
func issuerScript(template tlv.Tag, id string, n int) []byte {
	v := tlv.AppendTLV(nil, 0x9F18, mustHex(id))
	for range n {
		v = tlv.AppendTLV(v, 0x86, mustHex("84DA9F1409"+"03"+"0102030405060708"))
	}
	return tlv.AppendTLV(nil, template, v)
}

// Book 3 §10.10: scripts longer than the terminal takes (1024 bytes in
// all) are not performed. Each gets its Issuer Script Result "not
// performed" with its identifier, and the TVR bit of its own template:
// "after final GENERATE AC" for 72, "before" for 71.
func TestBook3_10_10_ScriptsTooLong_FailureBitOfTheirTemplate(t *testing.T) {
	var five72 []byte
	for i := range 5 {
		five72 = append(five72, issuerScript(0x72, "0000000"+itoa(i+1), 13)...)
	}
	tests := []struct {
		name    string
		scripts []byte
		tvr     string
		results string // 9F5B
	}{
		{
			// Five scripts of 7+3+13*16 = 218 bytes: 1090 in all.
			name: "Template72TooLong_ScriptFailedAfter", scripts: five72, tvr: "0000008010",
			results: "0000000001" + "0000000002" + "0000000003" + "0000000004" + "0000000005",
		},
		{
			// One short 71 script goes over the limit with the 72 ones:
			// nothing is performed and each template sets its own bit.
			name: "Templates71And72TooLong_BothBits", scripts: append(issuerScript(0x71, "0A0B0C0D", 1), five72...), tvr: "0000008030",
			results: "000A0B0C0D" + "0000000001" + "0000000002" + "0000000003" + "0000000004" + "0000000005",
		},
		{
			// 4 of them, 872 bytes, fit: performed, each failing at its
			// first command.
			name: "Template72WithinTheLimit_Performed", scripts: five72[:4*218], tvr: "0000008010",
			results: "1100000001" + "1100000002" + "1100000003" + "1100000004",
		},
	}
	require.Len(t, five72, 1090)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			h := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00", Scripts: tc.scripts}}
			res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 20000}, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h})
			require.NoError(t, err)
			assert.Equal(t, emv.OnlineApproved, res.Outcome)
			assert.Equal(t, tc.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
			assert.Equal(t, tc.results, hexOf(res.ScriptResults), "Issuer Script Results")
			performed := tc.results[0] == '1' // a result 1x: sent, failed at command x
			cmds := cdaHead + " GAC90 GAC50"
			if performed {
				cmds += strings.Repeat(" 84DA", len(tc.results)/10)
			}
			assert.Equal(t, cmds, res.Trace.Compact(), "commands")
		})
	}
}

// firstCommand is the first command of the trace with instruction ins,
// in hex.
func firstCommand(tr emv.Trace, ins byte) string {
	for _, e := range tr {
		if len(e.Command) > 1 && e.Command[1] == ins {
			return hexOf(e.Command)
		}
	}
	return ""
}

// Book 1 §12.4 and Book 3 Annex A: the Application Identifier (AID) -
// terminal 9F06 is the terminal's AID that matched the card's, a shorter
// one where the terminal allows partial selection; a PDOL or CDOL that asks
// for it gets it.
func TestBook1_12_4_AIDTerminal9F06_InPDOLAndCDOL(t *testing.T) {
	t.Run("ExactMatch_PDOL", func(t *testing.T) {
		sc := scenario{
			profile: func(p *emvtest.Profile) { p.Applications[0].PDOL = mustHex("9F0607") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		}
		res, err, card := sc.run(t)
		sc.assert(t, res, err, card)
		assert.Equal(t, "80A8000009"+"8307"+"A0000000031010"+"00", firstCommand(res.Trace, 0xA8), "GET PROCESSING OPTIONS")
	})
	t.Run("PartialSelection_PDOLAndCDOL1", func(t *testing.T) {
		sc := scenario{
			profile: func(p *emvtest.Profile) {
				p.Applications[0].PDOL = mustHex("9F0605")
				p.Applications[0].CDOL1 = mustHex(emvtest.CDOL1Default + "9F0605")
			},
			config: func(c *emv.Config) {
				c.Applications = []emv.Application{{AID: mustHex("A000000003"), PartialSelection: true}}
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		}
		res, err, card := sc.run(t)
		sc.assert(t, res, err, card)
		assert.Equal(t, "A0000000031010", hexOf(res.AID), "the card's AID is selected")
		assert.Equal(t, "80A8000007"+"8305"+"A000000003"+"00", firstCommand(res.Trace, 0xA8), "GET PROCESSING OPTIONS")
		gac := firstCommand(res.Trace, 0xAE)
		require.NotEmpty(t, gac)
		assert.Equal(t, "A00000000300", gac[len(gac)-12:], "CDOL1 ends with 9F06, then Le")
	})
}

// Book 3 §10.6.3: the upper consecutive offline limit is compared only
// once the lower one is exceeded. A card whose UCOL (5) is below its LCOL
// (10) with 7 offline transactions since the last online one exceeds
// neither (the virtual card counts its ATC up at GET PROCESSING OPTIONS:
// 10 becomes 11, 11 - 0A = 7).
func TestBook3_10_6_3_Velocity_UpperCheckedOnlyAfterLower(t *testing.T) {
	limits := func(lcol, ucol, atc, lastOnline int) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			a := &p.Applications[0]
			a.LCOL, a.UCOL = &lcol, &ucol
			a.ATC, a.LastOnlineATC = atc, lastOnline
		}
	}
	runUnrecorded(t, []scenario{
		{
			name:    "UCOLBelowLCOL_DifferenceBetween_NeitherExceeded",
			profile: limits(10, 5, 0x10, 0x0A),
			// The terminal asks for a TC; the card's own risk management
			// (its upper limit) answers an ARQC, and with no host the
			// default codes, matching nothing, approve.
			outcome: emv.ApprovedUnableOnline, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50 GAC50",
		},
		{
			name:    "UCOLBelowLCOL_DifferenceAboveBoth_BothExceeded",
			profile: limits(10, 5, 0x20, 0x0A),
			outcome: emv.DeclinedUnableOnline, tvr: "0000006000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
		},
		{
			name:    "LowerExceeded_UpperNot",
			profile: limits(3, 10, 0x10, 0x0A),
			// Lower exceeded is in the online codes, not in the default ones.
			outcome: emv.ApprovedUnableOnline, tvr: "0000004000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
	})
}

// Book 1 §12.4 and Book 4 §11.2: "TRY AGAIN" when an application is
// dropped (GET PROCESSING OPTIONS 6985, Book 3 §10.1, or a failed final
// SELECT) and another candidate remains; with none left only "NOT
// ACCEPTED".
func TestBook1_12_4_TryAgainOnlyWhenCandidatesRemain(t *testing.T) {
	const (
		wait     = emv.MsgPleaseWait
		tryAgain = emv.MsgTryAgain
		notAcc   = emv.MsgNotAccepted
	)
	tests := []struct {
		name    string
		profile func() *emvtest.Profile
		outcome emv.Outcome
		msgs    []emv.Message
		cmds    string
	}{
		{
			name: "GPO6985_OnlyApplication_NotAccepted",
			profile: func() *emvtest.Profile {
				p := visaCDA()
				p.Applications[0].GPORefused = true
				return p
			},
			outcome: emv.Terminated, msgs: []emv.Message{wait, notAcc, emv.MsgRemoveCard},
			cmds: "SEL RR RR SEL GPO",
		},
		{
			name: "FinalSelect6283_OnlyApplication_NotAccepted",
			profile: func() *emvtest.Profile {
				p := visaCDA()
				p.Applications[0].Blocked = true
				return p
			},
			outcome: emv.Terminated, msgs: []emv.Message{notAcc, emv.MsgRemoveCard},
			cmds: "SEL RR RR SEL",
		},
		{
			name: "GPO6985_AnotherCandidate_TryAgain",
			profile: func() *emvtest.Profile {
				p := emvtest.MultiApplication()
				p.Applications[1].GPORefused = true // credit, priority 1
				return p
			},
			// Visa debit next, offline enciphered PIN, approved offline.
			outcome: emv.Approved, msgs: []emv.Message{wait, tryAgain, wait, emv.MsgPINOK, emv.MsgApproved, emv.MsgRemoveCard},
			cmds: "SEL RR RR RR RR SEL GPO SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
		},
		{
			name:    "FinalSelect6283_AnotherCandidate_TryAgain",
			profile: emvtest.BlockedApplication,
			// The Mastercard application next: online PIN, no host.
			outcome: emv.DeclinedUnableOnline, msgs: []emv.Message{tryAgain, wait, emv.MsgDeclined, emv.MsgRemoveCard},
			cmds: "SEL RR RR RR SEL SEL GPO RR RR RR RR IA GD9F36 GD9F13 GAC80 GAC00",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(tc.profile())
			d := &display{}
			res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 100}, &emv.Terminal{Display: d, PINPad: &pinPad{pins: []string{"1234"}}})
			if tc.outcome == emv.Terminated {
				require.ErrorIs(t, err, emv.ErrNotAccepted)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.msgs, d.msgs, "messages")
			assert.Equal(t, tc.cmds, res.Trace.Compact(), "commands")
		})
	}
}

// Book 3 §10.4.2 and Annex C3 read one table of transaction classes: a
// cash disbursement (9C 17) is cash for the usage control check and for
// the CVM condition "if manual cash" alike.
func TestBook3_10_4_2_AnnexC3_CashDisbursementIsCashForBoth(t *testing.T) {
	disbursement := &emv.Transaction{Type: emv.CashDisbursement, Amount: 1234}
	// Signature if manual cash, else no CVM.
	list := func(auc string) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			p.Applications[0].CVMList = mustHex("0000000000000000" + "1E04" + "1F03")
			p.Applications[0].AUC = mustHex(auc)
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "DomesticCashAllowed_SignatureForManualCash",
			txn:  disbursement, profile: list("FF00"),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "1E0400",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			name: "DomesticCashNotAllowed_ServiceNotAllowed_SignatureForManualCash",
			txn:  disbursement, profile: list("7F00"),
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "1E0400",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC00",
		},
		{
			name: "Purchase_NoCVM",
			txn:  txn(1234), profile: list("FF00"),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "1F0302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
	})
}
