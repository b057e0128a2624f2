package pcsc

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// vcard is a scripted virtual card for vsmartcard's vpcd reader driver.
// pcscd's vpcd driver listens on TCP (127.0.0.1:35963 for "Virtual PCD 00
// 00"); the card connects to it. Each message either way is a 2-byte
// big-endian length and that many bytes. A 1-byte message from the reader
// is a control code: 00 power off, 01 power on, 02 reset, 04 get ATR (the
// card answers its ATR); longer ones are command APDUs the card answers.
type vcard struct {
	atr    []byte
	answer map[string]string // command hex -> response hex

	conn net.Conn
	done chan struct{}

	mu       sync.Mutex
	commands []string // command APDUs received, hex
	controls []byte   // control codes received
	err      error
}

func hexOf(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// insertCard connects a card to the vpcd driver at env.addr, retrying while
// the driver is not yet listening, and serves it until pull is called or
// the test ends; then it waits until pcscd has seen the card go, so that
// the next test does not find it still listed.
func insertCard(t testing.TB, env e2eEnv, atr string, answers map[string]string) *vcard {
	t.Helper()
	c := &vcard{atr: mustHex(t, atr), answer: map[string]string{}, done: make(chan struct{})}
	for k, v := range answers {
		c.answer[strings.ToUpper(strings.ReplaceAll(k, " ", ""))] = strings.ReplaceAll(v, " ", "")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", env.addr, time.Second)
		if err == nil {
			c.conn = conn
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("vpcd driver not listening on %s: %v (is pcscd running with vsmartcard-vpcd?)", env.addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	go c.serve()
	t.Cleanup(func() {
		c.pull()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		x, err := EstablishContext(ctx)
		if err != nil {
			t.Errorf("after the test: %v", err)
			return
		}
		defer x.Release()
		if err := x.WaitForRemoval(ctx, env.reader); err != nil {
			t.Errorf("after the test, pcscd still lists a card: %v", err)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.err != nil {
			t.Errorf("virtual card: %v", c.err)
		}
	})
	return c
}

func (c *vcard) serve() {
	defer close(c.done)
	var hdr [2]byte
	for {
		quickAck(c.conn)
		if _, err := io.ReadFull(c.conn, hdr[:]); err != nil {
			c.fail(err)
			return
		}
		msg := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(c.conn, msg); err != nil {
			c.fail(err)
			return
		}
		var out []byte
		if len(msg) == 1 {
			c.mu.Lock()
			c.controls = append(c.controls, msg[0])
			c.mu.Unlock()
			if msg[0] != 0x04 {
				continue // power off, power on, reset: no answer
			}
			out = c.atr
		} else {
			h := hexOf(msg)
			c.mu.Lock()
			c.commands = append(c.commands, h)
			c.mu.Unlock()
			r, ok := c.answer[h]
			if !ok {
				r = "6D00"
			}
			out, _ = hex.DecodeString(r)
		}
		buf := binary.BigEndian.AppendUint16(nil, uint16(len(out)))
		if _, err := c.conn.Write(append(buf, out...)); err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *vcard) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		c.err = err
	}
}

// pull takes the card out: the vpcd connection is closed.
func (c *vcard) pull() {
	c.conn.Close()
	<-c.done
}

func (c *vcard) received() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.commands...)
}
