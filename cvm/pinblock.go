package cvm

import (
	"crypto/aes"
	"errors"
	"fmt"
	"io"
)

// Errors carried by [PINBlockError]; compare with errors.Is. None of them,
// nor the PINBlockError around them, ever shows a digit of the PIN, the PAN
// or the block.
var (
	ErrBlockLength   = errors.New("wrong PIN block length")
	ErrBlockControl  = errors.New("wrong control field")
	ErrBlockPINLen   = errors.New("PIN length field outside 4-12")
	ErrBlockDigit    = errors.New("PIN digit not decimal")
	ErrBlockFill     = errors.New("fill digits incorrect")
	ErrBadPAN        = errors.New("PAN must be 1 to 19 decimal digits")
	ErrRandomFill    = errors.New("random source failed")
	ErrPINBlockInput = errors.New("no PIN to encode")
)

// PINBlockError reports why a PIN block could not be built or decoded.
type PINBlockError struct {
	Format PINBlockFormat
	Err    error
}

func (e *PINBlockError) Error() string {
	return fmt.Sprintf("cvm: %s PIN block: %v", e.Format, e.Err)
}

func (e *PINBlockError) Unwrap() error { return e.Err }

func blockErr(f PINBlockFormat, err error) error { return &PINBlockError{Format: f, Err: err} }

// pinField fills the 16 nibbles of an 8-byte PIN field: control, length,
// digits, then fill(i) for every remaining nibble i.
func pinField(control byte, pin PIN, fill func(i int) byte) ([8]byte, bool) {
	var out [8]byte
	d := pin.digits()
	if len(d) < MinPINLen || len(d) > MaxPINLen {
		return out, false
	}
	var n [16]byte
	n[0], n[1] = control, byte(len(d))
	copy(n[2:], d)
	for i := 2 + len(d); i < 16; i++ {
		n[i] = fill(i)
	}
	packNibbles(out[:], n[:])
	clear(n[:])
	return out, true
}

// packNibbles packs the nibbles n[2i], n[2i+1] into dst[i], high nibble
// first, for every byte of dst (the nibble layout of ISO 9564-1 fields).
func packNibbles(dst, n []byte) {
	for i := range dst {
		dst[i] = n[2*i]<<4 | n[2*i+1]
	}
}

// panDigits validates a PAN given as decimal digits.
func panDigits(pan string) ([]byte, error) {
	if len(pan) < 1 || len(pan) > 19 {
		return nil, ErrBadPAN
	}
	d := make([]byte, len(pan))
	for i := 0; i < len(pan); i++ {
		c := pan[i]
		if c < '0' || c > '9' {
			return nil, ErrBadPAN
		}
		d[i] = c - '0'
	}
	return d, nil
}

// panField8 is the PAN field of formats 0 and 3 (ISO 9564-1): four zero
// nibbles, then the 12 rightmost PAN digits excluding the check digit,
// left-padded with zeros when the PAN is shorter.
func panField8(pan string) ([8]byte, error) {
	var out [8]byte
	d, err := panDigits(pan)
	if err != nil {
		return out, err
	}
	d = d[:len(d)-1] // drop the check digit
	if len(d) > 12 {
		d = d[len(d)-12:]
	}
	var n [16]byte
	copy(n[16-len(d):], d)
	packNibbles(out[:], n[:])
	return out, nil
}

// PINBlock0 builds an ISO 9564-1 format 0 PIN block: the PIN field (0, L,
// PIN, F fill) XORed with the PAN field. pan is the PAN's decimal digits.
func PINBlock0(pin PIN, pan string) ([]byte, error) {
	f, ok := pinField(0x0, pin, func(int) byte { return 0xF })
	if !ok {
		return nil, blockErr(Format0, ErrPINBlockInput)
	}
	p, err := panField8(pan)
	if err != nil {
		clear(f[:])
		return nil, blockErr(Format0, err)
	}
	return xorPANField(&f, &p), nil
}

// xorPANField returns the block of formats 0 and 3, PIN field XOR PAN
// field (ISO 9564-1), and wipes the PIN field.
func xorPANField(f, p *[8]byte) []byte {
	out := make([]byte, 8)
	for i := range out {
		out[i] = f[i] ^ p[i]
	}
	clear(f[:])
	return out
}

