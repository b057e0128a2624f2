package kernel2

import (
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// A phone that wants the cardholder to verify or confirm on the phone
// before it pays answers the first GENERATE AC with an AAC and its POS
// Cardholder Interaction Information (Book C-2 S910, Annex A); the reader
// shows "See Phone" and asks for a second tap.
const (
	// tagPCII is the POS Cardholder Interaction Information (card, b 3):
	// byte 1 the version, byte 2 b2 "ACK required" and b1 "OD-CVM
	// required", byte 3 b4-b1 for the issuer's wallet (Book C-2 Annex A;
	// the bit names are this package's reading, unchecked).
	tagPCII tlv.Tag = 0xDF4B
	// tagHoldTimeValue is the Hold Time Value (terminal, b 1, units of
	// 100 ms, default 0D): how long the field goes off before the second
	// tap.
	tagHoldTimeValue     tlv.Tag = 0xDF8130
	defaultHoldTimeValue         = 0x0D
	// tagPhoneMessageTable is the Phone Message Table (terminal, b, 8-byte
	// entries: PCII Mask (3), PCII Value (3), Message Identifier (1),
	// Status (1)): the first entry whose value equals the PCII under its
	// mask gives the message.
	tagPhoneMessageTable tlv.Tag = 0xDF8131
)

// pciiSecondTap is the mask of the POS Cardholder Interaction Information
// under which an AAC asks for a second tap (Book C-2 S910: "PCII AND
// '00030F' is not '000000'"; the value is this package's reading of the
// book, unchecked against its text).
var pciiSecondTap = [3]byte{0x00, 0x03, 0x0F}

// defaultPhoneMessageTable is the Phone Message Table of Book C-2 Annex A
// as terminal configurations carry it by default: byte 3 b1, byte 2 b4,
// b3, b1 and b2 give SEE PHONE (20), status NOT READY (00); anything else
// DECLINED (07), NOT READY. Reading: the table the book gives as default
// (unchecked against the book's own page).
var defaultPhoneMessageTable = []byte{
	0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x20, 0x00,
	0x00, 0x08, 0x00, 0x00, 0x08, 0x00, 0x20, 0x00,
	0x00, 0x04, 0x00, 0x00, 0x04, 0x00, 0x20, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00,
	0x00, 0x02, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00,
}

// phoneAsksSecondTap reports whether the card's AAC is a phone asking the
// cardholder to look at it: a POS Cardholder Interaction Information of 3
// bytes with a bit of pciiSecondTap set (Book C-2 S910). A PCII of another
// length is no such request (the AAC declines).
func (s *transactionState) phoneAsksSecondTap() bool {
	v, ok := s.card.get(tagPCII)
	if !ok || len(v) != 3 {
		return false
	}
	for i, m := range pciiSecondTap {
		if v[i]&m != 0 {
			return true
		}
	}
	return false
}

// phoneMessage looks the PCII up in the Phone Message Table (DF8131 of
// the terminal data, else the default): the message and status of the
// first matching entry; SEE PHONE, NOT READY when no entry matches or
// the table is not a whole number of entries (reading: the card asked for
// a second tap, which the message must say).
func (s *transactionState) phoneMessage(pcii []byte) (contactless.MessageID, contactless.UIStatus) {
	table := defaultPhoneMessageTable
	if v, ok := s.terminal(tagPhoneMessageTable); ok && len(v) > 0 && len(v)%8 == 0 {
		table = v
	}
	for e := table; len(e) >= 8; e = e[8:] {
		if pcii[0]&e[0] == e[3] && pcii[1]&e[1] == e[4] && pcii[2]&e[2] == e[5] {
			return contactless.MessageID(e[6]), contactless.UIStatus(e[7])
		}
	}
	return contactless.MsgSeePhone, contactless.UINotReady
}

// seePhone is the outcome of an AAC from a phone that asks for a second
// tap (Book C-2 S910): End Application with Start B, so that the terminal
// restarts the Entry Point for the second tap (contactless.EntryPoint
// Restart); UI Request on Outcome the Phone Message Table's message (SEE
// PHONE) and status (NOT READY) held the Message Hold Time (DF812D); the
// field off for the Hold Time Value (DF8130) while the cardholder looks at
// the phone; UI Request on Restart SEE PHONE, Ready to Read. No Data
// Record: the AAC ends no transaction, the second tap makes it. Readings
// (the book's steps unchecked): the hold time on the outcome is the
// Message Hold Time, as for the kernel's other outcome messages, and the
// restart message keeps SEE PHONE, with the reader ready, until the phone
// is presented again.
func (s *transactionState) seePhone() *contactless.Outcome {
	msg, st := s.phoneMessage(s.card.value(tagPCII))
	p := contactless.NewParameterSet(contactless.StatusEndApplication)
	p.Start = contactless.StartB
	p.UIRequestOnOutcome = s.ui(msg, st, s.cfg.MessageHoldTime)
	p.UIRequestOnRestart = s.ui(contactless.MsgSeePhone, contactless.UIReadyToRead, 0)
	p.FieldOffRequest = defaultHoldTimeValue
	if v, ok := s.terminal(tagHoldTimeValue); ok && len(v) == 1 {
		p.FieldOffRequest = int(v[0])
	}
	return s.withDiscretionary(&contactless.Outcome{Parameters: p})
}
