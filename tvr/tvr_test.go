package tvr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Book 3 Annex C5: byte and bit positions of every named TVR bit.
func TestTVRBitPositions(t *testing.T) {
	cases := []struct {
		bit  Bit
		want TVR
	}{
		{OfflineDataAuthNotPerformed, TVR{0x80, 0, 0, 0, 0}},
		{SDASelected, TVR{0x02, 0, 0, 0, 0}},
		{NewCard, TVR{0, 0x08, 0, 0, 0}},
		{OnlinePINEntered, TVR{0, 0, 0x04, 0, 0}},
		{MerchantForcedOnline, TVR{0, 0, 0, 0x08, 0}},
		{ScriptFailedAfterFinalGenerateAC, TVR{0, 0, 0, 0, 0x10}},
		{XDASelected, TVR{0x01, 0, 0, 0, 0}},
		{XDAFailed, TVR{0, 0, 0, 0x01, 0}},
		{CAECCKeyMissing, TVR{0, 0, 0, 0, 0x04}},
		{ECCKeyRecoveryFailed, TVR{0, 0, 0, 0, 0x02}},
	}
	for _, c := range cases {
		var v TVR
		v.Set(c.bit)
		assert.Equal(t, c.want, v, c.bit.Position())
		assert.True(t, v.Has(c.bit))
		v.Clear(c.bit)
		assert.Equal(t, TVR{}, v)
	}
	seen := map[Bit]bool{}
	for _, n := range TVRBits {
		assert.False(t, seen[n.Bit], "bit %s named twice", n.Bit.Position())
		seen[n.Bit] = true
	}
	assert.Len(t, TVRBits, 31)
}

func TestTVRString(t *testing.T) {
	v := TVR{0x80, 0, 0x01, 0, 0}
	assert.Equal(t, "8000010000 [Offline data authentication was not performed; RFU byte 3 bit 1]", v.String())
	assert.Equal(t, "0000000000", TVR{}.String())
}

// Book 3 Annex C6.
func TestTSI(t *testing.T) {
	var s TSI
	s.Set(OfflineDataAuthPerformed)
	s.Set(ScriptProcessingPerformed)
	assert.Equal(t, TSI{0x84, 0}, s)
	assert.Equal(t, "8400 [Offline data authentication was performed; Script processing was performed]", s.String())
}
