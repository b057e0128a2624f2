package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/apdu/pcsc"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/termkit"
)

// End-to-end: whole EMV transactions through a real pcscd. The virtual
// card of emv/emvtest sits in vsmartcard's vpcd reader (ServeVPCD), the
// kernel talks to it through apdu/pcsc, exactly as it would to a card in
// a USB reader. The tests run when EMVKIT_PCSC_E2E=1 and then fail, never
// skip, when pcscd or the reader is missing:
//
//	bash .ci/pcsc-e2e.sh ./examples/terminal/
//
// EMVKIT_VPCD_PORT picks the vpcd slot (35963 is "Virtual PCD 00 00").

const benchConfig = "../../testdata/terminals/test-bench.json"

type e2eEnv struct {
	addr   string // the vpcd driver's TCP address
	reader string // its reader name
}

func e2eSetup(t *testing.T) e2eEnv {
	t.Helper()
	if os.Getenv("EMVKIT_PCSC_E2E") != "1" {
		t.Skip("PC/SC end-to-end test: set EMVKIT_PCSC_E2E=1 with pcscd and vsmartcard-vpcd running (bash .ci/pcsc-e2e.sh ./examples/terminal/ does)")
	}
	port := 35963
	if p := os.Getenv("EMVKIT_VPCD_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		require.NoError(t, err, "EMVKIT_VPCD_PORT")
		port = n
	}
	env := e2eEnv{addr: fmt.Sprintf("127.0.0.1:%d", port), reader: fmt.Sprintf("Virtual PCD 00 %02d", port-35963)}
	_, err := os.Stat(pcsc.SocketPath())
	require.NoError(t, err, "pcscd's socket is missing: is pcscd running?")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	x, err := pcsc.EstablishContext(ctx)
	require.NoError(t, err, "pcscd does not answer")
	defer x.Release()
	readers, err := x.ListReaders(ctx)
	require.NoError(t, err, "pcscd lists no reader: is vsmartcard-vpcd installed?")
	require.Contains(t, readers, env.reader, "the vpcd reader is missing")
	require.NoError(t, x.WaitForRemoval(ctx, env.reader), "a card is still in %s", env.reader)
	return env
}

// inserted is a virtual card in the vpcd reader.
type inserted struct {
	card   *emvtest.Card
	cancel context.CancelFunc
	served chan error
	once   sync.Once
	err    error
}

// insert serves the card in the vpcd reader until pull (or the end of the
// test), and then waits until pcscd has seen it go.
func insert(t *testing.T, env e2eEnv, card *emvtest.Card) *inserted {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &inserted{card: card, cancel: cancel, served: make(chan error, 1)}
	go func() {
		// The driver may not listen yet right after an earlier card left.
		var err error
		for range 50 {
			err = emvtest.ServeVPCD(ctx, env.addr, card)
			if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "connection refused") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		in.served <- err
	}()
	t.Cleanup(func() {
		in.pull()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		x, err := pcsc.EstablishContext(ctx)
		if err != nil {
			t.Errorf("after the test: %v", err)
			return
		}
		defer x.Release()
		if err := x.WaitForRemoval(ctx, env.reader); err != nil {
			t.Errorf("after the test, pcscd still lists a card: %v", err)
		}
	})
	return in
}

// pull takes the card out (the vpcd connection closes) and returns what
// ServeVPCD returned.
func (in *inserted) pull() error {
	in.once.Do(func() {
		in.cancel()
		in.err = <-in.served
	})
	return in.err
}

// steady is an endless deterministic random source, so that the
// transaction through the reader and the one on the card directly send
// the same unpredictable numbers.
type steady byte

func (s *steady) Read(p []byte) (int, error) {
	for i := range p {
		*s = *s*17 + 5
		p[i] = byte(*s)
	}
	return len(p), nil
}

var e2eTime = time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)

func benchTerminal(t *testing.T) *emv.Config {
	t.Helper()
	cfg, err := emv.LoadConfig(benchConfig)
	require.NoError(t, err)
	r := steady(1)
	cfg.Rand = &r
	cfg.Time = func() time.Time { return e2eTime }
	return cfg
}

