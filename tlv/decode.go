package tlv

// MaxDepth is how many constructed objects may nest inside one another:
// [Parse] refuses the (MaxDepth+1)th nested template with [ErrTooDeep] and
// [Find] does not descend into it. The deepest EMV structure, a PPSE
// directory entry (6F > A5 > BF0C > 61 > 4F), nests four templates.
const MaxDepth = 16

// MaxPadding is the longest run of padding bytes accepted before, between
// or after data objects. Book 3 Annex B allows 00 bytes there (left by
// erased or modified objects); ISO/IEC 7816-4 (Annex D.1 of its 1995
// edition) allows 00 and FF, and neither byte starts a tag. No card response
// carries more than 256 data bytes, so a longer run is not padding from a
// card.
const MaxPadding = 256

// Iter walks the data objects of one level of a buffer. It does not allocate:
// [Iter.Value] and [Iter.Raw] are sub-slices of the buffer (with their
// capacity cut, so appending to them cannot overwrite the buffer).
//
//	it := tlv.NewIter(b)
//	for it.Next() {
//		use(it.Tag(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
type Iter struct {
	buf    []byte
	off    int // where the next object (or padding) starts
	base   int // offset of buf in the caller's buffer, for error offsets
	strict bool
	tag    Tag
	start  int // offset of the current object in buf
	hdr    int // length of the current object's tag and length fields
	// The current object's value is buf[vs:off]. Next stores offsets
	// only: no pointer, so no write barrier while the collector runs.
	vs  int
	err error
}

// NewIter returns an iterator over the data objects in b. It accepts
// non-minimal long-form lengths, as cards send them.
func NewIter(b []byte) Iter { return Iter{buf: b} }

// NewStrictIter is like [NewIter] but refuses non-minimal long-form lengths
// with [ErrNonMinimalLength].
func NewStrictIter(b []byte) Iter { return Iter{buf: b, strict: true} }

// Next advances to the next data object, skipping padding, and reports
// whether there is one. It returns false at the end of the buffer or on a
// malformed object; [Iter.Err] tells which.
func (it *Iter) Next() bool {
	// Until an object is found there is no current object.
	it.tag, it.hdr, it.start, it.vs = 0, 0, it.off, it.off
	if it.err != nil {
		return false
	}
	// Most objects have a one- or two-byte tag and a one-byte length: they
	// are read here, without the loops of readHeader. An object this path
	// takes is read exactly as readHeader reads it (a 00 or FF first byte
	// is padding and a longer tag or length goes the long way). [Parse]
	// takes the same path; FuzzDecode holds the two to the long way.
	if off, buf := it.off, it.buf; off+2 <= len(buf) {
		b0, b1 := buf[off], buf[off+1]
		switch {
		case b0 == 0x00 || b0 == 0xFF:
		case b0&0x1F != 0x1F:
			if end := off + 2 + int(b1); b1 < 0x80 && end <= len(buf) {
				it.tag, it.hdr = Tag(b0), 2
				it.vs, it.off = off+2, end
				return true
			}
		case b1&0x80 == 0 && off+3 <= len(buf):
			if l := buf[off+2]; l < 0x80 && off+3+int(l) <= len(buf) {
				end := off + 3 + int(l)
				it.tag, it.hdr = Tag(b0)<<8|Tag(b1), 3
				it.vs, it.off = off+3, end
				return true
			}
		}
	}
	pad := 0
	for it.off < len(it.buf) && (it.buf[it.off] == 0x00 || it.buf[it.off] == 0xFF) {
		it.off++
		pad++
		if pad > MaxPadding {
			it.err = &ParseError{Offset: it.base + it.off - pad, Err: ErrPadding}
			return false
		}
	}
	if it.off == len(it.buf) {
		return false
	}
	tag, hdr, n, err := readHeader(it.buf[it.off:], it.strict)
	if err != nil {
		it.err = &ParseError{Offset: it.base + it.off, Tag: tag, Err: err}
		return false
	}
	it.tag = tag
	it.start = it.off
	it.hdr = hdr
	end := it.off + hdr + n
	it.vs, it.off = it.off+hdr, end
	return true
}

// Tag returns the current object's tag.
func (it *Iter) Tag() Tag { return it.tag }

// Value returns the current object's value bytes, exactly as received.
func (it *Iter) Value() []byte {
	if it.tag == 0 {
		return nil
	}
	return it.buf[it.vs:it.off:it.off]
}

// Raw returns the current object's whole encoding: tag, length and value;
// nil when there is no current object. No object has tag 0 (a 00 byte
// where a tag would start is padding).
func (it *Iter) Raw() []byte {
	if it.tag == 0 {
		return nil
	}
	return it.buf[it.start:it.off:it.off]
}

// Offset returns where the current object starts, counted from the start of
// the buffer the iteration began on.
func (it *Iter) Offset() int { return it.base + it.start }

// Children returns an iterator over the current object's value, with error
// offsets counted from the same origin as this iterator's.
func (it *Iter) Children() Iter {
	return Iter{buf: it.Value(), base: it.base + it.start + it.hdr, strict: it.strict}
}

// Err returns the error that stopped the iteration, or nil at a clean end.
func (it *Iter) Err() error { return it.err }

