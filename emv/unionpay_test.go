package emv_test

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// UnionPay terminal action codes, the values UnionPay AID parameter sets
// commonly carry (DF11 default, DF12 online, DF13 denial): the same
// choice as testdata/terminals/china-counter.json.
var (
	upTACDenial  = tvr.TVR{0x00, 0x10, 0x00, 0x00, 0x00}
	upTACOnline  = tvr.TVR{0xD8, 0x40, 0x04, 0xF8, 0x00}
	upTACDefault = tvr.TVR{0xD8, 0x40, 0x00, 0xA8, 0x00}
)

// unionPayConfig turns the test terminal into a Chinese one: country and
// currency 156 (CNY), the four UnionPay AIDs with partial selection and
// version 0020, UnionPay TACs, a floor limit of 100.00 and, for the
// electronic cash AID, an EC Terminal Transaction Limit of 1000.00.
func unionPayConfig(c *emv.Config) {
	ecLimit := uint64(100000)
	c.Country, c.Currency = 156, 156
	c.Applications = []emv.Application{
		{AID: mustHex(emvtest.AIDUnionPayDebit), PartialSelection: true},
		{AID: mustHex(emvtest.AIDUnionPayCredit), PartialSelection: true},
		{AID: mustHex(emvtest.AIDUnionPayQuasiCredit), PartialSelection: true},
		{AID: mustHex(emvtest.AIDUnionPayECash), PartialSelection: true, Params: emv.AppParams{ECTerminalLimit: &ecLimit}},
	}
	c.AppParams.Version = mustHex("0020")
	c.AppParams.TACDenial, c.AppParams.TACOnline, c.AppParams.TACDefault = &upTACDenial, &upTACOnline, &upTACDefault
}

// withConfig applies unionPayConfig, then more.
func withConfig(more func(c *emv.Config)) func(c *emv.Config) {
	return func(c *emv.Config) {
		unionPayConfig(c)
		if more != nil {
			more(c)
		}
	}
}

// upHead is the command sequence of a UnionPay card up to the first
// GENERATE AC: PSE with one entry, final SELECT, GPO, five records, DDA
// (INTERNAL AUTHENTICATE), velocity checking (ATC, last online ATC).
const upHead = "SEL RR RR SEL GPO RR RR RR RR RR IA GD9F36 GD9F13"

// upECHead is the same for the electronic cash card, which has no PSE:
// the terminal's four UnionPay AIDs are tried in turn (Book 1 §12.3.3).
const upECHead = "SEL SEL SEL SEL SEL SEL GPO RR RR RR RR RR IA GD9F36 GD9F13"

// The cardholder's ID number of the UnionPay virtual cards, in hex: it
// must never reach a trace or a receipt in clear.
const upIDHex = "313130313031313938363036323030303130"

