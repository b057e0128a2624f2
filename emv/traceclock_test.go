package emv_test

import (
	"context"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A card's exchanges are timed in the trace; a replayed recording's take
// no time and are not timed (Duration zero), so that replaying a corpus
// reads no clock for them. Nothing else of the trace differs.
func TestTraceDurationsOfCardAndReplay(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	card.SetDelay(time.Millisecond)
	cfg := testConfig(t, card)
	txn := emv.Transaction{Amount: 20000}
	term := func() *emv.Terminal { return &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}} }
	res, err := emv.Run(context.Background(), card, cfg, txn, term())
	require.NoError(t, err)
	require.NotEmpty(t, res.Trace)
	for i, e := range res.Trace {
		assert.GreaterOrEqual(t, e.Duration, time.Millisecond, "exchange %d of the card", i)
	}

	sess := res.Trace.Session("test", "replayed trace")
	again, err := emv.Run(context.Background(), apdu.NewReplay(sess, apdu.ReplayStrict), cfg, txn, term())
	require.NoError(t, err)
	require.Len(t, again.Trace, len(res.Trace))
	for i, e := range again.Trace {
		assert.Zero(t, e.Duration, "exchange %d of the replay", i)
		assert.Equal(t, res.Trace[i].Command, e.Command)
		assert.Equal(t, res.Trace[i].Response, e.Response)
	}
	assert.Equal(t, res.Outcome, again.Outcome)
	assert.Equal(t, res.TVR, again.TVR)
}
