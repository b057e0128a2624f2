package pcsc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// DefaultSocket is where pcsc-lite's daemon listens unless the
// PCSCLITE_CSOCK_NAME environment variable names another socket.
const DefaultSocket = "/run/pcscd/pcscd.comm"

// SocketPath returns the daemon's socket: $PCSCLITE_CSOCK_NAME if set, else
// [DefaultSocket] (the rule of pcsc-lite's own client library).
func SocketPath() string {
	if p := os.Getenv("PCSCLITE_CSOCK_NAME"); p != "" {
		return p
	}
	return DefaultSocket
}

// DefaultTimeout bounds a call to the daemon when the caller's context has
// no deadline: a daemon that stalls (or a reader driver stuck inside it)
// must not block a caller that passed context.Background() for ever. The
// bound covers the whole request and reply, a card's processing included
// for Transmit; it is far above what any of them takes (an EMV card
// answers in well under a second, an old card's RSA signature in a few),
// so only a stalled daemon meets it. A call that passes it fails with an
// *Error of Code [ErrTimeout] that also matches os.ErrDeadlineExceeded,
// and leaves the socket unusable (the daemon's answer may still come).
//
// The calls that wait for something outside the daemon are bounded by
// their context only: the reader events of [Context.WaitForCard] and
// [Context.WaitForRemoval], and [Card.BeginTransaction] while another
// connection holds the card.
const DefaultTimeout = 30 * time.Second

// callTimeout is DefaultTimeout; tests shorten it.
var callTimeout = DefaultTimeout

// conn is one socket to the daemon. pcscd serves each socket in its own
// thread, one request at a time, so requests are serialised by mu. A
// request interrupted half-way (the caller's context ended) leaves the
// stream out of step with the daemon: the socket is then closed and every
// later request fails with broken.
type conn struct {
	mu     sync.Mutex
	nc     net.Conn
	broken error
}

// dial opens a socket to the daemon and agrees on the protocol version
// (CMD_VERSION), as every pcsc-lite client does first.
func dial(ctx context.Context, op string) (*conn, error) {
	path := SocketPath()
	nc, err := dialSocket(ctx, path)
	if err != nil {
		if errors.Is(err, ErrNotSupported) {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctxError(op, "", ctx.Err())
		}
		return nil, &Error{Op: op, Code: ErrNoService, Err: fmt.Errorf("is pcscd running? %w", err)}
	}
	c := &conn{nc: nc}
	var reply [versionLen]byte
	if err := c.roundTrip(ctx, op, "", request(cmdVersion, protocolMajor, protocolMinor, 0), reply[:]); err != nil {
		c.close()
		return nil, err
	}
	w, _ := words(reply[:], 3)
	if rv := Code(w[2]); rv != Success {
		c.close()
		return nil, &Error{Op: op, Code: rv, Err: fmt.Errorf("pcscd speaks protocol %d.%d, this client %d.%d",
			int32(w[0]), int32(w[1]), protocolMajor, protocolMinor)}
	}
	return c, nil
}

func (c *conn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken == nil {
		c.broken = ErrClosed
	}
	return c.nc.Close()
}

// isBroken reports whether the socket is closed or out of step.
func (c *conn) isBroken() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.broken != nil
}

// roundTrip sends req (nothing when it is empty) and reads exactly
// len(reply) bytes back.
func (c *conn) roundTrip(ctx context.Context, op, reader string, req, reply []byte) error {
	return c.do(ctx, op, reader, req, func(r io.Reader) error {
		_, err := io.ReadFull(r, reply)
		return err
	})
}

// awaitEvent is roundTrip for a reply that comes when something happens
// outside the daemon (a reader event): bounded by ctx alone.
func (c *conn) awaitEvent(ctx context.Context, op, reader string, reply []byte) error {
	return c.exchange(ctx, op, reader, nil, 0, func(r io.Reader) error {
		_, err := io.ReadFull(r, reply)
		return err
	})
}

