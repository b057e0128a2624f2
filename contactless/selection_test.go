package contactless_test

import (
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCombinationSelection checks Book B §3.3: SELECT PPSE, the directory
// entries, the Requested Kernel ID, matching against the combinations,
// the Candidate List's order and final selection.
func TestCombinationSelection(t *testing.T) {
	all := func() *contactless.Config { return testConfig(visa(), mastercard(), unionpay()) }
	tests := []struct {
		name    string
		cfg     func() *contactless.Config
		kernels []contactless.KernelID // registered; nil: 2, 3, 7
		card    *testCard
		// want: the Candidate List, as "AID/kernel"; the commands after
		// SELECT PPSE; the outcome status.
		candidates []string
		commands   []string
		status     contactless.OutcomeStatus
	}{
		{name: "BookB_3_3_2_1_SelectPPSE_ThenFinalSelect", card: cardWith(entry(visaAID)),
			candidates: []string{visaAID + "/3"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_2_PPSENotFound6A82_EndApplication", card: &testCard{},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_2_PPSEAnswered6985_EndApplication", card: &testCard{ppse: []byte{0x69, 0x85}},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_2_PPSEWarning6283WithFCI_EndApplication", card: &testCard{ppse: append(ppseFCI(entry(visaAID)), 0x62, 0x83)},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_2_PPSEFCIMalformed_EndApplication", card: &testCard{ppse: unhex("6F10840E325041592E5359532E4444463031A5 9000")},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_2_PPSEFCINot6F_EndApplication", card: &testCard{ppse: unhex("7005 6103 4F0100 9000")},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_3_PPSEWithoutBF0C_EndApplication", card: &testCard{ppse: unhex("6F15 840E 325041592E5359532E4444463031 A503 880101 9000")},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_3_NoDirectoryEntry_EndApplication", card: &testCard{ppse: ppse()},
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_4_EntryWithoutADFName_Skipped", card: cardWith(dirEntry{noADF: true, prio: 1, label: "NONE"}, entry(mcAID).withPrio(2)),
			candidates: []string{mcAID + "/2"}, commands: []string{selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_4_ADFNameShorterThan5Bytes_Skipped",
			cfg:        func() *contactless.Config { return testConfig(combination("A000000003", 3)) },
			card:       cardWith(entry("A000000003").withPrio(1), entry("A0000003").withPrio(1)),
			candidates: []string{"A000000003/3"}, commands: []string{selectAID("A000000003")}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_4_ADFNameLongerThan16Bytes_Skipped", card: cardWith(entry(visaAID + "0102030405060708090A")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_VisaRIDDefaultsToKernel3", card: cardWith(entry(visaAID)),
			candidates: []string{visaAID + "/3"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_MastercardRIDDefaultsToKernel2", card: cardWith(entry(mcAID)),
			candidates: []string{mcAID + "/2"}, commands: []string{selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_UnionPayRIDDefaultsToKernel7", card: cardWith(entry(upiAID)),
			candidates: []string{upiAID + "/7"}, commands: []string{selectAID(upiAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_AmexRIDDefaultsToKernel4",
			cfg:     func() *contactless.Config { return testConfig(combination(amexAID, 4)) },
			kernels: []contactless.KernelID{4}, card: cardWith(entry(amexAID)),
			candidates: []string{amexAID + "/4"}, commands: []string{selectAID(amexAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_JCBRIDDefaultsToKernel5",
			cfg:     func() *contactless.Config { return testConfig(combination(jcbAID, 5)) },
			kernels: []contactless.KernelID{5}, card: cardWith(entry(jcbAID)),
			candidates: []string{jcbAID + "/5"}, commands: []string{selectAID(jcbAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_DiscoverRIDDefaultsToKernel6",
			cfg:     func() *contactless.Config { return testConfig(combination(discAID, 6)) },
			kernels: []contactless.KernelID{6}, card: cardWith(entry(discAID)),
			candidates: []string{discAID + "/6"}, commands: []string{selectAID(discAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_NoKernelIdentifier_UnknownRID_NotCandidate",
			cfg:     func() *contactless.Config { return testConfig(combination(unknownID, 3)) },
			kernels: []contactless.KernelID{3}, card: cardWith(entry(unknownID)),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_EmptyKernelIdentifier_DefaultKernel", card: cardWith(entry(visaAID).withKernel("-")),
			candidates: []string{visaAID + "/3"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_KernelIdentifier00_DefaultKernel", card: cardWith(entry(visaAID).withKernel("00")),
			candidates: []string{visaAID + "/3"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_KernelIdentifierNamesOtherKernel_ThatKernel",
			cfg:        func() *contactless.Config { return testConfig(visa(), combination(visaAID, 2)) },
			card:       cardWith(entry(visaAID).withKernel("02")),
			candidates: []string{visaAID + "/2"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_KernelIdentifierOfSeveralBytes_InternationalUsesByte1", card: cardWith(entry(visaAID).withKernel("03 01 02 03")),
			candidates: []string{visaAID + "/3"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_KernelIdentifierRFUType01_NotCandidate", card: cardWith(entry(visaAID).withKernel("43")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_DomesticKernel_ExtendedKernelIDMatches_Candidate",
			cfg:     func() *contactless.Config { return testConfig(domestic("C1", "0102")) },
			kernels: []contactless.KernelID{0xC1}, card: cardWith(entry(visaAID).withKernel("C1 01 02")),
			candidates: []string{visaAID + "/193"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_DomesticKernel_ExtendedKernelIDDiffers_NotCandidate",
			cfg:     func() *contactless.Config { return testConfig(domestic("81", "0102")) },
			kernels: []contactless.KernelID{0x81}, card: cardWith(entry(visaAID).withKernel("81 01 03")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_DomesticKernel_IdentifierShorterThan3Bytes_NotCandidate",
			cfg:     func() *contactless.Config { return testConfig(domestic("81", "")) },
			kernels: []contactless.KernelID{0x81}, card: cardWith(entry(visaAID).withKernel("81 01")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_KernelNotInTheReader_NotCandidate", kernels: []contactless.KernelID{2},
			card:       cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2)),
			candidates: []string{mcAID + "/2"}, commands: []string{selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_KernelNotConfiguredForTheAID_NotCandidate", card: cardWith(entry(visaAID).withKernel("02")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_ReaderAIDIsBeginningOfADFName_PartialMatch",
			cfg:  func() *contactless.Config { return testConfig(combination("A000000003", 3)) },
			card: cardWith(entry(visaAID)), candidates: []string{visaAID + "/3"},
			commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_5_ReaderAIDLongerThanADFName_NotCandidate", card: cardWith(entry("A00000000310")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_ADFNameNotStartingWithReaderAID_NotCandidate", card: cardWith(entry("A0000000032010")),
			status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_5_SeveralConfigsMatch_FirstServesTheEntry",
			cfg: func() *contactless.Config {
				broad := combination("A000000003", 3)
				broad.ApplicationVersion = unhex("0001")
				return testConfig(broad, visa())
			},
			card: cardWith(entry(visaAID)), candidates: []string{visaAID + "/3"},
			commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_6_ExtendedSelectionSupported_AppendedToADFName",
			cfg:  func() *contactless.Config { c := visa(); c.ExtendedSelectionSupport = true; return testConfig(c) },
			card: cardWith(entry(visaAID).withExt("0102")), candidates: []string{visaAID + "0102/3"},
			commands: []string{selectAID(visaAID + "0102")}, status: contactless.StatusApproved},
		{name: "BookB_3_3_2_6_ExtendedSelectionNotSupported_ADFNameOnly", card: cardWith(entry(visaAID).withExt("0102")),
			candidates: []string{visaAID + "/3"}, commands: []string{selectAID(visaAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_3_2_HighestPriorityFirst",
			card:       cardWith(entry(visaAID).withPrio(3), entry(mcAID).withPrio(1), entry(upiAID).withPrio(2)),
			candidates: []string{mcAID + "/2", upiAID + "/7", visaAID + "/3"}, commands: []string{selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_3_2_SamePriority_DirectoryOrder",
			card:       cardWith(entry(upiAID).withPrio(1), entry(mcAID).withPrio(1), entry(visaAID).withPrio(1)),
			candidates: []string{upiAID + "/7", mcAID + "/2", visaAID + "/3"}, commands: []string{selectAID(upiAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_3_2_NoPriorityIndicator_AfterEveryPriority",
			card:       cardWith(entry(visaAID), entry(mcAID).withPrio(15), entry(upiAID).withPrio(0)),
			candidates: []string{mcAID + "/2", visaAID + "/3", upiAID + "/7"}, commands: []string{selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_3_2_PriorityBits8To5Ignored",
			card:       cardWith(entry(visaAID).withPrio(0x82), entry(mcAID).withPrio(0x01)),
			candidates: []string{mcAID + "/2", visaAID + "/3"}, commands: []string{selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_3_5_FinalSelectRefused_NextCandidate",
			card: func() *testCard {
				c := cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))
				c.apps[visaAID] = []byte{0x6A, 0x81}
				return c
			}(),
			candidates: []string{visaAID + "/3", mcAID + "/2"}, commands: []string{selectAID(visaAID), selectAID(mcAID)}, status: contactless.StatusApproved},
		{name: "BookB_3_3_3_5_FinalSelectOfLastCandidateRefused_EndApplication",
			card: func() *testCard {
				c := cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))
				c.apps[visaAID] = []byte{0x62, 0x83}
				c.apps[mcAID] = []byte{0x6A, 0x82}
				return c
			}(),
			candidates: []string{visaAID + "/3", mcAID + "/2"}, commands: []string{selectAID(visaAID), selectAID(mcAID)}, status: contactless.StatusEndApplication},
		{name: "BookB_3_3_2_3_MoreEntriesThanTheBound_RestIgnored",
			card: func() *testCard {
				var es []dirEntry
				for range contactless.MaxDirectoryEntries {
					es = append(es, entry("A0000009990101"))
				}
				return cardWith(append(es, entry(visaAID))...)
			}(),
			status: contactless.StatusEndApplication},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := all()
			if tc.cfg != nil {
				cfg = tc.cfg()
			}
			ids := tc.kernels
			if ids == nil {
				ids = []contactless.KernelID{2, 3, 7}
			}
			k := &stubKernel{}
			res := run(t, cfg, kernels(k, ids...), contactless.OneCard(tc.card), purchase)
			assert.Equal(t, tc.candidates, nilIfEmpty(aids(res.Candidates)), "Candidate List")
			assert.Equal(t, append([]string{selectPPSE}, tc.commands...), commands(res))
			assert.Equal(t, tc.status, res.Outcome.Parameters.Status)
			if tc.status == contactless.StatusEndApplication {
				assert.Equal(t, endApplicationEmpty(), res.Outcome.Parameters)
				assert.Equal(t, []contactless.UIRequest{presentCard, insertSwipeOther}, res.UI)
				assert.Empty(t, k.seen)
				assert.Nil(t, res.Combination)
			} else {
				require.Len(t, k.seen, 1)
				assert.Equal(t, res.Candidates[len(tc.commands)-1].AID, res.Combination.AID)
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func combination(aid string, k contactless.KernelID) contactless.CombinationConfig {
	return contactless.CombinationConfig{AID: unhex(aid), Kernel: k, ZeroAmountAllowed: true}
}

func domestic(k, ext string) contactless.CombinationConfig {
	c := combination(visaAID, contactless.KernelID(unhex(k)[0]))
	if ext != "" {
		c.ExtendedKernelID = unhex(ext)
	}
	return c
}

// TestParsePPSE checks the directory reader of Book B §3.3.2.3 on its own.
func TestParsePPSE(t *testing.T) {
	fci := ppseFCI(
		entry(visaAID).withLabel("VISA CREDIT").withPrio(1).withKernel("03").withExt("AB"),
		entry(mcAID),
	)
	es, err := contactless.ParsePPSE(fci)
	require.NoError(t, err)
	require.Len(t, es, 2)
	assert.Equal(t, contactless.DirectoryEntry{ADFName: unhex(visaAID), Label: "VISA CREDIT", Priority: 1,
		KernelIdentifier: []byte{3}, ExtendedSelection: []byte{0xAB}}, es[0])
	assert.Equal(t, contactless.DirectoryEntry{ADFName: unhex(mcAID)}, es[1])

	for name, b := range map[string][]byte{
		"empty":         nil,
		"not 6F":        unhex("7003840100"),
		"no A5":         unhex("6F03840100"),
		"no BF0C":       unhex("6F05840100A500"),
		"bad BF0C":      unhex("6F09840100A504BF0C0361"),
		"trailing junk": append(fci, 0x01),
	} {
		_, err := contactless.ParsePPSE(b)
		assert.ErrorIs(t, err, contactless.ErrPPSE, name)
	}
}

// TestFinalSelectFCIReachesKernel checks Book B §3.3.3.6 and §3.4.1.1: the
// FCI of the final SELECT, without its status word, is the kernel's.
func TestFinalSelectFCIReachesKernel(t *testing.T) {
	card := cardWith(entry(visaAID))
	k := &stubKernel{}
	run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
	require.Len(t, k.seen, 1)
	want := adf(visaAID)
	assert.Equal(t, fmt.Sprintf("%X", want[:len(want)-2]), k.seen[0].FCI)
	_, ok := tlv.Find(unhex(k.seen[0].FCI), 0x84)
	assert.True(t, ok)
}
