package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutine and the
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// vpcd frames: a two-byte big-endian length, then the bytes.
func exchange(t *testing.T, c net.Conn, msg []byte) []byte {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err := c.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(msg))), msg...))
	require.NoError(t, err)
	var hdr [2]byte
	_, err = io.ReadFull(c, hdr[:])
	require.NoError(t, err)
	out := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	_, err = io.ReadFull(c, out)
	require.NoError(t, err)
	return out
}

// The command plays the card to a reader that speaks vpcd's protocol
// (here the test, in pcscd's place): it answers GET ATR and commands,
// comes back when the reader drops the connection, and on Ctrl-C pulls
// the card and writes the session.
func TestVirtualCard(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	rec := filepath.Join(t.TempDir(), "session.json")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-card", "signature-t0", "-addr", ln.Addr().String(), "-record", rec, "-v"}, &out, &errOut)
	}()

	conn, err := ln.Accept()
	require.NoError(t, err)
	atr := exchange(t, conn, []byte{0x04}) // vpcd GET ATR
	assert.Equal(t, emvtest.NewCard(emvtest.SignatureT0()).ATR(), atr)
	sel, err := apdu.Select([]byte("1PAY.SYS.DDF01"), false).Bytes()
	require.NoError(t, err)
	resp := exchange(t, conn, sel)
	assert.Equal(t, []byte{0x61}, resp[len(resp)-2:len(resp)-1], "T=0 card: 61xx, the data waits for GET RESPONSE")
	conn.Close() // pcscd stopped

	conn, err = ln.Accept() // the card comes back
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, atr, exchange(t, conn, []byte{0x04}))

	cancel() // Ctrl-C
	select {
	case err := <-done:
		require.NoError(t, err, errOut.String())
	case <-time.After(5 * time.Second):
		t.Fatal("the command did not stop")
	}
	s := out.String()
	assert.Contains(t, s, "card signature-t0: PAN 476173******0400, ATR 3B021450 (T=0)\n")
	assert.Contains(t, s, "inserted into the vpcd reader at "+ln.Addr().String())
	assert.Contains(t, s, "the reader closed the connection (pcscd stopped?); inserting the card again\n")
	assert.Contains(t, s, "SELECT 00A40400 Lc=0E 315041592E5359532E4444463031 Le=00 -> 61")
	assert.Contains(t, s, "card removed after 1 commands\n")
	assert.NotContains(t, s, "4761739001010400")

	f, err := os.Open(rec)
	require.NoError(t, err)
	defer f.Close()
	sess, err := apdu.ReadSession(f)
	require.NoError(t, err)
	require.Len(t, sess.Exchanges, 1)
	assert.Equal(t, sel, sess.Exchanges[0].Command)
	assert.Equal(t, resp, sess.Exchanges[0].Response)
}

// A contactless profile is served like a contact one, with the contactless
// ATR of PC/SC Part 3 and its PPSE.
func TestVirtualCardContactless(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-card", "visa-qvsdc-offline", "-addr", ln.Addr().String()}, &out, &errOut)
	}()
	conn, err := ln.Accept()
	require.NoError(t, err)
	defer conn.Close()
	assert.Equal(t, []byte{0x3B, 0x80, 0x80, 0x01, 0x01}, exchange(t, conn, []byte{0x04}))
	sel, err := apdu.Select([]byte("2PAY.SYS.DDF01"), false).Bytes()
	require.NoError(t, err)
	resp := exchange(t, conn, sel)
	assert.Equal(t, []byte{0x90, 0x00}, resp[len(resp)-2:])
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, errOut.String())
	case <-time.After(5 * time.Second):
		t.Fatal("the command did not stop")
	}
	assert.Contains(t, out.String(), "card visa-qvsdc-offline: PAN 476173******0019, ATR 3B80800101 (contactless, ISO/IEC 14443-4 type A)\n")
}

func TestVirtualCardErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-card", "nope"}, &out, &errOut)
	assert.ErrorContains(t, err, `no built-in card "nope"`)
	err = run(context.Background(), []string{"-card", "missing.json"}, &out, &errOut)
	assert.Error(t, err)
	err = run(context.Background(), []string{"extra"}, &out, &errOut)
	assert.ErrorContains(t, err, "unexpected argument")

	// No reader listening: it waits, saying so once, until Ctrl-C.
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	out.Reset()
	require.NoError(t, run(ctx, []string{"-addr", "127.0.0.1:1"}, &out, &errOut))
	assert.Equal(t, 1, bytes.Count(out.Bytes(), []byte("waiting for the vpcd reader at 127.0.0.1:1")), out.String())
	assert.Contains(t, out.String(), "card removed after 0 commands")
}
