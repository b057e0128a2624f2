package pcsc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
)

// Card is a connection to the card in one reader (SCardConnect). It is an
// [apdu.Transceiver]. A Card belongs to the [Context] that made it and
// shares its socket.
type Card struct {
	x      *Context
	reader string

	mu       sync.Mutex // guards the fields below
	handle   uint32
	protocol Protocol
	atr      []byte
	events   uint32 // the reader's event counter when we (re)connected
	closed   bool
}

var _ apdu.Transceiver = (*Card)(nil)

// Connect connects to the card in reader in shared mode, letting the card
// choose T=0 or T=1 (preferred protocols T=0|T=1). The active protocol
// is then used for every exchange, so T=0 cards work as well as T=1 ones.
// With no card in the reader it returns an *Error with Code
// [ErrNoSmartcard], which also matches [apdu.ErrCardRemoved].
func (x *Context) Connect(ctx context.Context, reader string) (*Card, error) {
	const op = "connect"
	req, err := connectRequest(x.handle, reader, shareShared, ProtocolAny)
	if err != nil {
		return nil, err
	}
	var reply [connectLen]byte
	if err := x.c.roundTrip(ctx, op, reader, req, reply[:]); err != nil {
		return nil, err
	}
	h, active, rv, err := connectReply(reply[:])
	if err != nil {
		return nil, &Error{Op: op, Reader: reader, Err: err}
	}
	if rv != Success {
		return nil, &Error{Op: op, Reader: reader, Code: rv}
	}
	k := &Card{x: x, reader: reader, handle: h, protocol: active}
	if err := k.refresh(ctx, op); err != nil {
		k.Disconnect(context.WithoutCancel(ctx), LeaveCard)
		return nil, err
	}
	return k, nil
}

// refresh reads the card's ATR and the reader's event counter from the
// daemon's reader table, as pcsc-lite's SCardStatus does.
func (k *Card) refresh(ctx context.Context, op string) error {
	s, err := k.x.readerState(ctx, op, k.reader)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.atr, k.events = s.ATR, s.EventCounter
	k.mu.Unlock()
	return nil
}

// Reader returns the name of the card's reader.
func (k *Card) Reader() string { return k.reader }

// Protocol returns the protocol the card and reader agreed on: [ProtocolT0]
// or [ProtocolT1].
func (k *Card) Protocol() Protocol {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.protocol
}

// ATR returns a copy of the card's answer to reset as the reader got it
// when the connection was made (or last renewed).
func (k *Card) ATR() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return bytes.Clone(k.atr)
}

func (k *Card) state() (handle uint32, p Protocol, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return 0, 0, ErrClosed
	}
	return k.handle, k.protocol, nil
}

// Transmit sends one command APDU and returns the card's response APDU
// (data and SW1 SW2) as the reader got it: with T=0, 61xx and 6Cxx come
// back as they are (apdu's T=0 wrapper handles them). The send and receive
// PCI carry the card's active protocol.
//
// A card that is gone gives an *Error that matches [apdu.ErrCardRemoved]:
// the daemon says so (SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD), or the
// exchange failed and the reader no longer holds the card it was
// connected to. A "successful" answer of fewer than two bytes (no status
// word) is a failed exchange: Code [ErrNotTransacted].
func (k *Card) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	const op = "transmit"
	h, p, err := k.state()
	if err != nil {
		return nil, &Error{Op: op, Reader: k.reader, Err: err}
	}
	if len(command) < 4 || len(command) > maxBufferSize {
		return nil, &Error{Op: op, Reader: k.reader, Code: ErrInvalidParameter,
			Err: fmt.Errorf("command of %d bytes", len(command))}
	}
	var resp []byte
	var rv Code
	req := transmitRequest(h, p, command)
	// The request holds a copy of the command, a VERIFY's PIN block
	// included (in clear for P2 80): cleared once sent, whatever the
	// outcome, so that no copy of it outlives the call.
	defer clear(req)
	err = k.x.c.do(ctx, op, k.reader, req, func(r io.Reader) error {
		var hdr [transmitLen]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		n, code, err := transmitReply(hdr[:])
		if err != nil {
			return err
		}
		rv = code
		if rv != Success {
			return nil
		}
		resp = make([]byte, n)
		_, err = io.ReadFull(r, resp)
		return err
	})
	if err != nil {
		return nil, err
	}
	if rv != Success {
		return nil, k.failure(ctx, op, rv)
	}
	if len(resp) < 2 {
		// A card that leaves in the middle of an exchange can make pcscd
		// answer success with no bytes at all. A response without a status
		// word is an exchange that failed, and the card may be gone.
		return nil, k.failure(ctx, op, ErrNotTransacted)
	}
	return resp, nil
}

