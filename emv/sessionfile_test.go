package emv_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Config.MarshalJSON is the inverse of ParseConfig for the shipped
// terminal configurations, and writes the keys in the order ParseConfig
// documents.
func TestConfigMarshalJSON(t *testing.T) {
	files, err := filepath.Glob("../testdata/terminals/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			cfg, err := emv.LoadConfig(file)
			require.NoError(t, err)
			cfg.CAKeys.Revoke([5]byte(mustHex("A000000003")), 0x92, [3]byte{0, 0, 1})
			b, err := json.Marshal(cfg)
			require.NoError(t, err)
			checkConfigJSON(t, cfg, b)
		})
	}

	floor := uint64(0)
	manage := true
	cfg := &emv.Config{TerminalType: 0x22, Capabilities: [3]byte{0xE0, 0xF8, 0xC8}, AdditionalCapabilities: [5]byte{0xF0, 0, 0xF0, 0xA0, 1},
		Country: 826, Currency: 826, CurrencyExponent: 2, MerchantCategory: 5999, MerchantID: "M1", MerchantNameLocation: "Shop",
		TerminalID: "T1", IFDSerial: "I1", AcquirerID: "123456", BypassAllPINCVMs: true,
		AppParams: emv.AppParams{Version: mustHex("008C"), FloorLimit: &floor, TACDenial: &tacDenial, TACOnline: &tacOnline, TACDefault: &tacDefault,
			DefaultDDOL: mustHex("9F3704"), DefaultTDOL: mustHex("9F0206"), RandomSelection: &emv.RandomSelection{TargetPercent: 20, MaxTargetPercent: 50, Threshold: 1000}, AlwaysManageRisk: &manage},
		Applications: []emv.Application{{AID: mustHex("A0000000031010"), PartialSelection: true, Params: emv.AppParams{Version: mustHex("0096")}}},
		CAKeys:       keyStore(t, emvtest.NewCard(visaCDA())),
	}
	cfg.CAKeys.Revoke([5]byte(mustHex("A000000003")), 0xE1, [3]byte{0x12, 0x34, 0x56})
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	checkConfigJSON(t, cfg, b)
	assert.Equal(t, []string{
		"terminal_type", "capabilities", "additional_capabilities", "country", "currency", "currency_exponent",
		"merchant_category", "merchant_id", "merchant_name_location", "terminal_id", "ifd_serial", "acquirer_id",
		"bypass_all_pin_cvms", "params", "version", "floor_limit", "tac_denial", "tac_online", "tac_default",
		"default_ddol", "default_tdol", "random_selection", "target_percent", "max_target_percent", "threshold",
		"always_manage_risk", "applications", "aid", "partial_selection", "params", "version",
		"ca_keys", "keys", "rid", "index", "modulus", "exponent", "checksum", "revocations", "rid", "index", "serial",
	}, jsonKeys(t, b), "keys in the order ParseConfig documents")
	assert.Contains(t, string(b), `"floor_limit":0,`, "a floor limit of zero is set, not absent")
	assert.Contains(t, string(b), `"revocations":[{"rid":"A000000003","index":"E1","serial":"123456"}]`)

	// A byte string set but empty is not one left out: an empty default
	// DDOL is none, an absent one the kernel's default.
	cfg.DefaultDDOL, cfg.Applications[0].Params.DefaultTDOL = []byte{}, []byte{}
	b, err = json.Marshal(cfg)
	require.NoError(t, err)
	checkConfigJSON(t, cfg, b)
	assert.Contains(t, string(b), `"default_ddol":"",`)
	assert.Contains(t, string(b), `"default_tdol":""}`)

	// Only what is set is written.
	b, err = json.Marshal(&emv.Config{Country: 840, Currency: 840})
	require.NoError(t, err)
	assert.Equal(t, `{"country":840,"currency":840,"applications":[]}`, string(b))
}

// jsonKeys lists the object keys of compact JSON in the order written:
// the strings followed by a colon (no value here has one).
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var keys []string
	for _, m := range regexp.MustCompile(`"([a-z_]+)":`).FindAllSubmatch(b, -1) {
		keys = append(keys, string(m[1]))
	}
	return keys
}

