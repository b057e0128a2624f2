package emv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every configuration shipped in testdata/terminals loads and validates.
func TestLoadConfigTestdata(t *testing.T) {
	files, err := filepath.Glob("../testdata/terminals/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := emv.LoadConfig(f)
			require.NoError(t, err)
			assert.NotEmpty(t, c.Applications)
		})
	}
	c, err := emv.LoadConfig("../testdata/terminals/test-cards.json")
	require.NoError(t, err)
	assert.Equal(t, byte(0x22), c.TerminalType)
	assert.Equal(t, [3]byte{0xE0, 0xF8, 0xC8}, c.Capabilities)
	assert.Equal(t, uint16(840), c.Country)
	assert.Equal(t, 2, c.CurrencyExponent)
	assert.Equal(t, "123456", c.AcquirerID)
	require.Len(t, c.Applications, 4)
	assert.Equal(t, mustHex("A0000000041010"), c.Applications[2].AID)
	assert.True(t, c.Applications[2].PartialSelection)
	assert.Equal(t, mustHex("0002"), c.Applications[2].Params.Version)
	assert.Equal(t, &tvr.TVR{0xFC, 0x50, 0xBC, 0xF8, 0x00}, c.Applications[2].Params.TACOnline)
	assert.Equal(t, uint64(5000), *c.FloorLimit)
	assert.Equal(t, &emv.RandomSelection{TargetPercent: 10, MaxTargetPercent: 50, Threshold: 2000}, c.RandomSelection)
	require.NotNil(t, c.CAKeys)
	assert.Len(t, c.CAKeys.Keys(), 12)
	_, ok := c.CAKeys.Key(mustHex("A000000003"), 0x92)
	assert.True(t, ok)
}

