package kernel7

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inquiryReader is the Chinese counter's Entry Point for a balance
// inquiry: BalanceInquiry in place of Kernel 7, with Kernel 7 for a card
// that has no electronic cash balance. An inquiry has no amount: the
// combination allows a zero amount (Book B §3.1.1.4).
func inquiryReader(card *emvtest.Card) *contactless.EntryPoint {
	ep := reader(card)
	ep.Config.Combinations[0].ZeroAmountAllowed = true
	ep.Kernels = map[contactless.KernelID]contactless.Kernel{ID: BalanceInquiry{Kernel: New(Config{})}}
	return ep
}

// hexCommands lists the commands of a trace in hex.
func hexCommands(tr contactless.Trace) []string {
	var out []string
	for _, e := range tr {
		out = append(out, hexs(e.Command))
	}
	return out
}

const ppseSelect = "00A404000E325041592E5359532E444446303100"

// JR/T 0025.13 Annex C, read on the contactless interface: after the
// Entry Point's final SELECT the reader reads the electronic cash balance
// and limits with GET DATA and sends no GET PROCESSING OPTIONS (the ATC is
// not counted). The outcome is End Application with the balance in the UI
// Request (Book A §7.1, Value Qualifier Balance) and the four objects in
// the Discretionary Data.
func TestBalanceInquiry(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
	res, err := inquiryReader(card).Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Type: 0x31})
	require.NoError(t, err)
	assert.Equal(t, []string{
		ppseSelect,
		"00A4040008A00000033301010100",
		"80CA9F7900", "80CA9F7800", "80CA9F7700", "80CA9F6D00",
	}, hexCommands(res.Trace))
	assert.Equal(t, "End Application, UI on outcome [Card Read OK, Card Read Successfully, hold 1300 ms, language zhen, Balance 50000 (156)], Discretionary Data",
		res.Outcome.Parameters.String())
	assert.Equal(t, "9F79060000000500009F78060000000500009F77060000001000009F6D06000000010000", hexs(res.Outcome.DiscretionaryData))
	assert.Nil(t, res.Outcome.DataRecord, "nothing for the acquirer")
	last := res.Trace[len(res.Trace)-1]
	assert.Equal(t, "9F6D060000000100009000", hexs(last.Response))
}

// The balance the inquiry reads is what the card has left: after an
// offline approval of 100.00 the EC balance 9F79 is the 9F5D of that tap.
func TestBalanceInquiryAfterOfflineApproval(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
	res, err := reader(card).Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Amount: 10000})
	require.NoError(t, err)
	require.Equal(t, contactless.StatusApproved, res.Outcome.Parameters.Status)
	card.Reset()
	res, err = inquiryReader(card).Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Type: 0x31})
	require.NoError(t, err)
	require.NotNil(t, res.Outcome.Parameters.UIRequestOnOutcome)
	assert.Equal(t, uint64(40000), res.Outcome.Parameters.UIRequestOnOutcome.Value)
	assert.Equal(t, "9F7906000000040000", hexs(res.Outcome.DiscretionaryData[:9]))
}

// A card without electronic cash (the quasi-credit card has no 9F5D and
// answers GET DATA 9F79 with 6A88): the inquiry is Kernel 7's transaction
// of type 31, for the issuer (GET PROCESSING OPTIONS after the one GET
// DATA); without a Kernel, End Application.
func TestBalanceInquiryNoECBalance(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayQuickPassQuasiCredit())
	res, err := inquiryReader(card).Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Type: 0x31})
	require.NoError(t, err)
	cmds := hexCommands(res.Trace)
	require.GreaterOrEqual(t, len(cmds), 4)
	assert.Equal(t, "80CA9F7900", cmds[2])
	assert.Equal(t, "6A88", hexs(res.Trace[2].Response))
	assert.Equal(t, "80A80000", cmds[3][:8], "GET PROCESSING OPTIONS")
	assert.Equal(t, contactless.StatusOnlineRequest, res.Outcome.Parameters.Status)

	card = emvtest.NewCard(emvtest.UnionPayQuickPassQuasiCredit())
	ep := inquiryReader(card)
	ep.Kernels = map[contactless.KernelID]contactless.Kernel{ID: BalanceInquiry{}}
	res, err = ep.Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Type: 0x31})
	require.NoError(t, err)
	assert.Len(t, res.Trace, 3)
	assert.Equal(t, "End Application, UI on outcome [Insert, Swipe or Try Another Card, Processing Error, language zhen]", res.Outcome.Parameters.String())
}

// A card that leaves the field during GET DATA: the link error, no
// outcome.
func TestBalanceInquiryCardRemoved(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
	card.RemoveAt(2) // counted from the SELECT of newTap
	tp := newTap(t, card, tapOpts{})
	out, err := BalanceInquiry{}.Activate(context.Background(), tp.act)
	assert.Nil(t, out)
	require.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.Contains(t, err.Error(), "kernel7: GET DATA 9F79")
}

// FuzzBalanceInquiry: one of the card's answers to the inquiry (PPSE,
// SELECT, one of the GET DATA) is fuzzed: the run never panics, ends with
// an outcome of Book A, and what it puts in the Discretionary Data is only
// the four electronic cash objects, each n 12, with the balance shown
// being that of 9F79.
func FuzzBalanceInquiry(f *testing.F) {
	f.Add(uint8(2), []byte{0x9F, 0x79, 0x06, 0x00, 0x00, 0x00, 0x01, 0x23, 0x45, 0x90, 0x00})
	f.Add(uint8(2), []byte{0x6A, 0x88})
	f.Add(uint8(3), []byte{0x9F, 0x78, 0x05, 0x00, 0x00, 0x01, 0x23, 0x45, 0x90, 0x00})
	f.Add(uint8(4), []byte{0x9F, 0x77, 0x06, 0xFF, 0x00, 0x00, 0x01, 0x23, 0x45, 0x90, 0x00})
	f.Add(uint8(5), []byte{0x90})
	f.Fuzz(func(t *testing.T, at uint8, resp []byte) {
		card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
		fc := &fuzzCard{card: card, at: int(at % 6), resp: resp}
		ep := inquiryReader(card)
		ep.Kernels = map[contactless.KernelID]contactless.Kernel{ID: BalanceInquiry{}}
		res, err := ep.Run(context.Background(), contactless.OneCard(fc), &contactless.Transaction{Type: 0x31})
		if err != nil || res == nil || res.Outcome == nil {
			t.Fatalf("Run: %v", err)
		}
		if fc.n > 20 {
			t.Fatalf("%d commands", fc.n)
		}
		dd := res.Outcome.DiscretionaryData
		if len(dd) == 0 {
			return
		}
		allowed := map[uint16]bool{0x9F79: true, 0x9F78: true, 0x9F77: true, 0x9F6D: true}
		for i := 0; i < len(dd); i += 9 {
			if len(dd) < i+9 || !allowed[uint16(dd[i])<<8|uint16(dd[i+1])] || dd[i+2] != 6 {
				t.Fatalf("discretionary data %X", dd)
			}
		}
		want, _ := quick.Amount(dd[3:9])
		if u := res.Outcome.Parameters.UIRequestOnOutcome; u == nil || u.Value != want {
			t.Fatalf("balance shown %v, 9F79 %X", u, dd[:9])
		}
	})
}
