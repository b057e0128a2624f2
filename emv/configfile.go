package emv

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tvr"
)

// LoadConfig reads a terminal configuration from a JSON file (see
// [ParseConfig] for the format) and validates it.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("emv: config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// ParseConfig decodes a terminal configuration from JSON and validates it.
// Unknown keys are an error, so a misspelt key never silently falls back
// to a default. Byte strings are hex; amounts are integers in minor units;
// every key may be left out, and then takes the zero value documented on
// the matching [Config] field:
//
//	{
//	  "terminal_type": "22",                    9F35
//	  "capabilities": "E0F8C8",                 9F33
//	  "additional_capabilities": "F000F0A001",  9F40
//	  "country": 826,                           9F1A (required)
//	  "currency": 826,                          5F2A (required)
//	  "currency_exponent": 2,                   5F36
//	  "merchant_category": 5999,                9F15
//	  "merchant_id": "MERCHANT0000001",         9F16
//	  "merchant_name_location": "Shop, Town",   9F4E
//	  "terminal_id": "TERM0001",                9F1C
//	  "ifd_serial": "IFD00001",                 9F1E
//	  "acquirer_id": "123456",                  9F01
//	  "bypass_all_pin_cvms": false,             Book 4 §6.3.4.5
//	  "params": {                               for every application:
//	    "version": "008C",                      9F09
//	    "floor_limit": 5000,                    9F1B
//	    "tac_denial": "0010000000",
//	    "tac_online": "DC4004F800",
//	    "tac_default": "DC4000A800",
//	    "default_ddol": "9F3704",
//	    "default_tdol": "9F0206",
//	    "random_selection": {"target_percent": 20, "max_target_percent": 50, "threshold": 1000},
//	    "always_manage_risk": false             Book 3 §10.6 whatever the AIP says
//	  },
//	  "applications": [                         required, in order of preference
//	    {"aid": "A0000000031010", "partial_selection": true, "params": {...overrides...}}
//	  ],
//	  "ca_keys": {                              CA keys and revocations, in the
//	    "keys": [{"rid": "A000000003",          format of oda.LoadKeyStore
//	      "index": "92", "modulus": "...", "exponent": "03",
//	      "checksum": "...", "expiry": "2028-12-31"}],
//	    "revocations": [{"rid": "A000000003", "index": "92", "serial": "123456"}]
//	  }
//	}
func ParseConfig(data []byte) (*Config, error) {
	var f configFile
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&f); err != nil {
		return nil, jsonConfigError(err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &ConfigError{Field: "file", Reason: "data after the configuration object"}
	}
	c, err := f.config()
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func jsonConfigError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ConfigError{Field: te.Field, Reason: fmt.Sprintf("a JSON %s cannot be %s", te.Value, te.Type)}
	}
	var he *hexError
	if errors.As(err, &he) {
		return &ConfigError{Field: "file", Reason: he.Error()}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return &ConfigError{Field: "file", Reason: msg}
}

type hexBytes []byte

type hexError struct {
	s   string
	err error
}

func (e *hexError) Error() string { return fmt.Sprintf("%q is not hex: %v", e.s, e.err) }

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return &hexError{s, err}
	}
	*h = v
	return nil
}

type configFile struct {
	TerminalType           hexBytes        `json:"terminal_type"`
	Capabilities           hexBytes        `json:"capabilities"`
	AdditionalCapabilities hexBytes        `json:"additional_capabilities"`
	Country                uint16          `json:"country"`
	Currency               uint16          `json:"currency"`
	CurrencyExponent       int             `json:"currency_exponent"`
	MerchantCategory       uint16          `json:"merchant_category"`
	MerchantID             string          `json:"merchant_id"`
	MerchantNameLocation   string          `json:"merchant_name_location"`
	TerminalID             string          `json:"terminal_id"`
	IFDSerial              string          `json:"ifd_serial"`
	AcquirerID             string          `json:"acquirer_id"`
	BypassAllPINCVMs       bool            `json:"bypass_all_pin_cvms"`
	Params                 paramsFile      `json:"params"`
	Applications           []appFile       `json:"applications"`
	CAKeys                 json.RawMessage `json:"ca_keys"`
	Contactless            json.RawMessage `json:"contactless"` // read by contactless.ParseConfig
	// Comment is free text for the file's reader (where its values come
	// from); the kernel ignores it.
	Comment any `json:"comment"`
}

type paramsFile struct {
	Version          hexBytes             `json:"version"`
	FloorLimit       *uint64              `json:"floor_limit"`
	TACDenial        hexBytes             `json:"tac_denial"`
	TACOnline        hexBytes             `json:"tac_online"`
	TACDefault       hexBytes             `json:"tac_default"`
	DefaultDDOL      hexBytes             `json:"default_ddol"`
	DefaultTDOL      hexBytes             `json:"default_tdol"`
	RandomSelection  *randomSelectionJSON `json:"random_selection"`
	AlwaysManageRisk *bool                `json:"always_manage_risk"`
}