// A recording made on the virtual card replays byte for byte, and Check
// names every value the replay shows differently.
func TestRecordingCheck(t *testing.T) {
	card := emvtest.NewCard(visaCDA())
	cfg := testConfig(t, card)
	txn := emv.Transaction{Amount: 1234, Time: testTime, SequenceCounter: 1}
	rec := apdu.NewRecorder(card)
	rcfg, rterm, log := emv.RecordAnswers(cfg, &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}})
	res, err := emv.Run(context.Background(), rec, rcfg, txn, rterm)
	require.NoError(t, err)
	answers := log.Answers()
	assert.Equal(t, []string{emv.PINEntered}, answers.PIN, "a token, never the PIN")
	k, err := emv.NewRecording(cfg, txn, res, nil, answers)
	require.NoError(t, err)
	assert.Equal(t, emv.Expectation{AID: "A0000000031010", Commands: res.Trace.Compact(), Outcome: "approved", ODA: "CDA",
		TVR: "0000000000", TSI: "E800", CVMResults: "440302", CID: "40", Advice: new(bool)}, k.Expect)
	kb, err := json.Marshal(k)
	require.NoError(t, err)
	back, err := emv.ReadRecording(kb)
	require.NoError(t, err)
	sess := rec.Session("test", "test")

	replay := func(k *emv.Recording) (*emv.Replayed, *apdu.Replay) {
		rp := apdu.NewReplay(sess, apdu.ReplayStrict)
		p, err := k.Replay(context.Background(), rp)
		require.NoError(t, err)
		return p, rp
	}
	p, rp := replay(back)
	require.NoError(t, back.Check(p))
	require.NoError(t, rp.Close(), "every recorded exchange was asked for")

	tests := []struct {
		name   string
		change func(k *emv.Recording)
		what   []string
	}{
		{"TVR", func(k *emv.Recording) { k.Expect.TVR = "0000008000" }, []string{"TVR"}},
		{"CID and advice", func(k *emv.Recording) { k.Expect.CID = "80"; k.Expect.Advice = new(true) }, []string{"CID of the last GENERATE AC", "advice"}},
		{"commands and outcome", func(k *emv.Recording) { k.Expect.Commands = "SEL"; k.Expect.Outcome = "declined" }, []string{"commands sent", "outcome"}},
		{"offered without a cardholder", func(k *emv.Recording) { k.Expect.Offered = [][]string{{"VISA CREDIT"}} }, []string{"candidate lists offered"}},
		{"termination expected", func(k *emv.Recording) {
			k.Expect.Terminated = &emv.ExpectedTermination{Step: "application selection", Reason: "card blocked"}
		}, []string{"termination"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k2, err := emv.ReadRecording(kb)
			require.NoError(t, err)
			tc.change(k2)
			p, _ := replay(k2)
			var me *emv.MismatchError
			require.ErrorAs(t, k2.Check(p), &me)
			var what []string
			for _, m := range me.Mismatches {
				what = append(what, m.What)
			}
			assert.Equal(t, tc.what, what)
			assert.Regexp(t, `^emv: replay differs from the recording:\n\t`, me.Error())
		})
	}

	// A replay that ends early is a termination the recording must name.
	short := &apdu.Session{Source: "test", Proves: "test", Exchanges: sess.Exchanges[:3]}
	p, err = back.Replay(context.Background(), apdu.NewReplay(short, apdu.ReplayStrict))
	require.NoError(t, err)
	require.ErrorIs(t, p.Err, apdu.ErrReplayExhausted)
	var me *emv.MismatchError
	require.ErrorAs(t, back.Check(p), &me)
	assert.Contains(t, fmt.Sprint(me.Mismatches), "termination")
}

