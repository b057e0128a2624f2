package kernel2

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Kernel is Kernel 2 (Book C-2). It is safe for use by several goroutines:
// each activation has its own state.
//
// The kernel keeps one thing across activations: the Failed MS Cntr of
// mag-stripe mode (Book C-2 Annex A), the number of mag-stripe
// transactions that failed in a row, 0 to 5. Each failure waits 2^Failed
// MS Cntr × 300 ms (300 ms to 9.6 s) before its outcome, then counts
// itself; a mag-stripe transaction that gets its CVC3 sets the count back
// to 0 (States 13 and 14). The wait slows down a reader that taps a card
// again and again to collect CVC3 values for chosen unpredictable numbers.
// One Kernel value serves one reader, so that the count is that reader's.
type Kernel struct {
	cfg Config

	mu       sync.Mutex
	failedMS int // Failed MS Cntr
}

// New returns Kernel 2 with the given configuration.
func New(cfg Config) *Kernel { return &Kernel{cfg: cfg} }

var _ contactless.Kernel = (*Kernel)(nil)

// Activate runs the kernel on the selected card (Book C-2) and returns
// its Outcome. It returns an error only when the card link failed (the
// card left the field: errors.Is(err, apdu.ErrCardRemoved)) or ctx ended;
// Book C-2 then asks for a new tap (Try Again at Start B), which the Entry
// Point's outcome processing does for a lost card (Book B §3.5).
func (k *Kernel) Activate(ctx context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
	s := statePool.Get().(*transactionState)
	s.ctx, s.k, s.a = ctx, k, a
	out, err := s.run()
	// Nothing the caller gets refers to the state (the Outcome's values
	// are in its own outcomeStore, the card's in the card's responses),
	// and nothing the state started outlives run (State 2's late DET
	// goroutine holds none of it). It is emptied, so that a recycled
	// state holds no card data, and recycled: a state is some ten
	// kilobytes, an activation's largest allocation by far.
	s.reset()
	statePool.Put(s)
	return out, err
}

// reset empties the state for its next activation. The two tables of
// data objects, the card's and the terminal's, are kept and cleared only
// as far as they were filled (their entries beyond are zero): clearing an
// entry, which holds a pointer, is a write barrier while the garbage
// collector marks, and the tables hold most of the state's pointers.
func (s *transactionState) reset() {
	objs, term := s.card.objs, s.term
	if objs != nil {
		clear(objs[:s.card.n])
	}
	if term != nil {
		clear(term[:s.nterm])
	}
	*s = transactionState{}
	s.card.objs, s.term = objs, term
}

var statePool = sync.Pool{New: func() any { return new(transactionState) }}

// stateFn is one state of the kernel (Book C-2): it reads the signal
// that arrived in the state and returns the next state, or nil when the
// kernel has its outcome.
type stateFn func(s *transactionState, sig signal) stateFn

// signal is what a state waits for: the card's response (RA) to the
// command the previous state sent, or the failure of the link (L1RSP).
// The first state is entered on the activation signal (ACT), a zero
// signal.
type signal struct {
	r   apdu.Response
	err error
}

// ErrLink wraps a failure of the card link during a command.
var ErrLink = errors.New("kernel2: card link")

