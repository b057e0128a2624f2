package kernel7

import (
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/tlv"
)

// holdTime is the hold time of the messages that end a transaction
// ([quick.HoldTime]).
const holdTime = quick.HoldTime

// ending is what the outcomes with the Data Record read (Book C-7
// outcome). Reading chosen: Book C-7 lets the reader show the Available
// Offline Spending Amount (9F5D: the electronic cash balance after this
// transaction); Kernel 7 shows it with an offline approval only, where the
// card has spent from it (after an ARQC the issuer decides).
func (s *transactionState) ending() quick.Ending {
	cur, _ := s.TerminalValue(0x5F2A)
	return quick.Ending{Lang: s.langPref, CVM: s.cvm, OfflineAmount: s.card.offlineAmount, Currency: cur, DataRecord: s.dataRecord()}
}

// approved is the outcome of an offline approval ([quick.Ending.Approved]).
func (s *transactionState) approved() *contactless.Outcome { return s.ending().Approved() }

// declined is the outcome of an offline decline ([quick.Ending.Declined]).
func (s *transactionState) declined() *contactless.Outcome { return s.ending().Declined() }

// onlineRequest is the outcome of a transaction the reader sends online
// (Book C-7 outcome). Kernel 7 has no issuer update processing (Book C-7
// differs from Book C-3 §5.8.3 here): no restart, Online Response Data N/A.
func (s *transactionState) onlineRequest() *contactless.Outcome {
	e := s.ending()
	return e.WithData(e.OnlineRequest())
}

// dataRecordTags is the order of the Data Record (see the package doc).
var dataRecordTags = [...]tlv.Tag{
	0x9F02, 0x9F03, 0x9F26, 0x9F27, 0x82, 0x9F36, 0x9F10, 0x9F1A, 0x95, 0x5F2A, 0x9A, 0x9C,
	0x9F37, 0x9F35, 0x9F33, 0x9F1E, 0x9F09, 0x9F66, 0x9F6C, 0x9F63, 0x84, 0x5F34, 0x57, 0x5A,
	0x5F24, 0x9F21,
}

// dataRecord builds the Data Record: the card's data as received, the
// terminal data as the card saw it in the PDOL data (else as the terminal
// has it), the TVR as the kernel left it, and 9F27 (see recordValue).
func (s *transactionState) dataRecord() []byte {
	return quick.DataRecord(make([]byte, 0, 320), dataRecordTags[:], s.recordValue)
}

// recordValue is one object of the Data Record, nil when there is none.
func (s *transactionState) recordValue(t tlv.Tag) []byte {
	switch t {
	case 0x9F27:
		// 9F27 as the card sent it, else the cryptogram type the IAD gives.
		if v := s.card.cid; v != nil {
			return v
		}
		if kind, ok := s.card.cryptogramType(); ok {
			return []byte{kind}
		}
		return nil
	case 0x84:
		return quick.AID(s.a)
	}
	if f := s.card.field(t); f != nil {
		return *f
	}
	return s.Reader.RecordValue(t)
}
