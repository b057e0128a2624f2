package kernel2

import (
	"context"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// Config is Kernel 2's own configuration, beside the terminal data the
// Entry Point hands over. The zero value is ready to use.
type Config struct {
	// Clock is the timer of the relay resistance protocol (Book C-2: the
	// kernel measures the time between sending EXCHANGE RELAY RESISTANCE
	// DATA and receiving its answer). Zero: time.Now, whose monotonic
	// reading measures the interval. Tests pass a clock the virtual card
	// advances, so that the measurement is exact.
	Clock func() time.Time

	// Sleep waits d or until ctx ends, whichever comes first, and reports
	// ctx's error when it ended first. The kernel waits only after a
	// failed mag-stripe transaction (Book C-2 States 13 and 14: 2^Failed
	// MS Cntr × 300 ms, see [Kernel]). Zero: a timer. Tests pass a sleep
	// that advances their clock, so that the wait is exact and costs no
	// time.
	Sleep func(ctx context.Context, d time.Duration) error

	// TornLog is the terminal's torn transaction log (Book C-2 torn
	// transaction recovery), used when the Max Number of Torn Transaction
	// Log Records (DF811D) is above zero. Nil: no log; a card lost during
	// GENERATE AC is the link's error, as for any other command.
	TornLog TornLog
	// TornRecordLost receives each record that leaves the torn
	// transaction log without being recovered (older than the Max
	// Lifetime, pushed out of a full log, or unreadable), so that the
	// terminal can clear or reverse the torn transaction. Book C-2 hands
	// such a record over in the Discretionary Data as the Torn Record
	// FF8101; package tlv reads a leading FF byte as padding (ISO/IEC
	// 7816-4), so this kernel hands it over here instead. Nil: the record
	// is dropped.
	TornRecordLost func(TornRecord)

	// DataExchange is the terminal's side of data exchange (the DEK and
	// DET signals, see [DataExchange]). Nil: no exchange, the book's
	// defaults.
	DataExchange DataExchangeFunc

	// TagsToWriteBeforeGenAC and TagsToWriteAfterGenAC are the contents
	// of Tags To Write Before Gen AC (FF8102) and After Gen AC (FF8103):
	// primitive BER-TLV data objects with tags of one or two bytes, each
	// written to the card with PUT DATA before GENERATE AC (State 12) and
	// after its response (State 15), in their order (see putdata.go). An
	// FF81xx template does not survive package tlv (a leading FF is
	// padding), so the terminal hands over the contents here, as for
	// [DataExchange.DataToSend]. A [DET] adds its own after these. Nil:
	// only what a DET gives is written.
	TagsToWriteBeforeGenAC, TagsToWriteAfterGenAC []byte

	// MaxRecords bounds the records read through the AFL (Book C-2 gives no
	// bound; a card asking for more is a card data error). Zero: 64.
	MaxRecords int
}

func (c *Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *Config) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Config) maxRecords() int {
	if c.MaxRecords <= 0 {
		return 64
	}
	return c.MaxRecords
}

// Kernel Configuration DF811B byte 1 (Book C-2 Annex A).
const (
	KernelConfigMagstripeNotSupported = 0x80 // b8: mag-stripe mode contactless transactions not supported
	KernelConfigEMVNotSupported       = 0x40 // b7: EMV mode contactless transactions not supported
	KernelConfigOnDeviceCVM           = 0x20 // b6: on device cardholder verification supported
	KernelConfigRelayResistance       = 0x10 // b5: relay resistance protocol supported
	KernelConfigReadAllRecords        = 0x04 // b3: read all records even when no CDA
)

