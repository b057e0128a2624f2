package apdu

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/emvkit/emvkit/internal/jsonscan"
)

// readSessionFast decodes b, a whole session file, in one pass over the
// bytes, without the token stream of encoding/json that made reading a
// session cost more than replaying it. It takes on the files Session.Write
// writes and every other layout of the same JSON; it reports false for
// whatever it does not take on or finds wrong (a string it cannot copy as
// it is, a value of the wrong kind, an unknown or repeated key, bad hex,
// too many exchanges), and ReadSession then reads the file the careful
// way, which names the problem. What it returns is what that way returns.
func readSessionFast(b []byte) (*Session, bool) {
	p := fastReader{b: b}
	s := &Session{}
	var seen [4]bool
	ok := p.object(func(key string) bool {
		var ok bool
		switch key {
		case "source":
			if seen[0] {
				return false
			}
			seen[0] = true
			s.Source, ok = p.str()
		case "proves":
			if seen[1] {
				return false
			}
			seen[1] = true
			s.Proves, ok = p.str()
		case "kernel":
			if seen[2] {
				return false
			}
			seen[2] = true
			s.Kernel, ok = p.rawObject()
		case "exchanges":
			if seen[3] {
				return false
			}
			seen[3] = true
			ok = p.exchanges(s)
		}
		return ok
	})
	p.ws()
	if !ok || p.i != len(p.b) || !seen[3] {
		return nil, false
	}
	return s, true
}

// fastReader is a cursor over a session file for readSessionFast.
type fastReader struct {
	b []byte
	i int
}

func (p *fastReader) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// lit skips white space and then c, if c is next.
func (p *fastReader) lit(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads a JSON object, calling member for each key with the cursor
// before the value.
func (p *fastReader) object(member func(key string) bool) bool {
	if !p.lit('{') {
		return false
	}
	if p.lit('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok || !p.lit(':') || !member(key) {
			return false
		}
		if p.lit(',') {
			continue
		}
		return p.lit('}')
	}
}

// strEnd returns the index of the quote that ends the string starting at
// b[i] (a quote), and whether it holds an escape or a byte over 7F.
func (p *fastReader) strEnd(i int) (end int, escaped, high, ok bool) {
	for j := i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			return j, escaped, high, true
		case c == '\\':
			escaped = true
			j++
		case c < 0x20:
			return 0, false, false, false
		case c >= 0x80:
			high = true
		}
	}
	return 0, false, false, false
}

// str reads a JSON string.
func (p *fastReader) str() (string, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	end, escaped, high, ok := p.strEnd(p.i)
	if !ok {
		return "", false
	}
	raw := p.b[p.i : end+1]
	p.i = end + 1
	if escaped {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	}
	v := raw[1 : len(raw)-1]
	if high && !utf8.Valid(v) {
		return "", false // encoding/json would replace the bad bytes
	}
	return string(v), true
}

// plain reads a JSON string without escapes and returns its bytes, a
// part of the file: hex needs no copy of its own. A string with an escape
// is not plain (the careful reader decodes it).
func (p *fastReader) plain() ([]byte, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	end, escaped, _, ok := p.strEnd(p.i)
	if !ok || escaped {
		return nil, false
	}
	v := p.b[p.i+1 : end]
	p.i = end + 1
	return v, true
}

// rawObject returns the bytes of a JSON object, checked as json.Valid
// checks them.
func (p *fastReader) rawObject() (json.RawMessage, bool) {
	p.ws()
	start := p.i
	if start >= len(p.b) || p.b[start] != '{' {
		return nil, false
	}
	end, ok := jsonscan.Skip(p.b, start)
	if !ok {
		return nil, false
	}
	p.i = end
	return p.b[start:end:end], true
}

// exchanges reads the exchanges array as readExchanges does.
func (p *fastReader) exchanges(s *Session) bool {
	if !p.lit('[') {
		return false
	}
	s.Exchanges = make([]SessionExchange, 0, min(bytes.Count(p.b[p.i:], []byte(`"command"`)), MaxSessionExchanges))
	if p.lit(']') {
		return true
	}
	for {
		if len(s.Exchanges) >= MaxSessionExchanges {
			return false
		}
		var x SessionExchange
		var cmd, resp []byte
		var seen [4]bool
		ok := p.object(func(key string) bool {
			var ok bool
			k := -1
			switch key {
			case "command":
				k = 0
				cmd, ok = p.plain()
			case "response":
				k = 1
				resp, ok = p.plain()
			case "error":
				k = 2
				x.Error, ok = p.str()
			case "note":
				k = 3
				x.Note, ok = p.str()
			}
			if k < 0 || seen[k] {
				return false
			}
			seen[k] = true
			return ok
		})
		if !ok || !seen[0] || (seen[1] && seen[2]) {
			return false
		}
		var err error
		if x.Command, err = decodeCommandHex(cmd); err != nil {
			return false
		}
		if seen[1] {
			if x.Response, err = decodeHex(resp); err != nil {
				return false
			}
			if x.Response == nil {
				x.Response = []byte{}
			}
		}
		s.Exchanges = append(s.Exchanges, x)
		if p.lit(',') {
			continue
		}
		return p.lit(']')
	}
}
