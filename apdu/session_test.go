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
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readSessionFile(t testing.TB, path string) (*Session, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s, err := ReadSession(bytes.NewReader(b))
	require.NoError(t, err)
	return s, b
}

// The file format of testdata/README.md: reading then writing a session
// file gives back its bytes.
func TestSessionFileRoundTrip(t *testing.T) {
	for _, f := range []string{"testdata/session_pse_blocked.json", "testdata/session_aid_blocked.json"} {
		s, b := readSessionFile(t, f)
		var out bytes.Buffer
		require.NoError(t, s.Write(&out))
		assert.Equal(t, string(b), out.String(), f)
	}

	s, _ := readSessionFile(t, "testdata/session_pse_blocked.json")
	assert.Contains(t, s.Source, "openemv/emv-utils")
	assert.Contains(t, s.Proves, "Annex A7")
	assert.JSONEq(t, `{"emv_utils_outcome": "EMV_OUTCOME_NOT_ACCEPTED"}`, string(s.Kernel))
	require.Len(t, s.Exchanges, 8)
	assert.Equal(t, "00C000001A", fmt.Sprintf("%X", s.Exchanges[2].Command))
	assert.Equal(t, "GET RESPONSE Le 1A: the PSE's FCI", s.Exchanges[2].Note)
}

// The emv-utils sessions replayed through the T=0 wrapper: the terminal
// sends only its SELECTs, the wrapper adds exactly the GET RESPONSE
// commands the recording holds, and the terminal sees the FCI with status
// 6283 (Book 1 Annex A7) where the card warned, the card's answer elsewhere.
func TestSessionReplayThroughT0(t *testing.T) {
	for _, tc := range []struct {
		file   string
		warned int // index among the terminal's commands
		fci    string
	}{
		{"testdata/session_pse_blocked.json", 0, "6F20840E315041592E5359532E4444463031A50E8801015F2D046E6C656E9F110101"},
		{"testdata/session_aid_blocked.json", 3, "6F2F8407A0000000032020A524500556205041598701015F2D046E6C656EBF0C109F4D020B059F0A080001050100000000"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s, _ := readSessionFile(t, tc.file)
			replay := NewReplay(s, ReplayStrict)
			card := NewT0(replay)
			var sent int
			for _, x := range s.Exchanges {
				if x.Command[1] == InsGetResponse {
					continue // the wrapper's business
				}
				cmd, err := ParseCommand(x.Command)
				require.NoError(t, err)
				resp, err := Exchange(context.Background(), card, cmd)
				require.NoError(t, err)
				if sent == tc.warned {
					assert.Equal(t, SWWarningSelectedFileInvalidated, resp.SW)
					assert.Equal(t, tc.fci, fmt.Sprintf("%X", resp.Data))
				} else {
					assert.Equal(t, SWFileNotFound, resp.SW)
				}
				sent++
			}
			assert.Equal(t, 6, sent)
			assert.NoError(t, replay.Close())
		})
	}
}

