package emv_test

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ecInquiry is an electronic cash balance inquiry (JR/T 0025.13).
func ecInquiry() *emv.Transaction {
	return &emv.Transaction{Type: emv.BalanceInquiry, ECBalance: true, SequenceCounter: 1}
}

func u64(v uint64) *uint64 { return &v }

// gdCommands returns the GET DATA commands of a trace in hex.
func gdCommands(r *emv.Result) []string {
	var out []string
	for _, e := range r.Trace {
		if len(e.Command) > 1 && e.Command[1] == 0xCA {
			out = append(out, hexOf(e.Command))
		}
	}
	return out
}

// The four GET DATA commands of an electronic cash balance inquiry, in
// the order the kernel sends them (Book 3 §6.5.7: CLA 80, INS CA, P1 P2
// the tag, Le 00).
var ecGetData = []string{"80CA9F7900", "80CA9F7800", "80CA9F7700", "80CA9F6D00"}

// Electronic cash balance inquiry (余额查询), JR/T 0025.13: after
// application selection, GET DATA 9F79, 9F78, 9F77, 9F6D; no GPO, no
// cryptogram, TVR and TSI untouched.
func TestECBalanceInquiry(t *testing.T) {
	up := unionPayConfig
	runScenarios(t, []scenario{
		{
			name:    "JRT0025_13_ECBalance_DebitCard_BalanceAndLimits",
			base:    emvtest.UnionPayDebit,
			config:  up,
			txn:     ecInquiry(),
			outcome: emv.BalanceRead, tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR SEL GD9F79 GD9F78 GD9F77 GD9F6D",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, ecGetData, gdCommands(r))
				assert.Equal(t, &emv.ECBalance{Balance: 50000, SingleTransactionLimit: u64(50000), BalanceLimit: u64(100000), ResetThreshold: u64(10000)}, r.ECBalance)
				assert.Equal(t, "A000000333010101", hexOf(r.AID))
				assert.Empty(t, r.AC)
				// The answers as the card gave them: 9F79 06 n12.
				assert.Equal(t, "9F79060000000500009000", hexOf(r.Trace[4].Response))
			},
		},
		{
			name:    "JRT0025_13_ECBalance_ECashCard_NoPSE",
			base:    emvtest.UnionPayECash,
			config:  up,
			txn:     ecInquiry(),
			outcome: emv.BalanceRead, tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL SEL SEL SEL SEL SEL GD9F79 GD9F78 GD9F77 GD9F6D",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, &emv.ECBalance{Balance: 20000, SingleTransactionLimit: u64(30000), BalanceLimit: u64(100000), ResetThreshold: u64(5000)}, r.ECBalance)
				assert.Equal(t, "A000000333010106", hexOf(r.AID))
			},
		},
		{
			// A limit the card does not have (GET DATA 6A88) is nil; the
			// balance alone answers the inquiry.
			name: "JRT0025_13_ECBalance_LimitsNotFound_6A88",
			base: emvtest.UnionPayDebit,
			profile: func(p *emvtest.Profile) {
				p.Applications[0].IssuerData = p.Applications[0].IssuerData[:1] // 9F79 only
			},
			config:  up,
			txn:     ecInquiry(),
			outcome: emv.BalanceRead, tvr: "0000000000", tsi: "0000", cvm: "000000",
			cmds: "SEL RR RR SEL GD9F79 GD9F78 GD9F77 GD9F6D",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, &emv.ECBalance{Balance: 50000}, r.ECBalance)
				for _, e := range r.Trace[5:] {
					assert.Equal(t, "6A88", hexOf(e.Response))
				}
			},
		},
		{
			// No electronic cash on the card (GET DATA 9F79 answers 6A88):
			// the balance inquiry goes on as Book 3's; with amount 0, under
			// the floor limit and a signature CVM, the card approves it
			// offline.
			name:    "JRT0025_13_ECBalance_NoECash_6A88_Book3Inquiry",
			base:    emvtest.UnionPayCredit,
			config:  up,
			txn:     ecInquiry(),
			host:    approve(),
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "5E0300",
			cmds: "SEL RR RR SEL GD9F79 GPO RR RR RR RR RR IA GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Nil(t, r.ECBalance)
				assert.Equal(t, "6A88", hexOf(r.Trace[4].Response))
			},
		},
		{
			// A balance that is not n 12 (a nibble that is no digit) is no
			// balance: the Book 3 inquiry follows, online for the online PIN.
			name: "JRT0025_13_ECBalance_NotBCD_Book3Inquiry",
			base: emvtest.UnionPayDebit,
			profile: func(p *emvtest.Profile) {
				p.Applications[0].IssuerData[0].Value = mustHex("0000000500AB")
			},
			config:  up,
			txn:     ecInquiry(),
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000040000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR SEL GD9F79 GPO RR RR RR RR RR IA GD9F36 GD9F13 GAC80 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Nil(t, r.ECBalance)
			},
		},
	})
}