// PINBlock1 builds an ISO 9564-1 format 1 PIN block: 1, L, PIN, and fill
// nibbles taken from rand in order (high nibble of each byte first). Format
// 1 is for zones where the PAN is not available.
func PINBlock1(pin PIN, rand io.Reader) ([]byte, error) {
	var r [7]byte
	defer clear(r[:])
	if _, err := io.ReadFull(rand, r[:]); err != nil {
		return nil, blockErr(Format1, fmt.Errorf("%w: %w", ErrRandomFill, err))
	}
	start := 2 + pin.Len()
	f, ok := pinField(0x1, pin, func(i int) byte {
		j := i - start // j-th fill nibble: high nibble of r[j/2] first
		if j%2 == 0 {
			return r[j/2] >> 4
		}
		return r[j/2] & 0x0F
	})
	if !ok {
		return nil, blockErr(Format1, ErrPINBlockInput)
	}
	out := append([]byte(nil), f[:]...)
	clear(f[:])
	return out, nil
}

// PINBlock2 builds an ISO 9564-1 format 2 PIN block: 2, L, PIN, F fill.
// It is the plaintext offline PIN block of EMV (Book 3 §6.5.12, VERIFY P2
// 80) and the PIN block inside the enciphered PIN of Book 2 §7.2.
func PINBlock2(pin PIN) ([]byte, error) {
	var f [8]byte
	if err := pinBlock2(&f, pin); err != nil {
		return nil, err
	}
	out := append([]byte(nil), f[:]...)
	clear(f[:])
	return out, nil
}

// pinBlock2 is PINBlock2 into dst, for a caller that clears dst once
// the block is sent.
func pinBlock2(dst *[8]byte, pin PIN) error {
	f, ok := pinField(0x2, pin, func(int) byte { return 0xF })
	if !ok {
		return blockErr(Format2, ErrPINBlockInput)
	}
	*dst = f
	clear(f[:])
	return nil
}

// PINBlock3 builds an ISO 9564-1 format 3 PIN block: the PIN field (3, L,
// PIN, fill digits drawn uniformly from A-F using rand) XORed with the PAN
// field of format 0.
func PINBlock3(pin PIN, pan string, rand io.Reader) ([]byte, error) {
	p, err := panField8(pan)
	if err != nil {
		return nil, blockErr(Format3, err)
	}
	fill, err := randomAF(rand, 16-2-pin.Len())
	if err != nil {
		return nil, blockErr(Format3, err)
	}
	f, ok := pinField(0x3, pin, func(i int) byte { return fill[i-2-pin.Len()] })
	clear(fill)
	if !ok {
		return nil, blockErr(Format3, ErrPINBlockInput)
	}
	return xorPANField(&f, &p), nil
}

// randomAF draws n nibbles uniformly from A-F: each random nibble below 12
// gives A + nibble mod 6, others are discarded. At most 64 random bytes are
// read, so a broken source cannot keep the loop going.
func randomAF(rand io.Reader, n int) ([]byte, error) {
	if n < 0 {
		n = 0
	}
	out := make([]byte, 0, n)
	var buf [16]byte
	for reads := 0; len(out) < n; reads++ {
		if reads == 4 {
			return nil, fmt.Errorf("%w: too few usable random nibbles", ErrRandomFill)
		}
		if _, err := io.ReadFull(rand, buf[:]); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRandomFill, err)
		}
		for _, b := range buf {
			for _, v := range [2]byte{b >> 4, b & 0x0F} {
				if v < 12 && len(out) < n {
					out = append(out, 0xA+v%6)
				}
			}
		}
	}
	clear(buf[:])
	return out, nil
}

// PINField4 builds the 16-byte plaintext PIN field of ISO 9564-1 format 4:
// 4, L, PIN, A fill to 16 nibbles, then 8 random bytes from rand.
func PINField4(pin PIN, rand io.Reader) ([]byte, error) {
	f, ok := pinField(0x4, pin, func(int) byte { return 0xA })
	if !ok {
		return nil, blockErr(Format4, ErrPINBlockInput)
	}
	out := make([]byte, 16)
	copy(out, f[:])
	clear(f[:])
	if _, err := io.ReadFull(rand, out[8:]); err != nil {
		clear(out)
		return nil, blockErr(Format4, fmt.Errorf("%w: %w", ErrRandomFill, err))
	}
	return out, nil
}

