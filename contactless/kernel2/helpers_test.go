package kernel2

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/require"
)

// The reader of the tests: US dollars, 2 December 2026, terminal type 22
// (attended, offline with online capability), Application Version Number
// 0002, and the Kernel 2 terminal data of kernelDataHex: Kernel
// Configuration 30 (on-device CVM, relay resistance), Card Data Input
// Capability E0, CVM Capability – CVM Required 60 (online PIN, signature),
// – No CVM Required 08, Security Capability 08 (CDA), TACs (default,
// denial, online) F45084800C / 0000000000 / F45084800C, floor limit
// 100.00, transaction limits 300.00 (no on-device CVM) and 1000.00
// (on-device CVM), CVM required limit 50.00, message hold time 1.3 s, and
// the relay resistance parameters of Book C-2's defaults written out.
const (
	testDate      = "261202"
	testUN        = "11223344"
	mcAID         = "A0000000041010"
	terminalHex   = "9F1A0208405F2A0208405F3601029F3501229F3303E0F8C89F4005F000F0A0019F09020002"
	kernelDataHex = "DF811B0130 DF810C0102 DF811701E0 DF81180160 DF81190108 DF811F0108" +
		"DF8120 05 F45084800C DF8121 05 0000000000 DF8122 05 F45084800C" +
		"DF8123 06 000000010000 DF8124 06 000000030000 DF8125 06 000000100000 DF8126 06 000000005000" +
		"DF812D 03 000013 DF8132 02 0014 DF8133 02 0032 DF8134 02 0012 DF8135 02 0018 DF8136 02 012C DF8137 01 32"
)

var testTime = time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func hexs(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func bcdAmount(v uint64) []byte { return h(fmt.Sprintf("%012d", v)) }

// clock is the relay resistance timer of the tests: the virtual card
// advances it by the time it takes to answer, so the measured time is
// exact.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// tap is one kernel activation on a virtual card, selected as the Entry
// Point selects it (Book B §3.3: SELECT of the AID, the FCI handed over).
type tap struct {
	card  *emvtest.Card
	rec   *apdu.Recorder
	act   *contactless.Activation
	ui    []contactless.UIRequest
	clock *clock
	rand  []byte // the reader's random bytes
}

type tapOpts struct {
	amount, other uint64
	typ           byte
	kernelData    string // hex replacing kernelDataHex when not ""
	extraData     string // hex appended to the kernel data
	terminal      string // hex replacing terminalHex when not ""
	exceptionFile bool
	noCAKeys      bool
	rand          []byte // the reader's unpredictable numbers; nil: testUN then zeros
}

func newTap(t testing.TB, card *emvtest.Card, o tapOpts) *tap {
	t.Helper()
	r, err := apdu.Exchange(context.Background(), card, apdu.Select(h(mcAID), false))
	require.NoError(t, err)
	require.Equal(t, apdu.SWOK, r.SW, "SELECT %s", mcAID)
	term := terminalHex
	if o.terminal != "" {
		term = o.terminal
	}
	kd := kernelDataHex
	if o.kernelData != "" {
		kd = o.kernelData
	}
	td := h(term)
	td = append(td, h(kd+o.extraData)...)
	td = tlv.AppendTLV(td, 0x9F02, bcdAmount(o.amount))
	td = tlv.AppendTLV(td, 0x9F03, bcdAmount(o.other))
	td = tlv.AppendTLV(td, 0x9C, []byte{o.typ})
	td = tlv.AppendTLV(td, 0x9A, h(testDate))
	td = tlv.AppendTLV(td, 0x9F21, h("103000"))
	rnd := o.rand
	if rnd == nil {
		rnd = append(h(testUN), h("55667788 99AABBCC DDEEFF00")...)
	}
	tp := &tap{card: card, rec: apdu.NewRecorder(card), clock: &clock{t: testTime}, rand: rnd}
	card.SetSleep(tp.clock.sleep)
	a := &contactless.Activation{
		Card:         tp.rec,
		Start:        contactless.StartA,
		Combination:  &contactless.Combination{AID: h(mcAID), Kernel: contactless.Kernel2, KernelIdentifier: []byte{2}},
		FCI:          r.Data,
		Transaction:  &contactless.Transaction{Type: o.typ, Amount: o.amount, OtherAmount: o.other, Time: testTime},
		TerminalData: td,
		UI:           func(u contactless.UIRequest) { tp.ui = append(tp.ui, u) },
		Time:         func() time.Time { return testTime },
		Rand:         bytes.NewReader(rnd),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if !o.noCAKeys {
		a.CAKeys = card.KeyStore()
	}
	if o.exceptionFile {
		pan := card.Profile().PAN
		a.ExceptionFile = func(p, _ []byte) bool { return strings.TrimRight(hexs(p), "F") == pan }
	}
	tp.act = a
	return tp
}

func (tp *tap) kernel() *Kernel { return New(Config{Clock: tp.clock.now, Sleep: tp.clock.sleep}) }

func (tp *tap) run(t testing.TB) *contactless.Outcome {
	t.Helper()
	out, err := tp.kernel().Activate(context.Background(), tp.act)
	require.NoError(t, err)
	require.NotNil(t, out)
	return out
}

// headers lists the commands the kernel sent as CLA INS P1 P2 in hex.
func (tp *tap) headers() []string {
	var out []string
	for _, e := range tp.rec.Entries() {
		out = append(out, hexs(e.Command[:4]))
	}
	return out
}

func tag(t testing.TB, b []byte, tg tlv.Tag) string {
	t.Helper()
	v, ok := tlv.Find(b, tg)
	if !ok {
		return "absent"
	}
	return hexs(v)
}
