package kernel2

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// Balance reading, Book C-2 States 16 (Waiting for Pre-Gen AC Balance)
// and 17 (Waiting for Post-Gen AC Balance): the terminal asks with an
// empty Balance Read Before Gen AC (DF8104) or After Gen AC (DF8105) in
// its terminal data, the card says it supports balance reading in its
// Application Capabilities Information (9F5D byte 2 b2), the kernel sends
// GET DATA 9F50 (80 CA 9F 50 00) before and/or after GENERATE AC and
// hands the Offline Accumulator Balance over in the Discretionary Data.
func TestBalanceReading(t *testing.T) {
	const (
		getData = "80CA9F50"
		genAC   = "80AE5000"
		// Discretionary Data around the balances: the Application Currency
		// Code, then (balances), the Error Indication, DF8306 and DF8307.
		ddHead = "9F42020840"
		ddTail = "DF8115060000000000FF" + "DF8306020014" + "DF83070100"
		bal    = "000000025000"
	)
	noACI := func() *emvtest.Profile {
		// The balance is there but the card does not say it supports
		// balance reading.
		p := emvtest.MastercardOffline()
		emvtest.WithOfflineAccumulatorBalance(&p.Applications[0], nil, 25000)
		return p
	}
	aciBitClear := func() *emvtest.Profile {
		// An ACI the card sends, with byte 2 b2 (support for balance
		// reading) clear.
		p := emvtest.MastercardOffline()
		emvtest.WithOfflineAccumulatorBalance(&p.Applications[0], []byte{0x00, 0x00, 0x00}, 25000)
		return p
	}
	noBalance := func() *emvtest.Profile {
		// The ACI says balance reading; GET DATA 9F50 answers 6A88.
		p := emvtest.MastercardOffline()
		p.Applications[0].Extra = append(p.Applications[0].Extra, 0x9F, 0x5D, 0x03, 0x00, 0x02, 0x00)
		return p
	}
	base := flow(true, "")
	with := func(extra ...string) []string { return append(append([]string(nil), base...), extra...) }
	for _, tc := range []struct {
		name    string
		profile func() *emvtest.Profile
		ask     string // terminal data asking for the balances
		cmds    []string
		dd      string // Discretionary Data
	}{
		{"C-2 State 16: Balance Read Before Gen AC: GET DATA 9F50 before GENERATE AC, DF8104 in the Discretionary Data",
			emvtest.MastercardBalance, "DF810400", with(getData, genAC), ddHead + "DF810406" + bal + ddTail},
		{"C-2 State 17: Balance Read After Gen AC: GET DATA 9F50 after GENERATE AC, DF8105 in the Discretionary Data",
			emvtest.MastercardBalance, "DF810500", with(genAC, getData), ddHead + "DF810506" + bal + ddTail},
		{"C-2 States 16 and 17: both balances, before and after GENERATE AC",
			emvtest.MastercardBalance, "DF810400 DF810500", with(getData, genAC, getData), ddHead + "DF810406" + bal + "DF810506" + bal + ddTail},
		{"C-2 balance reading: the terminal does not ask: no GET DATA",
			emvtest.MastercardBalance, "", with(genAC), ddHead + ddTail},
		{"C-2 balance reading: ACI without support for balance reading: no GET DATA although the terminal asks",
			noACI, "DF810400 DF810500", with(genAC), ddHead + ddTail},
		{"C-2 balance reading: ACI 000000, balance reading bit clear: no GET DATA although the terminal asks",
			aciBitClear, "DF810400 DF810500", with(genAC), ddHead + ddTail},
		{"C-2 balance reading: GET DATA answers 6A88: no balance, the transaction goes on",
			noBalance, "DF810400 DF810500", with(getData, genAC, getData), ddHead + ddTail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(tc.profile())
			tp := newTap(t, card, tapOpts{amount: 2000, extraData: tc.ask})
			tl := &timedLink{t: card, clk: tp.clock}
			tp.rec = apdu.NewRecorder(tl)
			tp.act.Card = tp.rec
			out := tp.run(t)
			assert.Equal(t, approvedNoCVM.params(), out.Parameters)
			require.NotNil(t, out.DataRecord)
			assert.Equal(t, "0000000002", tag(t, out.DataRecord, 0x95), "TVR")
			assert.Equal(t, "1F0302", tag(t, out.DataRecord, 0x9F34), "CVM Results")
			assert.Equal(t, tc.cmds, tp.headers())
			for _, e := range tp.rec.Entries() {
				if hexs(e.Command[:4]) == getData {
					assert.Equal(t, "80CA9F5000", hexs(e.Command), "GET DATA Offline Accumulator Balance, Le 00")
				}
			}
			assert.Equal(t, stripSpaces(tc.dd), hexs(out.DiscretionaryData))
		})
	}
}

// A card lost after GENERATE AC, during the GET DATA of State 17, has
// given its cryptogram: the transaction completes without the balance
// (this package's reading of Book C-2 State 17), and no torn record is
// written.
func TestBalanceReadingCardLostInState17(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardBalance())
	tp := newTap(t, card, tapOpts{amount: 2000, extraData: "DF810500"})
	tl := &timedLink{t: card, clk: tp.clock}
	tp.rec = apdu.NewRecorder(&loseOn{Card: tl, ins: apdu.InsGetData})
	tp.act.Card = tp.rec
	out := tp.run(t)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, "absent", tag(t, out.DiscretionaryData, tagBalanceAfterGenAC))
	assert.Equal(t, "0000000000FF", tag(t, out.DiscretionaryData, tagErrorIndication))
}

// loseOn is a link that loses the card on the first command with
// instruction ins.
type loseOn struct {
	Card apdu.Transceiver
	ins  byte
}

func (l *loseOn) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) > 1 && cmd[1] == l.ins {
		return nil, errCardGone
	}
	return l.Card.Transmit(ctx, cmd)
}

var errCardGone = errors.New("card gone")
