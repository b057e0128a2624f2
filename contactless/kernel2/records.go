package kernel2

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// checkAFL checks the Active AFL before any record is read: each entry is
// SFI (bits 8-4 of byte 1, 1 to 30, bits 3-1 zero), first record (at
// least 1), last record (not before the first) and the number of records
// for offline data authentication (not more than the entry has); the
// records in all stay within the kernel's bound (Book C-2 State 3: an AFL
// the kernel cannot use is a card data error).
func (s *transactionState) checkAFL() bool {
	total := 0
	for i := 0; i+4 <= len(s.afl); i += 4 {
		e := s.afl[i : i+4]
		sfi, first, last, n := e[0]>>3, e[1], e[2], int(e[3])
		if e[0]&0x07 != 0 || sfi < 1 || sfi > 30 || first < 1 || last < first || n > int(last-first)+1 {
			return false
		}
		total += int(last-first) + 1
	}
	if total > s.k.cfg.maxRecords() {
		return false
	}
	if total > 0 {
		s.odaRecs = s.odaRecBuf[:0]
		if total > len(s.odaRecBuf) {
			s.odaRecs = make([]oda.Record, 0, total)
		}
	}
	return true
}

// readFirstRecord sends the first READ RECORD of the Active AFL and waits
// in State 4, or, with no records to read, goes straight to the common
// processing of States 4, 5 and 6.
func (s *transactionState) readFirstRecord() stateFn {
	if len(s.afl) == 0 {
		return statesFourFiveSixCommonProcessing(s)
	}
	s.aflPos, s.rec = 0, s.afl[1]
	s.send(apdu.ReadRecord(s.afl[0]>>3, s.rec))
	return waitingForEMVReadRecordResponse
}

// waitingForEMVReadRecordResponse is State 4, Waiting for EMV Read Record
// Response (Book C-2 State 4). For each record of the Active AFL, in
// order:
//
//   - the link failed: the kernel stops with the link's error;
//   - SW other than 9000: End Application, L2 STATUS BYTES;
//   - a record of SFI 1 to 10 that is not one template 70, a malformed
//     record, or a data object the kernel already has: End Application, L2
//     PARSING ERROR (a record of SFI 11 to 30 in another template is kept
//     for ODA only, its data not parsed);
//   - the records the AFL flags for offline data authentication are kept
//     exactly as received, for CDA.
//
// After the last record, the common processing of States 4, 5 and 6.
func waitingForEMVReadRecordResponse(s *transactionState, sig signal) stateFn {
	return s.recordResponse(sig, waitingForEMVReadRecordResponse, statesFourFiveSixCommonProcessing)
}

// recordResponse reads one record's response in State 4 or State 7: the
// next record is read in the same state, and after the last one the state's
// common processing runs.
func (s *transactionState) recordResponse(sig signal, same stateFn, last func(*transactionState) stateFn) stateFn {
	if sig.err != nil {
		return s.linkFailed(sig.err)
	}
	if sig.r.SW != apdu.SWOK {
		s.errInd.statusBytes(sig.r.SW)
		return s.done(s.endApplication())
	}
	e := s.afl[s.aflPos : s.aflPos+4]
	sfi := e[0] >> 3
	t, v, err := tlv.Single(sig.r.Data)
	if err != nil || (sfi <= 10 && t != 0x70) {
		s.errInd.l2 = l2ParsingError
		return s.done(s.endApplication())
	}
	if t == 0x70 {
		if err := s.card.addTemplate(v); err != nil {
			s.a.Logger.Debug("kernel2: record", "sfi", sfi, "record", s.rec, "err", err)
			s.errInd.l2 = l2ParsingError
			return s.done(s.endApplication())
		}
	}
	if int(s.rec-e[1]) < int(e[3]) {
		s.odaRecs = append(s.odaRecs, oda.Record{SFI: sfi, Data: sig.r.Data})
	}
	// The next record of the entry, or the first of the next entry.
	if s.rec < e[2] {
		s.rec++
	} else {
		s.aflPos += 4
		if s.aflPos >= len(s.afl) {
			return last(s)
		}
		s.rec = s.afl[s.aflPos+1]
	}
	s.send(apdu.ReadRecord(s.afl[s.aflPos]>>3, s.rec))
	return same
}
