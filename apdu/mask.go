package apdu

import (
	"strconv"
	"strings"
)

// A Masker renders response data as upper-case hex for a person to read,
// with cardholder data hidden. [MaskPAN] is the one apdu uses by default;
// the kernel may plug in a richer one built on its tag dictionary.
type Masker func(data []byte) string

// maskDepth bounds the template nesting MaskPAN descends into; deeper
// values are hidden whole.
const maskDepth = 8

const hexDigits = "0123456789ABCDEF"

// MaskPAN renders data (a response's data field, read as BER-TLV as in
// Book 3 Annex B) in upper-case hex with the cardholder data a person must
// not read replaced by '*':
//
//   - 5A Application PAN: all digits but the first six and the last four
//     (all of them when the PAN has ten or fewer), as tlv.Describe does;
//   - 57 Track 2 Equivalent Data and 9F6B Track 2 Data: the PAN digits as
//     for 5A and every digit after the separator D but the F pad;
//   - 56 Track 1 Data, 9F1F Track 1 Discretionary Data, 9F20 Track 2
//     Discretionary Data, 5F20 Cardholder Name (and 9F0B, its extended
//     form) and 9F61, UnionPay's Cardholder ID Number (the cardholder's
//     identity document, JR/T 0025.5 Annex A; Book C-2 gives the tag to
//     CVC3 (Track2), hidden too): the whole value.
//
// Tags, lengths and all other values are shown as they are. Data that is
// not well-formed BER-TLV from some offset on could hide a PAN the walk
// cannot find, so it is hidden from that offset: its length is shown
// instead. apdu imports no other package of this module, so this walk is
// its own small reader; it never panics and is bounded in depth.
func MaskPAN(data []byte) string {
	var sb strings.Builder
	sb.Grow(2 * len(data))
	if n := maskLevel(&sb, data, 0); n < len(data) {
		sb.WriteString("[")
		sb.WriteString(strconv.Itoa(len(data) - n))
		sb.WriteString(" bytes hidden: not BER-TLV]")
	}
	return sb.String()
}

// maskLevel writes the data objects of b and returns how many bytes of b it
// could read as BER-TLV.
func maskLevel(sb *strings.Builder, b []byte, depth int) int {
	off := 0
	for off < len(b) {
		if b[off] == 0x00 || b[off] == 0xFF { // padding, Book 3 Annex B
			writeHex(sb, b[off:off+1])
			off++
			continue
		}
		tag, hdr, n, ok := maskHeader(b[off:])
		if !ok {
			return off
		}
		writeHex(sb, b[off:off+hdr])
		val := b[off+hdr : off+hdr+n]
		constructed := b[off]&0x20 != 0
		switch {
		case constructed && depth < maskDepth:
			if m := maskLevel(sb, val, depth+1); m < len(val) {
				// The rest of the template is unreadable: hide it.
				sb.WriteString(strings.Repeat("**", len(val)-m))
			}
		case constructed:
			sb.WriteString(strings.Repeat("**", len(val)))
		default:
			maskValue(sb, tag, val)
		}
		off += hdr + n
	}
	return off
}

// maskHeader reads a tag of up to three bytes and a length of up to three
// bytes (81, 82 forms and the short form) and checks the value fits.
func maskHeader(b []byte) (tag uint32, hdr, n int, ok bool) {
	i := 0
	tag = uint32(b[0])
	i++
	if b[0]&0x1F == 0x1F {
		for {
			if i >= len(b) || i >= 3 {
				return 0, 0, 0, false
			}
			tag = tag<<8 | uint32(b[i])
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return 0, 0, 0, false
	}
	l := b[i]
	i++
	switch {
	case l < 0x80:
		n = int(l)
	case l == 0x81 || l == 0x82:
		k := int(l & 0x7F)
		if i+k > len(b) {
			return 0, 0, 0, false
		}
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	default:
		return 0, 0, 0, false
	}
	if n > len(b)-i {
		return 0, 0, 0, false
	}
	return tag, i, n, true
}

func maskValue(sb *strings.Builder, tag uint32, val []byte) {
	switch tag {
	case 0x5A:
		maskDigits(sb, val, false)
	case 0x57, 0x9F6B:
		maskDigits(sb, val, true)
	case 0x56, 0x9F1F, 0x9F20, 0x5F20, 0x9F0B, 0x9F61: // track 1, its discretionary data, cardholder name (and extended), cardholder ID number
		sb.WriteString(strings.Repeat("**", len(val)))
	default:
		writeHex(sb, val)
	}
}

// maskDigits writes the nibbles of a PAN (cn, padded with F) or of track 2
// (PAN, separator D, YYMM, service code, discretionary data, pad F, Book 3
// Annex A1) as tlv.Describe masks them: of the PAN only the first six and
// last four digits are shown, and only when it has more than ten (PCI DSS
// 3.4); of track 2 also the separator and the F pad; every other digit is
// '*'. Track 2 without a separator is hidden whole.
func maskDigits(sb *strings.Builder, val []byte, track2 bool) {
	nib := make([]byte, 0, 2*len(val))
	for _, c := range val {
		nib = append(nib, c>>4, c&0x0F)
	}
	pad := len(nib) // the trailing F pad starts here
	for pad > 0 && nib[pad-1] == 0x0F {
		pad--
	}
	pan := pad
	if track2 {
		pan = -1
		for i, d := range nib[:pad] {
			if d == 0x0D {
				pan = i
				break
			}
		}
	}
	for i, d := range nib {
		switch {
		case i >= pad || i == pan:
			sb.WriteByte(hexDigits[d]) // pad, separator
		case i < pan && pan > 10 && (i < 6 || i >= pan-4):
			sb.WriteByte(hexDigits[d])
		default:
			sb.WriteByte('*')
		}
	}
}

func writeHex(sb *strings.Builder, b []byte) {
	for _, c := range b {
		sb.WriteByte(hexDigits[c>>4])
		sb.WriteByte(hexDigits[c&0x0F])
	}
}
