package kernel2

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// pdolWithTerminalType is the Mastercard profiles' PDOL with the Terminal
// Type 9F35 appended, which the terminal data terminalNo9F35 lacks.
const pdolWithTerminalType = emvtest.PDOLMastercard + "9F3501"

// gpoWith is the GET PROCESSING OPTIONS of pdolWithTerminalType for 20.00
// with the Terminal Type tt: 9F02, 9F1A, 5F2A, 9A, 9C, 9F37, 9F35.
func gpoWith(tt string) string {
	return "80A8000015" + "8313" + "000000002000" + "0840" + "0840" + testDate + "00" + testUN + tt + "00"
}

// pdolTap is a tap of MastercardOffline whose PDOL asks for 9F35, with the
// terminal data terminalNo9F35 plus extra, PUT DATA answered 9000 by the
// link (putDataCard), and the terminal's data exchange f, which is given
// the test clock to advance.
type pdolTap struct {
	tp   *tap
	card *emvtest.Card
	deks []DataExchange
}

func newPDOLTap(t *testing.T, extra string) *pdolTap {
	t.Helper()
	p := emvtest.MastercardOffline()
	p.Applications[0].PDOL = h(pdolWithTerminalType)
	card := emvtest.NewCard(p)
	tp := newTap(t, card, tapOpts{amount: 2000, terminal: terminalNo9F35, extraData: extra})
	tl := &timedLink{t: &putDataCard{card: card}, clk: tp.clock}
	tp.rec = apdu.NewRecorder(tl)
	tp.act.Card = tp.rec
	return &pdolTap{tp: tp, card: card}
}

func (pt *pdolTap) run(t *testing.T, cfg Config, f func(ctx context.Context, clk *clock, d DataExchange) (DET, error)) (*contactless.Outcome, error) {
	t.Helper()
	cfg.Clock = pt.tp.clock.now
	if f != nil {
		cfg.DataExchange = func(ctx context.Context, d DataExchange) (DET, error) {
			pt.deks = append(pt.deks, d)
			return f(ctx, pt.tp.clock, d)
		}
	}
	return New(cfg).Activate(context.Background(), pt.tp.act)
}

// commands is every command the kernel sent, in full hex.
func (pt *pdolTap) commands() []string {
	var out []string
	for _, e := range pt.tp.rec.Entries() {
		out = append(out, hexs(e.Command))
	}
	return out
}

// endApplicationTimeOut is the outcome of State 2 when the DET does not
// come in time: End Application, no UI Request, no Data Record.
var endApplicationTimeOut = expect{status: contactless.StatusEndApplication, cvm: contactless.CVMNA}

// errTimeOut is the Error Indication of State 2's timeout: L3 TIME OUT,
// Msg On Error N/A.
const errTimeOut = "000001 0000 FF"

