package contactless_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadTestBench loads the shipped terminal file: both interfaces read
// it, each its own part.
func TestLoadTestBench(t *testing.T) {
	const path = "../testdata/terminals/test-bench.json"
	c, err := contactless.LoadConfig(path)
	require.NoError(t, err)
	assert.Equal(t, uint16(840), c.Country)
	assert.Equal(t, uint16(840), c.Currency)
	assert.Equal(t, "TERM0001", c.TerminalID)
	assert.Equal(t, [3]byte{0xE0, 0xF8, 0xC8}, c.Capabilities)
	require.NotNil(t, c.CAKeys)
	_, ok := c.CAKeys.Key(unhex("A000000003"), 0xE1)
	assert.True(t, ok)

	var got []string
	for _, cc := range c.Combinations {
		got = append(got, fmt.Sprintf("%X/%d ttq=%X", cc.AID, cc.Kernel, cc.TTQ))
	}
	assert.Equal(t, []string{
		"A0000000031010/3 ttq=3600C000", "A0000000032010/3 ttq=3600C000",
		"A0000000041010/2 ttq=", "A0000000043060/2 ttq=",
		"A000000333010101/7 ttq=36008000", "A000000333010102/7 ttq=36008000", "A000000333010103/7 ttq=36008000",
	}, got)
	v := c.Combinations[0]
	assert.Equal(t, contactless.CombinationConfig{
		AID: unhex(visaAID), Kernel: 3, ApplicationVersion: unhex("0096"), ZeroAmountAllowed: true,
		ReaderContactlessTransactionLimit: u64(100000), ReaderContactlessFloorLimit: u64(5000),
		ReaderCVMRequiredLimit: u64(5000), TTQ: unhex("3600C000"),
	}, v)
}

// minimal is the smallest terminal file with a contactless section, the
// section replaced by s.
func minimal(section string) string {
	return `{"country": 156, "currency": 156, "currency_exponent": 2, "contactless": ` + section + `}`
}

