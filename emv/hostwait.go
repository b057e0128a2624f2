package emv

import (
	"context"
	"errors"
	"fmt"
)

// ErrHostAbandoned reports that the context ended while the [Host] was
// still working on the authorisation request: the kernel stopped waiting
// for its answer and ended the transaction at once, as it does for a card
// link that does not answer ([ErrCardLinkAbandoned]). The Host's call may
// still be running; whatever it returns is dropped. The request it holds
// is its own copy, so nothing it does with it touches the transaction.
var ErrHostAbandoned = errors.New("emv: host abandoned with an authorisation outstanding")

// hostError is the error of an authorisation the kernel stopped waiting
// for: it matches ErrHostAbandoned and the context's error.
type hostError struct{ ctxErr error }

func (e *hostError) Error() string {
	return fmt.Sprintf("%v: no answer before the context ended: %v", ErrHostAbandoned, e.ctxErr)
}

func (e *hostError) Unwrap() []error { return []error{ErrHostAbandoned, e.ctxErr} }

type hostAnswer struct {
	resp *OnlineResponse
	err  error
}

// authoriseWaiting asks h and stops waiting when ctx ends: a Host that
// ignores its context cannot hang a transaction. The call is left to
// finish in the background. A context that can never end (no Done
// channel) needs no watching: the call is made directly.
func authoriseWaiting(ctx context.Context, h Host, req *OnlineRequest) (*OnlineResponse, error) {
	done := ctx.Done()
	if done == nil {
		return h.Authorise(ctx, req)
	}
	answer := make(chan hostAnswer, 1)
	go func() {
		resp, err := h.Authorise(ctx, req)
		answer <- hostAnswer{resp, err}
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
	return nil, &hostError{ctxErr: ctx.Err()}
}
