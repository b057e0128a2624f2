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
	objs [96]tagValue
	n    int
}

// errDuplicate reports a data object the card returned twice (Book C-2,
// parsing and storing a card response: a card data object already in the
// database makes the response unusable, L2 PARSING ERROR).
var errDuplicate = errors.New("kernel2: data object returned twice")

// errTooMany reports a card with more data objects than the kernel keeps.
var errTooMany = errors.New("kernel2: too many card data objects")

func (c *cardData) get(t tlv.Tag) ([]byte, bool) {
	for _, tv := range c.objs[:c.n] {
		if tv.t == t {
			return tv.v, true
		}
	}
	return nil, false
}

func (c *cardData) value(t tlv.Tag) []byte {
	v, _ := c.get(t)
	return v
}

func (c *cardData) add(t tlv.Tag, v []byte) error {
	if _, ok := c.get(t); ok {
		return fmt.Errorf("%w: %s", errDuplicate, t)
	}
	if c.n == len(c.objs) {
		return errTooMany
	}
	c.objs[c.n] = tagValue{t, v}
	c.n++
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
