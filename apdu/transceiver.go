package apdu

import (
	"context"
	"errors"
	"fmt"
)

// Transceiver carries one command APDU to the card and brings back its
// response APDU (data followed by SW1 SW2). A PC/SC reader, a contactless
// front end, a recorded session and the virtual test card all implement it.
//
// Transmit returns an error only when no response was had: the reader
// failed, the context ended, or the card was removed ([ErrCardRemoved]).
// A card's refusal is a response, not an error.
//
// Transmit must not keep command, nor change it, once it returns: the
// caller may reuse the buffer for its next command (as io.Writer's Write
// must not retain p).
type Transceiver interface {
	Transmit(ctx context.Context, command []byte) (response []byte, err error)
}

// ErrCardRemoved reports that the card left the reader. Transceivers wrap
// it, so test with errors.Is.
var ErrCardRemoved = errors.New("apdu: card removed")

// ErrShortResponse reports a response of fewer than two bytes: no status word.
var ErrShortResponse = errors.New("apdu: response shorter than a status word")

// Response is one response APDU: its data and its status word.
type Response struct {
	Data []byte
	SW   SW
}

// ParseResponse splits a response APDU into data and status word. Data is a
// sub-slice of b.
func ParseResponse(b []byte) (Response, error) {
	if len(b) < 2 {
		return Response{}, fmt.Errorf("%w: % X", ErrShortResponse, b)
	}
	n := len(b) - 2
	return Response{Data: b[:n:n], SW: SW(b[n])<<8 | SW(b[n+1])}, nil
}

// String shows the response for a person: its data in hex with the PAN,
// track 2 and cardholder name masked ([MaskPAN]), then the status word.
func (r Response) String() string {
	if len(r.Data) == 0 {
		return r.SW.String()
	}
	return MaskPAN(r.Data) + " " + r.SW.String()
}

// Format makes every fmt verb print [Response.String], so no verb shows an
// unmasked PAN. Use Data to reach the bytes.
func (r Response) Format(f fmt.State, verb rune) { fmt.Fprint(f, r.String()) }

// Bytes encodes the response: data followed by SW1 SW2.
func (r Response) Bytes() []byte {
	b := make([]byte, 0, len(r.Data)+2)
	b = append(b, r.Data...)
	return append(b, r.SW.SW1(), r.SW.SW2())
}

// StatusError reports a command that the card answered with a status word
// the caller could not accept. It names the command but never shows the
// data of a sensitive one.
type StatusError struct {
	Command Command
	SW      SW
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("apdu: %s answered %s", e.Command.Name(), e.SW)
}

// Exchange encodes c, transmits it and parses the response.
func Exchange(ctx context.Context, t Transceiver, c Command) (Response, error) {
	b, err := c.Bytes()
	if err != nil {
		return Response{}, err
	}
	raw, err := t.Transmit(ctx, b)
	if err != nil {
		return Response{}, err
	}
	return ParseResponse(raw)
}
