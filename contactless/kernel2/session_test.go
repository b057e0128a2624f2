package kernel2

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "re-record testdata/sessions/contactless/kernel2 from the virtual cards")

const sessionDir = "../../testdata/sessions/contactless/kernel2"

// sessionHeader is the kernel's part of a recorded Kernel 2 session: what
// the kernel was activated with, how long each exchange took on the relay
// resistance timer, and what it decided.
type sessionHeader struct {
	Scenario     string `json:"scenario"`
	Profile      string `json:"profile"`
	AID          string `json:"aid"`
	FCI          string `json:"fci"`
	Amount       uint64 `json:"amount"`
	Other        uint64 `json:"other"`
	Type         byte   `json:"type"`
	Date         string `json:"date"`
	Rand         string `json:"rand"`
	TerminalData string `json:"terminal_data"`
	KernelData   string `json:"kernel_data"`
	ExceptionPAN string `json:"exception_pan,omitempty"`
	NoCAKeys     bool   `json:"no_ca_keys,omitempty"`
	// DET is the DET data the terminal answers every DEK with, DETMillis
	// after it on the relay resistance timer; "": no data exchange.
	DET       string `json:"det,omitempty"`
	DETMillis int    `json:"det_ms,omitempty"`
	// ExchangeMicros is, per exchange, the time in microseconds between
	// the command going out and its answer coming back.
	ExchangeMicros []int `json:"exchange_us"`
	Expect         struct {
		Outcome           string   `json:"outcome"`
		DataRecord        string   `json:"data_record"`
		DiscretionaryData string   `json:"discretionary_data"`
		UI                []string `json:"ui"`
	} `json:"expect"`
}

func uiStrings(u []contactless.UIRequest) []string {
	out := []string{}
	for _, r := range u {
		out = append(out, r.String())
	}
	return out
}

// timedLink measures each exchange on the test clock (the virtual card
// advances it), for the recording.
type timedLink struct {
	t   apdu.Transceiver
	clk *clock
	us  []int
}

func (l *timedLink) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	t0 := l.clk.now()
	r, err := l.t.Transmit(ctx, cmd)
	l.us = append(l.us, int(l.clk.now().Sub(t0)/time.Microsecond))
	return r, err
}

// replayLink answers from a recording and advances the clock by the
// recorded time of each exchange.
type replayLink struct {
	r   *apdu.Replay
	clk *clock
	us  []int
	n   int
}

func (l *replayLink) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	r, err := l.r.Transmit(ctx, cmd)
	if l.n < len(l.us) {
		_ = l.clk.sleep(ctx, time.Duration(l.us[l.n])*time.Microsecond)
	}
	l.n++
	return r, err
}

// sessionFile names a scenario's recording: its name with every run of
// other characters than letters and digits made one underscore.
func sessionFile(name string) string {
	var b strings.Builder
	under := false
	for _, r := range name {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under {
			b.WriteByte('_')
			under = true
		}
	}
	s := strings.Trim(b.String(), "_")
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "_")
	}
	return s + ".json"
}

// TestKernel2Sessions replays every recorded Kernel 2 session byte for byte
// (apdu.ReplayStrict) and requires the recorded outcome, Data Record,
// Discretionary Data and UI requests. The sessions are the scenarios of
// TestScenarios, recorded by go test ./contactless/kernel2 -run
// TestScenarios -update.
func TestKernel2Sessions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sessionDir, "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			s, hd := readSession(t, f)
			clk := &clock{t: testTime}
			rp := apdu.NewReplay(s, apdu.ReplayStrict)
			a, ui := sessionActivation(t, hd, &replayLink{r: rp, clk: clk, us: hd.ExchangeMicros})
			out, err := detKernel(clk, hd.DET, hd.DETMillis).Activate(context.Background(), a)
			require.NoError(t, err)
			assert.Equal(t, hd.Expect.Outcome, out.Parameters.String())
			assert.Equal(t, hd.Expect.DataRecord, hexs(out.DataRecord))
			assert.Equal(t, hd.Expect.DiscretionaryData, hexs(out.DiscretionaryData))
			assert.Equal(t, hd.Expect.UI, uiStrings(*ui))
			assert.NoError(t, rp.Close())
		})
	}
}

