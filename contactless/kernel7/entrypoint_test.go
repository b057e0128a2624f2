package kernel7

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/kerneltest"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	u64      = kerneltest.U64
	messages = kerneltest.Messages
)

// reader is an Entry Point at a Chinese counter with Kernel 7 only,
// configured for the UnionPay RID (TTQ 36004080; CVM required above 300.00
// CNY, floor limit 500.00, transaction limit 1000.00).
func reader(card *emvtest.Card) *contactless.EntryPoint {
	cfg := &contactless.Config{
		Country: 156, Currency: 156, CurrencyExponent: 2,
		Combinations: []contactless.CombinationConfig{
			{AID: h("A000000333"), Kernel: contactless.Kernel7, TTQ: h(ttqBase),
				ReaderCVMRequiredLimit: u64(30000), ReaderContactlessFloorLimit: u64(50000), ReaderContactlessTransactionLimit: u64(100000)},
		},
		CAKeys: card.KeyStore(),
		Time:   func() time.Time { return testTime },
		Rand:   bytes.NewReader(bytes.Repeat(h(testUN), 16)),
	}
	return &contactless.EntryPoint{Config: cfg, Kernels: map[contactless.KernelID]contactless.Kernel{ID: New(Config{})}}
}

// Kernel 7 behind the Entry Point of Book B: pre-processing sets the TTQ
// bits from the CNY limits, the PPSE (Kernel Identifier 07) and the final
// SELECT pick the combination, the kernel runs.
func TestThroughEntryPoint(t *testing.T) {
	ctx := context.Background()
	t.Run("C7_BookB_DebitOfflineApprovalWithFDDA_BalanceShown", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 10000})
		require.NoError(t, err)
		require.NotNil(t, res.Combination)
		assert.Equal(t, debitAID, hexs(res.Combination.AID))
		assert.Equal(t, contactless.Kernel7, res.Combination.Kernel)
		assert.Equal(t, "Approved, CVM No CVM, UI on outcome [Approved, Card Read Successfully, hold 1300 ms, language zhen, Balance 40000 (156)], Data Record, Discretionary Data",
			res.Outcome.Parameters.String())
		assert.Equal(t, "0000000000", tag(t, res.Outcome.DataRecord, 0x95))
		assert.Equal(t, "36004080", tag(t, res.Outcome.DataRecord, 0x9F66))
		assert.Equal(t, "0156", tag(t, res.Outcome.DataRecord, 0x5F2A))
		assert.Contains(t, messages(res.UI), contactless.MsgCardReadOK)
	})
	t.Run("C7_BookB_CVMRequiredLimitExceeded_DebitOnlinePIN", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 40000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMOnlinePIN, res.Outcome.Parameters.CVM)
		assert.Equal(t, "36404080", tag(t, res.Outcome.DataRecord, 0x9F66), "pre-processing set TTQ byte 2 bit 7")
		assert.Equal(t, "8000", tag(t, res.Outcome.DataRecord, 0x9F6C))
	})
	t.Run("C7_BookB_FloorLimitExceeded_CreditOnlineWithSignature", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.UnionPayQuickPassCredit())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 60000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMObtainSignature, res.Outcome.Parameters.CVM)
		assert.True(t, res.Outcome.Parameters.Receipt)
		assert.Equal(t, "36C04080", tag(t, res.Outcome.DataRecord, 0x9F66))
		assert.Equal(t, "80", tag(t, res.Outcome.DataRecord, 0x9F27))
		resp, err := emvtest.IssuerFor(card).Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: res.Outcome.DataRecord})
		require.NoError(t, err)
		assert.True(t, resp.ARQCValid)
	})
	t.Run("C7_BookB_TransactionLimitExceeded_TryAnotherInterface", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 150000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusTryAnotherInterface, res.Outcome.Parameters.Status)
		assert.Nil(t, res.Combination, "no kernel ran")
	})
	t.Run("C7_GPO6986_SeePhone_TryAgain_SecondTapOnlineWithCDCVM", func(t *testing.T) {
		p := emvtest.UnionPayQuickPassPhone()
		p.Applications[0].QVSDC.SeePhone = 1
		card := emvtest.NewCard(p)
		// 400.00: above the CVM limit and the phone's 200.00 balance.
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 40000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMConfirmationCodeVerified, res.Outcome.Parameters.CVM)
		require.Len(t, res.Restarts, 1)
		assert.Equal(t, contactless.StartB, res.Restarts[0].Start)
		assert.Contains(t, messages(res.UI), contactless.MsgSeePhone)
	})
	t.Run("C7_GPO6985_SelectNext_NoOtherCombination", func(t *testing.T) {
		p := emvtest.UnionPayQuickPassDebit()
		p.Applications[0].QVSDC.RefuseSW = 0x6985
		card := emvtest.NewCard(p)
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 1000})
		require.NoError(t, err)
		// Book B §3.3.3: an empty Candidate List ends the application.
		assert.Equal(t, "End Application, UI on outcome [Insert, Swipe or Try Another Card, Ready to Read]", res.Outcome.Parameters.String())
		var gpos int
		for _, e := range res.Trace {
			if e.Command[1] == apdu.InsGetProcessingOptions {
				gpos++
			}
		}
		assert.Equal(t, 1, gpos, "the only combination was removed; the Entry Point tried no other")
	})
}

// A restart at Start B with an online response: Kernel 7 has no issuer
// update processing, so it runs a new transaction (GET PROCESSING OPTIONS
// first) and sends no EXTERNAL AUTHENTICATE.
func TestStartBWithOnlineResponse_NewTransaction(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayQuickPassQuasiCredit())
	tp := newTap(t, card, tapOpts{amount: 1000})
	tp.act.Start = contactless.StartB
	tp.act.OnlineResponse = h("8A023030" + "9110" + "00112233445566778899AABBCCDDEEFF")
	out := tp.run(t)
	assert.Equal(t, contactless.StatusOnlineRequest, out.Parameters.Status)
	assert.Equal(t, fullRead, tp.headers())
}

// A card that leaves the field mid-transaction, or a context that ends: the
// kernel returns the link error, never an outcome (Book B §3.5: the Entry
// Point decides), and no UI Request was sent.
func TestCardRemoved(t *testing.T) {
	for name, c := range map[string]struct {
		at   int
		want string
	}{
		"C7_CardRemovedDuringGPO":        {2, "kernel7: GET PROCESSING OPTIONS"},
		"C7_CardRemovedDuringReadRecord": {4, "kernel7: READ RECORD"},
	} {
		t.Run(name, func(t *testing.T) {
			card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
			card.RemoveAt(c.at) // counted from the SELECT of newTap
			tp := newTap(t, card, tapOpts{amount: 1000})
			out, err := New(Config{}).Activate(context.Background(), tp.act)
			assert.Nil(t, out)
			require.ErrorIs(t, err, apdu.ErrCardRemoved)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, tp.ui)
		})
	}
	t.Run("C7_ContextCancelled", func(t *testing.T) {
		tp := newTap(t, emvtest.NewCard(emvtest.UnionPayQuickPassDebit()), tapOpts{amount: 1000})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		out, err := New(Config{}).Activate(ctx, tp.act)
		assert.Nil(t, out)
		require.ErrorIs(t, err, context.Canceled)
	})
}
