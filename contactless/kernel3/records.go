package kernel3

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
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
	recs, link, err := quick.ReadAFL(s.card.afl, s.k.cfg.maxRecords(), func(sfi, rec byte) (apdu.Response, error) {
		return s.transmit(apdu.ReadRecord(sfi, rec))
	}, s.card.addTemplate)
	if link {
		return nil, err
	}
	if err != nil {
		s.a.Logger.Debug("kernel3: records", "err", err)
		return quick.EndApplication(s.langPref), nil
	}
	s.odaRecs = recs
	return nil, nil
}

// cardReadComplete tells the cardholder the card may be removed (Book C-3
// §5.4): "Card Read OK", status Card Read Successfully. Everything after it
// is done without the card.
func (s *transactionState) cardReadComplete() {
	s.a.UI(*quick.UI(s.langPref, contactless.MsgCardReadOK, contactless.UICardReadSuccessfully, 0))
}
