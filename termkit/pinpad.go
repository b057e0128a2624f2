package termkit

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// DemoPINKey is the AES key the PIN pad enciphers online PINs under
// unless told another: the one the virtual issuer of package emv/emvtest
// shares with the terminal ([emvtest.DefaultPINKey]). A real PIN pad
// holds its key in secure hardware; this one is public and protects
// nothing.
var DemoPINKey = emvtest.DefaultPINKey

// PINPad is a [cvm.PINPad] on a text console or for a test bench.
//
// With PINs set it types them for the cardholder, in order: the first
// when the card first asks, the next each time it asks again (after the
// card refused a PIN with 63Cx, or for an online PIN after an offline
// one), and once the list is used up it bypasses PIN entry, so a bench
// can script a wrong PIN and then the right one without using up a real
// card's tries. Otherwise it prompts on Console, without echo; an empty
// answer bypasses PIN entry, and Ctrl-C cancels it.
//
// Online PINs are enciphered in an ISO 9564-1 format 4 PIN block under
// Key (nil: [DemoPINKey]), bound to the PAN, with padding from Rand (nil:
// crypto/rand).
type PINPad struct {
	Console *Console
	PINs    []string
	Key     []byte
	Rand    io.Reader

	next int // index of the next of PINs
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
	key, r := p.Key, p.Rand
	if key == nil {
		key = DemoPINKey
	}
	if r == nil {
		r = rand.Reader
	}
	block, err := cvm.EncipherPINBlock4(key, pin, pan, r)
	if err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	return cvm.NewOnlinePINBlock(cvm.Format4, block, nil), nil
}

func (p *PINPad) read(ctx context.Context, req cvm.PINRequest) (string, error) {
	if p.Console == nil {
		if p.next >= len(p.PINs) {
			return "", cvm.ErrPINBypassed
		}
		p.next++
		return p.PINs[p.next-1], nil
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
	switch {
	case ctx.Err() != nil:
		return "", ctx.Err()
	case errors.Is(err, ErrInterrupted):
		return "", cvm.ErrPINCancelled
	case err != nil:
		return "", cvm.ErrPINPadNotWorking
	case s == "":
		return "", cvm.ErrPINBypassed
	}
	return s, nil
}
