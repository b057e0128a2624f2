package emv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/emvkit/emvkit/internal/jsonpath"
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
//	  "languages": ["zh", "en"],                Book 4 §11.1, default first
//	  "params": {                               for every application:
//	    "version": "008C",                      9F09
//	    "floor_limit": 5000,                    9F1B
//	    "tac_denial": "0010000000",
//	    "tac_online": "DC4004F800",
//	    "tac_default": "DC4000A800",
//	    "default_ddol": "9F3704",
//	    "default_tdol": "9F0206",
//	    "random_selection": {"target_percent": 20, "max_target_percent": 50, "threshold": 1000},
//	    "always_manage_risk": false,            Book 3 §10.6 whatever the AIP says
//	    "ec_terminal_limit": 100000             9F7B, UnionPay electronic cash (JR/T 0025.13)
//	  },
//	  "applications": [                         required, in order of preference
//	    {"aid": "A0000000031010", "partial_selection": true, "params": {...overrides...}}
//	  ],
//	  "ca_keys": {                              CA keys and revocations, in the
//	    "keys": [{"rid": "A000000003",          format of oda.LoadKeyStore
//	      "index": "92", "modulus": "...", "exponent": "03",
//	      "checksum": "...", "expiry": "2028-12-31"},
//	      {"rid": "A000000003", "index": "E5",   an ECC key for XDA
//	      "suite": "10", "x": "...", "checksum": "..."}],
//	    "revocations": [{"rid": "A000000003", "index": "92", "serial": "123456"}]
//	  }
//	}
//
// Every error is a *ConfigError whose Field is the JSON path of the key it
// is about ("applications[4].aid", "params.floor_limit"), validation
// errors included, or "file" for the file as a whole. Keys match exactly
// (encoding/json would also take "Country" for "country"), a key given
// twice in one object is an error (RFC 8259 §4: names SHOULD be unique,
// and readers differ on which one wins; a terminal configuration cannot
// have two floor limits), and
// a null value is the same as leaving the key out.
func ParseConfig(data []byte) (*Config, error) {
	var f configFile
	if err := jsonpath.Decode(data, &f); err != nil {
		var je *jsonpath.Error
		if errors.As(err, &je) {
			field := je.Path
			if field == "" {
				field = "file"
			}
			return nil, &ConfigError{Field: field, Reason: je.Reason}
		}
		return nil, err
	}
	c, err := f.config()
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			return nil, &ConfigError{Field: jsonPath(ce.Field), Reason: ce.Reason}
		}
		return nil, err
	}
	return c, nil
}

// jsonPath turns the field path of a [Config.Validate] error
// ("Applications[4].Params.FloorLimit") into the JSON path of the key in
// the file ("applications[4].params.floor_limit"), by the json tags of
// configFile, whose fields carry the names of Config's.
func jsonPath(goPath string) string {
	t := reflect.TypeFor[configFile]()
	var out []string
	for _, seg := range strings.Split(goPath, ".") {
		name, index, indexed := strings.Cut(seg, "[")
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return goPath
		}
		f, ok := t.FieldByName(name)
		if !ok {
			return goPath
		}
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if indexed {
			key += "[" + index
		}
		out = append(out, key)
		t = f.Type
	}
	return strings.Join(out, ".")
}

// hexBytes is a byte string written in hex in the file.
type hexBytes = jsonpath.Hex

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
	Languages              []string        `json:"languages"`
	AppParams              paramsFile      `json:"params"`
	Applications           []appFile       `json:"applications"`
	CAKeys                 json.RawMessage `json:"ca_keys"`
	Contactless            json.RawMessage `json:"contactless"` // read by contactless.ParseConfig
	// Comment is free text for the file's reader (where its values come
	// from); the kernel ignores it.
	Comment json.RawMessage `json:"comment"`
}

// The fields of configFile, paramsFile, appFile and randomSelectionJSON
// carry the names of the fields of Config, AppParams, Application and
// RandomSelection they fill: jsonPath maps one to the other by them.

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
	ECTerminalLimit  *uint64              `json:"ec_terminal_limit"`
}

type randomSelectionJSON struct {
	TargetPercent    int    `json:"target_percent"`
	MaxTargetPercent int    `json:"max_target_percent"`
	Threshold        uint64 `json:"threshold"`
}

type appFile struct {
	AID              hexBytes        `json:"aid"`
	PartialSelection bool            `json:"partial_selection"`
	Params           paramsFile      `json:"params"`
	Comment          json.RawMessage `json:"comment"`
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
		Languages:            f.Languages,
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
	if c.AppParams, err = f.AppParams.params("params"); err != nil {
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
		if fe := (*oda.KeyFileError)(nil); errors.As(err, &fe) && fe.Path != "" {
			return nil, &ConfigError{Field: "ca_keys." + fe.Path, Reason: fe.Err.Error()}
		}
		if err != nil {
			// A key the store refuses is named by its RID and index.
			return nil, &ConfigError{Field: "ca_keys", Reason: err.Error()}
		}
		c.CAKeys = ks
	}
	return c, nil
}

func (f *paramsFile) params(field string) (AppParams, error) {
	p := AppParams{Version: f.Version, FloorLimit: f.FloorLimit, DefaultDDOL: f.DefaultDDOL, DefaultTDOL: f.DefaultTDOL, AlwaysManageRisk: f.AlwaysManageRisk, ECTerminalLimit: f.ECTerminalLimit}
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
// keys keep their RID, index, modulus and exponent (or suite and x),
// check value and expiry,
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
		Languages:            c.Languages,
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
			if k.Suite != 0 {
				x.Suite, x.X = hexUpper([]byte{byte(k.Suite)}), hexUpper(k.X)
			}
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
	Languages              []string    `json:"languages,omitempty"`
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
	ECTerminalLimit  *uint64              `json:"ec_terminal_limit,omitempty"`
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
	Modulus  string `json:"modulus,omitempty"`
	Exponent string `json:"exponent,omitempty"`
	Suite    string `json:"suite,omitempty"` // an ECC key for XDA: suite and x
	X        string `json:"x,omitempty"`
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
	x := paramsJSON{Version: set(p.Version), FloorLimit: p.FloorLimit, DefaultDDOL: set(p.DefaultDDOL), DefaultTDOL: set(p.DefaultTDOL), AlwaysManageRisk: p.AlwaysManageRisk, ECTerminalLimit: p.ECTerminalLimit}
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
