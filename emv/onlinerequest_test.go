package emv_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testPAN    = "4761739001010119"
	maskedTest = "476173******0119"
)

// fmtVerbs are the verbs a log line or a debug print may use.
var fmtVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%c", "%U"}

// renderings are the forms in which each verb, JSON or a dumper would show
// the bytes of b: the PAN or track 2 is leaked if any of them appears.
func renderings(b []byte) []string {
	out := []string{
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		string(b),
	}
	for _, v := range fmtVerbs {
		s := fmt.Sprintf(v, b)
		if i := strings.IndexByte(s, '{'); i >= 0 { // []byte{0x47, ...}
			s = s[i+1:]
		}
		out = append(out, strings.Trim(s, `[]{}"`))
	}
	return out
}

// assertMasked fails if out shows the PAN or track 2 in any form.
func assertMasked(t *testing.T, out string, pan, track2 []byte, what string) {
	t.Helper()
	assert.NotContains(t, out, testPAN, what)
	for _, b := range [][]byte{pan, track2} {
		for _, r := range renderings(b) {
			if !assert.NotContains(t, out, r, "%s shows %q", what, r) {
				return
			}
		}
	}
}

// onlinePINRun runs an online transaction with online PIN (CVM 42) and
// returns the request the host got, its answer, the PIN prompt and the
// result.
func onlinePINRun(t *testing.T) (*emv.OnlineRequest, *emv.Result, cvm.PINRequest) {
	t.Helper()
	p := visaCDA()
	p.Applications[0].CVMList = mustHex("0000000000000000" + "4203")
	card := emvtest.NewCard(p)
	h := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00"}}
	pad := &pinPad{pins: []string{"1234"}}
	res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 500}, &emv.Terminal{PINPad: pad, Host: h})
	require.NoError(t, err)
	require.Equal(t, emv.OnlineApproved, res.Outcome)
	require.Len(t, h.reqs, 1)
	require.Len(t, pad.prompts, 1)
	return h.reqs[0], res, pad.prompts[0]
}

// The host gets the PAN and track 2 in clear through PAN and Track2 only
// (Book 3 §10.9: the authorisation request carries them); every way of
// printing or encoding the request masks them: each fmt verb, the request
// inside other values (exported and unexported fields, slices, maps, a
// Session's GoOnline), encoding/json, and slog's JSON and text handlers.
func TestOnlineRequestMasksPANAndTrack2(t *testing.T) {
	req, _, _ := onlinePINRun(t)
	pan, track2 := req.PAN(), req.Track2()
	require.Equal(t, testPAN, tlv.Digits(pan))
	require.Equal(t, mustHex(testPAN), pan)
	require.True(t, strings.HasPrefix(hex.EncodeToString(track2), testPAN+"d"), "%d", len(track2))
	assert.Equal(t, mustHex("01"), req.PANSequence)
	assert.True(t, req.OnlinePIN)

	type exported struct{ R *emv.OnlineRequest }
	type byValue struct{ R emv.OnlineRequest }
	type hidden struct{ r emv.OnlineRequest }
	values := map[string]any{
		"pointer":          req,
		"value":            *req,
		"exported field":   exported{req},
		"value field":      byValue{*req},
		"slice":            []*emv.OnlineRequest{req},
		"map":              map[string]any{"r": req},
		"session GoOnline": &emv.GoOnline{Request: req},
	}
	for name, v := range values {
		for _, verb := range fmtVerbs {
			out := fmt.Sprintf(verb, v)
			assertMasked(t, out, pan, track2, name+" "+verb)
			if verb == "%v" || verb == "%s" {
				assert.Contains(t, out, maskedTest, name+" "+verb)
			}
		}
	}
	// In an unexported field fmt cannot call the request's methods and
	// prints it by reflection: the PAN and track 2 are behind a closure,
	// which prints as an address.
	for _, verb := range fmtVerbs {
		assertMasked(t, fmt.Sprintf(verb, hidden{*req}), pan, track2, "unexported field "+verb)
	}
	assert.Equal(t, "emv.OnlineRequest{"+req.String()+"}", fmt.Sprintf("%#v", req))
	assert.Equal(t, "online request purchase (00) amount 500 PAN "+maskedTest+" AID A0000000031010, "+fmt.Sprint(len(req.ICCData))+" bytes of ICC data", fmt.Sprintf("%x", req))

	for name, v := range map[string]any{"pointer": req, "value": *req, "exported field": exported{req}, "value field": byValue{*req}} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		assertMasked(t, string(b), pan, track2, "JSON "+name)
		assert.Contains(t, string(b), `"pan":"`+maskedTest+`"`, name)
		assert.NotContains(t, string(b), "0412AC89ABCDEF67", "no PIN block")
	}
	b, err := json.Marshal(req)
	require.NoError(t, err)
	var j map[string]any
	require.NoError(t, json.Unmarshal(b, &j))
	assert.Equal(t, maskedTest, j["pan"])
	assert.Equal(t, tlv.MaskTrack2(track2), j["track2"])
	assert.Regexp(t, `^`+regexpQuote(maskedTest)+`D\*+$`, j["track2"])
	assert.Equal(t, "01", j["pan_sequence"])
	assert.Equal(t, "A0000000031010", j["aid"])
	assert.Equal(t, strings.ToUpper(hex.EncodeToString(req.ICCData)), j["icc_data"])
	assert.Equal(t, "[redacted]", j["online_pin_block"])

	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"JSON", func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
		{"text", func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) }},
	} {
		var buf bytes.Buffer
		log := slog.New(h.new(&buf))
		log.Info("authorise", "req", req)
		log.Info("authorise", slog.Any("req", *req))
		log.Info("authorise", "wrapped", exported{req}, "value", byValue{*req})
		log.Info("authorise", "slice", []*emv.OnlineRequest{req})
		assertMasked(t, buf.String(), pan, track2, "slog "+h.name)
		assert.Contains(t, buf.String(), maskedTest, "slog "+h.name)
		assert.NotContains(t, buf.String(), "0412AC89ABCDEF67", "no PIN block")
	}

	// PAN and Track2 give copies: changing one does not change the next.
	pan[0], track2[0] = 0, 0
	assert.Equal(t, mustHex(testPAN), req.PAN())
	assert.NotEqual(t, byte(0), req.Track2()[0])
	var zero emv.OnlineRequest
	assert.Nil(t, zero.PAN())
	assert.Nil(t, zero.Track2())
	assert.Equal(t, "online request purchase (00) amount 0 PAN  AID , 0 bytes of ICC data", fmt.Sprint(zero))
}

