package kernel3

import (
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// readRecords reads the records of the AFL (Book C-3 §5.3), in order. Each
// AFL entry is SFI (bits 8-4 of byte 1, 1 to 30, bits 3-1 zero), first
// record (at least 1), last record (not before the first) and the number of
// records for offline data authentication (not more than the entry has).
// A bad AFL, a READ RECORD not answered 9000, a record of SFI 1 to 10 that
// is not one template 70, a malformed record or a data object the card
// already gave end the application: Book C-3 §5.3 treats each as a card
// error. The records flagged for ODA are kept exactly as received.
func (s *transactionState) readRecords() (*contactless.Outcome, error) {
	afl := s.card.afl
	total := 0
	for i := 0; i+4 <= len(afl); i += 4 {
		e := afl[i : i+4]
		sfi, first, last, odaN := e[0]>>3, e[1], e[2], int(e[3])
		if e[0]&0x07 != 0 || sfi < 1 || sfi > 30 || first < 1 || last < first || odaN > int(last-first)+1 {
			s.a.Logger.Debug("kernel3: AFL entry", "entry", fmt.Sprintf("%X", e))
			return s.endApplication(), nil
		}
		total += int(last-first) + 1
	}
	if total > s.k.cfg.maxRecords() {
		return s.endApplication(), nil
	}
	if total > 0 {
		s.odaRecs = make([]oda.Record, 0, total)
	}
	for i := 0; i+4 <= len(afl); i += 4 {
		sfi, first, last, odaN := afl[i]>>3, afl[i+1], afl[i+2], int(afl[i+3])
		for rec := int(first); rec <= int(last); rec++ {
			r, err := s.transmit(apdu.ReadRecord(sfi, byte(rec)))
			if err != nil {
				return nil, err
			}
			if r.SW != apdu.SWOK {
				return s.endApplication(), nil
			}
			t, v, err := tlv.Single(r.Data)
			if err != nil || (sfi <= 10 && t != 0x70) {
				return s.endApplication(), nil
			}
			if t == 0x70 {
				if err := s.card.addTemplate(v); err != nil {
					s.a.Logger.Debug("kernel3: record", "sfi", sfi, "record", rec, "err", err)
					return s.endApplication(), nil
				}
			}
			if rec-int(first) < odaN {
				s.odaRecs = append(s.odaRecs, oda.Record{SFI: sfi, Data: r.Data})
			}
		}
	}
	return nil, nil
}

// cardReadComplete tells the cardholder the card may be removed (Book C-3
// §5.4): "Card Read OK", status Card Read Successfully. Everything after it
// is done without the card.
func (s *transactionState) cardReadComplete() {
	s.a.UI(contactless.UIRequest{
		Message:            contactless.MsgCardReadOK,
		Status:             contactless.UICardReadSuccessfully,
		LanguagePreference: s.langPref,
		ValueQualifier:     contactless.ValueNone,
	})
}