// transact runs one transaction on the card in env.reader through pcscd.
func transact(t *testing.T, env e2eEnv, txn emv.Transaction, term *emv.Terminal) (*emv.Result, *app.Reader, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := app.OpenReader(ctx, env.reader, 10*time.Second)
	require.NoError(t, err)
	defer r.Close()
	res, err := emv.Run(ctx, r.Card, benchTerminal(t), txn, term)
	require.NotNil(t, res)
	logOutcome(t, r.Describe(), res, err)
	return res, r, err
}

func logOutcome(t *testing.T, where string, res *emv.Result, err error) {
	t.Helper()
	t.Logf("%s: outcome %q, AID %X, ODA %s, TVR %X, TSI %X, CVM Results %X, CID %02X, AC %X, ATC %X, ARC %q, %d APDUs",
		where, res.Outcome, res.AID, res.ODA, res.TVR[:], res.TSI[:], res.CVMResults[:], res.CID, res.AC, res.ATC, res.ARC, len(res.Trace))
	if err != nil {
		t.Logf("%s: stopped: %v", where, err)
	}
}

func purchase(amount uint64) emv.Transaction {
	return emv.Transaction{Type: emv.Purchase, Amount: amount, SequenceCounter: 1, Time: e2eTime}
}

// direct runs the same transaction on a twin of the card, without the
// reader: what pcscd carried must change nothing.
func direct(t *testing.T, profile *emvtest.Profile, txn emv.Transaction, term func(*emvtest.Card) *emv.Terminal) (*emv.Result, *emvtest.Card) {
	t.Helper()
	card := emvtest.NewCard(profile)
	res, err := emv.Run(context.Background(), card, benchTerminal(t), txn, term(card))
	require.NoError(t, err)
	return res, card
}

func sameTrace(t *testing.T, want, got emv.Trace) {
	t.Helper()
	require.Equal(t, len(want), len(got), "exchanges: %s\nvs\n%s", want, got)
	for i := range want {
		assert.Equal(t, want[i].Command, got[i].Command, "command %d", i)
		assert.Equal(t, want[i].Response, got[i].Response, "response %d", i)
	}
}

// A T=1 card and a T=0 card (Book 1 §9.3: the kernel's T=0 wrapper turns
// 61xx into GET RESPONSE and 6Cxx into a re-sent command, over the
// reader's T=0 protocol): the transaction through pcscd is byte for byte
// the one on the card directly.
func TestE2ETransactionT0AndT1(t *testing.T) {
	env := e2eSetup(t)
	tests := []struct {
		profile  string
		protocol pcsc.Protocol
		outcome  emv.Outcome
		oda      emv.ODAMethod
		cvm      string
		sign     bool
	}{
		{"visa-cda", pcsc.ProtocolT1, emv.Approved, emv.CDA, "440302", false},
		{"signature-t0", pcsc.ProtocolT0, emv.Approved, emv.DDA, "1E0300", true},
	}
	for _, tc := range tests {
		t.Run(tc.profile, func(t *testing.T) {
			p := emvtest.BuiltinProfile(tc.profile)
			term := func(c *emvtest.Card) *emv.Terminal {
				return &emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}, Host: termkit.IssuerHost{Issuer: emvtest.IssuerFor(c)}}
			}
			want, twin := direct(t, p, purchase(1000), term)

			card := emvtest.NewCard(p)
			insert(t, env, card)
			res, r, err := transact(t, env, purchase(1000), term(card))
			require.NoError(t, err)
			assert.Equal(t, tc.protocol, r.Card.Protocol())
			assert.Equal(t, card.ATR(), r.Card.ATR())
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.oda, res.ODA)
			assert.Equal(t, tc.cvm, fmt.Sprintf("%X", res.CVMResults[:]))
			assert.Equal(t, tc.sign, res.SignatureRequired)
			assert.Equal(t, want.TVR, res.TVR)
			assert.Equal(t, want.TSI, res.TSI)
			assert.Equal(t, want.AC, res.AC, "the same cryptogram")
			sameTrace(t, want.Trace, res.Trace)
			// The card saw the same commands, GET RESPONSE included.
			got := card.Exchanges()
			require.Len(t, got, len(twin.Exchanges()))
			for i, e := range twin.Exchanges() {
				assert.Equal(t, e.Command, got[i].Command, "card command %d", i)
			}
			if tc.protocol == pcsc.ProtocolT0 {
				assert.Greater(t, len(got), len(res.Trace), "61xx answered by GET RESPONSE")
			}
		})
	}
}

