package emvtest

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vpcdReader plays pcscd's vpcd driver: it listens and the card dials in.
type vpcdReader struct {
	t    *testing.T
	conn net.Conn
}

func (r *vpcdReader) send(msg []byte) {
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(msg)))
	_, err := r.conn.Write(append(frame, msg...))
	require.NoError(r.t, err)
}

func (r *vpcdReader) recv() []byte {
	var hdr [2]byte
	_, err := io.ReadFull(r.conn, hdr[:])
	require.NoError(r.t, err)
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err = io.ReadFull(r.conn, b)
	require.NoError(r.t, err)
	return b
}

func startVPCD(t *testing.T, card *Card) (*vpcdReader, chan error, context.CancelFunc) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeVPCD(ctx, ln.Addr().String(), card) }()
	conn, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	return &vpcdReader{t: t, conn: conn}, done, cancel
}

func TestVPCDProtocol(t *testing.T) {
	card := NewCard(VisaCDA())
	r, done, cancel := startVPCD(t, card)
	defer cancel()
	r.send([]byte{vpcdPowerOn})
	r.send([]byte{vpcdGetATR})
	assert.Equal(t, card.ATR(), r.recv())
	sel, err := apdu.Select([]byte("1PAY.SYS.DDF01"), false).Bytes()
	require.NoError(t, err)
	r.send(sel)
	resp := r.recv()
	assert.Equal(t, []byte{0x90, 0x00}, resp[len(resp)-2:])
	r.send([]byte{vpcdReset})
	r.send([]byte{vpcdPowerOff})

	// The reader closing the connection ends the service cleanly.
	r.conn.Close()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("ServeVPCD did not return")
	}
}

// A removed card closes the connection: pcscd sees the card leave.
func TestVPCDCardRemoved(t *testing.T) {
	card := NewCard(VisaCDA())
	card.RemoveAt(2)
	r, done, cancel := startVPCD(t, card)
	defer cancel()
	sel, _ := apdu.Select([]byte("1PAY.SYS.DDF01"), false).Bytes()
	r.send(sel)
	r.recv()
	r.send(sel)
	err := <-done
	assert.ErrorIs(t, err, apdu.ErrCardRemoved)
	_, rerr := r.conn.Read(make([]byte, 1))
	assert.Error(t, rerr, "connection closed")
}

// A reader asking a pulled card for its ATR learns the card is gone.
func TestVPCDCardRemovedBeforeATR(t *testing.T) {
	card := NewCard(VisaCDA())
	card.Remove()
	r, done, cancel := startVPCD(t, card)
	defer cancel()
	r.send([]byte{0x04}) // get ATR
	assert.ErrorIs(t, <-done, apdu.ErrCardRemoved)
}

func TestVPCDContextEnds(t *testing.T) {
	_, done, cancel := startVPCD(t, NewCard(VisaCDA()))
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}
