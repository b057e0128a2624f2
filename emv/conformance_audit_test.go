package emv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
			outcome: emv.TryAnotherInterface, err: emv.ErrNotAccepted, step: emv.StepSelection,
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

// dirCard is a scripted card with a PSE and DDFs: each directory file is
// selected by name and answers its records by SFI (the fake does not track
// the current DF, so every directory has its own SFI). It knows one
// application, A0000000041010, whose GET PROCESSING OPTIONS answers 6985,
// so a run ends right after the final SELECT.
func dirCard(dirs map[string]dirFile) *fakeCard {
	mc := mustHex("A0000000041010")
	return &fakeCard{answer: func(c apdu.Command) []byte {
		switch c.INS {
		case apdu.InsSelect:
			if d, ok := dirs[string(c.Data)]; ok {
				return fci(c.Data, d.sfi)
			}
			if string(c.Data) == string(mc) && c.P2 == 0 {
				return adfFCI(mc, "MC")
			}
		case apdu.InsReadRecord:
			for _, d := range dirs {
				if c.P2 == d.sfi<<3|4 {
					if n := int(c.P1); n >= 1 && n <= len(d.records) {
						return d.records[n-1]
					}
					return sw6A83
				}
			}
		case apdu.InsGetProcessingOptions:
			return []byte{0x69, 0x85}
		}
		return []byte{0x6A, 0x82}
	}}
}

type dirFile struct {
	sfi     byte
	records [][]byte
}

func hexNames(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = hexOf([]byte(n)) + "/00"
	}
	return out
}

// Book 1 §12.3.2: the directory walk is bounded: a PSE and three levels of
// DDFs below it, eight DDFs, 32 READ RECORDs over all directories (the one
// that finds a directory's end included). Each case sits on a bound, so
// moving the bound by one either way changes what is selected.
func TestBook1_12_3_2_DirectoryBounds(t *testing.T) {
	const psename = "1PAY.SYS.DDF01"
	mc := mustHex("A0000000041010")
	mcEntry := entry(0x4F, mc, "MC", 2)
	unsupported := entry(0x4F, mustHex("A0000009990001"), "OTHER", 0)
	ddf := func(n int) string { return "DDF" + itoa(n) }
	ddfEntry := func(n int) []byte { return entry(0x9D, []byte(ddf(n)), "DIR", 0) }
	run := func(t *testing.T, dirs map[string]dirFile) *emv.Result {
		cfg := testConfig(t, emvtest.NewCard(visaCDA()))
		res, err := emv.Run(context.Background(), dirCard(dirs), cfg, emv.Transaction{Amount: 1}, nil)
		require.ErrorIs(t, err, emv.ErrNotAccepted, "GPO 6985 on the only candidate")
		return res
	}

	t.Run("DepthFour_ThirdLevelDDFRead_FourthNot", func(t *testing.T) {
		res := run(t, map[string]dirFile{
			psename: {1, [][]byte{record(ddfEntry(1))}},
			ddf(1):  {2, [][]byte{record(ddfEntry(2))}},
			ddf(2):  {3, [][]byte{record(ddfEntry(3))}},
			ddf(3):  {4, [][]byte{record(mcEntry, ddfEntry(4))}},
			ddf(4):  {5, [][]byte{record(entry(0x4F, mustHex("A0000000031010"), "VISA", 1))}},
		})
		want := append(hexNames(psename, ddf(1), ddf(2), ddf(3)), "A0000000041010/00")
		assert.Equal(t, want, selectedNames(res.Trace))
		assert.Equal(t, "SEL RR RR SEL RR RR SEL RR RR SEL RR RR SEL GPO", res.Trace.Compact())
	})

	t.Run("EightDDFsSelected_NinthNot", func(t *testing.T) {
		dirs := map[string]dirFile{psename: {1, [][]byte{record(ddfEntry(1), ddfEntry(2), ddfEntry(3), ddfEntry(4), ddfEntry(5), ddfEntry(6), ddfEntry(7), ddfEntry(8), ddfEntry(9))}}}
		for n := 1; n <= 9; n++ {
			dirs[ddf(n)] = dirFile{sfi: byte(n + 1)}
		}
		dirs[ddf(8)] = dirFile{9, [][]byte{record(mcEntry)}}
		// Visa, priority 1, would be chosen first if the ninth were read.
		dirs[ddf(9)] = dirFile{10, [][]byte{record(entry(0x4F, mustHex("A0000000031010"), "VISA", 1))}}
		res := run(t, dirs)
		want := append(hexNames(psename, ddf(1), ddf(2), ddf(3), ddf(4), ddf(5), ddf(6), ddf(7), ddf(8)), "A0000000041010/00")
		assert.Equal(t, want, selectedNames(res.Trace))
	})

	records := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = record(unsupported)
		}
		out[n-1] = record(mcEntry)
		return out
	}
	t.Run("ThirtyOneRecords_EndFoundByThe32ndRead_PSEUsed", func(t *testing.T) {
		res := run(t, map[string]dirFile{psename: {1, records(31)}})
		assert.Equal(t, append(hexNames(psename), "A0000000041010/00"), selectedNames(res.Trace))
		assert.Equal(t, "SEL"+strings.Repeat(" RR", 32)+" SEL GPO", res.Trace.Compact())
	})
	t.Run("ThirtyTwoRecords_EndNotFound_ListOfAIDs", func(t *testing.T) {
		res := run(t, map[string]dirFile{psename: {1, records(32)}})
		assert.Equal(t, append(hexNames(psename), "A0000000031010/00", "A0000000032010/00", "A0000000041010/00", "A0000000041010/00"), selectedNames(res.Trace))
		assert.Equal(t, "SEL"+strings.Repeat(" RR", 32)+" SEL SEL SEL SEL GPO", res.Trace.Compact())
	})
}

