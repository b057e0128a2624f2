package contactless_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/require"
)

// The SELECT PPSE command of Book B §3.3.2.1, as the tests expect it.
const selectPPSE = "00A404000E325041592E5359532E444446303100"

// selectAID is the final SELECT of Book B §3.3.3 for a hex AID.
func selectAID(aid string) string {
	return fmt.Sprintf("00A40400%02X%s00", len(aid)/2, strings.ToUpper(aid))
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func u64(v uint64) *uint64 { return &v }

// testCard is a scripted contactless card: it answers SELECT PPSE and
// SELECT of an AID from its tables, anything else with 6D00, and
// misbehaves when told to. It records every command.
type testCard struct {
	mu sync.Mutex
	// ppse is the answer to SELECT PPSE (data and status word); nil: 6A82.
	ppse []byte
	// apps answers SELECT by AID (upper-case hex of the name sent); an
	// AID not there: 6A82.
	apps map[string][]byte
	// other answers every other command; nil: 6D00.
	other []byte
	// collisions: the first n commands fail with ErrCollision.
	collisions int
	// fail: the command of that index (from 0) fails with the error.
	fail map[int]error
	// failFrom: every command from that index on fails with
	// apdu.ErrCardRemoved; 0 means never.
	failFrom int

	commands []string
}

func (c *testCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.commands)
	c.commands = append(c.commands, fmt.Sprintf("%X", cmd))
	if c.collisions > 0 {
		c.collisions--
		return nil, fmt.Errorf("reader: two cards: %w", contactless.ErrCollision)
	}
	if err := c.fail[i]; err != nil {
		return nil, err
	}
	if c.failFrom > 0 && i >= c.failFrom {
		return nil, apdu.ErrCardRemoved
	}
	cm, err := apdu.ParseCommand(cmd)
	if err != nil {
		return []byte{0x67, 0x00}, nil
	}
	if cm.INS == apdu.InsSelect && cm.P1 == 0x04 {
		if bytes.Equal(cm.Data, contactless.PPSEName) {
			if c.ppse == nil {
				return []byte{0x6A, 0x82}, nil
			}
			return c.ppse, nil
		}
		if r, ok := c.apps[fmt.Sprintf("%X", cm.Data)]; ok {
			return r, nil
		}
		return []byte{0x6A, 0x82}, nil
	}
	if c.other != nil {
		return c.other, nil
	}
	return []byte{0x6D, 0x00}, nil
}

// dirEntry is one Directory Entry 61 of a test PPSE.
type dirEntry struct {
	aid      string
	label    string
	prio     int    // -1: no 87
	kid      string // "": no 9F2A; "-": 9F2A of length 0
	ext      string // 9F29
	noADF    bool   // leave 4F out
	extraHex string // raw objects appended inside 61
}

func entry(aid string) dirEntry { return dirEntry{aid: aid, prio: -1} }

func (e dirEntry) withPrio(p int) dirEntry      { e.prio = p; return e }
func (e dirEntry) withKernel(k string) dirEntry { e.kid = k; return e }
func (e dirEntry) withLabel(l string) dirEntry  { e.label = l; return e }
func (e dirEntry) withExt(x string) dirEntry    { e.ext = x; return e }

func (e dirEntry) bytes() []byte {
	var v []byte
	if !e.noADF {
		v = tlv.AppendTLV(v, 0x4F, unhex(e.aid))
	}
	if e.label != "" {
		v = tlv.AppendTLV(v, 0x50, []byte(e.label))
	}
	if e.prio >= 0 {
		v = tlv.AppendTLV(v, 0x87, []byte{byte(e.prio)})
	}
	switch e.kid {
	case "":
	case "-":
		v = tlv.AppendTLV(v, 0x9F2A, nil)
	default:
		v = tlv.AppendTLV(v, 0x9F2A, unhex(e.kid))
	}
	if e.ext != "" {
		v = tlv.AppendTLV(v, 0x9F29, unhex(e.ext))
	}
	v = append(v, unhex(e.extraHex)...)
	return tlv.AppendTLV(nil, 0x61, v)
}

