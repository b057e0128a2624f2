package emv_test

import (
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pse is the PSE name in hex, "1PAY.SYS.DDF01".
const pse = "315041592E5359532E4444463031"

// Application selection, Book 1 §12, and GET PROCESSING OPTIONS 6985,
// Book 3 §10.1.
func TestApplicationSelection(t *testing.T) {
	choose := &selector{index: 1}
	confirmYes := &selector{confirm: true}
	confirmNo := &selector{confirm: false}
	needsConfirmation := func(p *emvtest.Profile) { p.Applications[0].Priority = 0x81 }
	onlyPartial := func(partial bool) func(c *emv.Config) {
		return func(c *emv.Config) {
			c.Applications = []emv.Application{{AID: mustHex("A000000003"), PartialSelection: partial}}
		}
	}
	runScenarios(t, []scenario{
		{
			name:    "Book1_12_4_PSE_HighestPriorityWithoutCardholderSelection",
			base:    emvtest.MultiApplication,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000000031010/00"}, selectedNames(r.Trace))
				assert.Equal(t, "A0000000031010", hexOf(r.AID))
			},
		},
		{
			name:    "Book1_12_4_PSE_CardholderChoosesFromPriorityOrderedList",
			base:    emvtest.MultiApplication,
			sel:     choose,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				require.Len(t, choose.offered, 1)
				var names []string
				for _, c := range choose.offered[0] {
					names = append(names, hexOf(c.AID))
				}
				assert.Equal(t, []string{"A0000000031010", "A0000000032010", "A0000000041010"}, names)
				assert.Equal(t, "Visa Debit", choose.offered[0][1].Name())
				assert.Equal(t, "A0000000032010", hexOf(r.AID))
			},
		},
		{
			name:    "Book1_12_4_ConfirmationRequired_TerminalCannotConfirm_NotAccepted",
			profile: needsConfirmation,
			outcome: emv.Terminated, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR",
		},
		{
			name:    "Book1_12_4_ConfirmationRequired_CardholderConfirms",
			profile: needsConfirmation,
			sel:     confirmYes,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				require.Len(t, confirmYes.asked, 1)
				assert.Equal(t, "A0000000031010", hexOf(confirmYes.asked[0].AID))
			},
		},
		{
			name:    "Book1_12_4_ConfirmationRequired_CardholderRefuses_NotAccepted",
			profile: needsConfirmation,
			sel:     confirmNo,
			outcome: emv.Terminated, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR",
		},
		{
			name:    "Book1_12_3_3_NoPSE_ListOfAIDs_ExactMatch",
			base:    emvtest.NoDirectory,
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex(cvmEncipheredFirst) },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL SEL SEL SEL SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000000031010/00", "A0000000032010/00", "A0000000041010/00", "A0000000031010/00"}, selectedNames(r.Trace))
			},
		},
		{
			name:    "Book1_12_3_3_NoPSE_PartialMatch_SelectNextOccurrence",
			base:    emvtest.NoDirectory,
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex(cvmEncipheredFirst) },
			config:  onlyPartial(true),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL SEL SEL SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A000000003/00", "A000000003/02", "A0000000031010/00"}, selectedNames(r.Trace))
			},
		},
		{
			name:    "Book1_12_3_3_NoPSE_PartialMatchNotAllowed_NotAccepted",
			base:    emvtest.NoDirectory,
			config:  onlyPartial(false),
			outcome: emv.TryAnotherInterface, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL SEL SEL",
		},
		{
			name: "Book1_12_4_BlockedApplication_FinalSelect6283_NextCandidate",
			base: emvtest.BlockedApplication,
			// The Mastercard application: DDA, online PIN, PDOL.
			outcome: emv.DeclinedUnableOnline, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR RR SEL SEL GPO RR RR RR RR IA GD9F36 GD9F13 GAC80 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000000031010/00", "A0000000041010/00"}, selectedNames(r.Trace))
				assert.Equal(t, "A0000000041010", hexOf(r.AID))
			},
		},
		{
			name: "Book1_12_3_3_BlockedApplication6283_NotACandidate",
			base: emvtest.BlockedApplication,
			profile: func(p *emvtest.Profile) {
				p.Directory = emvtest.DirectoryNone
			},
			outcome: emv.DeclinedUnableOnline, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: "SEL SEL SEL SEL SEL GPO RR RR RR RR IA GD9F36 GD9F13 GAC80 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000000031010/00", "A0000000032010/00", "A0000000041010/00", "A0000000041010/00"}, selectedNames(r.Trace))
			},
		},
		{
			name: "Book3_10_1_GPO6985_ApplicationRemoved_NextSelected",
			base: emvtest.MultiApplication,
			profile: func(p *emvtest.Profile) {
				p.Applications[1].GPORefused = true // Visa credit, priority 1
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR RR RR SEL GPO SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000000031010/00", "A0000000032010/00"}, selectedNames(r.Trace))
			},
		},
		{
			name:    "Book3_10_1_GPO6985_LastApplication_NotAccepted",
			card:    func(c *emvtest.Card) { c.AnswerSW(apdu.InsGetProcessingOptions, apdu.SWConditionsNotSatisfied) },
			outcome: emv.Terminated, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR SEL GPO",
		},
		{
			name:    "Book1_12_3_2_CardBlocked6A81_Terminated",
			profile: func(p *emvtest.Profile) { p.Blocked = true },
			outcome: emv.Terminated, err: emv.ErrCardBlocked, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL",
		},
		{
			name:    "Book1_12_4_NoMutuallySupportedApplication_NotAccepted",
			config:  func(c *emv.Config) { c.Applications = []emv.Application{{AID: mustHex("A0000000991010")}} },
			outcome: emv.TryAnotherInterface, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR SEL",
		},
		{
			name: "Book1_12_3_2_PSEFCIMalformed_ListOfAIDs",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnSelect([]byte("1PAY.SYS.DDF01")), Corrupt: emvtest.BreakTLV})
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL SEL SEL SEL SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
		},
		{
			name: "Book1_12_3_2_DirectoryRecordError_ListOfAIDs",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(1, 1), SW: apdu.SWIncorrectP1P2, Times: 1})
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR SEL SEL SEL SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
		},
		{
			name: "Book1_12_4_FinalSelectFCIMalformed_TryAnotherInterface",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnSelect(mustHex("A0000000031010")), Corrupt: emvtest.BreakTLV})
			},
			// The only candidate is removed: not accepted.
			outcome: emv.TryAnotherInterface, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR SEL",
		},
	})
}

