package kernel7

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/kerneltest"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/require"
)

// The reader of the tests: TTQ base 36 00 40 80 (qUICS, contact chip,
// online PIN, signature; consumer device CVM; fDDA version 01), China: CNY
// (156), 2 December 2026.
const (
	ttqBase     = "36004080"
	testDate    = "261202"
	testUN      = "11223344"
	debitAID    = emvtest.AIDUnionPayDebit
	terminalHex = "9F1A0201565F2A0201565F3601029F3501229F3303E0F8C89F4005F000F0A0019F1E0831323334353637389F090200309F1C083030303030303031"
)

var testTime = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)

// The helpers both quick kernels' tests use.
var (
	h         = kerneltest.H
	hexs      = kerneltest.Hex
	bcdAmount = kerneltest.BCDAmount
	tag       = kerneltest.Tag
	uiStrings = kerneltest.UIStrings
)

// terminalData is the Entry Point's terminal data of a tap (Book B
// §3.4.1.1): the reader's, then the transaction's, then the TTQ.
func terminalData(amount, other uint64, typ byte, date, ttq string) []byte {
	return kerneltest.TerminalData(terminalHex, amount, other, typ, date, ttq)
}

// tap is one kernel activation on a virtual card, selected as the Entry
// Point selects it (Book B §3.3: SELECT of the AID, the FCI handed over).
type tap struct {
	card *emvtest.Card
	rec  *apdu.Recorder
	act  *contactless.Activation
	ui   []contactless.UIRequest
	fci  []byte
	aid  string
}

type tapOpts struct {
	amount, other uint64
	typ           byte
	ttq           string // hex; "" is ttqBase
	aid           string // "" is the debit AID
	exceptionFile bool
	noCAKeys      bool
	floorLimit    bool // pre-processing: Reader Contactless Floor Limit exceeded
}

func newTap(t testing.TB, card *emvtest.Card, o tapOpts) *tap {
	t.Helper()
	aid := o.aid
	if aid == "" {
		aid = hexs(card.Profile().Applications[0].AID)
	}
	r, err := apdu.Exchange(context.Background(), card, apdu.Select(h(aid), false))
	require.NoError(t, err)
	require.Equal(t, apdu.SWOK, r.SW, "SELECT %s", aid)
	ttq := o.ttq
	if ttq == "" {
		ttq = ttqBase
	}
	tp := &tap{card: card, rec: apdu.NewRecorder(card), fci: r.Data, aid: aid}
	a := &contactless.Activation{
		Card:         tp.rec,
		Start:        contactless.StartA,
		Combination:  &contactless.Combination{AID: h(aid), Kernel: contactless.Kernel7, KernelIdentifier: []byte{7}},
		FCI:          r.Data,
		Indicators:   contactless.Indicators{TTQ: [4]byte(h(ttq)), ReaderContactlessFloorLimitExceeded: o.floorLimit},
		Transaction:  &contactless.Transaction{Type: o.typ, Amount: o.amount, OtherAmount: o.other, Time: testTime},
		TerminalData: terminalData(o.amount, o.other, o.typ, testDate, ttq),
		UI:           func(u contactless.UIRequest) { tp.ui = append(tp.ui, u) },
		Time:         func() time.Time { return testTime },
		Rand:         bytes.NewReader(h(testUN)),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if !o.noCAKeys {
		a.CAKeys = card.KeyStore()
	}
	if o.exceptionFile {
		a.ExceptionFile = kerneltest.ExceptionFile(card.Profile().PAN)
	}
	tp.act = a
	return tp
}

func (tp *tap) run(t testing.TB) *contactless.Outcome {
	t.Helper()
	out, err := New(Config{}).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	require.NotNil(t, out)
	return out
}

// headers lists the commands the kernel sent as CLA INS P1 P2 in hex.
func (tp *tap) headers() []string { return kerneltest.Headers(tp.rec) }
