package tlv

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Book 3 Annex C1, Book 4 Annex A2: the bit names of AIP and Terminal
// Capabilities, read from the tables.
func TestSetBits(t *testing.T) {
	names, rfu := SetBits(0x82, []byte{0x3D, 0x00})
	assert.Equal(t, []string{"DDA supported", "Cardholder verification is supported", "Terminal risk management is to be performed", "Issuer authentication is supported", "CDA supported"}, names)
	assert.False(t, rfu)
	names, rfu = SetBits(0x9F33, []byte{0xE0, 0xF8, 0xC8})
	assert.Equal(t, []string{"Manual key entry", "Magnetic stripe", "IC with contacts",
		"Plaintext PIN for ICC verification", "Enciphered PIN for online verification", "Signature (paper)", "Enciphered PIN for offline verification", "No CVM required",
		"SDA", "DDA", "CDA"}, names)
	assert.False(t, rfu)
	_, rfu = SetBits(0x9F33, []byte{0x10, 0x00, 0x00})
	assert.True(t, rfu, "byte 1 bit 5 is RFU")
	assert.Nil(t, Bits(0x5A))
	for tag, table := range bitTables {
		seen := map[[2]int]bool{}
		for _, b := range table {
			assert.True(t, b.Byte >= 1 && b.Bit >= 1 && b.Bit <= 8, "%s %v", tag, b)
			assert.False(t, seen[[2]int{b.Byte, b.Bit}], "%s byte %d bit %d named twice", tag, b.Byte, b.Bit)
			seen[[2]int{b.Byte, b.Bit}] = true
		}
	}
}
