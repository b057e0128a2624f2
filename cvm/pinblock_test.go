package cvm

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type pinVector struct {
	What        string `json:"what"`
	PIN         string `json:"pin"`
	PAN         string `json:"pan"`
	Block       string `json:"pin_block"`
	Prefix      string `json:"pin_block_prefix"`
	Expected    string `json:"expected"`
	DecodedPIN  string `json:"expected_decoded_pin"`
	Nonce       string `json:"transaction_field_nonce"`
	Field8      string `json:"pin_field_first_8_bytes"`
	PANField    string `json:"pan_field"`
	Key         string `json:"key"`
	RandomPart  string `json:"random_part_of_pin_field"`
	Enciphered  string `json:"enciphered_pin_block"`
	ExpectedPIN string `json:"expected_pin"`
	ExpectedErr string `json:"expected_error"`
	Source      string `json:"source"`
}

type pinVectors struct {
	F0 []pinVector `json:"iso9564_format0"`
	F1 []pinVector `json:"iso9564_format1"`
	F2 []pinVector `json:"iso9564_format2"`
	F3 []pinVector `json:"iso9564_format3"`
	F4 []pinVector `json:"iso9564_format4"`
}

func loadPINVectors(t testing.TB) pinVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/pin_blocks.json")
	require.NoError(t, err)
	var v pinVectors
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

func mustPIN(t testing.TB, s string) PIN {
	t.Helper()
	p, err := NewPIN([]byte(s))
	require.NoError(t, err)
	return p
}

// pinDigits shows a PIN's digits, for tests only.
func pinDigits(p PIN) string {
	var b strings.Builder
	for _, d := range p.digits() {
		b.WriteByte('0' + d)
	}
	return b.String()
}

// expectedErr maps the source's reason for refusing a block to our typed
// error.
func expectedErr(t *testing.T, reason string) error {
	t.Helper()
	switch {
	case strings.Contains(reason, "must be 8 bytes"), strings.Contains(reason, "not a multiple of 16"):
		return ErrBlockLength
	case strings.Contains(reason, "not format"), strings.Contains(reason, "control field"):
		return ErrBlockControl
	case strings.Contains(reason, "PIN length"):
		return ErrBlockPINLen
	case strings.Contains(reason, "not numeric"):
		return ErrBlockDigit
	case strings.Contains(reason, "filler"), strings.Contains(reason, "padding check"):
		return ErrBlockFill
	case strings.Contains(reason, "PAN longer"):
		return ErrBadPAN
	}
	t.Fatalf("unmapped reason %q", reason)
	return nil
}

func requireBlockErr(t *testing.T, err error, f PINBlockFormat, want error) {
	t.Helper()
	require.ErrorIs(t, err, want)
	var pe *PINBlockError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, f, pe.Format)
}

// ISO 9564-1 format 0: PIN field XOR PAN field.
func TestPINBlock0(t *testing.T) {
	v := loadPINVectors(t)
	for _, c := range v.F0 {
		t.Run(c.Block+"/"+c.PAN, func(t *testing.T) {
			require.NotEmpty(t, c.Source)
			if c.Expected != "" {
				_, err := DecodePINBlock0(unhex(t, c.Block), c.PAN)
				requireBlockErr(t, err, Format0, expectedErr(t, c.Expected))
				return
			}
			got, err := PINBlock0(mustPIN(t, c.PIN), c.PAN)
			require.NoError(t, err)
			assert.Equal(t, c.Block, strings.ToUpper(hex.EncodeToString(got)))
			p, err := DecodePINBlock0(got, c.PAN)
			require.NoError(t, err)
			assert.Equal(t, c.PIN, pinDigits(p))
		})
	}
}

