package emv

import (
	"encoding/json"
	"math"
	"unicode/utf8"

	"github.com/emvkit/emvkit/internal/jsonscan"
)

// readRecordingFast decodes a kernel object in one pass over its bytes,
// without the reflection of encoding/json that made it the largest cost
// of replaying a corpus of sessions. It takes on the objects
// json.Marshal writes and every other layout of the same JSON with the
// keys spelled as the tags spell them; it reports false for whatever it
// does not take on or finds wrong (a key in another case, unknown or
// given twice, null, a value of the wrong kind, a number out of its
// field's range, a string with bytes that are not UTF-8, anything after
// the object), and ReadRecording then decodes the object with
// encoding/json, which names the problem. What it returns is what
// encoding/json returns.
func readRecordingFast(b []byte) (*Recording, bool) {
	p := recReader{b: b}
	r := &Recording{}
	var seen uint16
	ok := p.object(&seen, recordingKeys, func(k int) bool {
		switch k {
		case 0:
			return p.raw(&r.Terminal)
		case 1:
			return p.transaction(&r.Transaction)
		case 2:
			return p.str(&r.UnpredictableNumber)
		case 3:
			return p.str(&r.Random)
		case 4:
			return p.strs(&r.PIN)
		case 5:
			r.Host = &RecordedHost{}
			return p.host(r.Host)
		case 6:
			return p.log(&r.TransactionLog)
		case 7:
			return p.strs(&r.ExceptionFile)
		case 8:
			return p.strs(&r.Choose)
		case 9:
			r.Confirm = new(bool)
			return p.boolean(r.Confirm)
		case 10:
			return p.added(&r.AddedExchanges)
		case 11:
			return p.expect(&r.Expect)
		}
		return false
	})
	if !ok || jsonscan.Space(p.b, p.i) != len(p.b) {
		return nil, false
	}
	return r, true
}

// The keys of the objects of a Recording, in the order of their fields.
var (
	recordingKeys   = []string{"terminal", "transaction", "unpredictable_number", "random", "pin", "host", "transaction_log", "exception_file", "choose", "confirm", "added_exchanges", "expect"}
	transactionKeys = []string{"type", "amount", "amount_other", "time", "sequence_counter", "services", "force_online", "ec_balance"}
	hostKeys        = []string{"approved", "arc", "issuer_auth_data", "scripts"}
	loggedKeys      = []string{"pan", "date", "amount"}
	addedKeys       = []string{"command", "response", "note"}
	expectKeys      = []string{"aid", "commands", "outcome", "oda", "tvr", "tsi", "cvm_results", "cid", "advice", "script_results", "unused", "offered", "terminated", "unrecorded", "exact", "divergence"}
	terminatedKeys  = []string{"step", "reason"}
)

// recReader is a cursor over a kernel object for readRecordingFast.
type recReader struct {
	b []byte
	i int
}

// lit skips white space and then c, if c is next.
func (p *recReader) lit(c byte) bool {
	p.i = jsonscan.Space(p.b, p.i)
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads a JSON object whose keys are among keys (at most 16), each
// at most once (seen keeps which were), calling member with the key's
// index and the cursor before the value.
func (p *recReader) object(seen *uint16, keys []string, member func(k int) bool) bool {
	if !p.lit('{') {
		return false
	}
	if p.lit('}') {
		return true
	}
	for {
		p.i = jsonscan.Space(p.b, p.i)
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		end, ok := jsonscan.String(p.b, p.i)
		if !ok {
			return false
		}
		key := p.b[p.i+1 : end-1]
		p.i = end
		k := -1
		for j, name := range keys {
			if string(key) == name {
				k = j
				break
			}
		}
		if k < 0 || *seen&(1<<k) != 0 || !p.lit(':') {
			return false
		}
		*seen |= 1 << k
		if !member(k) {
			return false
		}
		if p.lit(',') {
			continue
		}
		return p.lit('}')
	}
}

// array reads a JSON array, calling elem with the cursor before each
// element.
func (p *recReader) array(elem func() bool) bool {
	if !p.lit('[') {
		return false
	}
	if p.lit(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.lit(',') {
			continue
		}
		return p.lit(']')
	}
}

// token returns the JSON string at the cursor with its quotes, and whether
// it is one without escapes whose content is UTF-8: such a string is its
// bytes.
func (p *recReader) token() ([]byte, bool) {
	p.i = jsonscan.Space(p.b, p.i)
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	high := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			t := p.b[p.i : j+1]
			p.i = j + 1
			return t, !high || utf8.Valid(t)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			high = true
		}
	}
	return nil, false
}

func (p *recReader) str(s *string) bool {
	t, ok := p.token()
	if ok {
		*s = string(t[1 : len(t)-1])
	}
	return ok
}

// strs reads an array of strings; [] is an empty list, not none.
func (p *recReader) strs(s *[]string) bool {
	*s = []string{}
	return p.array(func() bool {
		var v string
		ok := p.str(&v)
		*s = append(*s, v)
		return ok
	})
}

func (p *recReader) boolean(v *bool) bool {
	p.i = jsonscan.Space(p.b, p.i)
	switch {
	case len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "true":
		*v = true
		p.i += 4
	case len(p.b)-p.i >= 5 && string(p.b[p.i:p.i+5]) == "false":
		*v = false
		p.i += 5
	default:
		return false
	}
	return true
}