// CDA with online approval (Book 2 §6.6, Book 3 §10.9): the ARQC goes to
// the issuer, which derives the card's keys from the issuer master key,
// checks it and answers with an ARPC; the card accepts it in EXTERNAL
// AUTHENTICATE and gives a TC at the second GENERATE AC.
func TestE2EOnlineCDA(t *testing.T) {
	env := e2eSetup(t)
	card := emvtest.NewCard(emvtest.VisaCDA())
	insert(t, env, card)
	iss, err := emvtest.NewIssuerFromMasterKey(fmt.Sprintf("%X", emvtest.DefaultIMKAC))
	require.NoError(t, err)
	res, _, err := transact(t, env, purchase(10000), &emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}, Host: termkit.IssuerHost{Issuer: iss}})
	require.NoError(t, err)
	assert.Equal(t, emv.OnlineApproved, res.Outcome)
	assert.Equal(t, emv.CDA, res.ODA)
	assert.Equal(t, "00", res.ARC)
	assert.Equal(t, byte(0x40), res.CID, "TC")
	assert.Equal(t, "0000008000", fmt.Sprintf("%X", res.TVR[:]), "only: transaction exceeds floor limit")
	assert.Equal(t, "F800", fmt.Sprintf("%X", res.TSI[:]), "TSI: issuer authentication performed")
	reqs := iss.Requests()
	require.Len(t, reqs, 1)
	ok, err := iss.VerifyCryptogram(&reqs[0])
	require.NoError(t, err)
	assert.True(t, ok, "the issuer verified the ARQC")
	assert.Contains(t, res.Trace.Commands(), "EXTERNAL AUTHENTICATE")
}

// Offline PIN (Book 3 §10.5.1): plaintext PIN on an SDA card, verified by
// the card through the reader; a wrong PIN uses one try and is not
// retried by the bench PIN pad.
func TestE2EOfflinePIN(t *testing.T) {
	env := e2eSetup(t)
	for _, tc := range []struct {
		pin   string
		cvm   string
		tries int
	}{
		{"1234", "410302", 3},
		// Refused (63C2); the bench PIN pad's list is then used up, so
		// the retry and the next rule's online PIN are bypassed, and the
		// card's last rule, signature, applies.
		{"9999", "1E0300", 2},
	} {
		t.Run(tc.pin[:1]+"xxx", func(t *testing.T) {
			card := emvtest.NewCard(emvtest.VisaSDA())
			insert(t, env, card)
			res, _, err := transact(t, env, purchase(1000), &emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{tc.pin}}, Host: termkit.IssuerHost{Issuer: emvtest.IssuerFor(card)}})
			require.NoError(t, err)
			assert.Equal(t, emv.SDA, res.ODA)
			assert.Equal(t, tc.cvm, fmt.Sprintf("%X", res.CVMResults[:]))
			assert.Equal(t, tc.tries, card.PINTries(res.AID))
			var verify []string
			for _, e := range res.Trace {
				if c, err := apdu.ParseCommand(e.Command); err == nil && c.INS == apdu.InsVerify {
					verify = append(verify, fmt.Sprintf("%02X %X", c.P2, e.Response))
					assert.Equal(t, make([]byte, len(c.Data)), c.Data, "the trace keeps no PIN block")
				}
			}
			if tc.pin == "1234" {
				assert.Equal(t, []string{"80 9000"}, verify)
			} else {
				assert.Equal(t, []string{"80 63C2"}, verify)
				assert.Equal(t, "0200080000", fmt.Sprintf("%X", res.TVR[:]), "SDA selected, PIN entry required and PIN pad present but PIN not entered: %s", res.TVR)
			}
		})
	}
}