// Initiate application processing and read application data, Book 3
// §10.1 and §10.2: malformed or missing card data terminates.
func TestReadApplicationData(t *testing.T) {
	inRecord := func(sfi, rec byte, f emvtest.Fault) func(c *emvtest.Card) {
		return func(c *emvtest.Card) {
			f.Match = emvtest.OnRecord(sfi, rec)
			c.Inject(f)
		}
	}
	drop := func(tag uint32) func(c *emvtest.Card) {
		return inRecord(2, 1, emvtest.Fault{Corrupt: emvtest.DropTag, Tag: tlvTag(tag)})
	}
	const upToRecords = "SEL RR RR SEL GPO RR RR RR RR"
	runScenarios(t, []scenario{
		{
			name: "Book3_10_2_MissingExpiryDate_Terminated", card: drop(0x5F24),
			outcome: emv.Terminated, err: emv.ErrMissingData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: upToRecords,
		},
		{
			name: "Book3_10_2_MissingPAN_Terminated", card: drop(0x5A),
			outcome: emv.Terminated, err: emv.ErrMissingData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: upToRecords,
		},
		{
			name: "Book3_10_2_MissingCDOL1_Terminated", card: drop(0x8C),
			outcome: emv.Terminated, err: emv.ErrMissingData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: upToRecords,
		},
		{
			name: "Book3_10_2_MissingCDOL2_Terminated", card: drop(0x8D),
			outcome: emv.Terminated, err: emv.ErrMissingData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: upToRecords,
		},
		{
			name:    "Book3_10_2_DuplicateDataObject_Terminated",
			card:    inRecord(2, 1, emvtest.Fault{Corrupt: emvtest.DuplicateTag, Tag: 0x5F24}),
			outcome: emv.Terminated, err: emv.ErrDuplicateData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO RR RR",
		},
		{
			name: "Book3_10_2_DuplicateAcrossRecords_Terminated",
			card: inRecord(1, 1, emvtest.Fault{Nth: 2, Corrupt: emvtest.ReplaceData, Value: mustHex("70045F3401FF")}), // the first is the directory
			// The SFI 2 record brings 5F34 again.
			outcome: emv.Terminated, err: emv.ErrDuplicateData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO RR RR",
		},
		{
			name:    "Book3_10_2_RecordTLVBroken_Terminated",
			card:    inRecord(2, 1, emvtest.Fault{Corrupt: emvtest.BreakTLV}),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO RR RR",
		},
		{
			name:    "Book3_10_2_RecordNotTemplate70_Terminated",
			card:    inRecord(3, 1, emvtest.Fault{Corrupt: emvtest.ReplaceData, Value: mustHex("9F0D05FFFFFFFFFF")}),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO RR RR RR",
		},
		{
			name:    "Book3_10_2_ReadRecordError_Terminated",
			card:    inRecord(3, 1, emvtest.Fault{SW: apdu.SWRecordNotFound}),
			outcome: emv.TryAnotherInterface, err: emv.ErrCardRefused, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO RR RR RR",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				var se *apdu.StatusError
				require.ErrorAs(t, r.Terminated, &se)
				assert.Equal(t, apdu.SWRecordNotFound, se.SW)
			},
		},
		{
			name: "Book3_10_2_AFLFirstRecordZero_Terminated",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.ReplaceData, Value: mustHex("80063D0008000100")})
			},
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO",
		},
		{
			name: "Book3_10_2_AFLSFIZero_Terminated",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.ReplaceData, Value: mustHex("80063D0000010100")})
			},
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO",
		},
		{
			name: "Book3_10_1_GPOFormat2WithoutAIP_Terminated",
			base: emvtest.MastercardDDA,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.DropTag, Tag: 0x82})
			},
			outcome: emv.Terminated, err: emv.ErrMissingData, step: emv.StepInitiateProcessing,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO",
		},
		{
			name:    "Book3_10_1_GPOError_Terminated",
			card:    func(c *emvtest.Card) { c.AnswerSW(apdu.InsGetProcessingOptions, apdu.SWFunctionNotSupported) },
			outcome: emv.TryAnotherInterface, err: emv.ErrCardRefused, step: emv.StepInitiateProcessing,
			tvr: "0000000000", tsi: "0000", cvm: "000000", cmds: "SEL RR RR SEL GPO",
		},
		{
			name: "Book3_10_3_ODARecordOfSFI11NotTemplate70_SDAFailed",
			base: visaSDA,
			profile: func(p *emvtest.Profile) {
				p.Applications[0].Records = []emvtest.Record{{SFI: 11, Number: 1, ODA: true, Raw: true, Data: mustHex("9F0D05FFFFFFFFFF")}}
			},
			outcome: emv.DeclinedUnableOnline, tvr: "4200000000", tsi: "E800", cvm: "410302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 VFY GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name: "Book3_10_3_ODARecordOfSFI11_HashedWithTagAndLength",
			base: visaSDA,
			profile: func(p *emvtest.Profile) {
				p.Applications[0].Records = []emvtest.Record{{SFI: 11, Number: 1, ODA: true, Data: mustHex("9F0D05FFFFFFFFFF")}}
			},
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 VFY GD9F36 GD9F13 GAC40",
		},
	})
}

