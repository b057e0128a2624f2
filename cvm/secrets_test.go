package cvm

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	secretPIN     = "739146285031"
	secretBlock   = "2C739146285031FF" // its ISO 9564 format 2 block
	secretOnline  = "5A17C3E9904B6D21"
	wrongPIN      = "864205937162"
	wrongPINBlock = "2C864205937162FF"
)

// needles returns the ways a secret byte string could show up in text.
func needles(b []byte) []string {
	return []string{
		strings.ToUpper(hex.EncodeToString(b)),
		hex.EncodeToString(b),
		fmt.Sprintf("% X", b),
		fmt.Sprintf("% x", b),
		fmt.Sprint(b),
		fmt.Sprintf("%#v", b),
		fmt.Sprintf("%q", b),
	}
}

func digitNeedles(pin string) []string {
	d := make([]byte, len(pin))
	for i := range pin {
		d[i] = pin[i] - '0'
	}
	return append(needles(d), pin)
}

// formats prints v every way a person might print it.
func formats(v any) string {
	var b strings.Builder
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		fmt.Fprintf(&b, f+"\n", v)
	}
	if j, err := json.Marshal(v); err == nil {
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// The PIN and PIN blocks never reach a log, a trace (the record of
// commands), an error string, or any fmt verb of any value (STYLE: secrets
// stay out of output; Book 3 §10.5.1 offline PIN, §10.5.2 online PIN).
func TestNoPINInOutput(t *testing.T) {
	var logs bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	logger := slog.New(multiHandler{slog.NewJSONHandler(&logs, opts), slog.NewTextHandler(&logs, opts)})

	var out strings.Builder
	var verifyData [][]byte
	capture := func(card *fakeCard) {
		for _, c := range card.sent {
			if cmd, err := apdu.ParseCommand(c); err == nil && cmd.INS == apdu.InsVerify {
				verifyData = append(verifyData, cmd.Data)
			}
		}
	}
	run := func(name, list string, card []cardStep, pad []padStep) {
		t.Run(name, func(t *testing.T) {
			in := baseInput(t, list)
			in.Logger = logger
			fc := &fakeCard{t: t, steps: card}
			fp := &fakePad{t: t, steps: pad}
			in.PINPad = fp
			res, err := Perform(context.Background(), fc, in)
			capture(fc)
			out.WriteString(formats(res))
			out.WriteString(formats(&res))
			out.WriteString(formats(res.Commands))
			for _, e := range res.Commands {
				out.WriteString(e.String() + "\n")
				out.WriteString(e.Command.String() + "\n")
			}
			out.WriteString(formats(in))
			out.WriteString(formats(res.OnlinePIN))
			for _, r := range fp.reqs {
				out.WriteString(formats(r))
			}
			if err != nil {
				out.WriteString(err.Error() + "\n")
				out.WriteString(formats(err))
			}
		})
	}
	pin := func(kind PINKind, tries int, retry bool, p string) padStep { return offline(kind, tries, retry, p) }

	run("offline plaintext, wrong then right", noAmounts+"0100",
		[]cardStep{getPTC(3), verifyPlain(wrongPINBlock, "63C2"), verifyPlain(secretBlock, "9000")},
		[]padStep{pin(plain, 3, false, wrongPIN), pin(plain, 2, true, secretPIN)})
	run("offline enciphered", noAmounts+"0400",
		[]cardStep{getPTC(3), getChallenge(un1 + "9000"), verifyEnc(secretBlock, un1, "9000")},
		[]padStep{pin(enc, 3, false, secretPIN)})
	run("online", noAmounts+"0200", nil, []padStep{online(secretOnline)})
	run("card removed during VERIFY", noAmounts+"0100",
		[]cardStep{getPTC(3), {cmd: "002000800" + "8" + secretBlock, err: apdu.ErrCardRemoved}},
		[]padStep{pin(plain, 3, false, secretPIN)})
	run("VERIFY refused", noAmounts+"0100",
		[]cardStep{getPTC(3), verifyPlain(secretBlock, "6985")},
		[]padStep{pin(plain, 3, false, secretPIN)})

	// The secret values themselves, and values holding them.
	p := mustPIN(t, secretPIN)
	ob := NewOnlinePINBlock(Format4, unhex(t, secretOnline), []byte{0xFF, 0xFF})
	out.WriteString(formats(p))
	out.WriteString(formats(&p))
	out.WriteString(formats(ob))
	out.WriteString(formats(struct{ p PIN }{p}))
	out.WriteString(formats(struct{ B OnlinePINBlock }{ob}))
	out.WriteString(formats(struct{ b OnlinePINBlock }{ob}))
	out.WriteString(formats(struct{ r Result }{Result{OnlinePIN: ob}}))
	out.WriteString(formats([]PIN{p}))
	out.WriteString(formats(map[string]PIN{"pin": p}))
	logger.Debug("values", "pin", p, "block", ob, "any", any(p))
	logger.Info("group", slog.Group("g", "pin", p))
	reqIn := baseInput(t, noAmounts+"0200")
	logger.Info("input", "in", reqIn, "req", PINRequest{Kind: OnlinePIN, PAN: reqIn.PAN})
	// PIN block errors say what is wrong, never what the digits are.
	for _, blk := range []string{"2C739146285031F0", "2C7391462850A1FF", "3C739146285031FF", "2F739146285031FF"} {
		_, err := DecodePINBlock2(unhex(t, blk))
		require.Error(t, err)
		out.WriteString(err.Error() + "\n" + formats(err))
	}
	_, err := NewPIN([]byte(secretPIN + "X"))
	out.WriteString(err.Error() + "\n")

	require.Len(t, verifyData, 5, "the test saw every VERIFY it meant to check")
	var hay = out.String() + logs.String()
	require.Contains(t, logs.String(), "VERIFY 00200080", "the logs did record the VERIFY commands")
	require.Contains(t, hay, "[redacted]")

	var secrets []string
	secrets = append(secrets, digitNeedles(secretPIN)...)
	secrets = append(secrets, digitNeedles(wrongPIN)...)
	secrets = append(secrets, needles(unhex(t, secretBlock))...)
	secrets = append(secrets, needles(unhex(t, wrongPINBlock))...)
	secrets = append(secrets, needles(unhex(t, secretOnline))...)
	for _, d := range verifyData {
		if len(d) > 8 { // the enciphered PIN
			secrets = append(secrets, needles(d)...)
			secrets = append(secrets, needles(d[:16])...)
		}
	}
	// PANs are masked wherever a person reads them.
	assert.NotContains(t, logs.String(), testPAN)
	assert.Contains(t, logs.String(), "476173******0010")
	for _, s := range secrets {
		if i := strings.Index(hay, s); i >= 0 {
			t.Errorf("secret %q found: ...%s...", s, hay[max(0, i-300):min(len(hay), i+100)])
		}
	}
	// Even where fmt cannot call a method (an unexported field, a wrong
	// verb), the digits are out of its reach.
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		assert.NotContains(t, fmt.Sprintf(f, struct{ p PIN }{p}), secretPIN, f)
	}
}

