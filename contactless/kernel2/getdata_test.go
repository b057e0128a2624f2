package kernel2

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// tapGetData taps card with Tags To Read tagsToRead and, when listen, a
// terminal that answers no DET; it returns the DEKs and the commands sent
// after the last READ RECORD up to and including GENERATE AC, with their
// responses.
func tapGetData(t *testing.T, card *emvtest.Card, tagsToRead string, listen bool) ([]DataExchange, []string) {
	t.Helper()
	tp := newTap(t, card, tapOpts{amount: 2000, extraData: tagsToRead})
	tl := &timedLink{t: card, clk: tp.clock}
	tp.rec = apdu.NewRecorder(tl)
	tp.act.Card = tp.rec
	var deks []DataExchange
	cfg := Config{Clock: tp.clock.now, Sleep: tp.clock.sleep}
	if listen {
		cfg.DataExchange = func(_ context.Context, d DataExchange) (DET, error) {
			deks = append(deks, d)
			return DET{}, nil
		}
	}
	out, err := New(cfg).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	var cmds []string
	for _, e := range tp.rec.Entries() {
		switch {
		case e.Command[1] == apdu.InsReadRecord:
			cmds = nil
		case e.Command[1] == apdu.InsGenerateAC:
			return deks, append(cmds, hexs(e.Command[:2]))
		default:
			cmds = append(cmds, hexs(e.Command)+" "+hexs(e.Response))
		}
	}
	t.Fatal("no GENERATE AC")
	return nil, nil
}

// Book C-2 State 5 (Waiting for Get Data Response): the Tags To Read the
// records did not give and the card answers to GET DATA are read, in the
// order of DF8112 and each once, before the DEK; Data To Send carries the
// card's answers (9F36, 9F50), an object the card refuses (9F4F, 6A88)
// and one that is no GET DATA object (9F4D, never sent to the card) with
// length zero, and the records' 5F24 as read. The ATC is the profile's 0040
// counted once by GET PROCESSING OPTIONS.
func TestGetDataForTagsToRead(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardBalance())
	deks, cmds := tapGetData(t, card, "DF81120C"+"9F36"+"5F24"+"9F4F"+"9F50"+"9F4D"+"9F36", true)
	assert.Equal(t, []string{
		"80CA9F3600 9F360200419000",
		"80CA9F4F00 6A88",
		"80CA9F5000 9F50060000000250009000",
		"80AE",
	}, cmds)
	require.Len(t, deks, 1)
	assert.Equal(t, "9F36020041"+"5F2403301231"+"9F4F00"+"9F5006000000025000"+"9F4D00"+"9F36020041", hexs(deks[0].DataToSend))
	assert.Empty(t, deks[0].DataNeeded)
}

// No terminal listening for data exchange: nothing to send the objects
// to, so no GET DATA (Data To Send goes nowhere); Tags To Read all in the
// records: nothing to ask the card.
func TestGetDataOnlyWhenNeeded(t *testing.T) {
	_, cmds := tapGetData(t, emvtest.NewCard(emvtest.MastercardBalance()), "DF8112049F369F50", false)
	assert.Equal(t, []string{"80AE"}, cmds)

	deks, cmds := tapGetData(t, emvtest.NewCard(emvtest.MastercardBalance()), "DF8112025F24", true)
	assert.Equal(t, []string{"80AE"}, cmds)
	require.Len(t, deks, 1)
	assert.Equal(t, "5F2403301231", hexs(deks[0].DataToSend))
}

// Book C-2 State 5: the card leaves the field during GET DATA for a Tag To
// Read: the link's error (the Entry Point's Try Again), no outcome, no DEK
// (the terminal hears nothing of a transaction that ended), and nothing
// sent after the GET DATA that failed. The card's 8th command is that GET
// DATA (SELECT, GPO, ERRD, four records).
func TestC2CardLostDuringGetData(t *testing.T) {
	card := emvtest.NewCard(emvtest.MastercardBalance())
	tp := newTap(t, card, tapOpts{amount: 2000, extraData: "DF8112049F369F50"})
	card.RemoveAt(8)
	deks := 0
	cfg := Config{Clock: tp.clock.now, Sleep: tp.clock.sleep, DataExchange: func(context.Context, DataExchange) (DET, error) {
		deks++
		return DET{}, nil
	}}
	out, err := New(cfg).Activate(context.Background(), tp.act)
	assert.Nil(t, out)
	require.Error(t, err)
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
	assert.ErrorIs(t, err, ErrLink)
	assert.Equal(t, append(flow(true, ""), "80CA9F36"), tp.headers())
	assert.Zero(t, deks)
}
