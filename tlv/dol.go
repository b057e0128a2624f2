package tlv

import (
	"errors"
	"fmt"
	"slices"
)

// MaxDOLEntries bounds the number of entries [ParseDOL] accepts. A DOL is
// the value of one data object a card sends (at most 252 bytes, Book 3
// Annex A1), and each entry takes at least two bytes, so no real DOL has
// more than 126 entries.
const MaxDOLEntries = 126

// MaxDOLDataLen bounds the data a DOL may ask for. No command carries
// more than 255 data bytes (short APDUs, Book 1 §9.4 / Book 3 §6), so a DOL
// asking for more is refused by the kernel anyway; the bound keeps
// [DOL.Build] from being made to allocate megabytes by a hostile card.
const MaxDOLDataLen = 0xFFFF

// DOLEntry is one entry of a Data Object List: the tag of a data object and
// the number of bytes of its value the card wants (Book 3 §5.4).
type DOLEntry struct {
	Tag Tag
	Len int
}

// DOL is a Data Object List (PDOL, CDOL1, CDOL2, DDOL, TDOL; Book 3 §5.4):
// the list of tags and lengths whose values, concatenated without tags or
// lengths, a command sends to the card.
type DOL []DOLEntry

// Sentinel errors for DOLs, carried by [*DOLError]; compare with errors.Is.
var (
	// ErrDOLTooLong: more than [MaxDOLEntries] entries, or entries asking
	// for more than [MaxDOLDataLen] bytes in all.
	ErrDOLTooLong = errors.New("DOL too long")
	// ErrDOLDataLength: DOL data whose length is not the DOL's length.
	ErrDOLDataLength = errors.New("DOL data length differs from the DOL's")
)

// DOLError reports where and why a DOL could not be read, or why DOL data
// does not match its DOL. Err is [ErrTruncated], [ErrTagTooLong],
// [ErrIndefiniteLength], [ErrLengthTooLong], [ErrDOLTooLong] or
// [ErrDOLDataLength].
type DOLError struct {
	// Offset is where the bad entry starts in the DOL (for
	// ErrDOLDataLength: the length of the data given).
	Offset int
	// Tag is the bad entry's tag, as far as it was read, or 0.
	Tag Tag
	Err error
}

func (e *DOLError) Error() string {
	if e.Tag == 0 {
		return fmt.Sprintf("tlv: DOL at offset %d: %v", e.Offset, e.Err)
	}
	return fmt.Sprintf("tlv: DOL entry %s at offset %d: %v", e.Tag, e.Offset, e.Err)
}

func (e *DOLError) Unwrap() error { return e.Err }

// ParseDOL reads a Data Object List: a sequence of tags, each followed by a
// length, with no values (Book 3 §5.4). Tags follow Book 3 Annex B1 and
// lengths Annex B2 (in practice one byte; 81 xx and 82 xx xx are read too).
// Padding bytes are not allowed in a DOL: a 00 or FF where a tag should
// start is read as a tag, as the book defines no padding for DOLs.
// An empty b gives an empty DOL.
func ParseDOL(b []byte) (DOL, error) {
	if len(b) == 0 {
		return nil, nil
	}
	// Every entry takes at least two bytes: one allocation suffices.
	return AppendDOL(make(DOL, 0, min(len(b)/2+1, MaxDOLEntries)), b)
}

// AppendDOL is [ParseDOL] appending the entries to dst, for a caller that
// parses its DOLs into storage of its own. On error it returns nil.
func AppendDOL(dst DOL, b []byte) (DOL, error) {
	d := dst
	start := len(d)
	total := 0
	for off := 0; off < len(b); {
		if len(d)-start == MaxDOLEntries {
			return nil, &DOLError{Offset: off, Err: ErrDOLTooLong}
		}
		tag, hdr, n, _, err := readTagLength(b[off:])
		if err != nil {
			return nil, &DOLError{Offset: off, Tag: tag, Err: err}
		}
		total += n
		if total > MaxDOLDataLen {
			return nil, &DOLError{Offset: off, Tag: tag, Err: ErrDOLTooLong}
		}
		d = append(d, DOLEntry{Tag: tag, Len: n})
		off += hdr
	}
	return d, nil
}

