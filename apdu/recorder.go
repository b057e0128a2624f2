package apdu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// TraceEntry is one exchange as a [Recorder] saw it.
type TraceEntry struct {
	// Command is the command as sent, except that the data of a sensitive
	// command (VERIFY, PIN CHANGE/UNBLOCK) is zeros: see [RedactCommand].
	Command []byte
	// Response is the card's answer, data and status word; nil when Err is
	// set.
	Response []byte
	// Duration is the time Transmit took.
	Duration time.Duration
	// Err is the transport error, if no response was had.
	Err error
}

// Recorder is a [Transceiver] that passes every command to Card and keeps
// a trace of the exchanges, in order, for a person to read ([Recorder.WriteTrace])
// or for a session file ([Recorder.Session]).
//
// The data of a sensitive command ([Command.Sensitive]: the PIN block of
// VERIFY, the new PIN of PIN CHANGE/UNBLOCK) is redacted before the
// exchange is stored: no copy of it exists in a Recorder. Card's error is
// stored as it is; Transceivers of this module never put command data in
// their errors.
//
// A Recorder may be read while or after it records, from any goroutine.
type Recorder struct {
	// Card carries the commands.
	Card Transceiver
	// Mask renders response data in WriteTrace; nil means [MaskPAN].
	Mask Masker
	// Now is the clock durations are measured with; nil means time.Now.
	// A fixed clock makes printed traces repeatable.
	Now func() time.Time
	// Untimed leaves every Duration zero and reads no clock: for a Card
	// whose answers take no time of a card's (a [Replay]).
	Untimed bool
	// SharedResponses says that Card never changes a response once it
	// has returned it (a [Replay]'s are the recording's own bytes): the
	// trace then keeps each response as it came, without a copy, and
	// Transmit returns it. Otherwise the trace holds a copy.
	SharedResponses bool

	mu      sync.Mutex
	entries []TraceEntry
	// buf is the storage the recorded commands and responses are copied
	// into, one chunk at a time: a trace of a transaction takes a few
	// allocations, not two an exchange. A slice cut from it is never
	// written again.
	buf []byte
}

// Recorder storage sizes: a contact transaction sends some 20 commands,
// under 2 KiB with their answers (an online CDA one with scripts: 19 and
// 1,429 bytes), so the first chunk and entries hold a whole one; a
// longer trace takes more chunks and grows the entries.
const (
	recorderChunk   = 2048
	recorderEntries = 32
	// recorderCommandChunk holds the commands alone, for SharedResponses
	// (the online CDA transaction's 19 take 342 bytes).
	recorderCommandChunk = 512
)

// monotonicOrigin is the instant the Recorders measure durations from.
var monotonicOrigin = time.Now()

// keep copies b into r.buf and returns the copy, its capacity its length
// so that an append to it cannot reach the next copy; nil for an empty b,
// as append([]byte(nil), b...) gives. r.mu must be held.
func (r *Recorder) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if len(b) > cap(r.buf)-len(r.buf) {
		chunk := recorderChunk
		if r.SharedResponses {
			chunk = recorderCommandChunk
		}
		r.buf = make([]byte, 0, max(chunk, len(b)))
	}
	n := len(r.buf)
	r.buf = append(r.buf, b...)
	return r.buf[n:len(r.buf):len(r.buf)]
}

// NewRecorder returns a Recorder over card.
func NewRecorder(card Transceiver) *Recorder { return &Recorder{Card: card} }

// Room gives the Recorder storage of the caller's to record into: entries
// (its capacity) for the first exchanges, buf (its capacity) for the first
// bytes of the commands and responses it copies. A Recorder that lives in
// a larger object, as a kernel's transaction state, then records a
// transaction without allocations of its own; a longer trace goes on in
// storage the Recorder allocates, as it would without Room. The trace,
// and what [Recorder.Entries] and [Recorder.Take] return, refer to that
// storage: the caller must not write it, or give it to another Recorder,
// while any of them is in use. Room starts the trace again, empty.
func (r *Recorder) Room(entries []TraceEntry, buf []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = entries[:0:cap(entries)]
	if cap(entries) == 0 {
		r.entries = nil
	}
	r.buf = buf[:0:cap(buf)]
}

// Transmit sends command to Card and records the exchange. The response
// it returns is the Recorder's own copy (Card's own with
// SharedResponses), the one its trace holds, so that an answer is kept
// once: the caller may keep it (Card may reuse its buffer, the copy
// stays) but must not change it.
func (r *Recorder) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	var resp []byte
	var err error
	var d time.Duration
	if r.Untimed {
		resp, err = r.Card.Transmit(ctx, command)
	} else if now := r.Now; now != nil {
		start := now()
		resp, err = r.Card.Transmit(ctx, command)
		d = now().Sub(start)
	} else {
		// time.Since a time with a monotonic reading reads only the
		// monotonic clock, where time.Now reads the wall clock too: two
		// reads an exchange, not three.
		start := time.Since(monotonicOrigin)
		resp, err = r.Card.Transmit(ctx, command)
		d = time.Since(monotonicOrigin) - start
	}
	e := TraceEntry{Duration: d, Err: err}
	// command is still the caller's, unchanged, until Transmit returns.
	r.mu.Lock()
	e.Command = r.keep(command)
	redact(e.Command)
	if err == nil {
		if r.SharedResponses {
			e.Response = resp[:len(resp):len(resp)]
			if len(resp) == 0 {
				e.Response = nil
			}
		} else {
			e.Response = r.keep(resp)
		}
	}
	if r.entries == nil {
		r.entries = make([]TraceEntry, 0, recorderEntries)
	}
	r.entries = append(r.entries, e)
	r.mu.Unlock()
	return e.Response, err
}

