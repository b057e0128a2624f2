package kernel3

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/kerneltest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "re-record testdata/sessions/contactless/kernel3 from the virtual cards")

const sessionDir = "../../testdata/sessions/contactless/kernel3"

// sessionHeader is the kernel's part of a recorded contactless session:
// what the kernel was activated with and what it decided.
type sessionHeader struct {
	Scenario     string `json:"scenario"`
	Profile      string `json:"profile"`
	AID          string `json:"aid"`
	FCI          string `json:"fci"`
	Amount       uint64 `json:"amount"`
	Other        uint64 `json:"other"`
	Type         byte   `json:"type"`
	TTQ          string `json:"ttq"`
	Date         string `json:"date"`
	UN           string `json:"un"`
	ExceptionPAN string `json:"exception_pan,omitempty"`
	NoCAKeys     bool   `json:"no_ca_keys,omitempty"`
	Expect       struct {
		Outcome           string   `json:"outcome"`
		DataRecord        string   `json:"data_record"`
		DiscretionaryData string   `json:"discretionary_data"`
		UI                []string `json:"ui"`
	} `json:"expect"`
}

// TestKernel3Sessions replays every recorded contactless session byte for
// byte (apdu.ReplayStrict) through Kernel 3 and requires the recorded
// outcome, Data Record, Discretionary Data and UI requests. The sessions are
// the scenarios of TestKernel3, recorded by go test -run TestKernel3 -update.
func TestKernel3Sessions(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sessionDir, "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 20)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			s, hd := readSession(t, f)
			a, ui := sessionActivation(t, hd, apdu.NewReplay(s, apdu.ReplayStrict))
			out, err := New(Config{}).Activate(context.Background(), a)
			require.NoError(t, err)
			assert.Equal(t, hd.Expect.Outcome, out.Parameters.String())
			assert.Equal(t, hd.Expect.DataRecord, hexs(out.DataRecord))
			assert.Equal(t, hd.Expect.DiscretionaryData, hexs(out.DiscretionaryData))
			assert.Equal(t, hd.Expect.UI, uiStrings(*ui))
			assert.NoError(t, a.Card.(*apdu.Replay).Close())
		})
	}
}

func readSession(t testing.TB, path string) (*apdu.Session, *sessionHeader) {
	return kerneltest.ReadSession[sessionHeader](t, path)
}

// sessionActivation rebuilds the activation of a recorded session; the CA
// keys are the virtual cards' (emvtest.BuiltinCAPublicKeys).
func sessionActivation(t testing.TB, hd *sessionHeader, card apdu.Transceiver) (*contactless.Activation, *[]contactless.UIRequest) {
	ui := &[]contactless.UIRequest{}
	a := &contactless.Activation{
		Card:         card,
		Start:        contactless.StartA,
		Combination:  &contactless.Combination{AID: h(hd.AID), Kernel: contactless.Kernel3},
		FCI:          h(hd.FCI),
		Indicators:   contactless.Indicators{TTQ: [4]byte(h(hd.TTQ))},
		Transaction:  &contactless.Transaction{Type: hd.Type, Amount: hd.Amount, OtherAmount: hd.Other, Time: testTime},
		TerminalData: terminalData(hd.Amount, hd.Other, hd.Type, hd.Date, hd.TTQ),
		UI:           func(u contactless.UIRequest) { *ui = append(*ui, u) },
		Time:         func() time.Time { return testTime },
		Rand:         bytes.NewReader(h(hd.UN)),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if !hd.NoCAKeys {
		a.CAKeys = kerneltest.BuiltinCAKeys(t)
	}
	if hd.ExceptionPAN != "" {
		a.ExceptionFile = kerneltest.ExceptionFile(hd.ExceptionPAN)
	}
	return a, ui
}

// recordSession writes a scenario's session file.
func recordSession(t *testing.T, sc *scenario, tp *tap, out *contactless.Outcome) {
	var hd sessionHeader
	hd.Scenario, hd.Profile, hd.AID, hd.FCI = sc.name, sc.profile().Name, visaAID, hexs(tp.fci)
	hd.Amount, hd.Other, hd.Type, hd.TTQ = sc.opts.amount, sc.opts.other, sc.opts.typ, hexs(tp.act.Indicators.TTQ[:])
	hd.Date, hd.UN, hd.NoCAKeys = testDate, testUN, sc.opts.noCAKeys
	if sc.opts.exceptionFile {
		hd.ExceptionPAN = tp.card.Profile().PAN
	}
	hd.Expect.Outcome, hd.Expect.DataRecord, hd.Expect.DiscretionaryData = out.Parameters.String(), hexs(out.DataRecord), hexs(out.DiscretionaryData)
	hd.Expect.UI = uiStrings(tp.ui)
	s := tp.rec.Session("emv/emvtest profile "+hd.Profile+" (with the scenario's knobs), recorded by go test ./contactless/kernel3 -run TestKernel3 -update",
		"Book C-3: "+sc.name+": Kernel 3 decides "+out.Parameters.String())
	kerneltest.WriteSession(t, sessionDir, sc.name, s, hd)
}
