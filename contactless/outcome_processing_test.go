package contactless_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKernelActivation checks Book B §3.4: the kernel of the selected
// combination is activated with what §3.4.1.1 lists.
func TestKernelActivation(t *testing.T) {
	t.Run("BookB_3_4_1_1_KernelOfTheSelectedCombinationActivated", func(t *testing.T) {
		k2, k3 := &stubKernel{}, &stubKernel{}
		card := cardWith(entry(mcAID).withPrio(1), entry(visaAID).withPrio(2))
		cfg := testConfig(visa(), mastercard())
		res := run(t, cfg, map[contactless.KernelID]contactless.Kernel{2: k2, 3: k3}, contactless.OneCard(card), purchase)
		require.Len(t, k2.seen, 1)
		assert.Empty(t, k3.seen)
		assert.Equal(t, activation{Start: contactless.StartA, AID: mcAID, Kernel: 2, FCI: k2.seen[0].FCI,
			Indicators: contactless.Indicators{}, TerminalData: k2.seen[0].TerminalData}, k2.seen[0])
		assert.Equal(t, mcAID, fmt.Sprintf("%X", res.Combination.AID))
		assert.Same(t, &cfg.Combinations[1], res.Combination.Config)
	})
	t.Run("BookB_3_4_1_1_TerminalData_ExactObjects", func(t *testing.T) {
		k := &stubKernel{}
		run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		require.Len(t, k.seen, 1)
		assert.Equal(t, strings.Join([]string{
			"9F1A020840", "5F2A020840", "5F360102", "9F350122", "9F3303E0F8C8", "9F4005F000F0A001",
			"9F15025999", "9F1C085445524D30303031",
			"9F0206000000001000", "9F0306000000000000", "9C0100", "9A03260314", "9F2103150926",
			"9F66043600C000",
		}, ""), fmt.Sprintf("%X", k.seen[0].TerminalData))
	})
	t.Run("BookB_3_4_1_1_TerminalData_CombinationDataAndKernelData", func(t *testing.T) {
		c := mastercard()
		c.ApplicationVersion = unhex("0002")
		c.TerminalFloorLimit = u64(2000)
		c.KernelData = unhex("DF811B0120 DF81180160")
		cfg := testConfig(c)
		cfg.TerminalType = 0x21
		cfg.AcquirerID = "123456"
		cfg.MerchantID = "M1"
		cfg.IFDSerial = "IFD1"
		cfg.MerchantNameLocation = "SHOP"
		k := &stubKernel{}
		run(t, cfg, kernels(k, 2), contactless.OneCard(cardWith(entry(mcAID))), contactless.Transaction{Type: 0x09, Amount: 1500, OtherAmount: 500, Time: time.Date(2025, 12, 31, 23, 59, 58, 0, time.UTC)})
		require.Len(t, k.seen, 1)
		assert.Equal(t, strings.Join([]string{
			"9F1A020840", "5F2A020840", "5F360102", "9F350121", "9F3303E0F8C8", "9F4005F000F0A001",
			"9F15025999", "9F16024D31", "9F1C085445524D30303031", "9F1E0449464431", "9F0106000000123456",
			"9F4E0453484F50", "9F09020002", "9F1B04000007D0",
			"DF811B0120", "DF81180160",
			"9F0206000000001500", "9F0306000000000500", "9C0109", "9A03251231", "9F2103235958",
		}, ""), fmt.Sprintf("%X", k.seen[0].TerminalData), "no 9F66: Kernel 2 has no TTQ")
	})
	t.Run("BookB_3_4_1_1_KernelUIRequestsRecordedInOrder", func(t *testing.T) {
		processing := ui(contactless.MsgProcessing, contactless.UIProcessing)
		readOK := ui(contactless.MsgCardReadOK, contactless.UICardReadSuccessfully)
		approved := ui(contactless.MsgApproved, contactless.UICardReadSuccessfully)
		k := &stubKernel{
			step: func(_ context.Context, a *contactless.Activation) error {
				a.UI(processing)
				a.UI(readOK)
				return nil
			},
			outcomes: []*contactless.Outcome{withUI(outcome(contactless.StatusApproved), &approved, nil)},
		}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		assert.Equal(t, []contactless.UIRequest{presentCard, processing, readOK, approved}, res.UI)
	})
	t.Run("BookB_3_4_KernelCommandsInTheTrace", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.other = unhex("770A820200009F360200019000")
		k := &stubKernel{step: func(ctx context.Context, a *contactless.Activation) error {
			_, err := apdu.Exchange(ctx, a.Card, apdu.GetProcessingOptions(unhex("3600C000")))
			return err
		}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
		assert.Equal(t, []string{selectPPSE, selectAID(visaAID), "80A80000068304" + "3600C000" + "00"}, commands(res))
		assert.Equal(t, "770A820200009F360200019000", fmt.Sprintf("%X", res.Trace[2].Response))
	})
	t.Run("BookB_3_4_TraceMasksThePAN", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.other = unhex("700A5A0847617390010101199000")
		k := &stubKernel{step: func(ctx context.Context, a *contactless.Activation) error {
			_, err := apdu.Exchange(ctx, a.Card, apdu.ReadRecord(1, 1))
			return err
		}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
		s := res.Trace.String()
		assert.Contains(t, s, "476173******0119")
		assert.NotContains(t, s, "4761739001010119")
		assert.Len(t, strings.Split(strings.TrimSpace(s), "\n"), 3)
	})
	t.Run("BookB_3_4_KernelCommandsBounded", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		card.other = []byte{0x90, 0x00}
		var last error
		k := &stubKernel{step: func(ctx context.Context, a *contactless.Activation) error {
			for range contactless.MaxExchanges + 10 {
				if _, last = a.Card.Transmit(ctx, []byte{0x80, 0xCA, 0x9F, 0x36, 0x00}); last != nil {
					return nil
				}
			}
			return nil
		}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
		require.ErrorIs(t, last, contactless.ErrTooManyCommands)
		assert.Len(t, res.Trace, contactless.MaxExchanges)
	})
}

