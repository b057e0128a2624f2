package kernel2

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The mag-stripe mode outcomes (Book C-2 S13.25, S13.26): Online Request with the CVM
// of the Mag-stripe CVM Capability.
var (
	msOnlineNoCVM = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMNoCVM, msg: contactless.MsgAuthorisingPleaseWait, data: true}
	msOnlinePIN   = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMOnlinePIN, msg: contactless.MsgAuthorisingPleaseWait, data: true}
	msOnlineSign  = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMObtainSignature, msg: contactless.MsgAuthorisingPleaseWait, receipt: true, data: true}
	msOnlineCCV   = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMConfirmationCodeVerified, msg: contactless.MsgAuthorisingPleaseWait, data: true}
	msOnlineNA    = expect{status: contactless.StatusOnlineRequest, cvm: contactless.CVMNA, msg: contactless.MsgAuthorisingPleaseWait, data: true}
)

// msCaps is the Mag-stripe CVM Capability of the mag-stripe scenarios:
// online PIN above the Reader CVM Required Limit (DF811E 20), no CVM up to
// it (DF812C 00).
const msCaps = "DF811E0120 DF812C0100"

// msGPO is GET PROCESSING OPTIONS of the mag-stripe card with the amount
// (PDOL 9F0206 9F1A02 5F2A02 9A03 9C01 9F3704).
func msGPO(amount uint64) string {
	return fmt.Sprintf("80A80000148312%012d0840084026120200%s00", amount, testUN)
}

// The records of mastercard-magstripe's AFL 08010100 10010101: the
// mag-stripe record, then the application data.
var msReads = []string{"00B2010C00", "00B2011400"}

// The Unpredictable Number (Numeric) of the scenarios: the reader's random
// 11223344 (287454020) modulo 10^5, nUN being 5 (PUNATC (Track2) 0F8E has
// eight 1 bits, NATC (Track2) 3): 54020, sent as 00054020.
const msUN = "00054020"

func msCCC(udolData string) string {
	return "802A8E80" + fmt.Sprintf("%02X", len(h(udolData))) + stripSpaces(udolData) + "00"
}

func msCmds(amount uint64, ccc string) []string {
	out := append([]string{msGPO(amount)}, msReads...)
	if ccc != "" {
		out = append(out, ccc)
	}
	return out
}

// msScenario is one mag-stripe mode tap: the exact commands, the exact
// Data Record and Discretionary Data.
type msScenario struct {
	name    string
	profile func() *emvtest.Profile
	tweak   func(*emvtest.Profile)
	knobs   func(*emvtest.Card)
	opts    tapOpts
	want    expect
	cmds    []string
	record  string // the Data Record, "" for none
	discr   string // the Discretionary Data
	readOK  bool   // Card Read Successfully before an error outcome
}

