package emv

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Config is one terminal's configuration: what Book 4 calls the terminal
// data elements and the per-application parameters of Book 3 §10. Every
// field's documentation says what its zero value means, so a Config with
// only its required fields ([Config.Country], [Config.Currency],
// [Config.Applications]) set is usable. A Config must not be changed while
// a transaction uses it.
//
// [LoadConfig] reads a Config from the JSON file format documented there.
type Config struct {
	// TerminalType is Terminal Type 9F35 (Book 4 Annex A1). Its second
	// digit says whether the terminal can go online: 1 or 4 online only,
	// 2 or 5 offline with online capability, 3 or 6 offline only.
	// Zero: 0x22, attended, offline with online capability, operated by
	// the merchant.
	TerminalType byte

	// Capabilities is Terminal Capabilities 9F33 (Book 4 Annex A2): card
	// data input, CVM and security capabilities. Its CVM byte says which
	// CVMs cvm may perform; its security byte which ODA methods may run.
	// Zero: E0F8C8: manual key entry, magnetic stripe and IC with
	// contacts; plaintext and enciphered offline PIN, enciphered online
	// PIN, signature, no CVM; SDA, DDA and CDA. EMV 4.4 adds byte 2 bits 3
	// and 2 (online and offline biometric, cvm.CapOnlineBiometric and
	// cvm.CapOfflineBiometric): set them only with a Terminal.Biometric.
	Capabilities [3]byte

	// AdditionalCapabilities is Additional Terminal Capabilities 9F40
	// (Book 4 Annex A3): the transaction types the terminal supports.
	// Zero: F000F0A001: cash, goods, services, cashback; numeric,
	// alphabetic and special keys, command and function keys; print and
	// display for the attendant; code table 1.
	AdditionalCapabilities [5]byte

	// Country is the Terminal Country Code 9F1A, ISO 3166-1 numeric (826
	// for the United Kingdom). Required.
	Country uint16

	// Currency is the Transaction Currency Code 5F2A, ISO 4217 numeric
	// (978 for the euro). Required.
	Currency uint16

	// CurrencyExponent is the Transaction Currency Exponent 5F36: the
	// number of minor-unit digits of an amount. Zero: 0 (no minor unit);
	// set it, most currencies have 2.
	CurrencyExponent int

	// MerchantCategory is the Merchant Category Code 9F15 (ISO 18245).
	// Zero: 0000.
	MerchantCategory uint16

	// MerchantID is the Merchant Identifier 9F16, up to 15 characters.
	// Zero: absent.
	MerchantID string

	// MerchantNameLocation is 9F4E. Zero: absent.
	MerchantNameLocation string

	// TerminalID is the Terminal Identification 9F1C, up to 8 characters.
	// Zero: absent.
	TerminalID string

	// IFDSerial is the Interface Device Serial Number 9F1E, up to 8
	// characters. Zero: absent.
	IFDSerial string

	// AcquirerID is the Acquirer Identifier 9F01, 6 to 11 digits. Zero:
	// absent.
	AcquirerID string

	// BypassAllPINCVMs: once the cardholder or attendant bypassed PIN entry
	// for one PIN CVM, every later PIN CVM of the transaction is taken as
	// bypassed without prompting again (Book 4 §6.3.4.5, a terminal
	// option). Zero: each PIN CVM prompts.
	BypassAllPINCVMs bool

	// Applications lists the applications the terminal supports, in the
	// terminal's order of preference (Book 1 §12.3.3). Required.
	Applications []Application

	// AppParams are the parameters that hold for every application whose
	// own [Application.Params] leave them unset.
	AppParams

	// CAKeys holds the certification authority public keys for offline
	// data authentication, looked up by RID and index, and the revocation
	// list of issuer certificates (Book 2 §5.1, §5.3 step 10, §6.1). Nil:
	// no keys, so every ODA method fails for lack of a key.
	CAKeys *oda.KeyStore

	// Time returns the current time for the transaction date and time (9A,
	// 9F21) when the Transaction does not set them, and for the dates of
	// the processing restrictions. Zero: time.Now.
	Time func() time.Time

	// Rand is the source of the Unpredictable Number 9F37 (Book 4 §6.5.6),
	// of the random transaction selection (Book 3 §10.6.2) and of PIN block
	// padding. Zero: crypto/rand.Reader.
	Rand io.Reader

	// Languages are the languages the terminal shows its cardholder
	// messages in (ISO 639-1, two lower-case letters: "zh", "en"), the
	// default first: the kernel takes the first language of the card's
	// Language Preference 5F2D the terminal has, else the default (Book 4
	// §11.1), sets [Result].Language and gives it to a [LanguageDisplay].
	// [Message.Text] has tables for "en" and "zh". Nil: English only.
	Languages []string

	// Logger receives a record of each step (never the PIN, a PIN block or
	// an unmasked PAN). Zero: nothing is logged.
	Logger *slog.Logger
}

