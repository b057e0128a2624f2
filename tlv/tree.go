package tlv

import (
	"iter"
	"math"
)

// Tree is a decoded buffer: the data objects of one level and, under each
// constructed one, its children, with every value left in the buffer.
// [Parse] builds it in one allocation that holds no pointers (sixteen bytes
// an object), which the garbage collector never scans. The zero Tree has
// no objects.
//
// A Tree is read-only. [Tree.List] copies it into a [List], the form that
// can be edited and encoded.
type Tree struct {
	buf []byte
	// nodes holds this level's objects in depth-first order, each one
	// followed by its descendants.
	nodes []node
}

// node is one object of a Tree. Offsets count from the start of the
// parsed buffer, which [Parse] keeps under 4 GiB; a value is at most
// 65535 bytes (the longest length field is 82 xx xx).
type node struct {
	tag   Tag
	start uint32 // where the object's tag starts
	desc  uint32 // how many descendants follow it in nodes
	vlen  uint16 // the value's length
	hdr   uint8  // the tag and length fields' length
}

// Node is one data object of a [Tree].
type Node struct {
	buf []byte
	// nodes[0] is the object, nodes[1:] its descendants.
	nodes []node
}

// Parse decodes every data object in b into a [Tree], descending into
// constructed objects up to [MaxDepth], in one pass and one allocation.
// Values are sub-slices of b. It accepts what [NewIter] accepts and fails
// on the first malformed object in the order of the data (depth first),
// returning a [*ParseError] and no tree.
func Parse(b []byte) (Tree, error) {
	if uint64(len(b)) > math.MaxUint32 {
		return Tree{}, &ParseError{Err: ErrTooLarge}
	}
	// The objects go into a buffer on the stack first and are copied into
	// an allocation of the exact size at the end; a card answer has far
	// fewer than 32 objects, a longer buffer grows it on the heap. The
	// loop keeps offsets only, so that it stores no pointers.
	var scratch [32]node
	nodes, k := scratch[:], 0
	// ends[d] is where the level of depth d ends, open[d] (d > 0) the
	// index of the constructed object whose value it is.
	var ends, open [MaxDepth + 1]int
	ends[0] = len(b)
	off, d := 0, 0
	for {
		var tag Tag
		var start, hdr, n int
		// The short path of Iter.Next, written out here so that the loop
		// stores no pointers.
		if end := ends[d]; off+2 <= end {
			switch b0, b1 := b[off], b[off+1]; {
			case b0 == 0x00 || b0 == 0xFF:
			case b0&0x1F != 0x1F:
				if b1 < 0x80 && off+2+int(b1) <= end {
					tag, start, hdr, n = Tag(b0), off, 2, int(b1)
				}
			case b1&0x80 == 0 && off+3 <= end:
				if l := b[off+2]; l < 0x80 && off+3+int(l) <= end {
					tag, start, hdr, n = Tag(b0)<<8|Tag(b1), off, 3, int(l)
				}
			}
		}
		if hdr == 0 && off < ends[d] {
			// Padding, a longer tag or length, the end of the level or
			// an error: Iter.Next reads it, on a copy that starts here.
			it := Iter{buf: b[:ends[d]], off: off}
			if !it.Next() {
				if err := it.Err(); err != nil {
					return Tree{}, err
				}
			}
			tag, start, hdr, n = it.tag, it.start, it.hdr, it.off-it.vs
		}
		if tag == 0 {
			if d == 0 {
				break
			}
			o := open[d]
			nodes[o].desc = uint32(k - o - 1)
			off = ends[d]
			d--
			continue
		}
		if k == len(nodes) {
			nodes = append(nodes, make([]node, len(nodes))...)
		}
		nodes[k] = node{tag: tag, start: uint32(start), vlen: uint16(n), hdr: uint8(hdr)}
		k++
		off = start + hdr + n
		if tag.Constructed() {
			if d == MaxDepth {
				return Tree{}, &ParseError{Offset: start, Tag: tag, Err: ErrTooDeep}
			}
			d++
			open[d], ends[d] = k-1, off
			off = start + hdr
		}
	}
	if k == 0 {
		return Tree{}, nil
	}
	all := make([]node, k)
	copy(all, nodes)
	return Tree{buf: b, nodes: all}, nil
}

// Len returns the number of objects at the tree's top level.
func (t Tree) Len() int {
	n := 0
	for i := 0; i < len(t.nodes); i += 1 + int(t.nodes[i].desc) {
		n++
	}
	return n
}

// All returns the objects of the tree's top level, in order.
func (t Tree) All() iter.Seq[Node] {
	return func(yield func(Node) bool) {
		for i := 0; i < len(t.nodes); {
			next := i + 1 + int(t.nodes[i].desc)
			if !yield(Node{buf: t.buf, nodes: t.nodes[i:next:next]}) {
				return
			}
			i = next
		}
	}
}

// Find returns the first object with the given tag, searching depth first
// through the whole tree.
func (t Tree) Find(tag Tag) (Node, bool) {
	for i := range t.nodes {
		if t.nodes[i].tag == tag {
			end := i + 1 + int(t.nodes[i].desc)
			return Node{buf: t.buf, nodes: t.nodes[i:end:end]}, true
		}
	}
	return Node{}, false
}

// Tag returns the object's tag; 0 for the zero Node.
func (n Node) Tag() Tag {
	if len(n.nodes) == 0 {
		return 0
	}
	return n.nodes[0].tag
}

// Value returns the object's value bytes, exactly as received (for a
// constructed object, the encoding of its children). The slice's capacity
// is cut, so appending to it cannot overwrite the buffer.
func (n Node) Value() []byte {
	if len(n.nodes) == 0 {
		return nil
	}
	o := n.nodes[0]
	v := int(o.start) + int(o.hdr)
	end := v + int(o.vlen)
	return n.buf[v:end:end]
}

// Raw returns the object's whole encoding: tag, length and value.
func (n Node) Raw() []byte {
	if len(n.nodes) == 0 {
		return nil
	}
	o := n.nodes[0]
	end := int(o.start) + int(o.hdr) + int(o.vlen)
	return n.buf[o.start:end:end]
}

// Offset returns where the object starts in the parsed buffer.
func (n Node) Offset() int {
	if len(n.nodes) == 0 {
		return 0
	}
	return int(n.nodes[0].start)
}

// Children returns the decoded children of a constructed object; a
// primitive object, or a constructed one holding only padding, has none.
func (n Node) Children() Tree {
	if len(n.nodes) <= 1 {
		return Tree{}
	}
	return Tree{buf: n.buf, nodes: n.nodes[1:]}
}

// List copies the tree into a [List], in one allocation: every List in it
// is a part of one array, its capacity cut to its length (appending to one
// copies it). The values stay sub-slices of the parsed buffer. A
// constructed object without children has nil Children.
func (t Tree) List() List {
	if len(t.nodes) == 0 {
		return nil
	}
	all := make(List, len(t.nodes))
	k, _ := t.fill(all)
	return all[:k:k]
}

// fill writes the tree's top level into dst[:k] and the children of its
// constructed objects after it, each level contiguous. It returns k and
// the number of slots of dst used.
func (t Tree) fill(dst List) (k, used int) {
	for n := range t.All() {
		dst[k] = Object{Tag: n.Tag(), Value: n.Value()}
		k++
	}
	used = k
	i := 0
	for n := range t.All() {
		if c := n.Children(); len(c.nodes) > 0 {
			ck, cu := c.fill(dst[used:])
			dst[i].Children = dst[used : used+ck : used+ck]
			used += cu
		}
		i++
	}
	return k, used
}
