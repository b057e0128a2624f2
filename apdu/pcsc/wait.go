package pcsc

import (
	"context"
	"slices"
)

// maxWaitEvents bounds the reader events one wait looks at: a reader that
// flaps faster than a person can insert a card would otherwise keep the
// loop going for ever. It is far above any real sequence of events.
const maxWaitEvents = 100000

// WaitForCard blocks until a card is present in one of readers, or in any
// reader if none is named, and returns that reader's state
// (SCardGetStatusChange). It returns at once if a card is already there.
//
// The wait ends with the caller's context: a deadline gives an *Error
// with Code [ErrTimeout], a cancellation Code [ErrCancelled]; both also
// match the context's error. A named reader the daemon does not know
// gives Code [ErrUnknownReader].
func (x *Context) WaitForCard(ctx context.Context, readers ...string) (ReaderState, error) {
	var found ReaderState
	err := x.wait(ctx, "wait for card", firstOf(readers), readers, func(states []ReaderState) bool {
		for _, s := range states {
			if (len(readers) == 0 || slices.Contains(readers, s.Name)) && s.CardPresent() {
				found = s
				return true
			}
		}
		return false
	})
	return found, err
}

// WaitForRemoval blocks until reader holds no card, or is gone, for
// "remove card" prompts. It ends with the caller's context like
// [Context.WaitForCard].
func (x *Context) WaitForRemoval(ctx context.Context, reader string) error {
	return x.wait(ctx, "wait for removal", reader, nil, func(states []ReaderState) bool {
		s, ok := findReader(states, reader)
		return !ok || !s.CardPresent()
	})
}

// wait evaluates done on the daemon's reader table, again after every
// reader event, until it holds. It uses a socket of its own: pcscd sends
// the table and registers the socket for events on
// CMD_WAIT_READER_STATE_CHANGE, then sends a wait_reader_state_change
// message at the next event. Ending the wait is closing that socket, which
// pcscd takes as unregistering; the context's own socket stays free for
// other calls meanwhile. The readers in known must be in the first table;
// reader names the wait in errors.
func (x *Context) wait(ctx context.Context, op, reader string, known []string, done func([]ReaderState) bool) error {
	c, err := dial(ctx, op)
	if err != nil {
		return err
	}
	defer c.close()
	for i := 0; ; i++ {
		states, err := readerTable(ctx, c, op, reader, cmdWaitReaderStateChange)
		if err != nil {
			return err
		}
		if i == 0 {
			for _, name := range known {
				if _, ok := findReader(states, name); !ok {
					return &Error{Op: op, Reader: name, Code: ErrUnknownReader}
				}
			}
		}
		if done(states) {
			return nil
		}
		if i == maxWaitEvents {
			return &Error{Op: op, Reader: reader, Code: ErrWaitedTooLong}
		}
		// Wait for the event message; nothing is sent.
		var ev [waitLen]byte
		if err := c.awaitEvent(ctx, op, reader, ev[:]); err != nil {
			return err
		}
		w, _ := words(ev[:], 2)
		if rv := Code(w[1]); rv != Success {
			return &Error{Op: op, Reader: reader, Code: rv}
		}
	}
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
