package contactless_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProtocolActivation checks Book B §3.2: the UI request at the start
// of protocol activation, polling, collisions and a card that leaves
// during selection.
func TestProtocolActivation(t *testing.T) {
	t.Run("BookB_3_2_1_2_StartA_PresentCard_ReadyToRead", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		ok := ui(contactless.MsgCardReadOK, contactless.UICardReadSuccessfully)
		k := &stubKernel{outcomes: []*contactless.Outcome{withUI(outcome(contactless.StatusApproved), &ok, nil)}}
		var shown []contactless.UIRequest
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3), UI: func(u contactless.UIRequest) { shown = append(shown, u) }}
		txn := purchase
		res, err := ep.Run(context.Background(), contactless.OneCard(card), &txn)
		require.NoError(t, err)
		assert.Equal(t, []contactless.UIRequest{presentCard, ok}, res.UI)
		assert.Equal(t, res.UI, shown, "the display sees every request, in order")
	})
	t.Run("BookB_3_2_1_2_TryAgain_UIRequestOnRestartShown", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		again := ui(contactless.MsgPresentCardAgain, contactless.UIReadyToRead)
		retry := withUI(outcome(contactless.StatusTryAgain), nil, &again)
		retry.Parameters.Start = contactless.StartB
		k := &stubKernel{outcomes: []*contactless.Outcome{retry, outcome(contactless.StatusApproved)}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
		assert.Equal(t, []contactless.UIRequest{presentCard, again}, res.UI)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	})
	t.Run("BookB_3_2_1_2_TryAgain_NoUIRequestOnRestart_PresentCard", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusTryAgain), outcome(contactless.StatusDeclined)}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
		assert.Equal(t, []contactless.UIRequest{presentCard, presentCard}, res.UI)
		assert.Equal(t, contactless.StatusDeclined, res.Outcome.Parameters.Status)
	})
	t.Run("BookB_3_2_1_3_CollisionOnPoll_PresentOneCardOnly_PollAgain", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		f := &testField{card: card, pollErrs: []error{contactless.ErrCollision, fmt.Errorf("x: %w", contactless.ErrCollision)}}
		res := run(t, testConfig(visa()), kernels(&stubKernel{}, 3), f, purchase)
		assert.Equal(t, 3, f.polls)
		assert.Equal(t, []contactless.UIRequest{presentCard, oneCardOnly, oneCardOnly}, res.UI)
		assert.Equal(t, []string{selectPPSE, selectAID(visaAID)}, commands(res))
		assert.Empty(t, res.Restarts, "a collision is not a restart")
	})
	t.Run("BookB_3_2_1_3_CollisionOnFirstCommand_PresentOneCardOnly_SelectAgain", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.collisions = 1
		res := run(t, testConfig(visa()), kernels(&stubKernel{}, 3), contactless.OneCard(card), purchase)
		assert.Equal(t, []contactless.UIRequest{presentCard, oneCardOnly}, res.UI)
		assert.Equal(t, []string{selectPPSE, selectPPSE, selectAID(visaAID)}, commands(res))
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	})
	t.Run("BookB_3_2_1_3_CollisionNeverResolves_ErrorAfterMaxPolls", func(t *testing.T) {
		f := &testField{collide: true}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(&stubKernel{}, 3)}
		txn := purchase
		res, err := ep.Run(context.Background(), f, &txn)
		require.ErrorIs(t, err, contactless.ErrCollision)
		assert.Equal(t, contactless.MaxPolls, f.polls)
		assert.Len(t, res.UI, 1+contactless.MaxPolls)
		assert.Nil(t, res.Outcome)
	})
	t.Run("BookB_3_2_FieldFails_ErrorNamesProtocolActivation", func(t *testing.T) {
		broken := errors.New("reader unplugged")
		f := &testField{pollErrs: []error{broken}}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(&stubKernel{}, 3)}
		txn := purchase
		_, err := ep.Run(context.Background(), f, &txn)
		require.ErrorIs(t, err, broken)
		assert.EqualError(t, err, "contactless: protocol activation: reader unplugged")
	})
	t.Run("BookB_3_2_ContextEnded_Error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(&stubKernel{}, 3)}
		txn := purchase
		_, err := ep.Run(ctx, contactless.OneCard(cardWith(entry(visaAID))), &txn)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("BookB_3_2_CardLostDuringPPSESelect_PollAgain", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.fail = map[int]error{0: fmt.Errorf("rf: %w", apdu.ErrCardRemoved)}
		res := run(t, testConfig(visa()), kernels(&stubKernel{}, 3), contactless.OneCard(card), purchase)
		assert.Equal(t, []string{selectPPSE, selectPPSE, selectAID(visaAID)}, commands(res))
		require.Len(t, res.Restarts, 1)
		assert.Equal(t, contactless.StartB, res.Restarts[0].Start)
		assert.Equal(t, contactless.CauseCardLost, res.Restarts[0].Cause)
		assert.ErrorIs(t, res.Restarts[0].Err, apdu.ErrCardRemoved)
		assert.Equal(t, []contactless.UIRequest{presentCard, presentCard}, res.UI)
	})
	t.Run("BookB_3_2_CardLostDuringFinalSelect_PollAgain", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.fail = map[int]error{1: apdu.ErrCardRemoved}
		res := run(t, testConfig(visa()), kernels(&stubKernel{}, 3), contactless.OneCard(card), purchase)
		assert.Equal(t, []string{selectPPSE, selectAID(visaAID), selectPPSE, selectAID(visaAID)}, commands(res))
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	})
	t.Run("BookB_3_2_CardGoneForGood_RestartsBounded", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.failFrom = 1
		card.fail = map[int]error{0: apdu.ErrCardRemoved}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(&stubKernel{}, 3)}
		txn := purchase
		res, err := ep.Run(context.Background(), contactless.OneCard(card), &txn)
		require.ErrorIs(t, err, contactless.ErrTooManyRestarts)
		assert.Len(t, res.Restarts, contactless.MaxRestarts)
		assert.Equal(t, contactless.StatusEndApplication, res.Outcome.Parameters.Status)
		assert.Len(t, card.commands, contactless.MaxRestarts+1)
	})
}

// withUI sets an outcome's UI requests.
func withUI(o *contactless.Outcome, onOutcome, onRestart *contactless.UIRequest) *contactless.Outcome {
	o.Parameters.UIRequestOnOutcome = onOutcome
	o.Parameters.UIRequestOnRestart = onRestart
	return o
}
