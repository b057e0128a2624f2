package emvtest

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/tlv"
)

// dolEntry is one entry of a Data Object List: a tag and the length the
// card wants for its value (Book 3 §5.4).
type dolEntry struct {
	tag tlv.Tag
	n   int
}

// maxDOLEntries bounds the entries of a DOL read from a profile or a script.
const maxDOLEntries = 64

var errDOL = errors.New("malformed DOL")

// parseDOL reads a DOL: tag and one-byte length pairs (Book 3 §5.4).
func parseDOL(b []byte) ([]dolEntry, error) {
	var out []dolEntry
	for i := 0; i < len(b); {
		if len(out) == maxDOLEntries {
			return nil, fmt.Errorf("%w: more than %d entries", errDOL, maxDOLEntries)
		}
		t := tlv.Tag(b[i])
		j := i + 1
		if b[i]&0x1F == 0x1F {
			for {
				if j == len(b) || j-i == 3 {
					return nil, fmt.Errorf("%w: bad tag at offset %d", errDOL, i)
				}
				t = t<<8 | tlv.Tag(b[j])
				j++
				if b[j-1]&0x80 == 0 {
					break
				}
			}
		}
		if j == len(b) {
			return nil, fmt.Errorf("%w: tag %s has no length", errDOL, t)
		}
		if b[j] >= 0x80 {
			return nil, fmt.Errorf("%w: tag %s length %02X", errDOL, t, b[j])
		}
		out = append(out, dolEntry{tag: t, n: int(b[j])})
		i = j + 1
	}
	return out, nil
}

// dolLength returns the length of the data a DOL asks for.
func dolLength(d []dolEntry) int {
	n := 0
	for _, e := range d {
		n += e.n
	}
	return n
}

// dolValues splits DOL-related data (whose length the caller has checked)
// into the value of each tag.
func dolValues(d []dolEntry, data []byte) map[tlv.Tag][]byte {
	m := make(map[tlv.Tag][]byte, len(d))
	off := 0
	for _, e := range d {
		if off+e.n > len(data) {
			break
		}
		if _, dup := m[e.tag]; !dup {
			m[e.tag] = data[off : off+e.n : off+e.n]
		}
		off += e.n
	}
	return m
}

// parseTLVList decodes a flat or nested TLV list from a profile.
func parseTLVList(b []byte) (tlv.List, error) { return tlv.Parse(b) }
