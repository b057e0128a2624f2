package kernel2

import (
	"context"

	"github.com/emvkit/emvkit/tlv"
)

// Data exchange (Book C-2, the DEK and DET signals): the kernel tells the
// terminal what it has read for it and what it needs (DEK), and the
// terminal answers with data (DET).
const (
	tagDataNeeded tlv.Tag = 0xDF8106 // Data Needed: a list of tags
	tagTagsToRead tlv.Tag = 0xDF8112 // Tags To Read: a list of tags, terminal data
	tagDataToSend tlv.Tag = 0xFF8104 // Data To Send: a constructed template
)

// maxExchangeTags bounds Tags To Read and Data Needed; the terminal data
// holds at most 48 objects, so a longer list is no terminal's.
const maxExchangeTags = 32

// DataExchange is the DEK signal of Book C-2: what the kernel sends the
// terminal once the card's records are read, before GENERATE AC.
//
// Data To Send (FF8104) is a constructed template whose tag begins with
// FF, which package tlv reads as padding (ISO/IEC 7816-4, the rule
// the contact kernel relies on for padded records). The rule stays in tlv,
// where it serves every card response; Kernel 2 never encodes or parses an
// FF81xx template and hands over the template's contents instead:
// [DataExchange.DataToSend] is the BER-TLV list the book places inside
// FF8104. A terminal that must forward FF8104 on a wire wraps it itself.
type DataExchange struct {
	// DataNeeded (DF8106) lists the data objects the kernel needs and
	// neither the card nor the terminal data gave: the tags of the CDOL1
	// the kernel cannot fill. Empty: none.
	DataNeeded []tlv.Tag
	// DataToSend is the contents of Data To Send (FF8104): for each tag of
	// the terminal's Tags To Read (DF8112), in its order, the card's data
	// object, or the tag with length zero when the card did not give it
	// (Book C-2: a requested object that is not available is sent empty).
	// An object the records did not give and the card answers to GET DATA
	// (State 5, getdata.go) is read first and sent as the card answered.
	DataToSend []byte
}

// DataExchangeFunc is the terminal's side of data exchange: it receives
// the DEK and answers the DET, primitive BER-TLV terminal data objects
// that take the place of the terminal data with the same tags for the
// rest of the transaction (the CDOL1 data among them). A nil func, an
// error or DET data that is not BER-TLV leave the terminal data as it was:
// the book's defaults (a DOL entry the kernel has no data for is zeros,
// Book 3 §5.4).
type DataExchangeFunc func(ctx context.Context, dek DataExchange) ([]byte, error)

// parseTagList reads a list of BER-TLV tags (Tags To Read, Data Needed):
// at most maxExchangeTags tags of up to 3 bytes; ok is false for a list
// that ends inside a tag or is longer.
func parseTagList(b []byte) (tags []tlv.Tag, ok bool) {
	for i := 0; i < len(b); {
		t := tlv.Tag(b[i])
		n := 1
		if b[i]&0x1F == 0x1F {
			for {
				if i+n >= len(b) || n == 3 {
					return nil, false
				}
				t = t<<8 | tlv.Tag(b[i+n])
				n++
				if b[i+n-1]&0x80 == 0 {
					break
				}
			}
		}
		if len(tags) == maxExchangeTags {
			return nil, false
		}
		tags = append(tags, t)
		i += n
	}
	return tags, true
}

// dataExchange sends the DEK signal when the terminal listens and there is
// something to say, and takes the DET data in (State 4 to S456 in Book
// C-2; reading: one exchange, in EMV mode, at the end of record reading, after which
// the CDOL1 is known). Tags To Read that cannot be read as a tag list are
// ignored.
func (s *transactionState) dataExchange() {
	f := s.k.cfg.DataExchange
	if f == nil {
		return
	}
	var dek DataExchange
	if v, ok := s.terminal(tagTagsToRead); ok {
		if tags, ok := parseTagList(v); ok {
			for _, t := range tags {
				dek.DataToSend = tlv.AppendTLV(dek.DataToSend, t, s.readForExchange(t))
			}
		}
	}
	for _, e := range s.cdol1 {
		if _, ok := s.dolValue(e.Tag); !ok && len(dek.DataNeeded) < maxExchangeTags {
			dek.DataNeeded = append(dek.DataNeeded, e.Tag)
		}
	}
	if len(dek.DataNeeded) == 0 && len(dek.DataToSend) == 0 {
		return
	}
	det, err := f(s.ctx, dek)
	if err != nil {
		s.a.Logger.Debug("kernel2: data exchange", "err", err)
		return
	}
	var objs []tagValue
	it := tlv.NewIter(det)
	for it.Next() && len(objs) < maxExchangeTags {
		if it.Tag().Constructed() {
			continue
		}
		objs = append(objs, tagValue{it.Tag(), append([]byte(nil), it.Value()...)})
	}
	if it.Err() != nil {
		return
	}
	s.det = objs
}
