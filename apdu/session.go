package apdu

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Session is one recorded card session: where it came from, what it
// proves, the kernel's side of it (opaque here) and every command/response
// pair in order. testdata/README.md documents the file format; [ReadSession]
// reads it strictly and [Session.Write] writes it.
type Session struct {
	// Source says where the session came from: the virtual card profile
	// and the kernel version that recorded it, or the public repository,
	// path and commit it was transcribed from.
	Source string
	// Proves says what a replay of the session shows, naming the book
	// sections it checks.
	Proves string
	// Kernel is the kernel's part of the header (terminal configuration,
	// transaction, expected outcome), owned and decoded by package emv. It
	// is a JSON object, or empty.
	Kernel json.RawMessage
	// Exchanges are the command/response pairs in the order they happened.
	Exchanges []SessionExchange
}

// SessionExchange is one command and what came back.
type SessionExchange struct {
	// Command is the encoded command APDU. The data of a sensitive command
	// is zeros in memory and "XX" per byte in the file.
	Command []byte
	// Response is the response APDU (data and SW1 SW2); empty when Error
	// is set.
	Response []byte
	// Error, when not empty, says that no response was had:
	// [SessionErrorCardRemoved] or the text of another transport error.
	Error string
	// Note is free text for the reader of the file.
	Note string
}

// SessionErrorCardRemoved is the Error of an exchange during which the
// card left the reader; a replay returns an error wrapping [ErrCardRemoved].
const SessionErrorCardRemoved = "card removed"

// Bounds on what ReadSession accepts.
const (
	MaxSessionSize      = 8 << 20 // bytes of JSON
	MaxSessionExchanges = 4096
	maxSessionResponse  = 65536 + 2 // data gathered over GET RESPONSE rounds, and SW1 SW2
)

// Errors inside a [*SessionError], whose message names the package, the
// exchange and the key.
var (
	ErrSessionSyntax = errors.New("not a session file")
	ErrUnknownKey    = errors.New("unknown key")
	ErrDuplicateKey  = errors.New("duplicate key")
	ErrMissing       = errors.New("missing")
	ErrBadHex        = errors.New("not upper-case hex")
	ErrUnredacted    = errors.New("data of a sensitive command must be redacted as XX")
	ErrBadExchange   = errors.New("invalid exchange")
	ErrSessionSize   = errors.New("too large")
)

// SessionError reports what is wrong with a session and where. Index is
// the exchange (from 0), or -1 for the header; Field is the JSON key. It
// never quotes the content of a command.
type SessionError struct {
	Index int
	Field string
	Err   error
}

func (e *SessionError) Error() string {
	var sb strings.Builder
	sb.WriteString("apdu: session: ")
	if e.Index >= 0 {
		fmt.Fprintf(&sb, "exchange %d: ", e.Index)
	}
	if e.Field != "" {
		sb.WriteString(e.Field + ": ")
	}
	sb.WriteString(e.Err.Error())
	return sb.String()
}

func (e *SessionError) Unwrap() error { return e.Err }

func sessionErr(i int, field string, err error) error {
	return &SessionError{Index: i, Field: field, Err: err}
}

// ReadSession reads a session file strictly: every key must be one the
// format defines, spelled exactly, at most once; source, proves and
// exchanges are required; hex is upper-case without separators; every
// command must be a short command APDU, every response at least a status
// word; the data of a sensitive command must be redacted; nothing may
// follow the object. Errors are [*SessionError] naming the exchange.
func ReadSession(r io.Reader) (*Session, error) {
	b, err := readAll(r)
	if err != nil {
		return nil, sessionErr(-1, "", err)
	}
	if len(b) > MaxSessionSize {
		return nil, sessionErr(-1, "", fmt.Errorf("%w: more than %d bytes", ErrSessionSize, MaxSessionSize))
	}
	s, ok := readSessionFast(b)
	if !ok {
		if s, err = readSessionSlow(b); err != nil {
			return nil, err
		}
	}
	return s.checkRead()
}

