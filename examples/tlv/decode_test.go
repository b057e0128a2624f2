package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeAs(t *testing.T, as, hexValue string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run([]string{"-as", as, hexValue}, strings.NewReader(""), &out, &errOut)
	return out.String(), err
}

// Each kind of value decodes bit by bit with the names of its book
// (Book 3 Annex C1, C2, C5, C6; Book 4 Annex A2, A3; Book C-3 Annex A;
// ISO/IEC 7816-3 §8.2 for the ATR).
func TestDecodeAs(t *testing.T) {
	for _, tc := range []struct {
		as, value, want string
	}{
		{"tvr", "0000048000", "byte 1: 00 00000000\nbyte 2: 00 00000000\nbyte 3: 04 00000100\n  bit 3: Online CVM captured\nbyte 4: 80 10000000\n  bit 8: Transaction exceeds floor limit\nbyte 5: 00 00000000\n"},
		{"95", "0000000001", "byte 1: 00 00000000\nbyte 2: 00 00000000\nbyte 3: 00 00000000\nbyte 4: 00 00000000\nbyte 5: 01 00000001\n  bit 1: RFU\n"},
		{"tsi", "E800", "byte 1: E8 11101000\n  bit 8: Offline data authentication was performed\n  bit 7: Cardholder verification was performed\n  bit 6: Card risk management was performed\n  bit 4: Terminal risk management was performed\nbyte 2: 00 00000000\n"},
		{"cvm-list", "000000000000000042031E03", "amount X: 0\namount Y: 0\nrule 1: 4203 Enciphered PIN verified online; If terminal supports the CVM; apply succeeding CV Rule if unsuccessful\nrule 2: 1E03 Signature (paper); If terminal supports the CVM; fail cardholder verification if unsuccessful\n"},
		{"cvm-results", "1E0300", "1E0300 (Signature (paper); If terminal supports the CVM; unknown)\nbyte 1: 1E CVM performed: Signature (paper)\nbyte 2: 03 condition: If terminal supports the CVM\nbyte 3: 00 result: unknown\n"},
		{"aip", "1980", "82 Application Interchange Profile (AIP)\nbyte 1: 19 00011001\n  bit 5: Cardholder verification is supported\n  bit 4: Terminal risk management is to be performed\n  bit 1: CDA supported\nbyte 2: 80 10000000\n  bit 8: Reserved for use by the EMV Contactless Specifications\n"},
		{"9F33", "E0B0C8", "9F33 Terminal Capabilities\nbyte 1: E0 11100000\n  bit 8: Manual key entry\n  bit 7: Magnetic stripe\n  bit 6: IC with contacts\nbyte 2: B0 10110000\n  bit 8: Plaintext PIN for ICC verification\n  bit 6: Signature (paper)\n  bit 5: Enciphered PIN for offline verification\nbyte 3: C8 11001000\n  bit 8: SDA\n  bit 7: DDA\n  bit 4: CDA\n"},
		{"ctq", "4080", "9F6C Card Transaction Qualifiers (CTQ) / Mag-stripe Application Version Number (Card)\nbyte 1: 40 01000000\n  bit 7: Signature Required\nbyte 2: 80 10000000\n  bit 8: Consumer Device CVM Performed\n"},
		{"cid", "8B", "8B 10001011\nbits 8-7: ARQC\nbits 6-5: 00 (payment system-specific cryptogram)\nbit 4: advice required\nbits 3-1: 011 issuer authentication failed\n"},
		{"iad-visa", "06011203A00000", "length:                    06\nderivation key index:      01\ncryptogram version number: 12 (18)\ncard verification results: 03A00000\n  second GENERATE AC: second GENERATE AC not requested\n  first GENERATE AC:  ARQC\n"},
		{"atr", "3B80800101", "TS  3B direct convention\nT0  80 0 historical bytes\nTD1 80 T=0\nTD2 01 T=1\nhistorical bytes: \nTCK 01 (check good)\n"},
		{"sw", "6A82", "6A82 (file or application not found)\n"},
		{"8C", "9F02069F3704", "9F02 6 bytes  Amount, Authorised (Numeric)\n9F37 4 bytes  Unpredictable Number\n10 bytes in all\n"},
		{"country", "0840", "840 US United States\n"},
		{"5F2A", "0392", "392 JPY, 0 decimals\n"},
	} {
		got, err := decodeAs(t, tc.as, tc.value)
		require.NoError(t, err, "%s %s", tc.as, tc.value)
		assert.Equal(t, tc.want, got, "%s %s", tc.as, tc.value)
	}
}

func TestDecodeAsErrors(t *testing.T) {
	for _, tc := range []struct{ as, value, err string }{
		{"tvr", "0000", "a TVR is 5 bytes, not 2"},
		{"atr", "3B80", "the ATR ends before TD1"},
		{"atr", "3B8001", "the ATR lacks TCK"},
		{"country", "0999", "999 is not an ISO 3166 country"},
		{"country", "0150", "150 is not an ISO 3166 country"},
		{"currency", "0A40", "0A40 is not four decimal digits"},
		{"cvm-list", "0000", "cvm: CVM List (8E) of 2 bytes: shorter than amounts X and Y"},
	} {
		_, err := decodeAs(t, tc.as, tc.value)
		assert.EqualError(t, err, tc.err, "%s %s", tc.as, tc.value)
	}
	_, err := decodeAs(t, "nope", "00")
	var ue *usageError
	require.True(t, errors.As(err, &ue))
	assert.Contains(t, err.Error(), `-as "nope": want one of additional-terminal-capabilities, aid`[:30])
	_, err = decodeAs(t, "5A", "00")
	assert.True(t, errors.As(err, &ue), "a tag with no decoder is a usage error")
}

// FuzzDecodeAs: no value makes a decoder panic or loop.
func FuzzDecodeAs(f *testing.F) {
	f.Add("atr", []byte{0x3B, 0xFF, 0xFF, 0xFF, 0xFF, 0x8F})
	f.Add("iad-visa", []byte{0x06, 1, 0x12, 3, 0xA0, 0, 0})
	f.Add("dol", []byte{0x9F, 0x02, 0x06})
	f.Add("cvm-list", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x42, 0x03})
	f.Fuzz(func(t *testing.T, as string, v []byte) {
		d, ok := lookupDecoder(as)
		if !ok {
			d = decoders["atr"]
		}
		var out bytes.Buffer
		_ = d.decode(&out, v)
		for _, d := range decoders {
			_ = d.decode(&out, v)
		}
	})
}
