package emv

import "github.com/emvkit/emvkit/tlv"

// arenaSize is room for what one contact transaction makes of its own:
// the terminal data objects (some 60 bytes), the PDOL and CDOL data (a
// few dozen each) and field 55 twice (150 to 250 bytes each).
const arenaSize = 1024

// take returns n zero bytes cut from the state's arena, their capacity
// their length, or new ones once the arena is full. The state is one
// allocation and whatever keeps these bytes (the Result, an online
// request) keeps the state: the few dozen values a transaction makes are
// not one allocation each. No secret is ever put there.
func (s *transactionState) take(n int) []byte {
	if n > len(s.arena)-s.arenaUsed {
		return make([]byte, n)
	}
	b := s.arena[s.arenaUsed : s.arenaUsed+n : s.arenaUsed+n]
	s.arenaUsed += n
	return b
}

// room returns an empty slice over the rest of the arena, for an append
// whose result is handed to keep.
func (s *transactionState) room() []byte { return s.arena[s.arenaUsed:s.arenaUsed:len(s.arena)] }

// keep marks as used the bytes of b, the result of appending to room(),
// if the append stayed in the arena, and returns b with its capacity cut
// to its length, so that an append to it cannot reach the next value.
// An empty b gives nil, as an append to nil that appended nothing does.
func (s *transactionState) keep(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	if rest := s.arena[s.arenaUsed:]; len(rest) > 0 && cap(b) == len(rest) && &b[:1][0] == &rest[0] {
		s.arenaUsed += len(b)
	}
	return b[:len(b):len(b)]
}

// bytesOf returns a copy of v in the arena.
func (s *transactionState) bytesOf(v ...byte) []byte {
	b := s.take(len(v))
	copy(b, v)
	return b
}

// clone is bytes.Clone in the arena: nil for nil.
func (s *transactionState) clone(v []byte) []byte {
	if v == nil {
		return nil
	}
	return s.bytesOf(v...)
}

// bcd returns v as n bytes of right-justified BCD, in the arena.
func (s *transactionState) bcd(v uint64, n int) []byte {
	b := s.take(n)
	putBCD(b, v)
	return b
}

// parseDOL is tlv.ParseDOL into the state's own entries while they last.
func (s *transactionState) parseDOL(b []byte) (tlv.DOL, error) {
	if len(b) == 0 {
		return nil, nil
	}
	room := s.dols[s.dolsUsed:s.dolsUsed:len(s.dols)]
	d, err := tlv.AppendDOL(room, b)
	if err != nil {
		return nil, err
	}
	if len(d) > 0 && cap(d) == cap(room) && cap(room) > 0 && &d[:1][0] == &room[:1][0] {
		s.dolsUsed += len(d)
	}
	return d[:len(d):len(d)], nil
}