func TestSessionWriteFormat(t *testing.T) {
	pin := unhex(t, pinBlockHex)
	verify, _ := Verify(VerifyPlaintextPIN, pin).Bytes()
	s := &Session{
		Source: "constructed <test> & more",
		Proves: "the format",
		Kernel: json.RawMessage(`{"b":[1,2],  "a":{"c":"d"}}` + "\n"),
		Exchanges: []SessionExchange{
			{Command: unhex(t, "00a404000e315041592e5359532e444446303100"), Response: unhex(t, "6a82")},
			{Command: verify, Response: unhex(t, "9000"), Note: "PIN \"1234\" line\nbreak"},
			{Command: unhex(t, "80AE8000021234"+"00"), Error: SessionErrorCardRemoved},
		},
	}
	var out bytes.Buffer
	require.NoError(t, s.Write(&out))
	assert.Equal(t, `{
  "source": "constructed <test> & more",
  "proves": "the format",
  "kernel": {
    "b": [
      1,
      2
    ],
    "a": {
      "c": "d"
    }
  },
  "exchanges": [
    {"command": "00A404000E315041592E5359532E444446303100", "response": "6A82"},
    {"command": "0020008008XXXXXXXXXXXXXXXX", "response": "9000", "note": "PIN \"1234\" line\nbreak"},
    {"command": "80AE800002123400", "error": "card removed"}
  ]
}
`, out.String())
	assert.False(t, leaks(out.String(), pin))

	// It reads back to the same session, with the PIN block zeroed.
	got, err := ReadSession(&out)
	require.NoError(t, err)
	assert.Equal(t, make([]byte, 8), got.Exchanges[1].Command[5:])
	assert.Equal(t, verify[:5], got.Exchanges[1].Command[:5])
	assert.Equal(t, s.Exchanges[2], got.Exchanges[2])
	assert.Equal(t, s.Exchanges[1].Note, got.Exchanges[1].Note)

	// No kernel and no exchanges.
	out.Reset()
	require.NoError(t, (&Session{Source: "s", Proves: "p"}).Write(&out))
	assert.Equal(t, "{\n  \"source\": \"s\",\n  \"proves\": \"p\",\n  \"exchanges\": []\n}\n", out.String())
	got, err = ReadSession(&out)
	require.NoError(t, err)
	assert.Empty(t, got.Exchanges)
	assert.Nil(t, got.Kernel)
}

// Strict reading: every defect is a *SessionError naming the exchange and
// the field, wrapping the reason, never quoting a command.
func TestReadSessionStrict(t *testing.T) {
	head := `"source": "s", "proves": "p", `
	ok := `{"command": "00B2010C00", "response": "9000"}`
	tests := []struct {
		name  string
		json  string
		index int
		field string
		err   error
	}{
		{"unknown header key", `{` + head + `"exchanges": [], "extra": 1}`, -1, "", ErrUnknownKey},
		{"header key in another case", `{"Source": "s", "proves": "p", "exchanges": []}`, -1, "", ErrUnknownKey},
		{"duplicate key", `{` + head + `"source": "t", "exchanges": []}`, -1, "source", ErrDuplicateKey},
		{"missing source", `{"proves": "p", "exchanges": []}`, -1, "source", ErrMissing},
		{"blank proves", `{"source": "s", "proves": " ", "exchanges": []}`, -1, "proves", ErrMissing},
		{"missing exchanges", `{` + head[:len(head)-2] + `}`, -1, "exchanges", ErrMissing},
		{"source not a string", `{"source": 1, "proves": "p", "exchanges": []}`, -1, "source", ErrSessionSyntax},
		{"kernel not an object", `{` + head + `"kernel": [1], "exchanges": []}`, -1, "kernel", ErrSessionSyntax},
		{"exchanges not an array", `{` + head + `"exchanges": {}}`, -1, "", ErrSessionSyntax},
		{"not JSON", `{"source": `, -1, "source", ErrSessionSyntax},
		{"trailing data", `{` + head + `"exchanges": []} {}`, -1, "", ErrSessionSyntax},
		{"unknown exchange key", `{` + head + `"exchanges": [` + ok + `, {"command": "00B2010C00", "response": "9000", "sw": "9000"}]}`, 1, "", ErrUnknownKey},
		{"missing command", `{` + head + `"exchanges": [{"response": "9000"}]}`, 0, "command", ErrMissing},
		{"lower-case hex", `{` + head + `"exchanges": [` + ok + `, {"command": "00b2010c00", "response": "9000"}]}`, 1, "command", ErrBadHex},
		{"odd hex", `{` + head + `"exchanges": [{"command": "00B2010C0", "response": "9000"}]}`, 0, "command", ErrBadHex},
		{"spaces in hex", `{` + head + `"exchanges": [{"command": "00B2010C00", "response": "90 00"}]}`, 0, "response", ErrBadHex},
		{"not a command", `{` + head + `"exchanges": [{"command": "00B2", "response": "9000"}]}`, 0, "command", ErrBadExchange},
		{"response without SW", `{` + head + `"exchanges": [{"command": "00B2010C00", "response": "90"}]}`, 0, "response", ErrBadExchange},
		{"no response and no error", `{` + head + `"exchanges": [{"command": "00B2010C00"}]}`, 0, "response", ErrBadExchange},
		{"response and error", `{` + head + `"exchanges": [{"command": "00B2010C00", "response": "9000", "error": "card removed"}]}`, 0, "response", ErrBadExchange},
		{"VERIFY with its PIN block", `{` + head + `"exchanges": [{"command": "0020008008` + pinBlockHex + `", "response": "9000"}]}`, 0, "command", ErrUnredacted},
		{"VERIFY half redacted", `{` + head + `"exchanges": [{"command": "0020008008XXXXXXXXXXXXXXFF", "response": "9000"}]}`, 0, "command", ErrUnredacted},
		{"PIN CHANGE with data", `{` + head + `"exchanges": [{"command": "8424000204` + "12345678" + `", "response": "9000"}]}`, 0, "command", ErrUnredacted},
		{"XX outside a sensitive command", `{` + head + `"exchanges": [{"command": "0088000004XXXXXXXX", "response": "9000"}]}`, 0, "command", ErrBadHex},
		{"VERIFY with Lc past the end", `{` + head + `"exchanges": [{"command": "0020008009XXXXXXXXXXXXXXXX", "response": "9000"}]}`, 0, "command", ErrBadExchange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadSession(strings.NewReader(tt.json))
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, tt.err)
			var se *SessionError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.index, se.Index)
			assert.Equal(t, tt.field, se.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "apdu: session: "), err.Error())
			assert.NotContains(t, err.Error(), "1234")
		})
	}
}

