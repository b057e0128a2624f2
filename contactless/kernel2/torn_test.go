package kernel2

import (
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

// The Kernel 2 terminal data of the torn transaction tests: a log of at
// most two records (DF811D), each living 300 s (DF811C).
const tornData = "DF811D0102 DF811C02012C"

// tornTap is a tap with the torn transaction log.
func tornTap(t *testing.T, card *emvtest.Card, log TornLog, o tapOpts) (*tap, *Kernel) {
	k, _ := tornTapLost(t, card, log, &o)
	return k.tp, k.k
}

type tornKernel struct {
	tp *tap
	k  *Kernel
}

// tornTapLost is tornTap that also collects the records the kernel hands
// to Config.TornRecordLost.
func tornTapLost(t *testing.T, card *emvtest.Card, log TornLog, o *tapOpts) (tornKernel, *[]TornRecord) {
	o.extraData += tornData
	tp := newTap(t, card, *o)
	lost := &[]TornRecord{}
	return tornKernel{tp, New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, TornLog: log, TornRecordLost: func(r TornRecord) { *lost = append(*lost, r) }})}, lost
}

var (
	tornPAN      = "5413330089010079"
	tryAgainTorn = func() contactless.OutcomeParameterSet {
		p := contactless.NewParameterSet(contactless.StatusTryAgain)
		p.Start = contactless.StartB
		u := &contactless.UIRequest{Message: contactless.MsgPresentCardAgain, Status: contactless.UIReadyToRead, LanguagePreference: "en"}
		p.UIRequestOnOutcome, p.UIRequestOnRestart = u, u
		p.DiscretionaryDataPresent = true
		return p
	}
)

// Book C-2 torn transactions: the card leaves during GENERATE AC; the
// transaction goes into the log and the outcome asks for the card again;
// on the next tap the kernel finds the record by PAN and PAN Sequence
// Number, sends RECOVER AC with the DRDOL related data of the torn
// GENERATE AC, and completes the torn transaction with its cryptogram,
// CDA verified over the torn transaction's data.
func TestTornTransactionRecovery(t *testing.T) {
	log := &MemoryTornLog{}
	card := emvtest.NewCard(emvtest.MastercardTorn())
	tp, k := tornTap(t, card, log, tapOpts{amount: 2000})
	card.TearAt(card.Commands() + 7) // GPO, ERRD, four records, GENERATE AC
	out, err := k.Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, tryAgainTorn(), out.Parameters)
	assert.Equal(t, "010000000021", tag(t, out.DiscretionaryData, tagErrorIndication))
	recs := log.Records()
	require.Len(t, recs, 1)
	assert.Equal(t, tornPAN, hexs(recs[0].PAN))
	assert.Equal(t, "01", hexs(recs[0].PSN))
	assert.Equal(t, testTime, recs[0].Time)
	assert.Equal(t, testUN, tag(t, recs[0].Data, tagDRDOLRelatedData))
	assert.Equal(t, "50", tag(t, recs[0].Data, tagReferenceControlP))

	// The next tap, with another Unpredictable Number.
	card.Insert()
	tp, k = tornTap(t, card, log, tapOpts{amount: 2000, rand: h("AABBCCDD 01020304")})
	out, err = k.Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, append(flow(true, "")[:6], "80D00000"), tp.headers())
	assert.Equal(t, "80D0000004"+testUN+"00", hexs(tp.rec.Entries()[6].Command))
	assert.Equal(t, testUN, tag(t, out.DataRecord, 0x9F37), "the torn transaction's data")
	assert.Equal(t, "0000000002", tag(t, out.DataRecord, 0x95))
	assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27))
	assert.Empty(t, log.Records())
}