// Book 1 §12.3.3 step 2: a SELECT of a terminal AID answered 6A81 (card
// blocked or SELECT not supported) ends the card session, whichever
// terminal AID it answers; 6A82 (not found) moves on to the next one.
func TestBook1_12_3_3_6A81DuringListOfAIDs_Terminated(t *testing.T) {
	blockOn := func(aid string) func(c *emvtest.Card) {
		return func(c *emvtest.Card) {
			c.Inject(emvtest.Fault{Match: emvtest.OnSelect(mustHex(aid)), SW: 0x6A81})
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "FirstTerminalAID", base: emvtest.NoDirectory, card: blockOn("A0000000031010"),
			outcome: emv.Terminated, err: emv.ErrCardBlocked, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL SEL",
		},
		{
			// The card has only A0000000031010: the second terminal AID
			// is not found (6A82), the third answers 6A81.
			name: "ThirdTerminalAID_AfterOneFoundAndOneNotFound", base: emvtest.NoDirectory, card: blockOn("A0000000041010"),
			outcome: emv.Terminated, err: emv.ErrCardBlocked, step: emv.StepSelection,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL SEL SEL SEL",
		},
	})
}

// Book 1 §12.4: candidates in priority order, those without a priority
// (no 87, or 0 in bits 4-1) after every priority, 15 included; without
// cardholder selection the first that needs no confirmation is taken and
// one that needs it is passed over.
func TestBook1_12_4_PriorityAndConfirmation(t *testing.T) {
	priorities := func(debit, credit, mc int) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			p.Applications[0].Priority, p.Applications[1].Priority, p.Applications[2].Priority = debit, credit, mc
		}
	}
	sel := &selector{index: 0}
	runUnrecorded(t, []scenario{
		{
			// Debit none, credit 15, Mastercard 3: Mastercard, credit,
			// debit.
			name: "NoPriorityAfterPriority15", base: emvtest.MultiApplication, profile: priorities(0, 15, 3), sel: sel,
			// The Mastercard application is chosen: DDA, and its version
			// 008C differs from the terminal's 0002 for that AID.
			outcome: emv.Approved, tvr: "0080000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				require.Len(t, sel.offered, 1)
				var names []string
				for _, c := range sel.offered[0] {
					names = append(names, hexOf(c.AID))
				}
				assert.Equal(t, []string{"A0000000041010", "A0000000031010", "A0000000032010"}, names)
			},
		},
		{
			// No cardholder selection: the highest priority (credit, 1)
			// needs confirmation (87 = 81) and is passed over for debit (2).
			name: "NoSelection_ConfirmationRequiredPassedOver", base: emvtest.MultiApplication, profile: priorities(2, 0x81, 3),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "A0000000032010", hexOf(r.AID))
			},
		},
		{
			// Without a priority the application still comes after one
			// that has it: debit none is chosen after Mastercard 3.
			name: "NoSelection_NoPriorityLast", base: emvtest.MultiApplication, profile: priorities(0, 0, 3),
			outcome: emv.Approved, tvr: "0080000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "A0000000041010", hexOf(r.AID))
			},
		},
	})
}

