package kernel3

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/tlv"
)

// cardData holds the card's data objects the kernel uses, each the value
// exactly as received (a slice of the response it came in). Tags it does not
// use are checked for duplicates and otherwise left alone.
type cardData struct {
	aip, afl, atc, ac, iad, track2 []byte
	cid                            []byte // 9F27, nil when the card sent none
	psn, ctq, cardAuthData         []byte // 5F34, 9F6C, 9F69
	formFactor, customerExclusive  []byte // 9F6E, 9F7C
	sdad, offlineAmount            []byte // 9F4B, 9F5D
	pan, expiry, effective         []byte // 5A, 5F24, 5F25
	caIndex, issuerCert            []byte // 8F, 90
	issuerRem, issuerExp           []byte // 92, 9F32
	iccCert, iccExp, iccRem        []byte // 9F46, 9F47, 9F48
	sdaTagList                     []byte // 9F4A

	objs quick.Objects // the tags received so far, each once
}

// ErrGPOResponse reports a GET PROCESSING OPTIONS response Kernel 3 cannot
// use (Book C-3 §5.2.2): not a format 2 template, malformed, a data object
// twice, or a mandatory one missing or of the wrong length.
var ErrGPOResponse = errors.New("kernel3: GET PROCESSING OPTIONS response")

// ErrRecord reports a record that cannot be used (Book C-3 §5.3).
var ErrRecord = errors.New("kernel3: record")

// add keeps one primitive data object of a response or record. A tag
// received twice, in the same response or across responses, is a card
// error (Book C-3 §5.3: each data object once).
func (c *cardData) add(t tlv.Tag, v []byte) error {
	if err := c.objs.Add(t); err != nil {
		return err
	}
	if f := c.field(t); f != nil {
		*f = v
	}
	return nil
}

// field is where the kernel keeps the value of a tag, nil for a tag it
// does not use.
func (c *cardData) field(t tlv.Tag) *[]byte {
	switch t {
	case 0x82:
		return &c.aip
	case 0x94:
		return &c.afl
	case 0x9F36:
		return &c.atc
	case 0x9F26:
		return &c.ac
	case 0x9F10:
		return &c.iad
	case 0x57:
		return &c.track2
	case 0x9F27:
		return &c.cid
	case 0x5F34:
		return &c.psn
	case 0x9F6C:
		return &c.ctq
	case 0x9F69:
		return &c.cardAuthData
	case 0x9F6E:
		return &c.formFactor
	case 0x9F7C:
		return &c.customerExclusive
	case 0x9F4B:
		return &c.sdad
	case 0x9F5D:
		return &c.offlineAmount
	case 0x5A:
		return &c.pan
	case 0x5F24:
		return &c.expiry
	case 0x5F25:
		return &c.effective
	case 0x8F:
		return &c.caIndex
	case 0x90:
		return &c.issuerCert
	case 0x92:
		return &c.issuerRem
	case 0x9F32:
		return &c.issuerExp
	case 0x9F46:
		return &c.iccCert
	case 0x9F47:
		return &c.iccExp
	case 0x9F48:
		return &c.iccRem
	case 0x9F4A:
		return &c.sdaTagList
	}
	return nil
}

// addTemplate keeps the primitive data objects of a template's value.
func (c *cardData) addTemplate(v []byte) error {
	return quick.AddTemplate(v, c.add)
}

// parseGPOResponse reads a GET PROCESSING OPTIONS response of the qVSDC
// path (Book C-3 §5.2.2): one Response Message Template Format 2 (77)
// holding, at least, the AIP (82, 2 bytes), the ATC (9F36, 2 bytes), the
// Application Cryptogram (9F26, 8 bytes), the Issuer Application Data
// (9F10, at most 32 bytes) and Track 2 Equivalent Data (57, at most 19
// bytes). The AFL (94) is optional (a card without records sends none) but,
// when present, a multiple of 4 bytes; 9F27 when present is 1 byte, 9F6C 2.
// A format 1 response (80) is an error: it carries no cryptogram, and
// qVSDC has no GENERATE AC.
func parseGPOResponse(c *cardData, data []byte) error {
	if err := quick.ParseGPOResponse(data, c.add); err != nil {
		return fmt.Errorf("%w: %v", ErrGPOResponse, err)
	}
	g := quick.GPOResponse{
		AIP: c.aip, AFL: c.afl, ATC: c.atc, AC: c.ac, IAD: c.iad, Track2: c.track2,
		CID: c.cid, CTQ: c.ctq, OfflineAmount: c.offlineAmount,
	}
	if err := g.Check(); err != nil {
		return fmt.Errorf("%w: %v", ErrGPOResponse, err)
	}
	return nil
}

// gpo sends GET PROCESSING OPTIONS and acts on the answer (Book C-3
// §5.2.2): 9000 with a format 2 response goes on; 6984 asks for another
// interface; 6985 for the next combination; 6986 (a mobile device asking
// the cardholder to look at it) for a new tap; anything else, or a
// response that cannot be used, ends the application ([quick.GPOStatus]).
func (s *transactionState) gpo() (*contactless.Outcome, error) {
	r, err := s.transmit(apdu.GetProcessingOptions(s.PDOLData))
	if err != nil {
		return nil, err
	}
	if out := quick.GPOStatus(r.SW, s.langPref); out != nil {
		return out, nil
	}
	if err := parseGPOResponse(&s.card, r.Data); err != nil {
		s.a.Logger.Debug("kernel3: GPO response", "err", err)
		return quick.EndApplication(s.langPref), nil
	}
	return nil, nil
}

// cryptogramType is the type of the card's cryptogram (Book C-3 §5.5.1):
// the Cryptogram Information Data (9F27) bits 8-7 when the card sent it,
// else the Issuer Application Data of the Visa CVN 10/18 layout
// (06 DKI CVN CVR...) byte 5 bits 6-5 (00 AAC, 01 TC, 10 ARQC). ok is false
// for the RFU value 11 and for an IAD of another layout, whose type the
// kernel cannot tell: a card error.
func (c *cardData) cryptogramType() (byte, bool) {
	return quick.CryptogramType(c.cid, c.iad, 0x06)
}