// TestMagstripeScenarios taps the mag-stripe Mastercard (and an EMV mode
// one) in mag-stripe mode and checks the Outcome Parameter Set, every
// command byte for byte, the Data Record with the tracks as the kernel
// built them and the Discretionary Data with the Error Indication and the
// DD Card data objects.
//
// The track data of the first scenario, worked by hand (Book C-2 S13.18 to S13.22): CVC3
// (Track2) 205F is 8287, its 3 least significant digits 287 go to the bits
// of PCVC3 (Track2) 0070 (bits 7-5, the 5th to 7th digits from the right of
// the discretionary data 000000000000); the nUN = 5 digits 54020 of the
// Unpredictable Number (Numeric) go to the five lowest 1 bits of PUNATC
// (Track2) 0F8E (bits 2, 3, 4, 8, 9); the NATC = 3 digits 065 of the ATC
// 0041 (65) to its three highest (bits 10, 11, 12); the last digit is nUN.
// The discretionary data becomes 0 6 5 | 5 4 | 2 8 7 | 0 2 0 | 5 =
// 065542870205. Track 1 the same way with CVC3 (Track1) E461 (58465):
// 465 at PCVC3 (Track1) 000000000E00, 54020 and 065 at PUNATC (Track1)
// 0000000001FE, nUN last: ...465065540205 in ASCII. With the random
// FFFFFFFF the UN (Numeric) is 4294967295 modulo 10^5, 00067295.
func TestMagstripeScenarios(t *testing.T) {
	const (
		track1   = "563A42353431333333303038393031303038375E4D41475354524950452F544553545E33303132323031303030303030343635303635353430323035"
		track2   = "9F6B125413330089010087D3012201065542870205"
		fciTail  = "500A4D4153544552434152449F120A4D6173746572636172648407A0000000041010"
		ddCards  = "DF812A12303030303030303030303030303030303030DF812B06000000000000" // as the card returned them
		discrOK  = "9F42020840DF8115060000000000FF" + ddCards
		udol2000 = msUN + "000000002000 0840"
		// The phone's tracks: the same UN and ATC, its own CVC3 (Track2)
		// digits 313 and (Track1) 418 (its key derives from its PAN).
		phoneRecord = "563B42353431333333303038393031303039355E4D41475354524950452F50484F4E455E33303132323031303030303030343138303635353430323035" +
			"9F6B125413330089010095D3012201065543130205" + "50104D4153544552434152442050484F4E45" + "9F120A4D6173746572636172648407A0000000041010"
		// After "OD-CVM verification successful" the tracks end with nUN'
		// = (5 + 5) mod 10 = 0 instead of 5 (S13.14.8, S14.24).
		phoneRecordVerified = "563B42353431333333303038393031303039355E4D41475354524950452F50484F4E455E33303132323031303030303030343138303635353430323030" +
			"9F6B125413330089010095D3012201065543130200" + "50104D4153544552434152442050484F4E45" + "9F120A4D6173746572636172648407A0000000041010"
		discrNone = "9F42020840DF8115060000000000FF"
		udol6000p = msUN + "02 000000006000 0840"
	)
	declinedMS := expect{status: contactless.StatusDeclined, cvm: contactless.CVMNA, msg: contactless.MsgNotAuthorised, hold: 13}
	ccc := func(f emvtest.Fault) func(*emvtest.Card) {
		return func(c *emvtest.Card) {
			f.Match = emvtest.OnINS(emvtest.InsComputeCryptographicChecksum)
			c.Inject(f)
		}
	}
	list := []msScenario{
		{
			name: "mag-stripe mode: AIP without EMV mode, CVC3 and the UN in Track 1 and Track 2, No CVM up to the CVM Required Limit: Online Request (C-2 S78, S13)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: msOnlineNoCVM,
			cmds:   msCmds(2000, msCCC(udol2000)),
			record: track1 + track2 + fciTail, discr: discrOK,
		},
		{
			name: "mag-stripe mode: amount above the Reader CVM Required Limit: Mag-stripe CVM Capability – CVM Required 20, Online PIN (C-2 S78)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 6000, extraData: msCaps}, want: msOnlinePIN,
			cmds:   msCmds(6000, msCCC(msUN+"000000006000 0840")),
			record: track1 + track2 + fciTail, discr: discrOK,
		},
		{
			name: "mag-stripe mode: Mag-stripe CVM Capability – CVM Required 10: Obtain Signature with a receipt (C-2 S78)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 6000, extraData: "DF811E0110 DF812C0100"}, want: msOnlineSign,
			cmds:   msCmds(6000, msCCC(msUN+"000000006000 0840")),
			record: track1 + track2 + fciTail, discr: discrOK,
		},
		{
			name: "mag-stripe mode: no Mag-stripe CVM Capability configured (defaults F0): CVM N/A (C-2 Annex A)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 2000}, want: msOnlineNA,
			cmds:   msCmds(2000, msCCC(udol2000)),
			record: track1 + track2 + fciTail, discr: discrOK,
		},
		{
			name: "mag-stripe mode: Mag-stripe Application Version Number (Reader) 9F6D heads the Data Record (C-2 S13)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 2000, extraData: msCaps + "9F6D020001"}, want: msOnlineNoCVM,
			cmds:   msCmds(2000, msCCC(udol2000)),
			record: "9F6D020001" + track1 + track2 + fciTail, discr: discrOK,
		},
		{
			name: "mag-stripe mode: a card without Track 1 Data: Track 2 only, no CVC3 (Track1), DD Card (Track2) only (C-2 S78)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) { p.Applications[0].MagStripe.Track1 = "" },
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: msOnlineNoCVM,
			cmds:   msCmds(2000, msCCC(udol2000)),
			record: track2 + fciTail, discr: "9F42020840DF8115060000000000FF DF812B06000000000000",
		},
		{
			name: "mag-stripe mode: a card without UDOL: the Default UDOL 9F6A04, the UN (Numeric) alone (C-2 S78, Annex A DF811A)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) { p.Applications[0].MagStripe.UDOL = nil },
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: msOnlineNoCVM,
			cmds:   msCmds(2000, msCCC(msUN)),
			record: track1 + track2 + fciTail, discr: discrOK,
		},
		{
			name: "mag-stripe mode: a card without UDOL and the terminal's Default UDOL DF811A 9F6A049F0206: its data sent, the card refuses the length (6700): End Application, STATUS BYTES (C-2 S78)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) { p.Applications[0].MagStripe.UDOL = nil },
			opts:  tapOpts{amount: 2000, extraData: msCaps + "DF811A069F6A049F0206"}, want: endApplication,
			cmds: msCmds(2000, msCCC(msUN+"000000002000")), discr: "9F42020840DF8115060003006700" + "1C",
		},
		{
			name: "mag-stripe mode: another reader random: the UN (Numeric) keeps its 5 least significant digits (C-2 S78)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 2000, extraData: msCaps, rand: h("FFFFFFFF 55667788")}, want: msOnlineNoCVM,
			cmds: []string{"80A800001483120000000020000840084026120200FFFFFFFF00", "00B2010C00", "00B2011400",
				msCCC("00067295 000000002000 0840")},
			record: "563A42353431333333303038393031303038375E4D41475354524950452F544553545E33303132323031303030303030323733303635363732393535" +
				"9F6B125413330089010087D3012201065670312955" + fciTail,
			discr: discrOK,
		},
		{
			name: "mag-stripe mode not supported (Kernel Configuration b8 1) and no EMV mode in the AIP: End Application, MAGSTRIPE NOT SUPPORTED (C-2 State 3)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 2000, extraData: "DF811B01B0"}, want: endApplication,
			cmds:  []string{msGPO(2000)},
			discr: "DF8115060007000000" + "1C",
		},
		{
			name: "mag-stripe mode on an EMV mode card (Kernel Configuration b7 1): the whole AFL read, no Track 2 Data 9F6B: End Application, CARD DATA MISSING (C-2 S78)", profile: emvtest.MastercardOffline,
			opts: tapOpts{amount: 2000, extraData: "DF811B0160"}, want: endApplication,
			cmds:  []string{msGPO(2000), "00B2010C00", "00B2011400", "00B2011C00", "00B2021C00"},
			discr: "9F42020840DF8115060001000000" + "1C",
		},
		{
			name: "mag-stripe mode: the mag-stripe record without PUNATC (Track2) 9F66: End Application, CARD DATA MISSING (C-2 S78)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(1, 1), Corrupt: emvtest.DropTag, Tag: 0x9F66})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, ""), discr: "9F42020840DF8115060001000000" + "1C",
		},
		{
			name: "mag-stripe mode: Track 1 Data without NATC (Track1) 9F64: End Application, CARD DATA ERROR (C-2 S7.22, S7.24)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(1, 1), Corrupt: emvtest.DropTag, Tag: 0x9F64})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, ""), discr: "9F42020840DF8115060006000000" + "1C",
		},
		{
			name: "mag-stripe mode: amount above the Reader Contactless Transaction Limit: Select Next at Start C, MAX LIMIT EXCEEDED, no CCC (C-2 S78.10, S78.11)", profile: emvtest.MastercardMagStripe,
			opts: tapOpts{amount: 40000, extraData: msCaps}, want: selectNextC,
			cmds: msCmds(40000, ""), discr: "9F42020840DF8115060005000000FF",
		},
		{
			name: "mag-stripe mode: NATC (Track2) above the 1 bits of PUNATC (Track2), nUN below 0: End Application, CARD DATA ERROR (C-2 S78)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) { p.Applications[0].MagStripe.NATCTrack2 = 9 },
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, ""), discr: "9F42020840DF8115060006000000" + "1C",
		},
		{
			name: "mag-stripe mode: PCVC3 (Track2) names a digit beyond the discretionary data: End Application, CARD DATA ERROR (C-2 S78)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) { p.Applications[0].MagStripe.PCVC3Track2 = h("8070") },
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, ""), discr: "9F42020840DF8115060006000000" + "1C",
		},
		{
			name: "mag-stripe mode: Track 1 bitmaps give another nUN than Track 2: End Application, CARD DATA ERROR (C-2 S78)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) { p.Applications[0].MagStripe.NATCTrack1 = 2 },
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, ""), discr: "9F42020840DF8115060006000000" + "1C",
		},
		{
			name: "mag-stripe mode: Track 2 Data without discretionary data (no digit for nUN): End Application, CARD DATA ERROR (C-2 S78)", profile: emvtest.MastercardMagStripe,
			tweak: func(p *emvtest.Profile) {
				p.Applications[0].MagStripe.Track2 = h("5413330089010087D3012201")
				p.Applications[0].MagStripe.PCVC3Track2 = h("0000")
				p.Applications[0].MagStripe.PUNATCTrack2 = h("0000")
				p.Applications[0].MagStripe.NATCTrack2 = 0
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, ""), discr: "9F42020840DF8115060006000000" + "1C",
		},
		{
			name: "State 13: COMPUTE CRYPTOGRAPHIC CHECKSUM answered 6985: End Application, STATUS BYTES (C-2 State 13)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), SW: 0x6985})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060003006985" + "1C",
		},
		{
			name: "State 13: the CCC response without CVC3 (Track2) 9F61: End Application, CARD DATA MISSING (C-2 State 13)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), Corrupt: emvtest.DropTag, Tag: 0x9F61})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060001000000" + "1C", readOK: true,
		},
		{
			name: "State 13: the CCC response with an ATC of 3 bytes: End Application, CARD DATA ERROR (C-2 State 13)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), Corrupt: emvtest.ReplaceValue, Tag: 0x9F36, Value: h("000041")})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060006000000" + "1C", readOK: true,
		},
		{
			name: "State 13: the CCC response a truncated TLV: End Application, PARSING ERROR (C-2 State 13)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), Corrupt: emvtest.BreakTLV})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060004000000" + "1C",
		},
		{
			name: "State 13: the CCC response in template 80: End Application, PARSING ERROR (C-2 State 13)", profile: emvtest.MastercardMagStripe,
			knobs: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), Corrupt: emvtest.ReplaceData, Value: h("80049F610200")})
			},
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060004000000" + "1C",
		},
		{
			name: "mag-stripe mode, phone: on-device CVM above the CVM Required Limit: Mobile Support Indicator OD-CVM required (02) in the UDOL data, CVM Confirmation Code Verified (C-2 S78.18 to S78.20)", profile: emvtest.MastercardMagStripePhone,
			opts: tapOpts{amount: 6000, extraData: msCaps}, want: msOnlineCCV,
			cmds:   msCmds(6000, msCCC(udol6000p)),
			record: phoneRecordVerified, discr: discrOK,
		},
		{
			name: "mag-stripe mode, phone: up to the CVM Required Limit: Mobile Support Indicator 00, No CVM (C-2 S78.18, S78.19)", profile: emvtest.MastercardMagStripePhone,
			opts: tapOpts{amount: 2000, extraData: msCaps}, want: msOnlineNoCVM,
			cmds:   msCmds(2000, msCCC(msUN+"00 000000002000 0840")),
			record: phoneRecord, discr: discrOK,
		},
		{
			name: "State 14: the phone asks for verification on the phone (no CVC3, DF4B 000100): See Phone from the Phone Message Table, End Application at Start B, field off for the Hold Time Value (C-2 S14.19.1, S14.22, S14.23)", profile: emvtest.MastercardMagStripePhoneConfirm,
			opts: tapOpts{amount: 6000, extraData: msCaps}, want: seePhoneB,
			cmds: msCmds(6000, msCCC(udol6000p)), discr: discrNone, readOK: true,
		},
		{
			name: "State 14: no POS Cardholder Interaction Information DF4B: End Application, CARD DATA MISSING (C-2 S14.14, S14.17)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.DropTag, Tag: 0xDF4B}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(msUN+"00 000000002000 0840")), discr: "9F42020840DF8115060001000000" + "1C", readOK: true,
		},
		{
			name: "State 14: no ATC 9F36: End Application, CARD DATA MISSING (C-2 S14.14, S14.17)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.DropTag, Tag: 0x9F36}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(msUN+"00 000000002000 0840")), discr: "9F42020840DF8115060001000000" + "1C", readOK: true,
		},
		{
			name: "State 14: DF4B of 2 bytes: End Application, CARD DATA ERROR (C-2 State 14, Annex A)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.ReplaceValue, Tag: 0xDF4B, Value: h("0010")}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(msUN+"00 000000002000 0840")), discr: "9F42020840DF8115060006000000" + "1C", readOK: true,
		},
		{
			name: "State 14: above the CVM Required Limit and the phone did not verify (DF4B 000000): End Application, CARD DATA ERROR (C-2 S14.21, S14.21.1)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.ReplaceValue, Tag: 0xDF4B, Value: h("000000")}),
			opts:  tapOpts{amount: 6000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(6000, msCCC(udol6000p)), discr: "9F42020840DF8115060006000000" + "1C", readOK: true,
		},
		{
			name: "State 14: up to the CVM Required Limit the phone verified anyway (DF4B 001000): CVM Confirmation Code Verified, nUN' 0 ends the tracks (C-2 S14.20, S14.24)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.ReplaceValue, Tag: 0xDF4B, Value: h("001000")}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: msOnlineCCV,
			cmds:   msCmds(2000, msCCC(msUN+"00 000000002000 0840")),
			record: phoneRecordVerified, discr: discrOK,
		},
		{
			name: "State 14: no CVC3 and DF4B 000000 (no second tap asked): Declined, Not Authorised, no Data Record (C-2 S14.19.2, S14.19.3)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.DropTag, Tag: 0x9F61}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: declinedMS,
			cmds: msCmds(2000, msCCC(msUN+"00 000000002000 0840")), discr: discrNone, readOK: true,
		},
		{
			name: "State 14: COMPUTE CRYPTOGRAPHIC CHECKSUM answered 6985: End Application, STATUS BYTES (C-2 S14.9, S14.10)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{SW: 0x6985}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(msUN+"00 000000002000 0840")), discr: "9F42020840DF8115060003006985" + "1C",
		},
		{
			name: "State 13: DF4B 001000 from a phone the reader does not verify on (Kernel Configuration b6 0): nUN' 0 ends the tracks, the CVM of the Mag-stripe CVM Capability (C-2 S13.14.5 to S13.14.8, S13.26)", profile: emvtest.MastercardMagStripePhone,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.ReplaceValue, Tag: 0xDF4B, Value: h("001000")}),
			opts:  tapOpts{amount: 6000, extraData: msCaps + "DF811B0110"}, want: msOnlinePIN,
			cmds:   msCmds(6000, msCCC(msUN+"00 000000006000 0840")),
			record: phoneRecordVerified, discr: discrOK,
		},
		{
			name: "State 13: no CVC3 with DF4B 000100: See Phone, End Application at Start B (C-2 S13.14.3, S13.41, S13.44, S13.45)", profile: emvtest.MastercardMagStripe,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.ReplaceData, Value: h("770B9F36020041DF4B03000100")}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: seePhoneB,
			cmds: msCmds(2000, msCCC(udol2000)), discr: discrNone, readOK: true,
		},
		{
			name: "State 13: no CVC3 with DF4B 000000: Declined, Not Authorised (C-2 S13.42, S13.43)", profile: emvtest.MastercardMagStripe,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.ReplaceData, Value: h("770B9F36020041DF4B03000000")}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: declinedMS,
			cmds: msCmds(2000, msCCC(udol2000)), discr: discrNone, readOK: true,
		},
		{
			name: "State 13: no ATC 9F36: End Application, CARD DATA MISSING (C-2 S13.14.1, S13.14.4)", profile: emvtest.MastercardMagStripe,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.DropTag, Tag: 0x9F36}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060001000000" + "1C", readOK: true,
		},
		{
			name: "State 13: Track 1 Data but no CVC3 (Track1) 9F60: End Application, CARD DATA MISSING (C-2 S13.15, S13.16)", profile: emvtest.MastercardMagStripe,
			knobs: ccc(emvtest.Fault{Corrupt: emvtest.DropTag, Tag: 0x9F60}),
			opts:  tapOpts{amount: 2000, extraData: msCaps}, want: endApplication,
			cmds: msCmds(2000, msCCC(udol2000)), discr: "9F42020840DF8115060001000000" + "1C", readOK: true,
		},
		{
			name: "mag-stripe mode, phone: the reader without on-device CVM (Kernel Configuration b6 0): Mobile Support Indicator 00, Mag-stripe CVM Capability – CVM Required, Online PIN (C-2 S78.18)", profile: emvtest.MastercardMagStripePhone,
			opts: tapOpts{amount: 6000, extraData: msCaps + "DF811B0110"}, want: msOnlinePIN,
			cmds:   msCmds(6000, msCCC(msUN+"00 000000006000 0840")),
			record: phoneRecord, discr: discrOK,
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
			out := tp.run(t)
			if *update {
				recordSession(t, &scenario{name: sc.name, profile: sc.profile, opts: sc.opts}, tp, tl, out)
			}
			var cmds []string
			for _, e := range tp.rec.Entries() {
				cmds = append(cmds, hexs(e.Command))
			}
			assert.Equal(t, sc.want.params(), out.Parameters)
			assert.Equal(t, sc.cmds, cmds)
			assert.Equal(t, stripSpaces(sc.record), hexs(out.DataRecord), "Data Record")
			assert.Equal(t, stripSpaces(sc.discr), hexs(out.DiscretionaryData), "Discretionary Data")
			// State 13: the card may leave once the CCC response parses (Card
			// Read Successfully, S13.12); an earlier error exit shows only
			// its outcome's message.
			var ui []contactless.UIRequest
			if sc.want.status == contactless.StatusOnlineRequest || sc.readOK {
				ui = []contactless.UIRequest{{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"}}
			}
			assert.Equal(t, ui, tp.ui)
		})
	}
}

