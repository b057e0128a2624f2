package contactless_test

import (
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ttq is a TTQ copy in hex.
func ttq(s string) [4]byte {
	var t [4]byte
	copy(t[:], unhex(s))
	return t
}

// TestPreprocessing checks each requirement of Book B §3.1.1 on one
// combination: the exact indicators and the exact TTQ copy.
func TestPreprocessing(t *testing.T) {
	// base: TTQ 3600C000 with byte 2 bits 8 and 7 already set in the
	// configuration, so that §3.1.1.2's reset shows; no limits.
	base := func() contactless.CombinationConfig {
		return contactless.CombinationConfig{AID: unhex(visaAID), Kernel: contactless.Kernel3, ZeroAmountAllowed: true, TTQ: unhex("36C0C000")}
	}
	tests := []struct {
		name     string
		config   func(*contactless.CombinationConfig)
		exponent int
		amount   uint64
		want     contactless.Indicators
	}{
		{name: "BookB_3_1_1_2_TTQCopied_OnlineAndCVMBitsReset", amount: 1000,
			want: contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_2_NoTTQConfigured_CopyZero", amount: 1000,
			config: func(c *contactless.CombinationConfig) { c.TTQ = nil; c.ReaderCVMRequiredLimit = u64(500) },
			want:   contactless.Indicators{ReaderCVMRequiredLimitExceeded: true}},
		{name: "BookB_3_1_1_3_StatusCheckSupported_SingleUnit_Requested", amount: 100, exponent: 2,
			config: func(c *contactless.CombinationConfig) { c.StatusCheckSupport = true },
			want:   contactless.Indicators{StatusCheckRequested: true, TTQ: ttq("3680C000")}},
		{name: "BookB_3_1_1_3_StatusCheckSupported_NotSingleUnit_NotRequested", amount: 101, exponent: 2,
			config: func(c *contactless.CombinationConfig) { c.StatusCheckSupport = true },
			want:   contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_3_StatusCheckSupported_OneMinorUnit_NotRequested", amount: 1, exponent: 2,
			config: func(c *contactless.CombinationConfig) { c.StatusCheckSupport = true },
			want:   contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_3_StatusCheckSupported_ExponentZero_SingleUnitIsOne", amount: 1, exponent: 0,
			config: func(c *contactless.CombinationConfig) { c.StatusCheckSupport = true },
			want:   contactless.Indicators{StatusCheckRequested: true, TTQ: ttq("3680C000")}},
		{name: "BookB_3_1_1_3_StatusCheckNotSupported_SingleUnit_NotRequested", amount: 100, exponent: 2,
			want: contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_4_ZeroAmountNotAllowed_NotAllowed", amount: 0,
			config: func(c *contactless.CombinationConfig) { c.ZeroAmountAllowed = false },
			want:   contactless.Indicators{ContactlessApplicationNotAllowed: true, TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_4_ZeroAmountAllowed_ZeroAmountIndicator", amount: 0,
			config: func(c *contactless.CombinationConfig) { c.TTQ = nil },
			want:   contactless.Indicators{ZeroAmount: true}},
		{name: "BookB_3_1_1_5_AmountAtTransactionLimit_NotAllowed", amount: 5000,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessTransactionLimit = u64(5000) },
			want:   contactless.Indicators{ContactlessApplicationNotAllowed: true, ReaderContactlessTransactionLimitExceeded: true, TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_5_AmountAboveTransactionLimit_NotAllowed", amount: 5001,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessTransactionLimit = u64(5000) },
			want:   contactless.Indicators{ContactlessApplicationNotAllowed: true, ReaderContactlessTransactionLimitExceeded: true, TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_5_AmountBelowTransactionLimit_Allowed", amount: 4999,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessTransactionLimit = u64(5000) },
			want:   contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_5_TransactionLimitZero_EveryAmountNotAllowed", amount: 1,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessTransactionLimit = u64(0) },
			want:   contactless.Indicators{ContactlessApplicationNotAllowed: true, ReaderContactlessTransactionLimitExceeded: true, TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_6_AmountAtFloorLimit_NotExceeded", amount: 5000,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessFloorLimit = u64(5000) },
			want:   contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_6_AmountAboveFloorLimit_Exceeded", amount: 5001,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessFloorLimit = u64(5000) },
			want:   contactless.Indicators{ReaderContactlessFloorLimitExceeded: true, TTQ: ttq("3680C000")}},
		{name: "BookB_3_1_1_6_FloorLimitZero_AnyAmountExceeded", amount: 1,
			config: func(c *contactless.CombinationConfig) { c.ReaderContactlessFloorLimit = u64(0) },
			want:   contactless.Indicators{ReaderContactlessFloorLimitExceeded: true, TTQ: ttq("3680C000")}},
		{name: "BookB_3_1_1_7_NoReaderFloorLimit_AboveTerminalFloorLimit_Exceeded", amount: 2001,
			config: func(c *contactless.CombinationConfig) { c.TerminalFloorLimit = u64(2000) },
			want:   contactless.Indicators{ReaderContactlessFloorLimitExceeded: true, TTQ: ttq("3680C000")}},
		{name: "BookB_3_1_1_7_NoReaderFloorLimit_AtTerminalFloorLimit_NotExceeded", amount: 2000,
			config: func(c *contactless.CombinationConfig) { c.TerminalFloorLimit = u64(2000) },
			want:   contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_7_ReaderFloorLimitPresent_TerminalFloorLimitIgnored", amount: 3000,
			config: func(c *contactless.CombinationConfig) {
				c.TerminalFloorLimit = u64(2000)
				c.ReaderContactlessFloorLimit = u64(5000)
			},
			want: contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_7_NoFloorLimitAtAll_NeverExceeded", amount: MaxTestAmount,
			want: contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_8_AmountAtCVMRequiredLimit_Exceeded", amount: 5000,
			config: func(c *contactless.CombinationConfig) { c.ReaderCVMRequiredLimit = u64(5000) },
			want:   contactless.Indicators{ReaderCVMRequiredLimitExceeded: true, TTQ: ttq("3640C000")}},
		{name: "BookB_3_1_1_8_AmountBelowCVMRequiredLimit_NotExceeded", amount: 4999,
			config: func(c *contactless.CombinationConfig) { c.ReaderCVMRequiredLimit = u64(5000) },
			want:   contactless.Indicators{TTQ: ttq("3600C000")}},
		{name: "BookB_3_1_1_9_FloorAndCVMLimits_OnlineCryptogramAndCVMRequired", amount: 6000,
			config: func(c *contactless.CombinationConfig) {
				c.ReaderContactlessFloorLimit = u64(5000)
				c.ReaderCVMRequiredLimit = u64(5000)
			},
			want: contactless.Indicators{ReaderContactlessFloorLimitExceeded: true, ReaderCVMRequiredLimitExceeded: true, TTQ: ttq("36C0C000")}},
		{name: "BookB_3_1_1_10_StatusCheckRequested_OnlineCryptogramRequired", amount: 100, exponent: 2,
			config: func(c *contactless.CombinationConfig) { c.StatusCheckSupport = true; c.TTQ = unhex("20000000") },
			want:   contactless.Indicators{StatusCheckRequested: true, TTQ: ttq("20800000")}},
		{name: "BookB_3_1_1_11_ZeroAmount_OnlineCapableReader_OnlineCryptogramRequired", amount: 0,
			want: contactless.Indicators{ZeroAmount: true, TTQ: ttq("3680C000")}},
		{name: "BookB_3_1_1_11_ZeroAmount_OfflineOnlyReader_NotAllowed", amount: 0,
			config: func(c *contactless.CombinationConfig) { c.TTQ = unhex("2800C000") },
			want:   contactless.Indicators{ZeroAmount: true, ContactlessApplicationNotAllowed: true, TTQ: ttq("2800C000")}},
		{name: "BookB_3_1_1_12_CVMRequiredLimitExceeded_CVMRequired", amount: 9000,
			config: func(c *contactless.CombinationConfig) { c.ReaderCVMRequiredLimit = u64(100) },
			want:   contactless.Indicators{ReaderCVMRequiredLimitExceeded: true, TTQ: ttq("3640C000")}},
		{name: "BookB_3_1_1_12_NoTTQ_IndicatorsOnly", amount: 9000,
			config: func(c *contactless.CombinationConfig) {
				c.TTQ = nil
				c.ReaderCVMRequiredLimit = u64(100)
				c.ReaderContactlessFloorLimit = u64(100)
			},
			want: contactless.Indicators{ReaderCVMRequiredLimitExceeded: true, ReaderContactlessFloorLimitExceeded: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cc := base()
			if tc.config != nil {
				tc.config(&cc)
			}
			cfg := testConfig(cc)
			cfg.CurrencyExponent = tc.exponent
			got := contactless.Preprocess(cfg, &contactless.Transaction{Amount: tc.amount})
			require.Len(t, got, 1)
			assert.Same(t, &cfg.Combinations[0], got[0].Config)
			assert.Equal(t, tc.want, got[0].Indicators)
		})
	}
}

// MaxTestAmount is the largest Amount, Authorised.
const MaxTestAmount = 999999999999

// TestPreprocessingPerTransactionType checks the configuration per
// transaction type (Book B §3.1.1, Table 3-1): which configuration of a
// combination is in effect.
func TestPreprocessingPerTransactionType(t *testing.T) {
	purchaseCfg := visa()
	purchaseCfg.TransactionTypes = []byte{0x00}
	purchaseCfg.ReaderCVMRequiredLimit = u64(100)
	cashCfg := visa()
	cashCfg.TransactionTypes = []byte{0x01, 0x09}
	cashCfg.ReaderContactlessTransactionLimit = u64(500)
	anyCfg := visa()
	refundOnly := mastercard()
	refundOnly.TransactionTypes = []byte{0x20}
	cfg := testConfig(anyCfg, purchaseCfg, cashCfg, refundOnly)

	tests := []struct {
		name string
		typ  byte
		want []int // indices of cfg.Combinations in effect
	}{
		{"BookB_3_1_1_TransactionType_ConfigNamingTheTypeWins", 0x00, []int{1}},
		{"BookB_3_1_1_TransactionType_SecondTypeOfAList", 0x09, []int{2}},
		{"BookB_3_1_1_TransactionType_NoConfigNamesIt_ConfigWithoutTypes", 0x31, []int{0}},
		{"BookB_3_1_1_TransactionType_OnlyConfigNamesAnotherType_NotInEffect", 0x20, []int{0, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := contactless.Preprocess(cfg, &contactless.Transaction{Type: tc.typ, Amount: 1000})
			var idx []int
			for _, p := range got {
				for i := range cfg.Combinations {
					if p.Config == &cfg.Combinations[i] {
						idx = append(idx, i)
					}
				}
			}
			assert.Equal(t, tc.want, idx)
		})
	}
}

// TestPreprocessingOutcome checks pre-processing as Run acts on it.
func TestPreprocessingOutcome(t *testing.T) {
	t.Run("BookB_3_1_1_13_AllCombinationsNotAllowed_TryAnotherInterface", func(t *testing.T) {
		card := cardWith(entry(visaAID), entry(mcAID))
		k := &stubKernel{}
		res := run(t, testConfig(visa(), mastercard()), kernels(k, 2, 3), contactless.OneCard(card), contactless.Transaction{Amount: 100000})
		want := contactless.NewParameterSet(contactless.StatusTryAnotherInterface)
		u := insertOrSwipe
		want.UIRequestOnOutcome = &u
		assert.Equal(t, want, res.Outcome.Parameters)
		assert.Equal(t, []contactless.UIRequest{insertOrSwipe}, res.UI)
		assert.Empty(t, card.commands, "the field is not used")
		assert.Empty(t, k.seen)
		assert.Nil(t, res.Combination)
	})
	t.Run("BookB_3_1_1_13_OneCombinationAllowed_TransactionGoesOn", func(t *testing.T) {
		mc := mastercard()
		mc.ReaderContactlessTransactionLimit = u64(200000)
		card := cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))
		k := &stubKernel{}
		res := run(t, testConfig(visa(), mc), kernels(k, 2, 3), contactless.OneCard(card), contactless.Transaction{Amount: 150000})
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
		assert.Equal(t, []string{mcAID + "/2"}, aids(res.Candidates), "the Visa combination is not allowed, so not a candidate")
		assert.Equal(t, []string{selectPPSE, selectAID(mcAID)}, commands(res))
	})
	t.Run("BookB_3_1_1_13_NoCombinationForTheTransactionType_TryAnotherInterface", func(t *testing.T) {
		v := visa()
		v.TransactionTypes = []byte{0x00}
		card := cardWith(entry(visaAID))
		res := run(t, testConfig(v), kernels(&stubKernel{}, 3), contactless.OneCard(card), contactless.Transaction{Type: 0x20, Amount: 100})
		assert.Equal(t, contactless.StatusTryAnotherInterface, res.Outcome.Parameters.Status)
		assert.Empty(t, card.commands)
	})
	t.Run("BookB_3_1_1_4_ZeroAmountNotAllowedOnOne_OtherServes", func(t *testing.T) {
		v := visa()
		v.ZeroAmountAllowed = false
		card := cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))
		k := &stubKernel{}
		res := run(t, testConfig(v, mastercard()), kernels(k, 2, 3), contactless.OneCard(card), contactless.Transaction{Amount: 0})
		require.Len(t, k.seen, 1)
		assert.Equal(t, contactless.Kernel2, k.seen[0].Kernel)
		assert.True(t, k.seen[0].Indicators.ZeroAmount)
		assert.Len(t, res.Preprocessing, 2)
		assert.True(t, res.Preprocessing[0].Indicators.ContactlessApplicationNotAllowed)
	})
	t.Run("BookB_3_1_1_12_TTQCopyReachesTheKernel", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		k := &stubKernel{}
		run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), contactless.Transaction{Amount: 6000})
		require.Len(t, k.seen, 1)
		assert.Equal(t, ttq("36C0C000"), k.seen[0].Indicators.TTQ)
		v, ok := tlv.Find(k.seen[0].TerminalData, 0x9F66)
		require.True(t, ok)
		assert.Equal(t, "36C0C000", fmt.Sprintf("%X", v))
	})
}