// transactionState is one activation of the kernel: the kernel's database
// (Book C-2's TLV database) and what it decided.
type transactionState struct {
	ctx context.Context
	k   *Kernel
	a   *contactless.Activation

	cfg      TerminalConfig
	cfgp     configParser  // reads cfg; cfg's limits point into it
	term     *[48]tagValue // the Entry Point's terminal data, indexed once; made at the first use, kept by a recycled state
	nterm    int           // the objects of term
	termIdx  tagIndex      // the first object of each tag in term
	fci      fciData
	langPref string
	date     time.Time

	pdol     tlv.DOL
	pdolData []byte
	un       [4]byte
	tvr      tvr.TVR
	cvmRes   [3]byte
	caps     [3]byte // Terminal Capabilities 9F33 as Book C-2 sets it
	errInd   errorIndication
	card     cardData

	// Records of the Active AFL (State 4).
	afl     []byte // Active AFL
	aflPos  int    // entry being read
	rec     byte   // record being read within the entry
	odaRecs []oda.Record

	// Relay resistance (State R1).
	rrp        relayResistance
	sentAt     time.Time
	answeredAt time.Time

	// EMV mode decisions.
	odaCDA   bool // ODA Status: CDA
	cdaReq   bool // CDA signature requested in GENERATE AC
	acType   byte // the AC type of Terminal Action Analysis
	cvm      contactless.CVM
	cdol1    tlv.DOL
	cdolData []byte
	genAC    []byte // the GENERATE AC response data, as received
	cda      *oda.DynamicData

	genACP1 byte // the GENERATE AC Reference Control Parameter sent

	// Balance reading (States 16 and 17): the Offline Accumulator Balance
	// read before and after GENERATE AC, and the template (77 or 80) of the
	// GENERATE AC response State 17 goes on with.
	balanceBefore, balanceAfter []byte
	genACTemplate               tlv.Tag

	// det is the terminal's answer to data exchange (DET), ahead of the
	// terminal data.
	det []tagValue
	// writeBefore and writeAfter are the Tags To Write Before and After
	// Gen AC the DETs gave, written after the Config's (putdata.go).
	writeBefore, writeAfter []byte
	// getData holds the Tags To Read still to send GET DATA for (State 5)
	// and gotData what the card answered to them.
	getData []tlv.Tag
	gotData []tagValue

	// Tags To Write (States 12 and 15): the objects still to PUT DATA,
	// the Pre- and Post-Gen AC Put Data Status, and the cryptogram type
	// State 15 completes the outcome with.
	toWrite          []tagValue
	preGenACPutData  []byte
	postGenACPutData []byte
	afterPutDataKind byte

	// Mag-stripe mode (States 7 and 8); nil in EMV mode.
	ms *magstripe

	// Torn transaction recovery.
	torn        *tornState // the torn transaction RECOVER AC asks for
	tornRec     TornRecord // its record in the log
	tornPending bool       // RECOVER AC failed: remove tornRec after GENERATE AC
	recovered   bool       // the cryptogram is the torn transaction's

	pending *apdu.Command // the command the state just sent: &cmd, or nil
	cmd     apdu.Command
	// cmdBuf holds each command's bytes as the card is sent them: a
	// Transceiver keeps no command past Transmit (apdu.Transceiver).
	cmdBuf [apdu.MaxShortCommand]byte

	// Storage of the state's own for what a transaction makes and
	// nothing keeps past Activate, so that these are not an allocation
	// each: the PDOL and CDOL1 entries and data, the records for ODA, the
	// static data. What the Outcome keeps is in ob.
	pdolEnts, cdolEnts [32]tlv.DOLEntry
	pdolBuf, cdolBuf   [maxDOLData]byte
	odaRecBuf          [8]oda.Record
	staticBuf          [640]byte
	cdaStore           oda.CDAStore // the keys and the SDAD of verifyCDA
	ob                 *outcomeStore
	out                *contactless.Outcome
	err                error
}

// run is the kernel's loop (Book C-2): the state's signal in, the
// next state out, each command a state sends carried to the card between
// the two. The relay resistance timer starts just before the command is
// given to the link and stops when its answer is back.
func (s *transactionState) run() (*contactless.Outcome, error) {
	var sig signal
	// Every state sends at most one command; the records, three EXCHANGE
	// RELAY RESISTANCE DATA and a few others bound the commands, so the
	// loop is bounded too, whatever the card answers.
	steps := s.k.cfg.maxRecords() + 16 + len(getDataTags) + 2*maxExchangeTags
	for st := stateFn(idle); st != nil; steps-- {
		if steps == 0 {
			s.errInd.l2 = l2CardDataError
			s.out = s.endApplication()
			break
		}
		s.pending = nil
		st = st(s, sig)
		if st == nil {
			break
		}
		if s.pending == nil {
			sig = signal{}
			continue
		}
		s.sentAt = s.k.cfg.now()
		r, err := s.exchange()
		s.answeredAt = s.k.cfg.now()
		switch {
		case err == nil:
			sig = signal{r: r}
		case errors.Is(err, apdu.ErrShortResponse):
			// No status word: a card error, answered as SW 0000.
			sig = signal{}
		default:
			sig = signal{err: fmt.Errorf("%w: %s: %w", ErrLink, s.pending.Name(), err)}
		}
	}
	return s.out, s.err
}

// send gives the next command to the loop.
func (s *transactionState) send(c apdu.Command) {
	s.cmd = c
	s.pending = &s.cmd
}