// ISO 9564-1 format 1: the source fills "by hand"; we feed the same fill
// nibbles through the random source and get the same block.
func TestPINBlock1(t *testing.T) {
	v := loadPINVectors(t)
	require.Len(t, v.F1, 1)
	c := v.F1[0]
	want := unhex(t, c.Block)
	fill := strings.ToUpper(c.Block[2+len(c.PIN):]) // EDCBA9876
	rnd := unhex(t, fill+strings.Repeat("0", 14-len(fill)))
	got, err := PINBlock1(mustPIN(t, c.PIN), bytes.NewReader(rnd))
	require.NoError(t, err)
	assert.Equal(t, want, got)
	p, err := DecodePINBlock1(got)
	require.NoError(t, err)
	assert.Equal(t, c.PIN, pinDigits(p))

	_, err = PINBlock1(mustPIN(t, "1234"), bytes.NewReader(nil))
	requireBlockErr(t, err, Format1, ErrRandomFill)
	_, err = DecodePINBlock1(unhex(t, "2512345EDCBA9876"))
	requireBlockErr(t, err, Format1, ErrBlockControl)
}

// ISO 9564-1 format 2: the EMV offline PIN block (Book 3 §6.5.12).
func TestPINBlock2(t *testing.T) {
	v := loadPINVectors(t)
	for _, c := range v.F2 {
		t.Run(c.Block, func(t *testing.T) {
			require.NotEmpty(t, c.Source)
			if c.Expected != "" {
				_, err := DecodePINBlock2(unhex(t, c.Block))
				requireBlockErr(t, err, Format2, expectedErr(t, c.Expected))
				return
			}
			got, err := PINBlock2(mustPIN(t, c.PIN))
			require.NoError(t, err)
			assert.Equal(t, c.Block, strings.ToUpper(hex.EncodeToString(got)))
			p, err := DecodePINBlock2(got)
			require.NoError(t, err)
			assert.Equal(t, c.PIN, pinDigits(p))
		})
	}
	_, err := PINBlock2(PIN{})
	requireBlockErr(t, err, Format2, ErrPINBlockInput)
}

// ISO 9564-1 format 3: random A-F fill, so only the prefix is fixed; full
// blocks decode.
func TestPINBlock3(t *testing.T) {
	v := loadPINVectors(t)
	for _, c := range v.F3 {
		t.Run(c.PAN+c.Prefix+c.Block, func(t *testing.T) {
			require.NotEmpty(t, c.Source)
			if c.Block != "" {
				p, err := DecodePINBlock3(unhex(t, c.Block), c.PAN)
				require.NoError(t, err)
				assert.Equal(t, c.DecodedPIN, pinDigits(p))
				return
			}
			got, err := PINBlock3(mustPIN(t, c.PIN), c.PAN, bytes.NewReader(bytes.Repeat([]byte{0x5B}, 64)))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(strings.ToUpper(hex.EncodeToString(got)), c.Prefix), "%X", got)
			p, err := DecodePINBlock3(got, c.PAN)
			require.NoError(t, err)
			assert.Equal(t, c.PIN, pinDigits(p))
		})
	}
	// Fill nibbles v below 12 give A + v mod 6, in order: 0 -> A, 1 -> B,
	// 7 -> B; C-F are discarded.
	got, err := PINBlock3(mustPIN(t, "1234"), "0000000000000", bytes.NewReader(bytes.Repeat([]byte{0x01, 0xC7}, 8)))
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "341234ABBABBABBA"), got)
	// A source giving only nibbles C-F is refused after a bounded number
	// of reads.
	_, err = PINBlock3(mustPIN(t, "1234"), "0000000000000", bytes.NewReader(bytes.Repeat([]byte{0xFF}, 4096)))
	requireBlockErr(t, err, Format3, ErrRandomFill)
	_, err = DecodePINBlock3(unhex(t, "341234BBBBBBBB99"), "0000000000000")
	requireBlockErr(t, err, Format3, ErrBlockFill)
}