// Book C-2 State 1 and State 2 (Waiting for PDOL Data): the PDOL asks for
// the Terminal Type the terminal data lacks; the kernel sends a DEK with
// Data Needed 9F35 before any command, the DET answers 22 within the Time
// Out Value (here at exactly 500 ms by the kernel's clock, the default
// DF8127), and GET PROCESSING OPTIONS carries it. The CDOL1's 9F35 is the
// DET's too, so no second DEK is needed.
func TestC2State2DETInTimeFillsThePDOL(t *testing.T) {
	pt := newPDOLTap(t, "")
	out, err := pt.run(t, Config{}, func(ctx context.Context, clk *clock, d DataExchange) (DET, error) {
		_, hasDeadline := ctx.Deadline()
		assert.True(t, hasDeadline, "State 2 is bounded by the Time Out Value")
		require.NoError(t, clk.sleep(ctx, 500*time.Millisecond))
		return DET{Data: h("9F350122")}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	require.Len(t, pt.deks, 1)
	assert.Equal(t, DataExchange{DataNeeded: []tlv.Tag{0x9F35}}, pt.deks[0])
	cmds := pt.commands()
	require.NotEmpty(t, cmds)
	assert.Equal(t, gpoWith("22"), cmds[0])
	assert.Equal(t, flow(true, "80AE5000"), pt.tp.headers())
	assert.Equal(t, "22", tag(t, out.DataRecord, 0x9F35), "the CDOL1's 9F35 from the DET")
	assert.Equal(t, errNone, tag(t, out.DiscretionaryData, tagErrorIndication))
}

// Book C-2 State 2: the DET comes 1 ms after the Time Out Value by the
// kernel's clock: the timer expired first, so the kernel has ended: End
// Application, Error Indication L3 TIME OUT, and no command sent to the
// card. A Time Out Value in the terminal data (DF8127 0BB8, 3 s) moves the
// limit: a DET after 2.999 s is in time.
func TestC2State2DETLateTimesOut(t *testing.T) {
	late := func(d time.Duration) func(ctx context.Context, clk *clock, _ DataExchange) (DET, error) {
		return func(ctx context.Context, clk *clock, _ DataExchange) (DET, error) {
			require.NoError(t, clk.sleep(ctx, d))
			return DET{Data: h("9F350122")}, nil
		}
	}
	pt := newPDOLTap(t, "")
	out, err := pt.run(t, Config{}, late(501*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, endApplicationTimeOut.params(), out.Parameters)
	assert.Equal(t, stripSpaces(errTimeOut), tag(t, out.DiscretionaryData, tagErrorIndication))
	assert.Nil(t, out.DataRecord)
	assert.Empty(t, pt.commands(), "no GPO after the timeout")
	assert.Len(t, pt.deks, 1)

	pt = newPDOLTap(t, "DF8127020BB8")
	out, err = pt.run(t, Config{}, late(2999*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, gpoWith("22"), pt.commands()[0])

	pt = newPDOLTap(t, "DF8127020BB8")
	out, err = pt.run(t, Config{}, late(3001*time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, endApplicationTimeOut.params(), out.Parameters)
	assert.Empty(t, pt.commands())
}

// Book C-2 State 2: a terminal that never answers is not waited for
// beyond the Time Out Value: the DEK's ctx ends then (DF8127 0001, 1 ms),
// and the outcome is the timeout's, also when the terminal ignores ctx. A terminal that fails at once leaves
// the PDOL data at the book's default (zeros) and GPO goes on.
func TestC2State2NoDET(t *testing.T) {
	pt := newPDOLTap(t, "DF8127020001")
	out, err := pt.run(t, Config{}, func(ctx context.Context, _ *clock, _ DataExchange) (DET, error) {
		<-ctx.Done()
		return DET{}, ctx.Err()
	})
	require.NoError(t, err)
	assert.Equal(t, endApplicationTimeOut.params(), out.Parameters)
	assert.Equal(t, stripSpaces(errTimeOut), tag(t, out.DiscretionaryData, tagErrorIndication))
	assert.Empty(t, pt.commands())

	// A terminal that ignores its ctx is not waited for either.
	release := make(chan struct{})
	defer close(release)
	pt = newPDOLTap(t, "DF8127020001")
	out, err = pt.run(t, Config{}, func(context.Context, *clock, DataExchange) (DET, error) {
		<-release
		return DET{Data: h("9F350122")}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, endApplicationTimeOut.params(), out.Parameters)
	assert.Equal(t, stripSpaces(errTimeOut), tag(t, out.DiscretionaryData, tagErrorIndication))
	assert.Empty(t, pt.commands())

	pt = newPDOLTap(t, "")
	out, err = pt.run(t, Config{}, func(context.Context, *clock, DataExchange) (DET, error) {
		return DET{}, errors.New("no terminal data")
	})
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, gpoWith("00"), pt.commands()[0])
	assert.Len(t, pt.deks, 2, "the CDOL1's 9F35 is still needed after record reading")
}

// Book C-2 State 1: no terminal listening (no DataExchange), or nothing
// missing from the PDOL: no DEK, GPO at once with what the kernel has.
func TestC2State1NoDEKWithoutNeed(t *testing.T) {
	pt := newPDOLTap(t, "")
	out, err := pt.run(t, Config{}, nil)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, gpoWith("00"), pt.commands()[0])

	deks, _ := runExchange(t, tapOpts{amount: 2000}, func(DataExchange) ([]byte, error) { return nil, nil })
	assert.Empty(t, deks, "the Mastercard PDOL is all in the terminal data")
}

// Book C-2 State 2: ctx ends while the kernel waits for the DET: the
// kernel stops with ctx's error, no outcome, no command.
func TestC2State2ContextEnds(t *testing.T) {
	pt := newPDOLTap(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cfg := Config{Clock: pt.tp.clock.now, Sleep: pt.tp.clock.sleep, DataExchange: func(context.Context, DataExchange) (DET, error) {
		cancel()
		return DET{Data: h("9F350122")}, nil
	}}
	out, err := New(cfg).Activate(ctx, pt.tp.act)
	assert.Nil(t, out)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, pt.commands())
}

// Book C-2 State 2 and the DEK after record reading: the card leaves the
// field while the kernel waits for the terminal's DET. The kernel sends
// nothing while it waits, so the loss shows on the next command: GET
// PROCESSING OPTIONS after the State 2 DET, GENERATE AC after the one of
// S456 (a torn GENERATE AC without a torn transaction log). Both are the
// link's error, no outcome, and the commands up to the failed one.
func TestC2CardLostDuringDEKWait(t *testing.T) {
	pt := newPDOLTap(t, "")
	out, err := pt.run(t, Config{}, func(context.Context, *clock, DataExchange) (DET, error) {
		pt.card.RemoveAt(2) // the card's next command, SELECT being its first
		return DET{Data: h("9F350122")}, nil
	})
	assert.Nil(t, out)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.ErrorIs(t, err, ErrLink)
	assert.Equal(t, []string{gpoWith("22")}, pt.commands())

	deks := 0
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(t, card, tapOpts{amount: 2000, terminal: terminalNo9F35})
	out, err = New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, DataExchange: func(_ context.Context, d DataExchange) (DET, error) {
		deks++
		assert.Equal(t, []tlv.Tag{0x9F35}, d.DataNeeded, "the CDOL1's 9F35")
		card.RemoveAt(8) // GENERATE AC: SELECT, GPO, ERRD, four records before it
		return DET{Data: h("9F350122")}, nil
	}}).Activate(context.Background(), tp.act)
	assert.Nil(t, out)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.Equal(t, 1, deks)
	assert.Equal(t, flow(true, "80AE5000"), tp.headers())
}