// Application is one application the terminal supports (Book 1 §12.3.1).
type Application struct {
	// AID is the application identifier, 5 to 16 bytes: the RID followed
	// by the PIX. Required.
	AID []byte

	// PartialSelection allows a card application whose AID begins with
	// AID and is longer to match (Book 1 §12.3.1, "Application Selection
	// Indicator"). Zero: the AIDs must match exactly.
	PartialSelection bool

	// Params overrides the terminal-wide [Config.AppParams] for this
	// application: each field set here wins.
	Params AppParams
}

// AppParams are the per-application terminal parameters of Book 3 §10.
// Each field's zero value means "not set here": an Application's unset
// field takes the Config's, and the Config's unset field takes the default
// its documentation names.
type AppParams struct {
	// Version is the terminal's Application Version Number 9F09 for the
	// application (Book 3 §10.4.1). Nil: the terminal keeps none and the
	// version check is skipped.
	Version []byte

	// FloorLimit is the Terminal Floor Limit 9F1B in minor units
	// (Book 3 §10.6.1). Nil: 0, so every transaction exceeds it.
	FloorLimit *uint64

	// TACDenial, TACOnline and TACDefault are the Terminal Action Codes
	// (Book 3 §10.7). Nil: 0000000000.
	TACDenial, TACOnline, TACDefault *tvr.TVR

	// DefaultDDOL is used for DDA when the card has no DDOL 9F49
	// (Book 3 §10.3, Book 2 §6.5.1). Nil: 9F3704 (the unpredictable
	// number), the only data element a DDOL must hold.
	DefaultDDOL []byte

	// DefaultTDOL is used to build the TC Hash Value 98 when the card has
	// no TDOL 97 (Book 3 §5.4). Nil: an empty TDOL.
	DefaultTDOL []byte

	// RandomSelection sets the random transaction selection of
	// Book 3 §10.6.2. Nil: no random selection.
	RandomSelection *RandomSelection

	// AlwaysManageRisk, when true, performs terminal risk management
	// (Book 3 §10.6) even when the card's AIP does not ask for it (byte 1
	// bit 4 clear), as some payment schemes' rules require of their
	// terminals. Nil or false: follow the AIP, as Book 3 §10.6 says.
	AlwaysManageRisk *bool

	// ECTerminalLimit is the Electronic Cash Terminal Transaction Limit
	// 9F7B of a UnionPay application, in minor units (JR/T 0025.13). Set,
	// the terminal supports electronic cash for the application: a card's
	// PDOL asking for the EC Terminal Support Indicator 9F7A gets 01 for a
	// purchase whose amount is below the limit and 00 otherwise, so that
	// the card does an electronic cash transaction only for the amounts
	// the terminal allows. Nil: no electronic cash, and 9F7A and 9F7B are
	// not terminal data (a PDOL asking for them gets zeros, Book 3 §5.4).
	ECTerminalLimit *uint64
}

// RandomSelection holds the parameters of random transaction selection
// (Book 3 §10.6.2). Percentages are 0 to 99.
type RandomSelection struct {
	// TargetPercent is the probability, in percent, that a transaction
	// below Threshold is selected.
	TargetPercent int
	// MaxTargetPercent is the probability just below the floor limit:
	// between Threshold and the floor limit the probability rises
	// linearly from TargetPercent to MaxTargetPercent (the biased
	// selection). It must be at least TargetPercent.
	MaxTargetPercent int
	// Threshold is the amount, in minor units, from which the bias starts.
	// It must be below the floor limit.
	Threshold uint64
}

