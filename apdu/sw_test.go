package apdu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Every status word the EMV books name (Book 1 §11, Book 3 §6.3.5, §6.5,
// §10.10) has a name; the list is checked one by one.
func TestSWNames(t *testing.T) {
	tests := []struct {
		sw   SW
		want string
	}{
		{0x9000, "9000 (success)"},
		{0x6100, "6100 (256 more bytes available)"},
		{0x6110, "6110 (16 more bytes available)"},
		{0x6200, "6200 (warning, no information given)"},
		{0x6281, "6281 (part of returned data may be corrupted)"},
		{0x6283, "6283 (selected file invalidated)"},
		{0x6286, "6286 (no input data available from a sensor)"},
		{0x6300, "6300 (verification failed)"},
		{0x63C0, "63C0 (verification failed, 0 tries left)"},
		{0x63C2, "63C2 (verification failed, 2 tries left)"},
		{0x6400, "6400 (state of non-volatile memory unchanged)"},
		{0x6581, "6581 (memory failure)"},
		{0x6700, "6700 (wrong length)"},
		{0x6981, "6981 (command incompatible with file structure)"},
		{0x6982, "6982 (security status not satisfied)"},
		{0x6983, "6983 (authentication method blocked)"},
		{0x6984, "6984 (referenced data invalidated)"},
		{0x6985, "6985 (conditions of use not satisfied)"},
		{0x6986, "6986 (command not allowed)"},
		{0x6A80, "6A80 (incorrect parameters in the data field)"},
		{0x6A81, "6A81 (function not supported)"},
		{0x6A82, "6A82 (file or application not found)"},
		{0x6A83, "6A83 (record not found)"},
		{0x6A84, "6A84 (not enough memory space in the file)"},
		{0x6A86, "6A86 (incorrect parameters P1-P2)"},
		{0x6A88, "6A88 (referenced data not found)"},
		{0x6B00, "6B00 (wrong parameters P1-P2)"},
		{0x6C00, "6C00 (wrong Le, exact length 256)"},
		{0x6C1C, "6C1C (wrong Le, exact length 28)"},
		{0x6D00, "6D00 (instruction code not supported or invalid)"},
		{0x6E00, "6E00 (class not supported)"},
		{0x6F00, "6F00 (no precise diagnosis)"},
		{0x1234, "1234"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.sw.String())
	}
}

func TestSWCounts(t *testing.T) {
	n, ok := SW(0x6126).MoreData()
	assert.True(t, ok)
	assert.Equal(t, 0x26, n)
	n, ok = SW(0x6100).MoreData()
	assert.True(t, ok)
	assert.Equal(t, 256, n)
	_, ok = SW(0x9000).MoreData()
	assert.False(t, ok)

	n, ok = SW(0x6C1C).ExactLength()
	assert.True(t, ok)
	assert.Equal(t, 0x1C, n)
	_, ok = SW(0x6A82).ExactLength()
	assert.False(t, ok)

	// Book 3 §6.5.12.4: 63Cx, x tries left.
	n, ok = SW(0x63C3).VerifyTriesLeft()
	assert.True(t, ok)
	assert.Equal(t, 3, n)
	_, ok = SW(0x6300).VerifyTriesLeft()
	assert.False(t, ok)

	assert.True(t, SW(0x6283).IsWarning())
	assert.True(t, SW(0x63C1).IsWarning())
	assert.False(t, SW(0x6400).IsWarning())
	assert.False(t, SWOK.IsWarning())
	assert.True(t, SWOK.OK())
	assert.Equal(t, byte(0x6A), SWFileNotFound.SW1())
	assert.Equal(t, byte(0x82), SWFileNotFound.SW2())
}
