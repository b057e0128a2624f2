package emv_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// errMute is a reader that gets no answer from the chip.
var errMute = errors.New("reader: no answer from the card")

// muteAfter passes commands to the card until the n-th command with
// instruction ins (counting from 1), which gets no answer: err.
type muteAfter struct {
	card apdu.Transceiver
	ins  byte
	n    int
	err  error
}

func (m *muteAfter) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) > 1 && cmd[1] == m.ins {
		if m.n--; m.n == 0 {
			return nil, m.err
		}
	}
	return m.card.Transmit(ctx, cmd)
}

// Book 4 §6.3.6, technical fallback: a chip that does not answer, or
// stops answering before the first GENERATE AC, ends TryAnotherInterface
// (the terminal may take the magnetic stripe); after a GENERATE AC, or
// when the card was pulled out, it ends Terminated.
func TestTechnicalFallback(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ins     byte
		n       int
		err     error
		outcome emv.Outcome
		step    emv.Step
	}{
		{"mute chip: no answer to the first SELECT", apdu.InsSelect, 1, errMute, emv.TryAnotherInterface, emv.StepSelection},
		{"no answer to GET PROCESSING OPTIONS", apdu.InsGetProcessingOptions, 1, errMute, emv.TryAnotherInterface, emv.StepInitiateProcessing},
		{"no answer to a READ RECORD", apdu.InsReadRecord, 5, errMute, emv.TryAnotherInterface, emv.StepReadApplicationData},
		{"no answer to the first GENERATE AC", apdu.InsGenerateAC, 1, errMute, emv.Terminated, emv.StepTerminalActionAnalysis},
		{"card pulled out before GPO", apdu.InsGetProcessingOptions, 1, apdu.ErrCardRemoved, emv.Terminated, emv.StepInitiateProcessing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(emvtest.VisaCDA())
			res, err := emv.Run(context.Background(), &muteAfter{card: card, ins: tc.ins, n: tc.n, err: tc.err}, testConfig(t, card),
				emv.Transaction{Type: emv.Purchase, Amount: 1000, Time: testTime}, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}})
			var te *emv.TerminatedError
			require.ErrorAs(t, err, &te)
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.step, te.Step)
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Same(t, te, res.Terminated)
		})
	}
}