// UnionPay contact applications through the Book 3 kernel: JR/T 0025.5
// follows Book 3 for the debit/credit application, with UnionPay's AIDs,
// data objects and action codes.
func TestUnionPayContact(t *testing.T) {
	up := unionPayConfig
	noPSE := func(p *emvtest.Profile) { p.Directory = emvtest.DirectoryNone }
	runScenarios(t, []scenario{
		{
			name:    "UnionPayDebit_Book3_10_5_OnlinePIN_OnlineApproved",
			base:    emvtest.UnionPayDebit,
			config:  up,
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: upHead + " GAC80 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "A000000333010101", hexOf(r.AID))
				assert.Equal(t, "UICC DEBIT", r.Label)
				assert.Equal(t, emv.DDA, r.ODA)
				assert.Equal(t, "00", r.ARC)
				// JR/T 0025.5 Annex A: the cardholder's identity document,
				// masked on the receipt and in the trace.
				assert.Equal(t, "**************0010", r.Receipt.CardholderID)
				assert.Equal(t, "00", r.Receipt.CardholderIDType)
				assert.NotContains(t, r.Trace.String(), upIDHex)
				assert.Equal(t, uint16(156), r.Receipt.Currency)
				assert.Empty(t, r.ECIssuerAuthCode)
			},
		},
		{
			name:    "UnionPayDebit_Book3_10_9_OnlinePIN_OnlineDeclined",
			base:    emvtest.UnionPayDebit,
			config:  up,
			host:    decline(),
			outcome: emv.OnlineDeclined, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: upHead + " GAC80 GAC00",
		},
		{
			// The TAC online (byte 3 bit 3, online PIN entered) sends the
			// transaction online; unable to go online, the IAC default
			// (D8609CA800: byte 3 bit 3 set) declines.
			name:    "UnionPayDebit_Book3_10_7_OnlinePIN_UnableToGoOnline_DefaultDeclines",
			base:    emvtest.UnionPayDebit,
			config:  up,
			host:    offline(),
			outcome: emv.DeclinedUnableOnline, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: upHead + " GAC80 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Z3", r.ARC)
			},
		},
		{
			// No PIN pad: online PIN fails (TVR byte 3 bit 5), the next
			// rule (signature) is performed; the IAC online (byte 3 9C)
			// sends it online.
			name:    "UnionPayDebit_Book3_10_5_NoPINPad_Signature_OnlineApproved",
			base:    emvtest.UnionPayDebit,
			config:  up,
			noPad:   true,
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000100000", tsi: "E800", cvm: "1E0300",
			cmds: upHead + " GAC80 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.True(t, r.SignatureRequired)
			},
		},
		{
			name:    "UnionPayDebit_Book3_10_6_1_FloorLimitExceeded_OnlineApproved",
			base:    emvtest.UnionPayDebit,
			config:  up,
			txn:     txn(50000),
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000048000", tsi: "E800", cvm: "420300",
			cmds: upHead + " GAC80 GAC40",
		},
		{
			// The credit card's first rule is signature (5E03: apply the
			// next rule if it fails), performed at an attended terminal;
			// under the floor limit, with nothing in the TVR, the card
			// approves offline.
			name:    "UnionPayCredit_Book3_10_8_Signature_OfflineApproved",
			base:    emvtest.UnionPayCredit,
			config:  up,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "5E0300",
			cmds: upHead + " GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "A000000333010102", hexOf(r.AID))
				assert.True(t, r.SignatureRequired)
				assert.Equal(t, "Y1", r.ARC)
				assert.Equal(t, byte(0x40), r.CID&0xC0)
				assert.Len(t, r.AC, 8)
				assert.Equal(t, "approved", r.Receipt.Outcome)
			},
		},
		{
			name:    "UnionPayCredit_Book3_10_6_1_FloorLimitExceeded_OnlineApproved",
			base:    emvtest.UnionPayCredit,
			config:  up,
			txn:     txn(20000),
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "5E0300",
			cmds: upHead + " GAC80 GAC40",
		},
		{
			name:    "UnionPayCredit_Book3_10_7_FloorLimitExceeded_UnableToGoOnline_Declined",
			base:    emvtest.UnionPayCredit,
			config:  up,
			txn:     txn(20000),
			outcome: emv.DeclinedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "5E0300",
			cmds: upHead + " GAC80 GAC00",
		},
		{
			// Book 3 §10.6: on the exception file (TVR byte 1 bit 5); the
			// IAC online (D8...) asks to go online, the IAC default
			// declines when the terminal cannot.
			name:    "UnionPayCredit_Book3_10_6_ExceptionFile_UnableToGoOnline_Declined",
			base:    emvtest.UnionPayCredit,
			config:  up,
			onList:  true,
			outcome: emv.DeclinedUnableOnline, tvr: "1000000000", tsi: "E800", cvm: "5E0300",
			cmds: upHead + " GAC80 GAC00",
		},
		{
			// JR/T 0025.5 gives CV Rule code 20 (a payment system code,
			// Book 3 Annex C3) to "cardholder ID presentation": the
			// attendant checks the identity document 9F61/9F62 names. The
			// kernel has no attendant seam to ask, so it treats the code as
			// Book 3 §10.5 treats a CVM it does not recognise: TVR byte 3
			// bit 7, and, the rule saying to apply the next one (60, always),
			// the next rule, signature. (With condition 03, "if the terminal
			// supports the CVM", the rule is skipped without the bit.)
			name: "UnionPayDebit_JRT0025_5_CVM20_IDPresentation_Unrecognised_NextRule",
			base: emvtest.UnionPayDebit,
			profile: func(p *emvtest.Profile) {
				p.Applications[0].CVMList = mustHex("0000000000000000" + "6000" + "1E03" + "1F03")
			},
			config:  up,
			outcome: emv.Approved, tvr: "0000400000", tsi: "E800", cvm: "1E0300",
			cmds: upHead + " GAC40",
		},
		{
			// Book 1 §12.3.2: the PSE lists the recorded card's three
			// applications; without cardholder selection the terminal
			// takes the highest priority, credit.
			name:    "UnionPayThreeApps_Book1_12_4_PSE_HighestPriority_Credit",
			base:    emvtest.UnionPayThreeApplications,
			config:  up,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "5E0300",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR RR IA GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A000000333010102/00"}, selectedNames(r.Trace))
			},
		},
		{
			name:    "UnionPayThreeApps_Book1_12_4_CardholderChoosesQuasiCredit",
			base:    emvtest.UnionPayThreeApplications,
			config:  up,
			sel:     &selector{index: 2},
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR RR IA GD9F36 GD9F13 GAC80 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "A000000333010103", hexOf(r.AID))
				assert.Equal(t, "UICC QUASICREDIT", r.Label)
			},
		},
		{
			// Book 1 §12.3.3: no PSE; the terminal's one AID
			// A0000003330101 with partial selection finds the three
			// applications with SELECT first and next occurrence.
			name:    "UnionPayThreeApps_Book1_12_3_3_NoPSE_PartialSelection",
			base:    emvtest.UnionPayThreeApplications,
			profile: noPSE,
			config: withConfig(func(c *emv.Config) {
				c.Applications = []emv.Application{{AID: mustHex("A0000003330101"), PartialSelection: true}}
			}),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "5E0300",
			cmds: "SEL SEL SEL SEL SEL SEL GPO RR RR RR RR RR IA GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000003330101/00", "A0000003330101/02", "A0000003330101/02", "A0000003330101/02", "A000000333010102/00"}, selectedNames(r.Trace))
			},
		},
		{
			// Without partial selection the terminal's AID must match the
			// card's whole: A0000003330101 finds nothing.
			name:    "UnionPay_Book1_12_3_3_NoPartialSelection_NoApplication",
			base:    emvtest.UnionPayDebit,
			profile: noPSE,
			config: withConfig(func(c *emv.Config) {
				c.Applications = []emv.Application{{AID: mustHex("A0000003330101")}}
			}),
			outcome: emv.TryAnotherInterface, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL SEL SEL",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000003330101/00", "A0000003330101/02"}, selectedNames(r.Trace))
			},
		},
		{
			// JR/T 0025.13: the terminal supports electronic cash for the
			// amount (9F7A = 01 in the PDOL data); the card approves
			// offline with no CVM and returns 9F74 "ECC001".
			name:    "UnionPayECash_JRT0025_13_OfflinePurchase_ECC001",
			base:    emvtest.UnionPayECash,
			config:  up,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "1F0002",
			cmds: upECHead + " GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A000000333010101/00", "A000000333010102/00", "A000000333010103/00", "A000000333010106/00", "A000000333010106/00"}, selectedNames(r.Trace))
				assert.Equal(t, "A000000333010106", hexOf(r.AID))
				assert.Equal(t, "ECC001", r.ECIssuerAuthCode)
				gpo := r.Trace[6].Command
				// 9F7A 01, 9F02 000000001234, 5F2A 0156 (Book 3 §5.4).
				assert.Equal(t, "80A80000"+"0B"+"8309"+"01"+"000000001234"+"0156"+"00", hexOf(gpo))
			},
		},
		{
			// JR/T 0025.13: 9F7A = 01 but the amount (250.00) is above the
			// card's EC balance (200.00): no electronic cash; the card asks
			// to go online and the issuer approves.
			name:    "UnionPayECash_JRT0025_13_AboveBalance_Online",
			base:    emvtest.UnionPayECash,
			config:  up,
			txn:     txn(25000),
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "1F0002",
			cmds: upECHead + " GAC80 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "80A80000"+"0B"+"8309"+"01"+"000000025000"+"0156"+"00", hexOf(r.Trace[6].Command))
			},
		},
		{
			// At the EC Terminal Transaction Limit (1000.00) the terminal
			// says it does not support electronic cash for the amount:
			// 9F7A = 00.
			name:    "UnionPayECash_JRT0025_13_AtECTerminalLimit_IndicatorZero",
			base:    emvtest.UnionPayECash,
			config:  up,
			txn:     txn(100000),
			outcome: emv.DeclinedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "1F0002",
			cmds: upECHead + " GAC80 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "80A80000"+"0B"+"8309"+"00"+"000000100000"+"0156"+"00", hexOf(r.Trace[6].Command))
			},
		},
	})
}

var _ = require.NoError

// An electronic cash purchase takes its amount from the card's balance: a
// balance inquiry after it reads the balance less the amount (JR/T
// 0025.13).
func TestUnionPayECashPurchaseThenInquiry(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayECash())
	cfg := testConfig(t, card)
	unionPayConfig(cfg)
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1500, SequenceCounter: 1}, nil)
	require.NoError(t, err)
	require.Equal(t, emv.Approved, res.Outcome)
	assert.Equal(t, "ECC001", res.ECIssuerAuthCode)
	res, err = emv.Run(context.Background(), card, cfg, *ecInquiry(), nil)
	require.NoError(t, err)
	require.Equal(t, emv.BalanceRead, res.Outcome)
	assert.Equal(t, uint64(18500), res.ECBalance.Balance)
	assert.Equal(t, "9F79060000000185009000", hexOf(res.Trace[6].Response))
}
