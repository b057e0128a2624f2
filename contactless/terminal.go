package contactless

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/emvkit/emvkit/internal/lang"
	"github.com/emvkit/emvkit/tlv"
)

// MaxAmount is the largest amount the twelve digits of 9F02 hold.
const MaxAmount = 999999999999

// ConfigError reports a configuration the Entry Point cannot use: the
// field (a JSON path for [ParseConfig], the same names for
// [Config.Validate]) and why.
type ConfigError struct {
	Field  string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("contactless: config: %s: %s", e.Field, e.Reason)
}

// Validate checks what the Entry Point relies on: country and currency
// present (1 to 999), a currency exponent of 0 to 9, an acquirer
// identifier of 6 to 11 digits when present, at least one combination, and
// for each combination an AID of 5 to 16 bytes, a Kernel ID other than 00,
// a TTQ of 4 bytes when present, an Extended Kernel ID of 2 bytes when
// present, limits of at most [MaxAmount] and kernel data that is
// well-formed BER-TLV. The field names are those of the JSON format.
func (c *Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if c.Country == 0 || c.Country > 999 {
		return bad("country", "%d is not an ISO 3166 numeric code (1 to 999)", c.Country)
	}
	if c.Currency == 0 || c.Currency > 999 {
		return bad("currency", "%d is not an ISO 4217 numeric code (1 to 999)", c.Currency)
	}
	if c.CurrencyExponent < 0 || c.CurrencyExponent > 9 {
		return bad("currency_exponent", "%d is not 0 to 9", c.CurrencyExponent)
	}
	if c.MerchantCategory > 9999 {
		return bad("merchant_category", "%d has more than 4 digits", c.MerchantCategory)
	}
	if a := c.AcquirerID; a != "" {
		if _, err := strconv.ParseUint(a, 10, 64); err != nil || len(a) < 6 || len(a) > 11 {
			return bad("acquirer_id", "%q is not 6 to 11 digits", a)
		}
	}
	for i, l := range c.Languages {
		if !lang.Valid(l) {
			return bad(fmt.Sprintf("languages[%d]", i), "%q is not an ISO 639-1 code of two lower-case letters", l)
		}
	}
	if len(c.Combinations) == 0 {
		return bad("contactless.combinations", "none: the reader supports no combination")
	}
	for i := range c.Combinations {
		cc := &c.Combinations[i]
		if err := cc.validate(); err != nil {
			err.Field = fmt.Sprintf("contactless.combinations[%d].%s", i, err.Field)
			return err
		}
	}
	return nil
}

