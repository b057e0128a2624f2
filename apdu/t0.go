package apdu

import (
	"context"
	"errors"
	"fmt"
)

// Limits a [T0] applies when its fields are zero.
const (
	// DefaultT0MaxRounds bounds the exchanges a T0 adds to one command:
	// every GET RESPONSE and every re-send after 6Cxx counts as one.
	DefaultT0MaxRounds = 32
	// DefaultT0MaxResponse bounds the data bytes a T0 gathers for one
	// command across all its rounds: sixteen full 256-byte answers.
	DefaultT0MaxResponse = 4096
	// MaxShortResponse is the most data one response APDU to a short
	// command can carry: Le 00 asks for Ne = 256 bytes, the largest a
	// short Le can ask for (ISO 7816-4 §5.1). A T0 carries short commands
	// only ([ParseCommand] refuses extended lengths, and T=0 cannot carry
	// them: ISO 7816-3 §12.2), so every single answer it receives, the
	// first or one of a GET RESPONSE round, is refused beyond this.
	MaxShortResponse = 256
)

// Errors a [T0] reports inside a [*T0Error], whose message names the
// package and the command.
var (
	// ErrTooManyRounds reports a card that kept answering 61xx or 6Cxx
	// past the round limit.
	ErrTooManyRounds = errors.New("too many GET RESPONSE or re-send rounds")
	// ErrResponseTooLong reports a card whose answers added up to more
	// data than the response limit.
	ErrResponseTooLong = errors.New("response too long")
)

// T0Error reports a command whose T=0 procedure a [T0] gave up on. Command
// is redacted ([Command.Redacted]). Rounds is the number of exchanges added
// to the command so far and Length the data bytes gathered (with
// [ErrResponseTooLong]: including the answer that went over). Limit is the
// bound that was passed: rounds with [ErrTooManyRounds], data bytes with
// [ErrResponseTooLong].
type T0Error struct {
	Command Command
	Rounds  int
	Length  int
	Limit   int
	Err     error
}

func (e *T0Error) Error() string {
	return fmt.Sprintf("apdu: T=0: %s: %v (%d rounds, %d data bytes, limit %d)",
		e.Command.Name(), e.Err, e.Rounds, e.Length, e.Limit)
}

func (e *T0Error) Unwrap() error { return e.Err }

// T0 is a [Transceiver] that carries out, at APDU level, the transport
// procedures a terminal's transport layer owes a T=0 card (EMV Book 1
// §9.3.1 and the exchanges of Annex A), so that the layer above sees one
// response per command:
//
//   - 61xx to a case 2 or case 4 command: the card holds xx more bytes.
//     T0 sends GET RESPONSE (00 C0 00 00 xx) and repeats while the card
//     answers 61xx, concatenating the data of every answer.
//   - 6Cxx to a case 2 or case 4 command, or to a GET RESPONSE: wrong Le.
//     T0 sends the same command again with Le xx; data returned with
//     6Cxx is discarded.
//   - 62xx or 63xx with no data to a case 4 command: a warning, and the
//     data may still be waiting. T0 sends GET RESPONSE with Le 00 and
//     follows it as above; the warning stays the response's status
//     word whatever status the GET RESPONSE ends with, and the data it
//     returns is kept (Annex A7, "Case 4 Command with Warning
//     Condition").
//
// Every other answer, and every answer to a case 1 or case 3 command
// (ISO 7816-3 §12.2.1 allows 61xx and 6Cxx only for cases 2 and 4), is
// passed up unchanged. An answer shorter than a status word is an error
// wrapping [ErrShortResponse]. A response the card gave straight away is
// returned without copying.
//
// A card cannot keep T0 busy or make it hold more than it asked for: after
// MaxRounds added exchanges, once the gathered data exceeds MaxResponse
// bytes, or when one answer (the first included) carries more than
// [MaxShortResponse] data bytes or more than MaxResponse, Transmit stops
// and returns a [*T0Error] wrapping [ErrTooManyRounds] or
// [ErrResponseTooLong]; the oversized answer is not returned.
// Transport errors of Card are returned as they are, wrapped when they
// happen in an added round, so errors.Is(err, [ErrCardRemoved]) holds.
type T0 struct {
	// Card carries the APDUs to the card.
	Card Transceiver
	// MaxRounds bounds the GET RESPONSE and re-send exchanges added to one
	// command; zero means DefaultT0MaxRounds.
	MaxRounds int
	// MaxResponse bounds the response data gathered for one command; zero
	// means DefaultT0MaxResponse.
	MaxResponse int
}

// NewT0 returns a T0 over card with the default limits.
func NewT0(card Transceiver) *T0 { return &T0{Card: card} }

