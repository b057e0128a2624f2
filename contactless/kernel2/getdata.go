package kernel2

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// getDataTags are the card data objects Kernel 2 reads with GET DATA when
// the terminal's Tags To Read (DF8112) asks for one the records did not
// give (Book C-2, State 5, Waiting for Get Data Response): the Book 3
// §6.5.7 objects (Application Transaction Counter 9F36, Last Online ATC
// Register 9F13, PIN Try Counter 9F17, Log Format 9F4F), the Offline
// Accumulator Balance 9F50 and the Protected and Unprotected Data
// Envelopes 1 to 5 (9F70 to 9F74, 9F75 to 9F79) of Book C-2 Annex A.
// Reading: no other tag is sent to the card in GET DATA; a DF81xx tag is
// the kernel's or the terminal's, never the card's, and another card tag
// the records did not give is sent empty, as the book sends an object
// that is not available.
var getDataTags = [...]tlv.Tag{
	0x9F36, 0x9F13, 0x9F17, 0x9F4F, 0x9F50,
	0x9F70, 0x9F71, 0x9F72, 0x9F73, 0x9F74,
	0x9F75, 0x9F76, 0x9F77, 0x9F78, 0x9F79,
}

func isGetDataTag(t tlv.Tag) bool {
	for _, g := range getDataTags {
		if g == t {
			return true
		}
	}
	return false
}

// startGetData lists the Tags To Read that the records did not give and
// the card answers to GET DATA, and sends GET DATA for the first; false
// when there is none. Reading of Book C-2: the book sends these GET DATA
// while it reads the records; this kernel sends them once the records are
// read, in the order of Tags To Read, each tag once, so that the one DEK
// after record reading (dataExchange) carries them. Only a terminal that
// listens (Config.DataExchange) has them read: without one, Data To Send
// goes nowhere.
func (s *transactionState) startGetData() bool {
	if s.k.cfg.DataExchange == nil {
		return false
	}
	v, ok := s.terminal(tagTagsToRead)
	if !ok {
		return false
	}
	tags, ok := parseTagList(v)
	if !ok {
		return false
	}
	s.getData = s.getData[:0]
	for _, t := range tags {
		if _, ok := s.card.get(t); ok || !isGetDataTag(t) || containsTag(s.getData, t) {
			continue
		}
		s.getData = append(s.getData, t)
	}
	return s.sendGetData()
}

func containsTag(ts []tlv.Tag, t tlv.Tag) bool {
	for _, u := range ts {
		if u == t {
			return true
		}
	}
	return false
}

// sendGetData sends GET DATA (80 CA P1 P2 00, Book 3 §6.5.7) for the next
// tag of the list; false when the list is done.
func (s *transactionState) sendGetData() bool {
	if len(s.getData) == 0 {
		return false
	}
	s.send(apdu.GetData(uint16(s.getData[0])))
	return true
}

// waitingForGetDataResponse is State 5, Waiting for Get Data Response
// (Book C-2): a response with SW 9000 holding exactly the data object
// asked for is kept for Data To Send; any other answer (6A88, another
// status, another object, a malformed response) leaves the object not
// available, sent empty, and the transaction goes on. Reading: the answers
// are kept apart from the card's database, so that the 9F36 a GENERATE AC
// returns later is not a data object returned twice. A lost card is the
// link's error, as for any command before GENERATE AC.
func waitingForGetDataResponse(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	want := s.getData[0]
	s.getData = s.getData[1:]
	if sig.r.SW == apdu.SWOK {
		if t, v, err := tlv.Single(sig.r.Data); err == nil && t == want {
			s.gotData = append(s.gotData, tagValue{t, append([]byte(nil), v...)})
		}
	}
	if s.sendGetData() {
		return waitingForGetDataResponse
	}
	return s.afterDataExchange()
}

// readForExchange is the value of a Tags To Read object for Data To Send:
// the card's from the records, else its answer to GET DATA, else nil.
func (s *transactionState) readForExchange(t tlv.Tag) []byte {
	if v, ok := s.card.get(t); ok {
		return v
	}
	for _, tv := range s.gotData {
		if tv.t == t {
			return tv.v
		}
	}
	return nil
}