// TestOutcomeProcessing checks Book B §3.5: each outcome, the restarts,
// the UI requests on outcome and on restart, field off and removal.
func TestOutcomeProcessing(t *testing.T) {
	for _, s := range []struct {
		name   string
		status contactless.OutcomeStatus
	}{
		{"BookB_3_5_1_1_Approved_FinalWithUIRequestOnOutcome", contactless.StatusApproved},
		{"BookB_3_5_1_1_Declined_FinalWithUIRequestOnOutcome", contactless.StatusDeclined},
		{"BookB_3_5_1_1_OnlineRequest_FinalWithUIRequestOnOutcome", contactless.StatusOnlineRequest},
		{"BookB_3_5_1_1_EndApplication_FinalWithUIRequestOnOutcome", contactless.StatusEndApplication},
		{"BookB_3_5_1_1_TryAnotherInterface_FinalWithUIRequestOnOutcome", contactless.StatusTryAnotherInterface},
	} {
		t.Run(s.name, func(t *testing.T) {
			msg := ui(contactless.MsgAuthorisingPleaseWait, contactless.UIProcessing)
			msg.HoldTime = 13
			o := withUI(outcome(s.status), &msg, nil)
			o.Parameters.CVM = contactless.CVMOnlinePIN
			o.DataRecord = unhex("9F2608 0102030405060708")
			k := &stubKernel{outcomes: []*contactless.Outcome{o}}
			card := cardWith(entry(visaAID))
			res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
			assert.Same(t, o, res.Outcome, "the kernel's outcome is the reader's")
			assert.Equal(t, []contactless.UIRequest{presentCard, msg}, res.UI)
			assert.Empty(t, res.Restarts)
			assert.Equal(t, []string{selectPPSE, selectAID(visaAID)}, commands(res))
		})
	}
	t.Run("BookB_3_5_1_2_SelectNext_NextCandidateAtStartC", func(t *testing.T) {
		k3 := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusSelectNext)}}
		k2 := &stubKernel{}
		card := cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))
		res := run(t, testConfig(visa(), mastercard()), map[contactless.KernelID]contactless.Kernel{2: k2, 3: k3}, contactless.OneCard(card), purchase)
		assert.Equal(t, []string{selectPPSE, selectAID(visaAID), selectAID(mcAID)}, commands(res), "no second SELECT PPSE")
		require.Len(t, k2.seen, 1)
		assert.Equal(t, contactless.StartC, k2.seen[0].Start)
		assert.Equal(t, []contactless.Restart{{Start: contactless.StartC, Cause: contactless.CauseSelectNext}}, res.Restarts)
		assert.Equal(t, contactless.Kernel2, res.Combination.Kernel)
		assert.Equal(t, []contactless.UIRequest{presentCard}, res.UI, "Start C shows nothing")
		assert.Equal(t, []string{visaAID + "/3", mcAID + "/2"}, aids(res.Candidates))
	})
	t.Run("BookB_3_5_1_2_SelectNextOnTheLastCandidate_EndApplication", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusSelectNext)}}
		card := cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))
		res := run(t, testConfig(visa(), mastercard()), kernels(k, 2, 3), contactless.OneCard(card), purchase)
		assert.Len(t, k.seen, 2)
		assert.Equal(t, endApplicationEmpty(), res.Outcome.Parameters)
		assert.Nil(t, res.Combination)
		assert.Equal(t, []contactless.UIRequest{presentCard, insertSwipeOther}, res.UI)
		assert.Len(t, res.Restarts, 2)
	})
	t.Run("BookB_3_5_1_3_TryAgain_StartBSelectsThePPSEAgain", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusTryAgain), outcome(contactless.StatusApproved)}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		assert.Equal(t, []string{selectPPSE, selectAID(visaAID), selectPPSE, selectAID(visaAID)}, commands(res))
		require.Len(t, k.seen, 2)
		assert.Equal(t, contactless.StartA, k.seen[0].Start)
		assert.Equal(t, contactless.StartB, k.seen[1].Start)
		assert.Equal(t, []contactless.Restart{{Start: contactless.StartB, Cause: contactless.CauseTryAgain}}, res.Restarts)
		assert.Equal(t, k.seen[0].Indicators, k.seen[1].Indicators, "pre-processing is not repeated")
	})
	t.Run("BookB_3_5_1_3_TryAgainForever_RestartsBounded", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusTryAgain)}}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3)}
		txn := purchase
		res, err := ep.Run(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), &txn)
		require.ErrorIs(t, err, contactless.ErrTooManyRestarts)
		assert.Len(t, k.seen, contactless.MaxRestarts+1)
		assert.Len(t, res.Restarts, contactless.MaxRestarts)
		assert.Equal(t, contactless.StatusEndApplication, res.Outcome.Parameters.Status)
	})
	t.Run("BookB_3_5_1_5_FieldOffRequest_FieldOffBeforeTheRestart", func(t *testing.T) {
		o := outcome(contactless.StatusTryAgain)
		o.Parameters.FieldOffRequest = 5
		k := &stubKernel{outcomes: []*contactless.Outcome{o, outcome(contactless.StatusApproved)}}
		f := &testField{card: cardWith(entry(visaAID))}
		run(t, testConfig(visa()), kernels(k, 3), f, purchase)
		assert.Equal(t, []time.Duration{500 * time.Millisecond}, f.offs)
		assert.Equal(t, 2, f.polls)
	})
	t.Run("BookB_3_5_1_5_NoFieldOffRequest_FieldStaysOn", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusTryAgain), outcome(contactless.StatusApproved)}}
		f := &testField{card: cardWith(entry(visaAID))}
		run(t, testConfig(visa()), kernels(k, 3), f, purchase)
		assert.Empty(t, f.offs)
		assert.Empty(t, f.removals)
	})
	t.Run("BookA_6_2_RemovalTimeout_WaitsForRemoval", func(t *testing.T) {
		o := outcome(contactless.StatusApproved)
		o.Parameters.RemovalTimeout = 30
		k := &stubKernel{outcomes: []*contactless.Outcome{o}}
		f := &testField{card: cardWith(entry(visaAID))}
		run(t, testConfig(visa()), kernels(k, 3), f, purchase)
		assert.Equal(t, []time.Duration{3 * time.Second}, f.removals)
	})
	t.Run("BookB_3_5_UnknownOutcomeStatus_EndApplication", func(t *testing.T) {
		msg := ui(contactless.MsgProcessingError, contactless.UIProcessingError)
		o := withUI(outcome(contactless.OutcomeStatus(0x0A)), &msg, nil)
		o.DataRecord = []byte{0x9F, 0x27, 0x01, 0x00}
		k := &stubKernel{outcomes: []*contactless.Outcome{o}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		want := withUI(outcome(contactless.StatusEndApplication), &msg, nil)
		want.DataRecord = o.DataRecord
		assert.Equal(t, want, res.Outcome)
		assert.Equal(t, contactless.OutcomeStatus(0x0A), o.Parameters.Status, "the kernel's outcome is not changed")
		assert.Equal(t, []contactless.UIRequest{presentCard, msg}, res.UI)
	})
	t.Run("BookB_3_5_OutcomeStatusNA_EndApplication", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusNA)}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		assert.Equal(t, contactless.NewParameterSet(contactless.StatusEndApplication), res.Outcome.Parameters)
	})
	t.Run("BookB_3_5_KernelReturnsNoOutcome_EndApplication", func(t *testing.T) {
		k := contactless.KernelFunc(func(context.Context, *contactless.Activation) (*contactless.Outcome, error) { return nil, nil })
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		assert.Equal(t, contactless.NewParameterSet(contactless.StatusEndApplication), res.Outcome.Parameters)
		assert.Equal(t, contactless.Kernel3, res.Combination.Kernel)
	})
	t.Run("BookB_3_5_1_3_KernelLostTheCard_TryAgainPresentCardAgain", func(t *testing.T) {
		card := cardWith(entry(visaAID))
		k := &stubKernel{errs: []error{fmt.Errorf("kernel3: GPO: %w", apdu.ErrCardRemoved)}}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(card), purchase)
		require.Len(t, res.Restarts, 1)
		assert.Equal(t, contactless.StartB, res.Restarts[0].Start)
		assert.Equal(t, contactless.CauseKernelError, res.Restarts[0].Cause)
		assert.ErrorIs(t, res.Restarts[0].Err, apdu.ErrCardRemoved)
		assert.Equal(t, []contactless.UIRequest{presentCard, presentAgain}, res.UI)
		assert.Equal(t, []string{selectPPSE, selectAID(visaAID), selectPPSE, selectAID(visaAID)}, commands(res))
		require.Len(t, k.seen, 2)
		assert.Equal(t, contactless.StartB, k.seen[1].Start)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	})
	t.Run("BookB_3_5_KernelContextEnded_Error", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		k := contactless.KernelFunc(func(ctx context.Context, _ *contactless.Activation) (*contactless.Outcome, error) {
			cancel()
			return nil, ctx.Err()
		})
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3)}
		txn := purchase
		res, err := ep.Run(ctx, contactless.OneCard(cardWith(entry(visaAID))), &txn)
		require.ErrorIs(t, err, context.Canceled)
		assert.EqualError(t, err, "contactless: Kernel 3 (Visa): context canceled")
		assert.Nil(t, res.Outcome)
	})
}