// exchange is apdu.Exchange of the pending command, encoded into the
// state's buffer.
func (s *transactionState) exchange() (apdu.Response, error) {
	b, err := s.pending.Append(s.cmdBuf[:0])
	if err != nil {
		return apdu.Response{}, err
	}
	raw, err := s.a.Card.Transmit(s.ctx, b)
	if err != nil {
		return apdu.Response{}, err
	}
	return apdu.ParseResponse(raw)
}

// linkFailed ends the kernel on an L1 error: the Entry Point decides the
// outcome (Book C-2 asks for Try Again at Start B, Book B §3.5 does it for a
// lost card).
func (s *transactionState) linkFailed(err error) stateFn {
	s.err = err
	return nil
}

// done ends the kernel with its outcome.
func (s *transactionState) done(o *contactless.Outcome) stateFn {
	s.out = o
	return nil
}

// idle is State 1, Idle (Book C-2 State 1): on the activation signal, the
// kernel initialises its database from the FCI and the terminal data: the
// Kernel 2 terminal data, the Terminal Capabilities (byte 1 Card Data
// Input Capability, byte 2 zero until CVM selection, byte 3 Security
// Capability), the TVR at zero, a new Unpredictable Number, the PDOL of the
// FCI. It sends GET PROCESSING OPTIONS with the PDOL related data and waits
// for its response. An FCI without a DF Name (84) (L2 CARD DATA MISSING) or
// with a PDOL that cannot be used (L2 CARD DATA ERROR) sends the Entry
// Point to the next combination (Select Next at Start C). A PDOL asking
// for data the kernel does not have, with a terminal that listens for data
// exchange, sends the DEK with Data Needed and waits in State 2
// (waitingForPDOLData) instead. Terminal data of
// the wrong length ends the application, L2 TERMINAL DATA ERROR.
func idle(s *transactionState, _ signal) stateFn {
	a := s.a
	var cc *contactless.CombinationConfig
	if a.Combination != nil {
		cc = a.Combination.Config
	}
	s.fci.read(a.FCI)
	if v, ok := s.fci.langPref.get(); ok && len(v) <= 8 {
		s.langPref = string(v)
	}
	cfg, err := s.readTerminalData(cc)
	s.cfg = cfg // on an error, the defaults and what could be read
	if err != nil {
		a.Logger.Debug("kernel2: terminal data", "err", err)
		s.errInd.l2 = l2TerminalDataError
		return s.done(s.endApplication())
	}
	s.caps = [3]byte{cfg.CardDataInputCapability, 0, cfg.SecurityCapability}
	s.cleanTornLog()
	s.date = a.Time()
	if d, ok := s.terminal(0x9A); ok {
		if t, ok := bcdDate(d); ok {
			s.date = t
		}
	}
	if _, err := io.ReadFull(a.Rand, s.un[:]); err != nil {
		s.errInd.l2 = l2TerminalDataError
		return s.done(s.endApplication())
	}
	if _, ok := s.fci.dfName.get(); !ok {
		s.errInd.l2 = l2CardDataMissing
		return s.done(s.selectNext())
	}
	if v, ok := s.fci.pdol.get(); ok {
		d, err := tlv.AppendDOL(s.pdolEnts[:0], v)
		if err != nil || d.Len() > maxDOLData {
			s.errInd.l2 = l2CardDataError
			return s.done(s.selectNext())
		}
		s.pdol = d
	}
	if s.k.cfg.DataExchange != nil && len(s.pdolDataNeeded()) > 0 {
		// Book C-2 State 1: PDOL data the kernel lacks is asked of the
		// terminal (DEK with Data Needed) before GPO, in State 2.
		return waitingForPDOLData
	}
	return s.sendGPO()
}

// sendGPO sends GET PROCESSING OPTIONS with the PDOL related data built
// from the kernel's database, and waits in State 3.
func (s *transactionState) sendGPO() stateFn {
	s.pdolData = s.pdol.Build(s.pdolBuf[:0], s.dolValue)
	s.send(apdu.GetProcessingOptions(s.pdolData))
	return waitingForGPOResponse
}

// maxDOLData bounds the data a PDOL or CDOL1 asks for: it must fit a short
// command APDU with its template.
const maxDOLData = 252

// tagValue is one primitive data object.
type tagValue struct {
	t tlv.Tag
	v []byte
}