// ConfigError reports a Config that cannot be used: which field and why.
type ConfigError struct {
	// Field names the value: from [Config.Validate] the path of the Config
	// field ("Applications[1].AID"); from [ParseConfig] and [LoadConfig]
	// the JSON path of the key in the file ("applications[1].aid"), or
	// "file" for the file as a whole.
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("emv: config: %s: %s", e.Field, e.Reason)
}

// ErrConfig is matched by every *ConfigError (errors.Is(err, emv.ErrConfig)).
var ErrConfig = errors.New("emv: invalid config")

// Is reports whether target is ErrConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Validate checks c for values no terminal may have and returns the first
// problem as a *ConfigError.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if c.TerminalType != 0 {
		hi, lo := c.TerminalType>>4, c.TerminalType&0x0F
		if hi < 1 || hi > 3 || lo < 1 || lo > 6 {
			return bad("TerminalType", "%02X is not a terminal type of Book 4 Annex A1", c.TerminalType)
		}
	}
	if c.Country == 0 || c.Country > 999 {
		return bad("Country", "%d is not an ISO 3166-1 numeric code", c.Country)
	}
	if c.Currency == 0 || c.Currency > 999 {
		return bad("Currency", "%d is not an ISO 4217 numeric code", c.Currency)
	}
	if c.CurrencyExponent < 0 || c.CurrencyExponent > 9 {
		return bad("CurrencyExponent", "%d is outside 0..9", c.CurrencyExponent)
	}
	for i, l := range c.Languages {
		if !validLanguage(l) {
			return bad(fmt.Sprintf("Languages[%d]", i), "%q is not an ISO 639-1 code of two lower-case letters", l)
		}
	}
	if c.MerchantCategory > 9999 {
		return bad("MerchantCategory", "%d has more than 4 digits", c.MerchantCategory)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"MerchantID", c.MerchantID, 15}, {"TerminalID", c.TerminalID, 8}, {"IFDSerial", c.IFDSerial, 8}, {"MerchantNameLocation", c.MerchantNameLocation, 255}} {
		if len(f.v) > f.max {
			return bad(f.name, "%d characters, at most %d", len(f.v), f.max)
		}
	}
	if c.AcquirerID != "" {
		if len(c.AcquirerID) < 6 || len(c.AcquirerID) > 11 || !digits(c.AcquirerID) {
			return bad("AcquirerID", "%q is not 6 to 11 digits", c.AcquirerID)
		}
	}
	if len(c.Applications) == 0 {
		return bad("Applications", "no application is supported")
	}
	if err := c.AppParams.validate("AppParams"); err != nil {
		return err
	}
	for i, a := range c.Applications {
		// The name is made only for an error: Run validates every time.
		field := func() string { return "Applications[" + strconv.Itoa(i) + "]" }
		if len(a.AID) < 5 || len(a.AID) > 16 {
			return bad(field()+".AID", "%d bytes, an AID has 5 to 16 (Book 1 §12.2.1)", len(a.AID))
		}
		for j := range i {
			if string(c.Applications[j].AID) == string(a.AID) {
				return bad(field()+".AID", "%X is listed twice", a.AID)
			}
		}
		if err := a.Params.validate(""); err != nil {
			err.Field = field() + ".Params" + err.Field
			return err
		}
		if a.Params.RandomSelection == nil && c.AppParams.RandomSelection == nil {
			continue // nothing below to check: params would have none
		}
		p := c.params(i)
		if rs := p.RandomSelection; rs != nil && p.FloorLimit != nil && *p.FloorLimit > 0 && rs.Threshold >= *p.FloorLimit {
			// The threshold named is the one in force: the
			// application's own, or the terminal-wide one.
			at := "AppParams.RandomSelection.Threshold"
			if a.Params.RandomSelection != nil {
				at = field() + ".Params.RandomSelection.Threshold"
			}
			return bad(at, "%d is not below the floor limit %d of application %X (Book 3 §10.6.2)", rs.Threshold, *p.FloorLimit, a.AID)
		}
	}
	return nil
}

