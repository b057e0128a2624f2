package pcsc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emvkit/emvkit/apdu"
)

// FuzzParseReadersState feeds the daemon's reader table (the answer to
// CMD_GET_READERS_STATE) arbitrary bytes. A table of the wrong size is an
// ErrProtocol; a parsed one has at most 16 readers with non-empty trimmed
// names and ATRs of at most 33 bytes, and encoding it again and parsing
// that gives the same readers.
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
	f.Fuzz(func(t *testing.T, b []byte) {
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
		if len(b) != readersStateLen {
			t.Fatalf("parsed a table of %d bytes", len(b))
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
	for i, r := range sessionResponses(f, 0) {
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

// repoSessions reads every session file of the repository's
// testdata/sessions (recorded from the virtual card, or transcribed from
// outside), for fuzz seeds.
func repoSessions(tb testing.TB) []*apdu.Session {
	var out []*apdu.Session
	err := filepath.WalkDir("../../testdata/sessions", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s, err := apdu.ReadSession(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatal("no sessions in ../../testdata/sessions")
	}
	return out
}

// sessionResponses returns the distinct answers of the sessions' commands
// with instruction byte ins (0 for all), data and status word.
func sessionResponses(tb testing.TB, ins byte) [][]byte {
	var out [][]byte
	seen := map[string]bool{}
	for _, s := range repoSessions(tb) {
		for _, x := range s.Exchanges {
			if x.Response == nil || len(x.Command) < 2 || (ins != 0 && x.Command[1] != ins) || seen[string(x.Response)] {
				continue
			}
			seen[string(x.Response)] = true
			out = append(out, x.Response)
		}
	}
	return out
}