// Book C-2 State 13: a card that leaves the field during COMPUTE
// CRYPTOGRAPHIC CHECKSUM ends the kernel with the link's error (mag-stripe
// mode logs no torn transaction, even with a torn log), after the four
// commands; the Entry Point then asks for a new tap.
func TestMagstripeCardLostDuringCCC(t *testing.T) {
	c := emvtest.NewCard(emvtest.MastercardMagStripe())
	tp := newTap(t, c, tapOpts{amount: 2000, extraData: msCaps + "DF811D0105"})
	c.TearAt(5) // SELECT, GPO, two records, CCC
	log := &MemoryTornLog{}
	out, err := New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, TornLog: log}).Activate(context.Background(), tp.act)
	require.ErrorIs(t, err, ErrLink)
	require.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.Nil(t, out)
	assert.Empty(t, log.Records())
	assert.Equal(t, []string{cGPO, "00B2010C", "00B20114", "802A8E80"}, tp.headers())
}

// Book C-2 Annex A: the Default UDOL (DF811A) is 9F6A04 unless the
// terminal data gives one; one that is not a DOL is a terminal data error
// (a *ConfigError naming DF811A).
func TestDefaultUDOLConfig(t *testing.T) {
	tc, err := ParseTerminalConfig(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "9F6A04", hexs(tc.DefaultUDOL))
	tc, err = ParseTerminalConfig(h("DF811A06 9F6A04 9F0206"), nil)
	require.NoError(t, err)
	assert.Equal(t, "9F6A049F0206", hexs(tc.DefaultUDOL))
	_, err = ParseTerminalConfig(h("DF811A02 9F6A"), nil)
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, tagDefaultUDOL, ce.Tag)
	_, err = ParseTerminalConfig(h("DF811A00"), nil)
	require.ErrorAs(t, err, &ce)
}

