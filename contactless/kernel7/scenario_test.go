package kernel7

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
	cvm        contactless.CVM
	msg        contactless.MessageID
	uiStatus   contactless.UIStatus
	hold       int
	balance    uint64 // ValueBalance in CNY when not zero
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
	p.CVM = e.cvm
	if e.msg != 0 {
		u := &contactless.UIRequest{Message: e.msg, Status: e.uiStatus, HoldTime: e.hold, LanguagePreference: "zhen"}
		if e.balance != 0 {
			u.ValueQualifier, u.Value, u.CurrencyCode = contactless.ValueBalance, e.balance, 156
		}
		p.UIRequestOnOutcome = u
	}
	if e.restartMsg != 0 {
		p.UIRequestOnRestart = &contactless.UIRequest{Message: e.restartMsg, Status: contactless.UIReadyToRead, LanguagePreference: "zhen"}
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
	declinedNo9F5D = with(declinedOutcome, func(e *expect) { e.disc = false })
	onlineNoCVM    = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMNoCVM, msg: contactless.MsgAuthorisingPleaseWait,
		uiStatus: contactless.UICardReadSuccessfully, data: true, disc: true}
	onlineNo9F5D   = with(onlineNoCVM, func(e *expect) { e.disc = false })
	endApplication = expect{status: contactless.StatusEndApplication, cvm: contactless.CVMNA, msg: contactless.MsgInsertSwipeOrTryAnother,
		uiStatus: contactless.UIProcessingError}
	tryAnotherAfterRead = expect{status: contactless.StatusTryAnotherInterface, cvm: contactless.CVMNA, msg: contactless.MsgInsertCard,
		uiStatus: contactless.UICardReadSuccessfully, alt: contactless.InterfaceContactChip}
)

func with(e expect, f func(*expect)) expect { f(&e); return e }

// Commands of the common flows: GET PROCESSING OPTIONS, then the records of
// the QuickPass profiles' AFL (SFI 2 record 1; SFI 3 records 1 and 2).
var (
	gpoOnly  = []string{"80A80000"}
	fullRead = []string{"80A80000", "00B20114", "00B2011C", "00B2021C"}
)

// scenario is one Kernel 7 test case on a virtual card, named after the
// Book C-7 step it checks.
type scenario struct {
	name    string
	profile func() *emvtest.Profile
	tweak   func(*emvtest.Profile)
	knobs   func(*emvtest.Card)
	opts    tapOpts
	want    expect
	tvr     string // TVR (95) in the Data Record; "" when there is no Data Record
	ctq     string // CTQ (9F6C) in the Data Record ("absent" when the card sent none); "" when there is no Data Record
	cmds    []string
	check   func(t *testing.T, tp *tap, out *contactless.Outcome)
}

// Terminal Transaction Qualifiers of the scenarios (base 36004080).
const (
	ttqCVMRequired      = "36404080" // pre-processing: Reader CVM Required Limit exceeded
	ttqOnlineRequired   = "36804080" // online cryptogram required
	ttqOfflineOnly      = "3E004080" // offline-only reader
	ttqNoContactChip    = "26004080" // no contact interface
	ttqCVMNoCDCVM       = "36400080" // CVM required, no consumer device CVM
	ttqCVMNoOnlinePIN   = "32404080" // CVM required, no online PIN
	ttqCVMOnlyOnlinePIN = "34404080" // CVM required, online PIN only (no signature)
	ttqNoQUICS          = "16004080" // no qUICS: not a Kernel 7 reader
	ttqBit1Set          = "37004080" // byte 1 bit 1, RFU in Book C-7 (ODA for online in Book C-3)
)

func setCTQ(ctq string) func(*emvtest.Profile) {
	return func(p *emvtest.Profile) { p.Applications[0].QVSDC.CTQ = h(ctq) }
}

func inject(f emvtest.Fault) func(*emvtest.Card) { return func(c *emvtest.Card) { c.Inject(f) } }

func onGPO(c apdu.Command) bool { return c.INS == apdu.InsGetProcessingOptions }

func badSDAD(ctq string) func(*emvtest.Profile) {
	return func(p *emvtest.Profile) {
		p.Applications[0].QVSDC.CTQ = h(ctq)
		p.Applications[0].Faults.BadSDAD = true
	}
}