// Every configuration error names the JSON path of the key it is about,
// whatever found it: the JSON reader (unknown and repeated keys, types,
// syntax), the hex reader, the length checks and Config.Validate. One case
// per kind of error and per place a key can be, each with its exact
// message.
func TestParseConfigErrors(t *testing.T) {
	const apps = `"applications": [{"aid": "A0000000031010"}]`
	const base = `"country": 840, "currency": 840, `
	tests := []struct {
		name, json, field, reason string
	}{
		// Unknown keys: the path of the key, and the object it is in.
		{"UnknownKey", `{` + base + `"contry": 1, ` + apps + `}`, "contry", `unknown key "contry" at the top level`},
		{"UnknownKeyCase", `{"Country": 840, "currency": 840, ` + apps + `}`, "Country", `unknown key "Country" at the top level`},
		{"UnknownKeyInParams", `{` + base + `"params": {"flor_limit": 1}, ` + apps + `}`, "params.flor_limit", `unknown key "flor_limit" in params`},
		{"UnknownKeyInApplication", `{` + base + `"applications": [{"aid": "A0000000031010", "pix": "01"}]}`, "applications[0].pix", `unknown key "pix" in applications[0]`},
		{"UnknownKeyDeep", `{` + base + `"applications": [{"aid": "A0000000031010"}, {"aid": "A0000000041010", "params": {"random_selection": {"target": 1}}}]}`, "applications[1].params.random_selection.target", `unknown key "target" in applications[1].params.random_selection`},
		// A key given twice, anywhere, even where the kernel reads nothing.
		{"DuplicateKey", `{` + base + `"country": 826, ` + apps + `}`, "country", "key given twice"},
		{"DuplicateKeyInParams", `{` + base + `"params": {"floor_limit": 1, "floor_limit": 2}, ` + apps + `}`, "params.floor_limit", "key given twice"},
		{"DuplicateKeyInApplication", `{` + base + `"applications": [{"aid": "A0000000031010", "aid": "A0000000041010"}]}`, "applications[0].aid", "key given twice"},
		{"DuplicateKeyInCAKeys", `{` + base + apps + `, "ca_keys": {"keys": [{"rid": "A000000003", "rid": "A000000004"}]}}`, "ca_keys.keys[0].rid", "key given twice"},
		{"DuplicateKeyInComment", `{` + base + apps + `, "comment": {"a": 1, "a": 2}}`, "comment.a", "key given twice"},
		// Hex: the key and the value.
		{"NotHex", `{` + base + `"capabilities": "E0F8CG", ` + apps + `}`, "capabilities", `"E0F8CG" is not hex: encoding/hex: invalid byte: U+0047 'G'`},
		{"NotHexAID", `{` + base + `"applications": [{"aid": "A0000000031010"}, {"aid": "A00000000310GG"}]}`, "applications[1].aid", `"A00000000310GG" is not hex: encoding/hex: invalid byte: U+0047 'G'`},
		{"OddHex", `{` + base + `"params": {"tac_online": "DC40 04F8 0"}, ` + apps + `}`, "params.tac_online", `"DC40 04F8 0" is not hex: encoding/hex: odd length hex string`},
		{"HexNotString", `{` + base + `"applications": [{"aid": 1234}]}`, "applications[0].aid", "a JSON number, want a hex string"},
		// Types.
		{"WrongType", `{"country": "840", "currency": 840, ` + apps + `}`, "country", "a JSON string, want an integer from 0 to 65535"},
		{"Overflow", `{"country": 70000, "currency": 840, ` + apps + `}`, "country", "a JSON number 70000, want an integer from 0 to 65535"},
		{"Negative", `{"country": -1, "currency": 840, ` + apps + `}`, "country", "a JSON number -1, want an integer from 0 to 65535"},
		{"Fraction", `{` + base + `"params": {"floor_limit": 1.5}, ` + apps + `}`, "params.floor_limit", "a JSON number 1.5, want an integer from 0 to 18446744073709551615"},
		{"NotBool", `{` + base + `"params": {"always_manage_risk": "yes"}, ` + apps + `}`, "params.always_manage_risk", "a JSON string, want true or false"},
		{"NotInt", `{` + base + `"params": {"random_selection": {"target_percent": "x"}}, ` + apps + `}`, "params.random_selection.target_percent", "a JSON string, want an integer"},
		{"NotArray", `{` + base + `"applications": {"aid": "A0000000031010"}}`, "applications", "a JSON object, want an array"},
		{"NotObject", `{` + base + `"params": [], ` + apps + `}`, "params", "a JSON array, want an object"},
		// The file as a whole.
		{"Empty", ``, "file", "the JSON ends early"},
		{"Null", `null`, "file", "null, want a JSON object"},
		{"Array", `[]`, "file", "a JSON array, want an object"},
		{"Truncated", `{"country": 840,`, "file", "the JSON ends early"},
		{"TruncatedInParams", `{"params": {"version": "00`, "params.version", "the JSON ends early"},
		{"Syntax", `{"country": 840 "currency": 1}`, "file", `invalid JSON at byte 16: invalid character '"' after object key:value pair`},
		{"TrailingData", `{` + base + apps + `} {}`, "file", "data after the configuration object"},
		// Lengths checked while reading.
		{"CapabilitiesLength", `{` + base + `"capabilities": "E0F8", ` + apps + `}`, "capabilities", "2 bytes, want 3"},
		{"TACLength", `{` + base + `"params": {"tac_online": "DC4004F8"}, ` + apps + `}`, "params.tac_online", "4 bytes, want 5"},
		// Config.Validate, by the JSON path of the key, not the Go field.
		{"CountryMissing", `{"currency": 840, ` + apps + `}`, "country", "0 is not an ISO 3166-1 numeric code"},
		{"CurrencyTooLarge", `{"country": 840, "currency": 1000, ` + apps + `}`, "currency", "1000 is not an ISO 4217 numeric code"},
		{"CurrencyExponent", `{` + base + `"currency_exponent": 10, ` + apps + `}`, "currency_exponent", "10 is outside 0..9"},
		{"MerchantCategory", `{` + base + `"merchant_category": 10000, ` + apps + `}`, "merchant_category", "10000 has more than 4 digits"},
		{"NoApplications", `{` + base[:len(base)-2] + `}`, "applications", "no application is supported"},
		{"AIDTooShort", `{` + base + `"applications": [{"aid": "A000"}]}`, "applications[0].aid", "2 bytes, an AID has 5 to 16 (Book 1 §12.2.1)"},
		{"AIDTwice", `{` + base + `"applications": [{"aid": "A0000000031010"}, {"aid": "A0000000031010"}]}`, "applications[1].aid", "A0000000031010 is listed twice"},
		{"TerminalType", `{"terminal_type": "47", ` + base + apps + `}`, "terminal_type", "47 is not a terminal type of Book 4 Annex A1"},
		{"VersionLength", `{` + base + `"applications": [{"aid": "A0000000031010", "params": {"version": "8C"}}]}`, "applications[0].params.version", "1 bytes, 9F09 has 2"},
		{"FloorLimitTooLarge", `{` + base + `"params": {"floor_limit": 4294967296}, ` + apps + `}`, "params.floor_limit", "does not fit 9F1B (4 bytes)"},
		{"BadDDOL", `{` + base + `"params": {"default_ddol": "9F37"}, ` + apps + `}`, "params.default_ddol", "tlv: DOL entry 9F37 at offset 0: data ends inside a data object"},
		{"BadTDOLInApplication", `{` + base + `"applications": [{"aid": "A0000000031010", "params": {"default_tdol": "9F37"}}]}`, "applications[0].params.default_tdol", "tlv: DOL entry 9F37 at offset 0: data ends inside a data object"},
		{"RandomTargetAboveMax", `{` + base + `"params": {"random_selection": {"target_percent": 60, "max_target_percent": 50}}, ` + apps + `}`, "params.random_selection", "target 60%, maximum 50%: need 0 <= target <= maximum <= 99 (Book 3 §10.6.2)"},
		{"ThresholdAboveFloorLimit", `{` + base + `"params": {"floor_limit": 1000, "random_selection": {"target_percent": 10, "max_target_percent": 50, "threshold": 1000}}, ` + apps + `}`, "params.random_selection.threshold", "1000 is not below the floor limit 1000 of application A0000000031010 (Book 3 §10.6.2)"},
		{"ApplicationThresholdAboveFloorLimit", `{` + base + `"params": {"floor_limit": 1000}, "applications": [{"aid": "A0000000031010", "params": {"random_selection": {"threshold": 2000}}}]}`, "applications[0].params.random_selection.threshold", "2000 is not below the floor limit 1000 of application A0000000031010 (Book 3 §10.6.2)"},
		{"AcquirerID", `{` + base + `"acquirer_id": "12AB56", ` + apps + `}`, "acquirer_id", `"12AB56" is not 6 to 11 digits`},
		{"TerminalIDTooLong", `{` + base + `"terminal_id": "TERMINAL1", ` + apps + `}`, "terminal_id", "9 characters, at most 8"},
		{"MerchantIDTooLong", `{` + base + `"merchant_id": "MERCHANT00000001", ` + apps + `}`, "merchant_id", "16 characters, at most 15"},
		{"IFDSerialTooLong", `{` + base + `"ifd_serial": "IFD000001", ` + apps + `}`, "ifd_serial", "9 characters, at most 8"},
		// The CA keys are read by oda.LoadKeyStore: its errors keep
		// their path under ca_keys, but for a key the store refuses,
		// which it names by RID and index.
		{"CAKeyHex", `{` + base + apps + `, "ca_keys": {"keys": [{"rid": "A000000003", "index": "93", "modulus": "C0", "exponent": "0X", "checksum": "00"}]}}`, "ca_keys.keys[0].exponent", "encoding/hex: invalid byte: U+0058 'X'"},
		{"CAKeyRevocation", `{` + base + apps + `, "ca_keys": {"keys": [], "revocations": [{"rid": "A000000003", "index": "92", "serial": "1234"}]}}`, "ca_keys.revocations[0].serial", `"1234" is 2 bytes, want 3`},
		{"CAKeyUnknownKey", `{` + base + apps + `, "ca_keys": {"kees": []}}`, "ca_keys", `oda: CA key file: unknown field "kees"`},
		{"CAKeyChecksum", `{` + base + apps + `, "ca_keys": {"keys": [{"rid": "A000000003", "index": "92", "modulus": "C0", "exponent": "03", "checksum": "00"}]}}`, "ca_keys", "oda: CA public key A000000003/92: check value mismatch: computed C897400570748734E7A68CC64D3A60A4574BE8F6, listed 00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := emv.ParseConfig([]byte(tc.json))
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, emv.ErrConfig)
			var ce *emv.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, tc.reason, ce.Reason)
			assert.Equal(t, "emv: config: "+tc.field+": "+tc.reason, err.Error())
		})
	}
}

