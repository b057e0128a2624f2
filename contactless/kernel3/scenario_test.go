package kernel3

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expect is the exact Outcome Parameter Set a scenario ends with.
type expect struct {
	status     contactless.OutcomeStatus
	start      contactless.Start
	ord        contactless.OnlineResponseData
	cvm        contactless.CVM
	msg        contactless.MessageID
	uiStatus   contactless.UIStatus
	hold       int
	balance    uint64 // ValueBalance when not zero
	restartMsg contactless.MessageID
	alt        contactless.Interface
	receipt    bool
	fieldOff   int
	data       bool // Data Record present
	disc       bool // Discretionary Data present
}

// params builds the parameter set; absent values are "N/A".
func (e expect) params() contactless.OutcomeParameterSet {
	p := contactless.NewParameterSet(e.status)
	if e.start != 0 {
		p.Start = e.start
	}
	if e.ord != 0 {
		p.OnlineResponseData = e.ord
	}
	p.CVM = e.cvm
	if e.msg != 0 {
		u := &contactless.UIRequest{Message: e.msg, Status: e.uiStatus, HoldTime: e.hold, LanguagePreference: "en"}
		if e.balance != 0 {
			u.ValueQualifier, u.Value, u.CurrencyCode = contactless.ValueBalance, e.balance, 840
		}
		p.UIRequestOnOutcome = u
	}
	if e.restartMsg != 0 {
		st := contactless.UIReadyToRead
		p.UIRequestOnRestart = &contactless.UIRequest{Message: e.restartMsg, Status: st, LanguagePreference: "en"}
	}
	if e.alt != 0 {
		p.AlternateInterfacePreference = e.alt
	}
	p.Receipt = e.receipt
	if e.fieldOff != 0 {
		p.FieldOffRequest = e.fieldOff
	}
	p.DataRecordPresent = e.data
	p.DiscretionaryDataPresent = e.disc
	return p
}

// Common outcomes of the scenarios.
var (
	approvedNoCVM = expect{status: contactless.StatusApproved, cvm: contactless.CVMNoCVM, msg: contactless.MsgApproved,
		uiStatus: contactless.UICardReadSuccessfully, hold: 13, balance: 49000, data: true, disc: true}
	declinedOutcome = expect{status: contactless.StatusDeclined, cvm: contactless.CVMNA, msg: contactless.MsgNotAuthorised,
		uiStatus: contactless.UICardReadSuccessfully, hold: 13, data: true, disc: true}
	declinedNo9F5D = expect{status: contactless.StatusDeclined, cvm: contactless.CVMNA, msg: contactless.MsgNotAuthorised,
		uiStatus: contactless.UICardReadSuccessfully, hold: 13, data: true}
	onlineNoCVM = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMNoCVM, msg: contactless.MsgAuthorisingPleaseWait,
		uiStatus: contactless.UICardReadSuccessfully, data: true}
	endApplication = expect{status: contactless.StatusEndApplication, cvm: contactless.CVMNA, msg: contactless.MsgInsertSwipeOrTryAnother,
		uiStatus: contactless.UIProcessingError}
	tryAnotherAfterRead = expect{status: contactless.StatusTryAnotherInterface, cvm: contactless.CVMNA, msg: contactless.MsgInsertCard,
		uiStatus: contactless.UICardReadSuccessfully, alt: contactless.InterfaceContactChip}
)

func with(e expect, f func(*expect)) expect { f(&e); return e }

// Commands of the common flows: GET PROCESSING OPTIONS, then the records of
// the qVSDC profiles' AFL (SFI 2 record 1; SFI 3 records 1 and 2).
var (
	gpoOnly  = []string{"80A80000"}
	fullRead = []string{"80A80000", "00B20114", "00B2011C", "00B2021C"}
)

// scenario is one Kernel 3 test case on a virtual card, named after the
// Book C-3 requirement it checks.
type scenario struct {
	name    string
	profile func() *emvtest.Profile
	tweak   func(*emvtest.Profile)
	knobs   func(*emvtest.Card)
	opts    tapOpts
	want    expect
	tvr     string // TVR (95) in the Data Record; "" when there is none
	cmds    []string
	check   func(t *testing.T, tp *tap, out *contactless.Outcome)
}

