package emv_test

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// Processing restrictions, Book 3 §10.4.
func TestProcessingRestrictions(t *testing.T) {
	// Each restriction sets its TVR bit; with the test TACs "service not
	// allowed" is a denial, the others send the transaction online.
	international := func(p *emvtest.Profile) { p.Applications[0].IssuerCountry = mustHex("0826") }
	runScenarios(t, []scenario{
		{
			name:    "Book3_10_4_3_ExpiredApplication",
			profile: func(p *emvtest.Profile) { p.Applications[0].ExpiryDate = "251231" },
			outcome: emv.DeclinedUnableOnline, tvr: "0040000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
		},
		{
			name:    "Book3_10_4_3_ApplicationNotYetEffective",
			profile: func(p *emvtest.Profile) { p.Applications[0].EffectiveDate = "260103" },
			// Not in the Visa action codes: offline approval.
			outcome: emv.Approved, tvr: "0020000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_4_3_EffectiveToday_IsEffective",
			profile: func(p *emvtest.Profile) { p.Applications[0].EffectiveDate = "260102" },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_4_3_ExpiringToday_IsNotExpired",
			profile: func(p *emvtest.Profile) { p.Applications[0].ExpiryDate = "260102" },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:   "Book3_10_4_1_DifferentApplicationVersions",
			config: func(c *emv.Config) { c.Version = mustHex("0096") },
			// Not in the test TACs or the card's IACs: offline approval.
			outcome: emv.Approved, tvr: "0080000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_4_1_CardWithoutVersion_PresumedCompatible",
			profile: func(p *emvtest.Profile) { p.Applications[0].Version = nil },
			config:  func(c *emv.Config) { c.Version = mustHex("0096") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Book3_10_4_2_AUC_InternationalGoodsNotAllowed",
			profile: func(p *emvtest.Profile) {
				international(p)
				p.Applications[0].AUC = mustHex("EF00")
			},
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Book3_10_4_2_AUC_DomesticGoodsOnly_InternationalCardRefused",
			profile: func(p *emvtest.Profile) {
				international(p)
				p.Applications[0].AUC = mustHex("2300") // domestic goods, ATMs and other terminals
			},
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name:    "Book3_10_4_2_AUC_DomesticGoodsAllowed",
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("2100") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_4_2_AUC_DomesticServicesNotAllowed",
			txn:     &emv.Transaction{Amount: 1234, Services: true},
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("F700") },
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name:    "Book3_10_4_2_AUC_DomesticCashNotAllowed",
			txn:     &emv.Transaction{Type: emv.Cash, Amount: 1234},
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("7F00") },
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Book3_10_4_2_AUC_InternationalCashNotAllowed",
			txn:  &emv.Transaction{Type: emv.Cash, Amount: 1234},
			profile: func(p *emvtest.Profile) {
				international(p)
				p.Applications[0].AUC = mustHex("BF00")
			},
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name:    "Book3_10_4_2_AUC_DomesticCashbackNotAllowed",
			txn:     &emv.Transaction{Type: emv.PurchaseCashback, Amount: 2234, AmountOther: 1000},
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FF40") },
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name:    "Book3_10_4_2_AUC_DomesticCashbackAllowed",
			txn:     &emv.Transaction{Type: emv.PurchaseCashback, Amount: 2234, AmountOther: 1000},
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FF80") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Book3_10_4_2_AUC_NotValidAtATMs",
			txn:  &emv.Transaction{Type: emv.Cash, Amount: 1234},
			config: func(c *emv.Config) {
				c.TerminalType = 0x14 // financial institution, unattended, online only
				c.AdditionalCapabilities = [5]byte{0x80, 0x00, 0xF0, 0xA0, 0x01}
			},
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FD00") },
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Book3_10_4_2_AUC_WithoutIssuerCountry_OnlyEnvironmentChecked",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].IssuerCountry = nil
				p.Applications[0].AUC = mustHex("0100") // valid at non-ATMs, nothing else
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
	})
}