// LoadConfig reports the same errors, with the file's name.
func TestLoadConfigErrorNamesKeyAndFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "terminal.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"country": 840, "currency": 840, "applications": [{"aid": "A0000000031010", "params": {"floor_limit": 1, "floor_limit": 2}}]}`), 0o600))
	_, err := emv.LoadConfig(path)
	var ce *emv.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "applications[0].params.floor_limit", ce.Field)
	assert.EqualError(t, err, "emv: config: applications[0].params.floor_limit: key given twice (in "+path+")")
}

// Validate, for a Config built in Go, names the Go fields; ParseConfig
// names the keys of the file for the same problem.
func TestConfigErrorFieldGoOrJSON(t *testing.T) {
	floor := uint64(1000)
	c := &emv.Config{Country: 840, Currency: 840, Applications: []emv.Application{
		{AID: mustHex("A0000000031010"), Params: emv.AppParams{FloorLimit: &floor, RandomSelection: &emv.RandomSelection{Threshold: 1000}}},
	}}
	var ce *emv.ConfigError
	require.ErrorAs(t, c.Validate(), &ce)
	assert.Equal(t, "Applications[0].Params.RandomSelection.Threshold", ce.Field)
	_, err := emv.ParseConfig([]byte(`{"country": 840, "currency": 840, "applications": [{"aid": "A0000000031010", "params": {"floor_limit": 1000, "random_selection": {"threshold": 1000}}}]}`))
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "applications[0].params.random_selection.threshold", ce.Field)
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := emv.LoadConfig(filepath.Join(t.TempDir(), "nope.json"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// An invalid Config stops Run before any command.
func TestRunRefusesInvalidConfig(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	res, err := emv.Run(context.Background(), card, &emv.Config{Country: 840}, emv.Transaction{Amount: 1}, nil)
	assert.Nil(t, res)
	var ce *emv.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "Currency", ce.Field)
	assert.Equal(t, 0, card.Commands())
}

// The zero values of Config take the documented defaults: terminal type
// 22 and capabilities E0F8C8 go to the card in the PDOL data.
func TestConfigDefaultsReachTheCard(t *testing.T) {
	p := emvtest.MastercardDDA() // PDOL 9F3501 9F1A02
	p.Applications[0].PDOL = mustHex("9F35019F33039F40059F1A02")
	card := emvtest.NewCard(p)
	cfg := &emv.Config{Country: 826, Currency: 826, Applications: []emv.Application{{AID: mustHex("A0000000041010")}}}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 100}, nil)
	require.NoError(t, err)
	var gpo []byte
	for _, e := range res.Trace {
		if e.Command[1] == 0xA8 {
			gpo = e.Command
		}
	}
	assert.Equal(t, mustHex("80A80000"+"0D"+"830B"+"22"+"E0F8C8"+"F000F0A001"+"0826"+"00"), gpo)
	assert.True(t, cfg.OnlineCapable())
	assert.False(t, (&emv.Config{TerminalType: 0x23}).OnlineCapable())
	assert.False(t, (&emv.Config{TerminalType: 0x26}).OnlineCapable())
	assert.True(t, (&emv.Config{TerminalType: 0x14}).OnlineCapable())
}