// Book 3 §6.5.5.4: a format 1 GENERATE AC response (80) is CID, ATC and
// cryptogram (11 bytes), then Issuer Application Data of at most 32 bytes:
// 11 to 43 bytes in all; anything shorter or longer terminates.
func TestBook3_6_5_5_Format1Length_11To43Bytes(t *testing.T) {
	answer := func(iadLen int, short bool) func(c *emvtest.Card) {
		v := mustHex("40" + "0011" + "1122334455667788")
		if short {
			v = v[:10]
		}
		for i := range iadLen {
			v = append(v, byte(i))
		}
		return func(c *emvtest.Card) {
			c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Corrupt: emvtest.ReplaceData, Value: tlv.AppendTLV(nil, 0x80, v)})
		}
	}
	iad := func(n int) func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
		return func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
			assert.Len(t, r.IAD, n, "Issuer Application Data")
			assert.Equal(t, "1122334455667788", hexOf(r.AC))
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "11Bytes_NoIAD", base: visaSDA, card: answer(0, false),
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC40", check: iad(0),
		},
		{
			name: "43Bytes_IADOf32", base: visaSDA, card: answer(32, false),
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC40", check: iad(32),
		},
		{
			name: "44Bytes_Terminated", base: visaSDA, card: answer(33, false),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepTerminalActionAnalysis,
			tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC40",
		},
		{
			name: "10Bytes_Terminated", base: visaSDA, card: answer(0, true),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepTerminalActionAnalysis,
			tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC40",
		},
	})
}

// Book 3 §10.2: records of SFI 1 to 10 are 70 templates the terminal
// parses, and broken TLV there terminates; records of SFI 11 to 30 are
// not parsed (outside offline data authentication they are not looked at).
func TestBook3_10_2_BrokenTLV_SFI1To10Only(t *testing.T) {
	broken := func(sfi int) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) {
			// 70 claims 6 bytes, 5 follow.
			p.Applications[0].Records = append(p.Applications[0].Records, emvtest.Record{SFI: sfi, Number: 1, Raw: true, Data: mustHex("7006" + "9F0D02FFFF")})
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "SFI10_Terminated", profile: broken(10),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepReadApplicationData,
			tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR",
		},
		{
			name: "SFI11_NotParsed", profile: broken(11),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
		},
	})
}

