package kernel2

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// putDataCard stands before the virtual card (which takes PUT DATA only
// as a MACed issuer script) and answers each PUT DATA from sws in turn,
// 9000 when they run out; every other command goes to the card.
type putDataCard struct {
	card apdu.Transceiver
	sws  []string
	// lostAt, when not zero, is the PUT DATA (counted from 1) during which
	// the card leaves the field: it and every later command fail with
	// apdu.ErrCardRemoved.
	lostAt, n int
}

func (p *putDataCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	if p.lostAt != 0 && p.n >= p.lostAt {
		return nil, fmt.Errorf("putDataCard: %w", apdu.ErrCardRemoved)
	}
	if len(cmd) > 1 && cmd[1] == apdu.InsPutData {
		p.n++
		if p.lostAt != 0 && p.n >= p.lostAt {
			return nil, fmt.Errorf("putDataCard: %w", apdu.ErrCardRemoved)
		}
		if len(p.sws) == 0 {
			return h("9000"), nil
		}
		sw := p.sws[0]
		p.sws = p.sws[1:]
		return h(sw), nil
	}
	return p.card.Transmit(ctx, cmd)
}

// tapPutData taps MastercardOffline with Tags To Write before and after
// and the PUT DATA answers sws; it returns the outcome and the commands
// from the last READ RECORD on, by name (GENERATE AC 80AE, PUT DATA in
// full with its answer).
func tapPutData(t *testing.T, before, after string, sws ...string) (*[]byte, []string) {
	t.Helper()
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(t, card, tapOpts{amount: 2000})
	tl := &timedLink{t: &putDataCard{card: card, sws: sws}, clk: tp.clock}
	tp.rec = apdu.NewRecorder(tl)
	tp.act.Card = tp.rec
	out, err := New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, TagsToWriteBeforeGenAC: h(before), TagsToWriteAfterGenAC: h(after)}).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	var cmds []string
	for _, e := range tp.rec.Entries() {
		switch e.Command[1] {
		case apdu.InsReadRecord:
			cmds = nil
		case apdu.InsGenerateAC:
			cmds = append(cmds, "80AE")
		default:
			cmds = append(cmds, hexs(e.Command)+" "+hexs(e.Response))
		}
	}
	return &out.DiscretionaryData, cmds
}

// putDataStatus is the Pre- (DF810F) and Post-Gen AC Put Data Status
// (DF810E) of the Discretionary Data, "" when absent.
func putDataStatus(dd []byte) (pre, post string) {
	if v, ok := tlv.Find(dd, tagPreGenACPutDataStatus); ok {
		pre = hexs(v)
	}
	if v, ok := tlv.Find(dd, tagPostGenACPutDataStatus); ok {
		post = hexs(v)
	}
	return pre, post
}

// Book C-2 States 12 and 15: each object of Tags To Write Before Gen AC
// is written with PUT DATA 80 DA (tag in P1 P2) before GENERATE AC, each
// of After Gen AC after its response, in order; all answered 9000: Pre-
// and Post-Gen AC Put Data Status "completed" (80) in the Discretionary
// Data. A one-byte tag goes with P1 00; a constructed object and a
// three-byte tag are not written.
func TestTagsToWrite(t *testing.T) {
	dd, cmds := tapPutData(t, "9F7001AA"+"C1021234", "DF81010100"+"E1049F7001BB"+"9F7502CCDD")
	assert.Equal(t, []string{
		"80DA9F7001AA 9000",
		"80DA00C1021234 9000",
		"80AE",
		"80DA9F7502CCDD 9000",
	}, cmds)
	pre, post := putDataStatus(*dd)
	assert.Equal(t, "80", pre)
	assert.Equal(t, "80", post)
}

// Book C-2 States 12 and 15: a PUT DATA answered other than 9000 ends the
// writing of its list (the objects after it are not sent), the status
// stays 00 and the transaction goes on to its outcome; no Tags To Write:
// no PUT DATA and no status.
func TestTagsToWriteRefused(t *testing.T) {
	dd, cmds := tapPutData(t, "9F7001AA"+"9F7101BB", "9F7201CC"+"9F7301DD", "6A80", "9000", "6985")
	assert.Equal(t, []string{
		"80DA9F7001AA 6A80",
		"80AE",
		"80DA9F7201CC 9000",
		"80DA9F7301DD 6985",
	}, cmds)
	pre, post := putDataStatus(*dd)
	assert.Equal(t, "00", pre)
	assert.Equal(t, "00", post)

	dd, cmds = tapPutData(t, "", "")
	assert.Equal(t, []string{"80AE"}, cmds)
	pre, post = putDataStatus(*dd)
	assert.Equal(t, "", pre)
	assert.Equal(t, "", post)
}