// Terminal Transaction Qualifiers of the scenarios (base 3600C000).
const (
	ttqCVMRequired      = "3640C000" // pre-processing: Reader CVM Required Limit exceeded
	ttqOnlineRequired   = "3680C000" // online cryptogram required
	ttqODAForOnline     = "3700C000" // ODA for online authorisations
	ttqOfflineOnly      = "3E00C000" // offline-only reader
	ttqNoContactChip    = "2600C000" // no contact interface
	ttqCVMNoCDCVM       = "36408000" // CVM required, no consumer device CVM
	ttqCVMNoOnlinePIN   = "3240C000" // CVM required, no online PIN
	ttqNoIssuerUpdate   = "36004000"
	ttqCVMOnlyOnlinePIN = "3440C000" // CVM required, online PIN only (no signature)
)

func setCTQ(ctq string) func(*emvtest.Profile) {
	return func(p *emvtest.Profile) { p.Applications[0].QVSDC.CTQ = h(ctq) }
}

func inject(f emvtest.Fault) func(*emvtest.Card) { return func(c *emvtest.Card) { c.Inject(f) } }

func onGPO(c apdu.Command) bool { return c.INS == apdu.InsGetProcessingOptions }

// checkField55 checks the Data Record of an Online Request, tag by tag
// (the ISO 8583 field 55 data of a Visa contactless authorisation), and
// that the virtual issuer verifies the ARQC from it alone.
func checkField55(t *testing.T, tp *tap, out *contactless.Outcome) {
	l, err := tlv.Parse(out.DataRecord)
	require.NoError(t, err)
	var tags []string
	for o := range l.All() {
		tags = append(tags, o.Tag().String())
	}
	assert.Equal(t, []string{"9F02", "9F03", "9F26", "9F27", "82", "9F36", "9F10", "9F1A", "95", "5F2A", "9A", "9C",
		"9F37", "9F35", "9F33", "9F66", "9F6C", "84", "5F34", "57", "5A", "5F24", "9F21"}, tags)
	assert.Equal(t, "000000001000", tag(t, out.DataRecord, 0x9F02))
	assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
	assert.Equal(t, "2000", tag(t, out.DataRecord, 0x82))
	assert.Equal(t, "11223344", tag(t, out.DataRecord, 0x9F37))
	assert.Equal(t, "A0000000031010", tag(t, out.DataRecord, 0x84))
	assert.Equal(t, "261202", tag(t, out.DataRecord, 0x9A))
	resp, err := emvtest.IssuerFor(tp.card).Authorise(t.Context(), &emvtest.AuthorisationRequest{ICCData: out.DataRecord})
	require.NoError(t, err)
	assert.True(t, resp.ARQCValid, "the issuer verifies the ARQC from the Data Record")
}