// uint reads an integer from 0 to max written as JSON writes it: digits,
// without a sign, a fraction or an exponent (the reader after it finds
// those and gives up).
func (p *recReader) uint(max uint64) (uint64, bool) {
	p.i = jsonscan.Space(p.b, p.i)
	start := p.i
	var n uint64
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		d := uint64(p.b[p.i] - '0')
		if n > (max-d)/10 {
			return 0, false
		}
		n = n*10 + d
		p.i++
	}
	if p.i == start || p.b[start] == '0' && p.i > start+1 {
		return 0, false
	}
	return n, true
}

// integer reads an int, maybe negative.
func (p *recReader) integer(v *int) bool {
	p.i = jsonscan.Space(p.b, p.i)
	neg := p.i < len(p.b) && p.b[p.i] == '-'
	if neg {
		p.i++
		if p.i >= len(p.b) || p.b[p.i] < '0' || p.b[p.i] > '9' {
			return false
		}
	}
	n, ok := p.uint(math.MaxInt)
	if neg {
		*v = -int(n)
	} else {
		*v = int(n)
	}
	return ok
}

// raw keeps the value at the cursor whole, a copy of its bytes, as
// json.RawMessage does.
func (p *recReader) raw(m *json.RawMessage) bool {
	p.i = jsonscan.Space(p.b, p.i)
	if p.i >= len(p.b) || p.b[p.i] == 'n' {
		return false // null: encoding/json decides
	}
	end, ok := jsonscan.Skip(p.b, p.i)
	if ok {
		*m = append(json.RawMessage(nil), p.b[p.i:end]...)
		p.i = end
	}
	return ok
}

func (p *recReader) transaction(t *RecordedTransaction) bool {
	var seen uint16
	return p.object(&seen, transactionKeys, func(k int) bool {
		var ok bool
		switch k {
		case 0:
			return p.str(&t.Type)
		case 1:
			t.Amount, ok = p.uint(math.MaxUint64)
		case 2:
			t.AmountOther, ok = p.uint(math.MaxUint64)
		case 3:
			var raw []byte
			if raw, ok = p.token(); ok {
				ok = t.Time.UnmarshalJSON(raw) == nil
			}
		case 4:
			var n uint64
			n, ok = p.uint(math.MaxUint32)
			t.SequenceCounter = uint32(n)
		case 5:
			return p.boolean(&t.Services)
		case 6:
			return p.boolean(&t.ForceOnline)
		case 7:
			return p.boolean(&t.ECBalance)
		}
		return ok
	})
}

func (p *recReader) host(h *RecordedHost) bool {
	var seen uint16
	return p.object(&seen, hostKeys, func(k int) bool {
		switch k {
		case 0:
			return p.boolean(&h.Approved)
		case 1:
			return p.str(&h.ARC)
		case 2:
			return p.str(&h.IssuerAuthData)
		default:
			return p.str(&h.Scripts)
		}
	})
}

func (p *recReader) log(l *[]LoggedTransaction) bool {
	*l = []LoggedTransaction{}
	return p.array(func() bool {
		var e LoggedTransaction
		var seen uint16
		ok := p.object(&seen, loggedKeys, func(k int) bool {
			var ok bool
			switch k {
			case 0:
				return p.str(&e.PAN)
			case 1:
				return p.str(&e.Date)
			default:
				e.Amount, ok = p.uint(math.MaxUint64)
			}
			return ok
		})
		*l = append(*l, e)
		return ok
	})
}

func (p *recReader) added(a *[]AddedExchange) bool {
	*a = []AddedExchange{}
	return p.array(func() bool {
		var e AddedExchange
		var seen uint16
		ok := p.object(&seen, addedKeys, func(k int) bool {
			switch k {
			case 0:
				return p.str(&e.Command)
			case 1:
				return p.str(&e.Response)
			default:
				return p.str(&e.Note)
			}
		})
		*a = append(*a, e)
		return ok
	})
}

func (p *recReader) expect(e *Expectation) bool {
	var seen uint16
	return p.object(&seen, expectKeys, func(k int) bool {
		switch k {
		case 0:
			return p.str(&e.AID)
		case 1:
			return p.str(&e.Commands)
		case 2:
			return p.str(&e.Outcome)
		case 3:
			return p.str(&e.ODA)
		case 4:
			return p.str(&e.TVR)
		case 5:
			return p.str(&e.TSI)
		case 6:
			return p.str(&e.CVMResults)
		case 7:
			return p.str(&e.CID)
		case 8:
			e.Advice = new(bool)
			return p.boolean(e.Advice)
		case 9:
			return p.str(&e.Scripts)
		case 10:
			return p.integer(&e.Unused)
		case 11:
			e.Offered = [][]string{}
			return p.array(func() bool {
				var o []string
				ok := p.strs(&o)
				e.Offered = append(e.Offered, o)
				return ok
			})
		case 12:
			e.Terminated = &ExpectedTermination{}
			var seen uint16
			return p.object(&seen, terminatedKeys, func(k int) bool {
				if k == 0 {
					return p.str(&e.Terminated.Step)
				}
				return p.str(&e.Terminated.Reason)
			})
		case 13:
			return p.str(&e.Unrecorded)
		case 14:
			return p.boolean(&e.Exact)
		default:
			return p.str(&e.Divergence)
		}
	})
}
