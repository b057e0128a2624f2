package kernel2

import (
	"context"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expect is the exact Outcome Parameter Set a scenario ends with.
type expect struct {
	status  contactless.OutcomeStatus
	start   contactless.Start
	cvm     contactless.CVM
	msg     contactless.MessageID
	hold    int
	receipt bool
	data    bool // Data Record present

	restartMsg    contactless.MessageID // UI Request on Restart; 0: none
	restartStatus contactless.UIStatus
	fieldOff      int // Field Off Request, 100 ms; 0: none
	uiStatus      contactless.UIStatus
}

func (e expect) params() contactless.OutcomeParameterSet {
	p := contactless.NewParameterSet(e.status)
	if e.start != 0 {
		p.Start = e.start
	}
	p.CVM = e.cvm
	if e.msg != 0 {
		p.UIRequestOnOutcome = &contactless.UIRequest{Message: e.msg, Status: e.uiStatus, HoldTime: e.hold, LanguagePreference: "en"}
	}
	if e.restartMsg != 0 {
		p.UIRequestOnRestart = &contactless.UIRequest{Message: e.restartMsg, Status: e.restartStatus, LanguagePreference: "en"}
	}
	if e.fieldOff != 0 {
		p.FieldOffRequest = e.fieldOff
	}
	p.Receipt = e.receipt
	p.DataRecordPresent = e.data
	p.DiscretionaryDataPresent = true
	return p
}

// The outcomes of Book C-2 the scenarios end with.
var (
	approvedNoCVM   = expect{status: contactless.StatusApproved, cvm: contactless.CVMNoCVM, msg: contactless.MsgApproved, hold: 13, data: true}
	approvedSign    = expect{status: contactless.StatusApproved, cvm: contactless.CVMObtainSignature, msg: contactless.MsgApprovedPleaseSign, hold: 13, receipt: true, data: true}
	approvedOnDev   = expect{status: contactless.StatusApproved, cvm: contactless.CVMConfirmationCodeVerified, msg: contactless.MsgApproved, hold: 13, data: true}
	onlineNoCVM     = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMNoCVM, msg: contactless.MsgAuthorisingPleaseWait, data: true}
	onlinePIN       = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMOnlinePIN, msg: contactless.MsgAuthorisingPleaseWait, data: true}
	declinedOutcome = expect{status: contactless.StatusDeclined, cvm: contactless.CVMNA, msg: contactless.MsgNotAuthorised, hold: 13, data: true}
	endApplication  = expect{status: contactless.StatusEndApplication, cvm: contactless.CVMNA, msg: contactless.MsgInsertSwipeOrTryAnother, hold: 13}
	selectNextC     = expect{status: contactless.StatusSelectNext, start: contactless.StartC, cvm: contactless.CVMNA}
	// seePhoneB is the outcome of a phone asking for a second tap (Book
	// C-2 S910): End Application at Start B, See Phone (Not Ready, the
	// Message Hold Time), the field off for the Hold Time Value 0D, See
	// Phone again (Ready to Read) on restart.
	seePhoneB = expect{status: contactless.StatusEndApplication, start: contactless.StartB, cvm: contactless.CVMNA,
		msg: contactless.MsgSeePhone, hold: 13, restartMsg: contactless.MsgSeePhone, restartStatus: contactless.UIReadyToRead, fieldOff: 0x0D}
)

// Commands of the common flows: GET PROCESSING OPTIONS, EXCHANGE RELAY
// RESISTANCE DATA, the records of the Mastercard profiles' AFL (SFI 1
// record 1, SFI 2 record 1, SFI 3 records 1 and 2), GENERATE AC.
const (
	cGPO  = "80A80000"
	cERRD = "80EA0000"
)

var reads = []string{"00B2010C", "00B20114", "00B2011C", "00B2021C"}

func flow(rrp bool, genAC string) []string {
	out := []string{cGPO}
	if rrp {
		out = append(out, cERRD)
	}
	out = append(out, reads...)
	if genAC != "" {
		out = append(out, genAC)
	}
	return out
}

// Error Indications (DF8115) of the scenarios: L1 L2 L3 SW1 SW2 Msg On Error.
const (
	errNone = "0000000000FF"
)

func endErr(l2 L2) string {
	return hexs([]byte{0, byte(l2), 0, 0, 0, 0x1C})
}