func TestReadSessionAccepts(t *testing.T) {
	s, err := ReadSession(strings.NewReader(`{"exchanges": [
		{"note": "redacted VERIFY, then its answer", "command": "0020008008XXXXXXXXXXXXXXXX", "response": "63C2"},
		{"command": "0020008002XXXX00", "response": "9000"},
		{"command": "00200080", "response": "63C3"},
		{"command": "80CA9F1700", "error": "reader timed out"}
	], "proves": "p", "source": "s"}`))
	require.NoError(t, err)
	assert.Equal(t, "0020008008"+"0000000000000000", fmt.Sprintf("%X", s.Exchanges[0].Command))
	assert.Equal(t, "002000800200"+"0000", fmt.Sprintf("%X", s.Exchanges[1].Command))
	assert.Equal(t, "reader timed out", s.Exchanges[3].Error)
}

func TestSessionErrorPositions(t *testing.T) {
	_, err := ReadSession(strings.NewReader(`{"source": "s", "proves": "p", "exchanges": [{"command": "0020008002XXXX0G", "response": "9000"}]}`))
	assert.EqualError(t, err, "apdu: session: exchange 0: command: not upper-case hex at character 15")
	_, err = ReadSession(strings.NewReader(`{"source": "s", "proves": "p", "exchanges": [{"command": "00B2010C00", "response": "9Z00"}]}`))
	assert.EqualError(t, err, "apdu: session: exchange 0: response: not upper-case hex at character 1")
}