// readHeader reads a tag and a length from the start of b and checks that
// the value fits in b. It returns the tag (as far as it was read), the
// header's length and the value's length.
func readHeader(b []byte, strict bool) (tag Tag, hdr, n int, err error) {
	tag, hdr, n, minimal, err := readTagLength(b)
	if err != nil {
		return tag, 0, 0, err
	}
	// BER leaves short or long form to the sender (ISO/IEC 8825-1
	// §8.1.3.3) and cards do send 81 05; only a strict reader demands the
	// fewest length bytes.
	if strict && !minimal {
		return tag, 0, 0, ErrNonMinimalLength
	}
	if len(b)-hdr < n {
		return tag, 0, 0, ErrTruncated
	}
	return tag, hdr, n, nil
}

// readTagLength reads a tag and a length field from the start of b (a data
// object's header, or a DOL entry). It returns the tag (as far as it was
// read), the number of header bytes, the length, and whether the length
// used the fewest bytes possible.
func readTagLength(b []byte) (tag Tag, hdr, n int, minimal bool, err error) {
	if len(b) == 0 {
		return 0, 0, 0, false, ErrTruncated
	}
	// Tag (Book 3 Annex B1, Tables 35 and 36): if bits b5-b1 of the first
	// byte are all ones, subsequent bytes follow, each with b8 set when yet
	// another byte follows. EMV tags have at most three bytes, so a third
	// byte with b8 set is refused before looking for a fourth.
	tag = Tag(b[0])
	i := 1
	if b[0]&0x1F == 0x1F {
		for {
			if i == 3 {
				return tag, 0, 0, false, ErrTagTooLong
			}
			if i == len(b) {
				return tag, 0, 0, false, ErrTruncated
			}
			tag = tag<<8 | Tag(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	// Length (Book 3 Annex B): one byte below 80; otherwise b7-b1 give the
	// number of length bytes that follow. The length field is at most three
	// bytes (82 xx xx, up to 65535): one or two over the card interface, three
	// only for issuer script templates 71/72 and commands 86 longer than 255
	// bytes. 80 (indefinite) is BER but not EMV; 83 and above are refused
	// before reading them, so nothing can overflow.
	if i == len(b) {
		return tag, 0, 0, false, ErrTruncated
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		return tag, i, int(l), true, nil
	case l == 0x80:
		return tag, 0, 0, false, ErrIndefiniteLength
	case l > 0x82:
		return tag, 0, 0, false, ErrLengthTooLong
	}
	k := int(l & 0x7F)
	if len(b)-i < k {
		return tag, 0, 0, false, ErrTruncated
	}
	for j := 0; j < k; j++ {
		n = n<<8 | int(b[i+j])
	}
	return tag, i + k, n, n >= minLongForm[k], nil
}

// minLongForm[k] is the smallest length that needs k length bytes after the
// 8k byte.
var minLongForm = [3]int{0, 0x80, 0x100}

// Object is one decoded data object.
type Object struct {
	Tag Tag
	// Value holds the value bytes as received (a sub-slice of the parsed
	// buffer). For a constructed object it is the encoding of its children.
	Value []byte
	// Children holds the decoded children of a constructed object.
	Children List
}

// List is a sequence of data objects, as found at one level of a buffer.
type List []Object

// Find returns the first object with the given tag in l, searching depth
// first through constructed objects (only those have children).
func (l List) Find(tag Tag) (Object, bool) {
	for i := range l {
		o := &l[i]
		if o.Tag == tag {
			return *o, true
		}
		if o.Tag.Constructed() && len(o.Children) > 0 {
			if f, ok := o.Children.Find(tag); ok {
				return f, true
			}
		}
	}
	return Object{}, false
}

// Find returns the value of the first object with the given tag in b,
// searching depth first through constructed objects (no deeper than
// [MaxDepth]) without allocating. A malformed object ends the search at its
// level: objects after it are not found (use [Parse] or [Iter] first when the
// data must be well formed).
func Find(b []byte, tag Tag) ([]byte, bool) {
	return find(NewIter(b), tag, 0)
}

// find takes the iterator by value so that it stays on the stack.
func find(it Iter, tag Tag, depth int) ([]byte, bool) {
	for it.Next() {
		if it.Tag() == tag {
			return it.Value(), true
		}
		if it.Tag().Constructed() && depth < MaxDepth {
			if v, ok := find(it.Children(), tag, depth+1); ok {
				return v, true
			}
		}
	}
	return nil, false
}

// Single decodes b as exactly one data object, with nothing but padding
// after it, and returns its tag and value. Responses such as READ RECORD's
// template 70 and GENERATE AC's 77 or 80 are read this way.
func Single(b []byte) (Tag, []byte, error) {
	it := NewIter(b)
	if !it.Next() {
		if err := it.Err(); err != nil {
			return 0, nil, err
		}
		return 0, nil, &ParseError{Offset: 0, Err: ErrTruncated}
	}
	tag, val := it.Tag(), it.Value()
	if it.Next() {
		// Report the first object that should not be there.
		return 0, nil, &ParseError{Offset: it.Offset(), Tag: it.Tag(), Err: ErrTrailingData}
	}
	if err := it.Err(); err != nil {
		return 0, nil, err
	}
	return tag, val, nil
}
