package emv

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// errSelectAgain is returned by initiateProcessing when the card answered
// GET PROCESSING OPTIONS with 6985: the application has been removed from
// the candidate list and selection must run again (Book 3 §10.1).
var errSelectAgain = errors.New("emv: select another application")

// initiateProcessing sends GET PROCESSING OPTIONS with the PDOL data and
// reads the AIP and AFL (Book 3 §10.1).
func (s *transactionState) initiateProcessing() error {
	s.step = StepInitiateProcessing
	// Book 3 §10.1: TVR and TSI start at zero for each application tried.
	s.res.TVR, s.res.TSI = [5]byte{}, [2]byte{}
	s.res.CVMResults = [3]byte{}
	if err := s.newUnpredictableNumber(); err != nil {
		return err
	}
	pdolData := s.keep(s.pdol.Build(s.room(), s.get))
	s.pdolData = pdolData
	if len(pdolData) > 252 {
		return s.failData(fmt.Sprintf("PDOL data of %d bytes does not fit GET PROCESSING OPTIONS", len(pdolData)), nil)
	}
	s.show(MsgPleaseWait)
	c := s.getProcessingOptions(pdolData)
	r, err := s.transmit(c)
	if err != nil {
		return err
	}
	switch {
	case r.SW == apdu.SWConditionsNotSatisfied:
		// Book 3 §10.1: the card will not do this transaction with this
		// application: remove it and return to selection.
		for i, c := range s.candidates {
			if string(c.AID) == string(s.app.AID) {
				s.removeCandidate(i)
				break
			}
		}
		s.tryAgain()
		return errSelectAgain
	case r.SW != apdu.SWOK:
		return s.fail("", &refusedError{&apdu.StatusError{Command: c, SW: r.SW}})
	}
	tag, v, err := tlv.Single(r.Data)
	if err != nil {
		return s.failData("GET PROCESSING OPTIONS response", err)
	}
	switch tag {
	case 0x80: // format 1: AIP then AFL
		if len(v) < 2 {
			return s.failData("format 1 response shorter than the AIP", nil)
		}
		s.aip = [2]byte{v[0], v[1]}
		s.afl = v[2:]
	case 0x77: // format 2: 82 and 94 mandatory
		aip, aipOK := tlv.Find(v, 0x82)
		afl, aflOK := tlv.Find(v, 0x94)
		if !aipOK || !aflOK || len(aip) != 2 {
			return s.fail("format 2 response lacks AIP 82 or AFL 94", ErrMissingData)
		}
		if err := s.keepTemplate(v, false); err != nil {
			return err
		}
		s.aip = [2]byte{aip[0], aip[1]}
		s.afl = afl
	default:
		return s.failData(fmt.Sprintf("GET PROCESSING OPTIONS answered template %s", tag), nil)
	}
	s.keepCard(0x82, s.aip[:])
	s.keepCard(0x94, s.afl)
	return nil
}

// getProcessingOptions is apdu.GetProcessingOptions with the command
// template 83 built in the arena.
func (s *transactionState) getProcessingOptions(pdolData []byte) apdu.Command {
	c := apdu.GetProcessingOptionsIn(s.room(), pdolData)
	c.Data = s.keep(c.Data)
	return c
}

// aflEntry is one entry of the Application File Locator (Book 3 §10.2).
type aflEntry struct {
	sfi, first, last, oda byte
}

// parseAFL checks the AFL of Book 3 §10.2: four bytes per entry; SFI 1 to
// 30 in the top five bits with the low three zero; first record not 0;
// last record not below the first; no more ODA records than records.
func parseAFL(b []byte) ([]aflEntry, error) { return appendAFL(nil, b) }

// appendAFL is parseAFL appending the entries to dst.
func appendAFL(dst []aflEntry, b []byte) ([]aflEntry, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("AFL of %d bytes is not a non-empty multiple of 4", len(b))
	}
	out := dst
	for i := 0; i < len(b); i += 4 {
		e := aflEntry{b[i] >> 3, b[i+1], b[i+2], b[i+3]}
		switch {
		case b[i]&0x07 != 0 || e.sfi == 0 || e.sfi == 31:
			return nil, fmt.Errorf("AFL entry %d: SFI byte %02X", i/4+1, b[i])
		case e.first == 0:
			return nil, fmt.Errorf("AFL entry %d: first record 0", i/4+1)
		case e.last < e.first:
			return nil, fmt.Errorf("AFL entry %d: last record %d before first %d", i/4+1, e.last, e.first)
		case int(e.oda) > int(e.last)-int(e.first)+1:
			return nil, fmt.Errorf("AFL entry %d: %d ODA records of %d", i/4+1, e.oda, int(e.last)-int(e.first)+1)
		}
		out = append(out, e)
	}
	return out, nil
}