// Book 3 §10.7: an online-capable terminal asks for an ARQC when a TVR
// bit is set in the TAC-Online or in the IAC-Online, either one alone, and
// for a TC when it is set in neither. The bit here is "different
// application versions" (byte 2 bit 8), in no test action code but these.
func TestBook3_10_7_OnlineCodes_TACOrIACAlone(t *testing.T) {
	versionBit := &tvr.TVR{0x00, 0x80, 0x00, 0x00, 0x00}
	codes := func(tac *tvr.TVR, iac string) (func(c *emv.Config), func(p *emvtest.Profile)) {
		return func(c *emv.Config) {
				c.Version = mustHex("0096")
				c.TACOnline = tac
			}, func(p *emvtest.Profile) {
				p.Applications[0].IACOnline = mustHex(iac)
			}
	}
	tacOnly, tacOnlyCard := codes(versionBit, "0000000000")
	iacOnly, iacOnlyCard := codes(&tvr.TVR{}, "0080000000")
	neither, neitherCard := codes(&tvr.TVR{}, "0000000000")
	runUnrecorded(t, []scenario{
		{
			name: "TACOnlineAlone_ARQC", config: tacOnly, profile: tacOnlyCard, host: approve(),
			outcome: emv.OnlineApproved, tvr: "0080000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "IACOnlineAlone_ARQC", config: iacOnly, profile: iacOnlyCard, host: approve(),
			outcome: emv.OnlineApproved, tvr: "0080000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Neither_TC", config: neither, profile: neitherCard, host: approve(),
			outcome: emv.Approved, tvr: "0080000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
	})
}

// Book 3 §10.6.2: random transaction selection is for amounts below the
// floor limit; at the floor limit only "floor limit exceeded" is set,
// whatever the target.
func TestBook3_10_6_2_RandomSelection_NotAtTheFloorLimit(t *testing.T) {
	always := func(c *emv.Config) {
		c.RandomSelection = &emv.RandomSelection{TargetPercent: 99, MaxTargetPercent: 99, Threshold: 5000}
	}
	runUnrecorded(t, []scenario{
		{
			name: "AtFloorLimit_NotDrawn", txn: txn(10000), config: always, host: approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "BelowFloorLimit_Drawn", txn: txn(9999), config: always, host: approve(),
			outcome: emv.OnlineApproved, tvr: "0000001000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
	})
}

// Book 3 §10.4.2: a purchase with an Amount, Other (cashback) is checked
// against the cashback bits as a purchase with cashback (09) is.
func TestBook3_10_4_2_AUC_PurchaseWithAmountOther_CashbackChecked(t *testing.T) {
	auc := func(v string) func(p *emvtest.Profile) {
		return func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex(v) }
	}
	purchase := &emv.Transaction{Type: emv.Purchase, Amount: 2234, AmountOther: 1000}
	runUnrecorded(t, []scenario{
		{
			name: "DomesticCashbackNotAllowed", txn: purchase, profile: auc("FF40"),
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "DomesticCashbackAllowed", txn: purchase, profile: auc("FF80"),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
	})
}

// Book 1 §12.4: the priority is bits 4-1 of the Application Priority
// Indicator; bits 7-5 are RFU and do not order the list.
func TestBook1_12_4_PriorityBits7To5Ignored(t *testing.T) {
	sel := &selector{index: 1}
	sc := scenario{
		base: emvtest.MultiApplication,
		// Credit 71 (priority 1, RFU bits set), debit 2, Mastercard 3.
		profile: func(p *emvtest.Profile) { p.Applications[1].Priority = 0x71 },
		sel:     sel,
		outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
		cmds: "SEL RR RR RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
	}
	res, err, card := sc.run(t)
	sc.assert(t, res, err, card)
	require.Len(t, sel.offered, 1)
	var names []string
	for _, c := range sel.offered[0] {
		names = append(names, hexOf(c.AID))
	}
	assert.Equal(t, []string{"A0000000031010", "A0000000032010", "A0000000041010"}, names)
	assert.Equal(t, "A0000000032010", hexOf(res.AID), "the second offered")
}

// Book 3 §6.5.5.4 and §10.8, §10.11: a CID whose cryptogram bits are 11
// (RFU) terminates; so does an ARQC answered to the second GENERATE AC,
// which asks for a TC or an AAC.
func TestBook3_6_5_5_CryptogramTypeRefused(t *testing.T) {
	cid := func(nth int, v byte) func(c *emvtest.Card) {
		return func(c *emvtest.Card) {
			c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsGenerateAC), Nth: nth, Corrupt: emvtest.ReplaceValue, Tag: 0x9F27, Value: []byte{v}})
		}
	}
	runUnrecorded(t, []scenario{
		{
			name: "CIDRFUAtFirstGenerateAC_Terminated", card: cid(1, 0xC0),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepTerminalActionAnalysis,
			tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "ARQCAtSecondGenerateAC_Terminated", txn: txn(20000), host: approve(), card: cid(2, 0x80),
			outcome: emv.Terminated, err: emv.ErrCardData, step: emv.StepCompletion,
			tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
	})
}

// Book 3 §10.10: a script command answered 62xx or 63xx (warnings) lets
// the script go on; the sequence number of a failing command is counted
// to 15 and stays F from there.
func TestBook3_10_10_ScriptWarningsAndSequenceNumber(t *testing.T) {
	badMAC := "84DA9F1409" + "03" + "0102030405060708"
	script := func(n int) []byte {
		v := tlv.AppendTLV(nil, 0x9F18, mustHex("01020304"))
		for range n {
			v = tlv.AppendTLV(v, 0x86, mustHex(badMAC))
		}
		return tlv.AppendTLV(nil, 0x72, v)
	}
	tests := []struct {
		name   string
		cmds   int
		sw     apdu.SW // answered to the first n script commands; then the card answers
		n      int
		result string // 9F5B
		sent   int
	}{
		{"Warning62xxIsSuccess", 2, 0x6283, 2, "2001020304", 2},
		{"Warning63xxIsSuccess", 2, 0x63C1, 2, "2001020304", 2},
		{"SixteenthCommandFails_SequenceF", 16, 0x9000, 15, "1F01020304", 16},
		{"SecondCommandFails_Sequence2", 3, 0x9000, 1, "1201020304", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(visaCDA())
			card.Inject(emvtest.Fault{Match: emvtest.OnINS(0xDA), Times: tc.n, SW: tc.sw})
			h := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00", Scripts: script(tc.cmds)}}
			res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 20000}, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h})
			require.NoError(t, err)
			assert.Equal(t, tc.result, hexOf(res.ScriptResults), "Issuer Script Results")
			assert.Equal(t, cdaHead+" GAC90 GAC50"+strings.Repeat(" 84DA", tc.sent), res.Trace.Compact())
			want := "0000008000"
			if tc.result[0] == '1' {
				want = "0000008010"
			}
			assert.Equal(t, want, hexOf(res.TVR[:]), "TVR %s", res.TVR)
		})
	}
}