// Len returns the length of the data the DOL asks for: the sum of its
// entries' lengths.
func (d DOL) Len() int {
	n := 0
	for _, e := range d {
		n += e.Len
	}
	return n
}

// Build appends to dst the data the DOL asks for, following Book 3 §5.4.
// get returns the value of a data object and whether the terminal has it.
// For each entry, in order:
//
//   - a constructed tag, or a data object get does not have (unknown to the
//     terminal, or optional data absent from the card): Len bytes of 00;
//   - a value shorter than Len: format n is right-justified and padded on
//     the left with 00; format cn is left-justified and padded on the right
//     with FF; any other format is left-justified and padded on the right
//     with 00;
//   - a value longer than Len: format n keeps its rightmost Len bytes (it is
//     truncated on the left); any other format keeps its leftmost Len bytes.
//
// The format comes from the dictionary ([Lookup]); a tag get knows but the
// dictionary does not is treated as binary. The appended data is exactly
// d.Len() bytes. Build does not allocate when dst has that much spare
// capacity.
func (d DOL) Build(dst []byte, get func(Tag) ([]byte, bool)) []byte {
	dst = slices.Grow(dst, max(d.Len(), 0))
	for _, e := range d {
		if e.Len <= 0 {
			continue
		}
		var v []byte
		ok := false
		if !e.Tag.Constructed() {
			v, ok = get(e.Tag)
		}
		if !ok {
			dst = appendFill(dst, 0x00, e.Len)
			continue
		}
		if len(v) == e.Len {
			dst = append(dst, v...)
			continue
		}
		// Only a value of another length than the entry's needs its
		// format, and only the format is read from the dictionary.
		format := FormatB
		if i := elementRow(e.Tag); i >= 0 {
			format = elements[i].Format
		}
		switch {
		case len(v) > e.Len && format == FormatN:
			dst = append(dst, v[len(v)-e.Len:]...)
		case len(v) > e.Len:
			dst = append(dst, v[:e.Len]...)
		case format == FormatN:
			dst = appendFill(dst, 0x00, e.Len-len(v))
			dst = append(dst, v...)
		case format == FormatCN:
			dst = append(dst, v...)
			dst = appendFill(dst, 0xFF, e.Len-len(v))
		default:
			dst = append(dst, v...)
			dst = appendFill(dst, 0x00, e.Len-len(v))
		}
	}
	return dst
}

// appendFill appends n copies of c to dst.
func appendFill(dst []byte, c byte, n int) []byte {
	for ; n > 0; n-- {
		dst = append(dst, c)
	}
	return dst
}

// Split cuts DOL data (as sent to the card, e.g. the CDOL1 data of a
// GENERATE AC) back into one object per entry, in DOL order. Values are
// sub-slices of data. The data must be exactly d.Len() bytes long, else the
// error is a [*DOLError] with [ErrDOLDataLength].
func (d DOL) Split(data []byte) (List, error) {
	if len(data) != d.Len() {
		return nil, &DOLError{Offset: len(data), Err: ErrDOLDataLength}
	}
	l := make(List, 0, len(d))
	off := 0
	for _, e := range d {
		end := off + e.Len
		l = append(l, Object{Tag: e.Tag, Value: data[off:end:end]})
		off = end
	}
	return l, nil
}

// Value returns the part of DOL data that the first entry with the given
// tag covers, without allocating. It reports false if the DOL has no such
// entry or data is shorter than the DOL.
func (d DOL) Value(data []byte, tag Tag) ([]byte, bool) {
	off := 0
	for _, e := range d {
		end := off + e.Len
		if end > len(data) {
			return nil, false
		}
		if e.Tag == tag {
			return data[off:end:end], true
		}
		off = end
	}
	return nil, false
}

// Append appends the DOL's encoding (tags and lengths) to dst.
func (d DOL) Append(dst []byte) []byte {
	for _, e := range d {
		dst = AppendTag(dst, e.Tag)
		dst = AppendLength(dst, e.Len)
	}
	return dst
}