func TestParseConfig(t *testing.T) {
	t.Run("EveryKey", func(t *testing.T) {
		c, err := contactless.ParseConfig([]byte(`{
			"comment": "x", "terminal_type": "21", "capabilities": "E068C8", "additional_capabilities": "6000F0A001",
			"country": 156, "currency": 156, "currency_exponent": 2, "merchant_category": 5411,
			"merchant_id": "M", "merchant_name_location": "SHOP", "terminal_id": "T1", "ifd_serial": "S1", "acquirer_id": "12345678",
			"bypass_all_pin_cvms": true, "params": {"floor_limit": 100}, "applications": [{"aid": "A0000003330101"}],
			"contactless": {"comment": "c", "combinations": [{
				"aid": "A000000333010101", "kernel": 7, "extended_kernel_id": "0001", "transaction_types": ["00", "09"],
				"application_version": "0030", "status_check": true, "zero_amount_allowed": true, "extended_selection": true,
				"limits": {"contactless_transaction": 100000, "contactless_floor": 0, "terminal_floor": 2000, "cvm_required": 30000},
				"ttq": "36 00 80 00", "kernel_data": {"DF8118": "60", "9F6D": "0001", "DF8117": ""}, "comment": "UnionPay"
			}]}
		}`))
		require.NoError(t, err)
		assert.Equal(t, byte(0x21), c.TerminalType)
		assert.Equal(t, [5]byte{0x60, 0x00, 0xF0, 0xA0, 0x01}, c.AdditionalCapabilities)
		assert.Equal(t, "12345678", c.AcquirerID)
		require.Len(t, c.Combinations, 1)
		assert.Equal(t, contactless.CombinationConfig{
			AID: unhex("A000000333010101"), Kernel: 7, ExtendedKernelID: unhex("0001"), TransactionTypes: []byte{0x00, 0x09},
			ApplicationVersion: unhex("0030"), StatusCheckSupport: true, ZeroAmountAllowed: true, ExtendedSelectionSupport: true,
			ReaderContactlessTransactionLimit: u64(100000), ReaderContactlessFloorLimit: u64(0), TerminalFloorLimit: u64(2000),
			ReaderCVMRequiredLimit: u64(30000), TTQ: unhex("36008000"),
			KernelData: unhex("DF8118 01 60 9F6D 02 0001 DF8117 00"),
		}, c.Combinations[0], "kernel data in the file's order")
	})
	one := func(body string) string { return minimal(`{"combinations": [` + body + `]}`) }
	bad := []struct {
		name, file, field string
	}{
		{"UnknownTopLevelKey", `{"country": 1, "currency": 1, "contactles": {}}`, "contactles"},
		{"UnknownSectionKey", minimal(`{"combinations": [], "limit": 1}`), "contactless.limit"},
		{"UnknownCombinationKey", one(`{"aid": "A0000000031010", "kernel": 3, "ttqq": "00"}`), "contactless.combinations[0].ttqq"},
		{"UnknownLimitKey", one(`{"aid": "A0000000031010", "kernel": 3, "limits": {"cvm_requird": 1}}`), "contactless.combinations[0].limits.cvm_requird"},
		{"SecondCombinationNamed", one(`{"aid": "A0000000031010", "kernel": 3}, {"aid": "A0000000041010", "kernel": 2, "x": 1}`), "contactless.combinations[1].x"},
		{"NoSection", `{"country": 1, "currency": 1}`, "contactless"},
		{"NoCombination", minimal(`{"combinations": []}`), "contactless.combinations"},
		{"AIDMissing", one(`{"kernel": 3}`), "contactless.combinations[0].aid"},
		{"AIDNotHex", one(`{"aid": "A00000000G", "kernel": 3}`), "contactless.combinations[0].aid"},
		{"AIDTooShort", one(`{"aid": "A0000000", "kernel": 3}`), "contactless.combinations[0].aid"},
		{"KernelMissing", one(`{"aid": "A0000000031010"}`), "contactless.combinations[0].kernel"},
		{"KernelZero", one(`{"aid": "A0000000031010", "kernel": 0}`), "contactless.combinations[0].kernel"},
		{"KernelTooLarge", one(`{"aid": "A0000000031010", "kernel": 256}`), "contactless.combinations[0].kernel"},
		{"KernelAString", one(`{"aid": "A0000000031010", "kernel": "3"}`), "contactless.combinations[0].kernel"},
		{"TTQThreeBytes", one(`{"aid": "A0000000031010", "kernel": 3, "ttq": "3600C0"}`), "contactless.combinations[0].ttq"},
		{"ExtendedKernelIDOneByte", one(`{"aid": "A0000000031010", "kernel": 193, "extended_kernel_id": "01"}`), "contactless.combinations[0].extended_kernel_id"},
		{"TransactionTypeTwoBytes", one(`{"aid": "A0000000031010", "kernel": 3, "transaction_types": ["0000"]}`), "contactless.combinations[0].transaction_types[0]"},
		{"LimitNegative", one(`{"aid": "A0000000031010", "kernel": 3, "limits": {"cvm_required": -1}}`), "contactless.combinations[0].limits.cvm_required"},
		{"LimitThirteenDigits", one(`{"aid": "A0000000031010", "kernel": 3, "limits": {"contactless_floor": 1000000000000}}`), "contactless.combinations[0].limits.contactless_floor"},
		{"KernelDataNotObject", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": ["DF8118"]}`), "contactless.combinations[0].kernel_data"},
		{"KernelDataBadTag", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": {"DF": "00"}}`), "contactless.combinations[0].kernel_data.DF"},
		{"KernelDataTagNotHex", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": {"TTQ": "00"}}`), "contactless.combinations[0].kernel_data.TTQ"},
		{"KernelDataConstructedTag", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": {"FF8105": "00"}}`), "contactless.combinations[0].kernel_data.FF8105"},
		{"KernelDataTwice", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": {"DF8118": "00", "DF8118": "01"}}`), "contactless.combinations[0].kernel_data.DF8118"},
		{"KernelDataValueNotString", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": {"DF8118": 96}}`), "contactless.combinations[0].kernel_data.DF8118"},
		{"KernelDataValueNotHex", one(`{"aid": "A0000000031010", "kernel": 3, "kernel_data": {"DF8118": "6"}}`), "contactless.combinations[0].kernel_data.DF8118"},
		{"CountryMissing", `{"currency": 1, "contactless": {"combinations": [{"aid": "A0000000031010", "kernel": 3}]}}`, "country"},
		{"CapabilitiesTwoBytes", `{"country": 1, "currency": 1, "capabilities": "E0F8", "contactless": {}}`, "capabilities"},
		{"AcquirerIDLetters", `{"country": 1, "currency": 1, "acquirer_id": "ABCDEF", "contactless": {"combinations": [{"aid": "A0000000031010", "kernel": 3}]}}`, "acquirer_id"},
		{"TrailingData", minimal(`{"combinations": []}`) + ` {}`, "file"},
	}
	// The decoder of emv.ParseConfig: a key given twice, anywhere, and a
	// value of the wrong kind are errors naming the JSON path and saying
	// what the value should be.
	exact := []struct {
		name, file, field, reason string
	}{
		{"DuplicateTopLevelKey", `{"country": 1, "currency": 1, "country": 2, "contactless": {}}`, "country", "key given twice"},
		{"DuplicateSection", `{"country": 1, "currency": 1, "contactless": {}, "contactless": {}}`, "contactless", "key given twice"},
		{"DuplicateSectionKey", minimal(`{"combinations": [], "combinations": []}`), "contactless.combinations", "key given twice"},
		{"DuplicateCombinationKey", one(`{"aid": "A0000000031010", "kernel": 3}, {"aid": "A0000000031010", "kernel": 3, "kernel": 2}`), "contactless.combinations[1].kernel", "key given twice"},
		{"DuplicateLimitKey", one(`{"aid": "A0000000031010", "kernel": 3, "limits": {"cvm_required": 1000, "cvm_required": 9000}}`), "contactless.combinations[0].limits.cvm_required", "key given twice"},
		{"DuplicateInComment", one(`{"aid": "A0000000031010", "kernel": 3, "comment": {"a": 1, "a": 2}}`), "contactless.combinations[0].comment.a", "key given twice"},
		{"DuplicateInContactKeys", `{"country": 1, "currency": 1, "params": {"floor_limit": 1, "floor_limit": 2}, "contactless": {}}`, "params.floor_limit", "key given twice"},
		{"KernelAString", one(`{"aid": "A0000000031010", "kernel": "3"}`), "contactless.combinations[0].kernel", "a JSON string, want an integer"},
		{"LimitAString", one(`{"aid": "A0000000031010", "kernel": 3, "limits": {"contactless_floor": "50.00"}}`), "contactless.combinations[0].limits.contactless_floor", "a JSON string, want an integer from 0 to 18446744073709551615"},
		{"StatusCheckANumber", one(`{"aid": "A0000000031010", "kernel": 3, "status_check": 1}`), "contactless.combinations[0].status_check", "a JSON number, want true or false"},
		{"TTQANumber", one(`{"aid": "A0000000031010", "kernel": 3, "ttq": 36000000}`), "contactless.combinations[0].ttq", "a JSON number, want a string"},
		{"CountryTooLarge", `{"country": 70000, "currency": 1, "contactless": {}}`, "country", "a JSON number 70000, want an integer from 0 to 65535"},
		{"LimitsAnArray", one(`{"aid": "A0000000031010", "kernel": 3, "limits": [1]}`), "contactless.combinations[0].limits", "a JSON array, want an object"},
		{"CombinationsAnObject", minimal(`{"combinations": {}}`), "contactless.combinations", "a JSON object, want an array"},
		{"SectionAString", `{"country": 1, "currency": 1, "contactless": "visa"}`, "contactless", "a JSON string, want an object"},
		{"UnknownKeyNamed", one(`{"aid": "A0000000031010", "kernel": 3, "ttqq": "00"}`), "contactless.combinations[0].ttqq", `unknown key "ttqq" in contactless.combinations[0]`},
		{"Truncated", `{"country": 1, "contactless": {"combinations": [{"aid": "A0`, "contactless.combinations[0].aid", "the JSON ends early"},
		{"Null", `null`, "file", "null, want a JSON object"},
	}
	for _, tc := range exact {
		t.Run(tc.name, func(t *testing.T) {
			_, err := contactless.ParseConfig([]byte(tc.file))
			var ce *contactless.ConfigError
			require.ErrorAs(t, err, &ce, "%v", err)
			assert.Equal(t, &contactless.ConfigError{Field: tc.field, Reason: tc.reason}, ce)
			assert.EqualError(t, err, "contactless: config: "+tc.field+": "+tc.reason)
		})
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := contactless.ParseConfig([]byte(tc.file))
			var ce *contactless.ConfigError
			require.ErrorAs(t, err, &ce, "%v", err)
			assert.Equal(t, tc.field, ce.Field, "%v", err)
			assert.True(t, strings.HasPrefix(err.Error(), "contactless: config: "+tc.field+": "), err.Error())
		})
	}
	t.Run("LoadConfigMissingFile", func(t *testing.T) {
		_, err := contactless.LoadConfig("no/such/file.json")
		require.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("LoadConfigNamesTheFile", func(t *testing.T) {
		p := t.TempDir() + "/t.json"
		require.NoError(t, os.WriteFile(p, []byte(`{"country": 1}`), 0o600))
		_, err := contactless.LoadConfig(p)
		require.ErrorContains(t, err, "(in "+p+")")
	})
}

// TestConfigValidate checks what the Entry Point refuses to run with, each
// named by its JSON key.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*contactless.Config)
		field string
	}{
		{"CountryZero", func(c *contactless.Config) { c.Country = 0 }, "country"},
		{"CurrencyFourDigits", func(c *contactless.Config) { c.Currency = 1000 }, "currency"},
		{"ExponentTen", func(c *contactless.Config) { c.CurrencyExponent = 10 }, "currency_exponent"},
		{"MerchantCategoryFiveDigits", func(c *contactless.Config) { c.MerchantCategory = 10000 }, "merchant_category"},
		{"AcquirerIDShort", func(c *contactless.Config) { c.AcquirerID = "12345" }, "acquirer_id"},
		{"NoCombination", func(c *contactless.Config) { c.Combinations = nil }, "contactless.combinations"},
		{"AIDSeventeenBytes", func(c *contactless.Config) { c.Combinations[1].AID = make([]byte, 17) }, "contactless.combinations[1].aid"},
		{"KernelZero", func(c *contactless.Config) { c.Combinations[0].Kernel = 0 }, "contactless.combinations[0].kernel"},
		{"TTQFiveBytes", func(c *contactless.Config) { c.Combinations[0].TTQ = make([]byte, 5) }, "contactless.combinations[0].ttq"},
		{"ExtendedKernelIDThreeBytes", func(c *contactless.Config) { c.Combinations[0].ExtendedKernelID = make([]byte, 3) }, "contactless.combinations[0].extended_kernel_id"},
		{"CVMLimitThirteenDigits", func(c *contactless.Config) { c.Combinations[1].ReaderCVMRequiredLimit = u64(MaxTestAmount + 1) }, "contactless.combinations[1].limits.cvm_required"},
		{"KernelDataCutShort", func(c *contactless.Config) { c.Combinations[1].KernelData = unhex("DF811B02") }, "contactless.combinations[1].kernel_data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig(visa(), mastercard())
			require.NoError(t, c.Validate())
			tc.edit(c)
			err := c.Validate()
			var ce *contactless.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field, "%v", err)
		})
	}
}

// FuzzParseConfig: any input either gives a Config that validates, or an
// error that is a *ConfigError; never a panic.
func FuzzParseConfig(f *testing.F) {
	b, err := os.ReadFile("../testdata/terminals/test-bench.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(minimal(`{"combinations": [{"aid": "A0000000031010", "kernel": 3, "limits": {"cvm_required": 1}, "kernel_data": {"DF8118": "60"}}]}`)))
	f.Add([]byte(minimal(`{"combinations": [{"aid": "A0000000031010", "kernel": 3, "kernel": 3}]}`)))
	f.Add([]byte(`{"country": 1, "currency": 1, "contactless": null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := contactless.ParseConfig(b)
		if err != nil {
			var ce *contactless.ConfigError
			if c != nil || !errors.As(err, &ce) {
				t.Fatalf("config %v, error %T: %v", c, err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}
