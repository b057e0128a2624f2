package jsonscan

// MaxDepth is the deepest nesting of arrays and objects Skip takes, the
// limit of encoding/json.
const MaxDepth = 10000

// Valid reports whether b is one JSON value with nothing but white space
// around it, as json.Valid does.
func Valid(b []byte) bool {
	i := Space(b, 0)
	end, ok := Skip(b, i)
	return ok && Space(b, end) == len(b)
}

// Space returns the index of the first byte of b from i on that is not
// JSON white space (RFC 8259 §2), or len(b).
func Space(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Skip returns the index just after the JSON value that starts at b[i]
// (no white space before it), and false when there is no well-formed
// value there.
func Skip(b []byte, i int) (int, bool) {
	return skip(b, i, 0)
}

func skip(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return String(b, i)
	case c == '{':
		if depth == MaxDepth {
			return i, false
		}
		i = Space(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			var ok bool
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			if i, ok = String(b, i); !ok {
				return i, false
			}
			i = Space(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			if i, ok = skip(b, Space(b, i+1), depth+1); !ok {
				return i, false
			}
			i = Space(b, i)
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case ',':
				i = Space(b, i+1)
			case '}':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '[':
		if depth == MaxDepth {
			return i, false
		}
		i = Space(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skip(b, i, depth+1); !ok {
				return i, false
			}
			i = Space(b, i)
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case ',':
				i = Space(b, i+1)
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '-' || c >= '0' && c <= '9':
		return Number(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	}
	return i, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// String returns the index just after the JSON string that starts at b[i]
// (a quote), and false when it is not well formed: it ends before its
// closing quote, holds a byte below 0x20, or an escape RFC 8259 §7 does
// not define.
func String(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
			j++
			if j >= len(b) {
				return j, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-j < 5 {
					return j, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return j, false
					}
				}
				j += 4
			default:
				return j, false
			}
		}
	}
	return len(b), false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Number returns the index just after the JSON number that starts at b[i]
// (RFC 8259 §6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?),
// and false when there is none.
func Number(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