// A card that cannot give the torn cryptogram back (RECOVER AC 6A88): the
// current transaction goes on with GENERATE AC, and its record leaves the
// log once GENERATE AC is answered.
func TestTornTransactionRecoveryFails(t *testing.T) {
	log := &MemoryTornLog{}
	card := emvtest.NewCard(emvtest.MastercardTorn())
	tp, k := tornTap(t, card, log, tapOpts{amount: 2000})
	card.TearAt(card.Commands() + 7)
	_, err := k.Activate(context.Background(), tp.act)
	require.NoError(t, err)
	require.Len(t, log.Records(), 1)

	other := emvtest.NewCard(emvtest.MastercardTorn()) // the same PAN, no torn GENERATE AC
	tp, k = tornTap(t, other, log, tapOpts{amount: 2000, rand: h("AABBCCDD 01020304")})
	out, err := k.Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, append(flow(true, "")[:6], "80D00000", "80AE5000"), tp.headers())
	assert.Equal(t, "AABBCCDD", tag(t, out.DataRecord, 0x9F37))
	assert.Empty(t, log.Records())
}

// A record older than the Max Lifetime of Torn Transaction Log Record
// leaves the log at activation and goes to Config.TornRecordLost.
func TestTornRecordExpires(t *testing.T) {
	log := &MemoryTornLog{}
	old := TornRecord{Time: testTime.Add(-301 * time.Second), PAN: h("5413330089019999"), Data: h("9F3704 01020304")}
	young := TornRecord{Time: testTime.Add(-299 * time.Second), PAN: h("5413330089018888"), Data: h("9F3704 05060708")}
	log.Replace([]TornRecord{old, young})
	card := emvtest.NewCard(emvtest.MastercardOffline())
	k, lost := tornTapLost(t, card, log, &tapOpts{amount: 2000})
	out, err := k.k.Activate(context.Background(), k.tp.act)
	require.NoError(t, err)
	assert.Equal(t, contactless.StatusApproved, out.Parameters.Status)
	assert.Equal(t, []TornRecord{old}, *lost)
	assert.Equal(t, []TornRecord{young}, log.Records())
}

// A full log (Max Number of Torn Transaction Log Records) lets its oldest
// record go, to Config.TornRecordLost, for the new torn transaction.
func TestTornLogFull(t *testing.T) {
	log := &MemoryTornLog{}
	first := TornRecord{Time: testTime.Add(-10 * time.Second), PAN: h("5413330089019999"), Data: h("9F3704 01020304")}
	second := TornRecord{Time: testTime.Add(-5 * time.Second), PAN: h("5413330089018888"), Data: h("9F3704 05060708")}
	log.Replace([]TornRecord{first, second})
	card := emvtest.NewCard(emvtest.MastercardTorn())
	k, lost := tornTapLost(t, card, log, &tapOpts{amount: 2000})
	card.TearAt(card.Commands() + 7)
	out, err := k.k.Activate(context.Background(), k.tp.act)
	require.NoError(t, err)
	assert.Equal(t, contactless.StatusTryAgain, out.Parameters.Status)
	assert.Equal(t, []TornRecord{first}, *lost)
	recs := log.Records()
	require.Len(t, recs, 2)
	assert.Equal(t, second, recs[0])
	assert.Equal(t, tornPAN, hexs(recs[1].PAN))
}

// No recovery without a log, or for a card without a DRDOL: the card lost
// during GENERATE AC is the link's error, and the log stays as it was.
func TestTornWithoutRecovery(t *testing.T) {
	for _, c := range []struct {
		name    string
		profile func() *emvtest.Profile
		log     TornLog
	}{
		{"card without DRDOL", emvtest.MastercardOffline, &MemoryTornLog{}},
		{"no log", emvtest.MastercardTorn, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := emvtest.NewCard(c.profile())
			tp, k := tornTap(t, card, c.log, tapOpts{amount: 2000})
			card.TearAt(card.Commands() + 7)
			out, err := k.Activate(context.Background(), tp.act)
			assert.Nil(t, out)
			require.True(t, errors.Is(err, apdu.ErrCardRemoved))
			if c.log != nil {
				assert.Empty(t, c.log.Records())
			}
		})
	}
}