// readAll reads r to its end or to one byte past MaxSessionSize, in one
// allocation when r says how much is left (a bytes.Reader, a
// strings.Reader, a bytes.Buffer).
func readAll(r io.Reader) ([]byte, error) {
	lr := io.LimitReader(r, MaxSessionSize+1)
	sized, ok := r.(interface{ Len() int })
	if !ok {
		return io.ReadAll(lr)
	}
	var buf bytes.Buffer
	buf.Grow(min(sized.Len(), MaxSessionSize+1) + bytes.MinRead)
	_, err := buf.ReadFrom(lr)
	return buf.Bytes(), err
}

// readSessionSlow decodes a session file token by token with
// encoding/json, each error naming where it is; ReadSession uses it for a
// file readSessionFast does not take on.
func readSessionSlow(b []byte) (*Session, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	s := &Session{}
	var seen [4]bool
	err := readObject(dec, -1, []string{"source", "proves", "kernel", "exchanges"}, seen[:], func(key string) error {
		switch key {
		case "source":
			return readString(dec, -1, key, &s.Source)
		case "proves":
			return readString(dec, -1, key, &s.Proves)
		case "kernel":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return sessionErr(-1, key, fmt.Errorf("%w: %v", ErrSessionSyntax, err))
			}
			if len(raw) == 0 || raw[0] != '{' {
				return sessionErr(-1, key, fmt.Errorf("%w: not a JSON object", ErrSessionSyntax))
			}
			s.Kernel = raw
			return nil
		default: // exchanges
			return readExchanges(dec, s)
		}
	})
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, sessionErr(-1, "", fmt.Errorf("%w: data after the session object", ErrSessionSyntax))
	}
	return s, nil
}

// checkRead is the end of ReadSession, for a session decoded whole.
func (s *Session) checkRead() (*Session, error) {
	// check reports a missing source or proves (as an empty one); a
	// missing exchanges key leaves Exchanges nil, where an empty list
	// reads as an empty slice. The kernel value was decoded above and
	// starts with '{': it is a JSON object, not to be parsed again.
	if err := s.checkParts(false); err != nil {
		return nil, err
	}
	if s.Exchanges == nil {
		return nil, sessionErr(-1, "exchanges", ErrMissing)
	}
	return s, nil
}

// readObject reads a JSON object whose keys must be among keys (each at
// most once, recorded in seen), calling value to read each value.
func readObject(dec *json.Decoder, index int, keys []string, seen []bool, value func(key string) error) error {
	if err := expectDelim(dec, index, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return sessionErr(index, "", fmt.Errorf("%w: %v", ErrSessionSyntax, err))
		}
		key, _ := tok.(string)
		k := -1
		for i, name := range keys {
			if key == name {
				k = i
			}
		}
		if k < 0 {
			return sessionErr(index, "", fmt.Errorf("%w %q", ErrUnknownKey, truncate(key)))
		}
		if seen[k] {
			return sessionErr(index, key, ErrDuplicateKey)
		}
		seen[k] = true
		if err := value(key); err != nil {
			return err
		}
	}
	return expectDelim(dec, index, '}')
}

func expectDelim(dec *json.Decoder, index int, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return sessionErr(index, "", fmt.Errorf("%w: %v", ErrSessionSyntax, err))
	}
	if tok != d {
		return sessionErr(index, "", fmt.Errorf("%w: expected %v", ErrSessionSyntax, d))
	}
	return nil
}

func readString(dec *json.Decoder, index int, key string, dst *string) error {
	tok, err := dec.Token()
	if err != nil {
		return sessionErr(index, key, fmt.Errorf("%w: %v", ErrSessionSyntax, err))
	}
	s, ok := tok.(string)
	if !ok {
		return sessionErr(index, key, fmt.Errorf("%w: not a string", ErrSessionSyntax))
	}
	*dst = s
	return nil
}