// Kernel 2 terminal data objects (Book C-2 Annex A).
const (
	tagCardDataInputCapability    tlv.Tag = 0xDF8117
	tagCVMCapabilityCVMRequired   tlv.Tag = 0xDF8118
	tagCVMCapabilityNoCVMRequired tlv.Tag = 0xDF8119
	tagKernelConfiguration        tlv.Tag = 0xDF811B
	tagMaxLifetimeTornRecord      tlv.Tag = 0xDF811C
	tagMaxNumberTornRecords       tlv.Tag = 0xDF811D
	tagMagstripeCVMRequired       tlv.Tag = 0xDF811E
	tagSecurityCapability         tlv.Tag = 0xDF811F
	tagTACDefault                 tlv.Tag = 0xDF8120
	tagTACDenial                  tlv.Tag = 0xDF8121
	tagTACOnline                  tlv.Tag = 0xDF8122
	tagReaderFloorLimit           tlv.Tag = 0xDF8123
	tagReaderLimitNoOnDeviceCVM   tlv.Tag = 0xDF8124
	tagReaderLimitOnDeviceCVM     tlv.Tag = 0xDF8125
	tagReaderCVMRequiredLimit     tlv.Tag = 0xDF8126
	tagMagstripeCVMNoCVMRequired  tlv.Tag = 0xDF812C
	tagMessageHoldTime            tlv.Tag = 0xDF812D
	tagKernelID                   tlv.Tag = 0xDF810C
	tagMinGracePeriod             tlv.Tag = 0xDF8132
	tagMaxGracePeriod             tlv.Tag = 0xDF8133
	tagExpectedTimeCAPDU          tlv.Tag = 0xDF8134
	tagExpectedTimeRAPDU          tlv.Tag = 0xDF8135
	tagAccuracyThreshold          tlv.Tag = 0xDF8136
	tagMismatchThreshold          tlv.Tag = 0xDF8137

	tagErrorIndication    tlv.Tag = 0xDF8115
	tagMeasuredRRPTime    tlv.Tag = 0xDF8306
	tagRRPCounter         tlv.Tag = 0xDF8307
	tagTransactionCatCode         = 0x9F53
)

// TerminalConfig is the Kernel 2 terminal data of one combination (Book
// C-2 Annex A), as the contactless configuration file gives it in a
// combination's kernel_data ({"DF811B": "30", "DF8120": "...", ...}) and
// the Entry Point passes it in [contactless.Activation.TerminalData]. Each
// field names its tag; an absent tag takes the default given, which is
// Book C-2's default value where Annex A gives one.
type TerminalConfig struct {
	// KernelConfiguration is DF811B byte 1 (the KernelConfig bits).
	// Default 30: both modes allowed, on-device cardholder verification
	// and relay resistance supported.
	KernelConfiguration byte
	// KernelID is DF810C; it must be 02 (default 02).
	KernelID byte

	// TACDefault, TACDenial and TACOnline are DF8120, DF8121, DF8122.
	// Defaults (Annex A): CC00000000, 0000000000, CC00000000.
	TACDefault, TACDenial, TACOnline [5]byte

	// CVMCapabilityCVMRequired (DF8118) and CVMCapabilityNoCVMRequired
	// (DF8119) are the CVMs the reader supports above and up to the
	// Reader CVM Required Limit, in the bits of Terminal Capabilities byte
	// 2 (40 online PIN, 20 signature, 08 no CVM). Defaults 00 and 08: this
	// package's reading, since Annex A gives none.
	CVMCapabilityCVMRequired, CVMCapabilityNoCVMRequired byte
	// MagstripeCVMCapabilityCVMRequired (DF811E) and
	// MagstripeCVMCapabilityNoCVMRequired (DF812C) are the CVM of a
	// mag-stripe mode transaction above and up to the Reader CVM Required
	// Limit, in bits 8-5 (0 No CVM, 1 Obtain Signature, 2 Online PIN, F
	// N/A). Defaults F0 (N/A).
	MagstripeCVMCapabilityCVMRequired, MagstripeCVMCapabilityNoCVMRequired byte
	// DefaultUDOL (DF811A) is the UDOL of a mag-stripe card that has none
	// (9F69); it must be a DOL. Default 9F6A04 (Annex A).
	DefaultUDOL []byte
	// SecurityCapability (DF811F) is Terminal Capabilities byte 3 (08:
	// CDA). Default 08.
	SecurityCapability byte
	// CardDataInputCapability (DF8117) is Terminal Capabilities byte 1.
	// Default 00.
	CardDataInputCapability byte

	// Limits in minor units (n12). Absent DF8123 and DF8126 fall back on
	// the combination's Reader Contactless Floor Limit and Reader CVM
	// Required Limit of Book B; an absent DF8124 on its Reader Contactless
	// Transaction Limit; DF8125 defaults to DF8124. Nil: no such limit.
	ReaderContactlessFloorLimit      *uint64 // DF8123
	ReaderLimitNoOnDeviceCVM         *uint64 // DF8124
	ReaderLimitOnDeviceCVM           *uint64 // DF8125
	ReaderCVMRequiredLimit           *uint64 // DF8126
	MaxLifetimeOfTornTransactionLog  uint16  // DF811C, seconds; default 012C (300)
	MaxNumberOfTornTransactionLogRec byte    // DF811D; default 00 (no torn log)
	// MessageHoldTime (DF812D) in units of 100 ms; default 13 (1.3 s).
	MessageHoldTime int

	// Relay resistance (units of 100 µs): DF8132 Minimum and DF8133
	// Maximum Relay Resistance Grace Period (defaults 0014 and 0032), DF8134
	// and DF8135 Terminal Expected Transmission Time For Relay Resistance
	// C-APDU and R-APDU (0012 and 0018), DF8136 Relay Resistance Accuracy
	// Threshold (012C) and DF8137 Relay Resistance Transmission Time
	// Mismatch Threshold, a percentage (32, i.e. 50).
	MinGracePeriod, MaxGracePeriod    uint16
	ExpectedTimeCAPDU                 uint16
	ExpectedTimeRAPDU                 uint16
	AccuracyThreshold                 uint16
	TransmissionTimeMismatchThreshold byte
}