// removalGrace bounds how long a failed exchange waits for pcscd to see
// that the card left. pcscd polls a reader's card presence every 400 ms,
// so an exchange cut by a card being pulled out fails (SCARD_E_NOT_TRANSACTED)
// before the daemon records the removal.
var removalGrace = 2 * time.Second

// failure builds the error for a return code. When the code itself does
// not say the card is gone but the exchange with the card failed, the
// reader is watched for up to removalGrace: if it then holds no card, or a
// different one (its event counter moved), the error also matches
// [apdu.ErrCardRemoved].
func (k *Card) failure(ctx context.Context, op string, rv Code) error {
	e := &Error{Op: op, Reader: k.reader, Code: rv}
	switch rv {
	case ErrNotTransacted, ErrCommError, WarnUnresponsiveCard, WarnUnpoweredCard, ErrUnknownError:
	default:
		return e
	}
	k.mu.Lock()
	events := k.events
	k.mu.Unlock()
	var gone ReaderState
	wctx, cancel := context.WithTimeout(ctx, removalGrace)
	defer cancel()
	err := k.x.wait(wctx, op, k.reader, nil, func(states []ReaderState) bool {
		s, ok := findReader(states, k.reader)
		if !ok {
			gone = ReaderState{Name: k.reader, State: StateUnknown}
			return true
		}
		gone = s
		return !gone.CardPresent() || gone.EventCounter != events
	})
	if err == nil {
		e.Err = fmt.Errorf("%w: reader state %s", apdu.ErrCardRemoved, gone.State)
	}
	return e
}

// Status asks the daemon whether the connection is still good
// (SCardStatus) and returns the reader's state. A removed card gives an
// *Error that matches [apdu.ErrCardRemoved]; a card reset by another
// connection gives Code [WarnResetCard].
func (k *Card) Status(ctx context.Context) (ReaderState, error) {
	const op = "status"
	h, _, err := k.state()
	if err != nil {
		return ReaderState{}, &Error{Op: op, Reader: k.reader, Err: err}
	}
	if _, err := k.x.c.call(ctx, op, k.reader, cmdStatus, h, 0); err != nil {
		return ReaderState{}, err
	}
	return k.x.readerState(ctx, op, k.reader)
}

// Reconnect renews the connection (SCardReconnect), in shared mode with
// T=0|T=1 preferred. init says what to do to the card first:
// Reconnect(ctx, ResetCard) warm-resets it, UnpowerCard cold-resets it,
// LeaveCard only renews the handle after another connection reset it
// ([WarnResetCard]). The ATR and protocol are read again.
func (k *Card) Reconnect(ctx context.Context, init Disposition) error {
	const op = "reconnect"
	h, _, err := k.state()
	if err != nil {
		return &Error{Op: op, Reader: k.reader, Err: err}
	}
	w, err := k.x.c.call(ctx, op, k.reader, cmdReconnect, h, uint32(shareShared), uint32(ProtocolAny), uint32(init), 0, 0)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.protocol = Protocol(w[4])
	k.mu.Unlock()
	return k.refresh(ctx, op)
}

// BeginTransaction gives this connection the card alone until
// [Card.EndTransaction] (SCardBeginTransaction): other connections'
// commands wait meanwhile. A kernel holds it for a whole EMV transaction
// on a card that other programs may share. It waits while another
// connection holds the card, bounded by ctx only, not by [DefaultTimeout]
// (an interrupted wait leaves the context unusable, see [Context]).
func (k *Card) BeginTransaction(ctx context.Context) error {
	const op = "begin transaction"
	h, _, err := k.state()
	if err != nil {
		return &Error{Op: op, Reader: k.reader, Err: err}
	}
	// Bounded by ctx alone: the wait for another connection is not a
	// stalled daemon (DefaultTimeout).
	_, err = k.x.c.callBounded(ctx, op, k.reader, 0, cmdBeginTransaction, h, 0)
	return err
}

// EndTransaction lets other connections use the card again
// (SCardEndTransaction), doing d to the card first.
func (k *Card) EndTransaction(ctx context.Context, d Disposition) error {
	const op = "end transaction"
	h, _, err := k.state()
	if err != nil {
		return &Error{Op: op, Reader: k.reader, Err: err}
	}
	_, err = k.x.c.call(ctx, op, k.reader, cmdEndTransaction, h, uint32(d), 0)
	return err
}

// Disconnect ends the connection (SCardDisconnect), doing d to the card.
// The Card is unusable afterwards, whatever the outcome; a second call
// returns nil.
func (k *Card) Disconnect(ctx context.Context, d Disposition) error {
	const op = "disconnect"
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	h := k.handle
	k.mu.Unlock()
	_, err := k.x.c.call(ctx, op, k.reader, cmdDisconnect, h, uint32(d), 0)
	return err
}
