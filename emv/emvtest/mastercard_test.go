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

// Book C-2 torn transactions: a card torn during GENERATE AC has answered
// it; on the next tap RECOVER AC with the DRDOL related data of that
// GENERATE AC (its Unpredictable Number) gives the same response once;
// other data answers 6A88; a card without a DRDOL does not know the
// command.
func TestTearAtAndRecoverAC(t *testing.T) {
	c := NewCard(MastercardTorn())
	aid := h("A0000000041010")
	require.Equal(t, apdu.SWOK, send(t, c, apdu.Select(aid, false)).SW)
	require.Equal(t, apdu.SWOK, send(t, c, apdu.GetProcessingOptions(h("000000001000 0840 0840 261202 00 11223344"))).SW)
	c.TearAt(c.Commands() + 1)
	_, err := apdu.Exchange(context.Background(), c, apdu.GenerateAC(apdu.RefTC, cdol1Data))
	require.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.True(t, c.Removed())

	c.Insert()
	require.Equal(t, apdu.SWOK, send(t, c, apdu.Select(aid, false)).SW)
	require.Equal(t, apdu.SWOK, send(t, c, apdu.GetProcessingOptions(h("000000001000 0840 0840 261202 00 55667788"))).SW)
	recoverAC := func(data string) apdu.Response {
		return send(t, c, apdu.Command{CLA: 0x80, INS: InsRecoverAC, Data: h(data), Le: 256})
	}
	assert.Equal(t, apdu.SW(0x6A88), recoverAC("99999999").SW)
	r := recoverAC("12345678") // the UN of cdol1Data
	require.Equal(t, apdu.SWOK, r.SW)
	assert.Equal(t, "40", sprintf("%X", find(t, r.Data, 0x9F27)))
	assert.Equal(t, apdu.SW(0x6A88), recoverAC("12345678").SW, "once")

	n := NewCard(MastercardOffline())
	require.Equal(t, apdu.SWOK, send(t, n, apdu.Select(aid, false)).SW)
	assert.Equal(t, apdu.SWINSNotSupported, send(t, n, apdu.Command{CLA: 0x80, INS: InsRecoverAC, Data: h("12345678"), Le: 256}).SW)
}
