package kernel2

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Tags To Write (Book C-2, States 12 and 15, Waiting for Put Data Response
// Before and After Generate AC): the terminal's data objects written to
// the card with PUT DATA, and the status of the writing in the
// Discretionary Data.
const (
	tagPostGenACPutDataStatus tlv.Tag = 0xDF810E // Post-Gen AC Put Data Status
	tagPreGenACPutDataStatus  tlv.Tag = 0xDF810F // Pre-Gen AC Put Data Status
	putDataCompleted                  = 0x80     // b8: completed
)

// putData is PUT DATA as Book C-2 sends it: 80 DA, the tag in P1 P2 (a
// one-byte tag with P1 00), the value as the data field, no Le.
func putData(o tagValue) apdu.Command {
	return apdu.Command{CLA: 0x80, INS: apdu.InsPutData, P1: byte(o.t >> 8), P2: byte(o.t), Data: o.v}
}

// startPutData takes the Tags To Write list b, marks the writing begun
// (status 00, in *status) and sends PUT DATA for the first object; false
// when there is nothing to write, and the status stays absent. Reading of
// Book C-2: only primitive objects with tags of one or two bytes (what
// P1 P2 can carry) and a value of 1 to 255 bytes are written; others,
// and a list that is not BER-TLV from the point it breaks, are left out,
// at most maxExchangeTags objects.
func (s *transactionState) startPutData(b []byte, status *[]byte) bool {
	s.toWrite = s.toWrite[:0]
	it := tlv.NewIter(b)
	for it.Next() && len(s.toWrite) < maxExchangeTags {
		if it.Tag().Constructed() || it.Tag().Len() > 2 || len(it.Value()) > 255 || len(it.Value()) == 0 {
			continue
		}
		s.toWrite = append(s.toWrite, tagValue{it.Tag(), it.Value()})
	}
	if len(s.toWrite) == 0 {
		return false
	}
	*status = []byte{0x00}
	s.send(putData(s.toWrite[0]))
	return true
}

// putDataAnswered reads the answer to the PUT DATA in flight and sends
// the next one: false when the writing is over, *status 80 (completed)
// once every object was written. Book C-2: a PUT DATA answered other than
// 9000 ends the writing; the objects after it are not written, the status
// stays 00 and the transaction goes on (the objects are the terminal's,
// not a condition of the transaction).
func (s *transactionState) putDataAnswered(sig signal, status []byte) bool {
	if sig.err != nil || sig.r.SW != apdu.SWOK {
		s.toWrite = s.toWrite[:0]
		return false
	}
	s.toWrite = s.toWrite[1:]
	if len(s.toWrite) == 0 {
		status[0] = putDataCompleted
		return false
	}
	s.send(putData(s.toWrite[0]))
	return true
}

// tagsToWrite is a Tags To Write list: the Config's, then what the DETs
// gave (Book C-2: a DET adds to the list the kernel has).
func tagsToWrite(cfg, det []byte) []byte {
	if len(det) == 0 {
		return cfg
	}
	return append(append(make([]byte, 0, len(cfg)+len(det)), cfg...), det...)
}

// writeBeforeGenAC writes Tags To Write Before Gen AC (State 12), then
// Prepare Generate AC Command. Reading: after the balance read before
// GENERATE AC (State 16), right before GENERATE AC; RECOVER AC of a torn
// transaction writes nothing before (its GENERATE AC was already sent).
func (s *transactionState) writeBeforeGenAC() stateFn {
	if s.startPutData(tagsToWrite(s.k.cfg.TagsToWriteBeforeGenAC, s.writeBefore), &s.preGenACPutData) {
		return waitingForPutDataResponseBeforeGenAC
	}
	return s.prepareGenerateACCommand()
}

// waitingForPutDataResponseBeforeGenAC is State 12 (Book C-2). A lost card
// is the link's error, as for any command before GENERATE AC.
func waitingForPutDataResponseBeforeGenAC(s *transactionState, sig signal) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	if s.putDataAnswered(sig, s.preGenACPutData) {
		return waitingForPutDataResponseBeforeGenAC
	}
	return s.prepareGenerateACCommand()
}

// waitingForPutDataResponseAfterGenAC is State 15 (Book C-2): Tags To
// Write After Gen AC are written once the GENERATE AC response is
// processed and before "Card Read Successfully", then the outcome of the
// cryptogram. Reading: a card lost here has already given its cryptogram;
// the writing ends (status 00) and the transaction completes, as in State
// 17.
func waitingForPutDataResponseAfterGenAC(s *transactionState, sig signal) stateFn {
	if s.putDataAnswered(sig, s.postGenACPutData) {
		return waitingForPutDataResponseAfterGenAC
	}
	return s.completeGenAC(s.afterPutDataKind)
}