func regexpQuote(s string) string { return strings.ReplaceAll(s, "*", `\*`) }

// The other exported values that hold the PAN or track 2 hide them too:
// the Result (its Trace holds the records: 5A and 57 in the card's
// answers), the receipt, and the PIN prompt of an online PIN (its PAN,
// which formats 0, 3 and 4 bind the PIN block to).
func TestResultAndPINRequestMaskPANAndTrack2(t *testing.T) {
	req, res, prompt := onlinePINRun(t)
	pan, track2 := req.PAN(), req.Track2()
	require.Equal(t, mustHex(testPAN), prompt.PAN)

	values := map[string]any{
		"result":      res,
		"result val":  *res,
		"trace":       res.Trace,
		"receipt":     res.Receipt,
		"pin request": prompt,
		"enter pin":   &emv.EnterPIN{PINRequest: prompt},
	}
	for name, v := range values {
		for _, verb := range fmtVerbs {
			assertMasked(t, fmt.Sprintf(verb, v), pan, track2, name+" "+verb)
		}
		b, err := json.Marshal(v)
		require.NoError(t, err, name)
		assertMasked(t, string(b), pan, track2, "JSON "+name)
		for _, h := range []func(*bytes.Buffer) slog.Handler{
			func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) },
			func(w *bytes.Buffer) slog.Handler { return slog.NewTextHandler(w, nil) },
		} {
			var buf bytes.Buffer
			slog.New(h(&buf)).Info("x", "v", v)
			assertMasked(t, buf.String(), pan, track2, "slog "+name)
		}
	}
	assert.Equal(t, maskedTest, res.Receipt.MaskedPAN)
	assert.Contains(t, fmt.Sprint(res.Trace), maskedTest)
	assert.Contains(t, fmt.Sprintf("%d", res.Trace), maskedTest)
}