// Entries returns the exchanges recorded so far, in order. The slice is
// the caller's; the byte slices inside are shared and must not be changed.
func (r *Recorder) Entries() []TraceEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]TraceEntry(nil), r.entries...)
}

// Take returns the exchanges recorded so far, in order, and starts the
// Recorder's trace again, empty: the slice is the caller's without a
// copy, for an owner done with the trace (a kernel handing it to its
// result). The byte slices inside are shared and must not be changed.
func (r *Recorder) Take() []TraceEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	es := r.entries
	r.entries = nil
	return es
}

// Len returns the number of exchanges recorded so far.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}

// WriteTrace writes the trace for a person, one line per exchange (see
// [TraceEntry.Format]), with response data rendered by Mask.
func (r *Recorder) WriteTrace(w io.Writer) error {
	mask := r.Mask
	if mask == nil {
		mask = MaskPAN
	}
	bw := bufio.NewWriter(w)
	for i, e := range r.Entries() {
		fmt.Fprintf(bw, "%3d %s\n", i+1, e.Format(mask))
	}
	return bw.Flush()
}

// Session returns the recorded exchanges as a [Session] with the given
// header, ready for [Session.Write]. A transport error becomes the
// exchange's Error: [SessionErrorCardRemoved] when it wraps
// [ErrCardRemoved], its message otherwise.
func (r *Recorder) Session(source, proves string) *Session {
	s := &Session{Source: source, Proves: proves}
	for _, e := range r.Entries() {
		s.Exchanges = append(s.Exchanges, NewSessionExchange(e.Command, e.Response, e.Err))
	}
	return s
}

// NewSessionExchange returns one exchange of a session file: the command
// and its response or, when err is set, no response and err's text, a
// removed card written as [SessionErrorCardRemoved] so that a replay gives
// back [ErrCardRemoved]. Every way of turning a trace into a session goes
// through it.
func NewSessionExchange(command, response []byte, err error) SessionExchange {
	x := SessionExchange{Command: command, Response: response}
	if err == nil {
		return x
	}
	x.Response = nil
	switch x.Error = err.Error(); {
	case errors.Is(err, ErrCardRemoved):
		x.Error = SessionErrorCardRemoved
	case x.Error == "":
		x.Error = "transport error"
	}
	return x
}

// String is [TraceEntry.Format] with [MaskPAN].
func (e TraceEntry) String() string { return e.Format(MaskPAN) }

// Format renders the exchange on one line: the command by
// [Command.String] (name, header, Lc, data, Le; sensitive data shown as
// its length), then "->", the response data rendered by mask (nil means
// [MaskPAN]; the 8 random bytes answered to GET CHALLENGE are shown as
// they are), the status word with its meaning, and the duration:
//
//	READ RECORD 00B2011C Le=00 -> 70135A0847617390******19... 9000 (success) 1.2ms
func (e TraceEntry) Format(mask Masker) string {
	if mask == nil {
		mask = MaskPAN
	}
	c, cmd := showCommand(e.Command)
	dur := e.Duration.Round(time.Microsecond)
	if e.Err != nil {
		return fmt.Sprintf("%s -> error: %v (%v)", cmd, e.Err, dur)
	}
	resp, err := ParseResponse(e.Response)
	if err != nil {
		return fmt.Sprintf("%s -> %d-byte response without status word (%v)", cmd, len(e.Response), dur)
	}
	if len(resp.Data) == 0 {
		return fmt.Sprintf("%s -> %s (%v)", cmd, resp.SW, dur)
	}
	var data string
	if c.INS == InsGetChallenge {
		data = fmt.Sprintf("%X", resp.Data)
	} else {
		data = mask(resp.Data)
	}
	return fmt.Sprintf("%s -> %s %s (%v)", cmd, data, resp.SW, dur)
}

// showCommand renders an encoded command for a person: it returns the
// command and [Command.String], or, when b does not parse, a zero Command
// and "malformed command" with b's hex, sensitive data zeroed
// ([RedactCommand]).
func showCommand(b []byte) (Command, string) {
	c, err := ParseCommand(b)
	if err != nil {
		return Command{}, fmt.Sprintf("malformed command %X", RedactCommand(b))
	}
	return c, c.String()
}

// GoString is like String, so that %#v of a TraceEntry masks the PAN too.
func (e TraceEntry) GoString() string { return "apdu.TraceEntry(" + e.String() + ")" }

// RedactCommand returns a copy of the encoded command b in which, if b is a
// sensitive command ([Command.Sensitive], read from INS), every byte after
// CLA INS P1 P2 Lc is zero, except the Le byte of a well-formed case 4
// command. Other commands are copied unchanged. It accepts malformed input:
// whatever follows Lc is zeroed.
func RedactCommand(b []byte) []byte {
	out := append([]byte(nil), b...)
	redact(out)
	return out
}

// redact zeroes, in place, what [RedactCommand] zeroes in its copy.
func redact(b []byte) {
	start, end := redactedSpan(b)
	clear(b[start:end])
}

// redactedSpan returns the bytes b[start:end] that [RedactCommand]
// zeroes; start == end when there are none.
func redactedSpan(b []byte) (start, end int) {
	if len(b) < 6 || !(Command{INS: b[1]}).Sensitive() {
		return 0, 0
	}
	end = len(b)
	if lc := int(b[4]); lc > 0 && len(b) == 6+lc {
		end-- // keep Le
	}
	return 5, end
}