// onlineRequestStartB is an Online Request that asks for a second tap
// after the online response.
func onlineRequestStartB() *contactless.Outcome {
	again := ui(contactless.MsgPresentCardAgain, contactless.UIReadyToRead)
	o := withUI(outcome(contactless.StatusOnlineRequest), nil, &again)
	o.Parameters.Start = contactless.StartB
	o.Parameters.OnlineResponseData = contactless.OnlineResponseEMVData
	return o
}

// TestRestart checks restarts after an online response (Book A §5.4, Book
// B §3.5.1.4).
func TestRestart(t *testing.T) {
	response := unhex("8A023030 9108 0102030405060708")
	t.Run("BookA_5_4_OnlineResponseOverTheBound_RefusedBeforeAnyCommand", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{onlineRequestStartB(), outcome(contactless.StatusApproved)}}
		ep := &contactless.EntryPoint{Config: testConfig(visa(), mastercard()), Kernels: kernels(k, 2, 3)}
		card := cardWith(entry(visaAID).withPrio(2), entry(mcAID).withPrio(1))
		txn := purchase
		first, err := ep.Run(context.Background(), contactless.OneCard(card), &txn)
		require.NoError(t, err)
		_, err = ep.Restart(context.Background(), contactless.OneCard(card), first, make([]byte, contactless.MaxOnlineResponse+1))
		require.ErrorIs(t, err, contactless.ErrOnlineResponseTooLong)
		assert.Len(t, k.seen, 1, "the kernel is not activated again")
		_, err = ep.Restart(context.Background(), contactless.OneCard(card), first, make([]byte, contactless.MaxOnlineResponse))
		require.NoError(t, err, "a response at the bound is taken")
	})
	t.Run("BookA_5_4_OnlineRequestStartB_SecondTapWithTheResponse", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{onlineRequestStartB(), outcome(contactless.StatusApproved)}}
		ep := &contactless.EntryPoint{Config: testConfig(visa(), mastercard()), Kernels: kernels(k, 2, 3)}
		card := cardWith(entry(visaAID).withPrio(2), entry(mcAID).withPrio(1))
		txn := purchase
		first, err := ep.Run(context.Background(), contactless.OneCard(card), &txn)
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusOnlineRequest, first.Outcome.Parameters.Status)
		assert.Equal(t, contactless.Kernel2, first.Combination.Kernel)

		second, err := ep.Restart(context.Background(), contactless.OneCard(card), first, response)
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusApproved, second.Outcome.Parameters.Status)
		assert.Equal(t, []string{selectPPSE, selectAID(mcAID)}, commands(second))
		assert.Equal(t, []contactless.UIRequest{presentAgain}, second.UI, "the UI Request on Restart, not Present Card")
		assert.Equal(t, []contactless.Restart{{Start: contactless.StartB, Cause: contactless.CauseOnlineResponse}}, second.Restarts)
		require.Len(t, k.seen, 2)
		assert.Equal(t, contactless.StartB, k.seen[1].Start)
		assert.Equal(t, response, k.seen[1].OnlineResponse)
		assert.Equal(t, first.Transaction, second.Transaction)
		assert.Equal(t, first.Preprocessing, second.Preprocessing)
	})
	t.Run("BookA_5_4_RestartThenTryAgain_ResponseGivenAgain", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{onlineRequestStartB(), outcome(contactless.StatusTryAgain), outcome(contactless.StatusApproved)}}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3)}
		card := cardWith(entry(visaAID))
		txn := purchase
		first, err := ep.Run(context.Background(), contactless.OneCard(card), &txn)
		require.NoError(t, err)
		second, err := ep.Restart(context.Background(), contactless.OneCard(card), first, response)
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusApproved, second.Outcome.Parameters.Status)
		require.Len(t, k.seen, 3)
		assert.Equal(t, response, k.seen[1].OnlineResponse)
		assert.Equal(t, response, k.seen[2].OnlineResponse, "the kernel that lost the card mid issuer update needs the response again")
		assert.Equal(t, []contactless.Restart{{Start: contactless.StartB, Cause: contactless.CauseOnlineResponse}, {Start: contactless.StartB, Cause: contactless.CauseTryAgain}}, second.Restarts)
	})
	t.Run("BookA_5_4_RestartStartB_OnlyThePreviousCombination", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{onlineRequestStartB(), outcome(contactless.StatusApproved)}}
		ep := &contactless.EntryPoint{Config: testConfig(visa(), mastercard()), Kernels: kernels(k, 2, 3)}
		first, err := ep.Run(context.Background(), contactless.OneCard(cardWith(entry(mcAID).withPrio(1))), &contactless.Transaction{Amount: 100})
		require.NoError(t, err)
		// The second tap's card puts Visa first: the response still goes
		// to the Mastercard application.
		second, err := ep.Restart(context.Background(), contactless.OneCard(cardWith(entry(visaAID).withPrio(1), entry(mcAID).withPrio(2))), first, response)
		require.NoError(t, err)
		assert.Equal(t, []string{mcAID + "/2"}, aids(second.Candidates))
		assert.Equal(t, []string{selectPPSE, selectAID(mcAID)}, commands(second))
	})
	t.Run("BookA_5_4_RestartStartB_CombinationGone_EndApplication", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{onlineRequestStartB()}}
		ep := &contactless.EntryPoint{Config: testConfig(visa(), mastercard()), Kernels: kernels(k, 2, 3)}
		first, err := ep.Run(context.Background(), contactless.OneCard(cardWith(entry(mcAID))), &contactless.Transaction{Amount: 100})
		require.NoError(t, err)
		second, err := ep.Restart(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), first, response)
		require.NoError(t, err)
		assert.Equal(t, endApplicationEmpty(), second.Outcome.Parameters)
		assert.Len(t, k.seen, 1)
	})
	t.Run("BookA_5_4_RestartStartD_SameCardNoSelection", func(t *testing.T) {
		o := outcome(contactless.StatusOnlineRequest)
		o.Parameters.Start = contactless.StartD
		card := cardWith(entry(visaAID))
		card.other = []byte{0x90, 0x00}
		k := &stubKernel{outcomes: []*contactless.Outcome{o, outcome(contactless.StatusApproved)}}
		k.step = func(ctx context.Context, a *contactless.Activation) error {
			if a.Start == contactless.StartD {
				_, err := apdu.Exchange(ctx, a.Card, apdu.ExternalAuthenticate(unhex("0102030405060708")))
				return err
			}
			return nil
		}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3)}
		txn := purchase
		first, err := ep.Run(context.Background(), contactless.OneCard(card), &txn)
		require.NoError(t, err)
		second, err := ep.Restart(context.Background(), nil, first, response)
		require.NoError(t, err)
		assert.Equal(t, []string{"00820000080102030405060708"}, commands(second))
		require.Len(t, k.seen, 2)
		assert.Equal(t, contactless.StartD, k.seen[1].Start)
		assert.Equal(t, k.seen[0].FCI, k.seen[1].FCI)
		assert.Equal(t, k.seen[0].AID, k.seen[1].AID)
		assert.Empty(t, second.UI)
	})
	t.Run("BookA_5_4_RestartStartDWithoutField_RemovalAndTryAgain", func(t *testing.T) {
		o := outcome(contactless.StatusOnlineRequest)
		o.Parameters.Start = contactless.StartD
		retry := outcome(contactless.StatusTryAgain)
		retry.Parameters.RemovalTimeout = 10
		retry.Parameters.FieldOffRequest = 2
		k := &stubKernel{outcomes: []*contactless.Outcome{o, retry}}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3)}
		txn := purchase
		first, err := ep.Run(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), &txn)
		require.NoError(t, err)
		second, err := ep.Restart(context.Background(), nil, first, response)
		require.EqualError(t, err, "contactless: protocol activation: a restart at Start D has no field to poll")
		assert.Len(t, second.Restarts, 2)
	})
	t.Run("BookA_5_4_OutcomeWithoutStart_NoRestart", func(t *testing.T) {
		k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusOnlineRequest)}}
		ep := &contactless.EntryPoint{Config: testConfig(visa()), Kernels: kernels(k, 3)}
		txn := purchase
		first, err := ep.Run(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), &txn)
		require.NoError(t, err)
		_, err = ep.Restart(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), first, response)
		require.ErrorIs(t, err, contactless.ErrNoRestart)
		_, err = ep.Restart(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), nil, response)
		require.ErrorIs(t, err, contactless.ErrNoRestart)
	})
}

