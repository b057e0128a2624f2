package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/examples/internal/app"
)

// recorder keeps what a replay of the transaction needs and the kernel
// does not return: the random bytes drawn, the issuer's answer and what
// the PIN pad answered (as tokens, never the PIN).
type recorder struct {
	cfg    emv.Config // as configured, before the recorder's clock and random source
	random randomLog
	host   *hostLog
	pad    *pinPadLog
}

// newRecorder sets cfg's random source and clock and term's PIN pad and
// host to ones that record. The clock is the transaction's time, which a
// replay gives the kernel as both.
func newRecorder(cfg *emv.Config, at time.Time, term *emv.Terminal) *recorder {
	r := &recorder{cfg: *cfg, random: randomLog{r: cfg.Rand}}
	if r.random.r == nil {
		r.random.r = rand.Reader
	}
	cfg.Rand = &r.random
	cfg.Time = func() time.Time { return at }
	if term.Host != nil {
		r.host = &hostLog{h: term.Host}
		term.Host = r.host
	}
	if term.PINPad != nil {
		r.pad = &pinPadLog{p: term.PINPad, tokens: []string{}}
		term.PINPad = r.pad
	}
	return r
}

// write writes the session to o.record.
func (r *recorder) write(o options, txn emv.Transaction, res *emv.Result, runErr error, reader *app.Reader) error {
	a := emv.Answers{Random: r.random.got}
	if r.host != nil {
		a.Host = r.host.resp
	}
	if r.pad != nil {
		a.PIN = r.pad.tokens
	}
	k, err := emv.NewRecording(&r.cfg, txn, res, runErr, a)
	if err != nil {
		return fmt.Errorf("-record: %w", err)
	}
	kernel, err := json.Marshal(k)
	if err != nil {
		return err
	}
	source := "examples/terminal, virtual card " + o.card
	if reader != nil {
		source = "examples/terminal, " + reader.Describe()
	}
	proves := fmt.Sprintf("a %s of %s: %s, TVR %X, TSI %X, CVM Results %X", txn.Type, app.FormatAmount(txn.Amount, r.cfg.CurrencyExponent), res.Outcome, res.TVR[:], res.TSI[:], res.CVMResults[:])
	if runErr != nil {
		proves += " (" + runErr.Error() + ")"
	}
	s := res.Trace.Session(source, proves)
	s.Kernel = kernel
	f, err := os.Create(o.record)
	if err != nil {
		return err
	}
	if err := s.Write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// randomLog keeps every byte a random source gives.
type randomLog struct {
	r   io.Reader
	got []byte
}

func (l *randomLog) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.got = append(l.got, p[:n]...)
	return n, err
}

// hostLog keeps the issuer's answer.
type hostLog struct {
	h    emv.Host
	resp *emv.OnlineResponse
}

func (l *hostLog) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	r, err := l.h.Authorise(ctx, req)
	if err == nil {
		l.resp = r
	}
	return r, err
}

// pinPadLog keeps what the PIN pad answered, prompt by prompt, as tokens
// (emv.PINToken): never the PIN.
type pinPadLog struct {
	p      cvm.PINPad
	tokens []string
}

func (l *pinPadLog) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	pin, err := l.p.EnterOfflinePIN(ctx, req)
	l.tokens = append(l.tokens, emv.PINToken(err))
	return pin, err
}

func (l *pinPadLog) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	b, err := l.p.EnterOnlinePIN(ctx, req)
	l.tokens = append(l.tokens, emv.PINToken(err))
	return b, err
}
