package emv

import (
	"bytes"
	"context"
	"errors"

	"github.com/emvkit/emvkit/apdu"
)

// chipFailure marks a cause of termination that is the chip's failure to
// be used rather than a refusal the books define: no answer to a command,
// or no application the terminal and the card both support. It reads and
// unwraps as its cause.
type chipFailure struct{ err error }

func (e *chipFailure) Error() string { return e.err.Error() }
func (e *chipFailure) Unwrap() error { return e.err }

// technicalFallback reports whether a transaction stopped by err ends
// [TryAnotherInterface]: technical fallback, where the terminal may take
// the card's magnetic stripe instead of the chip (Book 4 §6.3.6; the
// acquirer's rules say whether it does). The chip could not be used:
//
//   - it gave no answer to a command (a mute chip, a reader that lost it:
//     not a card pulled out, which ends the transaction, nor the context
//     ending);
//   - no application of the card is supported by the terminal (Book 1
//     §12.4, the candidate list is empty), though not when the cardholder
//     declined the one offered, nor when an application was left out
//     because it is blocked (SELECT answered 6283) or refused to start
//     (GET PROCESSING OPTIONS answered 6985, conditions of use not
//     satisfied, Book 3 §10.1): the card decided, and the stripe must
//     not get round that;
//   - it refused a command with a status word the step cannot go on
//     from before the first GENERATE AC (a READ RECORD or GET PROCESSING
//     OPTIONS that fails), or, during application selection, answered
//     what cannot be read.
//
// Data the card returns well but wrongly (a record that does not parse,
// mandatory data missing, Book 3 §10.2) terminates the transaction as
// the book says: the card is personalised wrongly, not unreadable, and
// the kernel chooses not to send such a card to the stripe. A replay
// that runs out or differs is not a chip (apdu.ErrReplayExhausted,
// apdu.ErrReplayMismatch).
//
// Once a GENERATE AC has been sent the card has taken part in the
// transaction's risk decision, so a failure after it is Terminated, as is
// a blocked card (6A81: the books stop there; falling back to the stripe
// of a card whose chip says it is blocked would defeat the block). No ATR
// or a failed reset happens before the kernel is called: the reader
// reports it, and the terminal falls back there.
func technicalFallback(err error, step Step, entries []apdu.TraceEntry) bool {
	switch {
	case errors.Is(err, apdu.ErrCardRemoved), errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrCardLinkAbandoned),
		errors.Is(err, ErrCardBlocked), errors.Is(err, ErrCancelled), errors.Is(err, ErrTransaction),
		errors.Is(err, apdu.ErrReplayMismatch), errors.Is(err, apdu.ErrReplayExhausted):
		return false
	}
	if generateACSent(entries) {
		return false
	}
	if errors.Is(err, ErrNotAccepted) && (applicationBlocked(entries) || gpoRefused(entries)) {
		return false
	}
	var cf *chipFailure
	return errors.As(err, &cf) || errors.Is(err, ErrCardRefused) ||
		(step == StepSelection && errors.Is(err, ErrCardData))
}

// generateACSent reports whether the trace holds a GENERATE AC command
// (INS AE).
func generateACSent(entries []apdu.TraceEntry) bool {
	for _, e := range entries {
		if len(e.Command) > 1 && e.Command[1] == apdu.InsGenerateAC {
			return true
		}
	}
	return false
}

// applicationBlocked reports whether the card answered the SELECT of an
// application (not of a PSE or PPSE directory) with 6283, selected file
// invalidated: a blocked application (Book 1 §12.3.3, §12.4).
func applicationBlocked(entries []apdu.TraceEntry) bool {
	for _, e := range entries {
		c, r := e.Command, e.Response
		if len(c) < 5 || c[1] != apdu.InsSelect || len(r) < 2 || r[len(r)-2] != 0x62 || r[len(r)-1] != 0x83 {
			continue
		}
		if data := c[5:min(len(c), 5+int(c[4]))]; !bytes.HasSuffix(data, []byte("PAY.SYS.DDF01")) {
			return true
		}
	}
	return false
}

// gpoRefused reports whether the card answered GET PROCESSING OPTIONS
// with 6985 (Book 3 §10.1).
func gpoRefused(entries []apdu.TraceEntry) bool {
	for _, e := range entries {
		c, r := e.Command, e.Response
		if len(c) > 1 && c[1] == apdu.InsGetProcessingOptions && len(r) >= 2 && r[len(r)-2] == 0x69 && r[len(r)-1] == 0x85 {
			return true
		}
	}
	return false
}
