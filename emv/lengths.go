package emv

import (
	"fmt"

	"github.com/emvkit/emvkit/tlv"
)

// LengthError reports a data object from the card whose length is outside
// the range the data dictionary gives it (Book 3 Annex A, read through
// tlv.Lookup): a format error of that object. A *TerminatedError carries
// it with ErrCardData.
type LengthError struct {
	Tag      tlv.Tag
	Len      int
	Min, Max int
}

func (e *LengthError) Error() string {
	name := ""
	if el, ok := tlv.Lookup(e.Tag); ok {
		name = " (" + el.Name + ")"
	}
	return fmt.Sprintf("emv: %s%s of %d bytes, Book 3 Annex A allows %d to %d", e.Tag, name, e.Len, e.Min, e.Max)
}

// forwardedTags are the card's data objects the kernel sends to the host
// (field 55, [Field55Tags]; the PAN, PAN sequence number and track 2 of the
// [OnlineRequest]) or prints on the receipt (PAN masked, PAN sequence
// number, AC, ATC). Their lengths are checked against the dictionary where
// the kernel takes them from the card:
//
//   - in the GET PROCESSING OPTIONS response (format 2) and the records, a
//     violation terminates the transaction (Book 3 §7.5 and §10.2: a
//     format error in the card's data). The PAN is mandatory there; for
//     the optional ones (track 2, PAN sequence number, and 9F10, 9F26,
//     9F27, 9F36, 9F6E, 9F7C should a card put them in a record) the
//     kernel chooses to terminate too rather than leave them out: the
//     issuer would otherwise get a field 55 or a track 2 other than the
//     one it personalised, and a card that breaks the dictionary in a
//     record is as broken as one whose record does not parse;
//   - in a GENERATE AC response, the IAD (9F10, at most 32 bytes: format 1
//     already limits it so) is checked with the CID, ATC and AC, and a
//     violation terminates as every malformed GENERATE AC response does
//     (Book 3 §6.5.5.4);
//   - the Application Label 50 and Application Preferred Name 9F12 of the
//     FCI and of directory entries (1 to 16 characters) are shown and
//     printed only; one of another length is dropped as if absent, and the
//     terminal names the application by what is left (Book 1 §12.2.4):
//     no book asks to refuse an application for its label.
//
// The AIP (82) and AFL (94) have their own checks (Book 3 §10.1).
//
// It is a switch, not a map: the kernel asks it for every object of every
// record.
func forwardedTags(t tlv.Tag) bool {
	switch t {
	case 0x5A, 0x57, 0x5F34, 0x9F10, 0x9F26, 0x9F27, 0x9F36, 0x9F6E, 0x9F7C:
		return true
	}
	return false
}

// checkLength returns a *LengthError when v is not a length the
// dictionary allows for t, nil otherwise (and for a tag it does not know).
func checkLength(t tlv.Tag, v []byte) error {
	e, ok := tlv.Lookup(t)
	if !ok || (len(v) >= e.MinLen && len(v) <= e.MaxLen) {
		return nil
	}
	return &LengthError{Tag: t, Len: len(v), Min: e.MinLen, Max: e.MaxLen}
}

// displayName returns the value of a label or preferred name (50, 9F12)
// as text, or "" when its length is not the dictionary's 1 to 16.
func displayName(t tlv.Tag, v []byte) string {
	if checkLength(t, v) != nil {
		return ""
	}
	return string(v)
}

// sameName is displayName(t, v), given as known when v spells it: the
// FCI repeats the directory's label, and one string serves both.
func sameName(known string, t tlv.Tag, v []byte) string {
	if known != "" && string(v) == known {
		return known
	}
	return displayName(t, v)
}