// odaRecordCount is the number of records the AFL marks for offline data
// authentication.
func odaRecordCount(afl []aflEntry) int {
	n := 0
	for _, e := range afl {
		n += int(e.oda)
	}
	return n
}

// readApplicationData reads every record the AFL names (Book 3 §10.2),
// keeps the ones for offline data authentication exactly as received, and
// checks the mandatory data objects.
func (s *transactionState) readApplicationData() error {
	s.step = StepReadApplicationData
	var room [8]aflEntry // cards name a few files
	afl, err := appendAFL(room[:0], s.afl)
	if err != nil {
		return s.failData("AFL", err)
	}
	if n := odaRecordCount(afl); n > 0 && s.odaRecords == nil {
		s.odaRecords = s.odaRecordRoom[:0]
		if n > len(s.odaRecordRoom) {
			s.odaRecords = make([]oda.Record, 0, n)
		}
	}
	for _, e := range afl {
		for rec := int(e.first); rec <= int(e.last); rec++ {
			c := apdu.ReadRecord(e.sfi, byte(rec))
			data, err := s.transmitOK(c)
			if err != nil {
				return err
			}
			forODA := rec-int(e.first) < int(e.oda)
			tag, v, perr := tlv.Single(data)
			if e.sfi <= 10 {
				// Book 3 §10.2: records of SFI 1 to 10 are 70 templates;
				// anything else terminates the transaction.
				if perr != nil {
					return s.failData(fmt.Sprintf("record %d of SFI %d", rec, e.sfi), perr)
				}
				if tag != 0x70 {
					return s.failData(fmt.Sprintf("record %d of SFI %d is template %s, not 70", rec, e.sfi, tag), nil)
				}
				if err := s.keepTemplate(v, true); err != nil {
					return err
				}
			}
			if forODA {
				// Kept exactly as received: ODA hashes the card's bytes
				// (Book 3 §10.3). A record from SFI 11 to 30 that is not a
				// 70 template makes ODA fail there (oda.AppendStaticData).
				s.odaRecords = append(s.odaRecords, oda.Record{SFI: e.sfi, Data: data})
			}
		}
	}
	// Book 3 §10.2 and Annex A: expiry date, PAN, CDOL1 and CDOL2 are
	// mandatory.
	for _, t := range []tlv.Tag{0x5F24, 0x5A, 0x8C, 0x8D} {
		if _, ok := s.cardData.get(t); !ok {
			return s.fail("tag "+t.String()+" absent from the records", ErrMissingData)
		}
	}
	return nil
}

// keepTemplate stores the data objects of a template's value (constructed
// ones such as 73 whole). In records, an object seen in an earlier record
// is refused (Book 3 §10.2: a duplicate terminates the transaction); an
// object of the FCI or the GPO response is overridden by the record's.
func (s *transactionState) keepTemplate(v []byte, records bool) error {
	it := tlv.NewIter(v)
	for it.Next() {
		t := it.Tag()
		if forwardedTags(t) {
			if err := checkLength(t, it.Value()); err != nil {
				where := "GET PROCESSING OPTIONS response"
				if records {
					where = "record"
				}
				return s.failData(where, err)
			}
		}
		if records {
			// A record's object is stored marked (tagStore.setRecord), so
			// that it cannot come again. A full cardData (maxCardObjects)
			// stores nothing more, and recordTags keeps the marks.
			var dup bool
			switch {
			case s.recordTags.len() > 0 && s.recordTags.has(t):
				dup = true
			case s.cardData.len() < maxCardObjects:
				dup = s.cardData.setRecord(t, it.Value())
			default:
				dup = s.cardData.fromRecord(t)
				if !dup && s.recordTags.len() < maxCardObjects {
					s.recordTags.set(t, nil)
				}
			}
			if dup {
				return s.fail("tag "+t.String()+" returned twice", ErrDuplicateData)
			}
			continue
		}
		s.keepCard(t, it.Value())
	}
	if err := it.Err(); err != nil {
		return s.failData("template", err)
	}
	return nil
}
