package apdu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
)

// ReplayMode says how a [Replay] matches the commands it receives to the
// recorded ones.
type ReplayMode int

const (
	// ReplayStrict answers the recorded exchanges in order and requires
	// each command to be byte for byte the recorded one. It fails on the
	// first command that differs and keeps failing after that, like the
	// replaying connection of crypto/tls's tests.
	ReplayStrict ReplayMode = iota
	// ReplayByCommand answers each command with the first unused recorded
	// exchange whose command has the same CLA INS P1 P2 (and, for SELECT,
	// the same data: the DF name), whatever its other data and Le. It
	// serves recordings made by another terminal, whose PDOL, CDOL and DDOL
	// data (amounts, dates, unpredictable numbers) differ from the
	// kernel's: GET PROCESSING OPTIONS, GENERATE AC and INTERNAL
	// AUTHENTICATE are answered as recorded. A command the recording has no
	// unused answer for fails, and so does every later one.
	ReplayByCommand
)

// Errors inside a [*ReplayError], whose message names the package and the
// exchange.
var (
	// ErrReplayMismatch: the command is not the one recorded next (strict)
	// or has no unused recorded answer (by command).
	ErrReplayMismatch = errors.New("command differs from the recording")
	// ErrReplayExhausted: a command came after the last recorded exchange
	// (strict), or when every recorded exchange was used (by command).
	ErrReplayExhausted = errors.New("command after the end of the recording")
	// ErrReplayUnused: Close found recorded exchanges never asked for.
	ErrReplayUnused = errors.New("recorded exchanges left unused")
)

// ReplayError reports where a replay left the recording. Index is the
// recorded exchange concerned (the next expected one, or the first unused
// one), or -1 when there is none; Expected and Got are the recorded and
// received commands with sensitive data redacted ([RedactCommand]); Unused
// counts the exchanges Close found unused.
type ReplayError struct {
	Index    int
	Expected []byte
	Got      []byte
	Unused   int
	Err      error
}

func (e *ReplayError) Error() string {
	describe := func(b []byte) string {
		_, s := showCommand(b)
		return s
	}
	switch {
	case errors.Is(e.Err, ErrReplayUnused):
		return fmt.Sprintf("apdu: replay: %v: %d, the first is exchange %d, %s", e.Err, e.Unused, e.Index, describe(e.Expected))
	case e.Expected == nil:
		return fmt.Sprintf("apdu: replay: %v: got %s", e.Err, describe(e.Got))
	}
	return fmt.Sprintf("apdu: replay: exchange %d: %v: expected %s, got %s", e.Index, e.Err, describe(e.Expected), describe(e.Got))
}

func (e *ReplayError) Unwrap() error { return e.Err }

// Replay is a [Transceiver] that answers from a recorded [Session] instead
// of a card. The data of sensitive commands is never compared: a recorded
// VERIFY matches any VERIFY with the same CLA INS P1 P2 and Lc (and, in
// strict mode, Le).
// An exchange recorded with an Error returns that failure: an error
// wrapping [ErrCardRemoved] for [SessionErrorCardRemoved].
//
// The response Transmit returns is the recorded slice itself: the caller
// must not change it (an append is safe: it copies).
//
// Replay is safe for use from several goroutines.
type Replay struct {
	mode ReplayMode

	mu    sync.Mutex
	xs    []SessionExchange
	used  []bool
	next  int   // strict: the next exchange; by command: commands received
	fatal error // the first mismatch, returned from then on
	// usedRoom holds used for a session of a transaction's length: one
	// allocation a replay, not two.
	usedRoom [64]bool
}

// NewReplay returns a Replay of s in the given mode.
func NewReplay(s *Session, mode ReplayMode) *Replay {
	r := &Replay{mode: mode, xs: s.Exchanges}
	if len(s.Exchanges) <= len(r.usedRoom) {
		r.used = r.usedRoom[:len(s.Exchanges)]
	} else {
		r.used = make([]bool, len(s.Exchanges))
	}
	return r
}

