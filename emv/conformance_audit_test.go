package emv_test

import (
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
)

// Tests for rows of testdata/CONFORMANCE.md whose earlier tests could not
// reach the rule they named: each of these turns red when its rule is
// changed.

// Book 3 §10.7: an Issuer Action Code the card does not have takes the
// book's default: IAC-Denial all zeros, IAC-Online and IAC-Default all
// ones. Each case sets a TVR bit (floor limit exceeded, byte 4 bit 8) and
// leaves the matching Terminal Action Code empty, so only the IAC's
// default decides.
func TestBook3_10_7_MissingIACDefaults(t *testing.T) {
	noIAC := func(denial, online, dflt bool) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			a := &p.Applications[0]
			if denial {
				a.IACDenial = nil
			}
			if online {
				a.IACOnline = nil
			}
			if dflt {
				a.IACDefault = nil
			}
		}
	}
	none := &tvr.TVR{}
	runUnrecorded(t, []scenario{
		{
			// All ones would match the floor limit bit and decline at the
			// first GENERATE AC.
			name: "IACDenialAbsent_AllZeros_FloorLimitExceededNotDeclined",
			txn:  txn(20000), profile: noIAC(true, false, false),
			config:  func(c *emv.Config) { c.TACDenial = none },
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			// All zeros would match nothing and ask for a TC.
			name: "IACOnlineAbsent_AllOnes_FloorLimitExceededGoesOnline",
			txn:  txn(20000), profile: noIAC(false, true, false),
			config:  func(c *emv.Config) { c.TACOnline = none },
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			// Unable to go online: all zeros would approve with Y3.
			name: "IACDefaultAbsent_AllOnes_UnableOnlineDeclines",
			txn:  txn(20000), profile: noIAC(false, false, true),
			config:  func(c *emv.Config) { c.TACDefault = none },
			outcome: emv.DeclinedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds:  cdaHead + " GAC90 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) { assert.Equal(t, "Z3", r.ARC) },
		},
		{
			// An offline-only terminal (22 -> 23) decides by the default
			// codes at the first GENERATE AC: all ones asks for an AAC.
			name: "IACDefaultAbsent_OfflineOnlyTerminal_AACAtFirstGenerateAC",
			txn:  txn(20000), profile: noIAC(false, false, true),
			config: func(c *emv.Config) {
				c.TACDefault = none
				c.TerminalType = 0x23
			},
			outcome: emv.Declined, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds:  cdaHead + " GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) { assert.Equal(t, "Z1", r.ARC) },
		},
		{
			// With both present and empty the same transaction is
			// approved: the defaults above, not the TVR, made the
			// difference.
			name: "IACsPresentAndEmpty_UnableOnlineApproves",
			txn:  txn(20000),
			profile: func(p *emvtest.Profile) {
				a := &p.Applications[0]
				a.IACDefault = mustHex("0000000000")
			},
			config:  func(c *emv.Config) { c.TACDefault = none },
			outcome: emv.ApprovedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds:  cdaHead + " GAC90 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) { assert.Equal(t, "Y3", r.ARC) },
		},
	})
}

// Book 3 §10.6.3: an ATC not above the Last Online ATC Register (equal, or
// below) sets both consecutive offline limit bits. The virtual card counts
// its ATC up at GET PROCESSING OPTIONS, so GET DATA returns the profile's
// ATC plus one.
func TestBook3_10_6_3_ATCNotAboveLastOnlineATC_BothLimitsExceeded(t *testing.T) {
	counters := func(atc, lastOnline int) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			p.Applications[0].ATC, p.Applications[0].LastOnlineATC = atc, lastOnline
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "ATCEqualsLastOnlineATC", profile: counters(0x0D, 0x0E),
			// Byte 4 bits 7 and 6: online codes go online; unable, the
			// default codes (upper limit, byte 4 bit 6) decline.
			outcome: emv.DeclinedUnableOnline, tvr: "0000006000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
		},
		{
			name: "ATCBelowLastOnlineATC", profile: counters(0x0C, 0x0E),
			outcome: emv.DeclinedUnableOnline, tvr: "0000006000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
		},
		{
			name: "ATCOneAboveLastOnlineATC_WithinLimits", profile: counters(0x0E, 0x0E),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
	})
}

// Book 1 §12.3.1 through the PSE (§12.3.2): a directory entry whose ADF
// name begins with a terminal AID that allows partial selection is a
// candidate; without partial selection it is not, and the list of AIDs
// finds nothing either.
func TestBook1_12_3_1_PartialMatchThroughPSE(t *testing.T) {
	rid := func(partial bool) func(c *emv.Config) {
		return func(c *emv.Config) {
			c.Applications = []emv.Application{{AID: mustHex("A000000003"), PartialSelection: partial}}
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "PartialSelectionAllowed_CandidateFromPSE", config: rid(true),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A0000000031010/00"}, selectedNames(r.Trace), "no SELECT by the terminal's AID")
			},
		},
		{
			name: "PartialSelectionNotAllowed_NotAccepted", config: rid(false),
			outcome: emv.Terminated, err: emv.ErrNotAccepted, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			// PSE, its directory to 6A83, then SELECT A000000003: the card
			// answers A0000000031010, not an exact match, and nothing to
			// SELECT next (P2 02).
			cmds: "SEL RR RR SEL SEL",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, []string{pse + "/00", "A000000003/00", "A000000003/02"}, selectedNames(r.Trace))
			},
		},
	})
}
