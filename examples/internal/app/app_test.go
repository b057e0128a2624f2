package app

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in       string
		exponent int
		want     uint64
		err      string
	}{
		{"12.34", 2, 1234, ""},
		{"10", 2, 1000, ""},
		{"0.5", 2, 50, ""},
		{".5", 2, 50, ""},
		{" 7.00 ", 2, 700, ""},
		{"1000", 0, 1000, ""},
		{"999999999.99", 2, 99999999999, ""},
		{"9999999999.99", 2, 999999999999, ""},
		{"10000000000.00", 2, 0, "at most 12 digits"},
		{"1.234", 2, 0, "more than 2 decimals"},
		{"1.5", 0, 0, "more than 0 decimals"},
		{"", 2, 0, "not an amount"},
		{".", 2, 0, "not an amount"},
		{"-1", 2, 0, "not an amount"},
		{"1e3", 2, 0, "not an amount"},
		{"12,34", 2, 0, "not an amount"},
	}
	for _, tc := range tests {
		got, err := ParseAmount(tc.in, tc.exponent)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tc := range []struct {
		v        uint64
		exponent int
		want     string
	}{
		{1234, 2, "12.34"}, {5, 2, "0.05"}, {0, 2, "0.00"}, {100, 0, "100"}, {1, 3, "0.001"},
	} {
		assert.Equal(t, tc.want, FormatAmount(tc.v, tc.exponent))
	}
}

func TestConsole(t *testing.T) {
	var out bytes.Buffer
	c := NewConsole(strings.NewReader("  first \r\nsecret\n"+strings.Repeat("x", 5000)+"\nlast"), &out)
	assert.False(t, c.Terminal())
	ctx := context.Background()
	s, err := c.ReadLine(ctx, "Name: ")
	require.NoError(t, err)
	assert.Equal(t, "first", s)
	s, err = c.ReadSecret(ctx, "PIN: ")
	require.NoError(t, err)
	assert.Equal(t, "secret", s)
	s, err = c.ReadLine(ctx, "Long: ")
	require.NoError(t, err)
	assert.Len(t, s, maxLine, "a long line is cut")
	s, err = c.ReadLine(ctx, "Last: ")
	require.NoError(t, err)
	assert.Equal(t, "last", s, "a last line without end of line")
	_, err = c.ReadLine(ctx, "More: ")
	assert.ErrorIs(t, err, ErrNoInput)
	assert.True(t, strings.HasPrefix(out.String(), "Name: first\nPIN: \nLong: "), out.String())
	assert.NotContains(t, out.String(), "secret", "a secret is never echoed")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = NewConsole(blocking{}, &out).ReadLine(cancelled, "> ")
	assert.ErrorIs(t, err, context.Canceled)
}

type blocking struct{}

func (blocking) Read([]byte) (int, error) { select {} }

func TestPINPad(t *testing.T) {
	ctx := context.Background()
	// A bench PIN is typed once: after the card refused it, PIN entry is
	// bypassed rather than using up the card's tries.
	p := &PINPad{Fixed: "1234"}
	pin, err := p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 3})
	require.NoError(t, err)
	want, _ := cvm.NewPIN([]byte("1234"))
	assert.True(t, pin.Equal(want))
	_, err = p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 2, Retry: true})
	assert.ErrorIs(t, err, cvm.ErrPINBypassed)

	// Online PIN: ISO 9564-1 format 4 under the demo key, bound to the PAN.
	pan := []byte{0x54, 0x13, 0x33, 0x00, 0x89, 0x02, 0x00, 0x11}
	b, err := p.EnterOnlinePIN(ctx, cvm.PINRequest{Kind: cvm.OnlinePIN, TriesLeft: -1, PAN: pan})
	require.NoError(t, err)
	assert.Equal(t, cvm.Format4, b.BlockFormat())
	got, err := cvm.DecipherPINBlock4(DemoPINKey, b.Bytes(), "5413330089020011")
	require.NoError(t, err)
	assert.True(t, got.Equal(want))

	// Prompted: an empty line bypasses; the prompt says why it asks again.
	var out bytes.Buffer
	p = &PINPad{Console: NewConsole(strings.NewReader("\n4321\n"), &out)}
	_, err = p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflineEncipheredPIN, TriesLeft: 3})
	assert.ErrorIs(t, err, cvm.ErrPINBypassed)
	pin, err = p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflineEncipheredPIN, TriesLeft: 1, LastTry: true, Retry: true})
	require.NoError(t, err)
	want, _ = cvm.NewPIN([]byte("4321"))
	assert.True(t, pin.Equal(want))
	assert.Contains(t, out.String(), "Enter PIN (3 tries left)")
	assert.Contains(t, out.String(), "Incorrect PIN. Enter PIN (LAST TRY)")
	assert.NotContains(t, out.String(), "4321")
	_, err = p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflineEncipheredPIN})
	assert.True(t, errors.Is(err, cvm.ErrPINPadNotWorking), "input ended: %v", err)
}

// The built-in contactless reader is valid (contactless.Config.Validate)
// and has the limits its documentation gives (Book B §3.1.1).
func TestDemoContactlessConfig(t *testing.T) {
	c := DemoContactlessConfig()
	require.NoError(t, c.Validate())
	require.Len(t, c.Combinations, 2)
	for _, cc := range c.Combinations {
		assert.Equal(t, contactless.Kernel3, cc.Kernel)
		assert.Equal(t, []byte{0x36, 0x00, 0xC0, 0x00}, cc.TTQ)
		assert.Equal(t, uint64(100000), *cc.ReaderContactlessTransactionLimit)
		assert.Equal(t, uint64(5000), *cc.ReaderContactlessFloorLimit)
		assert.Equal(t, uint64(5000), *cc.ReaderCVMRequiredLimit)
		assert.Nil(t, cc.TerminalFloorLimit)
	}
	assert.Nil(t, c.CAKeys)
	ks := oda.NewKeyStore()
	card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
	require.NoError(t, TrustCardKeys(ks, card))
	require.NoError(t, TrustCardKeys(ks, card), "a key already there is kept")
	assert.Len(t, ks.Keys(), len(card.CAPublicKeys()))
}
