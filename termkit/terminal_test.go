package termkit

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

// Book 3 Annex A: Amount, Authorised (9F02) is n 12 in the currency's
// minor unit; the exponent is ISO 4217's (5F36).
func TestCurrencyParse(t *testing.T) {
	usd, err := LookupCurrency(840)
	require.NoError(t, err)
	assert.Equal(t, Currency{Code: 840, Alpha: "USD", Exponent: 2}, usd)
	jpy, err := LookupCurrency(392)
	require.NoError(t, err)
	assert.Equal(t, 0, jpy.Exponent)
	tests := []struct {
		in   string
		c    Currency
		want uint64
		err  string
	}{
		{"12.34", usd, 1234, ""},
		{"10", usd, 1000, ""},
		{"0.5", usd, 50, ""},
		{".5", usd, 50, ""},
		{" 7.00 ", usd, 700, ""},
		{"1000", jpy, 1000, ""},
		{"9999999999.99", usd, 999999999999, ""},
		{"10000000000.00", usd, 0, `termkit: "10000000000.00" is not an amount of at most 12 digits`},
		{"1.234", usd, 0, `termkit: "1.234" has more than 2 decimals for USD`},
		{"1.5", jpy, 0, `termkit: "1.5" has more than 0 decimals for JPY`},
		{"", usd, 0, `termkit: "" is not an amount`},
		{".", usd, 0, `termkit: "." is not an amount`},
		{"-1", usd, 0, `termkit: "-1" is not an amount`},
		{"1e3", usd, 0, `termkit: "1e3" is not an amount`},
		{"12,34", usd, 0, `termkit: "12,34" is not an amount`},
	}
	for _, tc := range tests {
		got, err := tc.c.Parse(tc.in)
		if tc.err != "" {
			assert.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
	_, err = LookupCurrency(999)
	assert.EqualError(t, err, "termkit: ISO 4217 currency 999 is not one this package knows")
	assert.Equal(t, "999", CurrencyName(999))
	assert.Equal(t, "EUR", CurrencyName(978))
}

func TestCurrencyFormat(t *testing.T) {
	usd, _ := LookupCurrency(840)
	kwd, _ := LookupCurrency(414)
	jpy, _ := LookupCurrency(392)
	for _, tc := range []struct {
		c    Currency
		v    uint64
		want string
	}{
		{usd, 1234, "12.34"}, {usd, 5, "0.05"}, {usd, 0, "0.00"}, {jpy, 100, "100"}, {kwd, 1, "0.001"},
	} {
		assert.Equal(t, tc.want, tc.c.Format(tc.v))
	}
	assert.Equal(t, "USD 12.34", usd.Display(1234))
	// Every currency of the table is one x/text knows.
	for code := range iso4217 {
		_, err := LookupCurrency(code)
		assert.NoError(t, err, "%03d", code)
	}
}

type blocking struct{}

func (blocking) Read([]byte) (int, error) { select {} }

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
	assert.Len(t, s, MaxLine, "a long line is cut")
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

func TestPINPad(t *testing.T) {
	ctx := context.Background()
	// Bench PINs are typed in order, one each time the card asks; then
	// PIN entry is bypassed rather than using up the card's tries.
	p := &PINPad{PINs: []string{"9999", "1234"}}
	pin, err := p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 3})
	require.NoError(t, err)
	want, _ := cvm.NewPIN([]byte("9999"))
	assert.True(t, pin.Equal(want))
	pin, err = p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 2, Retry: true})
	require.NoError(t, err)
	want, _ = cvm.NewPIN([]byte("1234"))
	assert.True(t, pin.Equal(want))
	_, err = p.EnterOfflinePIN(ctx, cvm.PINRequest{Kind: cvm.OfflinePlaintextPIN, TriesLeft: 1, Retry: true})
	assert.ErrorIs(t, err, cvm.ErrPINBypassed)

	// Online PIN: ISO 9564-1 format 4 under the demo key, bound to the PAN.
	pan := []byte{0x54, 0x13, 0x33, 0x00, 0x89, 0x02, 0x00, 0x11}
	b, err := (&PINPad{PINs: []string{"1234"}}).EnterOnlinePIN(ctx, cvm.PINRequest{Kind: cvm.OnlinePIN, TriesLeft: -1, PAN: pan})
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
	require.Len(t, c.Combinations, 3)
	for i, cc := range c.Combinations {
		if i < 2 {
			assert.Equal(t, contactless.Kernel3, cc.Kernel)
			assert.Equal(t, []byte{0x36, 0x00, 0xC0, 0x00}, cc.TTQ)
			assert.Nil(t, cc.KernelData)
		} else {
			// Mastercard by Kernel 2: no TTQ, CVM Capability – CVM
			// Required DF8118 60 (Book C-2 Annex A).
			assert.Equal(t, []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, cc.AID)
			assert.Equal(t, contactless.Kernel2, cc.Kernel)
			assert.Equal(t, []byte{0x00, 0x02}, cc.ApplicationVersion)
			assert.Nil(t, cc.TTQ)
			assert.Equal(t, []byte{0xDF, 0x81, 0x18, 0x01, 0x60}, cc.KernelData)
		}
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
