package apdu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// seedSessions adds the commands, responses or whole files of the
// sessions in testdata and of the repository's testdata/sessions (recorded
// from the virtual card, or transcribed from outside) as seeds.
func seedSessions(f *testing.F, add func(s *Session, raw []byte)) {
	paths, _ := filepath.Glob("testdata/session_*.json")
	err := filepath.WalkDir("../testdata/sessions", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".json" {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		s, err := ReadSession(bytes.NewReader(raw))
		if err != nil {
			f.Fatal(err)
		}
		add(s, raw)
	}
}

// FuzzParseResponse: no panic; on success data and SW give back the input
// (ISO 7816-4 §5.1), Data is within the input, and an error means fewer
// than two bytes.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte{0x90, 0x00})
	f.Add([]byte{0x61})
	seedSessions(f, func(s *Session, _ []byte) {
		for _, x := range s.Exchanges {
			f.Add(x.Response)
		}
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseResponse(b)
		if err != nil {
			if len(b) >= 2 || !errors.Is(err, ErrShortResponse) {
				t.Fatalf("ParseResponse(%X): %v", b, err)
			}
			return
		}
		if !bytes.Equal(r.Bytes(), b) {
			t.Fatalf("re-encoded %X as %X", b, r.Bytes())
		}
		if cap(r.Data) != len(r.Data) {
			t.Fatalf("Data capacity %d reaches into the status word", cap(r.Data))
		}
	})
}

// FuzzParseCommand: no panic; a parsed command re-encodes to the input
// when the input is canonical (a case 3 or 4 command with Lc 00 is
// rejected, so every accepted short command is canonical); Redacted and
// String never fail.
func FuzzParseCommand(f *testing.F) {
	for _, c := range []Command{
		Select([]byte("1PAY.SYS.DDF01"), false), ReadRecord(1, 1), GetProcessingOptions(nil),
		GenerateAC(RefARQC|RefCDA, make([]byte, 29)), GetData(0x9F36), GetChallenge(),
		Verify(VerifyPlaintextPIN, make([]byte, 8)), ExternalAuthenticate(make([]byte, 10)),
	} {
		b, _ := c.Bytes()
		f.Add(b)
	}
	seedSessions(f, func(s *Session, _ []byte) {
		for _, x := range s.Exchanges {
			f.Add(x.Command)
		}
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedCommand) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := c.Bytes()
		if err != nil {
			t.Fatalf("parsed %X but cannot encode: %v", b, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoded %X as %X", b, out)
		}
		if c.Sensitive() && len(c.Data) >= 6 {
			for _, verb := range []string{"%v", "%#v", "%x", "%d"} {
				if s := fmt.Sprintf(verb, c); strings.Contains(strings.ToUpper(s), fmt.Sprintf("%X", c.Data)) {
					t.Fatalf("%s shows the data of %s", verb, c.Name())
				}
			}
		}
		r := c.Redacted()
		if c.Sensitive() && len(c.Data) > 0 && !bytes.Equal(r.Data, make([]byte, len(c.Data))) {
			t.Fatalf("Redacted kept data")
		}
		red := RedactCommand(b)
		if len(red) != len(b) || !bytes.Equal(red[:4], b[:4]) {
			t.Fatalf("RedactCommand changed the header or length")
		}
	})
}

// fuzzCard answers every command with the next chunk of the fuzz input:
// one length byte, then that many bytes; an exhausted input answers 9000.
type fuzzCard struct {
	in    []byte
	calls int
}

func (c *fuzzCard) Transmit(_ context.Context, _ []byte) ([]byte, error) {
	c.calls++
	if len(c.in) == 0 {
		return []byte{0x90, 0x00}, nil
	}
	n := int(c.in[0])
	c.in = c.in[1:]
	if n == 0xFF {
		return nil, ErrCardRemoved
	}
	n = min(n, len(c.in))
	resp := c.in[:n]
	c.in = c.in[n:]
	return resp, nil
}