// An electronic cash inquiry with a type other than balance inquiry is
// refused before anything is sent.
func TestECBalanceInquiryWrongType(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayDebit())
	cfg := testConfig(t, card)
	unionPayConfig(cfg)
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Type: emv.Purchase, ECBalance: true, Amount: 100}, nil)
	require.ErrorIs(t, err, emv.ErrTransaction)
	assert.Equal(t, emv.Terminated, res.Outcome)
	assert.Empty(t, res.Trace)
}

// A Session runs the inquiry too, and the display shows no approval or
// decline, only REMOVE CARD.
func TestECBalanceInquirySession(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayDebit())
	cfg := testConfig(t, card)
	unionPayConfig(cfg)
	d := &display{}
	s := emv.Start(context.Background(), card, cfg, ecInquiry(), &emv.Terminal{Display: d})
	defer s.Close()
	req, done := s.Next()
	require.Nil(t, req)
	require.NoError(t, done.Err)
	assert.Equal(t, emv.BalanceRead, done.Result.Outcome)
	assert.Equal(t, uint64(50000), done.Result.ECBalance.Balance)
	assert.Equal(t, []emv.Message{emv.MsgRemoveCard}, d.msgs)
	assert.Equal(t, "balance read", done.Result.Outcome.String())
}

// FuzzECBalanceInquiry runs the electronic cash balance inquiry on a
// UnionPay card whose answers are mutated: no input panics; the inquiry
// either reads a balance (Outcome BalanceRead, an ECBalance of at most 12
// digits, no GET PROCESSING OPTIONS sent) or has none and goes on.
func FuzzECBalanceInquiry(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 4, 7})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, mutations []byte) {
		p := emvtest.UnionPayDebit()
		p.Keys = emvtest.Keys{Seed: "fuzz", CABits: 768, IssuerBits: 768, ICCBits: 768} // small keys, fast signatures
		card := emvtest.NewCard(p)
		cfg := testConfig(t, card)
		unionPayConfig(cfg)
		m := &mutatingCard{card: card, in: mutations}
		res, err := emv.Run(context.Background(), m, cfg, *ecInquiry(), &emv.Terminal{Host: approve()})
		if res == nil {
			t.Fatalf("no result (err %v)", err)
		}
		if res.Outcome != emv.BalanceRead {
			if res.ECBalance != nil {
				t.Fatalf("outcome %s with a balance", res.Outcome)
			}
			return
		}
		if err != nil || res.ECBalance == nil || res.ECBalance.Balance > 999999999999 {
			t.Fatalf("balance read: %+v, err %v", res.ECBalance, err)
		}
		for _, c := range res.Trace.Commands() {
			if c == "GET PROCESSING OPTIONS" {
				t.Fatal("GPO sent in a balance inquiry that read the balance")
			}
		}
	})
}