func readExchanges(dec *json.Decoder, s *Session) error {
	if err := expectDelim(dec, -1, '['); err != nil {
		return err
	}
	s.Exchanges = []SessionExchange{}
	for dec.More() {
		i := len(s.Exchanges)
		if i >= MaxSessionExchanges {
			return sessionErr(i, "", fmt.Errorf("%w: more than %d exchanges", ErrSessionSize, MaxSessionExchanges))
		}
		var x SessionExchange
		var cmd, resp string
		var seen [4]bool
		err := readObject(dec, i, []string{"command", "response", "error", "note"}, seen[:], func(key string) error {
			switch key {
			case "command":
				return readString(dec, i, key, &cmd)
			case "response":
				return readString(dec, i, key, &resp)
			case "error":
				return readString(dec, i, key, &x.Error)
			default:
				return readString(dec, i, key, &x.Note)
			}
		})
		if err != nil {
			return err
		}
		if !seen[0] {
			return sessionErr(i, "command", ErrMissing)
		}
		if x.Command, err = decodeCommandHex(cmd); err != nil {
			return sessionErr(i, "command", err)
		}
		if seen[1] && seen[2] {
			return sessionErr(i, "response", fmt.Errorf("%w: a response and an error", ErrBadExchange))
		}
		if seen[1] {
			if x.Response, err = decodeHex(resp); err != nil {
				return sessionErr(i, "response", err)
			}
			if x.Response == nil {
				x.Response = []byte{}
			}
		}
		s.Exchanges = append(s.Exchanges, x)
	}
	return expectDelim(dec, -1, ']')
}

// check validates what the JSON structure cannot: header text, commands,
// responses, and the kernel object.
func (s *Session) check() error { return s.checkParts(true) }

// checkParts is check; kernel says whether the kernel object is still to
// be checked for being a JSON object.
func (s *Session) checkParts(kernel bool) error {
	if strings.TrimSpace(s.Source) == "" {
		return sessionErr(-1, "source", ErrMissing)
	}
	if strings.TrimSpace(s.Proves) == "" {
		return sessionErr(-1, "proves", ErrMissing)
	}
	if kernel && len(s.Kernel) > 0 {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(s.Kernel, &probe); err != nil || probe == nil {
			return sessionErr(-1, "kernel", fmt.Errorf("%w: not a JSON object", ErrSessionSyntax))
		}
	}
	if len(s.Exchanges) > MaxSessionExchanges {
		return sessionErr(-1, "exchanges", fmt.Errorf("%w: more than %d exchanges", ErrSessionSize, MaxSessionExchanges))
	}
	for i, x := range s.Exchanges {
		if _, err := ParseCommand(x.Command); err != nil {
			return sessionErr(i, "command", fmt.Errorf("%w: not a short command APDU", ErrBadExchange))
		}
		switch {
		case x.Error != "" && len(x.Response) > 0:
			return sessionErr(i, "response", fmt.Errorf("%w: a response and an error", ErrBadExchange))
		case x.Error != "":
		case len(x.Response) < 2:
			return sessionErr(i, "response", fmt.Errorf("%w: shorter than a status word", ErrBadExchange))
		case len(x.Response) > maxSessionResponse:
			return sessionErr(i, "response", fmt.Errorf("%w: more than %d bytes", ErrBadExchange, maxSessionResponse))
		}
	}
	return nil
}

// decodeHex decodes upper-case hex without separators. Errors name the
// character offset, never the content.
func decodeHex[T ~string | ~[]byte](s T) ([]byte, error) { return decodeHexAt(s, 0) }