// scenario is one Kernel 2 test case on a virtual card, named after the
// Book C-2 requirement it checks.
type scenario struct {
	name    string
	profile func() *emvtest.Profile
	tweak   func(*emvtest.Profile)
	knobs   func(*emvtest.Card)
	opts    tapOpts
	want    expect
	tvr     string // TVR (95) in the Data Record; "" when there is none
	cvmRes  string // CVM Results (9F34) in the Data Record
	errInd  string // Error Indication (DF8115) in the Discretionary Data
	rrp     string // DF8306 || DF8307 when the protocol was performed
	cmds    []string
	check   func(t *testing.T, tp *tap, out *contactless.Outcome)
	// det, when not "", makes the terminal listen for data exchange and
	// answer every DEK with these DET data, detMillis after it (on the
	// test clock).
	det       string
	detMillis int
}

// detKernel is the kernel of a scenario or session whose terminal answers
// every DEK with the DET data det, ms milliseconds later on clk.
func detKernel(clk *clock, det string, ms int) *Kernel {
	cfg := Config{Clock: clk.now, Sleep: clk.sleep}
	if det != "" {
		data := h(det)
		cfg.DataExchange = func(ctx context.Context, _ DataExchange) (DET, error) {
			_ = clk.sleep(ctx, time.Duration(ms)*time.Millisecond)
			return DET{Data: data}, nil
		}
	}
	return New(cfg)
}