func TestTransactionValidation(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	cfg := testConfig(t, card)
	for _, txn := range []emv.Transaction{
		{Amount: 1_000_000_000_000},
		{Type: emv.PurchaseCashback, Amount: 100, AmountOther: 200},
		{Amount: 1, SequenceCounter: 100_000_000},
	} {
		res, err := emv.Run(context.Background(), card, cfg, txn, nil)
		require.ErrorIs(t, err, emv.ErrTransaction)
		assert.Equal(t, emv.Terminated, res.Outcome)
		assert.Empty(t, res.Trace)
	}
	assert.Equal(t, 0, card.Commands())
}

func TestParseTransactionType(t *testing.T) {
	for in, want := range map[string]emv.TransactionType{
		"purchase": emv.Purchase, "cash": emv.Cash, "cashback": emv.PurchaseCashback,
		"refund": emv.Refund, "inquiry": emv.BalanceInquiry, "preauth": emv.PreAuthorisation, "31": emv.BalanceInquiry31,
	} {
		got, err := emv.ParseTransactionType(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := emv.ParseTransactionType("lunch")
	assert.Error(t, err)
	assert.Equal(t, "purchase with cashback (09)", emv.PurchaseCashback.String())
	assert.True(t, errors.Is(&emv.ConfigError{}, emv.ErrConfig))
}

// FuzzParseConfig: any input either gives a Config that validates and
// whose every application has an AID of 5 to 16 bytes, or an error that is
// a *ConfigError; never a panic.
func FuzzParseConfig(f *testing.F) {
	if b, err := os.ReadFile("../testdata/terminals/test-cards.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"country": 840, "currency": 840, "applications": [{"aid": "A0000000031010"}]}`))
	f.Add([]byte(`{"country": 840, "currency": 840, "params": {"floor_limit": 10, "random_selection": {"target_percent": 1, "max_target_percent": 2, "threshold": 5}}, "applications": [{"aid": "A000000003", "partial_selection": true, "params": {"tac_online": "FFFFFFFFFF"}}]}`))
	f.Add([]byte(`{"ca_keys": {"keys": []}}`))
	f.Add([]byte(`[]`))
	// The terminal configurations of the recorded sessions.
	seen := map[string]bool{}
	for _, s := range fuzzseed.Sessions(f) {
		var k emv.Recording
		if err := json.Unmarshal(s.Kernel, &k); err != nil {
			f.Fatal(err)
		}
		if !seen[string(k.Terminal)] {
			seen[string(k.Terminal)] = true
			f.Add([]byte(k.Terminal))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := emv.ParseConfig(b)
		if err != nil {
			if c != nil {
				t.Fatal("config with an error")
			}
			var ce *emv.ConfigError
			if !errors.As(err, &ce) || !errors.Is(err, emv.ErrConfig) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		for _, a := range c.Applications {
			if len(a.AID) < 5 || len(a.AID) > 16 {
				t.Fatalf("AID %X", a.AID)
			}
		}
		// Written back (Config.MarshalJSON), it reads as the same
		// configuration, and writes the same bytes again.
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := emv.ParseConfig(out)
		if err != nil {
			t.Fatalf("written configuration refused: %v\n%s", err, out)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("not stable:\n%s\n%s", out, again)
		}
		want, got := *c, *back
		want.CAKeys, got.CAKeys = nil, nil
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("configuration changed in JSON:\n%+v\n%+v", want, got)
		}
	})
}

// The Transaction Type 9C is two digits (Book 3 Annex A): a string that is
// not two hex digits or a known name is refused with ErrTransaction, never
// read as type 00.
func TestParseTransactionTypeRefusesMalformed(t *testing.T) {
	for _, in := range []string{"0G", "G0", "9", "009", "", " 9", "9 ", "+9", "0x", "Purchase", "cash "} {
		got, err := emv.ParseTransactionType(in)
		require.ErrorIs(t, err, emv.ErrTransaction, "%q", in)
		assert.Equal(t, fmt.Sprintf("emv: invalid transaction: type %q is neither a name nor two hex digits", in), err.Error())
		assert.Zero(t, got, "%q", in)
	}
	got, err := emv.ParseTransactionType("0a")
	require.NoError(t, err)
	assert.Equal(t, emv.TransactionType(0x0A), got)
}

// BenchmarkParseConfig reads the shipped test-bench configuration: the
// cost of the path-tracking reader.
func BenchmarkParseConfig(b *testing.B) {
	data, err := os.ReadFile("../testdata/terminals/test-bench.json")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := emv.ParseConfig(data); err != nil {
			b.Fatal(err)
		}
	}
}
