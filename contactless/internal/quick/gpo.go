package quick

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
)

// Status words of GET PROCESSING OPTIONS that Book C-3 §5.2.2 gives an
// outcome of their own; Book C-7 maps them alike.
const (
	SWTryAnotherInterface apdu.SW = 0x6984
	SWSelectNext          apdu.SW = 0x6985
	SWSeePhone            apdu.SW = 0x6986
)

// GPOStatus is the outcome of the status word of GET PROCESSING OPTIONS
// (Book C-3 §5.2.2, Book C-7 alike): nil for 9000, the transaction goes
// on; 6984 asks for another interface; 6985 for the next combination; 6986
// (a mobile device asking the cardholder to look at it) for a new tap;
// anything else ends the application.
func GPOStatus(sw apdu.SW, lang string) *contactless.Outcome {
	switch sw {
	case apdu.SWOK:
		return nil
	case SWTryAnotherInterface:
		return TryAnotherInterface(lang, false)
	case SWSelectNext:
		return SelectNext()
	case SWSeePhone:
		return TryAgainSeePhone(lang)
	}
	return EndApplication(lang)
}

// Objects tracks the tags of the data objects a card gave, in its GET
// PROCESSING OPTIONS response and its records: each data object comes
// once (Book C-3 §5.3; Book C-7 alike). The zero value is empty.
type Objects struct {
	seen [64]tlv.Tag
	n    int
}

// Add records a tag; one received before, or more data objects than the
// reader keeps (64), is a card error.
func (o *Objects) Add(t tlv.Tag) error {
	for _, x := range o.seen[:o.n] {
		if x == t {
			return fmt.Errorf("data object %s twice", t)
		}
	}
	if o.n == len(o.seen) {
		return errors.New("too many data objects")
	}
	o.seen[o.n] = t
	o.n++
	return nil
}

// AddTemplate gives add each primitive data object of a template's value,
// read as strict BER-TLV; constructed objects inside are skipped (neither
// kernel reads one).
func AddTemplate(v []byte, add func(tlv.Tag, []byte) error) error {
	it := tlv.NewStrictIter(v)
	for it.Next() {
		if it.Tag().Constructed() {
			continue
		}
		if err := add(it.Tag(), it.Value()); err != nil {
			return err
		}
	}
	return it.Err()
}

// GPOResponse is the data of a format 2 GET PROCESSING OPTIONS response
// that both books check alike.
type GPOResponse struct {
	AIP, AFL, ATC, AC, IAD, Track2 []byte // 82, 94, 9F36, 9F26, 9F10, 57
	CID, CTQ, OfflineAmount        []byte // 9F27, 9F6C, 9F5D: nil when absent
}

// ParseGPOResponse reads a GET PROCESSING OPTIONS response: one Response
// Message Template Format 2 (77), whose primitive objects go to add (see
// [AddTemplate]). A format 1 response (80) is an error: it carries no
// cryptogram, and neither qVSDC (Book C-3 §5.2.2) nor qUICS (Book C-7) has
// a GENERATE AC.
func ParseGPOResponse(data []byte, add func(tlv.Tag, []byte) error) error {
	t, v, err := tlv.Single(data)
	if err != nil {
		return err
	}
	if t != 0x77 {
		return fmt.Errorf("template %s, want 77", t)
	}
	return AddTemplate(v, add)
}

// Check requires, at least, the AIP (82, 2 bytes), the ATC (9F36, 2
// bytes), the Application Cryptogram (9F26, 8 bytes), the Issuer
// Application Data (9F10, at most 32 bytes) and Track 2 Equivalent Data
// (57, at most 19 bytes). The AFL (94) is optional (a card without records
// sends none) but, when present, a non-empty multiple of 4 bytes; 9F27
// when present is 1 byte, 9F6C 2, 9F5D 6 (n12).
func (g *GPOResponse) Check() error {
	for _, m := range [...]struct {
		v        []byte
		tag      tlv.Tag
		min, max int
	}{
		{g.AIP, 0x82, 2, 2}, {g.ATC, 0x9F36, 2, 2}, {g.AC, 0x9F26, 8, 8},
		{g.IAD, 0x9F10, 1, 32}, {g.Track2, 0x57, 1, 19},
	} {
		if len(m.v) < m.min || len(m.v) > m.max {
			return fmt.Errorf("%s missing or %d bytes", m.tag, len(m.v))
		}
	}
	switch {
	case g.AFL != nil && (len(g.AFL) == 0 || len(g.AFL)%4 != 0):
		return fmt.Errorf("AFL of %d bytes", len(g.AFL))
	case g.CID != nil && len(g.CID) != 1:
		return fmt.Errorf("9F27 of %d bytes", len(g.CID))
	case g.CTQ != nil && len(g.CTQ) != 2:
		return fmt.Errorf("9F6C of %d bytes", len(g.CTQ))
	case g.OfflineAmount != nil && len(g.OfflineAmount) != 6:
		return fmt.Errorf("9F5D of %d bytes", len(g.OfflineAmount))
	}
	return nil
}