// Book 3 §10.4.3: a date that is not a valid YYMMDD cannot show the
// application effective or unexpired: the kernel's choice, written in
// emv/restrictions.go, is to set the bit as for a date not yet reached or
// passed.
func TestBook3_10_4_3_InvalidDates(t *testing.T) {
	runUnrecorded(t, []scenario{
		{
			// In a record of its own, outside the signed static data.
			name: "EffectiveDateMonth13_NotYetEffective",
			profile: func(p *emvtest.Profile) {
				a := &p.Applications[0]
				a.EffectiveDate = ""
				a.Records = append(a.Records, emvtest.Record{SFI: 4, Number: 1, Data: mustHex("5F2503" + "201301")})
			},
			outcome: emv.Approved, tvr: "0020000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
		},
		{
			// The SDA card's expiry date changed in its record: SDA fails
			// too, the static data no longer being what the issuer signed.
			name: "ExpiryDateDay32_Expired", base: visaSDA,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnINS(apdu.InsReadRecord), Corrupt: emvtest.ReplaceValue, Tag: 0x5F24, Value: mustHex("301232")})
			},
			outcome: emv.DeclinedUnableOnline, tvr: "4240000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC80 GAC00",
		},
	})
}

// Book 1 §12.3.2: the SFI of a directory (88 in the FCI of the PSE or of a
// DDF) is 1 to 10; a PSE with another cannot be used (the list of AIDs
// then), a DDF with another is skipped.
func TestBook1_12_3_2_DirectorySFI1To10(t *testing.T) {
	const psename = "1PAY.SYS.DDF01"
	mcRecord := record(entry(0x4F, mustHex("A0000000041010"), "MC", 2))
	run := func(t *testing.T, dirs map[string]dirFile) *emv.Result {
		cfg := testConfig(t, emvtest.NewCard(visaCDA()))
		res, err := emv.Run(context.Background(), dirCard(dirs), cfg, emv.Transaction{Amount: 1}, nil)
		require.ErrorIs(t, err, emv.ErrNotAccepted, "GPO 6985 on the only candidate")
		return res
	}
	listOfAIDs := []string{"A0000000031010/00", "A0000000032010/00", "A0000000041010/00", "A0000000041010/00"}
	t.Run("PSESFI10_Used", func(t *testing.T) {
		res := run(t, map[string]dirFile{psename: {10, [][]byte{mcRecord}}})
		assert.Equal(t, append(hexNames(psename), "A0000000041010/00"), selectedNames(res.Trace))
	})
	t.Run("PSESFI11_ListOfAIDs", func(t *testing.T) {
		res := run(t, map[string]dirFile{psename: {11, [][]byte{mcRecord}}})
		assert.Equal(t, append(hexNames(psename), listOfAIDs...), selectedNames(res.Trace))
	})
	ddfEntry := entry(0x9D, []byte("DDF1"), "DIR", 0)
	t.Run("DDFSFI10_Read", func(t *testing.T) {
		res := run(t, map[string]dirFile{psename: {1, [][]byte{record(ddfEntry)}}, "DDF1": {10, [][]byte{mcRecord}}})
		assert.Equal(t, append(hexNames(psename, "DDF1"), "A0000000041010/00"), selectedNames(res.Trace))
	})
	t.Run("DDFSFI11_Skipped", func(t *testing.T) {
		res := run(t, map[string]dirFile{psename: {1, [][]byte{record(ddfEntry)}}, "DDF1": {11, [][]byte{mcRecord}}})
		assert.Equal(t, append(hexNames(psename, "DDF1"), listOfAIDs...), selectedNames(res.Trace))
	})
}

