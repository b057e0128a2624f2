package emv_test

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
)

// Rules the conformance table found uncovered: the advice the card asks
// for, CDA failing at the second GENERATE AC, an unrecognised CVM, and a
// final SELECT answered 6A81.
func TestConformanceRules(t *testing.T) {
	cdaHost := approve()
	runScenarios(t, []scenario{
		{
			// Book 3 §10.8: the card approves offline (TC) and sets CID bit 4,
			// "advice required"; the kernel reports it in Result.Advice and
			// keeps the CID for the clearing record.
			name: "Book3_10_8_CardAsksForAdvice_ReportedInResult",
			base: visaSDA,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.ReplaceValue, Tag: 0x9F27, Value: []byte{0x48}})
			},
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302", cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 VFY GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.True(t, r.Advice, "advice")
				assert.Equal(t, byte(0x48), r.CID)
			},
		},
		{
			// Book 2 §6.6.2, Book 3 §10.11: the issuer approves, the card
			// answers the second GENERATE AC (TC with CDA) with a signature
			// that does not verify: CDA failed (TVR byte 1 bit 3) and the
			// terminal declines.
			name: "Book2_6_6_CDA_BadSignatureOnSecondGenerateAC_OnlineDeclined",
			txn:  txn(20000),
			host: cdaHost,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Nth: 2, Corrupt: emvtest.FlipLastByte})
			},
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, byte(0x40), r.CID&0xC0, "the card answered a TC")
			},
			outcome: emv.OnlineDeclined, tvr: "0400008000", tsi: "E800", cvm: "440302", cmds: cdaHead + " GAC90 GAC50",
		},
		{
			// Book 3 §10.5, Annex C3: a CV rule with an RFU method code (10;
			// 06 to 0F are the biometric CVMs of EMV 4.4) is an
			// unrecognised CVM: TVR byte 3 bit 7, the rule fails, and as
			// its "apply succeeding" bit is set the next rule (no CVM
			// required) applies.
			name: "Book3_10_5_UnrecognisedCVM_NextRuleApplies",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].CVMList = mustHex("0000000000000000" + "5000" + "1F00")
			},
			outcome: emv.Approved, tvr: "0000400000", tsi: "E800", cvm: "1F0002", cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			// EMV 4.4 Book 3 §10.5, Annex C3: 46, facial biometric verified
			// offline, "apply succeeding". The terminal recognises it but
			// does not support it (9F33 E0F8C8 has neither biometric bit):
			// no "Unrecognised CVM" as under EMV 4.3, the rule is not
			// performed and the next one applies.
			name: "Book3_10_5_BiometricCVMRecognisedNotSupported_NextRuleApplies",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].CVMList = mustHex("0000000000000000" + "4600" + "1F00")
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "1F0002", cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			// Book 1 §11.3.5, §12.4: the final SELECT answered 6A81 (card
			// blocked or SELECT not supported) ends the card session, as it
			// does in §12.3.2 and §12.3.3; nothing else is sent.
			name: "Book1_12_4_FinalSelect6A81_CardBlocked_Terminated",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnSelect(mustHex("A0000000031010")), SW: apdu.SWFunctionNotSupported})
			},
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Empty(t, r.AID, "no application selected")
			},
			outcome: emv.Terminated, err: emv.ErrCardBlocked, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL",
		},
	})
}
