package emv_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Session with no Terminal parts asks for everything: the application
// (Book 1 §12.4), the amount after the card is read, the PIN
// (Book 3 §10.5) and the authorisation (Book 3 §10.9).
func TestSessionAsksTheTerminal(t *testing.T) {
	card := emvtest.NewCard(emvtest.MultiApplication())
	iss := emvtest.IssuerFor(card)
	host := &issuerHost{iss: iss}
	s := emv.Start(context.Background(), card, testConfig(t, card), nil, nil)
	defer s.Close()
	var asked []string
	var commandsAtAmount int
	for {
		req, done := s.Next()
		if done != nil {
			require.NoError(t, done.Err)
			assert.Equal(t, emv.OnlineApproved, done.Result.Outcome)
			assert.Equal(t, "A0000000032010", hexOf(done.Result.AID))
			assert.Equal(t, "0000008000", hexOf(done.Result.TVR[:]))
			break
		}
		asked = append(asked, fmt.Sprintf("%T", req))
		switch r := req.(type) {
		case *emv.ChooseApplication:
			require.Len(t, r.Candidates, 3)
			r.Answer(1) // Visa Debit
		case *emv.TransactionDetails:
			commandsAtAmount = card.Commands()
			assert.Equal(t, "476173******0200", r.Card.MaskedPAN)
			assert.Equal(t, "A0000000032010", hexOf(r.Card.AID))
			r.Answer(emv.Transaction{Amount: 20000})
		case *emv.EnterPIN:
			assert.Equal(t, cvm.OfflineEncipheredPIN, r.PINRequest.Kind)
			pin, err := cvm.NewPIN([]byte("1234"))
			require.NoError(t, err)
			r.AnswerPIN(pin)
		case *emv.GoOnline:
			assert.NotEmpty(t, r.Request.ICCData)
			r.Answer(host.Authorise(context.Background(), r.Request))
		default:
			t.Fatalf("unexpected request %T", req)
		}
	}
	assert.Equal(t, []string{"*emv.ChooseApplication", "*emv.TransactionDetails", "*emv.EnterPIN", "*emv.GoOnline"}, asked)
	// The amount was asked once the records were read: PSE, three
	// directory records and the 6A83 that ends them, final SELECT, GPO,
	// four records.
	assert.Equal(t, 11, commandsAtAmount)
}

// Book 3 §10.1: when the PDOL asks for the amount, the Session asks for
// the transaction before GET PROCESSING OPTIONS, and the amount goes in
// the PDOL data.
func TestSessionAmountBeforeGPOWhenPDOLNeedsIt(t *testing.T) {
	p := visaCDA()
	p.Applications[0].PDOL = mustHex("9F0206")
	card := emvtest.NewCard(p)
	s := emv.Start(context.Background(), card, testConfig(t, card), nil, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}})
	defer s.Close()
	req, done := s.Next()
	require.Nil(t, done)
	td, ok := req.(*emv.TransactionDetails)
	require.True(t, ok, "%T", req)
	assert.Equal(t, 4, card.Commands(), "after the final SELECT, before GPO")
	assert.Empty(t, td.Card.MaskedPAN)
	td.Answer(emv.Transaction{Amount: 4321})
	req, done = s.Next()
	require.Nil(t, req)
	require.NoError(t, done.Err)
	assert.Equal(t, emv.Approved, done.Result.Outcome)
	assert.Equal(t, mustHex("80A80000"+"08"+"8306"+"000000004321"+"00"), done.Result.Trace[4].Command)
}

// A request left unanswered is cancelled by the next call to Next, and
// the transaction is terminated with ErrCancelled.
func TestSessionUnansweredRequestCancels(t *testing.T) {
	card := emvtest.NewCard(emvtest.MultiApplication())
	s := emv.Start(context.Background(), card, testConfig(t, card), &emv.Transaction{Amount: 100}, nil)
	defer s.Close()
	req, done := s.Next()
	require.Nil(t, done)
	require.IsType(t, &emv.ChooseApplication{}, req)
	req, done = s.Next()
	require.Nil(t, req)
	require.ErrorIs(t, done.Err, emv.ErrCancelled)
	assert.Equal(t, emv.Terminated, done.Result.Outcome)
	assert.Equal(t, 5, card.Commands(), "nothing after the directory")
}

// Close ends a Session waiting for an answer; Next then reports the end.
func TestSessionClose(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	s := emv.Start(context.Background(), card, testConfig(t, card), &emv.Transaction{Amount: 100}, nil)
	req, done := s.Next()
	require.Nil(t, done)
	require.IsType(t, &emv.EnterPIN{}, req)
	s.Close()
	s.Close()
	req, done = s.Next()
	assert.Nil(t, req)
	require.Error(t, done.Err)
	var te *emv.TerminatedError
	require.ErrorAs(t, done.Err, &te)
	assert.Equal(t, emv.StepCardholderVerification, te.Step)
}

// A bypassed PIN in a Session is the same as from a PIN pad.
func TestSessionPINBypass(t *testing.T) {
	card := emvtest.NewCard(visaSDA())
	s := emv.Start(context.Background(), card, testConfig(t, card), &emv.Transaction{Amount: 100}, nil)
	defer s.Close()
	for {
		req, done := s.Next()
		if done != nil {
			require.NoError(t, done.Err)
			assert.Equal(t, "0200080000", hexOf(done.Result.TVR[:]))
			assert.Equal(t, "1E0300", hexOf(done.Result.CVMResults[:]))
			return
		}
		switch r := req.(type) {
		case *emv.EnterPIN:
			r.Fail(cvm.ErrPINBypassed)
		case *emv.GoOnline:
			r.Answer(nil, emv.ErrUnableToGoOnline)
		default:
			t.Fatalf("unexpected %T", req)
		}
	}
}

// An invalid Config ends the Session at once.
func TestSessionInvalidConfig(t *testing.T) {
	s := emv.Start(context.Background(), emvtest.NewCard(visaCDA()), &emv.Config{}, nil, nil)
	req, done := s.Next()
	assert.Nil(t, req)
	assert.ErrorIs(t, done.Err, emv.ErrConfig)
	s.Close()
}
