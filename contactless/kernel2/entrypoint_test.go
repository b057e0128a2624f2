package kernel2

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reader is an Entry Point with Kernel 2 for the Mastercard AID, the
// terminal data of kernelDataHex, and the relay resistance timer the card
// advances.
func reader(card *emvtest.Card) *contactless.EntryPoint {
	ep, _ := readerWith(card, "")
	return ep
}

// readerWith is reader with extra kernel data appended to kernelDataHex;
// it returns the relay resistance clock too.
func readerWith(card *emvtest.Card, extra string) (*contactless.EntryPoint, *clock) {
	clk := &clock{t: testTime}
	card.SetSleep(clk.sleep)
	cfg := &contactless.Config{
		Country: 840, Currency: 840, CurrencyExponent: 2, TerminalType: 0x22,
		Combinations: []contactless.CombinationConfig{
			{AID: h(mcAID), Kernel: contactless.Kernel2, ApplicationVersion: h("0002"), KernelData: h(kernelDataHex + extra)},
		},
		CAKeys: card.KeyStore(),
		Time:   func() time.Time { return testTime },
		Rand:   bytes.NewReader(bytes.Repeat(h(testUN), 16)),
	}
	return &contactless.EntryPoint{Config: cfg, Kernels: map[contactless.KernelID]contactless.Kernel{
		contactless.Kernel2: New(Config{Clock: clk.now, Sleep: clk.sleep}),
	}}, clk
}

// commandHeads is the CLA INS P1 P2 of each command of a trace.
func commandHeads(tr contactless.Trace) []string {
	var out []string
	for _, e := range tr {
		out = append(out, hexs(e.Command[:4]))
	}
	return out
}

// Kernel 2 behind the Entry Point of Book B: the PPSE names kernel 02 for
// A0000000041010, the final SELECT's FCI goes to the kernel, which runs
// EMV mode with relay resistance and CDA.
func TestThroughEntryPoint(t *testing.T) {
	ctx := context.Background()
	t.Run("C2_BookB_OfflineApprovalWithCDAAndRRP", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.MastercardOffline())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 2000})
		require.NoError(t, err)
		require.NotNil(t, res.Combination)
		assert.Equal(t, contactless.Kernel2, res.Combination.Kernel)
		assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
		assert.Equal(t, "0000000002", tag(t, res.Outcome.DataRecord, 0x95))
		assert.Equal(t, "1F0302", tag(t, res.Outcome.DataRecord, 0x9F34))
		var ins []string
		for _, e := range res.Trace {
			ins = append(ins, hexs(e.Command[:2]))
		}
		assert.Equal(t, []string{"00A4", "00A4", "80A8", "80EA", "00B2", "00B2", "00B2", "00B2", "80AE"}, ins)
	})
	t.Run("C2_BookB_OnlinePINAboveCVMLimit", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.MastercardOffline())
		res, err := reader(card).Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 6000})
		require.NoError(t, err)
		assert.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)
		assert.Equal(t, contactless.CVMOnlinePIN, res.Outcome.Parameters.CVM)
	})
}

// The card leaves the field: the kernel returns the link's error, which
// wraps apdu.ErrCardRemoved, and no outcome (Book C-2: an L1 error; the
// Entry Point's outcome processing asks for a new tap).
func TestCardRemoved(t *testing.T) {
	for _, c := range []struct {
		name string
		at   int // the card's command count at which it leaves (SELECT is 1)
	}{
		{"during GET PROCESSING OPTIONS (State 3)", 2},
		{"during EXCHANGE RELAY RESISTANCE DATA (State R1)", 3},
		{"during READ RECORD (State 4)", 5},
		{"during GENERATE AC (State 9): a torn transaction", 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := emvtest.NewCard(emvtest.MastercardOffline())
			tp := newTap(t, card, tapOpts{amount: 2000})
			card.RemoveAt(c.at)
			out, err := tp.kernel().Activate(context.Background(), tp.act)
			assert.Nil(t, out)
			require.Error(t, err)
			assert.True(t, errors.Is(err, apdu.ErrCardRemoved))
			assert.True(t, errors.Is(err, ErrLink))
			assert.Len(t, tp.rec.Entries(), c.at-1)
		})
	}
}

// Config.MaxRecords bounds the records of the AFL: a card asking for more
// is a card data error (State 3), before any record is read.
func TestMaxRecords(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(t, card, tapOpts{amount: 2000})
	out, err := New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, MaxRecords: 3}).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, contactless.StatusEndApplication, out.Parameters.Status)
	assert.Equal(t, endErr(l2CardDataError), tag(t, out.DiscretionaryData, tagErrorIndication))
	assert.Equal(t, []string{cGPO}, tp.headers())
}

// Book C-2 S910 with Book B: a phone asks for confirmation on the phone.
// The first tap's GENERATE AC is an AAC with the POS Cardholder
// Interaction Information 000100: End Application at Start B, See Phone
// (Not Ready, held 1.3 s), the field off for the Hold Time Value; the
// terminal restarts the Entry Point (EntryPoint.Restart) for the second
// tap, which shows See Phone (Ready to Read), selects the same combination
// and is approved with the cardholder verified on the phone.
func TestC2S910SeePhoneThenSecondTap(t *testing.T) {
	ctx := context.Background()
	card := emvtest.NewCard(emvtest.MastercardPhoneConfirm())
	ep := reader(card)
	ins := commandHeads
	oneTap := []string{"00A40400", "00A40400", cGPO, cERRD, "00B2010C", "00B20114", "00B2011C", "00B2021C", "80AE5000"}

	first, err := ep.Run(ctx, contactless.OneCard(card), &contactless.Transaction{Amount: 6000})
	require.NoError(t, err)
	assert.Equal(t, seePhoneB.params(), first.Outcome.Parameters)
	assert.Nil(t, first.Outcome.DataRecord)
	assert.Equal(t, errNone, tag(t, first.Outcome.DiscretionaryData, tagErrorIndication))
	assert.Equal(t, oneTap, ins(first.Trace))
	assert.Equal(t, []contactless.UIRequest{
		{Message: contactless.MsgPresentCard, Status: contactless.UIReadyToRead},
		{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"},
		{Message: contactless.MsgSeePhone, Status: contactless.UINotReady, HoldTime: 13, LanguagePreference: "en"},
	}, first.UI)

	second, err := ep.Restart(ctx, contactless.OneCard(card), first, nil)
	require.NoError(t, err)
	assert.Equal(t, approvedOnDev.params(), second.Outcome.Parameters)
	assert.Equal(t, "40", tag(t, second.Outcome.DataRecord, 0x9F27), "TC")
	assert.Equal(t, "010002", tag(t, second.Outcome.DataRecord, 0x9F34), "Confirmation Code Verified")
	assert.Equal(t, "0000000002", tag(t, second.Outcome.DataRecord, 0x95))
	assert.Equal(t, oneTap, ins(second.Trace))
	assert.Equal(t, []contactless.UIRequest{
		{Message: contactless.MsgSeePhone, Status: contactless.UIReadyToRead, LanguagePreference: "en"},
		{Message: contactless.MsgClearDisplay, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"},
		{Message: contactless.MsgApproved, Status: contactless.UINotReady, HoldTime: 13, LanguagePreference: "en"},
	}, second.UI)
}