func expired(p *emvtest.Profile) { p.Applications[0].ExpiryDate = "201231" }

// checkField55 checks the Data Record of an Online Request tag by tag (the
// ISO 8583 field 55 data of a UnionPay contactless authorisation), and that
// the virtual issuer verifies the ARQC from it alone.
func checkField55(t *testing.T, tp *tap, out *contactless.Outcome) {
	l, err := tlv.Parse(out.DataRecord)
	require.NoError(t, err)
	var tags []string
	for o := range l.All() {
		tags = append(tags, o.Tag().String())
	}
	assert.Equal(t, []string{"9F02", "9F03", "9F26", "9F27", "82", "9F36", "9F10", "9F1A", "95", "5F2A", "9A", "9C",
		"9F37", "9F35", "9F33", "9F1E", "9F09", "9F66", "9F6C", "84", "5F34", "57", "5A", "5F24", "9F21"}, tags)
	assert.Equal(t, "000000001000", tag(t, out.DataRecord, 0x9F02))
	assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
	assert.Equal(t, "0156", tag(t, out.DataRecord, 0x5F2A))
	assert.Equal(t, "0156", tag(t, out.DataRecord, 0x9F1A))
	assert.Equal(t, "11223344", tag(t, out.DataRecord, 0x9F37))
	assert.Equal(t, tp.aid, tag(t, out.DataRecord, 0x84))
	assert.Equal(t, "261202", tag(t, out.DataRecord, 0x9A))
	iad := tag(t, out.DataRecord, 0x9F10)
	assert.Equal(t, "07", iad[:2], "UnionPay IAD layout")
	resp, err := emvtest.IssuerFor(tp.card).Authorise(t.Context(), &emvtest.AuthorisationRequest{ICCData: out.DataRecord})
	require.NoError(t, err)
	assert.True(t, resp.ARQCValid, "the issuer verifies the ARQC from the Data Record")
}

