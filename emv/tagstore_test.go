package emv

import (
	"encoding/hex"
	"testing"

	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tag store answers as a map[tlv.Tag][]byte would, for tags with a
// table cell (one byte, 5Fxx, 9Fxx) and for the others (DFxx, BFxx,
// three bytes), through replacement and reset.
func TestTagStoreIsAMap(t *testing.T) {
	tags := []tlv.Tag{0x5A, 0x9F02, 0x5F24, 0xDF01, 0xBF0C, 0xDF8101, 0x9F4B, 0x00, 0xFF, 0x5F00, 0x9FFF, 0x7F49, 0x1F}
	var s tagStore
	m := map[tlv.Tag][]byte{}
	check := func() {
		t.Helper()
		require.Equal(t, len(m), s.len())
		for _, tag := range append(tags, 0x9F03, 0xDF02, 0x5F2A, 0x8F) {
			v, ok := s.get(tag)
			w, wok := m[tag]
			assert.Equal(t, wok, ok, "%s present", tag)
			assert.Equal(t, w, v, "%s value", tag)
			assert.Equal(t, wok, s.has(tag), "%s has", tag)
			assert.Equal(t, w, s.val(tag), "%s val", tag)
		}
	}
	for round := range 2 {
		for i, tag := range tags {
			v := []byte{byte(i), byte(round)}
			s.set(tag, v)
			m[tag] = v
			check()
		}
		// Replacing keeps one entry per tag; an empty value is present.
		s.set(0x9F02, nil)
		m[0x9F02] = nil
		s.set(0xDF8101, []byte{})
		m[0xDF8101] = []byte{}
		check()
		s.reset()
		clear(m)
		check()
		require.Equal(t, [3][256]uint16{}, s.slot, "reset leaves no table cell set")
		require.Zero(t, s.others)
	}
}

// reset drops the values, so that a recycled store keeps no card bytes.
func TestTagStoreResetDropsValues(t *testing.T) {
	var s tagStore
	s.set(0x5A, []byte{0x47, 0x61})
	s.set(0xDF01, []byte{1})
	ents := s.ents[:2]
	s.reset()
	for _, e := range ents {
		assert.Nil(t, e.val)
	}
}

// The receipt's masked PAN and hex fields are those maskPAN and hexUpper
// give, for PANs of every length up to 10 bytes (Book 3 Annex A: 5A is
// at most 19 digits; a card may send more), padded or not, with a
// non-digit in the middle, and for nothing.
func TestReceiptTextIsMaskPANAndHex(t *testing.T) {
	pans := []string{"", "47", "476173", "4761739001", "476173900101", "4761739001010119", "4761739001010119F", "47617390010101191", "4761739001010119123F",
		"47617390010101191234", "4761A39001010119", "A761", "47617390010101191234567890", "F0", "4F"}
	for _, p := range pans {
		if len(p)%2 == 1 {
			p += "F"
		}
		b := mustHexInternal(p)
		assert.Equal(t, maskPAN(b), string(appendMaskedPAN(nil, b)), "PAN %s", p)
		assert.Equal(t, "x"+maskPAN(b), string(appendMaskedPAN([]byte("x"), b)), "PAN %s after a prefix", p)
		assert.Equal(t, hexUpper(b), string(appendHexUpper(nil, b)), "hex %s", p)
	}
}

func mustHexInternal(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