// A card pulled out at any command ends the transaction with an error
// wrapping apdu.ErrCardRemoved, naming the step; nothing is sent after
// that command.
func TestCardRemoved(t *testing.T) {
	steps := []struct {
		at   int
		step emv.Step
		host *fakeHost
	}{
		{1, emv.StepSelection, nil},               // SELECT PSE
		{2, emv.StepSelection, nil},               // directory record
		{4, emv.StepSelection, nil},               // final SELECT
		{5, emv.StepInitiateProcessing, nil},      // GET PROCESSING OPTIONS
		{6, emv.StepReadApplicationData, nil},     // first record
		{9, emv.StepReadApplicationData, nil},     // last record
		{10, emv.StepCardholderVerification, nil}, // GET DATA PIN try counter
		{11, emv.StepCardholderVerification, nil}, // GET CHALLENGE
		{12, emv.StepCardholderVerification, nil}, // VERIFY
		{13, emv.StepTerminalRiskManagement, nil}, // GET DATA ATC
		{14, emv.StepTerminalRiskManagement, nil}, // GET DATA last online ATC
		{15, emv.StepTerminalActionAnalysis, nil}, // first GENERATE AC
		{16, emv.StepCompletion, approve()},       // second GENERATE AC
	}
	for _, st := range steps {
		t.Run(st.step.String()+"_"+itoa(st.at), func(t *testing.T) {
			amount := uint64(1234)
			if st.host != nil {
				amount = 20000
			}
			sc := scenario{txn: txn(amount), host: st.host, card: func(c *emvtest.Card) { c.RemoveAt(st.at) }, record: true,
				about: fmt.Sprintf("Book 3 §10 (%s): the card is pulled out at command %d; the transaction ends with a *TerminatedError naming the step and wrapping apdu.ErrCardRemoved, and nothing is sent after that command", st.step, st.at)}
			res, err, card := sc.run(t)
			require.ErrorIs(t, err, apdu.ErrCardRemoved)
			var te *emv.TerminatedError
			require.ErrorAs(t, err, &te)
			assert.Equal(t, st.step, te.Step)
			assert.Equal(t, emv.Terminated, res.Outcome)
			assert.Len(t, res.Trace, st.at, "no command after the removal")
			assert.Equal(t, st.at, card.Commands())
			assert.Same(t, te, res.Terminated)
		})
	}
}