// RecordAnswers passes every call through to the terminal's seams and
// keeps their answers: random bytes in order, the issuer's answer, PIN pad
// answers as tokens only, the cardholder's picks by name and the lists
// offered, the transaction log's answer dated by the clock, and the PANs
// found on the exception file. Nil seams stay nil.
func TestRecordAnswers(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg := &emv.Config{Country: 840, Currency: 840, Rand: fixedRand(0x5A), Time: func() time.Time { return at }}
	host := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: []byte{1, 2}}}
	pad := &pinPad{pins: []string{"1234", "timeout", "wrong"}}
	sel := &selector{index: 1, confirm: true}
	var asked []string
	term := &emv.Terminal{
		Host: host, PINPad: pad, Selector: sel, TransactionLog: txLog(700),
		ExceptionFile: func(pan, psn []byte) bool { asked = append(asked, tlv.Digits(pan)); return pan[0] == 0x47 },
	}
	rcfg, rterm, log := emv.RecordAnswers(cfg, term)
	require.NotSame(t, cfg, rcfg)
	require.NotSame(t, term, rterm)
	assert.Equal(t, fixedRand(0x5A), cfg.Rand, "the configuration given is not changed")
	assert.Same(t, pad, term.PINPad, "the terminal given is not changed")
	assert.Equal(t, emv.Answers{PIN: []string{}, Selector: true}, log.Answers(), "nothing asked yet")

	b := make([]byte, 3)
	_, err := io.ReadFull(rcfg.Rand, b)
	require.NoError(t, err)
	_, err = io.ReadFull(rcfg.Rand, b[:2])
	require.NoError(t, err)
	resp, err := rterm.Host.Authorise(ctx, &emv.OnlineRequest{})
	require.NoError(t, err)
	assert.Same(t, host.resp, resp, "the issuer's answer is passed on")
	assert.Len(t, host.reqs, 1)
	for range 3 {
		_, _ = rterm.PINPad.EnterOfflinePIN(ctx, cvm.PINRequest{})
	}
	_, err = rterm.PINPad.EnterOnlinePIN(ctx, cvm.PINRequest{})
	assert.ErrorIs(t, err, cvm.ErrPINBypassed, "the pad's error is passed on")
	i, err := rterm.Selector.Choose(ctx, []emv.Candidate{{Label: "VISA CREDIT"}, {AID: []byte{0xA0, 0, 0, 0, 3, 0x20, 0x10}}})
	require.NoError(t, err)
	assert.Equal(t, 1, i)
	ok, err := rterm.Selector.Confirm(ctx, emv.Candidate{PreferredName: "MY CARD"})
	require.NoError(t, err)
	assert.True(t, ok)
	amount, ok := rterm.TransactionLog.RecentAmount([]byte{0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10}, []byte{1})
	assert.True(t, ok)
	assert.Equal(t, uint64(700), amount)
	assert.True(t, rterm.ExceptionFile([]byte{0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x1F}, nil))
	assert.False(t, rterm.ExceptionFile([]byte{0x54, 0x13}, nil))
	assert.Equal(t, []string{"476173900101001", "5413"}, asked)

	a := log.Answers()
	assert.Equal(t, emv.Answers{
		PIN:            []string{emv.PINEntered, emv.PINTimeout, emv.PINEntered, emv.PINBypass},
		Host:           &emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: []byte{1, 2}},
		Selector:       true,
		Chosen:         []string{"A0000000032010"},
		Confirm:        true,
		Offered:        [][]string{{"VISA CREDIT", "A0000000032010"}, {"confirm MY CARD"}},
		Random:         []byte{0x5A, 0x5A, 0x5A, 0x5A, 0x5A},
		TransactionLog: []emv.LoggedTransaction{{PAN: "4761739001010010", Date: "260301", Amount: 700}},
		ExceptionFile:  []string{"476173900101001"},
	}, a)
	for _, p := range a.PIN {
		assert.NotContains(t, []string{"1234", "9999"}, p, "never a PIN")
	}
	a.Random[0] = 0
	assert.Equal(t, byte(0x5A), log.Answers().Random[0], "Answers returns copies")

	// Nil seams stay nil; a nil random source is crypto/rand's.
	rcfg, rterm, log = emv.RecordAnswers(&emv.Config{}, nil)
	assert.Equal(t, &emv.Terminal{}, rterm)
	_, err = io.ReadFull(rcfg.Rand, b)
	require.NoError(t, err)
	assert.Equal(t, emv.Answers{Random: b}, log.Answers(), "no PIN pad: PIN is nil")
	_, rterm, _ = emv.RecordAnswers(&emv.Config{}, &emv.Terminal{Display: &display{}})
	assert.Equal(t, &emv.Terminal{Display: &display{}}, rterm)
}

