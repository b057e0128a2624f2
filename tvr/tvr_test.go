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
		{OnlineCVMCaptured, TVR{0, 0, 0x04, 0, 0}},
		{MerchantForcedOnline, TVR{0, 0, 0, 0x08, 0}},
		{ScriptFailedAfterFinalGenerateAC, TVR{0, 0, 0, 0, 0x10}},
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
	assert.Len(t, TVRBits, 37)
}

// EMV 4.4 Book 3 Annex C5 (Table 46): the bits 4.4 added to the 4.3 TVR,
// at their positions and with their names.
func TestTVR44Bits(t *testing.T) {
	cases := []struct {
		bit  Bit
		pos  string
		want TVR
		name string
	}{
		{XDASelected, "byte 1 bit 1", TVR{0x01, 0, 0, 0, 0}, "XDA selected"},
		{BiometricPerformedSuccessful, "byte 2 bit 2", TVR{0, 0x02, 0, 0, 0}, "Biometric performed and successful"},
		{BiometricTemplateFormatNotSupported, "byte 2 bit 1", TVR{0, 0x01, 0, 0, 0}, "Biometric template format not supported"},
		{OnlineCVMCaptured, "byte 3 bit 3", TVR{0, 0, 0x04, 0, 0}, "Online CVM captured"},
		{BiometricCaptureDeviceNotWorking, "byte 3 bit 2", TVR{0, 0, 0x02, 0, 0}, "Biometric required but Biometric capture device not working"},
		{BiometricSubtypeBypassed, "byte 3 bit 1", TVR{0, 0, 0x01, 0, 0}, "Biometric required, Biometric capture device present, but Biometric Subtype entry was bypassed"},
		{BiometricTryLimitExceeded, "byte 4 bit 3", TVR{0, 0, 0, 0x04, 0}, "Biometric Try Limit exceeded"},
		{BiometricTypeNotSupported, "byte 4 bit 2", TVR{0, 0, 0, 0x02, 0}, "A selected Biometric Type not supported"},
		{XDAFailed, "byte 4 bit 1", TVR{0, 0, 0, 0x01, 0}, "XDA signature verification failed"},
		{CAECCKeyMissing, "byte 5 bit 3", TVR{0, 0, 0, 0, 0x04}, "CA ECC key missing"},
		{ECCKeyRecoveryFailed, "byte 5 bit 2", TVR{0, 0, 0, 0, 0x02}, "ECC key recovery failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.pos, c.bit.Position())
			var v TVR
			v.Set(c.bit)
			assert.Equal(t, c.want, v)
			assert.Equal(t, []string{c.name}, v.Bits())
		})
	}
	// The 4.3 name of byte 3 bit 3 is the same bit.
	assert.Equal(t, OnlineCVMCaptured, OnlinePINEntered)
	// Byte 2 bit 3 is RFU; byte 5 bits 4 and 1 are reserved for the
	// contactless specifications: none of them has a name.
	assert.Equal(t, []string{"RFU byte 2 bit 3", "RFU byte 5 bit 4", "RFU byte 5 bit 1"}, TVR{0, 0x04, 0, 0, 0x09}.Bits())
	// Every bit of all five bytes but those three is named.
	all := TVR{0xFF, 0xFB, 0xFF, 0xFF, 0xF6}
	for _, n := range all.Bits() {
		assert.NotContains(t, n, "RFU")
	}
}

func TestTVRString(t *testing.T) {
	v := TVR{0x80, 0, 0, 0, 0x01}
	assert.Equal(t, "8000000001 [Offline data authentication was not performed; RFU byte 5 bit 1]", v.String())
	assert.Equal(t, "0000000000", TVR{}.String())
}

// Book 3 Annex C6.
func TestTSI(t *testing.T) {
	var s TSI
	s.Set(OfflineDataAuthPerformed)
	s.Set(ScriptProcessingPerformed)
	assert.Equal(t, TSI{0x84, 0}, s)
	assert.Equal(t, "8400 [Offline data authentication was performed; Script processing was performed]", s.String())
	// EMV 4.4 Annex C6 (Table 47) names six bits; the rest stay RFU.
	assert.Len(t, TSIBits, 6)
	assert.Equal(t, []string{"RFU byte 1 bit 2", "RFU byte 1 bit 1", "RFU byte 2 bit 8"}, TSI{0x03, 0x80}.Bits())
}