// multiHandler writes each record to every handler.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool { return true }

func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		if err := h.Handle(ctx, r.Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (m multiHandler) WithAttrs(a []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(a)
	}
	return out
}

func (m multiHandler) WithGroup(g string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(g)
	}
	return out
}

// Every printing method of the secret types shows "[redacted]".
func TestSecretTypesPrintRedacted(t *testing.T) {
	p := mustPIN(t, "1234")
	ob := NewOnlinePINBlock(Format0, unhex(t, "0412AC89ABCDEF67"), nil)
	for _, v := range []any{p, ob} {
		for _, f := range []string{"%v", "%+v", "%s", "%d", "%x", "%q"} {
			assert.Equal(t, "[redacted]", fmt.Sprintf(f, v), f)
		}
		j, err := json.Marshal(v)
		require.NoError(t, err)
		assert.Equal(t, `"[redacted]"`, string(j))
	}
	assert.Equal(t, "cvm.PIN{[redacted]}", fmt.Sprintf("%#v", p))
	assert.Equal(t, "cvm.OnlinePINBlock{[redacted]}", fmt.Sprintf("%#v", ob))
	assert.Equal(t, "cvm.PIN{[redacted]}", p.GoString())
	txt, err := p.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[redacted]", string(txt))
	assert.Equal(t, "[redacted]", p.LogValue().String())
	assert.Equal(t, "[redacted]", ob.LogValue().String())
	assert.Equal(t, Format0, ob.BlockFormat())
	assert.Nil(t, ob.KSN())
	b := ob.Bytes()
	b[0] = 0xFF
	assert.Equal(t, unhex(t, "0412AC89ABCDEF67"), ob.Bytes(), "Bytes returns a copy")
	ob.Zero()
	assert.True(t, ob.IsZero())
}

func TestInputFormatMasksPAN(t *testing.T) {
	in := baseInput(t, noAmounts+"1F00")
	s := fmt.Sprintf("%#v", in)
	assert.Contains(t, s, "PAN 476173******0010")
	assert.NotContains(t, s, "4761739001010010")
	assert.NotContains(t, fmt.Sprintf("%v", Input{PAN: []byte{0x12, 0x3F}}), "123")
}