// FuzzT0: the T=0 wrapper against a card whose answers come from the fuzz
// input never panics, never sends more than the command and MaxRounds
// rounds, and ends in a response of at least a status word within the
// size limit or in an error: typed T=0 errors, ErrShortResponse, or the
// card's ErrCardRemoved.
func FuzzT0(f *testing.F) {
	f.Add(uint8(0), []byte{2, 0x61, 0x10, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x90, 0x00})
	f.Add(uint8(3), []byte{2, 0x62, 0x83, 2, 0x6C, 0x1A, 4, 0xAA, 0xBB, 0x90, 0x00})
	f.Add(uint8(1), []byte{2, 0x6C, 0x00, 2, 0x61, 0x00, 0xFF})
	f.Add(uint8(2), []byte{1, 0x90})
	// The card's answers of each recorded session, in order.
	seedSessions(f, func(s *Session, _ []byte) {
		var script []byte
		for _, x := range s.Exchanges {
			if len(x.Response) < 0xFF {
				script = append(script, byte(len(x.Response)))
				script = append(script, x.Response...)
			}
		}
		f.Add(uint8(3), script)
	})
	commands := [][]byte{
		{0x00, 0xB2, 0x01, 0x0C, 0x00},                   // case 2
		{0x00, 0x82, 0x00, 0x00, 0x02, 0x01, 0x02},       // case 3
		{0x80, 0xCA, 0x9F, 0x36},                         // case 1
		{0x80, 0xA8, 0x00, 0x00, 0x02, 0x83, 0x00, 0x00}, // case 4
	}
	const rounds, size = 8, 600
	f.Fuzz(func(t *testing.T, which uint8, script []byte) {
		card := &fuzzCard{in: script}
		t0 := &T0{Card: card, MaxRounds: rounds, MaxResponse: size}
		resp, err := t0.Transmit(context.Background(), commands[int(which)%len(commands)])
		if card.calls > 1+rounds {
			t.Fatalf("%d exchanges for one command", card.calls)
		}
		if err != nil {
			var te *T0Error
			if !errors.As(err, &te) && !errors.Is(err, ErrShortResponse) && !errors.Is(err, ErrCardRemoved) {
				t.Fatalf("untyped error: %v", err)
			}
			if resp != nil {
				t.Fatalf("a response with an error")
			}
			return
		}
		if len(resp) < 2 {
			t.Fatalf("response %X has no status word", resp)
		}
		if len(resp) > size+2 || (card.calls == 1 && len(resp) > MaxShortResponse+2) {
			t.Fatalf("%d bytes after %d exchanges, limits %d gathered and %d per answer", len(resp), card.calls, size, MaxShortResponse)
		}
		sw := SW(resp[len(resp)-2])<<8 | SW(resp[len(resp)-1])
		if card.calls > 1 {
			if _, more := sw.MoreData(); more {
				t.Fatalf("ended on %v after following", sw)
			}
		}
	})
}

// FuzzReadSession: no panic; an error is a *SessionError; the one-pass
// reader, when it takes the file on, decodes what the token reader
// decodes; a session read writes out, and what is written reads back to
// a session that writes the same bytes (the file format is stable), and
// replays strictly to the end.
func FuzzReadSession(f *testing.F) {
	f.Add([]byte(`{"source": "s", "proves": "p", "exchanges": [{"command": "0020008002XXXX", "response": "9000"}]}`))
	f.Add([]byte(`{"source": "s", "proves": "p", "kernel": {"a": [1, {"b": null}]}, "exchanges": [{"command": "00B2010C00", "error": "card removed", "note": "n"}]}`))
	seedSessions(f, func(_ *Session, raw []byte) { f.Add(raw) })
	f.Fuzz(func(t *testing.T, b []byte) {
		if fast, ok := readSessionFast(b); ok {
			slow, err := readSessionSlow(b)
			if err != nil || !reflect.DeepEqual(fast, slow) {
				t.Fatalf("one-pass reader: %+v\ntoken reader: %+v, %v", fast, slow, err)
			}
		}
		s, err := ReadSession(bytes.NewReader(b))
		if err != nil {
			var se *SessionError
			if !errors.As(err, &se) {
				t.Fatalf("untyped error: %v", err)
			}
			if s != nil {
				t.Fatalf("a session with an error")
			}
			return
		}
		var first, second bytes.Buffer
		if err := s.Write(&first); err != nil {
			t.Fatalf("read but cannot write: %v", err)
		}
		s2, err := ReadSession(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("cannot read what Write wrote: %v\n%s", err, first.Bytes())
		}
		if err := s2.Write(&second); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("unstable output:\n%s\n%s", first.Bytes(), second.Bytes())
		}
		if len(s.Exchanges) != len(s2.Exchanges) || !json.Valid(first.Bytes()) {
			t.Fatalf("lost exchanges or invalid JSON")
		}
		r := NewReplay(s, ReplayStrict)
		for _, x := range s.Exchanges {
			resp, err := r.Transmit(context.Background(), x.Command)
			if x.Error == "" && (err != nil || !bytes.Equal(resp, x.Response)) {
				t.Fatalf("replay of its own commands failed: %v", err)
			}
		}
		if err := r.Close(); err != nil {
			t.Fatalf("replay left exchanges: %v", err)
		}
	})
}
