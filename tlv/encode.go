package tlv

// AppendTag appends the encoding of t (one to three bytes) to dst. Only the
// low three bytes of t are written: EMV tags have no more.
func AppendTag(dst []byte, t Tag) []byte {
	switch t.Len() {
	case 3:
		return append(dst, byte(t>>16), byte(t>>8), byte(t))
	case 2:
		return append(dst, byte(t>>8), byte(t))
	default:
		return append(dst, byte(t))
	}
}

// AppendLength appends the minimal BER encoding of the length n to dst
// (Book 3 Annex B2). n must be in [0, 1<<24); a larger length is a
// programming error and panics. EMV lengths stop at 65535 (82 xx xx);
// a longer one is written 83 xx xx xx, which the decoder of this package
// refuses with [ErrLengthTooLong].
func AppendLength(dst []byte, n int) []byte {
	switch {
	case n < 0 || n >= 1<<24:
		panic("tlv: length out of range")
	case n < 0x80:
		return append(dst, byte(n))
	case n <= 0xFF:
		return append(dst, 0x81, byte(n))
	case n <= 0xFFFF:
		return append(dst, 0x82, byte(n>>8), byte(n))
	default:
		return append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendTLV appends one data object with the given tag and value to dst.
func AppendTLV(dst []byte, t Tag, value []byte) []byte {
	// Most objects have a tag of one or two bytes and a value shorter
	// than 128 bytes: their header is written here at once.
	if n := len(value); t <= 0xFFFF && n < 0x80 {
		if t > 0xFF {
			dst = append(dst, byte(t>>8), byte(t), byte(n))
		} else {
			dst = append(dst, byte(t), byte(n))
		}
		return append(dst, value...)
	}
	dst = AppendTag(dst, t)
	dst = AppendLength(dst, len(value))
	return append(dst, value...)
}

// Append appends the encoding of o to dst. A constructed object with
// Children is encoded from its children (so padding inside it is dropped);
// any other object from its Value.
func (o Object) Append(dst []byte) []byte {
	if o.Children == nil {
		return AppendTLV(dst, o.Tag, o.Value)
	}
	dst = AppendTag(dst, o.Tag)
	dst = AppendLength(dst, o.Children.encodedLen())
	return o.Children.Append(dst)
}

// encodedLen returns how many bytes Append writes for o.
func (o Object) encodedLen() int {
	n := len(o.Value)
	if o.Children != nil {
		n = o.Children.encodedLen()
	}
	return o.Tag.Len() + lengthLen(n) + n
}

func (l List) encodedLen() int {
	n := 0
	for _, o := range l {
		n += o.encodedLen()
	}
	return n
}

// lengthLen returns how many bytes AppendLength writes for n.
func lengthLen(n int) int {
	var b [4]byte
	return len(AppendLength(b[:0], n))
}

// Append appends the encoding of every object of l to dst.
func (l List) Append(dst []byte) []byte {
	for _, o := range l {
		dst = o.Append(dst)
	}
	return dst
}