// The request holds copies (Book 3 §10.9 gives the host the data; it does
// not give it the kernel's memory): a host that keeps the request and
// overwrites everything it got once it has answered (here: while the
// kernel goes on to EXTERNAL AUTHENTICATE, the second GENERATE AC and the
// scripts) changes nothing of the transaction; nor does a host that
// reuses the buffers of its answer (the ARPC and the scripts). The result, the receipt, field 55 and
// every command sent after the answer are those of the same transaction
// with a host that leaves the request alone.
func TestOnlineRequestHoldsCopies(t *testing.T) {
	run := func(t *testing.T, scribble bool) (*emv.Result, *emv.OnlineRequest) {
		card := emvtest.NewCard(visaCDA())
		iss := emvtest.IssuerFor(card)
		iss.SetRule(scriptsRule(emvtest.Script{Template: 0x72, ID: mustHex("55667788"), Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{5})}}))
		var answer *emv.OnlineResponse
		h := &issuerHost{iss: iss, tamper: func(r *emv.OnlineResponse) { answer = r }}
		var kept [][]byte
		link := &hookedCard{card: card}
		link.before = func(cmd []byte) {
			if !scribble || len(h.reqs) == 0 || kept != nil {
				return
			}
			// The host answered; now it scribbles over what it got.
			r := h.reqs[0]
			kept = [][]byte{r.AID, r.PANSequence, r.ICCData, r.PAN(), r.Track2(), answer.IssuerAuthData, answer.Scripts}
			for _, b := range kept {
				for i := range b {
					b[i] = 0xEE
				}
			}
			r.AID, r.ICCData = r.AID[:1], append(r.ICCData[:0], 0x5A, 0x01, 0x99)
			r.Transaction.Amount = 1
		}
		cfg := testConfig(t, card)
		term := &emv.Terminal{PINPad: &pinPad{pins: []string{"1234"}}, Host: h}
		res, err := emv.Run(context.Background(), link, cfg, emv.Transaction{Amount: 20000, SequenceCounter: 7}, term)
		require.NoError(t, err)
		require.Equal(t, emv.OnlineApproved, res.Outcome)
		require.Len(t, h.reqs, 1)
		if scribble {
			require.NotNil(t, kept, "the host scribbled after answering")
		}
		return res, h.reqs[0]
	}
	want, _ := run(t, false)
	got, req := run(t, true)

	assert.Equal(t, maskedTest, got.Receipt.MaskedPAN)
	assert.Equal(t, "01", got.Receipt.PANSequence)
	assert.Equal(t, want.Receipt, got.Receipt)
	assert.Equal(t, emv.AID(mustHex("A0000000031010")), got.AID)
	assert.Equal(t, hexOf(want.ICCData), hexOf(got.ICCData), "field 55")
	assert.Equal(t, hexOf(want.AC), hexOf(got.AC))
	assert.Equal(t, hexOf(want.ScriptResults), hexOf(got.ScriptResults))
	assert.Equal(t, want.TVR, got.TVR)
	assert.Equal(t, want.Trace.Compact(), got.Trace.Compact())
	for i := range want.Trace {
		assert.Equal(t, hexOf(want.Trace[i].Command), hexOf(got.Trace[i].Command), "command %d", i)
	}
	// What the host changed is its own: the request's accessors still
	// give the card's PAN and track 2.
	assert.Equal(t, mustHex(testPAN), req.PAN())
	assert.Equal(t, emv.AID(mustHex("EE")), req.AID)
}

// hookedCard calls before ahead of each command it passes to card.
type hookedCard struct {
	card   apdu.Transceiver
	before func(cmd []byte)
}

func (h *hookedCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	h.before(cmd)
	return h.card.Transmit(ctx, cmd)
}

// scribblingPad is the test PIN pad, overwriting the PAN of each prompt
// once it has read it.
type scribblingPad struct{ pinPad }

func (p *scribblingPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	b, err := p.pinPad.EnterOnlinePIN(ctx, req)
	clear(req.PAN)
	return b, err
}

// scribblingLog is a transaction log that overwrites what it is asked
// about.
type scribblingLog struct{}

func (scribblingLog) RecentAmount(pan, psn []byte) (uint64, bool) {
	clear(pan)
	clear(psn)
	return 0, false
}

// The terminal's other callbacks get copies of the card's data too: an
// exception file (Book 3 §10.6), a transaction log (Book 3 §10.6.1) and a
// PIN pad (an online PIN prompt carries the PAN, Book 3 §10.5.2) that
// overwrite what they are given change neither the receipt nor the
// request the host gets.
func TestTerminalCallbacksGetCopies(t *testing.T) {
	p := visaCDA()
	p.Applications[0].CVMList = mustHex("0000000000000000" + "4203")
	card := emvtest.NewCard(p)
	h := &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00"}}
	term := &emv.Terminal{
		PINPad: &scribblingPad{pinPad{pins: []string{"1234"}}},
		Host:   h,
		ExceptionFile: func(pan, psn []byte) bool {
			clear(pan)
			clear(psn)
			return false
		},
		TransactionLog: scribblingLog{},
	}
	res, err := emv.Run(context.Background(), card, testConfig(t, card), emv.Transaction{Amount: 500}, term)
	require.NoError(t, err)
	assert.Equal(t, emv.OnlineApproved, res.Outcome)
	assert.Equal(t, maskedTest, res.Receipt.MaskedPAN)
	assert.Equal(t, "01", res.Receipt.PANSequence)
	require.Len(t, h.reqs, 1)
	assert.Equal(t, mustHex(testPAN), h.reqs[0].PAN())
	assert.Equal(t, mustHex("01"), h.reqs[0].PANSequence)
	psn, _ := tlv.Find(res.ICCData, 0x5F34)
	assert.Equal(t, mustHex("01"), psn, "field 55")
}
