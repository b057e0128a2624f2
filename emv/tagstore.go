package emv

import "github.com/emvkit/emvkit/tlv"

// tagStore holds data objects by tag for one transaction: the card's, the
// terminal's, or (values unused) the tags read from records. It is what a
// map[tlv.Tag][]byte would be, without hashing: a tag of one byte, or of
// two beginning 5F or 9F (nearly every tag of Book 3 Annex A), finds its
// entry through a table indexed by its last byte; any other tag (DFxx,
// BFxx, three bytes) is found by a scan of the entries, which only a card
// with proprietary objects makes. Looking tags up in maps was a sixth of a
// replayed transaction: every DOL entry, every record object and every
// field 55 tag was hashed twice.
//
// Entries keep the order they were first set in; nothing reads that order.
// The zero tagStore is empty and ready; reset empties it for another
// transaction without touching the table rows no entry used.
type tagStore struct {
	// slot holds 1 + the index in ents of a tag's entry, 0 when absent:
	// row 0 for one-byte tags, row 1 for 5Fxx, row 2 for 9Fxx.
	slot [3][256]uint16
	ents []tagEntry
	// others counts the entries whose tags have no slot.
	others int
}

type tagEntry struct {
	tag tlv.Tag
	// record: the value came from a record (keepTemplate), so that a
	// second one of the tag is a duplicate (Book 3 §10.2).
	record bool
	val    []byte
}

// slotOf returns t's table cell, nil for a tag without one.
func (m *tagStore) slotOf(t tlv.Tag) *uint16 {
	if t <= 0xFFFF {
		if r := slotRow[t>>8]; r != 0 {
			return &m.slot[r-1][t&0xFF]
		}
	}
	return nil
}

// slotRow is 1 + the row of slot of a tag of one or two bytes, by its
// first byte (0 for a one-byte tag); 0 for a tag without a table cell.
// A table read rather than a switch: find stays small enough for the
// compiler to inline into its callers, and a lookup of a tag with a cell
// (nearly every lookup) makes no call of its own.
var slotRow = [256]uint8{0x00: 1, 0x5F: 2, 0x9F: 3}

// find returns the index of t's entry, -1 when t is absent.
func (m *tagStore) find(t tlv.Tag) int {
	// slotOf, read in place: through its pointer find would be too large
	// to inline.
	if t <= 0xFFFF {
		if r := slotRow[t>>8]; r != 0 {
			return int(m.slot[r-1][t&0xFF]) - 1
		}
	}
	return m.findOther(t)
}

// findOther is find for a tag without a table cell: a scan of the
// entries, which only proprietary objects make.
func (m *tagStore) findOther(t tlv.Tag) int {
	if m.others == 0 {
		return -1
	}
	for i := range m.ents {
		if m.ents[i].tag == t {
			return i
		}
	}
	return -1
}

// get returns t's value and whether t is present (its value may be empty).
func (m *tagStore) get(t tlv.Tag) ([]byte, bool) {
	if i := m.find(t); i >= 0 {
		return m.ents[i].val, true
	}
	return nil, false
}

// val returns t's value, nil when absent.
func (m *tagStore) val(t tlv.Tag) []byte {
	v, _ := m.get(t)
	return v
}

// has reports whether t is present.
func (m *tagStore) has(t tlv.Tag) bool { return m.find(t) >= 0 }

// set stores v as t's value, replacing the one it had.
func (m *tagStore) set(t tlv.Tag, v []byte) { m.put(t, v) }

// put is set, returning the index of t's entry.
func (m *tagStore) put(t tlv.Tag, v []byte) int {
	p := m.slotOf(t)
	if p != nil {
		if *p != 0 {
			m.ents[*p-1].val = v
			return int(*p) - 1
		}
	} else if i := m.find(t); i >= 0 {
		m.ents[i].val = v
		return i
	}
	m.ents = append(m.ents, tagEntry{tag: t, val: v})
	if p != nil {
		*p = uint16(len(m.ents))
	} else {
		m.others++
	}
	return len(m.ents) - 1
}

// fromRecord reports whether t's value came from a record (setRecord).
func (m *tagStore) fromRecord(t tlv.Tag) bool {
	i := m.find(t)
	return i >= 0 && m.ents[i].record
}

// setRecord is set for a value read from a record, fromRecord(t) true
// from then on; when t's value already came from a record it changes
// nothing and reports the duplicate.
func (m *tagStore) setRecord(t tlv.Tag, v []byte) (duplicate bool) {
	if i := m.find(t); i >= 0 {
		e := &m.ents[i]
		if e.record {
			return true
		}
		e.val, e.record = v, true
		return false
	}
	m.ents[m.put(t, v)].record = true
	return false
}

// len returns the number of tags present.
func (m *tagStore) len() int { return len(m.ents) }

// reset empties the store. The values are dropped, so that a recycled
// store holds no card bytes.
func (m *tagStore) reset() {
	for i := range m.ents {
		if p := m.slotOf(m.ents[i].tag); p != nil {
			*p = 0
		}
	}
	clear(m.ents)
	m.ents = m.ents[:0]
	m.others = 0
}