// putDataCmds lists the commands of a recorder from the last READ RECORD
// on: GENERATE AC as 80AE, the others in full with their answer ("" for
// none: the link failed).
func putDataCmds(rec *apdu.Recorder) []string {
	var cmds []string
	for _, e := range rec.Entries() {
		switch e.Command[1] {
		case apdu.InsReadRecord:
			cmds = nil
		case apdu.InsGenerateAC:
			cmds = append(cmds, "80AE")
		default:
			cmds = append(cmds, hexs(e.Command)+" "+hexs(e.Response))
		}
	}
	return cmds
}

// Book C-2 DET with Tags To Write: the DET of State 2 and the DET after
// record reading add Tags To Write Before Gen AC (FF8102) and After Gen AC
// (FF8103) to the Config's lists, in order: PUT DATA of the Config's
// object, then the DETs', before GENERATE AC (State 12) and after its
// response (State 15); all answered 9000: both statuses 80.
func TestC2TagsToWriteFromDET(t *testing.T) {
	pt := newPDOLTap(t, "DF8112025F24")
	cfg := Config{TagsToWriteBeforeGenAC: h("9F7101BB")}
	out, err := pt.run(t, cfg, func(_ context.Context, _ *clock, d DataExchange) (DET, error) {
		if len(d.DataNeeded) > 0 { // State 2
			return DET{Data: h("9F350122"), TagsToWriteBeforeGenAC: h("9F7001AA"), TagsToWriteAfterGenAC: h("9F7502CCDD")}, nil
		}
		return DET{TagsToWriteAfterGenAC: h("9F7601EE"), TagsToWriteBeforeGenAC: h("9F7201CC")}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	require.Len(t, pt.deks, 2)
	assert.Equal(t, "5F2403301231", hexs(pt.deks[1].DataToSend))
	assert.Equal(t, []string{
		"80DA9F7101BB 9000",
		"80DA9F7001AA 9000",
		"80DA9F7201CC 9000",
		"80AE",
		"80DA9F7502CCDD 9000",
		"80DA9F7601EE 9000",
	}, putDataCmds(pt.tp.rec))
	pre, post := putDataStatus(out.DiscretionaryData)
	assert.Equal(t, "80", pre)
	assert.Equal(t, "80", post)
}

// Book C-2 State 12: the card leaves the field during PUT DATA before
// GENERATE AC: the link's error (the Entry Point's Try Again), no outcome,
// and nothing sent after the PUT DATA that failed.
func TestC2CardLostDuringPutDataBeforeGenAC(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(t, card, tapOpts{amount: 2000})
	tp.rec = apdu.NewRecorder(&timedLink{t: &putDataCard{card: card, lostAt: 2}, clk: tp.clock})
	tp.act.Card = tp.rec
	out, err := New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, TagsToWriteBeforeGenAC: h("9F7001AA9F7101BB9F7201CC")}).Activate(context.Background(), tp.act)
	assert.Nil(t, out)
	require.Error(t, err)
	assert.True(t, errors.Is(err, apdu.ErrCardRemoved))
	assert.True(t, errors.Is(err, ErrLink))
	assert.Equal(t, []string{"80DA9F7001AA 9000", "80DA9F7101BB "}, putDataCmds(tp.rec))
}

// Book C-2 State 15: the card leaves the field during PUT DATA after
// GENERATE AC: the card has given its cryptogram, so the transaction
// completes (Approved) with the Post-Gen AC Put Data Status 00 (not
// completed), the Pre-Gen AC 80, and Error Indication all zero.
func TestC2CardLostDuringPutDataAfterGenAC(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(t, card, tapOpts{amount: 2000})
	tp.rec = apdu.NewRecorder(&timedLink{t: &putDataCard{card: card, lostAt: 3}, clk: tp.clock})
	tp.act.Card = tp.rec
	out, err := New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, TagsToWriteBeforeGenAC: h("9F7001AA"), TagsToWriteAfterGenAC: h("9F7502CCDD9F7601EE9F7701FF")}).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	assert.Equal(t, []string{"80DA9F7001AA 9000", "80AE", "80DA9F7502CCDD 9000", "80DA9F7601EE "}, putDataCmds(tp.rec))
	pre, post := putDataStatus(out.DiscretionaryData)
	assert.Equal(t, "80", pre)
	assert.Equal(t, "00", post)
	assert.Equal(t, errNone, tag(t, out.DiscretionaryData, tagErrorIndication))
	assert.Equal(t, "0000000002", tag(t, out.DataRecord, 0x95))
}