// A card pulled out mid-transaction: the kernel stops with a
// *emv.TerminatedError that matches apdu.ErrCardRemoved, whether the card
// leaves during a command (the vpcd connection closes while pcscd waits
// for the answer) or between two (while the cardholder types the PIN).
func TestE2ECardPulled(t *testing.T) {
	env := e2eSetup(t)
	t.Run("during GENERATE AC", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaCDA())
		card.RemoveAt(15) // the 15th command is the first GENERATE AC
		insert(t, env, card)
		res, _, err := transact(t, env, purchase(1000), &emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}})
		require.Error(t, err)
		assert.ErrorIs(t, err, apdu.ErrCardRemoved, "%v", err)
		var te *emv.TerminatedError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, emv.StepTerminalActionAnalysis, te.Step)
		assert.Equal(t, emv.Terminated, res.Outcome)
		assert.Nil(t, res.AC)
		cmds := res.Trace.Commands()
		assert.Equal(t, "GENERATE AC", cmds[len(cmds)-1])
	})
	t.Run("while the PIN is typed", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaCDA())
		in := insert(t, env, card)
		pad := pullingPad{pull: func() { in.pull() }, env: env}
		res, _, err := transact(t, env, purchase(1000), &emv.Terminal{PINPad: pad})
		require.Error(t, err)
		assert.ErrorIs(t, err, apdu.ErrCardRemoved, "%v", err)
		var te *emv.TerminatedError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, emv.StepCardholderVerification, te.Step)
		assert.Equal(t, emv.Terminated, res.Outcome)
	})
}

// pullingPad takes the card out of the reader while the cardholder is
// asked for the PIN, and types it once pcscd has seen the card go.
type pullingPad struct {
	pull func()
	env  e2eEnv
}

func (p pullingPad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	p.pull()
	x, err := pcsc.EstablishContext(ctx)
	if err == nil {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		x.WaitForRemoval(wctx, p.env.reader)
		cancel()
		x.Release()
	}
	return cvm.NewPIN([]byte("1234"))
}

func (p pullingPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	return cvm.OnlinePINBlock{}, errors.New("not used")
}

// Two transactions in a row with the card left in the reader, each with
// its own connection: the second sees the card's ATC one higher
// (Book 3 §10.6.3 data: 9F36 counts every GENERATE AC sequence).
func TestE2ETwoTransactions(t *testing.T) {
	env := e2eSetup(t)
	card := emvtest.NewCard(emvtest.VisaCDA())
	insert(t, env, card)
	term := &emv.Terminal{PINPad: &termkit.PINPad{PINs: []string{"1234"}}, Host: termkit.IssuerHost{Issuer: emvtest.IssuerFor(card)}}
	first, _, err := transact(t, env, purchase(1000), term)
	require.NoError(t, err)
	second, _, err := transact(t, env, purchase(9000), term)
	require.NoError(t, err)
	assert.Equal(t, emv.Approved, first.Outcome)
	assert.Equal(t, emv.OnlineApproved, second.Outcome)
	require.Len(t, first.ATC, 2)
	require.Len(t, second.ATC, 2)
	assert.Equal(t, int(first.ATC[0])<<8|int(first.ATC[1])+1, int(second.ATC[0])<<8|int(second.ATC[1]))
}

// A reader with no card: the wait for one ends at its deadline with an
// error matching pcsc.ErrTimeout, and the CLI says so.
func TestE2ENoCard(t *testing.T) {
	env := e2eSetup(t)
	start := time.Now()
	_, err := app.OpenReader(context.Background(), env.reader, 300*time.Millisecond)
	require.Error(t, err)
	assert.ErrorIs(t, err, pcsc.ErrTimeout, "%v", err)
	assert.Less(t, time.Since(start), 5*time.Second)
	t.Logf("no card: %v", err)

	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"-reader", env.reader, "-wait", "300ms", "-json"}, strings.NewReader(""), &out, &errOut)
	require.Error(t, err)
	assert.ErrorIs(t, err, pcsc.ErrTimeout)
	assert.Contains(t, err.Error(), "no card in \""+env.reader+"\" within 300ms")
	assert.Empty(t, out.String(), "no JSON without a transaction")

	err = run(context.Background(), []string{"-reader", "No Such Reader 00 00", "-wait", "300ms"}, strings.NewReader(""), &out, &errOut)
	assert.ErrorContains(t, err, `no reader "No Such Reader 00 00"`)
}