// ppseFCI is the data of a SELECT PPSE response holding the entries.
func ppseFCI(entries ...dirEntry) []byte {
	var dir []byte
	for _, e := range entries {
		dir = append(dir, e.bytes()...)
	}
	a5 := tlv.AppendTLV(nil, 0xBF0C, dir)
	fci := tlv.AppendTLV(nil, 0x84, contactless.PPSEName)
	fci = tlv.AppendTLV(fci, 0xA5, a5)
	return tlv.AppendTLV(nil, 0x6F, fci)
}

// ppse is a SELECT PPSE response (FCI and 9000).
func ppse(entries ...dirEntry) []byte { return append(ppseFCI(entries...), 0x90, 0x00) }

// adf is a final SELECT response: an FCI naming the AID, and 9000.
func adf(aid string) []byte {
	a5 := tlv.AppendTLV(nil, 0x50, []byte("TEST"))
	fci := tlv.AppendTLV(nil, 0x84, unhex(aid))
	fci = tlv.AppendTLV(fci, 0xA5, a5)
	return append(tlv.AppendTLV(nil, 0x6F, fci), 0x90, 0x00)
}

// cardWith answers the PPSE with the entries and selects each entry's AID.
func cardWith(entries ...dirEntry) *testCard {
	c := &testCard{ppse: ppse(entries...), apps: map[string][]byte{}}
	for _, e := range entries {
		name := strings.ToUpper(e.aid + e.ext)
		c.apps[strings.ToUpper(e.aid)] = adf(e.aid)
		c.apps[name] = adf(e.aid)
	}
	return c
}

var testTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

const (
	visaAID   = "A0000000031010"
	mcAID     = "A0000000041010"
	upiAID    = "A000000333010101"
	amexAID   = "A00000002501"
	jcbAID    = "A0000000651010"
	discAID   = "A0000001523010"
	unknownID = "A0000009990101"
)

// visa is a Kernel 3 combination with the usual limits: not allowed from
// 1000.00, online above 50.00, a CVM from 50.00, zero amount allowed.
func visa() contactless.CombinationConfig {
	return contactless.CombinationConfig{
		AID: unhex(visaAID), Kernel: contactless.Kernel3, ZeroAmountAllowed: true,
		ReaderContactlessTransactionLimit: u64(100000), ReaderContactlessFloorLimit: u64(5000),
		ReaderCVMRequiredLimit: u64(5000), TTQ: unhex("3600C000"),
	}
}

func mastercard() contactless.CombinationConfig {
	return contactless.CombinationConfig{
		AID: unhex(mcAID), Kernel: contactless.Kernel2, ZeroAmountAllowed: true,
		ReaderContactlessTransactionLimit: u64(100000), ReaderContactlessFloorLimit: u64(5000),
		ReaderCVMRequiredLimit: u64(5000),
	}
}

func unionpay() contactless.CombinationConfig {
	return contactless.CombinationConfig{
		AID: unhex("A000000333"), Kernel: contactless.Kernel7, ZeroAmountAllowed: true,
		ReaderContactlessTransactionLimit: u64(100000), TTQ: unhex("36008000"),
	}
}

func testConfig(combs ...contactless.CombinationConfig) *contactless.Config {
	return &contactless.Config{
		Country: 840, Currency: 840, CurrencyExponent: 2,
		MerchantCategory: 5999, TerminalID: "TERM0001",
		Combinations: combs,
		Time:         func() time.Time { return testTime },
		Rand:         bytes.NewReader(make([]byte, 64)),
	}
}

// activation is what a stub kernel saw of one activation.
type activation struct {
	Start          contactless.Start
	AID            string
	Kernel         contactless.KernelID
	FCI            string
	Indicators     contactless.Indicators
	TerminalData   []byte
	OnlineResponse []byte
}

// stubKernel returns its outcomes in order (the last one again when they
// run out) and records each activation; step may send commands or UI
// requests first.
type stubKernel struct {
	mu       sync.Mutex
	outcomes []*contactless.Outcome
	errs     []error
	step     func(ctx context.Context, a *contactless.Activation) error
	seen     []activation
}