type randomSelectionJSON struct {
	TargetPercent    int    `json:"target_percent"`
	MaxTargetPercent int    `json:"max_target_percent"`
	Threshold        uint64 `json:"threshold"`
}

type appFile struct {
	AID              hexBytes   `json:"aid"`
	PartialSelection bool       `json:"partial_selection"`
	Params           paramsFile `json:"params"`
	Comment          any        `json:"comment"`
}

func fixed(field string, b hexBytes, n int, dst []byte) error {
	if b == nil {
		return nil
	}
	if len(b) != n {
		return &ConfigError{Field: field, Reason: fmt.Sprintf("%d bytes, want %d", len(b), n)}
	}
	copy(dst, b)
	return nil
}

func (f *configFile) config() (*Config, error) {
	c := &Config{
		Country:              f.Country,
		Currency:             f.Currency,
		CurrencyExponent:     f.CurrencyExponent,
		MerchantCategory:     f.MerchantCategory,
		MerchantID:           f.MerchantID,
		MerchantNameLocation: f.MerchantNameLocation,
		TerminalID:           f.TerminalID,
		IFDSerial:            f.IFDSerial,
		AcquirerID:           f.AcquirerID,
		BypassAllPINCVMs:     f.BypassAllPINCVMs,
	}
	var tt [1]byte
	if err := fixed("terminal_type", f.TerminalType, 1, tt[:]); err != nil {
		return nil, err
	}
	c.TerminalType = tt[0]
	if err := fixed("capabilities", f.Capabilities, 3, c.Capabilities[:]); err != nil {
		return nil, err
	}
	if err := fixed("additional_capabilities", f.AdditionalCapabilities, 5, c.AdditionalCapabilities[:]); err != nil {
		return nil, err
	}
	var err error
	if c.AppParams, err = f.Params.params("params"); err != nil {
		return nil, err
	}
	for i, a := range f.Applications {
		field := fmt.Sprintf("applications[%d]", i)
		p, err := a.Params.params(field + ".params")
		if err != nil {
			return nil, err
		}
		c.Applications = append(c.Applications, Application{AID: a.AID, PartialSelection: a.PartialSelection, Params: p})
	}
	if len(f.CAKeys) > 0 && string(f.CAKeys) != "null" {
		ks, err := oda.LoadKeyStore(bytes.NewReader(f.CAKeys))
		if err != nil {
			return nil, &ConfigError{Field: "ca_keys", Reason: err.Error()}
		}
		c.CAKeys = ks
	}
	return c, nil
}

func (f *paramsFile) params(field string) (AppParams, error) {
	p := AppParams{Version: f.Version, FloorLimit: f.FloorLimit, DefaultDDOL: f.DefaultDDOL, DefaultTDOL: f.DefaultTDOL, AlwaysManageRisk: f.AlwaysManageRisk}
	for _, t := range []struct {
		name string
		b    hexBytes
		dst  **tvr.TVR
	}{{"tac_denial", f.TACDenial, &p.TACDenial}, {"tac_online", f.TACOnline, &p.TACOnline}, {"tac_default", f.TACDefault, &p.TACDefault}} {
		if t.b == nil {
			continue
		}
		var v tvr.TVR
		if err := fixed(field+"."+t.name, t.b, 5, v[:]); err != nil {
			return p, err
		}
		*t.dst = &v
	}
	if rs := f.RandomSelection; rs != nil {
		p.RandomSelection = &RandomSelection{TargetPercent: rs.TargetPercent, MaxTargetPercent: rs.MaxTargetPercent, Threshold: rs.Threshold}
	}
	return p, nil
}

// MarshalJSON writes c in the format of [ParseConfig], keys in the order
// documented there, zero values left out (country, currency and
// applications are always written). Reading the output with ParseConfig
// gives c back but for Time, Rand and Logger, which have no JSON form; CA
// keys keep their RID, index, modulus, exponent, check value and expiry,
// in the order of [oda.KeyStore.Keys], and the revocation list its entries.
func (c *Config) MarshalJSON() ([]byte, error) {
	f := configJSON{
		Country:              c.Country,
		Currency:             c.Currency,
		CurrencyExponent:     c.CurrencyExponent,
		MerchantCategory:     c.MerchantCategory,
		MerchantID:           c.MerchantID,
		MerchantNameLocation: c.MerchantNameLocation,
		TerminalID:           c.TerminalID,
		IFDSerial:            c.IFDSerial,
		AcquirerID:           c.AcquirerID,
		BypassAllPINCVMs:     c.BypassAllPINCVMs,
		Params:               paramsJSONOf(c.AppParams),
		Applications:         []appJSON{},
	}
	if c.TerminalType != 0 {
		f.TerminalType = hexUpper([]byte{c.TerminalType})
	}
	if c.Capabilities != [3]byte{} {
		f.Capabilities = hexUpper(c.Capabilities[:])
	}
	if c.AdditionalCapabilities != [5]byte{} {
		f.AdditionalCapabilities = hexUpper(c.AdditionalCapabilities[:])
	}
	for _, a := range c.Applications {
		f.Applications = append(f.Applications, appJSON{AID: hexUpper(a.AID), PartialSelection: a.PartialSelection, Params: paramsJSONOf(a.Params)})
	}
	if ks := c.CAKeys; ks != nil {
		f.CAKeys = &caKeysJSON{Keys: []caKeyJSON{}}
		for _, k := range ks.Keys() {
			x := caKeyJSON{RID: hexUpper(k.RID[:]), Index: hexUpper([]byte{k.Index}), Modulus: hexUpper(k.Modulus), Exponent: hexUpper(k.Exponent), CheckSum: hexUpper(k.CheckSum)}
			if !k.Expiry.IsZero() {
				x.Expiry = k.Expiry.Format(time.DateOnly)
			}
			f.CAKeys.Keys = append(f.CAKeys.Keys, x)
		}
		for _, r := range ks.Revocations() {
			f.CAKeys.Revocations = append(f.CAKeys.Revocations, revocationJSON{RID: hexUpper(r.RID[:]), Index: hexUpper([]byte{r.Index}), Serial: hexUpper(r.Serial[:])})
		}
	}
	return json.Marshal(f)
}