// decodeHexAt is decodeHex for s found at character base of its field.
func decodeHexAt[T ~string | ~[]byte](s T, base int) ([]byte, error) {
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("%w: odd number of digits", ErrBadHex)
	}
	if len(s) > 2*maxSessionResponse {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBadExchange, maxSessionResponse)
	}
	out := make([]byte, len(s)/2)
	for i := 0; i < len(s); i += 2 {
		hi, ok1 := hexNibble(s[i])
		lo, ok2 := hexNibble(s[i+1])
		if !ok1 || !ok2 {
			at := i
			if ok1 {
				at++
			}
			return nil, fmt.Errorf("%w at character %d", ErrBadHex, base+at)
		}
		out[i/2] = hi<<4 | lo
	}
	return out, nil
}

func hexNibble(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// decodeCommandHex decodes a command. In a sensitive command every data
// byte must be written XX (and decodes to zero); elsewhere X is bad hex.
func decodeCommandHex[T ~string | ~[]byte](s T) ([]byte, error) {
	if len(s) < 12 {
		return decodeHex(s)
	}
	head, err := decodeHex(s[:10])
	if err != nil {
		return nil, err
	}
	if !(Command{INS: head[1]}).Sensitive() {
		return decodeHex(s)
	}
	lc := int(head[4])
	end := 10 + 2*lc
	if lc == 0 || end > len(s) {
		return nil, fmt.Errorf("%w: not a short command APDU", ErrBadExchange)
	}
	for i := 10; i < end; i++ {
		if s[i] != 'X' {
			return nil, ErrUnredacted
		}
	}
	tail, err := decodeHexAt(s[end:], end)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 5+lc+len(tail))
	out = append(out, head...)
	out = append(out, make([]byte, lc)...)
	return append(out, tail...), nil
}

// encodeCommandHex is the inverse of decodeCommandHex: the data of a
// sensitive command is written XX whatever it holds.
func encodeCommandHex(b []byte) string {
	if len(b) < 6 || !(Command{INS: b[1]}).Sensitive() {
		return fmt.Sprintf("%X", b)
	}
	lc := min(int(b[4]), len(b)-5)
	return fmt.Sprintf("%X%s%X", b[:5], strings.Repeat("XX", lc), b[5+lc:])
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Write writes the session in the file format of testdata/README.md: keys
// in a fixed order, the kernel object indented, one exchange per line,
// upper-case hex, sensitive command data as XX. The output is stable:
// writing what ReadSession read gives the same bytes, so a change shows
// as a small diff. Write refuses a session ReadSession would refuse.
func (s *Session) Write(w io.Writer) error {
	if err := s.check(); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\n  \"source\": %s,\n  \"proves\": %s,\n", jsonString(s.Source), jsonString(s.Proves))
	if len(s.Kernel) > 0 {
		var compact, buf bytes.Buffer
		if err := json.Compact(&compact, s.Kernel); err != nil {
			return sessionErr(-1, "kernel", fmt.Errorf("%w: %v", ErrSessionSyntax, err))
		}
		_ = json.Indent(&buf, compact.Bytes(), "  ", "  ") // valid: just compacted
		fmt.Fprintf(bw, "  \"kernel\": %s,\n", buf.Bytes())
	}
	if len(s.Exchanges) == 0 {
		bw.WriteString("  \"exchanges\": []\n}\n")
		return bw.Flush()
	}
	bw.WriteString("  \"exchanges\": [\n")
	for i, x := range s.Exchanges {
		fmt.Fprintf(bw, "    {\"command\": %q", encodeCommandHex(x.Command))
		if x.Error != "" {
			fmt.Fprintf(bw, ", \"error\": %s", jsonString(x.Error))
		} else {
			fmt.Fprintf(bw, ", \"response\": \"%X\"", x.Response)
		}
		if x.Note != "" {
			fmt.Fprintf(bw, ", \"note\": %s", jsonString(x.Note))
		}
		bw.WriteString("}")
		if i < len(s.Exchanges)-1 {
			bw.WriteString(",")
		}
		bw.WriteString("\n")
	}
	bw.WriteString("  ]\n}\n")
	return bw.Flush()
}

// jsonString quotes s as JSON without escaping <, > and &.
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}