func (k *stubKernel) Activate(ctx context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
	k.mu.Lock()
	i := len(k.seen)
	k.seen = append(k.seen, activation{
		Start: a.Start, AID: fmt.Sprintf("%X", a.Combination.AID), Kernel: a.Combination.Kernel,
		FCI: fmt.Sprintf("%X", a.FCI), Indicators: a.Indicators,
		TerminalData: append([]byte(nil), a.TerminalData...), OnlineResponse: append([]byte(nil), a.OnlineResponse...),
	})
	step := k.step
	k.mu.Unlock()
	if step != nil {
		if err := step(ctx, a); err != nil {
			return nil, err
		}
	}
	if i < len(k.errs) && k.errs[i] != nil {
		return nil, k.errs[i]
	}
	if len(k.outcomes) == 0 {
		return outcome(contactless.StatusApproved), nil
	}
	return k.outcomes[min(i, len(k.outcomes)-1)], nil
}

func outcome(s contactless.OutcomeStatus) *contactless.Outcome {
	return &contactless.Outcome{Parameters: contactless.NewParameterSet(s)}
}

// testField is a scripted field: its polls first return pollErrs in
// order, then the card; it records field-off and removal waits.
type testField struct {
	card     apdu.Transceiver
	pollErrs []error
	collide  bool // every poll after pollErrs collides
	polls    int
	offs     []time.Duration
	removals []time.Duration
}

func (f *testField) Poll(ctx context.Context) (apdu.Transceiver, error) {
	f.polls++
	if len(f.pollErrs) > 0 {
		err := f.pollErrs[0]
		f.pollErrs = f.pollErrs[1:]
		return nil, err
	}
	if f.collide {
		return nil, fmt.Errorf("field: %w", contactless.ErrCollision)
	}
	return f.card, nil
}

func (f *testField) Off(_ context.Context, d time.Duration) error {
	f.offs = append(f.offs, d)
	return nil
}

func (f *testField) WaitRemoval(_ context.Context, d time.Duration) error {
	f.removals = append(f.removals, d)
	return nil
}

var purchase = contactless.Transaction{Type: 0x00, Amount: 1000}

// kernels registers the stub under each id.
func kernels(k contactless.Kernel, ids ...contactless.KernelID) map[contactless.KernelID]contactless.Kernel {
	m := map[contactless.KernelID]contactless.Kernel{}
	for _, id := range ids {
		m[id] = k
	}
	return m
}

// run runs the Entry Point at Start A on a card in a field.
func run(t *testing.T, cfg *contactless.Config, ks map[contactless.KernelID]contactless.Kernel, f contactless.Field, txn contactless.Transaction) *contactless.Result {
	t.Helper()
	ep := &contactless.EntryPoint{Config: cfg, Kernels: ks}
	res, err := ep.Run(context.Background(), f, &txn)
	require.NoError(t, err)
	require.NotNil(t, res.Outcome)
	return res
}

// commands is the trace's commands in upper-case hex.
func commands(res *contactless.Result) []string {
	out := make([]string, 0, len(res.Trace))
	for _, e := range res.Trace {
		out = append(out, fmt.Sprintf("%X", e.Command))
	}
	return out
}

// ui is a UI request with a message and status only.
func ui(m contactless.MessageID, s contactless.UIStatus) contactless.UIRequest {
	return contactless.UIRequest{Message: m, Status: s}
}

var (
	presentCard      = ui(contactless.MsgPresentCard, contactless.UIReadyToRead)
	oneCardOnly      = ui(contactless.MsgPresentOneCardOnly, contactless.UIProcessingError)
	insertSwipeOther = ui(contactless.MsgInsertSwipeOrTryAnother, contactless.UIReadyToRead)
	insertOrSwipe    = ui(contactless.MsgInsertOrSwipeCard, contactless.UIProcessingError)
	presentAgain     = ui(contactless.MsgPresentCardAgain, contactless.UIReadyToRead)
)

// endApplicationEmpty is the outcome of an empty Candidate List.
func endApplicationEmpty() contactless.OutcomeParameterSet {
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	u := insertSwipeOther
	p.UIRequestOnOutcome = &u
	return p
}

// aids names the candidates' AIDs in order.
func aids(cs []contactless.Combination) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%X/%d", c.AID, c.Kernel))
	}
	return out
}