// ISO 9564-1 format 4 (AES): PIN field, PAN field, encipher and decipher.
func TestPINBlock4(t *testing.T) {
	v := loadPINVectors(t)
	for _, c := range v.F4 {
		t.Run(c.What+"/"+c.PIN+c.PAN, func(t *testing.T) {
			require.NotEmpty(t, c.Source)
			switch c.What {
			case "PIN field":
				rnd := bytes.Repeat([]byte{0x11}, 8)
				got, err := PINField4(mustPIN(t, c.PIN), bytes.NewReader(rnd))
				require.NoError(t, err)
				assert.Equal(t, c.Field8, strings.ToUpper(hex.EncodeToString(got[:8])))
				assert.Equal(t, rnd, got[8:])
			case "PAN field":
				got, err := PANField4(c.PAN)
				require.NoError(t, err)
				assert.Equal(t, c.PANField, strings.ToUpper(hex.EncodeToString(got)))
			case "encipher (AES-128)":
				got, err := EncipherPINBlock4(unhex(t, c.Key), mustPIN(t, c.PIN), c.PAN, bytes.NewReader(unhex(t, c.RandomPart)))
				require.NoError(t, err)
				assert.Equal(t, c.Enciphered, strings.ToUpper(hex.EncodeToString(got)))
				p, err := DecipherPINBlock4(unhex(t, c.Key), got, c.PAN)
				require.NoError(t, err)
				assert.Equal(t, c.PIN, pinDigits(p))
			case "decipher":
				p, err := DecipherPINBlock4(unhex(t, c.Key), unhex(t, c.Enciphered), c.PAN)
				require.NoError(t, err)
				assert.Equal(t, c.ExpectedPIN, pinDigits(p))
			case "decipher must fail":
				_, err := DecipherPINBlock4(unhex(t, c.Key), unhex(t, c.Enciphered), c.PAN)
				requireBlockErr(t, err, Format4, expectedErr(t, c.ExpectedErr))
			default:
				t.Fatalf("unknown vector kind %q", c.What)
			}
		})
	}
	_, err := EncipherPINBlock4(make([]byte, 15), mustPIN(t, "1234"), "1", bytes.NewReader(make([]byte, 8)))
	var ks aes.KeySizeError
	require.ErrorAs(t, err, &ks)
	_, err = EncipherPINBlock4(make([]byte, 16), mustPIN(t, "1234"), "1", iotest{})
	requireBlockErr(t, err, Format4, ErrRandomFill)
}

type iotest struct{}

func (iotest) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestPINBlockPAN(t *testing.T) {
	for _, pan := range []string{"", "12345678901234567890", "41111111111111x1"} {
		_, err := PINBlock0(mustPIN(t, "1234"), pan)
		requireBlockErr(t, err, Format0, ErrBadPAN)
		_, err = PANField4(pan)
		requireBlockErr(t, err, Format4, ErrBadPAN)
	}
	// Format 0 with a PAN shorter than 13 digits: left-padded with zeros.
	got, err := PINBlock0(mustPIN(t, "1234"), "123456")
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "041234FFFFFEDCBA"), got)
}

// ISO 9564-1: a PIN is 4 to 12 decimal digits; errors never show them.
func TestNewPIN(t *testing.T) {
	for _, s := range []string{"", "123", "1234567890123", "12a4", "12 4", "\x001234"} {
		_, err := NewPIN([]byte(s))
		assert.ErrorIs(t, err, ErrBadPIN, "%q", s)
	}
	p := mustPIN(t, "0987")
	assert.Equal(t, 4, p.Len())
	assert.True(t, p.Equal(mustPIN(t, "0987")))
	assert.False(t, p.Equal(mustPIN(t, "0988")))
	assert.False(t, p.Equal(mustPIN(t, "09870")))
	d := p.digits()
	p.Zero()
	assert.Equal(t, []byte{0, 0, 0, 0}, d, "digits overwritten")
	assert.Equal(t, 0, p.Len())
	_, err := PINBlock2(p)
	assert.True(t, errors.Is(err, ErrPINBlockInput))
}
