package kernel2

import (
	"context"
	"errors"
	"time"

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
// terminal before GET PROCESSING OPTIONS when the PDOL asks for data it
// lacks (State 1, Data Needed only), and once the card's records are read,
// before GENERATE AC.
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
	// neither the card nor the terminal data gave: the tags of the PDOL
	// (State 1) or of the CDOL1 (after record reading) the kernel cannot
	// fill. Empty: none.
	DataNeeded []tlv.Tag
	// DataToSend is the contents of Data To Send (FF8104): for each tag of
	// the terminal's Tags To Read (DF8112), in its order, the card's data
	// object, or the tag with length zero when the card did not give it
	// (Book C-2: a requested object that is not available is sent empty).
	// An object the records did not give and the card answers to GET DATA
	// (State 5, getdata.go) is read first and sent as the card answered.
	DataToSend []byte
}

// DET is the terminal's answer to a DEK (Book C-2, the DET signal).
//
// Book C-2 carries Tags To Write Before Gen AC (FF8102) and After Gen AC
// (FF8103) in the DET as constructed templates whose tags begin with FF,
// which package tlv reads as padding (ISO/IEC 7816-4), as for Data To Send
// (see [DataExchange]). The rule stays in tlv; the DET is therefore typed:
// the primitive data objects in Data, and the contents of the two
// templates in fields of their own, never an FF81xx template to parse.
type DET struct {
	// Data holds primitive BER-TLV terminal data objects that take the
	// place of the terminal data with the same tags for the rest of the
	// transaction (the PDOL and CDOL1 data among them). Data that is not
	// BER-TLV is ignored whole; constructed objects in it are skipped.
	Data []byte
	// TagsToWriteBeforeGenAC and TagsToWriteAfterGenAC are the contents of
	// Tags To Write Before Gen AC (FF8102) and After Gen AC (FF8103):
	// primitive data objects written to the card with PUT DATA before
	// GENERATE AC (State 12) and after its response (State 15), after the
	// [Config]'s lists of the same name and the objects of an earlier DET,
	// in their order (see putdata.go).
	TagsToWriteBeforeGenAC, TagsToWriteAfterGenAC []byte
}

// DataExchangeFunc is the terminal's side of data exchange: it receives
// the DEK and answers the DET. A DEK with Data Needed before GET
// PROCESSING OPTIONS (State 2, Waiting for PDOL Data) is answered within
// the Time Out Value (DF8127, ms; 500 when absent): ctx ends then, and a
// DET that comes later, by the [Config]'s clock, is not used (the kernel
// has ended the transaction). A nil func, an error or DET data that is not
// BER-TLV leave the terminal data as it was: the book's defaults (a DOL
// entry the kernel has no data for is zeros, Book 3 §5.4).
type DataExchangeFunc func(ctx context.Context, dek DataExchange) (DET, error)

// tagTimeOutValue is the Time Out Value (DF8127, Book C-2 Annex A): b 2,
// the milliseconds the kernel waits for the DET in State 2; default 01F4.
const (
	tagTimeOutValue     tlv.Tag = 0xDF8127
	defaultTimeOutValue         = 500 * time.Millisecond
)

// timeOutValue is the Time Out Value of the terminal data; one of another
// length than 2 bytes is absent (reading: the book gives DF8127 2 bytes).
func (s *transactionState) timeOutValue() time.Duration {
	if v, ok := s.terminal(tagTimeOutValue); ok && len(v) == 2 {
		return time.Duration(uint16(v[0])<<8|uint16(v[1])) * time.Millisecond
	}
	return defaultTimeOutValue
}

// maxTagsToWrite bounds the Tags To Write bytes the kernel keeps from the
// Config and the DETs together; what is beyond is not written.
const maxTagsToWrite = 4096

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
// something to say, and takes the DET in (State 4 to S456 in Book C-2;
// reading: one exchange, in EMV mode, at the end of record reading, after
// which the CDOL1 is known; the DEK of State 1 is waitingForPDOLData's).
// Tags To Read that cannot be read as a tag list are ignored. Reading:
// this exchange is not bounded by the Time Out Value, which the book
// gives State 2; the terminal's func is the terminal's to bound.
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
	s.takeDET(det)
}

