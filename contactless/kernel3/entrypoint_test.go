package kernel3

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

// reader is an Entry Point with Kernel 3 only, configured for the Visa RID
// (TTQ 3600C000; CVM required above 25.00, floor limit 100.00, transaction
// limit 1000.00) and, so that the multi-application card has them, the
// Mastercard and UnionPay AIDs with kernels 2 and 7, which it does not
// have.
func reader(card *emvtest.Card) *contactless.EntryPoint {
	cfg := &contactless.Config{
		Country: 840, Currency: 840, CurrencyExponent: 2,
		Combinations: []contactless.CombinationConfig{
			{AID: h("A000000003"), Kernel: contactless.Kernel3, TTQ: h(ttqBase),
				ReaderCVMRequiredLimit: u64(2500), ReaderContactlessFloorLimit: u64(10000), ReaderContactlessTransactionLimit: u64(100000)},
			{AID: h("A0000000041010"), Kernel: contactless.Kernel2},
			{AID: h("A000000333010101"), Kernel: contactless.Kernel7},
		},
		CAKeys: card.KeyStore(),
		Time:   func() time.Time { return testTime },
		Rand:   bytes.NewReader(bytes.Repeat(h(testUN), 16)),
	}
	return &contactless.EntryPoint{Config: cfg, Kernels: map[contactless.KernelID]contactless.Kernel{contactless.Kernel3: New(Config{})}}
}

// collisionField is the reader's field with the virtual card in it: a
// second card (emvtest's Collision knob) makes the first poll find two.
type collisionField struct {
	card  *emvtest.Card
	polls int
}

func (f *collisionField) Poll(ctx context.Context) (apdu.Transceiver, error) {
	f.polls++
	if f.card.Collision() {
		f.card.SetCollision(false) // the cardholder takes the second card away
		return nil, contactless.ErrCollision
	}
	return f.card, ctx.Err()
}
func (f *collisionField) Off(ctx context.Context, _ time.Duration) error         { return ctx.Err() }
func (f *collisionField) WaitRemoval(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// Kernel 3 behind the Entry Point of Book B: pre-processing sets the TTQ
// bits, the PPSE and final SELECT pick the combination, the kernel runs.
func TestThroughEntryPoint(t *testing.T) {
	ctx := context.Background()
	t.Run("C3_BookB_OfflineApprovalWithFDDA", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 1000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMNoCVM, res.Outcome.Parameters.CVM)
		assert.Equal(t, "0000000000", tag(t, res.Outcome.DataRecord, 0x95))
		assert.Contains(t, messages(res.UI), contactless.MsgCardReadOK)
		assert.Equal(t, contactless.MsgApproved, res.UI[len(res.UI)-1].Message)
		assert.Equal(t, uint64(49000), res.UI[len(res.UI)-1].Value)
	})
	t.Run("C3_BookB_CVMRequiredLimitExceeded_Signature", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 3000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMObtainSignature, res.Outcome.Parameters.CVM)
		assert.Equal(t, "3640C000", tag(t, res.Outcome.DataRecord, 0x9F66), "pre-processing set TTQ byte 2 bit 7")
	})
	t.Run("C3_BookB_FloorLimitExceeded_OnlineRequest", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 20000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)
		assert.Equal(t, "36C0C000", tag(t, res.Outcome.DataRecord, 0x9F66))
		assert.Equal(t, "80", tag(t, res.Outcome.DataRecord, 0x9F27))
	})
	t.Run("C3_BookB_MultiApplication_OnlyKernel3Selected", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.ContactlessMulti())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 1000})
		require.NoError(t, err)
		require.NotNil(t, res.Combination)
		assert.Equal(t, visaAID, hexs(res.Combination.AID), "the Mastercard of priority 1 has no kernel here")
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	})
	t.Run("C3_5_2_2_SeePhone_TryAgain_SecondTapWithCDCVM", func(t *testing.T) {
		p := emvtest.VisaQVSDCPhone()
		p.Applications[0].QVSDC.SeePhone = 1
		card := emvtest.NewCard(p)
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 3000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMConfirmationCodeVerified, res.Outcome.Parameters.CVM)
		require.Len(t, res.Restarts, 1)
		assert.Equal(t, contactless.StartB, res.Restarts[0].Start)
		assert.Contains(t, messages(res.UI), contactless.MsgSeePhone)
	})
	t.Run("C3_5_9_IssuerUpdate_RestartAtStartB", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaQVSDCIssuerUpdate())
		ep := reader(card)
		res, err := ep.Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 1000})
		require.NoError(t, err)
		require.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)
		require.Equal(t, contactless.StartB, res.Outcome.Parameters.Start)
		resp, err := emvtest.IssuerFor(card).Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: res.Outcome.DataRecord})
		require.NoError(t, err)
		require.True(t, resp.ARQCValid)
		card.Reset()
		res2, err := ep.Restart(ctx, contactless.OneCard(card), res, resp.ICCData)
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusApproved, res2.Outcome.Parameters.Status)
		assert.Equal(t, "0000000000", tag(t, res2.Outcome.DataRecord, 0x95))
		var ext int
		for _, e := range res2.Trace {
			if e.Command[1] == apdu.InsExternalAuthenticate {
				ext++
			}
		}
		assert.Equal(t, 1, ext)
	})
	t.Run("C3_BookB_Collision_PresentOneCardOnly", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.ContactlessCollision())
		f := &collisionField{card: card}
		res, err := reader(card).Run(ctx, f, &contactless.Transaction{Amount: 1000})
		require.NoError(t, err)
		assert.Equal(t, 2, f.polls)
		assert.Contains(t, messages(res.UI), contactless.MsgPresentOneCardOnly)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	})
}
