package emv

import (
	"context"
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

// setRecord marks a tag's entry as read from a record and reports a second
// record value as a duplicate, set keeps the mark of an entry it replaces,
// and reset leaves no mark on a recycled entry: for tags with a table
// cell and without one.
func TestTagStoreRecordMarks(t *testing.T) {
	var s tagStore
	for _, tag := range []tlv.Tag{0x5F24, 0xDF01} {
		s.set(tag, []byte{1})
		assert.False(t, s.fromRecord(tag), "%s set", tag)
		assert.False(t, s.setRecord(tag, []byte{2}), "%s: a value of the FCI is no duplicate", tag)
		assert.True(t, s.fromRecord(tag), "%s setRecord", tag)
		assert.Equal(t, []byte{2}, s.val(tag))
		assert.True(t, s.setRecord(tag, []byte{9}), "%s: a second record value is a duplicate", tag)
		assert.Equal(t, []byte{2}, s.val(tag), "%s: a duplicate changes nothing", tag)
		s.set(tag, []byte{3})
		assert.True(t, s.fromRecord(tag), "%s set after setRecord", tag)
	}
	assert.False(t, s.setRecord(0x9F07, []byte{0xFF, 0}), "a new tag")
	assert.True(t, s.fromRecord(0x9F07))
	assert.False(t, s.fromRecord(0x9F02), "absent")
	s.reset()
	s.set(0x5F24, nil)
	s.set(0xDF01, nil)
	assert.False(t, s.fromRecord(0x5F24))
	assert.False(t, s.fromRecord(0xDF01))
}

// Book 3 §10.2: an object of the FCI or the GPO response that a record
// brings again takes the record's value; an object a record brings a
// second time (in the same record or a later one) terminates with
// ErrDuplicateData. The rule holds when the card data store is full
// (maxCardObjects) and the marks go to recordTags.
func TestRecordDuplicates(t *testing.T) {
	for _, full := range []bool{false, true} {
		name := "room"
		if full {
			name = "full"
		}
		t.Run(name, func(t *testing.T) {
			s := newState(context.Background(), nil, &Config{}, terminalSeam{&Terminal{}})
			defer s.release()
			s.keepCard(0x50, []byte("FCI"))
			if full {
				for i := 0; s.cardData.len() < maxCardObjects; i++ {
					s.keepCard(tlv.Tag(0xDF8100+i), []byte{1})
				}
			}
			require.NoError(t, s.keepTemplate(mustHexInternal("5003524543"+"5F2403301231"), true))
			if full {
				assert.Equal(t, []byte("FCI"), s.cardData.val(0x50), "a full store takes no value")
			} else {
				assert.Equal(t, []byte("REC"), s.cardData.val(0x50), "the record's value")
			}
			require.NoError(t, s.err)
			err := s.keepTemplate(mustHexInternal("5A0847617390010101195F2403301231"), true)
			require.ErrorIs(t, err, ErrDuplicateData)
			assert.Contains(t, err.Error(), "tag 5F24 returned twice")

			s2 := newState(context.Background(), nil, &Config{}, terminalSeam{&Terminal{}})
			defer s2.release()
			err = s2.keepTemplate(mustHexInternal("9F0702FF009F0702FF00"), true)
			require.ErrorIs(t, err, ErrDuplicateData, "twice in one record")
		})
	}
}