// Cardholder verification, Book 3 §10.5 (through package cvm).
func TestCardholderVerification(t *testing.T) {
	plainPIN := func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex(cvmPlaintextFirst) }
	runScenarios(t, []scenario{
		{
			name:    "Book3_10_5_OfflinePlaintextPIN_OK",
			base:    visaSDA,
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC40",
		},
		{
			name:    "Book3_10_5_WrongPINThenRight",
			base:    visaSDA,
			pins:    []string{"9999", "1234"},
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 VFY VFY GD9F36 GD9F13 GAC40",
		},
		{
			name: "Book3_10_5_PINTryLimitExceeded",
			base: visaSDA,
			pins: []string{"9999", "9999", "9999", "1234"},
			// Three wrong PINs block it; the next rule (online PIN) is
			// performed: "PIN try limit exceeded" and "online PIN
			// entered", which the online codes send online. Unable to go
			// online, the default codes (byte 3 00) ask for a TC.
			outcome: emv.ApprovedUnableOnline, tvr: "0200240000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 VFY VFY VFY GD9F36 GD9F13 GAC80 GAC40",
		},
		{
			name: "Book3_10_5_PINAlreadyBlocked",
			base: visaSDA,
			profile: func(p *emvtest.Profile) {
				p.Applications[0].PINBlocked = true
			},
			outcome: emv.ApprovedUnableOnline, tvr: "0200240000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GD9F36 GD9F13 GAC80 GAC40",
		},
		{
			name:  "Book3_10_5_PINPadNotPresent",
			base:  visaSDA,
			noPad: true,
			// Both PIN rules need the pad ("PIN pad not present"); the
			// signature rule succeeds.
			outcome: emv.Approved, tvr: "0200100000", tsi: "E800", cvm: "1E0300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC40",
		},
		{
			name:    "Book3_10_5_PINPadNotPresent_RuleWithoutApplySucceeding_Fails",
			base:    visaSDA,
			noPad:   true,
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex("0000000000000000" + "0103" + "1E03") },
			// 0103: plaintext PIN, not "apply succeeding": not performed
			// for want of a pad, and verification fails there with no CVM
			// performed (Book 3 §10.5, CVM Results 3F0001).
			outcome: emv.Approved, tvr: "0200900000", tsi: "E800", cvm: "3F0001",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC40",
		},
		{
			name:    "Book3_10_5_PINBypassed",
			base:    visaSDA,
			pins:    []string{"bypass", "bypass", "bypass"},
			outcome: emv.Approved, tvr: "0200080000", tsi: "E800", cvm: "1E0300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GD9F36 GD9F13 GAC40",
		},
		{
			name:   "Book4_6_3_BypassAllPINCVMs_OnePromptOnly",
			base:   visaSDA,
			config: func(c *emv.Config) { c.BypassAllPINCVMs = true },
			pins:   []string{"bypass", "1234"},
			// The online PIN rule is taken as bypassed without a prompt:
			// the second entry is never used, signature follows.
			outcome: emv.Approved, tvr: "0200080000", tsi: "E800", cvm: "1E0300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GD9F36 GD9F13 GAC40",
		},
		{
			name:    "Book3_10_5_OnlinePIN",
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex(emvtest.CVMOnlinePIN) },
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC90 GAC50",
		},
		{
			name:    "Book3_10_5_Signature",
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex(emvtest.CVMSignature) },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "1E0300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_5_NoCVMRequired",
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex(emvtest.CVMNoCVM) },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "1F0002",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_5_FailCVM_CardholderVerificationNotSuccessful",
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = mustHex("00000000000000000000") },
			outcome: emv.Approved, tvr: "0000800000", tsi: "E800", cvm: "000001",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_5_CVMListAbsent_ICCDataMissing",
			profile: func(p *emvtest.Profile) { p.Applications[0].CVMList = nil },
			outcome: emv.Approved, tvr: "2000000000", tsi: "A800", cvm: "3F0000",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_5_AIPWithoutCardholderVerification_NotPerformed",
			profile: func(p *emvtest.Profile) { p.Applications[0].AIP = mustHex("2D00") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "A800", cvm: "3F0000",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_5_PlaintextPINOnCDACard",
			profile: plainPIN,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "410302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 VFY GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_5_PINPadBroken",
			base:    visaSDA,
			pins:    []string{"broken", "broken", "broken"},
			outcome: emv.Approved, tvr: "0200100000", tsi: "E800", cvm: "1E0300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GD9F36 GD9F13 GAC40",
		},
		{
			name:    "Book3_10_5_PINEntryCancelled_Terminated",
			base:    visaSDA,
			pins:    []string{"cancel"},
			outcome: emv.Terminated, err: errCancelledPIN, step: emv.StepCardholderVerification,
			tvr: "0200000000", tsi: "C000", cvm: "000000",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17",
		},
	})
}