// Transmit returns the recorded answer to command.
func (r *Replay) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal != nil {
		return nil, r.fatal
	}
	i, err := r.find(command)
	if err != nil {
		r.fatal = err
		return nil, err
	}
	r.used[i] = true
	r.next++
	x := r.xs[i]
	switch x.Error {
	case "":
		// The recording's own bytes, not a copy: a Recorder (the kernel's
		// trace) keeps the one copy. Capacity is cut to the length so that
		// an append cannot write into the recording.
		return x.Response[:len(x.Response):len(x.Response)], nil
	case SessionErrorCardRemoved:
		return nil, fmt.Errorf("apdu: replay: exchange %d: %w", i, ErrCardRemoved)
	}
	return nil, fmt.Errorf("apdu: replay: exchange %d: recorded transport error: %s", i, x.Error)
}

// find returns the recorded exchange that answers command.
func (r *Replay) find(command []byte) (int, error) {
	if r.mode == ReplayByCommand {
		for i, x := range r.xs {
			if !r.used[i] && sameCommandByHeader(x.Command, command) {
				return i, nil
			}
		}
		first, _ := r.unused()
		if first < 0 {
			return 0, &ReplayError{Index: -1, Got: RedactCommand(command), Err: ErrReplayExhausted}
		}
		return 0, &ReplayError{Index: first, Expected: RedactCommand(r.xs[first].Command), Got: RedactCommand(command), Err: ErrReplayMismatch}
	}
	if r.next >= len(r.xs) {
		return 0, &ReplayError{Index: -1, Got: RedactCommand(command), Err: ErrReplayExhausted}
	}
	if !sameCommand(r.xs[r.next].Command, command) {
		return 0, &ReplayError{Index: r.next, Expected: RedactCommand(r.xs[r.next].Command), Got: RedactCommand(command), Err: ErrReplayMismatch}
	}
	return r.next, nil
}

// sameCommand compares two encoded commands byte for byte, except the data
// of sensitive commands, which [RedactCommand] zeroes in both.
func sameCommand(recorded, got []byte) bool {
	if len(recorded) >= 2 && (Command{INS: recorded[1]}).Sensitive() {
		// Compared in place as RedactCommand would leave them: the same
		// length and INS, so the same bytes are zeroed in both.
		if len(recorded) != len(got) || got[1] != recorded[1] {
			return false
		}
		start, end := redactedSpan(recorded)
		return bytes.Equal(recorded[:start], got[:start]) && bytes.Equal(recorded[end:], got[end:])
	}
	return bytes.Equal(recorded, got)
}

// sameCommandByHeader is the ReplayByCommand rule: the same CLA INS P1 P2,
// and for SELECT the same data; sensitive commands also need the same Lc.
func sameCommandByHeader(recorded, got []byte) bool {
	rc, err1 := ParseCommand(recorded)
	gc, err2 := ParseCommand(got)
	if err1 != nil || err2 != nil {
		return false
	}
	if rc.CLA != gc.CLA || rc.INS != gc.INS || rc.P1 != gc.P1 || rc.P2 != gc.P2 {
		return false
	}
	switch {
	case rc.INS == InsSelect:
		return bytes.Equal(rc.Data, gc.Data)
	case rc.Sensitive():
		return len(rc.Data) == len(gc.Data)
	}
	return true
}

// Remaining returns the number of recorded exchanges not yet used.
func (r *Replay) Remaining() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, n := r.unused()
	return n
}

// unused returns the first recorded exchange not yet used (-1 if none) and
// how many are unused. r.mu must be held.
func (r *Replay) unused() (first, n int) {
	first = -1
	for i, u := range r.used {
		if !u {
			if first < 0 {
				first = i
			}
			n++
		}
	}
	return first, n
}

// Close reports whether the replay went as recorded: the first mismatch if
// there was one, else a [*ReplayError] wrapping [ErrReplayUnused] when
// recorded exchanges were never asked for (in ReplayByCommand mode the
// caller may accept that: a different terminal may have sent more
// commands), else nil. Close may be called more than once.
func (r *Replay) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal != nil {
		return r.fatal
	}
	first, n := r.unused()
	if n == 0 {
		return nil
	}
	return &ReplayError{Index: first, Expected: RedactCommand(r.xs[first].Command), Unused: n, Err: ErrReplayUnused}
}
