package kernel7

import (
	"context"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// ID is the Kernel ID Kernel 7 is registered under (Book A §3.1, Book B
// §3.3.2.5: the UnionPay RID A000000333 takes Kernel 7 when the card names
// none).
const ID = contactless.Kernel7

// Config is Kernel 7's own configuration. The zero value is ready to use.
//
// Book C-7 keeps the reader's limits (Reader Contactless Transaction Limit,
// Reader Contactless Floor Limit, Reader CVM Required Limit) and the TTQ in
// the Entry Point's configuration of the combination
// ([contactless.CombinationConfig]); pre-processing applies them and the
// kernel reads their result in [contactless.Indicators]. Kernel 7 keeps no
// Terminal Action Codes: Book C-7 has no terminal action analysis.
type Config struct {
	// MaxRecords bounds the records read through the AFL (Book C-7 gives no
	// bound; a card asking for more is treated as a card error, End
	// Application). Zero: 64.
	MaxRecords int
}

func (c *Config) maxRecords() int {
	if c.MaxRecords <= 0 {
		return 64
	}
	return c.MaxRecords
}

// Kernel is Kernel 7 (Book C-7). It is safe for use by several goroutines:
// each activation has its own state.
type Kernel struct {
	cfg Config
}

// New returns Kernel 7 with the given configuration.
func New(cfg Config) *Kernel { return &Kernel{cfg: cfg} }

var _ contactless.Kernel = (*Kernel)(nil)

// Activate runs the kernel on the selected card (Book C-7) and returns its
// Outcome. It returns an error only when the card link failed (the card
// left the field: errors.Is(err, apdu.ErrCardRemoved)) or ctx ended.
//
// A restart at Start B after an online authorisation runs the transaction
// again from the start: Kernel 7 has no issuer update processing, so the
// online response is not the kernel's to use.
func (k *Kernel) Activate(ctx context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
	s := &transactionState{ctx: ctx, k: k, a: a}
	return s.run()
}

// TTQ bits Kernel 7 reads beyond those of quick (Book C-7 Annex A, Terminal
// Transaction Qualifiers; the qPBOC layout of the UnionPay specifications).
const (
	ttq1QUICS = 0x20 // byte 1 bit 6: qUICS (qPBOC) supported
)

// The UnionPay IAD (9F10) begins with the length of its EMV part, 07: DKI,
// CVN, the Card Verification Results (4 bytes, the first 03) and the
// algorithm identifier. Its byte 5 (CVR byte 2) bits 6-5 give the
// cryptogram type when the card sends no 9F27.
const iadLenUnionPay = 0x07

// maxPDOLDataLen bounds the PDOL data: it must fit one GET PROCESSING
// OPTIONS command (83 L data in Lc).
const maxPDOLDataLen = 252

// transactionState is one activation of the kernel: everything it learnt
// from the card and what it decided.
type transactionState struct {
	ctx context.Context
	k   *Kernel
	a   *contactless.Activation

	quick.Reader // the terminal side: TTQ, Unpredictable Number, TVR, date, PDOL

	card     cardData
	odaRecs  []oda.Record
	cvm      contactless.CVM
	langPref string
}

// run is the flow of Book C-7.
func (s *transactionState) run() (*contactless.Outcome, error) {
	if out := s.initiate(); out != nil {
		return out, nil
	}
	out, err := s.gpo()
	if err != nil || out != nil {
		return out, err
	}
	if out, err := s.readRecords(); err != nil || out != nil {
		return out, err
	}
	s.cardReadComplete()
	return s.process(), nil
}

// initiate reads the FCI and the terminal data the transaction needs
// (Book C-7 initiate application processing): the PDOL, the Language
// Preference, the TTQ of pre-processing, the transaction date and a new
// Unpredictable Number.
//
// Book C-7 requires the PDOL and, in it, the TTQ: a card that does not ask
// for 9F66 cannot learn what the reader supports, and a qUICS card needs it.
// Reading chosen: an FCI without a PDOL, a PDOL without 9F66, or a PDOL that
// cannot be parsed ends the application (Kernel 3 accepts a card without a
// PDOL; Kernel 7 does not). A TTQ without qUICS support (byte 1 bit 6) is a
// reader configured for no path Kernel 7 has: End Application too.
func (s *transactionState) initiate() *contactless.Outcome {
	a := s.a
	s.langPref = languagePreference(a.FCI)
	if err := s.Begin(a); err != nil {
		return quick.EndApplication(s.langPref)
	}
	v, ok := tlv.Find(a.FCI, 0x9F38)
	if !ok {
		a.Logger.Debug("kernel7: FCI without PDOL")
		return quick.EndApplication(s.langPref)
	}
	d, err := tlv.ParseDOL(v)
	if err != nil || d.Len() > maxPDOLDataLen || !asksFor(d, 0x9F66) {
		a.Logger.Debug("kernel7: PDOL", "pdol", fmt.Sprintf("%X", v))
		return quick.EndApplication(s.langPref)
	}
	if s.TTQ[0]&ttq1QUICS == 0 {
		a.Logger.Debug("kernel7: TTQ without qUICS", "ttq", fmt.Sprintf("%X", s.TTQ))
		return quick.EndApplication(s.langPref)
	}
	s.SetPDOL(d)
	return nil
}

// transmit sends one command ([quick.Transmit]).
func (s *transactionState) transmit(c apdu.Command) (apdu.Response, error) {
	return quick.Transmit(s.ctx, s.a.Card, c, "kernel7")
}

// asksFor reports whether the DOL has an entry for the tag.
func asksFor(d tlv.DOL, t tlv.Tag) bool {
	for _, e := range d {
		if e.Tag == t {
			return true
		}
	}
	return false
}
