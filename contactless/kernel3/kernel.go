package kernel3

import (
	"context"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
)

// Config is Kernel 3's own configuration. The zero value is ready to use.
type Config struct {
	// MaxRecords bounds the records read through the AFL (Book C-3 §5.3
	// gives no bound; a card asking for more is treated as a card error,
	// End Application). Zero: 64.
	MaxRecords int
}

func (c *Config) maxRecords() int {
	if c.MaxRecords <= 0 {
		return 64
	}
	return c.MaxRecords
}

// Kernel is Kernel 3 (Book C-3). It is safe for use by several goroutines:
// each activation has its own state.
type Kernel struct {
	cfg Config
}

// New returns Kernel 3 with the given configuration.
func New(cfg Config) *Kernel { return &Kernel{cfg: cfg} }

var _ contactless.Kernel = (*Kernel)(nil)

// Activate runs the kernel on the selected card (Book C-3 §5) and returns
// its Outcome. It returns an error only when the card link failed (the
// card left the field: errors.Is(err, apdu.ErrCardRemoved)) or ctx ended.
func (k *Kernel) Activate(ctx context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
	s := &transactionState{ctx: ctx, k: k, a: a}
	if a.Start == contactless.StartB && a.OnlineResponse != nil {
		return s.issuerUpdate()
	}
	return s.run()
}

// Cryptogram types (Book C-3 Annex A, 9F27 bits 8-7).
const (
	cryptogramAAC  = quick.AAC
	cryptogramTC   = quick.TC
	cryptogramARQC = quick.ARQC
)

// TTQ bits (Terminal Transaction Qualifiers 9F66: Book A §5.7, Table 5-4;
// Book C-3 Annex A). Those Book C-7 places alike come from quick.
const (
	ttq1ContactChip  = quick.TTQ1ContactChip // byte 1 bit 5: EMV contact chip supported
	ttq1OfflineOnly  = quick.TTQ1OfflineOnly // byte 1 bit 4: offline-only reader
	ttq1ODAForOnline = 0x01                  // byte 1 bit 1: ODA for online authorisations supported
	ttq3IssuerUpdate = 0x80                  // byte 3 bit 8: issuer update processing supported
)

// CTQ bits (Card Transaction Qualifiers 9F6C: Book C-3 Annex A.2); the CVM
// bits are read by quick.ChooseCVM.
const (
	ctq1OnlineIfODAFails   = quick.CTQ1OnlineIfODAFails // byte 1 bit 6: go online if ODA fails and the reader is online capable
	ctq1SwitchIfODAFails   = quick.CTQ1SwitchIfODAFails // byte 1 bit 5: switch interface if ODA fails and the reader supports contact chip
	ctq1OnlineIfExpired    = quick.CTQ1OnlineIfExpired  // byte 1 bit 4: go online if the application expired
	ctq2IssuerUpdateOnCard = quick.CTQ2IssuerUpdate     // byte 2 bit 7: card supports issuer update processing at the POS
)

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
	odaRecs  []oda.Record // the records the AFL flags for ODA, as received
	cvm      contactless.CVM
	langPref string
}

// run is Book C-3 §5 for a new transaction.
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
// (Book C-3 §5.2.1): the PDOL, the Language Preference, the TTQ of
// pre-processing, the transaction date and a new Unpredictable Number.
func (s *transactionState) initiate() *contactless.Outcome {
	a := s.a
	if v, ok := tlv.Find(a.FCI, 0x5F2D); ok && len(v) <= 8 {
		s.langPref = string(v)
	}
	if err := s.Begin(a); err != nil {
		return quick.EndApplication(s.langPref)
	}
	var pdol tlv.DOL
	if v, ok := tlv.Find(a.FCI, 0x9F38); ok {
		d, err := tlv.ParseDOL(v)
		if err != nil || d.Len() > maxPDOLDataLen {
			// Book C-3 §5.2.1: a PDOL that cannot be used is card data the
			// kernel cannot process.
			return quick.EndApplication(s.langPref)
		}
		pdol = d
	}
	s.SetPDOL(pdol)
	return nil
}

// transmit sends one command ([quick.Transmit]).
func (s *transactionState) transmit(c apdu.Command) (apdu.Response, error) {
	return quick.Transmit(s.ctx, s.a.Card, c, "kernel3")
}
