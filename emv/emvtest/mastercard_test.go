package emvtest

import (
	"context"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func errd(entropy []byte) apdu.Command {
	return apdu.Command{CLA: 0x80, INS: InsExchangeRelayResistanceData, Data: entropy, Le: 256}
}

// Book C-2 relay resistance: EXCHANGE RELAY RESISTANCE DATA answers 80
// with the device entropy and the three times after GPO, takes the
// profile's answer time through the sleep function, and refuses before
// GPO, with the wrong length and on a card without the protocol.
func TestExchangeRelayResistanceData(t *testing.T) {
	c := NewCard(MastercardOffline())
	var slept []time.Duration
	c.SetSleep(func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil })
	aid := h("A0000000041010")
	require.Equal(t, apdu.SWOK, send(t, c, apdu.Select(aid, false)).SW)
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, errd(h("11223344"))).SW, "before GPO")
	require.Equal(t, apdu.SWOK, send(t, c, apdu.GetProcessingOptions(h("000000001000 0840 0840 261202 00 11223344"))).SW)
	assert.Equal(t, apdu.SWWrongLength, send(t, c, errd(h("112233"))).SW)
	slept = nil
	r := send(t, c, errd(h("11223344")))
	require.Equal(t, apdu.SWOK, r.SW)
	require.Len(t, r.Data, 12)
	assert.Equal(t, "800A", sprintf("%X", r.Data[:2]))
	assert.Equal(t, "001000300018", sprintf("%X", r.Data[6:]))
	assert.Equal(t, []time.Duration{6200 * time.Microsecond}, slept)

	n := NewCard(MastercardNoRRP())
	require.Equal(t, apdu.SWOK, send(t, n, apdu.Select(aid, false)).SW)
	require.Equal(t, apdu.SWOK, send(t, n, apdu.GetProcessingOptions(h("000000001000 0840 0840 261202 00 11223344"))).SW)
	assert.Equal(t, apdu.SWINSNotSupported, send(t, n, errd(h("11223344"))).SW)
}