// The documented command (README "Real readers"):
//
//	go run ./examples/terminal -reader 'Virtual PCD 00 00' -config testdata/terminals/test-bench.json -amount 10.00 -pin 1234 -json
//
// with the virtual card in the reader prints the documented JSON; with
// -issuer-mk the virtual issuer approves online.
func TestE2ECommandJSON(t *testing.T) {
	env := e2eSetup(t)
	tests := []struct {
		name    string
		extra   []string
		outcome string
		tvr     string
		tsi     string
		cid     string
		arc     string
	}{
		{"offline", nil, "approved", "0000000000", "E800", "40", "Y1"},
		{"online", []string{"-amount", "100.00", "-issuer-mk", "0123456789ABCDEFFEDCBA9876543210"}, "online approved", "0000008000", "F800", "40", "00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(emvtest.VisaCDA())
			insert(t, env, card)
			rec := t.TempDir() + "/session.json"
			args := append([]string{"-reader", env.reader, "-config", benchConfig, "-amount", "10.00", "-pin", "1234", "-json", "-record", rec}, tc.extra...)
			var out, errOut bytes.Buffer
			require.NoError(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), errOut.String())
			t.Logf("terminal %s:\n%s", strings.Join(args, " "), out.String())

			var j map[string]any
			require.NoError(t, json.Unmarshal(out.Bytes(), &j))
			for _, k := range []string{"outcome", "tvr", "tsi", "cvm_results", "aid", "cid", "ac", "atc", "apdu_count", "trace", "pan", "reader", "protocol", "atr", "oda", "receipt"} {
				assert.Contains(t, j, k)
			}
			assert.Equal(t, tc.outcome, j["outcome"])
			assert.Equal(t, tc.tvr, j["tvr"])
			assert.Equal(t, tc.tsi, j["tsi"])
			assert.Equal(t, "440302", j["cvm_results"])
			assert.Equal(t, "A0000000031010", j["aid"])
			assert.Equal(t, tc.cid, j["cid"])
			assert.Equal(t, tc.arc, j["arc"])
			assert.Equal(t, "CDA", j["oda"])
			assert.Equal(t, env.reader, j["reader"])
			assert.Equal(t, "T=1", j["protocol"])
			assert.Equal(t, fmt.Sprintf("%X", card.ATR()), j["atr"])
			assert.Equal(t, "476173******0119", j["pan"])
			assert.Regexp(t, `^[0-9A-F]{16}$`, j["ac"])
			assert.Regexp(t, `^[0-9A-F]{4}$`, j["atc"])
			trace, _ := j["trace"].([]any)
			assert.Equal(t, float64(len(trace)), j["apdu_count"])
			assert.Equal(t, len(card.Exchanges()), len(trace), "T=1: one exchange per command")
			assert.NotContains(t, out.String(), "4761739001010119", "PAN masked")
			assert.Contains(t, out.String(), "VERIFY 00200088 Lc=80 [128 bytes redacted]")

			// -record wrote a session that reads back, VERIFY redacted.
			f, err := os.Open(rec)
			require.NoError(t, err)
			defer f.Close()
			sess, err := apdu.ReadSession(f)
			require.NoError(t, err)
			assert.Len(t, sess.Exchanges, len(trace))
			assert.Contains(t, sess.Source, env.reader)
			raw, err := os.ReadFile(rec)
			require.NoError(t, err)
			assert.Contains(t, string(raw), "00200088"+"80"+strings.Repeat("XX", 128))

			// ... and replays byte for byte as the session tests replay:
			// the card's session became a test.
			k, err := emv.ReadRecording(sess.Kernel)
			require.NoError(t, err)
			assert.Equal(t, []string{emv.PINEntered}, k.PIN, "the PIN is not recorded")
			rp := apdu.NewReplay(sess, apdu.ReplayStrict)
			p, err := k.Replay(context.Background(), rp)
			require.NoError(t, err)
			assert.NoError(t, k.Check(p))
			assert.NoError(t, rp.Close())
		})
	}
}