// TestKernel3 runs every scenario live on the virtual card and asserts the
// exact Outcome Parameter Set, the TVR of the Data Record and the commands
// sent.
//
// Each case also has its recording in testdata/sessions/contactless/kernel3
// (TestKernel3Sessions replays them); -update records them again.
func TestKernel3(t *testing.T) {
	list := []scenario{
		{
			name: "C3_5_2_1_PDOLDataWithTTQAndUN_OfflineApprovalWithFDDA", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				// Book C-3 §5.2.1: the PDOL data (9F66 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37) in 83.
				assert.Equal(t, "80A8000023"+"8321"+"3600C000"+"000000001000"+"000000000000"+"0840"+"0000000000"+"0840"+"261202"+"00"+"11223344"+"00",
					hexs(tp.rec.Entries()[0].Command))
				// Book C-3 §5.4: Card Read OK once the last record is read.
				assert.Equal(t, []contactless.UIRequest{{Message: contactless.MsgCardReadOK, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"}}, tp.ui)
				assert.Equal(t, "9F5D06000000049000", hexs(out.DiscretionaryData))
			},
		},
		{
			name: "C3_5_2_2_GPO6984_TryAnotherInterface", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.RefuseSW = 0x6984 },
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly,
			want: expect{status: contactless.StatusTryAnotherInterface, cvm: contactless.CVMNA, msg: contactless.MsgInsertCard,
				uiStatus: contactless.UIProcessingError, alt: contactless.InterfaceContactChip},
		},
		{
			name: "C3_5_2_2_GPO6985_SelectNext", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.RefuseSW = 0x6985 },
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly,
			want: expect{status: contactless.StatusSelectNext, start: contactless.StartC, cvm: contactless.CVMNA},
		},
		{
			name: "C3_5_2_2_GPO6986_TryAgainSeePhone", profile: emvtest.VisaQVSDCPhone,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.SeePhone = 1 },
			opts:  tapOpts{amount: 1000, ttq: ttqCVMRequired}, cmds: gpoOnly,
			want: expect{status: contactless.StatusTryAgain, start: contactless.StartB, cvm: contactless.CVMNA, msg: contactless.MsgSeePhone,
				uiStatus: contactless.UINotReady, hold: 13, restartMsg: contactless.MsgPresentCard, fieldOff: 13},
		},
		{
			name: "C3_5_2_2_GPOOtherStatusWord_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, SW: 0x6A81}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_2_2_GPOFormat1_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceData, Value: h("800620000801010100")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_2_2_GPOBrokenTLV_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.BreakTLV}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_2_2_GPOWithoutCryptogram_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.DropTag, Tag: 0x9F26}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_2_2_GPOWithoutTrack2_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.DropTag, Tag: 0x57}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_2_2_GPODuplicateDataObject_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.DuplicateTag, Tag: 0x9F36}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_2_2_GPOShortAC_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F26, Value: h("0102030405")}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_3_ReadRecordError_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(3, 1), SW: 0x6A83}), opts: tapOpts{amount: 1000},
			cmds: []string{"80A80000", "00B20114", "00B2011C"}, want: endApplication,
			check: func(t *testing.T, tp *tap, _ *contactless.Outcome) {
				assert.Empty(t, tp.ui, "no Card Read OK before the card is read")
			},
		},
		{
			name: "C3_5_3_RecordNotTemplate70_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), Corrupt: emvtest.ReplaceData, Value: h("77035A0101")}),
			opts:  tapOpts{amount: 1000}, cmds: []string{"80A80000", "00B20114"}, want: endApplication,
		},
		{
			name: "C3_5_3_RecordBrokenTLV_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.BreakTLV}),
			opts:  tapOpts{amount: 1000}, cmds: fullRead, want: endApplication,
		},
		{
			name: "C3_5_3_DataObjectInGPOAndRecord_EndApplication", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].Extra = h("9F6C020000") },
			opts:  tapOpts{amount: 1000}, cmds: []string{"80A80000", "00B20114"}, want: endApplication,
		},
		{
			name: "C3_5_3_AFLWithSFIZero_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x94, Value: h("00010100")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_5_1_NoCID_CryptogramTypeFromIAD_TC_Approved", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.OmitCID = true },
			opts:  tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27), "9F27 in the data record from IAD byte 5 bits 6-5")
			},
		},
		{
			name: "C3_5_5_1_NoCID_IADSaysARQC_OnlineRequest", profile: emvtest.VisaQVSDCOnline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.OmitCID = true },
			opts:  tapOpts{amount: 1000}, want: onlineNoCVM, tvr: "0000000000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
			},
		},
		{
			name: "C3_5_5_1_NoCIDAndUnknownIAD_EndApplication", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.OmitCID = true },
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F10, Value: h("1F4A0102030405060708")}),
			opts:  tapOpts{amount: 1000}, cmds: fullRead, want: endApplication,
		},
		{
			name: "C3_5_5_1_CIDRFU_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F27, Value: h("C0")}),
			opts:  tapOpts{amount: 1000}, cmds: fullRead, want: endApplication,
		},
		{
			name: "C3_5_5_1_AAC_Declined", profile: emvtest.VisaQVSDCDecline,
			opts: tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0000000000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "00", tag(t, out.DataRecord, 0x9F27))
			},
		},
		{
			name: "C3_5_5_1_ARQC_OnlineRequestWithField55Data", profile: emvtest.VisaQVSDCOnline,
			opts: tapOpts{amount: 1000}, want: onlineNoCVM, tvr: "0000000000", cmds: fullRead,
			check: checkField55,
		},
		{
			name: "C3_5_5_1_OnlineCryptogramRequired_ARQC", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 1000, ttq: ttqOnlineRequired}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.disc = true }),
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "3680C000", tag(t, out.DataRecord, 0x9F66))
			},
		},
		{
			name: "C3_5_5_1_OfflineOnlyReader_CardWantsOnline_Declined", profile: emvtest.VisaQVSDCOnline,
			opts: tapOpts{amount: 1000, ttq: ttqOfflineOnly}, want: declinedNo9F5D, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_2_ExceptionFile_TC_Declined", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 1000, exceptionFile: true}, want: declinedOutcome, tvr: "1000000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_2_ExceptionFile_ARQC_OnlineWithTVRBit", profile: emvtest.VisaQVSDCOnline,
			opts: tapOpts{amount: 1000, exceptionFile: true}, want: onlineNoCVM, tvr: "1000000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_2_ExpiredApplication_TC_Declined", profile: emvtest.VisaQVSDCExpired,
			opts: tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0040000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_2_ExpiredApplication_CTQGoOnlineIfExpired_OnlineRequest", profile: emvtest.VisaQVSDCExpired,
			tweak: setCTQ("0800"), opts: tapOpts{amount: 1000}, tvr: "0040000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.disc = true }),
		},
		{
			name: "C3_5_5_2_ExpiredApplication_CTQGoOnline_OfflineOnlyReader_Declined", profile: emvtest.VisaQVSDCExpired,
			tweak: setCTQ("0800"), opts: tapOpts{amount: 1000, ttq: ttqOfflineOnly}, want: declinedOutcome, tvr: "0040000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_3_CashWithCTQSwitchForCash_TryAnotherInterface", profile: emvtest.VisaQVSDCOffline,
			tweak: setCTQ("0400"), opts: tapOpts{amount: 1000, typ: 0x01}, want: tryAnotherAfterRead, cmds: fullRead,
		},
		{
			name: "C3_5_5_3_CashbackWithCTQSwitchForCashback_TryAnotherInterface", profile: emvtest.VisaQVSDCOffline,
			tweak: setCTQ("0200"), opts: tapOpts{amount: 1000, other: 500, typ: 0x09}, want: tryAnotherAfterRead, cmds: fullRead,
		},
		{
			name: "C3_5_5_3_PurchaseWithCTQSwitchForCash_Approved", profile: emvtest.VisaQVSDCOffline,
			tweak: setCTQ("0400"), opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_FDDAVersion00_Approved", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.FDDAVersion = emvtest.FDDAVersion00 },
			opts:  tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_FDDAWithout9F69_Approved", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.FDDAVersion = emvtest.FDDANoAuthData },
			opts:  tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_C_2_FDDASignedDataFormat05_FDDAFailed_Declined", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.FDDAVersion = emvtest.FDDASignedIn05 },
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_2_FDDAFailed_CTQGoOnline_OnlineRequest", profile: emvtest.VisaQVSDCBadFDDAGoOnline,
			opts: tapOpts{amount: 1000}, tvr: "0800000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.disc = true }),
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27), "the card's TC goes online")
			},
		},
		{
			name: "C3_5_6_2_FDDAFailed_CTQGoOnline_OfflineOnlyReader_Declined", profile: emvtest.VisaQVSDCBadFDDAGoOnline,
			opts: tapOpts{amount: 1000, ttq: ttqOfflineOnly}, want: declinedOutcome, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_2_FDDAFailed_CTQSwitchInterface_TryAnotherInterface", profile: emvtest.VisaQVSDCBadFDDASwitchInterface,
			opts: tapOpts{amount: 1000}, want: tryAnotherAfterRead, cmds: fullRead,
		},
		{
			name: "C3_5_6_2_FDDAFailed_CTQSwitchInterface_NoContactChip_Declined", profile: emvtest.VisaQVSDCBadFDDASwitchInterface,
			opts: tapOpts{amount: 1000, ttq: ttqNoContactChip}, want: declinedOutcome, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_2_FDDAFailed_NoCTQPolicy_Declined", profile: emvtest.VisaQVSDCBadFDDADecline,
			opts: tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_CAKeyUnknown_FDDAFailed_Declined", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 1000, noCAKeys: true}, want: declinedOutcome, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_ICCCertificateMissing_ICCDataMissing_Declined", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.DropTag, Tag: 0x9F46}),
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "2800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_CardWithoutFDDA_ODANotPerformed_Declined", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].AIP = h("0000") },
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "8000000000", cmds: []string{"80A80000", "00B20114"},
		},
		{
			name: "C3_5_6_CTQIn9F69DiffersFrom9F6C_FDDAFailed_Declined", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F6C, Value: h("0080")}),
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_6_ARQCWithODAForOnline_FDDAVerified_OnlineRequest", profile: emvtest.VisaQVSDCOnline,
			opts: tapOpts{amount: 1000, ttq: ttqODAForOnline}, want: onlineNoCVM, tvr: "0000000000", cmds: fullRead,
			check: func(t *testing.T, tp *tap, _ *contactless.Outcome) {
				_, signed := tlv.Find(tp.rec.Entries()[0].Response, 0x9F4B)
				assert.True(t, signed, "the card signed its ARQC")
			},
		},
		{
			name: "C3_5_6_ARQCWithBadFDDA_OnlineWithDDAFailed", profile: emvtest.VisaQVSDCOnline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
			opts:  tapOpts{amount: 1000, ttq: ttqODAForOnline}, want: onlineNoCVM, tvr: "0800000000", cmds: fullRead,
		},
		{
			name: "C3_5_7_CVMRequired_CTQSignature_ApprovedPleaseSign", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", cmds: fullRead,
			want: with(approvedNoCVM, func(e *expect) {
				e.cvm, e.msg, e.receipt, e.balance = contactless.CVMObtainSignature, contactless.MsgApprovedPleaseSign, true, 47000
			}),
		},
		{
			name: "C3_5_7_CVMRequired_CTQOnlinePIN_OnlineRequest", profile: emvtest.VisaQVSDCOnlinePIN,
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm, e.disc = contactless.CVMOnlinePIN, true }),
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "8000", tag(t, out.DataRecord, 0x9F6C))
			},
		},
		{
			name: "C3_5_7_BelowCVMLimit_CardAsksNothing_NoCVM", profile: emvtest.VisaQVSDCOnlinePIN,
			opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_5_7_CDCVMPerformed_ConfirmationCodeVerified", profile: emvtest.VisaQVSDCPhone,
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", cmds: fullRead,
			want: with(approvedNoCVM, func(e *expect) { e.cvm, e.balance = contactless.CVMConfirmationCodeVerified, 47000 }),
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "0080", tag(t, out.DataRecord, 0x9F6C))
				assert.Equal(t, "20700000", tag(t, out.DataRecord, 0x9F6E))
				assert.Equal(t, "01020304", tag(t, out.DataRecord, 0x9F7C))
			},
		},
		{
			name: "C3_5_7_ReaderWithoutCDCVM_PhoneAsksOnlinePIN", profile: emvtest.VisaQVSDCPhone,
			opts: tapOpts{amount: 3000, ttq: ttqCVMNoCDCVM}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm, e.disc = contactless.CVMOnlinePIN, true }),
		},
		{
			name: "C3_5_7_CVMRequired_CTQNamesNoCVM_Declined", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.CVM = emvtest.CVMQNone },
			opts:  tapOpts{amount: 3000, ttq: ttqCVMRequired}, want: declinedOutcome, tvr: "0000800000", cmds: fullRead,
		},
		{
			name: "C3_5_7_2_CVMRequired_NoCTQ_ReaderSignature", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) {
				p.Applications[0].QVSDC.CTQ, p.Applications[0].QVSDC.CVM = nil, emvtest.CVMQNone
			},
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", cmds: fullRead,
			want: with(approvedNoCVM, func(e *expect) {
				e.cvm, e.msg, e.receipt, e.balance = contactless.CVMObtainSignature, contactless.MsgApprovedPleaseSign, true, 47000
			}),
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "absent", tag(t, out.DataRecord, 0x9F6C))
			},
		},
		{
			name: "C3_5_7_2_CVMRequired_NoCTQ_ARQC_ReaderOnlinePIN", profile: emvtest.VisaQVSDCOnline,
			tweak: func(p *emvtest.Profile) {
				p.Applications[0].QVSDC.CTQ, p.Applications[0].QVSDC.CVM = nil, emvtest.CVMQNone
			},
			opts: tapOpts{amount: 3000, ttq: ttqCVMOnlyOnlinePIN}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm = contactless.CVMOnlinePIN }),
		},
		{
			name: "C3_5_7_CTQOnlinePIN_ReaderWithoutOnlinePIN_Declined", profile: emvtest.VisaQVSDCOnlinePIN,
			opts: tapOpts{amount: 3000, ttq: ttqCVMNoOnlinePIN}, want: declinedOutcome, tvr: "0000800000", cmds: fullRead,
		},
		{
			name: "C3_5_8_3_IssuerUpdateSupported_OnlineRequestRestartsAtStartB", profile: emvtest.VisaQVSDCIssuerUpdate,
			opts: tapOpts{amount: 1000}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) {
				e.start, e.ord, e.restartMsg = contactless.StartB, contactless.OnlineResponseEMVData, contactless.MsgPresentCardAgain
			}),
		},
		{
			name: "C3_5_8_3_ReaderWithoutIssuerUpdate_NoRestart", profile: emvtest.VisaQVSDCIssuerUpdate,
			opts: tapOpts{amount: 1000, ttq: ttqNoIssuerUpdate}, want: onlineNoCVM, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_1_MultiApplicationCard_VisaApplication_Approved", profile: emvtest.ContactlessMulti,
			opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", cmds: fullRead,
		},
		{
			name: "C3_5_5_2_NotYetEffective_TVRBitOnly_Approved", profile: emvtest.VisaQVSDCOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].EffectiveDate = "270101" },
			opts:  tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0020000000", cmds: fullRead,
		},
		{
			name: "C3_5_7_OnlineRequest_CTQSignature_ReceiptWithOnlineRequest", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 60000, ttq: ttqCVMRequired}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm, e.receipt, e.disc = contactless.CVMObtainSignature, true, true }),
		},
		{
			name: "C3_5_2_2_GPO9F5DWrongLength_EndApplication", profile: emvtest.VisaQVSDCOffline,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F5D, Value: h("0490")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C3_5_5_1_AboveAvailableOfflineAmount_CardGoesOnline", profile: emvtest.VisaQVSDCOffline,
			opts: tapOpts{amount: 60000}, tvr: "0000000000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.disc = true }),
		},
	}
	require.GreaterOrEqual(t, len(list), 40)
	for _, sc := range list {
		t.Run(sc.name, func(t *testing.T) {
			tp, out := sc.runLive(t)
			if *update {
				recordSession(t, &sc, tp, out)
			}
			assert.Equal(t, sc.want.params(), out.Parameters, "%s", out.Parameters)
			if sc.tvr == "" {
				assert.Empty(t, out.DataRecord)
			} else {
				assert.Equal(t, sc.tvr, tag(t, out.DataRecord, 0x95), "TVR")
			}
			assert.Equal(t, sc.cmds, tp.headers(), "commands")
			if sc.check != nil {
				sc.check(t, tp, out)
			}
		})
	}
}

func (sc *scenario) card() *emvtest.Card {
	p := sc.profile()
	if sc.tweak != nil {
		sc.tweak(p)
	}
	c := emvtest.NewCard(p)
	if sc.knobs != nil {
		sc.knobs(c)
	}
	return c
}

func (sc *scenario) runLive(t *testing.T) (*tap, *contactless.Outcome) {
	tp := newTap(t, sc.card(), sc.opts)
	return tp, tp.run(t)
}
