package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// DemoPINKey is the AES key the example PIN pad enciphers online PINs
// under (ISO 9564-1 format 4): the one the virtual issuer shares with the
// terminal. A real PIN pad holds its key in secure hardware; this one is
// public and protects nothing.
var DemoPINKey = emvtest.DefaultPINKey

// PINPad is a cvm.PINPad for the examples. With Fixed set it types that
// PIN once (a test bench) and bypasses PIN entry if the card refuses it,
// so a wrong PIN never uses up a real card's tries; otherwise it prompts
// on Console, without echo, and an empty answer bypasses PIN entry.
// Online PINs are enciphered in ISO 9564-1 format 4 under [DemoPINKey].
type PINPad struct {
	Console *Console
	Fixed   string
	Rand    io.Reader // for format 4 padding; nil: crypto/rand
}

var _ cvm.PINPad = (*PINPad)(nil)

// EnterOfflinePIN asks for a PIN the card verifies.
func (p *PINPad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	s, err := p.read(ctx, req)
	if err != nil {
		return cvm.PIN{}, err
	}
	return cvm.NewPIN([]byte(s))
}

// EnterOnlinePIN asks for a PIN for the issuer and enciphers it.
func (p *PINPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	s, err := p.read(ctx, req)
	if err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	pin, err := cvm.NewPIN([]byte(s))
	if err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	defer pin.Zero()
	pan, err := req.PANDigits()
	if err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	r := p.Rand
	if r == nil {
		r = rand.Reader
	}
	block, err := cvm.EncipherPINBlock4(DemoPINKey, pin, pan, r)
	if err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	return cvm.NewOnlinePINBlock(cvm.Format4, block, nil), nil
}

func (p *PINPad) read(ctx context.Context, req cvm.PINRequest) (string, error) {
	if p.Console == nil {
		if req.Retry || p.Fixed == "" {
			return "", cvm.ErrPINBypassed
		}
		return p.Fixed, nil
	}
	prompt := "Enter PIN"
	switch {
	case req.Kind == cvm.OnlinePIN:
		prompt += " (online)"
	case req.LastTry:
		prompt += " (LAST TRY)"
	case req.TriesLeft > 0:
		prompt += fmt.Sprintf(" (%d tries left)", req.TriesLeft)
	}
	if req.Retry {
		prompt = "Incorrect PIN. " + prompt
	}
	s, err := p.Console.ReadSecret(ctx, prompt+", Enter alone to bypass: ")
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", cvm.ErrPINPadNotWorking
	}
	if s == "" {
		return "", cvm.ErrPINBypassed
	}
	return s, nil
}
