package contactless

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/emvkit/emvkit/internal/jsonpath"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// LoadConfig reads a contactless reader configuration from a terminal
// configuration file (see [ParseConfig]) and validates it.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("contactless: config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return c, nil
}

// ParseConfig decodes a contactless reader configuration from the JSON of
// a terminal configuration file, the file emv.ParseConfig reads for the
// contact interface, and validates it ([Config.Validate]).
//
// The terminal's keys are shared with the contact interface and mean what
// they mean there: terminal_type (9F35), capabilities (9F33),
// additional_capabilities (9F40), country (9F1A, required), currency (5F2A,
// required), currency_exponent (5F36), merchant_category (9F15),
// merchant_id (9F16), merchant_name_location (9F4E), terminal_id (9F1C),
// ifd_serial (9F1E), acquirer_id (9F01), languages (the languages of the
// cardholder messages, [Config].Languages) and ca_keys (the CA public keys,
// in the format of oda.LoadKeyStore). The contact interface's own keys
// (params, applications, bypass_all_pin_cvms) and comment are read by
// emv.ParseConfig and skipped here. The contactless section holds the
// combinations (Book B §3.1.1, Table 3-1):
//
//	"contactless": {
//	  "comment": "free text",
//	  "combinations": [                        required, at least one
//	    {
//	      "aid": "A0000000031010",             required, 5 to 16 bytes; a card AID
//	                                           it begins matches (Book B §3.3.2.5)
//	      "kernel": 3,                         required, the Kernel ID (1 to 255)
//	      "extended_kernel_id": "0001",        domestic kernels: bytes 2-3 of 9F2A
//	      "transaction_types": ["00", "09"],   9C values; absent: every type
//	      "application_version": "0096",       9F09
//	      "status_check": false,               Status Check Support flag
//	      "zero_amount_allowed": true,         Zero Amount Allowed flag (absent: false)
//	      "extended_selection": false,         Extended Selection Support flag
//	      "limits": {                          in minor units; absent: no such limit
//	        "contactless_transaction": 100000, Reader Contactless Transaction Limit
//	        "contactless_floor": 5000,         Reader Contactless Floor Limit
//	        "terminal_floor": 5000,            Terminal Floor Limit 9F1B
//	        "cvm_required": 5000               Reader CVM Required Limit
//	      },
//	      "ttq": "3600C000",                   TTQ 9F66 base value, 4 bytes
//	      "kernel_data": {"DF8118": "60"},     more terminal data for the kernel,
//	                                           tag to value, kept in file order
//	      "comment": "free text"
//	    }
//	  ]
//	}
//
// Byte strings are hex (spaces allowed). The file is read by the same
// decoder as emv.ParseConfig, with its rules: keys match exactly, an
// unknown key is an error at every level, so a misspelt key never falls
// back to a default; a key given twice in one object is an error (RFC 8259
// §4 leaves open which one wins; a reader cannot have two CVM limits);
// null is the same as leaving the key out. Every error is a
// [*ConfigError] naming the value by its JSON path
// ("contactless.combinations[1].limits.cvm_requird", "file" for the file
// as a whole).
func ParseConfig(data []byte) (*Config, error) {
	var f fileJSON
	if err := jsonpath.Decode(data, &f); err != nil {
		return nil, configError(err)
	}
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
		Languages:            f.Languages,
	}
	var tt [1]byte
	if err := fixedHex("terminal_type", f.TerminalType, tt[:]); err != nil {
		return nil, err
	}
	c.TerminalType = tt[0]
	if err := fixedHex("capabilities", f.Capabilities, c.Capabilities[:]); err != nil {
		return nil, err
	}
	if err := fixedHex("additional_capabilities", f.AdditionalCapabilities, c.AdditionalCapabilities[:]); err != nil {
		return nil, err
	}
	if len(f.CAKeys) > 0 && string(f.CAKeys) != "null" {
		ks, err := oda.LoadKeyStore(bytes.NewReader(f.CAKeys))
		if fe := (*oda.KeyFileError)(nil); errors.As(err, &fe) && fe.Path != "" {
			return nil, &ConfigError{Field: "ca_keys." + fe.Path, Reason: fe.Err.Error()}
		}
		if err != nil {
			return nil, &ConfigError{Field: "ca_keys", Reason: err.Error()}
		}
		c.CAKeys = ks
	}
	if f.Contactless == nil {
		return nil, &ConfigError{Field: "contactless", Reason: "missing: the file configures no contactless reader"}
	}
	for i := range f.Contactless.Combinations {
		cc, err := combinationOf(fmt.Sprintf("contactless.combinations[%d]", i), &f.Contactless.Combinations[i])
		if err != nil {
			return nil, err
		}
		c.Combinations = append(c.Combinations, cc)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// configError turns an error of the file's decoder into a [*ConfigError]
// naming the JSON path ("file" for the file as a whole).
func configError(err error) error {
	var je *jsonpath.Error
	if !errors.As(err, &je) {
		return err
	}
	field := je.Path
	if field == "" {
		field = "file"
	}
	return &ConfigError{Field: field, Reason: je.Reason}
}

// fileJSON is the terminal configuration file: the shared keys, the
// contact interface's keys (skipped) and the contactless section.
type fileJSON struct {
	TerminalType           string          `json:"terminal_type"`
	Capabilities           string          `json:"capabilities"`
	AdditionalCapabilities string          `json:"additional_capabilities"`
	Country                uint16          `json:"country"`
	Currency               uint16          `json:"currency"`
	CurrencyExponent       int             `json:"currency_exponent"`
	MerchantCategory       uint16          `json:"merchant_category"`
	MerchantID             string          `json:"merchant_id"`
	MerchantNameLocation   string          `json:"merchant_name_location"`
	TerminalID             string          `json:"terminal_id"`
	IFDSerial              string          `json:"ifd_serial"`
	AcquirerID             string          `json:"acquirer_id"`
	CAKeys                 json.RawMessage `json:"ca_keys"`
	Contactless            *sectionJSON    `json:"contactless"`

	// Languages are the languages of the cardholder messages, shared with
	// the contact interface (emv.Config.Languages).
	Languages []string `json:"languages"`

	// The contact interface's keys, read by emv.ParseConfig.
	BypassAllPINCVMs json.RawMessage `json:"bypass_all_pin_cvms"`
	Params           json.RawMessage `json:"params"`
	Applications     json.RawMessage `json:"applications"`
	Comment          json.RawMessage `json:"comment"`
}

type sectionJSON struct {
	Combinations []combinationJSON `json:"combinations"`
	Comment      json.RawMessage   `json:"comment"`
}

type combinationJSON struct {
	AID                string          `json:"aid"`
	Kernel             *int            `json:"kernel"`
	ExtendedKernelID   string          `json:"extended_kernel_id"`
	TransactionTypes   []string        `json:"transaction_types"`
	ApplicationVersion string          `json:"application_version"`
	StatusCheck        bool            `json:"status_check"`
	ZeroAmountAllowed  bool            `json:"zero_amount_allowed"`
	ExtendedSelection  bool            `json:"extended_selection"`
	Limits             *limitsJSON     `json:"limits"`
	TTQ                string          `json:"ttq"`
	KernelData         json.RawMessage `json:"kernel_data"`
	Comment            json.RawMessage `json:"comment"`
}

type limitsJSON struct {
	ContactlessTransaction *uint64 `json:"contactless_transaction"`
	ContactlessFloor       *uint64 `json:"contactless_floor"`
	TerminalFloor          *uint64 `json:"terminal_floor"`
	CVMRequired            *uint64 `json:"cvm_required"`
}

func combinationOf(path string, j *combinationJSON) (CombinationConfig, error) {
	var cc CombinationConfig
	var err error
	if cc.AID, err = hexField(path+".aid", j.AID); err != nil {
		return cc, err
	}
	if cc.AID == nil {
		return cc, &ConfigError{Field: path + ".aid", Reason: "missing"}
	}
	if j.Kernel == nil {
		return cc, &ConfigError{Field: path + ".kernel", Reason: "missing"}
	}
	if *j.Kernel < 1 || *j.Kernel > 255 {
		return cc, &ConfigError{Field: path + ".kernel", Reason: fmt.Sprintf("%d is not 1 to 255", *j.Kernel)}
	}
	cc.Kernel = KernelID(*j.Kernel)
	if cc.ExtendedKernelID, err = hexField(path+".extended_kernel_id", j.ExtendedKernelID); err != nil {
		return cc, err
	}
	for k, t := range j.TransactionTypes {
		f := fmt.Sprintf("%s.transaction_types[%d]", path, k)
		b, err := hexField(f, t)
		if err != nil {
			return cc, err
		}
		if len(b) != 1 {
			return cc, &ConfigError{Field: f, Reason: fmt.Sprintf("%q is not one byte", t)}
		}
		cc.TransactionTypes = append(cc.TransactionTypes, b[0])
	}
	if cc.ApplicationVersion, err = hexField(path+".application_version", j.ApplicationVersion); err != nil {
		return cc, err
	}
	if cc.TTQ, err = hexField(path+".ttq", j.TTQ); err != nil {
		return cc, err
	}
	cc.StatusCheckSupport = j.StatusCheck
	cc.ZeroAmountAllowed = j.ZeroAmountAllowed
	cc.ExtendedSelectionSupport = j.ExtendedSelection
	if l := j.Limits; l != nil {
		cc.ReaderContactlessTransactionLimit = l.ContactlessTransaction
		cc.ReaderContactlessFloorLimit = l.ContactlessFloor
		cc.TerminalFloorLimit = l.TerminalFloor
		cc.ReaderCVMRequiredLimit = l.CVMRequired
	}
	if cc.KernelData, err = kernelDataOf(path+".kernel_data", j.KernelData); err != nil {
		return cc, err
	}
	return cc, nil
}

// kernelDataOf encodes a {"TAG": "HEX"} object as BER-TLV in the object's
// order. Each tag must be a well-formed tag of one to three bytes, a
// primitive one: a template's contents would be hex the file cannot check.
func kernelDataOf(path string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, &ConfigError{Field: path, Reason: `want an object of "TAG": "HEX"`}
	}
	var out []byte
	seen := map[tlv.Tag]bool{}
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return nil, &ConfigError{Field: path, Reason: strings.TrimPrefix(err.Error(), "json: ")}
		}
		key := kt.(string) // object keys are strings
		f := path + "." + key
		tb, err := hex.DecodeString(key)
		if err != nil || len(tb) == 0 || len(tb) > 3 {
			return nil, &ConfigError{Field: f, Reason: "the key is not a tag of one to three bytes in hex"}
		}
		tag, ok := parseTag(tb)
		if !ok {
			return nil, &ConfigError{Field: f, Reason: "not a well-formed BER-TLV tag"}
		}
		if tag.Constructed() {
			return nil, &ConfigError{Field: f, Reason: "a constructed tag: give its primitive objects instead"}
		}
		if seen[tag] {
			return nil, &ConfigError{Field: f, Reason: "given twice"}
		}
		seen[tag] = true
		var v string
		if err := d.Decode(&v); err != nil {
			return nil, &ConfigError{Field: f, Reason: "the value is not a hex string"}
		}
		b, err := hexField(f, v)
		if err != nil {
			return nil, err
		}
		out = tlv.AppendTLV(out, tag, b)
	}
	return out, nil
}

// parseTag reads b as exactly one BER-TLV tag (Book 3 Annex B1).
func parseTag(b []byte) (tlv.Tag, bool) {
	var t tlv.Tag
	for i, c := range b {
		t = t<<8 | tlv.Tag(c)
		last := i == len(b)-1
		switch {
		case i == 0 && c&0x1F != 0x1F:
			return t, last
		case i > 0 && c&0x80 == 0:
			return t, last
		}
	}
	return 0, false
}

// hexField decodes a hex string (spaces allowed); "" is nil.
func hexField(field, s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return nil, &ConfigError{Field: field, Reason: fmt.Sprintf("%q is not hex", s)}
	}
	return b, nil
}

// fixedHex decodes a hex string of exactly len(dst) bytes into dst; ""
// leaves dst as it is.
func fixedHex(field, s string, dst []byte) error {
	b, err := hexField(field, s)
	if err != nil || b == nil {
		return err
	}
	if len(b) != len(dst) {
		return &ConfigError{Field: field, Reason: fmt.Sprintf("%d bytes, want %d", len(b), len(dst))}
	}
	copy(dst, b)
	return nil
}
