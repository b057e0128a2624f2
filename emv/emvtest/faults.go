package emvtest

import (
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Corruption says how a [Fault] damages the data of a response.
type Corruption int

// Corruptions a [Fault] can apply to a response's data (the status word is
// kept).
const (
	NoCorruption Corruption = iota
	// BreakTLV makes the outermost template's length claim one byte more
	// than follows, so the TLV is truncated.
	BreakTLV
	// TruncateData removes the last data byte, leaving a template whose
	// length does not match.
	TruncateData
	// DuplicateTag repeats the data object [Fault.Tag] after itself.
	DuplicateTag
	// DropTag removes the data object [Fault.Tag] (a missing mandatory data
	// object when the tag is one).
	DropTag
	// ReplaceValue gives the data object [Fault.Tag] the value
	// [Fault.Value], which may have another length (a data object of the
	// wrong length).
	ReplaceValue
	// FlipLastByte inverts the last data byte (a broken cryptogram or
	// signature when that is what ends the response).
	FlipLastByte
	// ReplaceData answers [Fault.Value] as the whole response data.
	ReplaceData
)

// Fault is one misbehaviour injected with [Card.Inject]. It applies to the
// commands Match accepts; Nth, if positive, limits it to the Nth such
// command (counting from 1); Times, if positive, to that many firings.
type Fault struct {
	// Match chooses the commands the fault applies to; nil matches every
	// command. [OnINS], [OnRecord] and [OnGenerateAC] build common ones.
	Match func(apdu.Command) bool
	Nth   int
	Times int

	// SW, if not zero, is answered instead of processing the command (no
	// state change), with no data, or with Value as the data when Corrupt
	// is ReplaceData (a card that answers a hostile amount with 9000, or
	// data with 61xx for GET RESPONSE rounds that never end).
	SW apdu.SW
	// Corrupt damages the response data; Tag and Value are its operands.
	Corrupt Corruption
	Tag     tlv.Tag
	Value   []byte
	// Delay is added to the time the card takes to answer.
	Delay time.Duration
}

type faultState struct {
	Fault
	seen, fired int
}

// OnINS matches commands with the given instruction byte.
func OnINS(ins byte) func(apdu.Command) bool {
	return func(c apdu.Command) bool { return c.INS == ins }
}

// OnRecord matches READ RECORD of one record of one short file.
func OnRecord(sfi, record byte) func(apdu.Command) bool {
	return func(c apdu.Command) bool {
		return c.INS == apdu.InsReadRecord && c.P1 == record && c.P2 == sfi<<3|4
	}
}

// OnSelect matches SELECT of the given name (exact bytes).
func OnSelect(name []byte) func(apdu.Command) bool {
	return func(c apdu.Command) bool { return c.INS == apdu.InsSelect && string(c.Data) == string(name) }
}

// Inject adds a fault. Faults are tried in the order injected; the first
// that applies to a command is the only one used for it.
func (c *Card) Inject(f Fault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = append(c.faults, &faultState{Fault: f})
}

// AnswerSW makes every command with instruction ins answer sw.
func (c *Card) AnswerSW(ins byte, sw apdu.SW) { c.Inject(Fault{Match: OnINS(ins), SW: sw}) }

// matchFault finds the fault for a command and counts it.
func (c *Card) matchFault(command []byte) *faultState {
	cmd, err := apdu.ParseCommand(command)
	if err != nil {
		return nil
	}
	for _, f := range c.faults {
		if f.Match != nil && !f.Match(cmd) {
			continue
		}
		if f.Times > 0 && f.fired >= f.Times {
			continue
		}
		f.seen++
		if f.Nth > 0 && f.seen != f.Nth {
			continue
		}
		f.fired++
		return f
	}
	return nil
}

// apply damages a response (data || SW1 SW2).
func (f *faultState) apply(resp []byte) []byte {
	if f.Corrupt == NoCorruption || len(resp) < 2 {
		return resp
	}
	data := resp[:len(resp)-2]
	sw := resp[len(resp)-2:]
	out := corrupt(data, f.Corrupt, f.Tag, f.Value)
	return append(out, sw...)
}

func corrupt(data []byte, how Corruption, tag tlv.Tag, value []byte) []byte {
	out := append([]byte(nil), data...)
	switch how {
	case BreakTLV:
		it := tlv.NewIter(out)
		if !it.Next() {
			return out
		}
		hdr := len(it.Raw()) - len(it.Value())
		tl := tag2len(out)
		if tl >= hdr {
			return out
		}
		// Rewrite the length as one more than the value, keeping the
		// rest: the object now runs past the end.
		v := it.Value()
		var b []byte
		b = append(b, out[:tl]...)
		b = tlv.AppendLength(b, len(v)+1)
		b = append(b, v...)
		return b
	case TruncateData:
		if len(out) > 0 {
			return out[:len(out)-1]
		}
	case FlipLastByte:
		if len(out) > 0 {
			out[len(out)-1] ^= 0xFF
		}
	case ReplaceData:
		return append([]byte(nil), value...)
	case DuplicateTag, DropTag, ReplaceValue:
		if r, ok := editTLV(out, tag, how, value, 0); ok {
			return r
		}
	}
	return out
}

// tag2len returns the length of the tag at the start of b.
func tag2len(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n := 1
	if b[0]&0x1F == 0x1F {
		for n < len(b) && n < 3 {
			n++
			if b[n-1]&0x80 == 0 {
				break
			}
		}
	}
	return n
}

// editTLV re-encodes b with the first data object of tag t (searched depth
// first) duplicated, dropped or given a new value. It reports whether t
// was found.
func editTLV(b []byte, t tlv.Tag, how Corruption, value []byte, depth int) ([]byte, bool) {
	if depth > tlv.MaxDepth {
		return nil, false
	}
	var out []byte
	found := false
	it := tlv.NewIter(b)
	for it.Next() {
		switch {
		case !found && it.Tag() == t:
			found = true
			switch how {
			case DuplicateTag:
				out = append(out, it.Raw()...)
				out = append(out, it.Raw()...)
			case ReplaceValue:
				out = tlv.AppendTLV(out, t, value)
			case DropTag:
			}
		case !found && it.Tag().Constructed():
			inner, ok := editTLV(it.Value(), t, how, value, depth+1)
			if ok {
				found = true
				out = tlv.AppendTLV(out, it.Tag(), inner)
			} else {
				out = append(out, it.Raw()...)
			}
		default:
			out = append(out, it.Raw()...)
		}
	}
	if it.Err() != nil {
		return nil, false
	}
	return out, found
}