func (t *T0) maxRounds() int {
	if t.MaxRounds > 0 {
		return t.MaxRounds
	}
	return DefaultT0MaxRounds
}

func (t *T0) maxResponse() int {
	if t.MaxResponse > 0 {
		return t.MaxResponse
	}
	return DefaultT0MaxResponse
}

// getResponse is GET RESPONSE (ISO 7816-4 §7.6.1) as EMV sends it:
// 00 C0 00 00 Le.
func getResponse(le int) []byte {
	return []byte{0x00, InsGetResponse, 0x00, 0x00, byte(le)}
}

// withLe returns the encoded command b (case 2 or 4) with its Le byte set
// to le, in a new slice.
func withLe(b []byte, le int) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	out[len(out)-1] = byte(le)
	return out
}

// Transmit sends command and follows the card's T=0 procedure bytes as
// described on [T0].
func (t *T0) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	hasLe, hasData, ok := shortCase(command)
	if !ok {
		_, err := ParseCommand(command)
		return nil, err // a T=0 reader cannot carry it either
	}
	raw, err := t.Card.Transmit(ctx, command)
	if err != nil {
		return nil, err
	}
	first, err := ParseResponse(raw)
	if err != nil {
		return nil, err
	}
	if n := len(first.Data); n > min(MaxShortResponse, t.maxResponse()) {
		c, _ := ParseCommand(command)
		return nil, &T0Error{Command: c.Redacted(), Length: n, Limit: min(MaxShortResponse, t.maxResponse()), Err: ErrResponseTooLong}
	}
	if !hasLe { // cases 1 and 3: nothing to follow
		return raw, nil
	}
	_, more := first.SW.MoreData()
	_, wrongLe := first.SW.ExactLength()
	if !more && !wrongLe && !case4Warning(hasData, hasLe, first) {
		return raw, nil // the common case: the answer as the card gave it
	}
	c, _ := ParseCommand(command)
	return t.follow(ctx, c, command, first)
}

// case4Warning reports whether resp, the answer to a command with a data
// field and an Le field (case 4, read by shortCase), is a warning (62xx,
// 63xx) without data: the data may still be waiting for GET RESPONSE
// (Book 1 Annex A7).
func case4Warning(hasData, hasLe bool, resp Response) bool {
	return hasData && hasLe && resp.SW.IsWarning() && len(resp.Data) == 0
}

// follow runs the rounds a first answer of 61xx, 6Cxx or a case 4 warning
// calls for.
func (t *T0) follow(ctx context.Context, c Command, sent []byte, resp Response) ([]byte, error) {
	var (
		data     []byte
		warning  SW     // the case 4 warning to report, Annex A7
		original = true // sent is the caller's command, maybe with a new Le
		rounds   int
		limit    = t.maxRounds()
		maxLen   = t.maxResponse()
	)
	for {
		var next []byte
		if n, ok := resp.SW.ExactLength(); ok {
			next = withLe(sent, n) // the same command, right Le; its data is dropped
		} else {
			if len(data)+len(resp.Data) > maxLen {
				return nil, &T0Error{Command: c.Redacted(), Rounds: rounds, Length: len(data) + len(resp.Data), Limit: maxLen, Err: ErrResponseTooLong}
			}
			data = append(data, resp.Data...)
			switch n, ok := resp.SW.MoreData(); {
			case ok:
				next = getResponse(n)
			case original && case4Warning(len(c.Data) > 0, c.Le != 0, resp):
				warning = resp.SW
				next = getResponse(256)
			default:
				sw := resp.SW
				if warning != 0 {
					sw = warning
				}
				return append(data, sw.SW1(), sw.SW2()), nil // data is ours
			}
		}
		original = next[1] != InsGetResponse || c.INS == InsGetResponse
		if rounds >= limit {
			return nil, &T0Error{Command: c.Redacted(), Rounds: rounds, Length: len(data), Limit: limit, Err: ErrTooManyRounds}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rounds++
		raw, err := t.Card.Transmit(ctx, next)
		if err != nil {
			return nil, fmt.Errorf("apdu: T=0: round %d of %s: %w", rounds, c.Name(), err)
		}
		if resp, err = ParseResponse(raw); err != nil {
			return nil, fmt.Errorf("apdu: T=0: round %d of %s: %w", rounds, c.Name(), err)
		}
		if n := len(resp.Data); n > MaxShortResponse {
			return nil, &T0Error{Command: c.Redacted(), Rounds: rounds, Length: len(data) + n, Limit: MaxShortResponse, Err: ErrResponseTooLong}
		}
		sent = next
	}
}