// takeDET updates the kernel's database with a DET (Book C-2, the DET
// signal): its data objects ahead of the terminal data, each replacing
// the one of an earlier DET with the same tag, and its Tags To Write
// after those the kernel has.
func (s *transactionState) takeDET(det DET) {
	objs := append([]tagValue(nil), s.det...)
	it := tlv.NewIter(det.Data)
	for it.Next() {
		if it.Tag().Constructed() {
			continue
		}
		tv := tagValue{it.Tag(), append([]byte(nil), it.Value()...)}
		replaced := false
		for i := range objs {
			if objs[i].t == tv.t {
				objs[i], replaced = tv, true
			}
		}
		if !replaced {
			if len(objs) == maxExchangeTags {
				break
			}
			objs = append(objs, tv)
		}
	}
	if it.Err() == nil {
		s.det = objs
	}
	s.writeBefore = appendTagsToWrite(s.writeBefore, det.TagsToWriteBeforeGenAC)
	s.writeAfter = appendTagsToWrite(s.writeAfter, det.TagsToWriteAfterGenAC)
}

func appendTagsToWrite(dst, b []byte) []byte {
	if len(b) == 0 || len(dst)+len(b) > maxTagsToWrite {
		return dst
	}
	return append(dst, b...)
}

// pdolDataNeeded is the Data Needed (DF8106) of State 1: the tags of the
// PDOL the kernel has no data for, in the PDOL's order, each once.
// Reading of Book C-2: Tags To Read are answered after record reading,
// where the card has given what it holds (dataExchange); the DEK of State
// 1 carries Data Needed only.
func (s *transactionState) pdolDataNeeded() []tlv.Tag {
	var need []tlv.Tag
	for _, e := range s.pdol {
		if _, ok := s.dolValue(e.Tag); !ok && !containsTag(need, e.Tag) && len(need) < maxExchangeTags {
			need = append(need, e.Tag)
		}
	}
	return need
}

// waitingForPDOLData is State 2, Waiting for PDOL Data (Book C-2 State
// 2): the kernel has sent the DEK with the PDOL's Data Needed and started
// the timer with the Time Out Value (DF8127). The signals:
//
//   - the DET: the kernel stops the timer, updates its database with the
//     DET and sends GET PROCESSING OPTIONS with the PDOL related data as
//     it now has them (a tag the DET did not give is zeros, Book 3 §5.4);
//   - the timer expires first (no DET, or one the [Config]'s clock says
//     came later than the Time Out Value): End Application with Error
//     Indication L3 TIME OUT, and no command is sent. Reading: the book
//     ends on the terminal's silence rather than sending GPO with data it
//     lacks; the L3 error is the terminal's, so no Msg On Error and no UI
//     Request on Outcome (the terminal, which failed to answer, decides
//     what to show);
//   - the terminal's func fails: the DET's defaults, GPO as without it;
//   - ctx ends: the kernel stops with ctx's error.
//
// The func runs on a goroutine of its own and the kernel waits at most
// the Time Out Value in real time, whatever the func does with its ctx;
// the lateness of an answer that came is measured on the Config's clock,
// so that a test clock decides exactly.
func waitingForPDOLData(s *transactionState, _ signal) stateFn {
	f := s.k.cfg.DataExchange
	limit := s.timeOutValue()
	ctx, cancel := context.WithTimeout(s.ctx, limit)
	defer cancel()
	dek := DataExchange{DataNeeded: s.pdolDataNeeded()}
	// The terminal answers on its own goroutine, so that the timer bounds
	// the wait even for a terminal that ignores ctx; its late answer goes
	// into the buffered channel and is dropped.
	type answer struct {
		det DET
		err error
	}
	answered := make(chan answer, 1)
	t0 := s.k.cfg.now()
	go func() {
		det, err := f(ctx, dek)
		answered <- answer{det, err}
	}()
	var det DET
	var err error
	late := false
	select {
	case a := <-answered:
		det, err = a.det, a.err
		late = s.k.cfg.now().Sub(t0) > limit || errors.Is(ctx.Err(), context.DeadlineExceeded)
	case <-ctx.Done():
		late = true
	}
	if err := s.ctx.Err(); err != nil {
		return s.linkFailed(err)
	}
	if late {
		s.errInd.l3 = l3TimeOut
		return s.done(s.endApplicationNoMessage())
	}
	if err != nil {
		s.a.Logger.Debug("kernel2: data exchange", "err", err)
	} else {
		s.takeDET(det)
	}
	return s.sendGPO()
}