// TestGeneral checks the Entry Point's general behaviour (Book A §5, Book
// B §2): configuration, the transaction's clock, concurrency.
func TestGeneral(t *testing.T) {
	t.Run("BookA_5_1_NoConfiguration_Error", func(t *testing.T) {
		ep := &contactless.EntryPoint{}
		_, err := ep.Run(context.Background(), contactless.OneCard(&testCard{}), &contactless.Transaction{})
		require.EqualError(t, err, "contactless: EntryPoint has no Config")
	})
	t.Run("BookA_5_1_NoCombination_ConfigError", func(t *testing.T) {
		ep := &contactless.EntryPoint{Config: testConfig()}
		_, err := ep.Run(context.Background(), contactless.OneCard(&testCard{}), &contactless.Transaction{})
		var ce *contactless.ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "contactless.combinations", ce.Field)
	})
	t.Run("BookA_5_1_NoFieldOrTransaction_Error", func(t *testing.T) {
		ep := &contactless.EntryPoint{Config: testConfig(visa())}
		_, err := ep.Run(context.Background(), nil, &contactless.Transaction{})
		require.Error(t, err)
		_, err = ep.Run(context.Background(), contactless.OneCard(&testCard{}), nil)
		require.Error(t, err)
	})
	t.Run("BookB_3_1_TransactionTimeFromTheClock", func(t *testing.T) {
		k := &stubKernel{}
		res := run(t, testConfig(visa()), kernels(k, 3), contactless.OneCard(cardWith(entry(visaAID))), purchase)
		assert.Equal(t, testTime, res.Transaction.Time)
		assert.Contains(t, fmt.Sprintf("%X", k.seen[0].TerminalData), "9A032603149F2103150926")
	})
	t.Run("BookA_3_UnregisteredKernels_NoCandidates", func(t *testing.T) {
		res := run(t, testConfig(visa()), nil, contactless.OneCard(cardWith(entry(visaAID))), purchase)
		assert.Equal(t, endApplicationEmpty(), res.Outcome.Parameters)
	})
	t.Run("BookA_3_ConcurrentTransactions_OneEntryPoint", func(t *testing.T) {
		ep := &contactless.EntryPoint{Config: testConfig(visa(), mastercard()), Kernels: kernels(&stubKernel{}, 2, 3)}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				txn := contactless.Transaction{Amount: uint64(100 * (i + 1))}
				res, err := ep.Run(context.Background(), contactless.OneCard(cardWith(entry(visaAID))), &txn)
				if err == nil && res.Outcome.Parameters.Status != contactless.StatusApproved {
					err = errors.New(res.Outcome.String())
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
	})
}