// Book 1 §11.3.4 and §12.3.3: a DF name (84) is at most 16 bytes; an FCI
// with a longer one is malformed and its application not added, even
// where partial selection would match it.
func TestBook1_11_3_4_DFNameOver16Bytes_NotACandidate(t *testing.T) {
	rid := mustHex("A000000003")
	long := mustHex("A0000000031010" + "00000000000000000001") // 17 bytes
	require.Len(t, long, 17)
	card := &fakeCard{answer: func(c apdu.Command) []byte {
		if c.INS == apdu.InsSelect && string(c.Data) == string(rid) {
			return adfFCI(long, "LONG")
		}
		return []byte{0x6A, 0x82}
	}}
	cfg := testConfig(t, emvtest.NewCard(visaCDA()))
	cfg.Applications = []emv.Application{{AID: rid, PartialSelection: true}}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1}, nil)
	require.ErrorIs(t, err, emv.ErrNotAccepted)
	assert.Equal(t, append(hexNames("1PAY.SYS.DDF01"), "A000000003/00"), selectedNames(res.Trace), "no SELECT next, no final SELECT")
}

// Book 1 §12.3.3: an application found twice through the list of AIDs
// (by a partial terminal AID and by its own) is one candidate.
func TestBook1_12_3_3_ApplicationFoundTwice_OneCandidate(t *testing.T) {
	sel := &selector{index: 0}
	sc := scenario{
		base: emvtest.NoDirectory,
		config: func(c *emv.Config) {
			c.Applications = []emv.Application{{AID: mustHex("A000000003"), PartialSelection: true}, {AID: mustHex("A0000000031010")}}
		},
		sel:     sel,
		outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
		// PSE, SELECT A000000003 (finds 1010), next (none), SELECT
		// A0000000031010 (found again), final SELECT.
		cmds: "SEL SEL SEL SEL SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
	}
	res, err, card := sc.run(t)
	sc.assert(t, res, err, card)
	assert.Empty(t, sel.offered, "one candidate: no list offered")
}

// Book 3 §10.3: a method is performed only when card and terminal both
// support it; an SDA card at a terminal without SDA (9F33 byte 3 bit 8)
// gets no offline data authentication.
func TestBook3_10_3_SDACardTerminalWithoutSDA_ODANotPerformed(t *testing.T) {
	sc := scenario{
		base:   visaSDA,
		config: func(c *emv.Config) { c.Capabilities = [3]byte{0xE0, 0xF8, 0x48} }, // DDA and CDA only
		// Not performed is in the online codes: online, approved.
		host:    approve(),
		outcome: emv.OnlineApproved, tvr: "8000000000", tsi: "6800", cvm: "410302",
		cmds: sdaHead + " GAC80 GAC40",
	}
	res, err, card := sc.run(t)
	sc.assert(t, res, err, card)
	assert.Equal(t, emv.ODANone, res.ODA)
}

// Book 3 §10.7 with Book 4 Annex A1: an online-only terminal (second digit
// 1 or 4: attended or unattended) asks for an ARQC whenever it does not
// decline, under the floor limit too.
func TestBook3_10_7_UnattendedOnlineOnlyTerminal_ARQC(t *testing.T) {
	runUnrecorded(t, []scenario{
		{
			name: "Type24", config: func(c *emv.Config) { c.TerminalType = 0x24 }, host: approve(),
			outcome: emv.OnlineApproved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Type25_OnlineCapable_TC", config: func(c *emv.Config) { c.TerminalType = 0x25 }, host: approve(),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
	})
}

// Book 4 §6.3.2.2.4: after an XDA failure a transaction that cannot go
// online is declined, whatever the default action codes say.
func TestBook4_6_3_2_2_4_XDAFailed_UnableOnline_DeclinedDespiteDefaultCodes(t *testing.T) {
	sc := scenario{
		txn: txn(20000),
		profile: func(p *emvtest.Profile) {
			xdaCard(p)
			p.Applications[0].IACDefault = mustHex("0000000000")
		},
		config: func(c *emv.Config) {
			withoutECCKeys(c)
			c.TACDefault = &tvr.TVR{}
		},
		// XDA selected, floor limit exceeded, CA ECC key missing; the
		// ARQC with an XDA signature request (88), then the AAC.
		outcome: emv.DeclinedUnableOnline, tvr: "0100008004", tsi: "E800", cvm: "410302",
		cmds: xdaHead + " GAC88 GAC00",
	}
	res, err, card := sc.run(t)
	sc.assert(t, res, err, card)
	assert.Equal(t, "Z3", res.ARC)
}