// TestKernel7 runs every scenario live on the virtual card and asserts the
// exact Outcome Parameter Set (with its UI Request), the TVR and CTQ of the
// Data Record and the commands sent.
//
// Each case also has its recording in testdata/sessions/contactless/kernel7
// (TestKernel7Sessions replays them); -update records them again.
func TestKernel7(t *testing.T) {
	// The cases, each named after the Book C-7 step it checks: initiate
	// application processing, GET PROCESSING OPTIONS, read application
	// data, processing restrictions (cryptogram type, limits, exception
	// file, expiry, cash), offline data authentication (fDDA), cardholder
	// verification and the outcome.
	list := []scenario{
		{
			name: "C7_Initiate_PDOLDataWithTTQAndUN_DebitOfflineApprovalWithFDDA", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				// The PDOL data (9F66 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37) in 83, CNY.
				assert.Equal(t, "80A8000023"+"8321"+"36004080"+"000000001000"+"000000000000"+"0156"+"0000000000"+"0156"+"261202"+"00"+"11223344"+"00",
					hexs(tp.rec.Entries()[0].Command))
				// Card read complete: Card Read OK once the last record is read.
				assert.Equal(t, []contactless.UIRequest{{Message: contactless.MsgCardReadOK, Status: contactless.UICardReadSuccessfully, LanguagePreference: "zhen"}}, tp.ui)
				// The electronic cash balance after the transaction: 500.00 - 10.00.
				assert.Equal(t, "9F5D06000000049000", hexs(out.DiscretionaryData))
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27))
				assert.Equal(t, debitAID, tag(t, out.DataRecord, 0x84))
			},
		},
		{
			name: "C7_Initiate_FCIWithoutPDOL_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].PDOL = nil },
			opts:  tapOpts{amount: 1000}, want: endApplication,
		},
		{
			name: "C7_Initiate_PDOLWithoutTTQ_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].PDOL = h("9F02065F2A029F3704") },
			opts:  tapOpts{amount: 1000}, want: endApplication,
		},
		{
			name: "C7_Initiate_TTQWithoutQUICS_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 1000, ttq: ttqNoQUICS}, want: endApplication,
		},
		{
			name: "C7_GPO6984_TryAnotherInterface", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.RefuseSW = 0x6984 },
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly,
			want: expect{status: contactless.StatusTryAnotherInterface, cvm: contactless.CVMNA, msg: contactless.MsgInsertCard,
				uiStatus: contactless.UIProcessingError, alt: contactless.InterfaceContactChip},
		},
		{
			name: "C7_GPO6985_SelectNext", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.RefuseSW = 0x6985 },
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly,
			want: expect{status: contactless.StatusSelectNext, start: contactless.StartC, cvm: contactless.CVMNA},
		},
		{
			name: "C7_GPO6986_TryAgainSeePhone", profile: emvtest.UnionPayQuickPassPhone,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.SeePhone = 1 },
			opts:  tapOpts{amount: 3000, ttq: ttqCVMRequired}, cmds: gpoOnly,
			want: expect{status: contactless.StatusTryAgain, start: contactless.StartB, cvm: contactless.CVMNA, msg: contactless.MsgSeePhone,
				uiStatus: contactless.UINotReady, hold: 13, restartMsg: contactless.MsgPresentCard, fieldOff: 13},
		},
		{
			name: "C7_GPOOtherStatusWord_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, SW: 0x6A81}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPOFormat1_StandardDebitCreditFlow_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceData, Value: h("800620000801010100")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPOBrokenTLV_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.BreakTLV}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPOWithoutCryptogram_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.DropTag, Tag: 0x9F26}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPOWithoutTrack2_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.DropTag, Tag: 0x57}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPODuplicateDataObject_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.DuplicateTag, Tag: 0x9F36}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPOShortAC_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F26, Value: h("0102030405")}), opts: tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPO9F5DWrongLength_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F5D, Value: h("0490")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_GPO9F63TooLong_EndApplication", profile: emvtest.UnionPayQuickPassCredit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F63, Value: h("3031323334353637383941424344454647")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_ReadRecordError_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(3, 1), SW: 0x6A83}), opts: tapOpts{amount: 1000},
			cmds: []string{"80A80000", "00B20114", "00B2011C"}, want: endApplication,
			check: func(t *testing.T, tp *tap, _ *contactless.Outcome) {
				assert.Empty(t, tp.ui, "no Card Read OK before the card is read")
			},
		},
		{
			name: "C7_ReadRecordNotTemplate70_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), Corrupt: emvtest.ReplaceData, Value: h("77035A0101")}),
			opts:  tapOpts{amount: 1000}, cmds: []string{"80A80000", "00B20114"}, want: endApplication,
		},
		{
			name: "C7_ReadRecordBrokenTLV_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.BreakTLV}),
			opts:  tapOpts{amount: 1000}, cmds: fullRead, want: endApplication,
		},
		{
			name: "C7_ReadRecordDataObjectInGPOAndRecord_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].Extra = h("9F6C020000") },
			opts:  tapOpts{amount: 1000}, cmds: []string{"80A80000", "00B20114"}, want: endApplication,
		},
		{
			name: "C7_ReadRecordAFLWithSFIZero_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x94, Value: h("00010100")}),
			opts:  tapOpts{amount: 1000}, cmds: gpoOnly, want: endApplication,
		},
		{
			name: "C7_CryptogramType_NoCID_UnionPayIADSaysTC_Approved", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.OmitCID = true },
			opts:  tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27), "9F27 in the data record from the IAD's CVR")
			},
		},
		{
			name: "C7_CryptogramType_NoCID_UnionPayIADSaysARQC_OnlineRequest", profile: emvtest.UnionPayQuickPassQuasiCredit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.OmitCID = true },
			opts:  tapOpts{amount: 1000}, want: onlineNo9F5D, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
			},
		},
		{
			name: "C7_CryptogramType_NoCID_VisaLayoutIAD_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.OmitCID = true },
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F10, Value: h("06010A03900000")}),
			opts:  tapOpts{amount: 1000}, cmds: fullRead, want: endApplication,
		},
		{
			name: "C7_CryptogramType_CIDRFU_EndApplication", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F27, Value: h("C0")}),
			opts:  tapOpts{amount: 1000}, cmds: fullRead, want: endApplication,
		},
		{
			name: "C7_CryptogramType_AAC_Declined", profile: emvtest.UnionPayQuickPassDecline,
			opts: tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "00", tag(t, out.DataRecord, 0x9F27))
			},
		},
		{
			name: "C7_CryptogramType_ARQC_QuasiCreditOnlineRequestWithField55Data", profile: emvtest.UnionPayQuickPassQuasiCredit,
			opts: tapOpts{amount: 1000}, want: onlineNo9F5D, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: checkField55,
		},
		{
			name: "C7_CryptogramType_ARQC_DebitAboveBalance_OnlineRequestWithField55Data", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 60000}, want: onlineNoCVM, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, "9F5D06000000050000", hexs(out.DiscretionaryData), "the balance is not spent by an ARQC")
				assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
				resp, err := emvtest.IssuerFor(tp.card).Authorise(t.Context(), &emvtest.AuthorisationRequest{ICCData: out.DataRecord})
				require.NoError(t, err)
				assert.True(t, resp.ARQCValid)
			},
		},
		{
			name: "C7_CryptogramType_OfflineOnlyReader_CardWantsOnline_Declined", profile: emvtest.UnionPayQuickPassQuasiCredit,
			opts: tapOpts{amount: 1000, ttq: ttqOfflineOnly}, want: declinedNo9F5D, tvr: "0000000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_Limits_OnlineCryptogramRequired_CardAnswersARQC_OnlineRequest", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 1000, ttq: ttqOnlineRequired}, want: onlineNoCVM, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, ttqOnlineRequired, tag(t, out.DataRecord, 0x9F66))
			},
		},
		{
			name: "C7_Limits_OnlineCryptogramRequired_CardAnswersTC_Declined", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.IgnoreOnlineRequired = true },
			opts:  tapOpts{amount: 1000, ttq: ttqOnlineRequired}, want: declinedOutcome, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27), "the TC the reader refused")
			},
		},
		{
			name: "C7_Limits_FloorLimitExceeded_CardAnswersTC_DeclinedWithTVRBit", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.IgnoreOnlineRequired = true },
			opts:  tapOpts{amount: 1000, ttq: ttqOnlineRequired, floorLimit: true}, want: declinedOutcome, tvr: "0000008000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_ExceptionFile_TC_Declined", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 1000, exceptionFile: true}, want: declinedOutcome, tvr: "1000000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_ExceptionFile_ARQC_OnlineWithTVRBit", profile: emvtest.UnionPayQuickPassQuasiCredit,
			opts: tapOpts{amount: 1000, exceptionFile: true}, want: onlineNo9F5D, tvr: "1000000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_Expiry_ExpiredApplication_TC_Declined", profile: emvtest.UnionPayQuickPassDebit, tweak: expired,
			opts: tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0040000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_Expiry_CTQGoOnlineIfExpired_OnlineRequest", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { expired(p); setCTQ("0800")(p) },
			opts:  tapOpts{amount: 1000}, want: onlineNoCVM, tvr: "0040000000", ctq: "0800", cmds: fullRead,
		},
		{
			name: "C7_Expiry_CTQGoOnlineIfExpired_OfflineOnlyReader_Declined", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { expired(p); setCTQ("0800")(p) },
			opts:  tapOpts{amount: 1000, ttq: ttqOfflineOnly}, want: declinedOutcome, tvr: "0040000000", ctq: "0800", cmds: fullRead,
		},
		{
			name: "C7_Expiry_NotYetEffective_TVRBitOnly_Approved", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].EffectiveDate = "270101" },
			opts:  tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0020000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_Cash_CTQSwitchForCash_TryAnotherInterface", profile: emvtest.UnionPayQuickPassDebit,
			tweak: setCTQ("0400"), opts: tapOpts{amount: 1000, typ: 0x01}, want: tryAnotherAfterRead, cmds: fullRead,
		},
		{
			name: "C7_Cash_CTQSwitchForCashback_TryAnotherInterface", profile: emvtest.UnionPayQuickPassDebit,
			tweak: setCTQ("0200"), opts: tapOpts{amount: 1000, other: 500, typ: 0x09}, want: tryAnotherAfterRead, cmds: fullRead,
		},
		{
			name: "C7_Cash_PurchaseWithCTQSwitchForCash_Approved", profile: emvtest.UnionPayQuickPassDebit,
			tweak: setCTQ("0400"), opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", ctq: "0400", cmds: fullRead,
		},
		{
			name: "C7_Cash_CTQSwitchForCash_ReaderWithoutContactChip_Approved", profile: emvtest.UnionPayQuickPassDebit,
			tweak: setCTQ("0400"), opts: tapOpts{amount: 1000, typ: 0x01, ttq: ttqNoContactChip}, want: approvedNoCVM, tvr: "0000000000", ctq: "0400", cmds: fullRead,
		},
		{
			name: "C7_FDDA_Version00_FDDAFailed_Declined", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.FDDAVersion = emvtest.FDDAVersion00 },
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_Without9F69_ICCDataMissing_Declined", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.FDDAVersion = emvtest.FDDANoAuthData },
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "2800000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_SignedDataFormat05_FDDAFailed_Declined", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.FDDAVersion = emvtest.FDDASignedIn05 },
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_Failed_CTQGoOnline_OnlineRequest", profile: emvtest.UnionPayQuickPassDebit, tweak: badSDAD("2000"),
			opts: tapOpts{amount: 1000}, want: onlineNoCVM, tvr: "0800000000", ctq: "2000", cmds: fullRead,
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27), "the card's TC goes online")
			},
		},
		{
			name: "C7_FDDA_Failed_CTQGoOnline_OfflineOnlyReader_Declined", profile: emvtest.UnionPayQuickPassDebit, tweak: badSDAD("2000"),
			opts: tapOpts{amount: 1000, ttq: ttqOfflineOnly}, want: declinedOutcome, tvr: "0800000000", ctq: "2000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_Failed_CTQSwitchInterface_TryAnotherInterface", profile: emvtest.UnionPayQuickPassDebit, tweak: badSDAD("1000"),
			opts: tapOpts{amount: 1000}, want: tryAnotherAfterRead, cmds: fullRead,
		},
		{
			name: "C7_FDDA_Failed_CTQSwitchInterface_NoContactChip_Declined", profile: emvtest.UnionPayQuickPassDebit, tweak: badSDAD("1000"),
			opts: tapOpts{amount: 1000, ttq: ttqNoContactChip}, want: declinedOutcome, tvr: "0800000000", ctq: "1000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_Failed_NoCTQPolicy_Declined", profile: emvtest.UnionPayQuickPassDebit, tweak: badSDAD("0000"),
			opts: tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_CAKeyUnknown_FDDAFailed_Declined", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 1000, noCAKeys: true}, want: declinedOutcome, tvr: "0800000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_ICCCertificateMissing_ICCDataMissing_Declined", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.DropTag, Tag: 0x9F46}),
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "2800000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_FDDA_CardWithoutFDDA_ODANotPerformed_Declined", profile: emvtest.UnionPayQuickPassDebit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].AIP = h("0000") },
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "8000000000", ctq: "0000", cmds: []string{"80A80000", "00B20114"},
		},
		{
			name: "C7_FDDA_CTQIn9F69DiffersFrom9F6C_FDDAFailed_Declined", profile: emvtest.UnionPayQuickPassDebit,
			knobs: inject(emvtest.Fault{Match: onGPO, Corrupt: emvtest.ReplaceValue, Tag: 0x9F6C, Value: h("0080")}),
			opts:  tapOpts{amount: 1000}, want: declinedOutcome, tvr: "0800000000", ctq: "0080", cmds: fullRead,
		},
		{
			name: "C7_FDDA_NoODAForOnline_SignedARQCWithBadSDAD_OnlineWithoutDDAFailed", profile: emvtest.UnionPayQuickPassQuasiCredit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
			opts:  tapOpts{amount: 1000, ttq: ttqBit1Set}, want: onlineNo9F5D, tvr: "0000000000", ctq: "0000", cmds: fullRead,
			check: func(t *testing.T, tp *tap, _ *contactless.Outcome) {
				_, signed := tlv.Find(tp.rec.Entries()[0].Response, 0x9F4B)
				assert.True(t, signed, "the card signed its ARQC; Kernel 7 does not check it")
			},
		},
		{
			name: "C7_CVM_CVMRequired_CreditCTQSignature_ApprovedPleaseSign", profile: emvtest.UnionPayQuickPassCredit,
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", ctq: "4000", cmds: fullRead,
			want: with(approvedNoCVM, func(e *expect) {
				e.cvm, e.msg, e.receipt, e.balance = contactless.CVMObtainSignature, contactless.MsgApprovedPleaseSign, true, 97000
			}),
			check: func(t *testing.T, _ *tap, out *contactless.Outcome) {
				assert.Equal(t, "30313233343536373839414243444546", tag(t, out.DataRecord, 0x9F63), "Product Identification Information")
				assert.Equal(t, emvtest.AIDUnionPayCredit, tag(t, out.DataRecord, 0x84))
			},
		},
		{
			name: "C7_CVM_CVMRequired_DebitCTQOnlinePIN_OnlineRequest", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", ctq: "8000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm = contactless.CVMOnlinePIN }),
		},
		{
			name: "C7_CVM_BelowCVMLimit_CardAsksNothing_NoCVM", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 1000}, want: approvedNoCVM, tvr: "0000000000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_CVM_PhoneCDCVMPerformed_ConfirmationCodeVerified", profile: emvtest.UnionPayQuickPassPhone,
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", ctq: "0080", cmds: fullRead,
			want: with(approvedNoCVM, func(e *expect) { e.cvm, e.balance = contactless.CVMConfirmationCodeVerified, 17000 }),
		},
		{
			name: "C7_CVM_ReaderWithoutCDCVM_PhoneAsksOnlinePIN", profile: emvtest.UnionPayQuickPassPhone,
			opts: tapOpts{amount: 3000, ttq: ttqCVMNoCDCVM}, tvr: "0000000000", ctq: "8000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm = contactless.CVMOnlinePIN }),
		},
		{
			name: "C7_CVM_CVMRequired_CTQNamesNoCVM_Declined", profile: emvtest.UnionPayQuickPassCredit,
			tweak: func(p *emvtest.Profile) { p.Applications[0].QVSDC.CVM = emvtest.CVMQNone },
			opts:  tapOpts{amount: 3000, ttq: ttqCVMRequired}, want: declinedOutcome, tvr: "0000800000", ctq: "0000", cmds: fullRead,
		},
		{
			name: "C7_CVM_CVMRequired_NoCTQ_ReaderSignature", profile: emvtest.UnionPayQuickPassCredit,
			tweak: func(p *emvtest.Profile) {
				p.Applications[0].QVSDC.CTQ, p.Applications[0].QVSDC.CVM = nil, emvtest.CVMQNone
			},
			opts: tapOpts{amount: 3000, ttq: ttqCVMRequired}, tvr: "0000000000", ctq: "absent", cmds: fullRead,
			want: with(approvedNoCVM, func(e *expect) {
				e.cvm, e.msg, e.receipt, e.balance = contactless.CVMObtainSignature, contactless.MsgApprovedPleaseSign, true, 97000
			}),
		},
		{
			name: "C7_CVM_CVMRequired_NoCTQ_ARQC_ReaderOnlinePIN", profile: emvtest.UnionPayQuickPassQuasiCredit,
			tweak: func(p *emvtest.Profile) {
				p.Applications[0].QVSDC.CTQ, p.Applications[0].QVSDC.CVM = nil, emvtest.CVMQNone
			},
			opts: tapOpts{amount: 3000, ttq: ttqCVMOnlyOnlinePIN}, tvr: "0000000000", ctq: "absent", cmds: fullRead,
			want: with(onlineNo9F5D, func(e *expect) { e.cvm = contactless.CVMOnlinePIN }),
		},
		{
			name: "C7_CVM_CTQOnlinePIN_ReaderWithoutOnlinePIN_Declined", profile: emvtest.UnionPayQuickPassDebit,
			opts: tapOpts{amount: 3000, ttq: ttqCVMNoOnlinePIN}, want: declinedOutcome, tvr: "0000800000", ctq: "8000", cmds: fullRead,
		},
		{
			name: "C7_CVM_OnlineRequest_CTQSignature_ReceiptWithOnlineRequest", profile: emvtest.UnionPayQuickPassCredit,
			opts: tapOpts{amount: 150000, ttq: ttqCVMRequired}, tvr: "0000000000", ctq: "4000", cmds: fullRead,
			want: with(onlineNoCVM, func(e *expect) { e.cvm, e.receipt = contactless.CVMObtainSignature, true }),
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
				assert.Equal(t, sc.ctq, tag(t, out.DataRecord, 0x9F6C), "CTQ")
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
