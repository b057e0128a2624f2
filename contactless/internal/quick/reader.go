package quick

import (
	"io"
	"time"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Reader is the reader's side of one transaction of Kernel 3 or Kernel 7:
// the data the kernel sends the card and keeps for the Data Record. A
// kernel's transaction state embeds it.
type Reader struct {
	Term     Terminal  // the Entry Point's terminal data, indexed once
	TTQ      [4]byte   // of pre-processing, else the terminal's 9F66
	UN       [4]byte   // the kernel's Unpredictable Number (9F37)
	TVR      tvr.TVR   // as the kernel sets it
	Date     time.Time // the transaction date
	PDOL     tlv.DOL   // the card's PDOL (9F38), nil when it has none
	PDOLData []byte    // the PDOL data sent in GET PROCESSING OPTIONS
}

// Begin reads the terminal side of initiate application processing (Book
// C-3 §5.2.1; Book C-7 alike): it indexes the terminal data, takes the TTQ
// of pre-processing (the terminal's 9F66 when pre-processing gave none),
// the Transaction Date 9A (else the activation's time) and a new
// Unpredictable Number. An error is the failure of a.Rand: no
// unpredictable number, no transaction (a terminal fault, Book A §6.2 End
// Application).
func (r *Reader) Begin(a *contactless.Activation) error {
	r.Term.Index(a.TerminalData)
	r.TTQ = a.Indicators.TTQ
	if r.TTQ == ([4]byte{}) {
		if v, ok := r.Term.Find(0x9F66); ok && len(v) == 4 {
			r.TTQ = [4]byte(v)
		}
	}
	r.Date = a.Time()
	if d, ok := r.Term.Find(0x9A); ok {
		if t, ok := BCDDate(d); ok {
			r.Date = t
		}
	}
	_, err := io.ReadFull(a.Rand, r.UN[:])
	return err
}

// SetPDOL keeps the card's PDOL and builds its data (Book C-3 §5.2.1; Book
// C-7 alike) from [Reader.TerminalValue].
func (r *Reader) SetPDOL(d tlv.DOL) {
	r.PDOL = d
	r.PDOLData = d.Build(make([]byte, 0, d.Len()), r.TerminalValue)
}

// TerminalValue gives the PDOL the terminal's data: the TTQ of
// pre-processing, the kernel's Unpredictable Number and TVR, and the rest
// from the Entry Point's terminal data.
func (r *Reader) TerminalValue(t tlv.Tag) ([]byte, bool) {
	switch t {
	case 0x9F66:
		return r.TTQ[:], true
	case 0x9F37:
		return r.UN[:], true
	case 0x95:
		return r.TVR[:], true
	}
	return r.Term.Find(t)
}

// SignedValue is a terminal data object as the card saw it: its value in
// the PDOL data sent, else the terminal's (the card signs what it got).
func (r *Reader) SignedValue(t tlv.Tag) ([]byte, bool) {
	if v, ok := r.PDOL.Value(r.PDOLData, t); ok {
		return v, true
	}
	return r.TerminalValue(t)
}

// RecordValue is the value of a terminal-side object of the Data Record:
// the TVR as the kernel left it, its Unpredictable Number and TTQ, and the
// rest as the card saw it ([Reader.SignedValue]); nil when there is none.
func (r *Reader) RecordValue(t tlv.Tag) []byte {
	switch t {
	case 0x95:
		return r.TVR[:]
	case 0x9F37:
		return r.UN[:]
	case 0x9F66:
		return r.TTQ[:]
	}
	v, _ := r.SignedValue(t)
	return v
}

// SwitchForCash reports whether the card asks a reader that has a contact
// interface (TTQ byte 1 bit 5) to use it for this transaction: CTQ byte 1
// bit 3 for cash, bit 2 for cashback (Book C-3 §5.5.3; Book C-7 alike). The
// transaction type is the activation's, else the terminal data's 9C, and
// its class is the one the contact kernel's CVM and usage checks read
// (cvm.ClassifyTransaction, Book 3 Annex C): cash is 01 and the cash
// disbursement 17, cashback 09.
func (r *Reader) SwitchForCash(tx *contactless.Transaction, ctq []byte) bool {
	if r.TTQ[0]&TTQ1ContactChip == 0 {
		return false
	}
	typ, _ := r.Term.Find(0x9C)
	if tx != nil {
		typ = []byte{tx.Type}
	}
	if len(typ) != 1 {
		return false
	}
	switch cvm.ClassifyTransaction(typ[0]) {
	case cvm.ClassCash:
		return CTQ(ctq, 0, CTQ1SwitchForCash)
	case cvm.ClassCashback:
		return CTQ(ctq, 0, CTQ1SwitchCashback)
	}
	return false
}

// ExceptionFile looks the PAN (5A, else the PAN of track 2) and the PAN
// Sequence Number up in the terminal exception file list, when the reader
// has one (Book C-3 §5.5.2; Book C-7 processing restrictions alike); a
// card on it has TVR byte 1 bit 5 set.
func (r *Reader) ExceptionFile(list func(pan, psn []byte) bool, pan, track2, psn []byte) bool {
	if list == nil {
		return false
	}
	if pan == nil {
		pan = PANFromTrack2(track2)
	}
	if list(pan, psn) {
		r.TVR.Set(tvr.CardOnExceptionFile)
		return true
	}
	return false
}