func TestReadSessionBounds(t *testing.T) {
	big := strings.Repeat(" ", MaxSessionSize+1)
	_, err := ReadSession(strings.NewReader(big))
	assert.ErrorIs(t, err, ErrSessionSize)

	var sb strings.Builder
	sb.WriteString(`{"source": "s", "proves": "p", "exchanges": [`)
	for i := range MaxSessionExchanges + 1 {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"command": "00B2010C00", "response": "9000"}`)
	}
	sb.WriteString("]}")
	_, err = ReadSession(strings.NewReader(sb.String()))
	assert.ErrorIs(t, err, ErrSessionSize)

	// Write refuses what ReadSession would refuse.
	err = (&Session{Source: "s", Proves: "p", Exchanges: []SessionExchange{{Command: []byte{0}, Response: []byte{0x90, 0}}}}).Write(&bytes.Buffer{})
	assert.ErrorIs(t, err, ErrBadExchange)
	err = (&Session{Proves: "p"}).Write(&bytes.Buffer{})
	assert.ErrorIs(t, err, ErrMissing)
}

// A trace entry becomes a session exchange the same way wherever it comes
// from: a failed exchange keeps no response, and a removed card is written
// so that a replay gives ErrCardRemoved back.
func TestNewSessionExchange(t *testing.T) {
	cmd, resp := []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}, []byte{0x90, 0x00}
	tests := []struct {
		name string
		err  error
		want SessionExchange
	}{
		{"answered", nil, SessionExchange{Command: cmd, Response: resp}},
		{"card removed", fmt.Errorf("reader: %w", ErrCardRemoved), SessionExchange{Command: cmd, Error: SessionErrorCardRemoved}},
		{"other error", errors.New("reader on fire"), SessionExchange{Command: cmd, Error: "reader on fire"}},
		{"error without text", errors.New(""), SessionExchange{Command: cmd, Error: "transport error"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, NewSessionExchange(cmd, resp, tt.err))
		})
	}
}

// The one-pass reader takes on every recorded session file and decodes it
// as the token reader does; what it refuses, the token reader names.
func TestReadSessionOnePass(t *testing.T) {
	paths, err := filepath.Glob("testdata/session_*.json")
	require.NoError(t, err)
	require.NoError(t, filepath.WalkDir("../testdata/sessions", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".json" {
			paths = append(paths, path)
		}
		return err
	}))
	require.Greater(t, len(paths), 200)
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		require.NoError(t, err)
		fast, ok := readSessionFast(raw)
		require.True(t, ok, p)
		slow, err := readSessionSlow(raw)
		require.NoError(t, err, p)
		require.Equal(t, slow, fast, p)
	}
	const x = `"exchanges": [{"command": "00B2010C00", "response": "9000"}]`
	for _, in := range []string{
		`{"source": "s", "proves": "p", "extra": 1, ` + x + `}`,
		`{"source": "s", "source": "s", "proves": "p", ` + x + `}`,
		`{"source": "s", "proves": "p", "kernel": [], ` + x + `}`,
		`{"source": "s", "proves": "p", "kernel": {"a": }, ` + x + `}`,
		`{"source": "s", "proves": "p", ` + x + `} {}`,
		"{\"source\": \"s\xff\", \"proves\": \"p\", " + x + `}`,
		`{"source": "s", "proves": "p", "exchanges": [{"command": "00b2010C00", "response": "9000"}]}`,
		`{"source": "s", "proves": "p", "exchanges": [{"command": "00B2010C00", "response": "9000", "error": "e"}]}`,
		`{"source": "s", "proves": "p", "exchanges": [{"command": "0020008002XXXX", "note": 1}]}`,
		`{"source": "s", "proves": "p", "exchanges": [{"response": "9000"}]}`,
		`{"source": "s", "proves": "p"}`,
	} {
		_, ok := readSessionFast([]byte(in))
		assert.False(t, ok, in)
		want, wantErr := readSessionSlow([]byte(in))
		if wantErr == nil {
			want, wantErr = want.checkRead()
		}
		got, err := ReadSession(strings.NewReader(in))
		assert.Equal(t, wantErr, err, in)
		assert.Equal(t, want, got, in)
	}
	// Escapes are decoded as encoding/json decodes them.
	s, ok := readSessionFast([]byte(`{"source": "s\u00a7\n", "proves": "p", ` + x + `}`))
	require.True(t, ok)
	assert.Equal(t, "s§\n", s.Source)
}