// TestScenarios runs every scenario and checks the outcome parameter set,
// the TVR, CVM Results and Error Indication, the relay resistance
// measurement and the commands sent.
func TestScenarios(t *testing.T) {
	list := []scenario{
		{
			name: "EMV mode: CDA offline approval with relay resistance (C-2 State 9, §7.6 CDA requested)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27))
				assert.Len(t, tag(t, out.DataRecord, 0x9F26), 16, "the cryptogram recovered from the SDAD")
				assert.Equal(t, "E06008"[:2]+"0808", tag(t, out.DataRecord, 0x9F33), "9F33: DF8117, DF8119, DF811F")
				assert.Equal(t, "A0000000041010", tag(t, out.DataRecord, 0x84))
				assert.Equal(t, "000000002000", tag(t, out.DataRecord, 0x9F02))
				assert.Equal(t, testUN, tag(t, out.DataRecord, 0x9F37))
				assert.Equal(t, "0840", tag(t, out.DiscretionaryData, 0x9F42))
				assert.Equal(t, []contactless.UIRequest{{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"}}, tp.ui)
				// The entropy of EXCHANGE RELAY RESISTANCE DATA is the Unpredictable Number.
				assert.Equal(t, "80EA000004"+testUN+"00", hexs(tp.rec.Entries()[1].Command))
			},
		},
		{
			name: "EMV mode: the card answers an ARQC to a TC request: Online Request (C-2 S910)", profile: emvtest.MastercardOnline,
			opts: tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
			},
		},
		{
			name: "EMV mode: the card declines (AAC, unsigned although CDA was requested): Declined", profile: emvtest.MastercardDecline,
			opts: tapOpts{amount: 2000}, want: declinedOutcome, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, "00", tag(t, out.DataRecord, 0x9F27))
				assert.Len(t, tag(t, out.DataRecord, 0x9F26), 16)
			},
		},
		{
			name: "relay resistance: the card does not support it: TVR RRP not performed, no ERRD (C-2 State 3)", profile: emvtest.MastercardNoRRP,
			opts: tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000001", cvmRes: "1F0302", errInd: errNone,
			cmds: flow(false, "80AE5000"),
		},
		{
			name: "relay resistance: the reader does not support it (Kernel Configuration b5 0): TVR RRP not supported", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF811B0120"}, want: approvedNoCVM, tvr: "0000000000", cvmRes: "1F0302", errInd: errNone,
			cmds: flow(false, "80AE5000"),
		},
		{
			name: "relay resistance: too slow three times: time limits exceeded, ARQC by TAC-Online (C-2 State R1)", profile: emvtest.MastercardSlowRRP,
			opts: tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "0000000006", cvmRes: "1F0302", errInd: errNone, rrp: "009E02",
			cmds: append([]string{cGPO, cERRD, cERRD, cERRD}, append(reads, "80AE9000")...),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				e := tp.rec.Entries()
				// Each retry draws a new Unpredictable Number as the entropy,
				// and the last one goes into CDOL1.
				assert.Equal(t, "80EA000004"+testUN+"00", hexs(e[1].Command))
				assert.Equal(t, "80EA00000455667788"+"00", hexs(e[2].Command))
				assert.Equal(t, "80EA00000499AABBCC"+"00", hexs(e[3].Command))
				assert.Equal(t, "99AABBCC", tag(t, out.DataRecord, 0x9F37))
			},
		},
		{
			name: "relay resistance: slow once, in time on the retry: performed, RRP Counter 1 (C-2 State R1)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(0xEA), Nth: 1, Delay: 10 * time.Millisecond})
			},
			opts: tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001401",
			cmds: append([]string{cGPO, cERRD, cERRD}, append(reads, "80AE5000")...),
		},
		{
			name: "relay resistance: transmission times mismatch: threshold exceeded (C-2 State R1)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].RelayResistance.EstimatedTransmission = 0x0005 },
			opts:  tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "000000000A", cvmRes: "1F0302", errInd: errNone, rrp: "002700",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "relay resistance: beyond the accuracy threshold: threshold exceeded (C-2 State R1)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF81360200 02"}, want: onlineNoCVM, tvr: "000000000A", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "relay resistance: faster than the card's minimum time: End Application, CARD DATA ERROR (C-2 State R1)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].RelayResistance.MinTime = 0x0064 },
			opts:  tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2CardDataError),
			cmds: []string{cGPO, cERRD},
		},
		{
			name: "relay resistance: ERRD answered 6A81: End Application, STATUS BYTES (C-2 State R1)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) { c.AnswerSW(0xEA, 0x6A81) },
			opts:  tapOpts{amount: 2000}, want: endApplication, errInd: "0003006A811C",
			cmds: []string{cGPO, cERRD},
		},
		{
			name: "relay resistance: ERRD response of 9 bytes: End Application, PARSING ERROR (C-2 State R1)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(0xEA), Corrupt: emvtest.ReplaceData, SW: 0x9000, Value: h("8009112233440010003000")})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2ParsingError),
			cmds: []string{cGPO, cERRD},
		},
		{
			name: "State 3: GPO answered 6985: Select Next at Start C, STATUS BYTES", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].GPORefused = true },
			opts:  tapOpts{amount: 2000}, want: selectNextC, errInd: "0003006985FF",
			cmds: []string{cGPO},
		},
		{
			name: "State 3: GPO response format 1 (80): EMV mode goes on", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].GPOFormat = 1 },
			opts:  tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "State 3: AIP without EMV mode: End Application, MAGSTRIPE NOT SUPPORTED", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].AIP = h("1901") },
			opts:  tapOpts{amount: 2000, extraData: "DF811B01B0"}, want: endApplication, errInd: endErr(l2MagstripeNotSupported),
			cmds: []string{cGPO},
		},
		{
			name: "State 3: Kernel Configuration without EMV mode: End Application, MAGSTRIPE NOT SUPPORTED", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF811B01F0"}, want: endApplication, errInd: endErr(l2MagstripeNotSupported),
			cmds: []string{cGPO},
		},
		{
			name: "State 3: GPO response without the AFL: End Application, CARD DATA MISSING", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.DropTag, Tag: 0x94})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2CardDataMissing),
			cmds: []string{cGPO},
		},
		{
			name: "State 3: an AFL of 5 bytes: End Application, CARD DATA ERROR", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.ReplaceValue, Tag: 0x94, Value: h("1001010100")})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2CardDataError),
			cmds: []string{cGPO},
		},
		{
			name: "State 3: GPO response with the AIP twice: End Application, PARSING ERROR", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.DuplicateTag, Tag: 0x82})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2ParsingError),
			cmds: []string{cGPO},
		},
		{
			name: "State 3: EMV mode leaves a first AFL entry 08010100 out of the Active AFL", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.ReplaceValue, Tag: 0x94, Value: h("08010100 10010101 18010200")})
			},
			// The card signed its SFI 1 record into the static data, which
			// the kernel no longer reads: CDA fails after GENERATE AC.
			opts: tapOpts{amount: 2000}, want: declinedOutcome, tvr: "0400000002", cvmRes: "1F0302", errInd: "0002000000FF", rrp: "001400",
			cmds: []string{cGPO, cERRD, "00B20114", "00B2011C", "00B2021C", "80AE5000"},
		},
		{
			name: "State 3: mag-stripe mode not allowed (Kernel Configuration b8 1): the entry 08010100 is read (C-2 S3.30)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGetProcessingOptions), Corrupt: emvtest.ReplaceValue, Tag: 0x94, Value: h("08010100 10010101 18010200")})
			},
			// The record is read but not signed data: CDA fails as above.
			opts: tapOpts{amount: 2000, extraData: "DF811B01B0"}, want: declinedOutcome, tvr: "0400000002", cvmRes: "1F0302", errInd: "0002000000FF", rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "State 4: READ RECORD answered 6A83: End Application, STATUS BYTES", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) { c.Inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), SW: 0x6A83}) },
			opts:  tapOpts{amount: 2000}, want: endApplication, errInd: "0003006A831C", rrp: "001400",
			cmds: []string{cGPO, cERRD, "00B2010C", "00B20114"},
		},
		{
			name: "State 4: a record of SFI 2 that is not a template 70: End Application, PARSING ERROR", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), Corrupt: emvtest.ReplaceData, SW: 0x9000, Value: h("7103 5A0112")})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2ParsingError), rrp: "001400",
			cmds: []string{cGPO, cERRD, "00B2010C", "00B20114"},
		},
		{
			name: "State 4: a data object in two records: End Application, PARSING ERROR", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), Corrupt: emvtest.DuplicateTag, Tag: 0x5A})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2ParsingError), rrp: "001400",
			cmds: []string{cGPO, cERRD, "00B2010C", "00B20114"},
		},
		{
			name: "S456: no CDOL1 in the records: End Application, CARD DATA MISSING", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), Corrupt: emvtest.DropTag, Tag: 0x8C})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2CardDataMissing), rrp: "001400",
			cmds: flow(true, ""),
		},
		{
			name: "S456: amount above the Reader Contactless Transaction Limit (no on-device CVM): Select Next, MAX LIMIT EXCEEDED", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 30001}, want: selectNextC, errInd: "0005000000FF", rrp: "001400",
			cmds: flow(true, ""),
		},
		{
			name: "S456: on-device CVM card under its own transaction limit (DF8125), above the CVM limit: Confirmation Code Verified (C-2 §7.5)", profile: emvtest.MastercardPhone,
			opts: tapOpts{amount: 6000}, want: approvedOnDev, tvr: "0000000002", cvmRes: "010002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "S456: on-device CVM card above the 300.00 limit for cards, under DF8125: floor limit exceeded, Online Request, Confirmation Code Verified", profile: emvtest.MastercardPhone,
			opts: tapOpts{amount: 60000}, want: with(onlineNoCVM, func(e *expect) { e.cvm = contactless.CVMConfirmationCodeVerified }),
			tvr: "0000008002", cvmRes: "010002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "S456: on-device CVM card under the CVM limit: No CVM, CVM Results 3F0002 (C-2 §7.5)", profile: emvtest.MastercardPhone,
			opts: tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "3F0002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "S456: on-device CVM card, reader without on-device CVM (Kernel Configuration b6 0): the CVM list, online PIN", profile: emvtest.MastercardPhone,
			opts: tapOpts{amount: 6000, extraData: "DF811B0110"}, want: onlinePIN, tvr: "0000040002", cvmRes: "420300", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "CVM Selection: above the CVM Required Limit, online PIN (C-2 §7.5)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 6000}, want: onlinePIN, tvr: "0000040002", cvmRes: "420300", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, "E06008", tag(t, out.DataRecord, 0x9F33), "9F33 byte 2: CVM Capability – CVM Required")
			},
		},
		{
			name: "CVM Selection: signature only above the limit: Obtain Signature, Approved Please Sign, receipt (C-2 §7.5)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 6000, extraData: "DF81180120"}, want: approvedSign, tvr: "0000000002", cvmRes: "1E0300", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "CVM Selection: no CVM the reader supports: cardholder verification not successful, 3F0001, ARQC (C-2 §7.5)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 6000, extraData: "DF81180100"}, want: onlineNoCVM, tvr: "0000800002", cvmRes: "3F0001", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "CVM Selection: CVM List absent: No CVM, 3F0000, ICC data missing (C-2 §7.5)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].CVMList = nil },
			opts:  tapOpts{amount: 2000, noCAKeys: true}, want: onlineNoCVM, tvr: "2400000002", cvmRes: "3F0000", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE8000"),
		},
		{
			name: "CVM Selection: the card does not support cardholder verification (AIP byte 1 b5): No CVM, 3F0000", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].AIP = h("0981") },
			opts:  tapOpts{amount: 6000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "3F0000", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "CVM Selection: Fail CVM rule: not successful, rule with result 01 (C-2 §7.5)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].CVMList = h("0000000000000000 0000") },
			opts:  tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "0000800002", cvmRes: "000001", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "CVM Selection: a CVM not supported that does not apply succeeding rules: not successful, 3F0001 (C-2 CVM.25)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].CVMList = h("0000000000000000 0200 1F00") },
			opts:  tapOpts{amount: 6000, extraData: "DF81180120"}, want: onlineNoCVM, tvr: "0000800002", cvmRes: "3F0001", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "CVM Selection: Fail CVM that applies succeeding rules: the next rule, No CVM (C-2 CVM.19)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].CVMList = h("0000000000000000 4000 1F00") },
			opts:  tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "1F0002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "CVM Selection: an unrecognised CVM that applies succeeding rules: unrecognised CVM, then No CVM", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].CVMList = h("0000000000000000 7500 1F00") },
			opts:  tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000400002", cvmRes: "1F0002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "Terminal risk management: floor limit exceeded: ARQC (C-2 S456.36)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF8123 06 000000001000"}, want: onlineNoCVM, tvr: "0000008002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "Terminal risk management: card on the exception file: ARQC", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, exceptionFile: true}, want: onlineNoCVM, tvr: "1000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "Processing restrictions: expired application: ARQC (C-2 §7.7)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].ExpiryDate = "201231" },
			opts:  tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "0040000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "Processing restrictions: application not yet effective, not in the action codes: TC (C-2 §7.7)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].EffectiveDate = "271231" },
			opts:  tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0020000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "Processing restrictions: different application versions (9F08 0002, 9F09 0003) (C-2 §7.7)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, terminal: "9F1A0208405F2A0208405F3601029F3501229F4005F000F0A0019F09020003"}, want: approvedNoCVM, tvr: "0080000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "Processing restrictions: AUC without domestic cashback, a purchase with cashback: service not allowed, ARQC (C-2 §7.7)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, other: 500, typ: 0x09}, want: onlineNoCVM, tvr: "0010000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "Terminal action analysis: a refund asks for an AAC, without CDA (C-2 §7.8, §7.6)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, typ: 0x20}, want: declinedOutcome, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE0000"),
		},
		{
			name: "Terminal action analysis: online-only reader (9F35 21): ARQC with CDA (C-2 §7.8)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, terminal: "9F1A0208405F2A0208405F3601029F3501219F4005F000F0A0019F09020002"}, want: onlineNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE9000"),
		},
		{
			name: "Terminal action analysis: offline-only reader (9F35 23), floor limit exceeded: TAC-Default, AAC (C-2 §7.8)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, terminal: "9F1A0208405F2A0208405F3601029F3501239F4005F000F0A0019F09020002", extraData: "DF8123 06 000000001000"},
			want: declinedOutcome, tvr: "0000008002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE0000"),
		},
		{
			name: "Terminal action analysis: TAC-Denial matches relay resistance performed: AAC (C-2 §7.8)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF8121 05 0000000002"}, want: declinedOutcome, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE0000"),
		},
		{
			name: "ODA: no CA public key: CDA failed before GENERATE AC, not requested, ARQC (C-2 S456.25)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, noCAKeys: true}, want: onlineNoCVM, tvr: "0400000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE8000"),
		},
		{
			name: "ODA: the reader without CDA (Security Capability 00): ODA not performed, ARQC without CDA", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF811F0100"}, want: onlineNoCVM, tvr: "8000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE8000"),
		},
		{
			name: "ODA: the card without CDA (AIP 1880): ODA not performed, ARQC without CDA", profile: emvtest.MastercardNoRRP,
			tweak: func(p *emvtest.Profile) { p.Applications[0].AIP = h("1880") },
			opts:  tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "8000000001", cvmRes: "1F0302", errInd: errNone,
			// A card without ODA has no key chain records (SFI 3).
			cmds: []string{cGPO, "00B2010C", "00B20114", "80AE8000"},
		},
		{
			name: "ODA: ICC public key certificate missing: ICC data missing, CDA failed (C-2 S456.25)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.DropTag, Tag: 0x9F46})
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(3, 1), Corrupt: emvtest.DropTag, Tag: 0x9F46})
			},
			opts: tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "2400000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE8000"),
		},
		{
			name: "ODA: no Static Data Authentication Tag List: ICC data missing, CDA failed (C-2 S456.25)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].SDATagList = nil },
			opts:  tapOpts{amount: 2000}, want: onlineNoCVM, tvr: "2400000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE8000"),
		},
		{
			name: "ODA: a Static Data Authentication Tag List other than 82: End Application, CARD DATA ERROR (C-2 S456.27)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(2, 1), Corrupt: emvtest.ReplaceValue, Tag: 0x9F4A, Value: h("9F37")})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2CardDataError), rrp: "001400",
			cmds: flow(true, ""),
		},
		{
			name: "CDA: a signature over the wrong data: CDA failed, Declined, CAM FAILED (C-2 State 9)", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
			opts:  tapOpts{amount: 2000}, want: declinedOutcome, tvr: "0400000002", cvmRes: "1F0302", errInd: "0002000000FF", rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "CDA: the relay resistance data differs from what was exchanged: CDA failed, Declined (C-2 State 9)", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				// A relay answers EXCHANGE RELAY RESISTANCE DATA itself, at
				// once: the card never saw it and signs no relay resistance
				// data.
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(0xEA), Corrupt: emvtest.ReplaceData, SW: 0x9000, Value: h("800A 01020304 0010 0030 0018")})
			},
			opts: tapOpts{amount: 2000}, want: declinedOutcome, tvr: "0400000002", cvmRes: "1F0302", errInd: "0002000000FF", rrp: "000000",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "State 9: GENERATE AC answered 6985: End Application, STATUS BYTES", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) { c.AnswerSW(apdu.InsGenerateAC, 0x6985) },
			opts:  tapOpts{amount: 2000}, want: endApplication, errInd: "00030069851C", rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "State 9: GENERATE AC without 9F27: End Application, CARD DATA MISSING", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.DropTag, Tag: 0x9F27})
			},
			opts: tapOpts{amount: 2000}, want: endApplication, errInd: endErr(l2CardDataMissing), rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "State 9: a TC answered to an ARQC request: End Application, CARD DATA ERROR", profile: emvtest.MastercardOffline,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.ReplaceValue, Tag: 0x9F27, Value: h("40")})
			},
			opts: tapOpts{amount: 2000, noCAKeys: true}, want: endApplication, errInd: endErr(l2CardDataError), rrp: "001400",
			cmds: flow(true, "80AE8000"),
		},
		{
			name: "State 9: GENERATE AC format 1 without CDA: Online Request with 9F26 of the response", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].GenACFormat = 1 },
			opts:  tapOpts{amount: 2000, noCAKeys: true}, want: onlineNoCVM, tvr: "0400000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE8000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Len(t, tag(t, out.DataRecord, 0x9F26), 16)
				assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
			},
		},
		{
			name: "S910: a phone answers an AAC with POS Cardholder Interaction Information 000100 (OD-CVM required): End Application at Start B, See Phone", profile: emvtest.MastercardPhoneConfirm,
			opts: tapOpts{amount: 6000}, want: seePhoneB, errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, []contactless.UIRequest{{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"}}, tp.ui)
			},
		},
		{
			name: "S910: a phone's AAC with the Phone Message Table DF8131 of the terminal data: its message (Present Card Again) on the outcome", profile: emvtest.MastercardPhoneConfirm,
			opts: tapOpts{amount: 6000, extraData: "DF813108 000100 000100 21 00 DF81300105"},
			want: with(seePhoneB, func(e *expect) { e.msg, e.fieldOff = contactless.MsgPresentCardAgain, 5 }), errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "S910: an AAC whose POS Cardholder Interaction Information asks nothing of the cardholder (001000): Declined", profile: emvtest.MastercardPhoneConfirm,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.ReplaceValue, Tag: 0xDF4B, Value: h("001000")})
			},
			opts: tapOpts{amount: 6000}, want: declinedOutcome, tvr: "0000000002", cvmRes: "010002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "S910: an AAC with a POS Cardholder Interaction Information of 2 bytes: Declined", profile: emvtest.MastercardPhoneConfirm,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.ReplaceValue, Tag: 0xDF4B, Value: h("0001")})
			},
			opts: tapOpts{amount: 6000}, want: declinedOutcome, tvr: "0000000002", cvmRes: "010002", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
		},
		{
			name: "State 2: the PDOL asks for 9F35 the terminal lacks: DEK with Data Needed, the DET in time (500 ms) fills GPO and CDOL1", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].PDOL = h(pdolWithTerminalType) },
			opts:  tapOpts{amount: 2000, terminal: terminalNo9F35}, det: "9F350122", detMillis: 500,
			want: approvedNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, gpoWith("22"), hexs(tp.rec.Entries()[0].Command))
				assert.Equal(t, "22", tag(t, out.DataRecord, 0x9F35))
			},
		},
		{
			name: "State 2: the DET comes after the Time Out Value (501 ms): End Application, L3 TIME OUT, no command", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].PDOL = h(pdolWithTerminalType) },
			opts:  tapOpts{amount: 2000, terminal: terminalNo9F35}, det: "9F350122", detMillis: 501,
			want: endApplicationTimeOut, errInd: errTimeOut,
		},
		{
			name: "State 1: terminal data of the wrong length (DF8120 of 4 bytes): End Application, TERMINAL DATA ERROR, no command", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, kernelData: "DF812004F4508480"}, want: endApplication, errInd: endErr(l2TerminalDataError),
		},
		{
			name: "State 1: no PDOL in the FCI: GPO with empty PDOL data", profile: emvtest.MastercardOffline,
			tweak: func(p *emvtest.Profile) { p.Applications[0].PDOL = nil },
			opts:  tapOpts{amount: 2000}, want: approvedNoCVM, tvr: "0000000002", cvmRes: "1F0302", errInd: errNone, rrp: "001400",
			cmds: flow(true, "80AE5000"),
			check: func(t *testing.T, tp *tap, out *contactless.Outcome) {
				assert.Equal(t, "80A8000002830000", hexs(tp.rec.Entries()[0].Command))
			},
		},
	}
	for _, sc := range list {
		t.Run(sc.name, func(t *testing.T) {
			p := sc.profile()
			if sc.tweak != nil {
				sc.tweak(p)
			}
			card := emvtest.NewCard(p)
			if sc.knobs != nil {
				sc.knobs(card)
			}
			tp := newTap(t, card, sc.opts)
			tl := &timedLink{t: card, clk: tp.clock}
			tp.rec = apdu.NewRecorder(tl)
			tp.act.Card = tp.rec
			out, err := detKernel(tp.clock, sc.det, sc.detMillis).Activate(context.Background(), tp.act)
			require.NoError(t, err)
			if *update {
				recordSession(t, &sc, tp, tl, out)
			}
			assert.Equal(t, sc.want.params(), out.Parameters)
			if sc.tvr == "" {
				assert.Nil(t, out.DataRecord)
			} else {
				require.NotNil(t, out.DataRecord)
				assert.Equal(t, sc.tvr, tag(t, out.DataRecord, 0x95), "TVR")
				assert.Equal(t, sc.cvmRes, tag(t, out.DataRecord, 0x9F34), "CVM Results")
			}
			assert.Equal(t, stripSpaces(sc.errInd), tag(t, out.DiscretionaryData, tagErrorIndication), "Error Indication")
			if sc.rrp == "" {
				assert.Equal(t, "absent", tag(t, out.DiscretionaryData, tagMeasuredRRPTime))
			} else {
				assert.Equal(t, sc.rrp, tag(t, out.DiscretionaryData, tagMeasuredRRPTime)+tag(t, out.DiscretionaryData, tagRRPCounter), "DF8306 DF8307")
			}
			assert.Equal(t, sc.cmds, tp.headers())
			if sc.check != nil {
				sc.check(t, tp, out)
			}
		})
	}
}

func with(e expect, f func(*expect)) expect { f(&e); return e }

func stripSpaces(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		if c != ' ' {
			out = append(out, c)
		}
	}
	return string(out)
}
