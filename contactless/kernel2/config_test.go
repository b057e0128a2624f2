package kernel2

import (
	"os"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func u64(v uint64) *uint64 { return &v }

// The Kernel 2 terminal data (Book C-2 Annex A) comes from a combination's
// kernel_data in the contactless configuration file; the limits not in it
// fall back on the combination's Book B limits.
func TestTerminalConfigFromFile(t *testing.T) {
	b, err := os.ReadFile("testdata/kernel2-config.json")
	require.NoError(t, err)
	cfg, err := contactless.ParseConfig(b)
	require.NoError(t, err)
	cc := &cfg.Combinations[0]
	require.Equal(t, contactless.Kernel2, cc.Kernel)
	tc, err := ParseTerminalConfig(cc.KernelData, cc)
	require.NoError(t, err)
	assert.Equal(t, TerminalConfig{
		KernelConfiguration:                 0x30,
		KernelID:                            0x02,
		TACDefault:                          [5]byte{0xF4, 0x50, 0x84, 0x80, 0x0C},
		TACOnline:                           [5]byte{0xF4, 0x50, 0x84, 0x80, 0x0C},
		CVMCapabilityCVMRequired:            0x60,
		CVMCapabilityNoCVMRequired:          0x08,
		MagstripeCVMCapabilityCVMRequired:   0x10,
		MagstripeCVMCapabilityNoCVMRequired: 0x00,
		SecurityCapability:                  0x08,
		DefaultUDOL:                         []byte{0x9F, 0x6A, 0x04},
		CardDataInputCapability:             0xE0,
		ReaderContactlessFloorLimit:         u64(10000),
		ReaderLimitNoOnDeviceCVM:            u64(30000),
		ReaderLimitOnDeviceCVM:              u64(100000),
		ReaderCVMRequiredLimit:              u64(5000),
		MaxLifetimeOfTornTransactionLog:     300,
		MessageHoldTime:                     13,
		MinGracePeriod:                      0x14,
		MaxGracePeriod:                      0x32,
		ExpectedTimeCAPDU:                   0x12,
		ExpectedTimeRAPDU:                   0x18,
		AccuracyThreshold:                   0x12C,
		TransmissionTimeMismatchThreshold:   0x32,
	}, tc)
}

// Absent Kernel 2 terminal data takes the defaults the TerminalConfig
// documents (Book C-2 Annex A's where it gives one); DF8125 defaults to
// DF8124.
func TestTerminalConfigDefaults(t *testing.T) {
	tc, err := ParseTerminalConfig(h("DF8124 06 000000020000"), nil)
	require.NoError(t, err)
	assert.Equal(t, byte(0x30), tc.KernelConfiguration)
	assert.Equal(t, [5]byte{0xCC}, tc.TACDefault)
	assert.Equal(t, [5]byte{}, tc.TACDenial)
	assert.Equal(t, [5]byte{0xCC}, tc.TACOnline)
	assert.Equal(t, byte(0x00), tc.CVMCapabilityCVMRequired)
	assert.Equal(t, byte(0x08), tc.CVMCapabilityNoCVMRequired)
	assert.Equal(t, byte(0x08), tc.SecurityCapability)
	assert.Equal(t, u64(20000), tc.ReaderLimitOnDeviceCVM)
	assert.Nil(t, tc.ReaderCVMRequiredLimit)
	assert.Equal(t, uint16(0x14), tc.MinGracePeriod)
	assert.Equal(t, uint16(0x32), tc.MaxGracePeriod)
	assert.Equal(t, 13, tc.MessageHoldTime)
}

// Kernel 2 terminal data of the wrong length or value is a *ConfigError
// naming the tag.
func TestTerminalConfigErrors(t *testing.T) {
	for _, c := range []struct{ data, msg string }{
		{"DF812004F4508480", "kernel2: terminal data DF8120: 4 bytes, want 5"},
		{"DF811B023000", "kernel2: terminal data DF811B: 2 bytes, want 1"},
		{"DF810C0103", "kernel2: terminal data DF810C: Kernel ID 03, want 02"},
		{"DF8123060000000A0000", "kernel2: terminal data DF8123: not BCD"},
		{"DF813201 14", "kernel2: terminal data DF8132: 1 bytes, want 2"},
		{"DF8120 05 F450", "kernel2: terminal data: not BER-TLV: tlv: tag DF8120 at offset 0: data ends inside a data object"},
	} {
		_, err := ParseTerminalConfig(h(c.data), nil)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, c.data)
		assert.Equal(t, c.msg, err.Error())
	}
}