// call sends a request whose struct is fields (32-bit integers) and reads
// the same struct back, its last field the daemon's return code. It
// returns the reply's fields; a return code other than Success is an
// *Error.
func (c *conn) call(ctx context.Context, op, reader string, cmd uint32, fields ...uint32) ([]uint32, error) {
	return c.callBounded(ctx, op, reader, callTimeout, cmd, fields...)
}

// callBounded is call with the bound used when ctx has no deadline; zero
// means ctx alone bounds it.
func (c *conn) callBounded(ctx context.Context, op, reader string, bound time.Duration, cmd uint32, fields ...uint32) ([]uint32, error) {
	reply := make([]byte, 4*len(fields))
	err := c.exchange(ctx, op, reader, request(cmd, fields...), bound, func(r io.Reader) error {
		_, err := io.ReadFull(r, reply)
		return err
	})
	if err != nil {
		return nil, err
	}
	w, _ := words(reply, len(fields))
	if rv := Code(w[len(w)-1]); rv != Success {
		return nil, &Error{Op: op, Reader: reader, Code: rv}
	}
	return w, nil
}

// do sends req and lets read consume the whole reply, bounded by the
// caller's context, or by DefaultTimeout when it has no deadline.
func (c *conn) do(ctx context.Context, op, reader string, req []byte, read func(io.Reader) error) error {
	return c.exchange(ctx, op, reader, req, callTimeout, read)
}

// exchange is do with the bound used when ctx has no deadline; zero means
// none.
func (c *conn) exchange(ctx context.Context, op, reader string, req []byte, bound time.Duration, read func(io.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return ctxError(op, reader, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken != nil {
		return &Error{Op: op, Reader: reader, Err: c.broken}
	}
	dl, fromCtx := ctx.Deadline()
	if !fromCtx && bound > 0 {
		dl = time.Now().Add(bound)
	}
	_ = c.nc.SetDeadline(dl)
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = c.nc.SetDeadline(time.Unix(1, 0))
		close(interrupted)
	})
	var err error
	if len(req) > 0 {
		_, err = c.nc.Write(req)
	}
	if err == nil {
		err = read(c.nc)
	}
	if !stop() {
		// The context ended while the request ran: wait until the
		// deadline is set, so that it cannot fall on the next request
		// (each request sets its own deadline first).
		<-interrupted
	}
	if err == nil {
		return nil
	}
	// The stream is now out of step (or gone): drop it.
	_ = c.nc.Close()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if !fromCtx && ctx.Err() == nil {
			// Our own bound: the daemon did not answer in time.
			c.broken = fmt.Errorf("%w: pcscd did not answer an earlier %s within %v", ErrClosed, op, bound)
			return &Error{Op: op, Reader: reader, Code: ErrTimeout,
				Err: fmt.Errorf("pcscd did not answer within %v: %w", bound, os.ErrDeadlineExceeded)}
		}
		// Otherwise the context set the deadline: its own timer may fire
		// a moment after the socket's, but it will.
		<-ctx.Done()
	}
	if ctx.Err() != nil {
		c.broken = fmt.Errorf("%w: an earlier %s was interrupted", ErrClosed, op)
		return ctxError(op, reader, ctx.Err())
	}
	if errors.Is(err, ErrProtocol) {
		c.broken = fmt.Errorf("%w: %v", ErrClosed, err)
		return &Error{Op: op, Reader: reader, Err: err}
	}
	c.broken = fmt.Errorf("%w: connection to pcscd lost: %v", ErrClosed, err)
	return &Error{Op: op, Reader: reader, Code: ErrNoService, Err: err}
}

// ctxError reports the end of the caller's context as PC/SC does: a
// deadline is SCARD_E_TIMEOUT, a cancellation SCARD_E_CANCELLED. Both
// unwrap to the context's error too.
func ctxError(op, reader string, err error) error {
	code := ErrCancelled
	if errors.Is(err, context.DeadlineExceeded) {
		code = ErrTimeout
	}
	return &Error{Op: op, Reader: reader, Code: code, Err: err}
}