// PANField4 builds the 16-byte PAN field of ISO 9564-1 format 4: one nibble
// M = number of PAN digits minus 12 (0 when shorter), the PAN left-padded
// with zeros to 12 digits, then zero fill.
func PANField4(pan string) ([]byte, error) {
	d, err := panDigits(pan)
	if err != nil {
		return nil, blockErr(Format4, err)
	}
	var n [32]byte
	if len(d) > 12 {
		n[0] = byte(len(d) - 12)
		copy(n[1:], d)
	} else {
		copy(n[1+12-len(d):], d)
	}
	out := make([]byte, 16)
	packNibbles(out[:], n[:])
	return out, nil
}

// EncipherPINBlock4 builds and enciphers an ISO 9564-1 format 4 PIN block
// under the AES key: C = AES(K, AES(K, PIN field) XOR PAN field). The
// random part of the PIN field comes from rand.
func EncipherPINBlock4(key []byte, pin PIN, pan string, rand io.Reader) ([]byte, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return nil, blockErr(Format4, err)
	}
	pf, err := PINField4(pin, rand)
	if err != nil {
		return nil, err
	}
	defer clear(pf)
	af, err := PANField4(pan)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 16)
	c.Encrypt(out, pf)
	for i := range out {
		out[i] ^= af[i]
	}
	c.Encrypt(out, out)
	return out, nil
}

// DecipherPINBlock4 reverses [EncipherPINBlock4] and checks the PIN field.
func DecipherPINBlock4(key, block []byte, pan string) (PIN, error) {
	c, err := aes.NewCipher(key)
	if err != nil {
		return PIN{}, blockErr(Format4, err)
	}
	if len(block) != 16 {
		return PIN{}, blockErr(Format4, ErrBlockLength)
	}
	af, err := PANField4(pan)
	if err != nil {
		return PIN{}, err
	}
	pf := make([]byte, 16)
	defer clear(pf)
	c.Decrypt(pf, block)
	for i := range pf {
		pf[i] ^= af[i]
	}
	c.Decrypt(pf, pf)
	return decodeField(Format4, 0x4, pf[:8], func(v byte) bool { return v == 0xA })
}

// decodeField checks control, length, digits and fill of a 16-nibble PIN
// field and returns the PIN.
func decodeField(f PINBlockFormat, control byte, b []byte, fillOK func(byte) bool) (PIN, error) {
	if len(b) != 8 {
		return PIN{}, blockErr(f, ErrBlockLength)
	}
	var n [16]byte
	defer clear(n[:])
	for i, v := range b {
		n[2*i], n[2*i+1] = v>>4, v&0x0F
	}
	if n[0] != control {
		return PIN{}, blockErr(f, ErrBlockControl)
	}
	l := int(n[1])
	if l < MinPINLen || l > MaxPINLen {
		return PIN{}, blockErr(f, ErrBlockPINLen)
	}
	for _, v := range n[2 : 2+l] {
		if v > 9 {
			return PIN{}, blockErr(f, ErrBlockDigit)
		}
	}
	for _, v := range n[2+l:] {
		if !fillOK(v) {
			return PIN{}, blockErr(f, ErrBlockFill)
		}
	}
	return newPINFromDigits(append([]byte(nil), n[2:2+l]...)), nil
}

// DecodePINBlock0 recovers the PIN from a clear format 0 block and the PAN.
func DecodePINBlock0(block []byte, pan string) (PIN, error) {
	return decodeXORPAN(Format0, 0x0, block, pan, func(v byte) bool { return v == 0xF })
}

// DecodePINBlock1 recovers the PIN from a clear format 1 block.
func DecodePINBlock1(block []byte) (PIN, error) {
	return decodeField(Format1, 0x1, block, func(byte) bool { return true })
}

// DecodePINBlock2 recovers the PIN from a format 2 block.
func DecodePINBlock2(block []byte) (PIN, error) {
	return decodeField(Format2, 0x2, block, func(v byte) bool { return v == 0xF })
}

// DecodePINBlock3 recovers the PIN from a clear format 3 block and the PAN.
func DecodePINBlock3(block []byte, pan string) (PIN, error) {
	return decodeXORPAN(Format3, 0x3, block, pan, func(v byte) bool { return v >= 0xA })
}

func decodeXORPAN(f PINBlockFormat, control byte, block []byte, pan string, fillOK func(byte) bool) (PIN, error) {
	if len(block) != 8 {
		return PIN{}, blockErr(f, ErrBlockLength)
	}
	p, err := panField8(pan)
	if err != nil {
		return PIN{}, blockErr(f, err)
	}
	var b [8]byte
	defer clear(b[:])
	for i := range b {
		b[i] = block[i] ^ p[i]
	}
	return decodeField(f, control, b[:], fillOK)
}