// Terminal risk management, Book 3 §10.6.
func TestTerminalRiskManagement(t *testing.T) {
	velocity := func(atc, last int) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			p.Applications[0].ATC = atc
			p.Applications[0].LastOnlineATC = last
		}
	}
	runScenarios(t, []scenario{
		{
			name:    "Book3_10_6_1_FloorLimitExceeded_Online",
			txn:     txn(10000), // equal to the limit counts (>=)
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Book3_10_6_1_PerApplicationFloorLimit",
			txn:  txn(20000),
			config: func(c *emv.Config) {
				limit := uint64(50000)
				c.Applications[0].Params.FloorLimit = &limit
			},
			// 200.00 is above the terminal-wide 100.00 but below this
			// application's 500.00.
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_6_1_SplitSales_TransactionLogAddsUp",
			txn:     txn(6000),
			log:     txLog(5000),
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name:    "Book3_10_6_1_TransactionLogBelowLimit",
			txn:     txn(6000),
			log:     txLog(3000),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Book3_10_6_2_RandomSelection_BelowThreshold_Selected",
			config: func(c *emv.Config) {
				c.RandomSelection = &emv.RandomSelection{TargetPercent: 20, MaxTargetPercent: 50, Threshold: 5000}
			},
			host: approve(),
			// The draw is 18, at most the 20% target.
			outcome: emv.OnlineApproved, tvr: "0000001000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Book3_10_6_2_RandomSelection_BelowThreshold_NotSelected",
			config: func(c *emv.Config) {
				c.RandomSelection = &emv.RandomSelection{TargetPercent: 17, MaxTargetPercent: 50, Threshold: 5000}
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Book3_10_6_2_RandomSelection_Biased_AboveThreshold_Selected",
			txn:  txn(7000),
			config: func(c *emv.Config) {
				// 10% + (30-10)% * (7000-5000)/(10000-5000) = 18%: the draw 18 is selected.
				c.RandomSelection = &emv.RandomSelection{TargetPercent: 10, MaxTargetPercent: 30, Threshold: 5000}
			},
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000001000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Book3_10_6_2_RandomSelection_Biased_AboveThreshold_NotSelected",
			txn:  txn(6999),
			config: func(c *emv.Config) {
				// 10% + 20% * 1999/5000 = 17.99%, truncated to 17: not selected.
				c.RandomSelection = &emv.RandomSelection{TargetPercent: 10, MaxTargetPercent: 30, Threshold: 5000}
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Book3_10_6_2_RandomSelection_NotOnOfflineOnlyTerminal",
			config: func(c *emv.Config) {
				c.TerminalType = 0x23
				c.RandomSelection = &emv.RandomSelection{TargetPercent: 99, MaxTargetPercent: 99}
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_6_3_Velocity_LowerLimitExceeded",
			profile: velocity(0x20, 0x1B), // GPO makes the ATC 21: 6 offline, over LCOL 5, within UCOL 10
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000004000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name:    "Book3_10_6_3_Velocity_UpperLimitExceeded",
			profile: velocity(0x20, 0x16), // 11 offline, over UCOL 10
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000006000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name:    "Book3_10_6_3_Velocity_WithinLimits",
			profile: velocity(0x20, 0x1C), // 5 offline
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name:    "Book3_10_6_3_NewCard",
			profile: velocity(3, 0),
			outcome: emv.Approved, tvr: "0008000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			// Book 3 §10.6.3: an ATC not above the Last Online ATC Register
			// (here equal to it) counts no offline transactions the
			// terminal can trust; like a counter that cannot be had, both
			// limits are taken as exceeded.
			name:    "Book3_10_6_3_ATCNotAboveLastOnlineATC_BothLimitsExceeded",
			profile: velocity(0x20, 0x21), // GPO makes the ATC 21, equal to the register
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000006000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Book3_10_6_3_ATCNotReturned_BothLimitsExceeded",
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: func(cmd apdu.Command) bool { return cmd.INS == apdu.InsGetData && cmd.P2 == 0x36 }, SW: apdu.SWReferencedDataNotFound})
			},
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000006000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Book3_10_6_3_NoOfflineLimits_NoVelocityCheck",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].LCOL, p.Applications[0].UCOL = nil, nil
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GAC50",
		},
		{
			name:    "Book3_10_6_MerchantForcedOnline",
			txn:     &emv.Transaction{Amount: 1234, ForceOnline: true},
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000000800", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name:    "Book3_10_6_CardOnExceptionFile",
			onList:  true,
			outcome: emv.DeclinedUnableOnline, tvr: "1000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
		},
		{
			name:    "Book3_10_6_AIPWithoutTerminalRiskManagement_NotPerformed",
			txn:     txn(20000),
			profile: func(p *emvtest.Profile) { p.Applications[0].AIP = mustHex("3500") },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E000", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GAC50",
		},
		{
			// A scheme's rules may require terminal risk management
			// whatever the AIP says (AppParams.AlwaysManageRisk): the same
			// card as above now has its floor limit checked and goes
			// online, and the velocity checks read the ATC.
			name:    "Book3_10_6_AIPWithoutTerminalRiskManagement_SchemeRequiresIt_Performed",
			txn:     txn(20000),
			host:    approve(),
			profile: func(p *emvtest.Profile) { p.Applications[0].AIP = mustHex("3500") },
			config: func(c *emv.Config) {
				always := true
				c.AlwaysManageRisk = &always
			},
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC90 GAC50",
		},
	})
}