// validate checks one combination; the error's Field is the key within
// the combination.
func (cc *CombinationConfig) validate() *ConfigError {
	bad := func(field, format string, args ...any) *ConfigError {
		return &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if len(cc.AID) < 5 || len(cc.AID) > 16 {
		return bad("aid", "%d bytes, want 5 to 16", len(cc.AID))
	}
	if cc.Kernel == 0 {
		return bad("kernel", "00 is no kernel")
	}
	if cc.TTQ != nil && len(cc.TTQ) != 4 {
		return bad("ttq", "%d bytes, want 4", len(cc.TTQ))
	}
	if cc.ExtendedKernelID != nil && len(cc.ExtendedKernelID) != 2 {
		return bad("extended_kernel_id", "%d bytes, want 2", len(cc.ExtendedKernelID))
	}
	for _, l := range [...]struct {
		name string
		v    *uint64
	}{
		{"contactless_transaction", cc.ReaderContactlessTransactionLimit},
		{"contactless_floor", cc.ReaderContactlessFloorLimit},
		{"terminal_floor", cc.TerminalFloorLimit},
		{"cvm_required", cc.ReaderCVMRequiredLimit},
	} {
		if l.v != nil && *l.v > MaxAmount {
			return bad("limits."+l.name, "%d is more than 12 digits", *l.v)
		}
	}
	// The kernel data is appended to the terminal data as it is, so its
	// framing must hold.
	it := tlv.NewIter(cc.KernelData)
	for it.Next() {
	}
	if err := it.Err(); err != nil {
		return bad("kernel_data", "not BER-TLV: %v", err)
	}
	return nil
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

var discard = slog.New(slog.DiscardHandler)

func (c *Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return discard
}

// Defaults of the terminal data (see [Config]).
var (
	defaultCapabilities           = [3]byte{0xE0, 0xF8, 0xC8}
	defaultAdditionalCapabilities = [5]byte{0xF0, 0x00, 0xF0, 0xA0, 0x01}
)

const defaultTerminalType = 0x22

// terminalData encodes the terminal data objects a kernel receives
// ([Activation.TerminalData]), in this order: 9F1A, 5F2A, 5F36, 9F35, 9F33,
// 9F40, 9F15, then those configured of 9F16, 9F1C, 9F1E, 9F01, 9F4E, the
// combination's 9F09 and 9F1B, its kernel data, the transaction's 9F02,
// 9F03, 9C, 9A, 9F21 and, when the combination has a TTQ, 9F66 from the
// indicators.
func terminalData(c *Config, cc *CombinationConfig, txn *Transaction, ind *Indicators) []byte {
	b := make([]byte, 0, 128+len(cc.KernelData))
	var tmp [6]byte
	b = tlv.AppendTLV(b, 0x9F1A, bcd(tmp[:2], uint64(c.Country)))
	b = tlv.AppendTLV(b, 0x5F2A, bcd(tmp[:2], uint64(c.Currency)))
	b = tlv.AppendTLV(b, 0x5F36, bcd(tmp[:1], uint64(c.CurrencyExponent)))
	tt := c.TerminalType
	if tt == 0 {
		tt = defaultTerminalType
	}
	b = tlv.AppendTLV(b, 0x9F35, []byte{tt})
	caps := c.Capabilities
	if caps == [3]byte{} {
		caps = defaultCapabilities
	}
	b = tlv.AppendTLV(b, 0x9F33, caps[:])
	add := c.AdditionalCapabilities
	if add == [5]byte{} {
		add = defaultAdditionalCapabilities
	}
	b = tlv.AppendTLV(b, 0x9F40, add[:])
	b = tlv.AppendTLV(b, 0x9F15, bcd(tmp[:2], uint64(c.MerchantCategory)))
	for _, s := range []struct {
		t tlv.Tag
		v string
	}{{0x9F16, c.MerchantID}, {0x9F1C, c.TerminalID}, {0x9F1E, c.IFDSerial}} {
		if s.v != "" {
			b = tlv.AppendTLV(b, s.t, []byte(s.v))
		}
	}
	if c.AcquirerID != "" {
		v, _ := strconv.ParseUint(c.AcquirerID, 10, 64) // Validate checked it
		b = tlv.AppendTLV(b, 0x9F01, bcd(tmp[:6], v))
	}
	if c.MerchantNameLocation != "" {
		b = tlv.AppendTLV(b, 0x9F4E, []byte(c.MerchantNameLocation))
	}
	if len(cc.ApplicationVersion) > 0 {
		b = tlv.AppendTLV(b, 0x9F09, cc.ApplicationVersion)
	}
	if l := cc.TerminalFloorLimit; l != nil {
		b = tlv.AppendTLV(b, 0x9F1B, binary.BigEndian.AppendUint32(tmp[:0], uint32(min(*l, 0xFFFFFFFF))))
	}
	b = append(b, cc.KernelData...)
	b = tlv.AppendTLV(b, 0x9F02, bcd(tmp[:6], txn.Amount))
	b = tlv.AppendTLV(b, 0x9F03, bcd(tmp[:6], txn.OtherAmount))
	b = tlv.AppendTLV(b, 0x9C, []byte{txn.Type})
	tm := txn.Time
	b = tlv.AppendTLV(b, 0x9A, []byte{bcdByte(tm.Year() % 100), bcdByte(int(tm.Month())), bcdByte(tm.Day())})
	b = tlv.AppendTLV(b, 0x9F21, []byte{bcdByte(tm.Hour()), bcdByte(tm.Minute()), bcdByte(tm.Second())})
	if len(cc.TTQ) == 4 {
		b = tlv.AppendTLV(b, 0x9F66, ind.TTQ[:])
	}
	return b
}

// bcd writes v into dst as right-justified BCD (its high digits cut when
// v does not fit) and returns dst.
func bcd(dst []byte, v uint64) []byte {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
	return dst
}

func bcdByte(v int) byte { return byte(v/10%10)<<4 | byte(v%10) }