// A record of this card the kernel cannot read leaves the log and the
// transaction goes on with GENERATE AC.
func TestTornRecordGarbage(t *testing.T) {
	log := &MemoryTornLog{}
	log.Replace([]TornRecord{{Time: testTime, PAN: h(tornPAN), PSN: h("01"), Data: h("DF8113 08 0102")}})
	card := emvtest.NewCard(emvtest.MastercardTorn())
	k, lost := tornTapLost(t, card, log, &tapOpts{amount: 2000})
	out, err := k.k.Activate(context.Background(), k.tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, flow(true, "80AE5000"), k.tp.headers())
	assert.Empty(t, log.Records())
	assert.Len(t, *lost, 1)
}

// FuzzTornLog feeds the kernel a torn record of the tapped card with
// fuzzed data: it never panics, ends with an outcome, and leaves the
// record out of the log.
func FuzzTornLog(f *testing.F) {
	f.Add(h("DF8113 04 11223344"))
	f.Add(h("9F3704 11223344 9505 0000000002 9F3403 1F0302 9F3303 E00808 DF811401 50 DF811100 8C00 DF810700 DF811304 11223344"))
	f.Add([]byte{0xFF, 0x81})
	card := emvtest.NewCard(emvtest.MastercardTorn())
	prof := card.Profile()
	f.Fuzz(func(t *testing.T, data []byte) {
		log := &MemoryTornLog{}
		log.Replace([]TornRecord{{Time: testTime, PAN: h(tornPAN), PSN: h("01"), Data: data}})
		c := emvtest.NewCard(prof)
		tp, k := tornTap(t, c, log, tapOpts{amount: 2000})
		out, err := k.Activate(context.Background(), tp.act)
		if err != nil || out == nil {
			t.Fatalf("%v %v", out, err)
		}
		if len(log.Records()) != 0 {
			t.Fatal("the record stayed in the log")
		}
	})
}

// reinsertField is the reader's field for a card that is torn away and
// presented again: each poll after the card left puts it back.
type reinsertField struct{ card *emvtest.Card }

func (f reinsertField) Poll(ctx context.Context) (apdu.Transceiver, error) {
	if f.card.Removed() {
		f.card.Insert()
	}
	return f.card, ctx.Err()
}
func (f reinsertField) Off(ctx context.Context, _ time.Duration) error         { return ctx.Err() }
func (f reinsertField) WaitRemoval(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// Behind the Entry Point: the torn GENERATE AC's Try Again restarts at
// Start B with "Present Card Again", the card is presented again, and the
// second activation recovers the torn transaction with RECOVER AC.
func TestTornThroughEntryPoint(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardTorn())
	ep := reader(card)
	ep.Config.Combinations[0].KernelData = append(h(kernelDataHex), h(tornData)...)
	log := &MemoryTornLog{}
	clk := ep.Kernels[contactless.Kernel2].(*Kernel).cfg.Clock
	ep.Kernels[contactless.Kernel2] = New(Config{Clock: clk, TornLog: log})
	card.TearAt(9) // SELECT PPSE, SELECT AID, GPO, ERRD, four records, GENERATE AC
	res, err := ep.Run(context.Background(), reinsertField{card}, &contactless.Transaction{Amount: 2000})
	require.NoError(t, err)
	assert.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	require.Len(t, res.Restarts, 1)
	assert.Equal(t, contactless.StartB, res.Restarts[0].Start)
	var ins []string
	for _, e := range res.Trace {
		ins = append(ins, hexs(e.Command[:2]))
	}
	assert.Equal(t, []string{"00A4", "00A4", "80A8", "80EA", "00B2", "00B2", "00B2", "00B2", "80AE",
		"00A4", "00A4", "80A8", "80EA", "00B2", "00B2", "00B2", "00B2", "80D0"}, ins)
	assert.Contains(t, messagesOf(res.UI), contactless.MsgPresentCardAgain)
	assert.Empty(t, log.Records())
}

func messagesOf(u []contactless.UIRequest) []contactless.MessageID {
	var out []contactless.MessageID
	for _, r := range u {
		out = append(out, r.Message)
	}
	return out
}
