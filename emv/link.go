package emv

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/emvkit/emvkit/apdu"
)

// ErrCardLinkAbandoned reports that the context ended while the card's
// Transceiver was still carrying a command: the kernel stopped waiting for
// it, ended the transaction at once, and sends nothing more over that
// Transceiver, whose call may still be running. A terminal that sees it
// should reset or close its reader before the next card session.
var ErrCardLinkAbandoned = errors.New("emv: card link abandoned with a command outstanding")

// waitLink carries the kernel's commands to the card and stops waiting
// for an answer when the context ends: a Transceiver that ignores its
// context cannot hang a transaction. The kernel cannot interrupt a call
// that blocks; it lets it finish in the background, drops its answer,
// and marks the link unusable, so that every later command fails at once
// with ErrCardLinkAbandoned and is never sent while the earlier one may
// still be running.
//
// A context that can never end (no Done channel) needs no watching: the
// call is made directly.
type waitLink struct {
	card apdu.Transceiver

	// abandoned names the command left running, once the link is
	// unusable (an atomic load per command, not a lock).
	abandoned atomic.Pointer[string]
}

// linkError is the error of a command the kernel stopped waiting for, or
// of one refused because an earlier one was: it matches
// ErrCardLinkAbandoned and, when the context ended, the context's error.
type linkError struct {
	command string
	ctxErr  error
}

func (e *linkError) Error() string {
	if e.ctxErr == nil {
		return fmt.Sprintf("%v: %s has not returned", ErrCardLinkAbandoned, e.command)
	}
	return fmt.Sprintf("%v: %s got no answer before the context ended: %v", ErrCardLinkAbandoned, e.command, e.ctxErr)
}

func (e *linkError) Unwrap() []error {
	if e.ctxErr == nil {
		return []error{ErrCardLinkAbandoned}
	}
	return []error{ErrCardLinkAbandoned, e.ctxErr}
}

type linkAnswer struct {
	resp []byte
	err  error
}

func (l *waitLink) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if left := l.abandoned.Load(); left != nil {
		return nil, &linkError{command: *left}
	}
	done := ctx.Done()
	if done == nil {
		return l.card.Transmit(ctx, command)
	}
	// The call gets its own copy of the command: the caller clears a
	// VERIFY's buffer once Transmit returns, which must not race with a
	// call still running. The copy is cleared when the call ends.
	cmd := append([]byte(nil), command...)
	answer := make(chan linkAnswer, 1)
	go func() {
		resp, err := l.card.Transmit(ctx, cmd)
		clear(cmd)
		answer <- linkAnswer{resp, err}
	}()
	select {
	case a := <-answer:
		return a.resp, a.err
	case <-done:
	}
	select {
	case a := <-answer: // it answered as the context ended
		return a.resp, a.err
	default:
	}
	name := commandName(command)
	l.abandoned.Store(&name)
	return nil, &linkError{command: name, ctxErr: ctx.Err()}
}

// commandName names an encoded command for an error.
func commandName(b []byte) string {
	c, err := apdu.ParseCommand(b)
	if err != nil {
		return "a malformed command"
	}
	return c.Name()
}