func readSession(t testing.TB, path string) (*apdu.Session, *sessionHeader) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	s, err := apdu.ReadSession(f)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(s.Kernel))
	dec.DisallowUnknownFields()
	var hd sessionHeader
	require.NoError(t, dec.Decode(&hd))
	return s, &hd
}

// sessionActivation rebuilds the activation of a recorded session; the CA
// keys are the virtual cards' (emvtest.BuiltinCAPublicKeys).
func sessionActivation(t testing.TB, hd *sessionHeader, card apdu.Transceiver) (*contactless.Activation, *[]contactless.UIRequest) {
	td := h(hd.TerminalData)
	td = append(td, h(hd.KernelData)...)
	td = tlv.AppendTLV(td, 0x9F02, bcdAmount(hd.Amount))
	td = tlv.AppendTLV(td, 0x9F03, bcdAmount(hd.Other))
	td = tlv.AppendTLV(td, 0x9C, []byte{hd.Type})
	td = tlv.AppendTLV(td, 0x9A, h(hd.Date))
	td = tlv.AppendTLV(td, 0x9F21, h("103000"))
	ui := &[]contactless.UIRequest{}
	a := &contactless.Activation{
		Card:         card,
		Start:        contactless.StartA,
		Combination:  &contactless.Combination{AID: h(hd.AID), Kernel: contactless.Kernel2, KernelIdentifier: []byte{2}},
		FCI:          h(hd.FCI),
		Transaction:  &contactless.Transaction{Type: hd.Type, Amount: hd.Amount, OtherAmount: hd.Other, Time: testTime},
		TerminalData: td,
		UI:           func(u contactless.UIRequest) { *ui = append(*ui, u) },
		Time:         func() time.Time { return testTime },
		Rand:         bytes.NewReader(h(hd.Rand)),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if !hd.NoCAKeys {
		ks := oda.NewKeyStore()
		for _, k := range emvtest.BuiltinCAPublicKeys() {
			require.NoError(t, ks.Add(k.CAKey()))
		}
		a.CAKeys = ks
	}
	if hd.ExceptionPAN != "" {
		a.ExceptionFile = func(p, _ []byte) bool { return strings.TrimRight(hexs(p), "F") == hd.ExceptionPAN }
	}
	return a, ui
}

// recordSession writes a scenario's session file.
func recordSession(t *testing.T, sc *scenario, tp *tap, tl *timedLink, out *contactless.Outcome) {
	require.NoError(t, os.MkdirAll(sessionDir, 0o755))
	var hd sessionHeader
	hd.Scenario, hd.Profile, hd.AID, hd.FCI = sc.name, sc.profile().Name, mcAID, hexs(tp.act.FCI)
	hd.Amount, hd.Other, hd.Type, hd.Date = sc.opts.amount, sc.opts.other, sc.opts.typ, testDate
	hd.Rand, hd.NoCAKeys = hexs(tp.rand), sc.opts.noCAKeys
	hd.DET, hd.DETMillis = sc.det, sc.detMillis
	hd.TerminalData = hexs(h(terminalHex))
	if sc.opts.terminal != "" {
		hd.TerminalData = hexs(h(sc.opts.terminal))
	}
	kd := kernelDataHex
	if sc.opts.kernelData != "" {
		kd = sc.opts.kernelData
	}
	hd.KernelData = hexs(h(kd + sc.opts.extraData))
	if sc.opts.exceptionFile {
		hd.ExceptionPAN = tp.card.Profile().PAN
	}
	hd.ExchangeMicros = tl.us
	hd.Expect.Outcome, hd.Expect.DataRecord, hd.Expect.DiscretionaryData = out.Parameters.String(), hexs(out.DataRecord), hexs(out.DiscretionaryData)
	hd.Expect.UI = uiStrings(tp.ui)
	raw, err := json.Marshal(hd)
	require.NoError(t, err)
	s := tp.rec.Session("emv/emvtest profile "+hd.Profile+" (with the scenario's knobs), recorded by go test ./contactless/kernel2 -run TestScenarios -update",
		"Book C-2: "+sc.name+": Kernel 2 decides "+out.Parameters.String())
	s.Kernel = raw
	var b bytes.Buffer
	require.NoError(t, s.Write(&b))
	require.NoError(t, os.WriteFile(filepath.Join(sessionDir, sessionFile(sc.name)), b.Bytes(), 0o644))
}
