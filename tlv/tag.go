package tlv

import "fmt"

// Tag is a BER-TLV tag as its bytes read big-endian: 0x5A, 0x9F02, 0xDF8101.
// EMV tags are one to three bytes long.
type Tag uint32

// Class returns the two class bits of the tag's first byte
// (00 universal, 01 application, 10 context-specific, 11 private).
func (t Tag) Class() byte { return t.firstByte() >> 6 }

// Constructed reports whether the tag's first byte marks a constructed
// object, one whose value is itself a sequence of data objects (Book 3 Annex B1).
func (t Tag) Constructed() bool { return t.firstByte()&0x20 != 0 }

// Len returns the number of bytes of the tag's encoding.
func (t Tag) Len() int {
	switch {
	case t > 0xFFFF:
		return 3
	case t > 0xFF:
		return 2
	default:
		return 1
	}
}

func (t Tag) firstByte() byte { return byte(t >> (8 * uint(t.Len()-1))) }

// String returns the tag as upper-case hex, as the books write it: "9F02".
func (t Tag) String() string {
	switch t.Len() {
	case 3:
		return fmt.Sprintf("%06X", uint32(t))
	case 2:
		return fmt.Sprintf("%04X", uint32(t))
	default:
		return fmt.Sprintf("%02X", uint32(t))
	}
}