// readTerminalData reads the Entry Point's terminal data in one pass:
// each object is indexed for terminal (the first 48 objects, the first
// of each tag found) and read as Kernel 2 terminal data (ParseTerminalConfig,
// whose first error ends that reading).
func (s *transactionState) readTerminalData(cc *contactless.CombinationConfig) (TerminalConfig, error) {
	p := &s.cfgp
	p.start(cc)
	if s.term == nil {
		s.term = new([48]tagValue)
	}
	var cfgErr error
	seen := 0
	it := tlv.NewIter(s.a.TerminalData)
	for it.Next() {
		t, v := it.Tag(), it.Value()
		if seen < len(s.term) {
			seen++
			if slot, found := s.termIdx.slot(t, s.term[:s.nterm]); !found {
				s.term[s.nterm] = tagValue{t, v}
				s.nterm++
				s.termIdx[slot] = uint8(s.nterm)
			}
		}
		if cfgErr == nil {
			cfgErr = p.take(t, v)
		}
	}
	if cfgErr != nil {
		return p.c, cfgErr
	}
	return p.finish(it.Err())
}

// terminal finds a terminal data object: the DET data of data exchange
// first, then the first with the tag.
func (s *transactionState) terminal(t tlv.Tag) ([]byte, bool) {
	for _, tv := range s.det {
		if tv.t == t {
			return tv.v, true
		}
	}
	if s.nterm == 0 {
		return nil, false
	}
	if i := s.termIdx.find(t, s.term[:s.nterm]); i >= 0 {
		return s.term[i].v, true
	}
	return nil, false
}

// fciData holds the FCI objects the kernel reads, found in one walk of
// the FCI: each as tlv.Find finds it (the first in depth-first order).
type fciData struct {
	dfName, pdol, langPref, label, preferredName found
}

// found is a value found in the FCI, or not.
type found struct {
	v  []byte
	ok bool
}

func (f found) get() ([]byte, bool) { return f.v, f.ok }

func (f *fciData) read(fci []byte) { f.walk(tlv.NewIter(fci), 0) }

// walk is tlv.Find's walk (depth first, no deeper than tlv.MaxDepth, a
// malformed object ending its level), keeping the first of each tag.
func (f *fciData) walk(it tlv.Iter, depth int) {
	for it.Next() {
		var dst *found
		switch it.Tag() {
		case 0x84:
			dst = &f.dfName
		case 0x9F38:
			dst = &f.pdol
		case 0x5F2D:
			dst = &f.langPref
		case 0x50:
			dst = &f.label
		case 0x9F12:
			dst = &f.preferredName
		}
		if dst != nil && !dst.ok {
			*dst = found{it.Value(), true}
		}
		if it.Tag().Constructed() && depth < tlv.MaxDepth {
			f.walk(it.Children(), depth+1)
		}
	}
}

// dolValue gives a DOL the kernel's data (Book C-2: the DOL related
// data come from the kernel's database): the Unpredictable Number, TVR,
// CVM Results and Terminal Capabilities the kernel keeps, the card's data
// it read, then the terminal data. A data object the kernel does not have
// is zeros (tlv.DOL.Build).
func (s *transactionState) dolValue(t tlv.Tag) ([]byte, bool) {
	switch t {
	case 0x9F37:
		return s.un[:], true
	case 0x95:
		return s.tvr[:], true
	case 0x9F34:
		return s.cvmRes[:], true
	case 0x9F33:
		return s.caps[:], true
	case tagTerminalRREntropy:
		return s.rrp.terminalEntropy[:], s.rrp.performed
	case tagUNNumeric:
		if s.ms != nil {
			return s.ms.unNum[:], true
		}
	case tagMobileSupportInd:
		if s.ms != nil {
			return []byte{s.ms.msi}, true
		}
	}
	if v, ok := s.card.get(t); ok {
		return v, true
	}
	return s.terminal(t)
}

func bcdDate(b []byte) (time.Time, bool) {
	if len(b) != 3 {
		return time.Time{}, false
	}
	var d [3]int
	for i, x := range b {
		hi, lo := int(x>>4), int(x&0x0F)
		if hi > 9 || lo > 9 {
			return time.Time{}, false
		}
		d[i] = hi*10 + lo
	}
	if d[1] < 1 || d[1] > 12 || d[2] < 1 || d[2] > 31 {
		return time.Time{}, false
	}
	return time.Date(2000+d[0], time.Month(d[1]), d[2], 0, 0, 0, 0, time.UTC), true
}
