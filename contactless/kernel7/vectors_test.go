package kernel7

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logVector is one UnionPay session of testdata/quickpass_log.json.
type logVector struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Terminal struct {
		TTQ, Amount, Other, Country, Currency, Type, Date, UN string
	} `json:"terminal"`
	Exchanges []struct {
		Command  string `json:"command"`
		Response string `json:"response"`
	} `json:"exchanges"`
	LoggedField55 string `json:"logged_field55"`
}

func loadLog(t *testing.T) *logVector {
	raw, err := os.ReadFile("testdata/quickpass_log.json")
	require.NoError(t, err)
	var f struct {
		Cases []*logVector `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	require.Len(t, f.Cases, 1)
	require.NotEmpty(t, f.Cases[0].Source)
	return f.Cases[0]
}

func (v *logVector) replay() *apdu.Replay {
	s := &apdu.Session{Source: v.Source, Proves: v.ID}
	for _, e := range v.Exchanges {
		s.Exchanges = append(s.Exchanges, apdu.SessionExchange{Command: h(e.Command), Response: h(e.Response)})
	}
	return apdu.NewReplay(s, apdu.ReplayStrict)
}

// checkLogged requires the outcome of the real card's session: Online
// Request, No CVM, the ARQC type from the UnionPay IAD (no 9F27 from the
// card), TVR 0000000000, 9F5D 387.87 in the Discretionary Data, and the
// Data Record equal to the source app's field 55 for every tag both hold.
func checkLogged(t *testing.T, v *logVector, out *contactless.Outcome) {
	assert.Equal(t, "Online Request, CVM No CVM, UI on outcome [Authorising Please Wait, Card Read Successfully, language zh], Data Record, Discretionary Data",
		out.Parameters.String())
	assert.Equal(t, "9F5D06000000038787", hexs(out.DiscretionaryData))
	assert.Equal(t, "0000000000", tag(t, out.DataRecord, 0x95))
	assert.Equal(t, "0000", tag(t, out.DataRecord, 0x9F6C))
	tr, err := tlv.Parse(h(v.LoggedField55))
	require.NoError(t, err)
	logged := tr.List()
	compared := 0
	for _, o := range logged {
		got, ok := tlv.Find(out.DataRecord, o.Tag)
		if !ok {
			continue // 9F34, 9F41: the app's own, not Kernel 7's
		}
		switch o.Tag {
		case 0x9F33, 0x9F35, 0x9F1E, 0x9F09:
			continue // the source terminal's configuration, not the session's
		}
		assert.Equal(t, hexs(o.Value), hexs(got), "%s", o.Tag)
		compared++
	}
	assert.Equal(t, 14, compared, "9F26 9F27 9F10 9F37 9F36 95 9A 9C 9F02 5F2A 82 9F1A 9F03 84")
}

// A real UnionPay qPBOC card's session (testdata/quickpass_log.json,
// trust D), replayed byte for byte through Kernel 7 alone: the recorded GPO
// command is rebuilt from the PDOL and the terminal data it carries.
func TestQuickPassLog_Kernel(t *testing.T) {
	v := loadLog(t)
	rp := v.replay()
	ctx := context.Background()
	r, err := apdu.Exchange(ctx, rp, apdu.Select([]byte("2PAY.SYS.DDF01"), false))
	require.NoError(t, err)
	require.Equal(t, apdu.SWOK, r.SW)
	r, err = apdu.Exchange(ctx, rp, apdu.Select(h("A000000333010101"), false))
	require.NoError(t, err)
	require.Equal(t, apdu.SWOK, r.SW)
	tm := v.Terminal
	var td []byte
	td = tlv.AppendTLV(td, 0x9F1A, h(tm.Country))
	td = tlv.AppendTLV(td, 0x5F2A, h(tm.Currency))
	td = tlv.AppendTLV(td, 0x9F02, h(tm.Amount))
	td = tlv.AppendTLV(td, 0x9F03, h(tm.Other))
	td = tlv.AppendTLV(td, 0x9C, h(tm.Type))
	td = tlv.AppendTLV(td, 0x9A, h(tm.Date))
	td = tlv.AppendTLV(td, 0x9F66, h(tm.TTQ))
	var ui []contactless.UIRequest
	a := &contactless.Activation{
		Card: rp, Start: contactless.StartA,
		Combination:  &contactless.Combination{AID: h("A000000333010101"), Kernel: contactless.Kernel7},
		FCI:          r.Data,
		Indicators:   contactless.Indicators{TTQ: [4]byte(h(tm.TTQ))},
		Transaction:  &contactless.Transaction{Amount: 1},
		TerminalData: td,
		UI:           func(u contactless.UIRequest) { ui = append(ui, u) },
		Time:         func() time.Time { return time.Date(2017, 6, 1, 12, 0, 0, 0, time.UTC) },
		Rand:         bytes.NewReader(h(tm.UN)),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	out, err := New(Config{}).Activate(ctx, a)
	require.NoError(t, err)
	checkLogged(t, v, out)
	assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27), "the ARQC from IAD byte 5 bits 6-5")
	assert.Equal(t, []contactless.MessageID{contactless.MsgCardReadOK}, messages(ui), "no records: card read complete after GPO")
	require.NoError(t, rp.Close())
}

// The same session through the Entry Point (Book B): the PPSE entry names
// no kernel, so the RID A000000333 gives Kernel 7; pre-processing with a
// zero floor limit sets the TTQ's online cryptogram bit the card saw.
func TestQuickPassLog_EntryPoint(t *testing.T) {
	v := loadLog(t)
	rp := v.replay()
	cfg := &contactless.Config{
		Country: 156, Currency: 156, CurrencyExponent: 2,
		Combinations: []contactless.CombinationConfig{
			{AID: h("A000000333"), Kernel: contactless.Kernel7, TTQ: h("36000000"),
				ReaderCVMRequiredLimit: u64(100000), ReaderContactlessFloorLimit: u64(0), ReaderContactlessTransactionLimit: u64(100000)},
		},
		Time: func() time.Time { return time.Date(2017, 6, 1, 12, 0, 0, 0, time.UTC) },
		Rand: bytes.NewReader(h(v.Terminal.UN)),
	}
	ep := &contactless.EntryPoint{Config: cfg, Kernels: map[contactless.KernelID]contactless.Kernel{ID: New(Config{})}}
	res, err := ep.Run(context.Background(), contactless.OneCard(rp), &contactless.Transaction{Amount: 1})
	require.NoError(t, err)
	require.NotNil(t, res.Combination)
	assert.Nil(t, res.Combination.KernelIdentifier, "no 9F2A in the PPSE entry")
	assert.Equal(t, contactless.Kernel7, res.Combination.Kernel)
	checkLogged(t, v, res.Outcome)
	require.NoError(t, rp.Close())
}
