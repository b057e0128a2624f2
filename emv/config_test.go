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
	"strings"
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

func TestParseConfigErrors(t *testing.T) {
	const apps = `"applications": [{"aid": "A0000000031010"}]`
	tests := []struct {
		name, json, field, reason string
	}{
		{"UnknownKey", `{"country": 840, "currency": 840, "contry": 1, ` + apps + `}`, "file", `unknown field "contry"`},
		{"TrailingData", `{"country": 840, "currency": 840, ` + apps + `} {}`, "file", "data after the configuration object"},
		{"NotHex", `{"country": 840, "currency": 840, "capabilities": "E0F8CG", ` + apps + `}`, "file", "is not hex"},
		{"CapabilitiesLength", `{"country": 840, "currency": 840, "capabilities": "E0F8", ` + apps + `}`, "capabilities", "2 bytes, want 3"},
		{"WrongType", `{"country": "840", "currency": 840, ` + apps + `}`, "country", "cannot be uint16"},
		{"CountryMissing", `{"currency": 840, ` + apps + `}`, "Country", "not an ISO 3166-1"},
		{"CurrencyTooLarge", `{"country": 840, "currency": 1000, ` + apps + `}`, "Currency", "not an ISO 4217"},
		{"NoApplications", `{"country": 840, "currency": 840}`, "Applications", "no application"},
		{"AIDTooShort", `{"country": 840, "currency": 840, "applications": [{"aid": "A000"}]}`, "Applications[0].AID", "2 bytes"},
		{"AIDTwice", `{"country": 840, "currency": 840, "applications": [{"aid": "A0000000031010"}, {"aid": "A0000000031010"}]}`, "Applications[1].AID", "listed twice"},
		{"TerminalType", `{"terminal_type": "47", "country": 840, "currency": 840, ` + apps + `}`, "TerminalType", "Book 4 Annex A1"},
		{"TACLength", `{"country": 840, "currency": 840, "params": {"tac_online": "DC4004F8"}, ` + apps + `}`, "params.tac_online", "4 bytes, want 5"},
		{"VersionLength", `{"country": 840, "currency": 840, "applications": [{"aid": "A0000000031010", "params": {"version": "8C"}}]}`, "Applications[0].Params.Version", "1 bytes"},
		{"BadDDOL", `{"country": 840, "currency": 840, "params": {"default_ddol": "9F37"}, ` + apps + `}`, "AppParams.DefaultDDOL", "tlv"},
		{"RandomTargetAboveMax", `{"country": 840, "currency": 840, "params": {"random_selection": {"target_percent": 60, "max_target_percent": 50}}, ` + apps + `}`, "AppParams.RandomSelection", "Book 3 §10.6.2"},
		{"ThresholdAboveFloorLimit", `{"country": 840, "currency": 840, "params": {"floor_limit": 1000, "random_selection": {"target_percent": 10, "max_target_percent": 50, "threshold": 1000}}, ` + apps + `}`, "Applications[0].RandomSelection.Threshold", "not below the floor limit"},
		{"AcquirerID", `{"country": 840, "currency": 840, "acquirer_id": "12AB56", ` + apps + `}`, "AcquirerID", "6 to 11 digits"},
		{"TerminalIDTooLong", `{"country": 840, "currency": 840, "terminal_id": "TERMINAL1", ` + apps + `}`, "TerminalID", "9 characters, at most 8"},
		{"CAKeyChecksum", `{"country": 840, "currency": 840, ` + apps + `, "ca_keys": {"keys": [{"rid": "A000000003", "index": "92", "modulus": "C0", "exponent": "03", "checksum": "00"}]}}`, "ca_keys", "check value"},
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
			assert.Contains(t, ce.Reason, tc.reason)
			assert.True(t, strings.HasPrefix(err.Error(), "emv: config: "), err.Error())
		})
	}
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