// ConfigError reports Kernel 2 terminal data of the wrong length or value;
// Tag is zero when the terminal data is not BER-TLV.
type ConfigError struct {
	Tag    tlv.Tag
	Reason string
}

func (e *ConfigError) Error() string {
	if e.Tag == 0 {
		return "kernel2: terminal data: " + e.Reason
	}
	return fmt.Sprintf("kernel2: terminal data %s: %s", e.Tag, e.Reason)
}

// ParseTerminalConfig reads the Kernel 2 terminal data out of BER-TLV
// terminal data (primitive objects: a combination's kernel data or the
// whole [contactless.Activation.TerminalData]); cc, when not nil, gives
// the Book B limits absent kernel data falls back on. A data object of the
// wrong length is a [*ConfigError] naming its tag.
func ParseTerminalConfig(data []byte, cc *contactless.CombinationConfig) (TerminalConfig, error) {
	p := new(configParser)
	p.start(cc)
	it := tlv.NewIter(data)
	for it.Next() {
		if err := p.take(it.Tag(), it.Value()); err != nil {
			return p.c, err
		}
	}
	return p.finish(it.Err())
}

// configParser reads a TerminalConfig one data object at a time, so that
// the kernel reads its terminal data in one pass (kernel.go). The limits
// of the TerminalConfig point into lim: a parser that is part of a larger
// value (the kernel's state) makes no allocation of its own.
type configParser struct {
	c           TerminalConfig
	lim         [4]uint64 // DF8123, DF8124, DF8125, DF8126
	onDeviceSet bool
}

// start sets the defaults (Book C-2 Annex A) and cc's Book B limits.
func (p *configParser) start(cc *contactless.CombinationConfig) {
	p.c = TerminalConfig{
		KernelConfiguration:                 KernelConfigOnDeviceCVM | KernelConfigRelayResistance,
		KernelID:                            0x02,
		TACDefault:                          [5]byte{0xCC},
		TACOnline:                           [5]byte{0xCC},
		CVMCapabilityNoCVMRequired:          0x08,
		MagstripeCVMCapabilityCVMRequired:   0xF0,
		MagstripeCVMCapabilityNoCVMRequired: 0xF0,
		SecurityCapability:                  0x08,
		DefaultUDOL:                         defaultUDOL,
		MaxLifetimeOfTornTransactionLog:     300,
		MessageHoldTime:                     13,
		MinGracePeriod:                      0x0014,
		MaxGracePeriod:                      0x0032,
		ExpectedTimeCAPDU:                   0x0012,
		ExpectedTimeRAPDU:                   0x0018,
		AccuracyThreshold:                   0x012C,
		TransmissionTimeMismatchThreshold:   0x32,
	}
	if cc != nil {
		p.c.ReaderContactlessFloorLimit = cc.ReaderContactlessFloorLimit
		p.c.ReaderCVMRequiredLimit = cc.ReaderCVMRequiredLimit
		p.c.ReaderLimitNoOnDeviceCVM = cc.ReaderContactlessTransactionLimit
	}
	p.onDeviceSet = false
}

