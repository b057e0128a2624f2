package pcsc

import (
	"context"
	"fmt"
	"io"
)

// Protocol is a card protocol (SCARD_PROTOCOL_*), used as a bit set when
// several are acceptable.
type Protocol uint32

// Card protocols.
const (
	ProtocolUndefined Protocol = 0x0000
	ProtocolT0        Protocol = 0x0001 // SCARD_PROTOCOL_T0
	ProtocolT1        Protocol = 0x0002 // SCARD_PROTOCOL_T1
	ProtocolRaw       Protocol = 0x0004 // SCARD_PROTOCOL_RAW
	ProtocolT15       Protocol = 0x0008 // SCARD_PROTOCOL_T15
	ProtocolAny                = ProtocolT0 | ProtocolT1
)

// String returns "T=0", "T=1", "T=0|T=1", "raw", ...
func (p Protocol) String() string {
	switch p {
	case ProtocolUndefined:
		return "undefined"
	case ProtocolT0:
		return "T=0"
	case ProtocolT1:
		return "T=1"
	case ProtocolAny:
		return "T=0|T=1"
	case ProtocolRaw:
		return "raw"
	case ProtocolT15:
		return "T=15"
	}
	return fmt.Sprintf("protocol(0x%X)", uint32(p))
}

// shareMode says whether other connections may use the card meanwhile
// (SCARD_SHARE_*). Connect always shares: EMV transactions keep the card
// to themselves with BeginTransaction instead.
type shareMode uint32

const shareShared shareMode = 2 // SCARD_SHARE_SHARED

// Disposition says what to do with the card when a connection ends or is
// renewed (SCARD_*_CARD).
type Disposition uint32

// Dispositions.
const (
	LeaveCard   Disposition = 0 // SCARD_LEAVE_CARD: leave it as it is
	ResetCard   Disposition = 1 // SCARD_RESET_CARD: warm reset
	UnpowerCard Disposition = 2 // SCARD_UNPOWER_CARD: power it down
	EjectCard   Disposition = 3 // SCARD_EJECT_CARD: eject it, if the reader can
)

// Context is an application context with the PC/SC daemon
// (SCardEstablishContext). It holds one socket to pcscd; its methods and
// those of its cards may be called from several goroutines, and are
// carried out one at a time.
type Context struct {
	c      *conn
	handle uint32
}

// EstablishContext connects to pcscd (on [SocketPath]), agrees on the
// protocol version and establishes a context in the system scope.
// A daemon that is not running gives an *Error with Code [ErrNoService].
func EstablishContext(ctx context.Context) (*Context, error) {
	const op = "establish context"
	c, err := dial(ctx, op)
	if err != nil {
		return nil, err
	}
	w, err := c.call(ctx, op, "", cmdEstablishContext, scopeSystem, 0, 0)
	if err != nil {
		c.close()
		return nil, err
	}
	return &Context{c: c, handle: w[1]}, nil
}

// Release releases the context (SCardReleaseContext) and closes the
// socket; the daemon then also ends the context's card connections. It is
// safe to call more than once.
func (x *Context) Release() error {
	const op = "release context"
	if x.c.isBroken() {
		return nil // released already, or lost: the daemon has let it go
	}
	_, err := x.c.call(context.Background(), op, "", cmdReleaseContext, x.handle, 0)
	x.c.close()
	return err
}

// ReaderStates returns the daemon's readers with their card state and ATR
// (CMD_GET_READERS_STATE).
func (x *Context) ReaderStates(ctx context.Context) ([]ReaderState, error) {
	return readerTable(ctx, x.c, "list readers", "", cmdGetReadersState)
}

// readerTable sends cmd (CMD_GET_READERS_STATE, or
// CMD_WAIT_READER_STATE_CHANGE on a socket of its own) and reads the
// reader table the daemon answers with. A table that does not parse is a
// protocol error that drops the connection, as any malformed reply does.
func readerTable(ctx context.Context, c *conn, op, reader string, cmd uint32) ([]ReaderState, error) {
	var states []ReaderState
	err := c.do(ctx, op, reader, appendHeader(nil, cmd, 0), func(r io.Reader) error {
		buf := make([]byte, readersStateLen)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		var err error
		states, err = parseReadersState(buf)
		return err
	})
	return states, err
}

// ListReaders returns the names of the readers the daemon knows, in its
// order, with surrounding spaces trimmed (SCardListReaders). With no
// reader it returns an *Error with Code [ErrNoReadersAvailable], as
// SCardListReaders does.
func (x *Context) ListReaders(ctx context.Context) ([]string, error) {
	states, err := x.ReaderStates(ctx)
	if err != nil {
		return nil, err
	}
	if len(states) == 0 {
		return nil, &Error{Op: "list readers", Code: ErrNoReadersAvailable}
	}
	names := make([]string, len(states))
	for i, s := range states {
		names[i] = s.Name
	}
	return names, nil
}

// readerState returns the state of one reader.
func (x *Context) readerState(ctx context.Context, op, reader string) (ReaderState, error) {
	states, err := readerTable(ctx, x.c, op, "", cmdGetReadersState)
	if err != nil {
		return ReaderState{}, err
	}
	s, ok := findReader(states, reader)
	if !ok {
		return ReaderState{}, &Error{Op: op, Reader: reader, Code: ErrUnknownReader}
	}
	return s, nil
}