// Book C-2 States 13 and 14, Failed MS Cntr: one Kernel counts the
// mag-stripe transactions that failed in a row and waits 2^Failed MS Cntr ×
// 300 ms before each failure's outcome (S13.30, S13.31): 0.3, 0.6, 1.2, 2.4,
// 4.8 s, then 9.6 s for every further failure (the count stops at 5). A
// transaction that gets its CVC3 waits nothing and sets the count back to
// 0 (S13.17), so the next failure waits 0.3 s again. A failure before the
// command (here: above the Reader Contactless Transaction Limit, S78.11)
// neither waits nor counts.
func TestMagstripeFailedMSCntr(t *testing.T) {
	var waits []time.Duration
	k := New(Config{Sleep: func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}})
	card := emvtest.NewCard(emvtest.MastercardMagStripe())
	card.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), SW: 0x6985, Times: 7})
	tapOnce := func(amount uint64) contactless.OutcomeStatus {
		tp := newTap(t, card, tapOpts{amount: amount, extraData: msCaps + "DF812406000000010000"})
		out, err := k.Activate(context.Background(), tp.act)
		require.NoError(t, err)
		return out.Parameters.Status
	}
	for range 7 {
		assert.Equal(t, contactless.StatusEndApplication, tapOnce(2000))
	}
	ms := time.Millisecond
	assert.Equal(t, []time.Duration{300 * ms, 600 * ms, 1200 * ms, 2400 * ms, 4800 * ms, 9600 * ms, 9600 * ms}, waits)
	assert.Equal(t, contactless.StatusSelectNext, tapOnce(20000), "above the Reader Contactless Transaction Limit")
	assert.Len(t, waits, 7, "no wait before the command")
	assert.Equal(t, contactless.StatusOnlineRequest, tapOnce(2000))
	assert.Len(t, waits, 7, "no wait on success")
	card.Inject(emvtest.Fault{Match: emvtest.OnINS(emvtest.InsComputeCryptographicChecksum), Corrupt: emvtest.BreakTLV, Times: 1})
	assert.Equal(t, contactless.StatusEndApplication, tapOnce(2000))
	assert.Equal(t, 300*ms, waits[len(waits)-1], "the count back at 0")
}

