package emvtest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/emvkit/emvkit/apdu"
)

// DefaultVPCDAddr is where pcscd's vpcd driver (vsmartcard) listens for a
// virtual card by default.
const DefaultVPCDAddr = "127.0.0.1:35963"

// vpcd control codes: a one-byte message from the reader.
const (
	vpcdPowerOff = 0x00
	vpcdPowerOn  = 0x01
	vpcdReset    = 0x02
	vpcdGetATR   = 0x04
)

// ServeVPCD connects the card to a vsmartcard vpcd reader: it dials addr
// (pcscd's vpcd driver listens; the virtual card connects to it) and serves
// until ctx ends, the reader closes the connection, or the card is removed
// (which closes the connection: to pcscd the card left the reader).
//
// The protocol is vpcd's: every message is a two-byte big-endian length
// followed by that many bytes. A one-byte message from the reader is a
// control code (00 power off, 01 power on, 02 reset, 04 get ATR, answered
// with the ATR); a longer one is a command APDU, answered with the
// response APDU.
//
// It returns nil when the reader closes the connection, ctx's error when
// ctx ends, and an error wrapping apdu.ErrCardRemoved when the card was
// pulled.
func ServeVPCD(ctx context.Context, addr string, card *Card) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("emvtest: vpcd: %w", err)
	}
	return ServeVPCDConn(ctx, conn, card)
}

// ServeVPCDConn serves the card over an established vpcd connection (see
// [ServeVPCD]) and closes it when done.
func ServeVPCDConn(ctx context.Context, conn net.Conn, card *Card) error {
	var once sync.Once
	closeConn := func() { once.Do(func() { conn.Close() }) }
	defer closeConn()
	stop := context.AfterFunc(ctx, closeConn)
	defer stop()

	var hdr [2]byte
	buf := make([]byte, 0xFFFF)
	for {
		quickAck(conn)
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return vpcdEnd(ctx, err)
		}
		n := int(binary.BigEndian.Uint16(hdr[:]))
		msg := buf[:n]
		if _, err := io.ReadFull(conn, msg); err != nil {
			return vpcdEnd(ctx, err)
		}
		var out []byte
		switch {
		case n == 0:
			continue
		case n == 1:
			switch msg[0] {
			case vpcdPowerOff, vpcdPowerOn, vpcdReset:
				card.Reset()
				continue
			case vpcdGetATR:
				if card.Removed() {
					return fmt.Errorf("emvtest: vpcd: %w", apdu.ErrCardRemoved)
				}
				out = card.ATR()
			default:
				continue // unknown control codes are ignored, as vicc does
			}
		default:
			resp, err := card.Transmit(ctx, append([]byte(nil), msg...))
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("emvtest: vpcd: %w", err)
			}
			out = resp
		}
		frame := make([]byte, 2+len(out))
		binary.BigEndian.PutUint16(frame, uint16(len(out)))
		copy(frame[2:], out)
		if _, err := conn.Write(frame); err != nil {
			return vpcdEnd(ctx, err)
		}
	}
}

// vpcdEnd turns the error that ended the connection into ServeVPCD's
// result.
func vpcdEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return fmt.Errorf("emvtest: vpcd: %w", err)
}