// validate returns the first problem of p, its Field prefixed with field.
func (p *AppParams) validate(field string) *ConfigError {
	if p.Version != nil && len(p.Version) != 2 {
		return &ConfigError{Field: field + ".Version", Reason: fmt.Sprintf("%d bytes, 9F09 has 2", len(p.Version))}
	}
	if p.FloorLimit != nil && *p.FloorLimit > 0xFFFFFFFF {
		return &ConfigError{Field: field + ".FloorLimit", Reason: "does not fit 9F1B (4 bytes)"}
	}
	if p.ECTerminalLimit != nil && *p.ECTerminalLimit > maxAmount {
		return &ConfigError{Field: field + ".ECTerminalLimit", Reason: "has more than the 12 digits of 9F7B"}
	}
	for _, d := range []struct {
		name string
		dol  []byte
	}{{"DefaultDDOL", p.DefaultDDOL}, {"DefaultTDOL", p.DefaultTDOL}} {
		if d.dol != nil {
			if _, err := tlv.ParseDOL(d.dol); err != nil {
				return &ConfigError{Field: field + "." + d.name, Reason: err.Error()}
			}
		}
	}
	if rs := p.RandomSelection; rs != nil {
		if rs.TargetPercent < 0 || rs.TargetPercent > 99 || rs.MaxTargetPercent < rs.TargetPercent || rs.MaxTargetPercent > 99 {
			return &ConfigError{Field: field + ".RandomSelection", Reason: fmt.Sprintf("target %d%%, maximum %d%%: need 0 <= target <= maximum <= 99 (Book 3 §10.6.2)", rs.TargetPercent, rs.MaxTargetPercent)}
		}
	}
	return nil
}

// params returns the parameters in force for application i: its own where
// set, else the terminal-wide ones.
func (c *Config) params(i int) AppParams {
	p := c.AppParams
	if i < 0 || i >= len(c.Applications) {
		return p
	}
	o := c.Applications[i].Params
	if o.Version != nil {
		p.Version = o.Version
	}
	if o.FloorLimit != nil {
		p.FloorLimit = o.FloorLimit
	}
	if o.TACDenial != nil {
		p.TACDenial = o.TACDenial
	}
	if o.TACOnline != nil {
		p.TACOnline = o.TACOnline
	}
	if o.TACDefault != nil {
		p.TACDefault = o.TACDefault
	}
	if o.DefaultDDOL != nil {
		p.DefaultDDOL = o.DefaultDDOL
	}
	if o.DefaultTDOL != nil {
		p.DefaultTDOL = o.DefaultTDOL
	}
	if o.RandomSelection != nil {
		p.RandomSelection = o.RandomSelection
	}
	if o.AlwaysManageRisk != nil {
		p.AlwaysManageRisk = o.AlwaysManageRisk
	}
	if o.ECTerminalLimit != nil {
		p.ECTerminalLimit = o.ECTerminalLimit
	}
	return p
}

func (c *Config) terminalType() byte {
	if c.TerminalType == 0 {
		return 0x22
	}
	return c.TerminalType
}

// OnlineCapable reports whether the terminal can go online, from the
// second digit of its Terminal Type (Book 4 Annex A1): offline-only
// terminals have 3 or 6.
func (c *Config) OnlineCapable() bool {
	lo := c.terminalType() & 0x0F
	return lo != 3 && lo != 6
}

// onlineOnly reports whether the terminal is online only: the second
// digit of its Terminal Type is 1 or 4 (Book 4 Annex A1).
func (c *Config) onlineOnly() bool {
	lo := c.terminalType() & 0x0F
	return lo == 1 || lo == 4
}

func (c *Config) capabilities() [3]byte {
	if c.Capabilities == [3]byte{} {
		return [3]byte{0xE0, 0xF8, 0xC8}
	}
	return c.Capabilities
}

func (c *Config) additionalCapabilities() [5]byte {
	if c.AdditionalCapabilities == [5]byte{} {
		return [5]byte{0xF0, 0x00, 0xF0, 0xA0, 0x01}
	}
	return c.AdditionalCapabilities
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

func (c *Config) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return discardLogger
}

var discardLogger = slog.New(slog.DiscardHandler)

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