// take reads one data object of the terminal data; a tag that is not
// Kernel 2 terminal data is left alone.
func (p *configParser) take(t tlv.Tag, v []byte) error {
	c := &p.c
	switch t {
	case tagKernelConfiguration:
		return one(t, v, &c.KernelConfiguration)
	case tagKernelID:
		err := one(t, v, &c.KernelID)
		if err == nil && c.KernelID != 0x02 {
			return &ConfigError{t, fmt.Sprintf("Kernel ID %02X, want 02", c.KernelID)}
		}
		return err
	case tagTACDefault:
		return fixed(t, v, c.TACDefault[:])
	case tagTACDenial:
		return fixed(t, v, c.TACDenial[:])
	case tagTACOnline:
		return fixed(t, v, c.TACOnline[:])
	case tagCVMCapabilityCVMRequired:
		return one(t, v, &c.CVMCapabilityCVMRequired)
	case tagCVMCapabilityNoCVMRequired:
		return one(t, v, &c.CVMCapabilityNoCVMRequired)
	case tagMagstripeCVMRequired:
		return one(t, v, &c.MagstripeCVMCapabilityCVMRequired)
	case tagMagstripeCVMNoCVMRequired:
		return one(t, v, &c.MagstripeCVMCapabilityNoCVMRequired)
	case tagDefaultUDOL:
		if _, err := tlv.ParseDOL(v); err != nil || len(v) == 0 {
			return &ConfigError{t, "not a DOL"}
		}
		c.DefaultUDOL = v
	case tagSecurityCapability:
		return one(t, v, &c.SecurityCapability)
	case tagCardDataInputCapability:
		return one(t, v, &c.CardDataInputCapability)
	case tagReaderFloorLimit:
		return amount(t, v, &c.ReaderContactlessFloorLimit, &p.lim[0])
	case tagReaderLimitNoOnDeviceCVM:
		return amount(t, v, &c.ReaderLimitNoOnDeviceCVM, &p.lim[1])
	case tagReaderLimitOnDeviceCVM:
		p.onDeviceSet = true
		return amount(t, v, &c.ReaderLimitOnDeviceCVM, &p.lim[2])
	case tagReaderCVMRequiredLimit:
		return amount(t, v, &c.ReaderCVMRequiredLimit, &p.lim[3])
	case tagMaxLifetimeTornRecord:
		return u16(t, v, &c.MaxLifetimeOfTornTransactionLog)
	case tagMaxNumberTornRecords:
		return one(t, v, &c.MaxNumberOfTornTransactionLogRec)
	case tagMessageHoldTime:
		n, err := bcdValue(t, v, 3)
		if err == nil {
			c.MessageHoldTime = int(n)
		}
		return err
	case tagMinGracePeriod:
		return u16(t, v, &c.MinGracePeriod)
	case tagMaxGracePeriod:
		return u16(t, v, &c.MaxGracePeriod)
	case tagExpectedTimeCAPDU:
		return u16(t, v, &c.ExpectedTimeCAPDU)
	case tagExpectedTimeRAPDU:
		return u16(t, v, &c.ExpectedTimeRAPDU)
	case tagAccuracyThreshold:
		return u16(t, v, &c.AccuracyThreshold)
	case tagMismatchThreshold:
		return one(t, v, &c.TransmissionTimeMismatchThreshold)
	}
	return nil
}

// finish ends the reading: iterErr is the error that ended the terminal
// data's iteration, if any.
func (p *configParser) finish(iterErr error) (TerminalConfig, error) {
	if iterErr != nil {
		return p.c, &ConfigError{0, "not BER-TLV: " + iterErr.Error()}
	}
	if !p.onDeviceSet {
		p.c.ReaderLimitOnDeviceCVM = p.c.ReaderLimitNoOnDeviceCVM
	}
	return p.c, nil
}

func lengthError(t tlv.Tag, got, want int) error {
	return &ConfigError{t, fmt.Sprintf("%d bytes, want %d", got, want)}
}

func one(t tlv.Tag, v []byte, dst *byte) error {
	if len(v) != 1 {
		return lengthError(t, len(v), 1)
	}
	*dst = v[0]
	return nil
}

func fixed(t tlv.Tag, v, dst []byte) error {
	if len(v) != len(dst) {
		return lengthError(t, len(v), len(dst))
	}
	copy(dst, v)
	return nil
}

func u16(t tlv.Tag, v []byte, dst *uint16) error {
	if len(v) != 2 {
		return lengthError(t, len(v), 2)
	}
	*dst = uint16(v[0])<<8 | uint16(v[1])
	return nil
}

// amount reads an n12 limit into *x and points *dst at it.
func amount(t tlv.Tag, v []byte, dst **uint64, x *uint64) error {
	n, err := bcdValue(t, v, 6)
	if err != nil {
		return err
	}
	*x = n
	*dst = x
	return nil
}

// bcdValue reads an n-format value of exactly n bytes.
func bcdValue(t tlv.Tag, v []byte, n int) (uint64, error) {
	if len(v) != n {
		return 0, lengthError(t, len(v), n)
	}
	x, ok := bcdNumber(v)
	if !ok {
		return 0, &ConfigError{t, "not BCD"}
	}
	return x, nil
}

// bcdNumber reads numeric (n) digits.
func bcdNumber(b []byte) (uint64, bool) {
	var x uint64
	for _, c := range b {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		x = x*100 + uint64(hi)*10 + uint64(lo)
	}
	return x, true
}