// ReadRecording is strict, and a recording that cannot run sends nothing.
func TestReadRecordingStrict(t *testing.T) {
	_, err := emv.ReadRecording([]byte(`{"transaction": {"type": "00"}, "pinn": ["1234"]}`))
	assert.ErrorContains(t, err, `emv: recording: json: unknown field "pinn"`)
	_, err = emv.ReadRecording([]byte(`{} {}`))
	assert.ErrorContains(t, err, "data after the kernel object")

	k, err := emv.ReadRecording([]byte(`{"terminal": {"country": 840, "currency": 840, "applications": [{"aid": "A0000000031010"}]}, "transaction": {"type": "zz"}}`))
	require.NoError(t, err)
	card := apdu.NewReplay(&apdu.Session{}, apdu.ReplayStrict)
	_, err = k.Replay(context.Background(), card)
	assert.ErrorContains(t, err, `emv: recording: emv: invalid transaction: type "zz" is neither a name nor two hex digits`)
	assert.ErrorIs(t, err, emv.ErrTransaction)
	k.Transaction.Type, k.Random = "00", "XYZ"
	_, err = k.Replay(context.Background(), card)
	assert.ErrorContains(t, err, "emv: recording: random bytes")
	k.Random, k.Terminal = "", json.RawMessage(`{"country": 840}`)
	_, err = k.Replay(context.Background(), card)
	assert.ErrorIs(t, err, emv.ErrConfig)
	assert.NoError(t, card.Close(), "nothing sent")
}

// NewRecording refuses a run that ended with an error the kernel object
// cannot name, and writes an empty PIN pad as one bypass.
func TestNewRecording(t *testing.T) {
	cfg := &emv.Config{Country: 840, Currency: 840}
	res := &emv.Result{}
	_, err := emv.NewRecording(cfg, emv.Transaction{Time: testTime}, res, errors.New("reader on fire"), emv.Answers{})
	assert.ErrorContains(t, err, "emv: recording: the transaction did not end with a termination")
	_, err = emv.NewRecording(cfg, emv.Transaction{Time: testTime}, res, &emv.TerminatedError{Step: emv.StepSelection, Err: errors.New("other")}, emv.Answers{})
	assert.ErrorContains(t, err, "no termination reason names")
	_, err = emv.NewRecording(cfg, emv.Transaction{}, nil, nil, emv.Answers{})
	assert.Error(t, err)

	k, err := emv.NewRecording(cfg, emv.Transaction{Type: emv.Refund, Amount: 5}, res,
		&emv.TerminatedError{Step: emv.StepCardholderVerification, Err: cvm.ErrPINCancelled},
		emv.Answers{PIN: []string{}, Selector: true, Random: []byte{0xAB, 0x01}, Host: &emv.OnlineResponse{Approved: true, ARC: "00", IssuerAuthData: []byte{0x0a}}})
	require.NoError(t, err)
	assert.Equal(t, []string{emv.PINBypass}, k.PIN)
	assert.Equal(t, "AB01", k.Random)
	assert.Equal(t, &emv.RecordedHost{Approved: true, ARC: "00", IssuerAuthData: "0A"}, k.Host)
	assert.Equal(t, []string{}, k.Choose)
	assert.Equal(t, new(false), k.Confirm)
	assert.Equal(t, "20", k.Transaction.Type)
	assert.Equal(t, &emv.ExpectedTermination{Step: "cardholder verification", Reason: "PIN entry cancelled"}, k.Expect.Terminated)
	cfg.Time = func() time.Time { return testTime }
	k, err = emv.NewRecording(cfg, emv.Transaction{}, res, nil, emv.Answers{})
	require.NoError(t, err)
	assert.Equal(t, testTime, k.Transaction.Time, "a zero time is the configuration's clock")
	assert.Nil(t, k.PIN, "no PIN pad")
}

// PINToken names what a PIN pad returned, never the PIN.
func TestPINToken(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, emv.PINEntered},
		{cvm.ErrPINBypassed, emv.PINBypass},
		{cvm.ErrPINTimeout, emv.PINTimeout},
		{fmt.Errorf("pad: %w", cvm.ErrPINCancelled), emv.PINCancel},
		{cvm.ErrPINPadNotWorking, emv.PINBroken},
		{errors.New("usb"), emv.PINBroken},
	} {
		assert.Equal(t, tc.want, emv.PINToken(tc.err), "%v", tc.err)
	}
}

// FuzzReadRecording: a kernel object ReadRecording accepts writes back to
// one it reads as the same value; what it refuses yields no recording.
func FuzzReadRecording(f *testing.F) {
	for _, s := range fuzzseed.Sessions(f) {
		f.Add([]byte(s.Kernel))
	}
	f.Add([]byte(`{"transaction": {"type": "00"}, "pin": []}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := emv.ReadRecording(b)
		if err != nil {
			if k != nil {
				t.Fatal("a recording with an error")
			}
			return
		}
		out, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		again, err := emv.ReadRecording(out)
		if err != nil {
			t.Fatalf("written recording refused: %v\n%s", err, out)
		}
		out2, err := json.Marshal(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
	})
}
