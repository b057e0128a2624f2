package contactless

import (
	"context"
	"errors"
	"time"

	"github.com/emvkit/emvkit/apdu"
)

// ErrCollision reports that more than one card answered the reader's poll
// (ISO/IEC 14443-3 anticollision, Book D). A [Field] returns it from Poll,
// and a card link may return it (wrapped) from Transmit when the reader
// finds a second card only on the first command; test with errors.Is.
var ErrCollision = errors.New("contactless: more than one card in the field")

// A Field is the reader's contactless interface as the Entry Point uses it
// for protocol activation (Book B §3.2; the polling, anticollision and
// activation of ISO/IEC 14443 are the Main Loop of Book D, below it).
type Field interface {
	// Poll waits until one card is in the field and activated, and returns
	// the link to it. It returns an error wrapping [ErrCollision] when
	// several cards answer (the Entry Point then asks for one card only
	// and polls again), and the context's error when ctx ends.
	Poll(ctx context.Context) (apdu.Transceiver, error)

	// Off turns the field off for d, for an outcome's Field Off Request
	// (Book A §6.2), before the Entry Point polls again.
	Off(ctx context.Context, d time.Duration) error

	// WaitRemoval waits up to d for the card to leave the field, for an
	// outcome's Removal Timeout (Book A §6.2). It returns nil when the card
	// left or d passed, and the context's error when ctx ends.
	WaitRemoval(ctx context.Context, d time.Duration) error
}

// OneCard returns a [Field] holding one card link that is already in the
// field: a PC/SC reader's connection to a tapped card, a virtual card, a
// replayed session. Poll always returns t; a collision or the card leaving
// shows as the typed error of t's Transmit ([ErrCollision],
// [apdu.ErrCardRemoved]), which the Entry Point handles as protocol
// activation and outcome processing say. Off and WaitRemoval return at
// once (with ctx's error if it ended): the link has no field to switch and
// cannot see the card leave.
func OneCard(t apdu.Transceiver) Field { return oneCard{t} }

type oneCard struct{ t apdu.Transceiver }

func (o oneCard) Poll(ctx context.Context) (apdu.Transceiver, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return o.t, nil
}

func (o oneCard) Off(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func (o oneCard) WaitRemoval(ctx context.Context, _ time.Duration) error { return ctx.Err() }