// Book C-2 State 13: the failure wait ends with ctx; the kernel then stops
// with ctx's error and no outcome. The default wait (Config.Sleep nil) is a
// timer that ends early with ctx.
func TestMagstripeFailedWaitEndsWithContext(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardMagStripe())
	card.AnswerSW(emvtest.InsComputeCryptographicChecksum, 0x6985)
	tp := newTap(t, card, tapOpts{amount: 2000, extraData: msCaps})
	k := New(Config{Sleep: func(context.Context, time.Duration) error { return context.DeadlineExceeded }})
	out, err := k.Activate(context.Background(), tp.act)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Nil(t, out)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var cfg Config
	assert.ErrorIs(t, cfg.sleep(ctx, 9600*time.Millisecond), context.Canceled)
	assert.NoError(t, cfg.sleep(context.Background(), 0))
}

// Book C-2 State 14 with Book B: a phone in mag-stripe mode asked for its
// cardholder's verification above the CVM Required Limit answers the first
// COMPUTE CRYPTOGRAPHIC CHECKSUM without CVC3 and with DF4B 000100: See
// Phone, End Application at Start B (the first tap waits 0.3 s, Failed MS
// Cntr 1). The terminal restarts the Entry Point; the second tap's answer
// has CVC3 and DF4B 001000 (OD-CVM verification successful): Online
// Request with Confirmation Code Verified and tracks ending with nUN' 0.
func TestC2State14SeePhoneThenSecondTap(t *testing.T) {
	ctx := context.Background()
	card := emvtest.NewCard(emvtest.MastercardMagStripePhoneConfirm())
	ep, clk := readerWith(card, msCaps)
	heads := commandHeads
	oneTap := []string{"00A40400", "00A40400", "80A80000", "00B2010C", "00B20114", "802A8E80"}

	first, err := ep.Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 6000})
	require.NoError(t, err)
	assert.Equal(t, seePhoneB.params(), first.Outcome.Parameters)
	assert.Nil(t, first.Outcome.DataRecord)
	assert.Equal(t, oneTap, heads(first.Trace))
	assert.Equal(t, testTime.Add(300*time.Millisecond), clk.now(), "the failure wait")
	assert.Equal(t, []contactless.UIRequest{
		{Message: contactless.MsgPresentCard, Status: contactless.UIReadyToRead},
		{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"},
		{Message: contactless.MsgSeePhone, Status: contactless.UINotReady, HoldTime: 13, LanguagePreference: "en"},
	}, first.UI)

	second, err := ep.Restart(ctx, contactless.OneCard(card), first, nil)
	require.NoError(t, err)
	assert.Equal(t, msOnlineCCV.params(), second.Outcome.Parameters)
	assert.Equal(t, oneTap, heads(second.Trace))
	t2 := tag(t, second.Outcome.DataRecord, tagTrack2Data)
	assert.Equal(t, "0", t2[len(t2)-1:], "nUN' (5 + 5) mod 10 ends Track 2 Data")
	assert.Equal(t, testTime.Add(300*time.Millisecond), clk.now(), "no wait on success")
	assert.Equal(t, []contactless.UIRequest{
		{Message: contactless.MsgSeePhone, Status: contactless.UIReadyToRead, LanguagePreference: "en"},
		{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"},
		{Message: contactless.MsgAuthorisingPleaseWait, Status: contactless.UINotReady, LanguagePreference: "en"},
	}, second.UI)
}

// The Online Request of mag-stripe mode goes to the issuer with the tracks
// (Book C-2 S13.18 to S13.22): the virtual issuer reads CVC3, the
// Unpredictable Number (Numeric) and the ATC digits back out of Track 2
// and Track 1 Data by the card's bitmaps, recomputes CVC3 with the card's
// key and approves; a track with one CVC3 digit changed does not verify
// and is declined. The phone's tracks, ending with nUN' 0 after its
// holder's verification (S14.24), verify too.
func TestMagstripeIssuerVerifiesCVC3(t *testing.T) {
	for _, c := range []struct {
		profile func() *emvtest.Profile
		amount  uint64
	}{{emvtest.MastercardMagStripe, 2000}, {emvtest.MastercardMagStripePhone, 6000}} {
		card := emvtest.NewCard(c.profile())
		tp := newTap(t, card, tapOpts{amount: c.amount, extraData: msCaps})
		out := tp.run(t)
		require.Equal(t, contactless.StatusOnlineRequest, out.Parameters.Status)
		iss := emvtest.IssuerFor(card)
		resp, err := iss.Authorise(context.Background(), &emvtest.AuthorisationRequest{ICCData: out.DataRecord})
		require.NoError(t, err)
		assert.True(t, resp.ARQCValid, "CVC3 verified")
		assert.True(t, resp.Approved)
		assert.Equal(t, "8A023030", hexs(resp.ICCData), "the ARC alone, no ARPC")

		// Track 2's CVC3 digits are at PCVC3 (Track2) 0070: bits 7-5
		// of the discretionary data, its 5th to 7th digits from the right.
		t2 := h(tag(t, out.DataRecord, tagTrack2Data))
		bad := append([]byte(nil), t2...)
		bad[len(bad)-3] ^= 0x10 // the 6th digit from the right
		rec := tlv.AppendTLV(nil, tagTrack2Data, bad)
		resp, err = iss.Authorise(context.Background(), &emvtest.AuthorisationRequest{ICCData: rec})
		require.NoError(t, err)
		assert.False(t, resp.ARQCValid, "a changed CVC3 digit")
		assert.False(t, resp.Approved)
	}
}