// configJSON is the written form of configFile, its keys in the order
// ParseConfig documents.
type configJSON struct {
	TerminalType           string      `json:"terminal_type,omitempty"`
	Capabilities           string      `json:"capabilities,omitempty"`
	AdditionalCapabilities string      `json:"additional_capabilities,omitempty"`
	Country                uint16      `json:"country"`
	Currency               uint16      `json:"currency"`
	CurrencyExponent       int         `json:"currency_exponent,omitempty"`
	MerchantCategory       uint16      `json:"merchant_category,omitempty"`
	MerchantID             string      `json:"merchant_id,omitempty"`
	MerchantNameLocation   string      `json:"merchant_name_location,omitempty"`
	TerminalID             string      `json:"terminal_id,omitempty"`
	IFDSerial              string      `json:"ifd_serial,omitempty"`
	AcquirerID             string      `json:"acquirer_id,omitempty"`
	BypassAllPINCVMs       bool        `json:"bypass_all_pin_cvms,omitempty"`
	Params                 *paramsJSON `json:"params,omitempty"`
	Applications           []appJSON   `json:"applications"`
	CAKeys                 *caKeysJSON `json:"ca_keys,omitempty"`
}

type paramsJSON struct {
	Version          *string              `json:"version,omitempty"`
	FloorLimit       *uint64              `json:"floor_limit,omitempty"`
	TACDenial        string               `json:"tac_denial,omitempty"`
	TACOnline        string               `json:"tac_online,omitempty"`
	TACDefault       string               `json:"tac_default,omitempty"`
	DefaultDDOL      *string              `json:"default_ddol,omitempty"`
	DefaultTDOL      *string              `json:"default_tdol,omitempty"`
	RandomSelection  *randomSelectionJSON `json:"random_selection,omitempty"`
	AlwaysManageRisk *bool                `json:"always_manage_risk,omitempty"`
}

type appJSON struct {
	AID              string      `json:"aid"`
	PartialSelection bool        `json:"partial_selection,omitempty"`
	Params           *paramsJSON `json:"params,omitempty"`
}

type caKeysJSON struct {
	Keys        []caKeyJSON      `json:"keys"`
	Revocations []revocationJSON `json:"revocations,omitempty"`
}

type caKeyJSON struct {
	RID      string `json:"rid"`
	Index    string `json:"index"`
	Modulus  string `json:"modulus"`
	Exponent string `json:"exponent"`
	CheckSum string `json:"checksum"`
	Expiry   string `json:"expiry,omitempty"`
}

type revocationJSON struct {
	RID    string `json:"rid"`
	Index  string `json:"index"`
	Serial string `json:"serial"`
}

// paramsJSONOf is p's written form; nil when every parameter is unset. A
// byte string set but empty (an empty default DDOL: none) is written "".
func paramsJSONOf(p AppParams) *paramsJSON {
	h := hexUpper
	set := func(b []byte) *string {
		if b == nil {
			return nil
		}
		s := h(b)
		return &s
	}
	x := paramsJSON{Version: set(p.Version), FloorLimit: p.FloorLimit, DefaultDDOL: set(p.DefaultDDOL), DefaultTDOL: set(p.DefaultTDOL), AlwaysManageRisk: p.AlwaysManageRisk}
	for _, t := range []struct {
		v   *tvr.TVR
		dst *string
	}{{p.TACDenial, &x.TACDenial}, {p.TACOnline, &x.TACOnline}, {p.TACDefault, &x.TACDefault}} {
		if t.v != nil {
			*t.dst = h(t.v[:])
		}
	}
	if rs := p.RandomSelection; rs != nil {
		x.RandomSelection = &randomSelectionJSON{rs.TargetPercent, rs.MaxTargetPercent, rs.Threshold}
	}
	if x == (paramsJSON{}) {
		return nil
	}
	return &x
}
