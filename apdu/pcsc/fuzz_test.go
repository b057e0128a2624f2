package pcsc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emvkit/emvkit/internal/fuzzseed"
)

// FuzzParseReadersState feeds the daemon's reader table (the answer to
// CMD_GET_READERS_STATE) arbitrary bytes of any size. The input as it is
// must be a table of exactly 2944 bytes or an ErrProtocol. Then it is laid
// over a table of no readers (its first bytes, the rest zero; the part of
// a longer input beyond the table cut off), so that a short input still
// fills readers, and that table is parsed: a parsed one has at most 16
// readers with non-empty trimmed names and ATRs of at most 33 bytes, and
// encoding it again and parsing that gives the same readers.
func FuzzParseReadersState(f *testing.F) {
	f.Add(encodeReadersState(nil))
	f.Add(encodeReadersState([]ReaderState{cardT0}))
	f.Add(encodeReadersState([]ReaderState{{Name: "Virtual PCD 00 00", State: StateAbsent},
		{}, {Name: " Gemalto PC Twin Reader 01 00 ", State: StatePresent, Sharing: -1}}))
	full := encodeReadersState([]ReaderState{cardT0})
	ne.PutUint32(full[176:], 34)
	f.Add(full)
	full = bytes.Clone(full)
	ne.PutUint32(full[176:], 35)
	f.Add(full)
	f.Add([]byte{0x00})
	f.Add([]byte("Virtual PCD 00 00"))
	f.Add(full[:readerStateLen])
	f.Fuzz(func(t *testing.T, in []byte) {
		if states, err := parseReadersState(in); len(in) != readersStateLen {
			if !errors.Is(err, ErrProtocol) || states != nil {
				t.Fatalf("a table of %d bytes: %v, %v", len(in), states, err)
			}
		}
		b := make([]byte, readersStateLen)
		copy(b, in)
		states, err := parseReadersState(b)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v is not ErrProtocol", err)
			}
			if states != nil {
				t.Fatalf("states %v with error", states)
			}
			return
		}
		if len(states) > maxReaders {
			t.Fatalf("%d readers", len(states))
		}
		for _, s := range states {
			if s.Name == "" || len(s.Name) > maxReaderName || strings.IndexByte(s.Name, 0) >= 0 {
				t.Fatalf("bad name %q", s.Name)
			}
			first, _ := utf8.DecodeRuneInString(s.Name)
			last, _ := utf8.DecodeLastRuneInString(s.Name)
			if unicode.IsSpace(first) || unicode.IsSpace(last) {
				t.Fatalf("name %q not trimmed", s.Name)
			}
			if len(s.ATR) > maxATRSize {
				t.Fatalf("ATR of %d bytes", len(s.ATR))
			}
		}
		again, err := parseReadersState(encodeReadersState(states))
		if err != nil {
			t.Fatalf("re-encoded table: %v", err)
		}
		if len(again) != len(states) {
			t.Fatalf("round trip: %d readers, then %d", len(states), len(again))
		}
		for i := range states {
			a, b := states[i], again[i]
			if a.Name != b.Name || a.EventCounter != b.EventCounter || a.State != b.State ||
				a.Sharing != b.Sharing || !bytes.Equal(a.ATR, b.ATR) || a.Protocol != b.Protocol {
				t.Fatalf("round trip: %+v became %+v", a, b)
			}
		}
	})
}

// FuzzTransmitReply plays a daemon whose answer to SCARD_TRANSMIT is
// arbitrary bytes. Transmit never panics or hangs; it succeeds only when
// the struct says success, and then returns exactly the response bytes
// the struct announced.
func FuzzTransmitReply(f *testing.F) {
	ok := wire(f, "CDAB0000 01000000 10000000 05000000 01000000 10000000 04000000 00000000 6F009000")
	f.Add(ok)
	f.Add(ok[:20])
	f.Add(wire(f, "CDAB0000 01000000 10000000 05000000 01000000 10000000 00000000 69001080"))
	f.Add(wire(f, "CDAB0000 01000000 10000000 05000000 01000000 10000000 FFFFFFFF 00000000"))
	f.Add(wire(f, "CDAB0000 01000000 10000000 05000000 01000000 10000000 00000000 16001080"))
	// The card answers of the recorded sessions, each in a successful reply.
	for i, r := range fuzzseed.Responses(f, 0) {
		if i == 128 {
			break
		}
		b := wire(f, "CDAB0000 01000000 10000000 05000000 01000000 10000000")
		b = binary.LittleEndian.AppendUint32(b, uint32(len(r)))
		b = append(b, 0, 0, 0, 0)
		f.Add(append(b, r...))
	}
	// The removal check after a failed exchange must not reach a real
	// daemon, nor wait long.
	old, had := os.LookupEnv("PCSCLITE_CSOCK_NAME")
	os.Setenv("PCSCLITE_CSOCK_NAME", filepath.Join(f.TempDir(), "none"))
	defer func() {
		if had {
			os.Setenv("PCSCLITE_CSOCK_NAME", old)
		} else {
			os.Unsetenv("PCSCLITE_CSOCK_NAME")
		}
	}()
	cmd := []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}
	f.Fuzz(func(t *testing.T, reply []byte) {
		client, daemon := net.Pipe()
		x := &Context{c: &conn{nc: client}, handle: 1}
		card := &Card{x: x, reader: "R", handle: 0xABCD, protocol: ProtocolT0}
		served := make(chan struct{})
		go func() {
			defer close(served)
			defer daemon.Close()
			req := make([]byte, headerSize+transmitLen+len(cmd))
			if _, err := io.ReadFull(daemon, req); err != nil {
				return
			}
			daemon.Write(reply)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := card.Transmit(ctx, cmd)
		x.c.close()
		<-served
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Transmit hung on reply % X", reply)
		}
		if err != nil {
			if resp != nil {
				t.Fatalf("response % X with error %v", resp, err)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		if len(reply) < transmitLen {
			t.Fatalf("success on a %d-byte reply", len(reply))
		}
		n := int(ne.Uint32(reply[24:]))
		if ne.Uint32(reply[28:]) != 0 || n > maxBufferSize || len(reply) < transmitLen+n {
			t.Fatalf("success on reply % X", reply)
		}
		if !bytes.Equal(resp, reply[transmitLen:transmitLen+n]) {
			t.Fatalf("response % X, reply announced % X", resp, reply[transmitLen:transmitLen+n])
		}
	})
}
