package kernel2

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/tlv"
)

// cardData is the card's part of the kernel's database: every primitive
// data object the card returned in GPO, the records and GENERATE AC, each
// the value exactly as received (a slice of the response it came in).
type cardData struct {
	objs *[96]tagValue // made at the first add; kept by a recycled state
	n    int
	idx  tagIndex
}

// errDuplicate reports a data object the card returned twice (Book C-2,
// parsing and storing a card response: a card data object already in the
// database makes the response unusable, L2 PARSING ERROR).
var errDuplicate = errors.New("kernel2: data object returned twice")

// errTooMany reports a card with more data objects than the kernel keeps.
var errTooMany = errors.New("kernel2: too many card data objects")

func (c *cardData) get(t tlv.Tag) ([]byte, bool) {
	if c.n == 0 {
		return nil, false
	}
	if i := c.idx.find(t, c.objs[:c.n]); i >= 0 {
		return c.objs[i].v, true
	}
	return nil, false
}

func (c *cardData) value(t tlv.Tag) []byte {
	v, _ := c.get(t)
	return v
}

func (c *cardData) add(t tlv.Tag, v []byte) error {
	if c.objs == nil {
		c.objs = new([96]tagValue)
	}
	slot, found := c.idx.slot(t, c.objs[:c.n])
	if found {
		return fmt.Errorf("%w: %s", errDuplicate, t)
	}
	if c.n == len(c.objs) {
		return errTooMany
	}
	c.objs[c.n] = tagValue{t, v}
	c.n++
	c.idx[slot] = uint8(c.n)
	return nil
}

// addTemplate keeps the primitive data objects of a template's value; a
// constructed object inside it is kept whole (Book C-2 reads none inside
// the templates it parses).
func (c *cardData) addTemplate(v []byte) error {
	it := tlv.NewStrictIter(v)
	for it.Next() {
		if err := c.add(it.Tag(), it.Value()); err != nil {
			return err
		}
	}
	return it.Err()
}

// tagIndex finds the entry of a tag among at most 127 entries without a
// scan: an open-addressed table whose slots hold 1 + the index of an
// entry (0 is an empty slot), placed by a hash of the tag and probed
// linearly. With more slots than entries a probe always meets an empty
// slot, so a lookup ends, whatever tags the card sends. The zero tagIndex
// is empty.
type tagIndex [128]uint8

// home is the first slot a tag probes (Fibonacci hashing: the top seven
// bits of the tag times 2^32/φ).
func (x *tagIndex) home(t tlv.Tag) uint32 { return uint32(t) * 0x9E3779B1 >> 25 }

// slot returns the slot of t among ents, the entries the table indexes,
// and whether t is there; when it is not, the slot is where t goes.
func (x *tagIndex) slot(t tlv.Tag, ents []tagValue) (int, bool) {
	h := x.home(t)
	for {
		s := x[h]
		if s == 0 {
			return int(h), false
		}
		if ents[s-1].t == t {
			return int(h), true
		}
		h = (h + 1) & (uint32(len(x)) - 1)
	}
}

// find returns the index in ents of t's entry, -1 when t is absent.
func (x *tagIndex) find(t tlv.Tag, ents []tagValue) int {
	h, ok := x.slot(t, ents)
	if !ok {
		return -1
	}
	return int(x[h]) - 1
}
