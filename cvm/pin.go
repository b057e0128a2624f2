package cvm

import (
	"errors"
	"fmt"
	"log/slog"
)

// redacted is what every printing method of a secret shows.
const redacted = "[redacted]"

// MinPINLen and MaxPINLen bound a PIN (ISO 9564-1: 4 to 12 digits).
const (
	MinPINLen = 4
	MaxPINLen = 12
)

// ErrBadPIN reports PIN digits that cannot be a PIN: fewer than 4 or more
// than 12, or a character that is not a decimal digit. The message never
// shows the digits.
var ErrBadPIN = errors.New("cvm: PIN must be 4 to 12 decimal digits")

// PIN holds a cardholder's clear PIN. Its String, Format, GoString,
// MarshalJSON, MarshalText and LogValue never show a digit, and neither
// does any fmt verb of a value that contains a PIN, even one fmt cannot
// call methods on: the digits are held by a closure, which fmt, JSON and
// reflection-based dumpers print as an address at most. Call [PIN.Zero]
// when done: the package zeroes every PIN it is given once the PIN block
// is built.
//
// The zero value holds no PIN.
type PIN struct {
	ref func() *[]byte // the digits, values 0-9, one digit a byte
}

// NewPIN copies the ASCII digits entered by the cardholder ('0'-'9', 4 to
// 12 of them) into a PIN. The caller should zero its own buffer.
func NewPIN(ascii []byte) (PIN, error) {
	if len(ascii) < MinPINLen || len(ascii) > MaxPINLen {
		return PIN{}, ErrBadPIN
	}
	for _, c := range ascii {
		if c < '0' || c > '9' {
			return PIN{}, ErrBadPIN
		}
	}
	// The digits live in the box the closure holds: one allocation for
	// both, not three.
	box := &pinBox{}
	box.d = box.buf[:len(ascii)]
	for i, c := range ascii {
		box.d[i] = c - '0'
	}
	return PIN{ref: func() *[]byte { return &box.d }}, nil
}

// pinBox holds a PIN's digits and room for the longest PIN.
type pinBox struct {
	d   []byte
	buf [MaxPINLen]byte
}

// newPINFromDigits takes ownership of d (values 0-9).
func newPINFromDigits(d []byte) PIN {
	box := &d
	return PIN{ref: func() *[]byte { return box }}
}

// Len returns the number of digits, 0 for the zero PIN or a zeroed one.
func (p PIN) Len() int { return len(p.digits()) }

// digits returns the digits (values 0-9); nil for an empty PIN.
func (p PIN) digits() []byte {
	if p.ref == nil {
		return nil
	}
	return *p.ref()
}

// Zero overwrites the digits and empties the PIN. Copies of the PIN value
// share the digits, so they are emptied too.
func (p PIN) Zero() {
	if p.ref == nil {
		return
	}
	d := p.ref()
	clear(*d)
	*d = nil
}

// Equal reports in constant time (for equal lengths) whether p and q hold
// the same digits.
func (p PIN) Equal(q PIN) bool {
	a, b := p.digits(), q.digits()
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := range a {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// String returns "[redacted]".
func (p PIN) String() string { return redacted }

// GoString returns "cvm.PIN{[redacted]}".
func (p PIN) GoString() string { return "cvm.PIN{" + redacted + "}" }

// Format writes "[redacted]" for every verb.
func (p PIN) Format(f fmt.State, verb rune) { writeRedacted(f, verb, "cvm.PIN") }

// MarshalJSON returns the JSON string "[redacted]".
func (p PIN) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (p PIN) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes log/slog print "[redacted]".
func (p PIN) LogValue() slog.Value { return slog.StringValue(redacted) }

func writeRedacted(f fmt.State, verb rune, typ string) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprintf(f, "%s{%s}", typ, redacted)
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// PINBlockFormat is an ISO 9564-1 PIN block format number.
type PINBlockFormat int

// ISO 9564-1 PIN block formats.
const (
	Format0 PINBlockFormat = 0 // PIN XOR PAN, 8 bytes (DES/TDES zones)
	Format1 PINBlockFormat = 1 // PIN with transaction field fill, 8 bytes
	Format2 PINBlockFormat = 2 // PIN with F fill, 8 bytes: the EMV offline PIN block
	Format3 PINBlockFormat = 3 // PIN with random A-F fill XOR PAN, 8 bytes
	Format4 PINBlockFormat = 4 // AES, 16 bytes: PIN field and PAN field enciphered together
)

// String returns "ISO 9564 format N".
func (f PINBlockFormat) String() string { return fmt.Sprintf("ISO 9564 format %d", int(f)) }

// OnlinePINBlock is the enciphered PIN block a PIN pad produces for the
// issuer when the CVM is "Enciphered PIN verified online" (Book 3 §10.5.2).
// The kernel carries it to the authorisation request unread. Like [PIN],
// it never prints its bytes; [OnlinePINBlock.Bytes] is the one way to get
// them, for the host message.
type OnlinePINBlock struct {
	ref func() *blockSecret // behind a closure for the same reason as [PIN]
}

type blockSecret struct {
	format PINBlockFormat
	block  []byte
	ksn    []byte
}

// NewOnlinePINBlock wraps an enciphered PIN block of the given format.
// ksn is the DUKPT key serial number the block was enciphered under (nil
// when the PIN pad uses a fixed key). Both slices are copied.
func NewOnlinePINBlock(format PINBlockFormat, block, ksn []byte) OnlinePINBlock {
	s := &blockSecret{
		format: format,
		block:  append([]byte(nil), block...),
		ksn:    append([]byte(nil), ksn...),
	}
	return OnlinePINBlock{ref: func() *blockSecret { return s }}
}

func (b OnlinePINBlock) secret() *blockSecret {
	if b.ref == nil {
		return nil
	}
	return b.ref()
}

// IsZero reports whether b holds no PIN block.
func (b OnlinePINBlock) IsZero() bool { s := b.secret(); return s == nil || len(s.block) == 0 }

// BlockFormat returns the ISO 9564 format of the block.
func (b OnlinePINBlock) BlockFormat() PINBlockFormat {
	if s := b.secret(); s != nil {
		return s.format
	}
	return 0
}

// Bytes returns a copy of the enciphered PIN block for the host message
// (ISO 8583 field 52).
func (b OnlinePINBlock) Bytes() []byte {
	if s := b.secret(); s != nil {
		return append([]byte(nil), s.block...)
	}
	return nil
}

// KSN returns a copy of the DUKPT key serial number, nil if none.
func (b OnlinePINBlock) KSN() []byte {
	if s := b.secret(); s != nil && len(s.ksn) > 0 {
		return append([]byte(nil), s.ksn...)
	}
	return nil
}

// Zero overwrites the block.
func (b OnlinePINBlock) Zero() {
	if s := b.secret(); s != nil {
		clear(s.block)
		s.block = nil
	}
}

// String returns "[redacted]".
func (b OnlinePINBlock) String() string { return redacted }

// GoString returns "cvm.OnlinePINBlock{[redacted]}".
func (b OnlinePINBlock) GoString() string { return "cvm.OnlinePINBlock{" + redacted + "}" }

// Format writes "[redacted]" for every verb.
func (b OnlinePINBlock) Format(f fmt.State, verb rune) {
	writeRedacted(f, verb, "cvm.OnlinePINBlock")
}

// MarshalJSON returns the JSON string "[redacted]".
func (b OnlinePINBlock) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (b OnlinePINBlock) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes log/slog print "[redacted]".
func (b OnlinePINBlock) LogValue() slog.Value { return slog.StringValue(redacted) }
