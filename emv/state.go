package emv

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Bounds on what card data can make the kernel do.
const (
	maxTraceExchanges = 512 // commands sent in one transaction
	maxCardObjects    = 256 // distinct data objects kept from the card

	// maxResponseData bounds the data of one answer, after the T=0
	// procedures. The kernel sends short commands only, with Le 00 for
	// every case 2 and 4 command: Ne = 256, the most a short Le asks for
	// (ISO 7816-4 §5.1; the commands of Book 1 §11 and Book 3 §6.5 have
	// short lengths only). A card must not answer more than Ne bytes, so
	// neither a single answer nor one put together by GET RESPONSE rounds
	// may exceed it; extended lengths are never asked for and so never
	// accepted (apdu.ParseCommand refuses them, T=0 cannot carry them,
	// and a reader that passes a longer T=1 answer meets the same bound
	// here). A longer
	// answer stops the transaction before the kernel keeps it: a
	// *TerminatedError wrapping ErrCardData and an *apdu.T0Error (with
	// apdu.ErrResponseTooLong) that names the command.
	maxResponseData = apdu.MaxShortResponse
	// maxTransactionData bounds the response data of a whole transaction.
	// The largest cards seen answer under 8 KiB in all (a PSE directory,
	// some 30 records of up to 254 bytes, the GENERATE ACs); 32 KiB is four
	// times that, far below the 128 KiB that maxTraceExchanges answers of
	// maxResponseData bytes could hold. Passing it stops the transaction
	// with ErrCardData wrapping apdu.ErrResponseTooLong, the command named
	// in the reason.
	maxTransactionData = 32 << 10
	// maxKeptStatic bounds the static data buffer the recycled work space
	// keeps from one transaction to the next (a usual card's static data
	// to authenticate is a few hundred bytes).
	maxKeptStatic = 2 << 10
)

// seam is how the flow asks the terminal for decisions: [Run] answers from
// a [Terminal], a [Session] turns each question into a [Request].
type seam interface {
	choose(ctx context.Context, c []Candidate) (int, error)
	confirm(ctx context.Context, c Candidate) (bool, error)
	canSelect() bool
	transaction(ctx context.Context, info *CardInfo) (Transaction, error)
	authorise(ctx context.Context, req *OnlineRequest) (*OnlineResponse, error)
	show(ctx context.Context, m Message, lang string)
	pinPad() cvm.PINPad
	terminal() *Terminal
}

// CardInfo is what the terminal knows about the card before it gives the
// amount, in a [Session] that asks for the transaction late.
type CardInfo struct {
	AID       AID
	Label     string
	MaskedPAN string // empty before the records are read
}

// transactionState is one transaction: the flow's methods read and write
// it in Book 3 order. It is used by one goroutine.
type transactionState struct {
	ctx context.Context
	// rec records every exchange and carries it to the card through the
	// T=0 procedures (Book 1 §9.3): the steps see one response per command.
	rec  *apdu.Recorder
	cfg  *Config
	term seam
	log  *slog.Logger
	// debugOn: log takes debug records, asked once a transaction (as
	// cvm does), not at every command.
	debugOn bool

	txn    Transaction
	hasTxn bool
	now    time.Time

	// err is the first error that stopped the transaction; once set,
	// nothing more is sent to the card.
	err  error
	step Step
	// received counts the response data bytes of the transaction, bounded
	// by maxTransactionData.
	received int

	res Result

	candidates []Candidate
	// built is set once the candidate list has been built: selecting
	// again after GPO 6985 chooses from what is left (Book 3 §10.1).
	built  bool
	app    Candidate
	params AppParams
	pdol   tlv.DOL
	aip    [2]byte
	afl    []byte

	// cardData, recordTags and termData: see stateMaps.
	*stateMaps

	// odaRecords are the records the AFL marks for offline data
	// authentication, exactly as received (Book 3 §10.2).
	odaRecords []oda.Record

	pdolData []byte
	// first is the first GENERATE AC's response; its p1 says whether CDA
	// was asked for and its commandDOL is the CDOL1 data.
	first    *acResponse
	decision byte // the cryptogram the second GENERATE AC asks for
	// arena holds the small values the transaction makes (take).
	arena     [arenaSize]byte
	arenaUsed int

	// scriptResults is where the Issuer Script Results of the first
	// four scripts are kept.
	scriptResults [4 * 5]byte

	// dolsUsed counts the entries of stateMaps.dols in use, acUsed the
	// responses of stateMaps.acs.
	dolsUsed int
	acUsed   int

	skipOnline   bool // CDA failed on an ARQC: straight to the AAC
	unableOnline bool
	scripts      []byte
	// scriptsTooLong: the host sent more than maxScriptBytes of
	// scripts, not kept.
	scriptsTooLong bool
	cvm            cvm.Result

	oda        odaState
	arc        [2]byte
	scriptsRun int

	// sent counts the commands given to rec, bounded by maxTraceExchanges.
	sent int

	recorder apdu.Recorder // rec points here
	// traceRoom and traceBytes are the recorder's room (apdu.Recorder.Room):
	// the Result's trace is kept in the state, as its other values are, and
	// not in allocations of the recorder's. The online CDA transaction with
	// two scripts sends 19 commands, 342 bytes of them; a trace that does
	// not fit goes on in storage the recorder allocates.
	traceRoom  [24]apdu.TraceEntry
	traceBytes [512]byte
	t0         apdu.T0
	link       waitLink
}

func newState(ctx context.Context, card apdu.Transceiver, cfg *Config, term seam) *transactionState {
	s := &transactionState{
		ctx:       ctx,
		cfg:       cfg,
		term:      term,
		log:       cfg.logger(),
		stateMaps: getStateMaps(),
		link:      waitLink{card: card},
	}
	s.debugOn = s.log.Enabled(ctx, slog.LevelDebug)
	s.candidates = s.candidateRoom[:0]
	// The link, the T=0 procedures and the recorder live in the state:
	// three allocations fewer a transaction.
	s.t0 = apdu.T0{Card: &s.link, MaxResponse: maxResponseData}
	if ctx.Done() == nil {
		// A context that can never end: the link would call the card
		// directly at every command and never be abandoned, so the T=0
		// procedures call the card themselves.
		s.t0.Card = card
	}
	s.recorder = apdu.Recorder{Card: &s.t0}
	if _, replayed := card.(*apdu.Replay); replayed {
		// A recording answers in no time: the durations of a replayed
		// trace would time the lookup in the recording, not a card, so
		// they are left zero and no clock is read for them.
		s.recorder.Untimed = true
		// Its answers are the recording's bytes, never changed: the
		// trace keeps them as they are (the T=0 procedures pass an
		// answer on as it came, or put one together in bytes of their
		// own).
		s.recorder.SharedResponses = true
	}
	s.recorder.Room(s.traceRoom[:], s.traceBytes[:])
	s.rec = &s.recorder
	return s
}

// stateMaps are the tag stores and the work space of one transaction.
// Making them was a tenth of a transaction's allocations, so they are
// recycled: a transaction takes them empty from stateMapsPool and puts
// them back when it is done with them (release), and nothing outside the
// state ever holds them.
type stateMaps struct {
	// cardData holds the data objects the card returned (FCI, GPO, records,
	// GET DATA), each exactly as received.
	cardData tagStore
	// recordTags are the tags read from records that cardData, full, could
	// not mark (tagStore.setRecord), to refuse their duplicates too.
	recordTags tagStore
	// termData holds the terminal-sourced data objects of this transaction.
	termData tagStore

	// The work space of the steps, recycled with the stores: what no
	// Result or request refers to, so that the state the Result keeps is
	// smaller and a transaction clears less memory.
	//
	// dols holds the entries of the PDOL, CDOL1 and CDOL2 (parseDOL).
	dols [40]tlv.DOLEntry
	// acs holds the GENERATE AC responses (newACResponse).
	acs [2]acResponse
	// candidateRoom holds the candidate list (transactionState.candidates)
	// and odaRecordRoom the records kept for offline data authentication
	// (transactionState.odaRecords): a usual card fills neither, and a
	// longer list goes on in an allocation of its own. The Result keeps
	// neither: the selected application is a copy, and ODA reads the
	// records before the transaction ends.
	candidateRoom [4]Candidate
	odaRecordRoom [16]oda.Record
	// odaCard is the card data odaCardData gives oda.
	odaCard oda.CardData
	// cmd is where transmit encodes each command.
	cmd [apdu.MaxShortCommand]byte
	// static holds the static data to authenticate
	// (staticDataToAuthenticate), which oda hashes and does not keep.
	static []byte
	// cda holds the Issuer and ICC Public Keys that CDA recovers and the
	// SDAD of each GENERATE AC (the PAN among them); cdaUsed says it was
	// filled, so that release clears it only then.
	cda     oda.CDAStore
	cdaUsed bool
	// pinKeys holds the keys recovered for offline enciphered PIN when
	// ODA left none to use (Book 2 §7.1), pinKeysUsed that it was filled.
	pinKeys     oda.PINKeyStore
	pinKeysUsed bool
}

var stateMapsPool = sync.Pool{New: func() any {
	m := &stateMaps{}
	m.cardData.ents = make([]tagEntry, 0, 64)
	m.termData.ents = make([]tagEntry, 0, 32)
	m.recordTags.ents = make([]tagEntry, 0, 32)
	return m
}}

func getStateMaps() *stateMaps { return stateMapsPool.Get().(*stateMaps) }

// release empties the stores and gives them back for another transaction;
// the state must not use them afterwards. The values were the card's and
// the terminal's bytes, kept by the Result where it needs them.
func (s *transactionState) release() {
	m := s.stateMaps
	if m == nil {
		return
	}
	s.stateMaps = nil
	m.cardData.reset()
	m.termData.reset()
	m.recordTags.reset()
	// What refers to card bytes or holds a command is dropped; the DOL
	// entries are overwritten before they are read again.
	m.acs = [2]acResponse{}
	m.candidateRoom = [4]Candidate{}
	m.odaRecordRoom = [16]oda.Record{}
	m.odaCard = oda.CardData{}
	clear(m.cmd[:])
	clear(m.static[:cap(m.static)]) // the card's records
	if cap(m.static) > maxKeptStatic {
		// A card with unusually long records does not leave every later
		// transaction a buffer of its size to clear.
		m.static = nil
	}
	if m.cdaUsed {
		m.cda = oda.CDAStore{}
		m.cdaUsed = false
	}
	if m.pinKeysUsed {
		m.pinKeys = oda.PINKeyStore{}
		m.pinKeysUsed = false
	}
	// The ICC key CDA recovered lives in m.cda.
	s.oda.icc = nil
	stateMapsPool.Put(m)
}

// fail records err as the transaction's stopping error (the first one
// sticks) and returns it.
func (s *transactionState) fail(reason string, err error) error {
	if s.err == nil {
		s.err = &TerminatedError{Step: s.step, Reason: reason, Err: err}
		s.log.LogAttrs(s.ctx, slog.LevelWarn, "emv: transaction terminated", slog.String("step", s.step.String()), slog.String("error", s.err.Error()))
	}
	return s.err
}

// failData stops the transaction for malformed card data.
func (s *transactionState) failData(reason string, cause error) error {
	if cause == nil {
		return s.fail(reason, ErrCardData)
	}
	return s.fail(reason, &cardDataError{cause})
}

// transmit sends one command and returns the card's response. Only a
// failure to get any response is an error; a refusal is a response for the
// step to judge. The recorder keeps the exchange for the trace.
func (s *transactionState) transmit(c apdu.Command) (apdu.Response, error) {
	if s.err != nil {
		return apdu.Response{}, s.err
	}
	if err := s.ctx.Err(); err != nil {
		return apdu.Response{}, s.fail("context ended", err)
	}
	// The command is encoded into the state's buffer: the Transceivers
	// below keep no command past Transmit (the recorder keeps its own
	// copy), so one buffer serves every command of the transaction.
	b, err := c.Append(s.cmd[:0])
	if err != nil {
		return apdu.Response{}, s.fail("cannot encode "+c.Name(), err)
	}
	raw, err := s.send(s.ctx, b, c.Name())
	if c.Sensitive() {
		clear(b)
	}
	if err != nil {
		return apdu.Response{}, err
	}
	// raw is the recorder's copy, the trace's: the kernel keeps the card's
	// bytes once (a Transceiver may reuse its buffer; the copy stays) and
	// never changes them.
	resp, err := apdu.ParseResponse(raw)
	if err != nil {
		return apdu.Response{}, s.failData(c.Name()+" response", err)
	}
	if s.debugOn {
		s.log.LogAttrs(s.ctx, slog.LevelDebug, "emv: exchange", slog.String("command", c.Name()), slog.String("sw", resp.SW.String()))
	}
	return resp, nil
}

// send passes command bytes to the card through the recorder: nothing
// once the transaction has stopped, and at most maxTraceExchanges commands
// in all. who names the sender in the reason when no response comes.
func (s *transactionState) send(ctx context.Context, b []byte, who string) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.sent >= maxTraceExchanges {
		return nil, s.fail(fmt.Sprintf("more than %d commands", maxTraceExchanges), ErrCardData)
	}
	s.sent++
	raw, err := s.rec.Transmit(ctx, b)
	if errors.Is(err, apdu.ErrResponseTooLong) {
		return nil, s.failData(who+" answered more than the kernel accepts", err)
	}
	if err != nil {
		return nil, s.fail(who+" got no response", &chipFailure{err})
	}
	if s.received += max(len(raw)-2, 0); s.received > maxTransactionData {
		return nil, s.failData(fmt.Sprintf("%s: the card's answers reach %d data bytes, more than %d in one transaction",
			who, s.received, maxTransactionData), apdu.ErrResponseTooLong)
	}
	return raw, nil
}

// transmitOK is transmit for a command that must answer 9000.
func (s *transactionState) transmitOK(c apdu.Command) ([]byte, error) {
	r, err := s.transmit(c)
	if err != nil {
		return nil, err
	}
	if r.SW != apdu.SWOK {
		return nil, s.fail("", &refusedError{&apdu.StatusError{Command: c, SW: r.SW}})
	}
	return r.Data, nil
}

// get returns the value of a data object for a DOL or a message: the
// terminal's live values first (TVR, TSI, CVM Results, unpredictable
// number, ARC), then terminal data, then card data.
func (s *transactionState) get(t tlv.Tag) ([]byte, bool) {
	switch t {
	case 0x95:
		return s.res.TVR[:], true
	case 0x9B:
		return s.res.TSI[:], true
	case 0x9F34:
		return s.res.CVMResults[:], true
	case 0x9F37:
		return s.res.UnpredictableNumber[:], true
	case 0x9F5B:
		if len(s.res.ScriptResults) == 0 {
			return nil, false
		}
		return s.res.ScriptResults, true
	case 0x8A:
		if s.arc == [2]byte{} {
			return nil, false
		}
		return s.arc[:], true
	case 0x9F7A:
		return s.ecSupport()
	}
	if v, ok := s.termData.get(t); ok {
		return v, true
	}
	return s.cardData.get(t)
}

// setTerminalData fills the terminal-sourced data objects (Book 3 Annex A,
// Book 4 Annex A) from the configuration and the transaction.
func (s *transactionState) setTerminalData() {
	c := s.cfg
	d := &s.termData
	d.set(0x9F35, s.bytesOf(c.terminalType()))
	caps := c.capabilities()
	d.set(0x9F33, s.bytesOf(caps[:]...))
	add := c.additionalCapabilities()
	d.set(0x9F40, s.bytesOf(add[:]...))
	d.set(0x9F1A, s.bcd(uint64(c.Country), 2))
	d.set(0x5F2A, s.bcd(uint64(c.Currency), 2))
	d.set(0x5F36, s.bcd(uint64(c.CurrencyExponent), 1))
	d.set(0x9F15, s.bcd(uint64(c.MerchantCategory), 2))
	for _, f := range []struct {
		t tlv.Tag
		v string
	}{{0x9F16, c.MerchantID}, {0x9F4E, c.MerchantNameLocation}, {0x9F1C, c.TerminalID}, {0x9F1E, c.IFDSerial}} {
		if f.v != "" {
			b := s.take(len(f.v))
			copy(b, f.v)
			d.set(f.t, b)
		}
	}
	if c.AcquirerID != "" {
		// Validate has checked it is 6 to 11 digits.
		v, _ := strconv.ParseUint(c.AcquirerID, 10, 64)
		d.set(0x9F01, s.bcd(v, 6))
	}
	d.set(0x9F39, s.bytesOf(0x05)) // POS entry mode: integrated circuit card, Book 4 Annex A
	s.setTransactionData()
}

// setTransactionData fills the data objects that come from the
// Transaction, which a Session may learn late.
func (s *transactionState) setTransactionData() {
	t := &s.txn
	d := &s.termData
	d.set(0x9C, s.bytesOf(byte(t.Type)))
	d.set(0x9F02, s.bcd(t.Amount, 6))
	d.set(0x9F03, s.bcd(t.AmountOther, 6))
	var amt [4]byte
	binary.BigEndian.PutUint32(amt[:], uint32(min(t.Amount, 0xFFFFFFFF)))
	d.set(0x81, s.bytesOf(amt[:]...)) // Amount, Authorised (Binary)
	if t.AmountOther > 0 {
		binary.BigEndian.PutUint32(amt[:], uint32(min(t.AmountOther, 0xFFFFFFFF)))
		d.set(0x9F04, s.bytesOf(amt[:]...))
	}
	tm := t.Time
	if tm.IsZero() {
		tm = s.now
	}
	s.txn.Time = tm
	// Date and Clock work the calendar out once each, where Year, Month,
	// Day, Hour, Minute and Second would six times.
	year, month, day := tm.Date()
	hour, minute, sec := tm.Clock()
	d.set(0x9A, s.bytesOf(toBCD(year%100), toBCD(int(month)), toBCD(day)))
	d.set(0x9F21, s.bytesOf(toBCD(hour), toBCD(minute), toBCD(sec)))
	d.set(0x9F41, s.bcd(uint64(t.SequenceCounter), 4))
}

// setApplicationData fills the terminal data objects that depend on the
// selected application: Application Identifier (AID) - terminal 9F06 (the
// terminal's AID that matched, Book 1 §12.4), Application Version Number
// 9F09 and Terminal Floor Limit 9F1B (Book 3 Annex A).
func (s *transactionState) setApplicationData() {
	s.termData.set(0x9F06, s.bytesOf(s.terminalAID()...))
	if s.params.Version != nil {
		s.termData.set(0x9F09, s.params.Version)
	}
	var fl [4]byte
	binary.BigEndian.PutUint32(fl[:], uint32(s.floorLimit()))
	s.termData.set(0x9F1B, s.bytesOf(fl[:]...))
	if l := s.params.ECTerminalLimit; l != nil {
		s.termData.set(0x9F7B, s.bcd(*l, 6))
	}
}

// ecSupport is the EC Terminal Support Indicator 9F7A of UnionPay
// electronic cash (JR/T 0025.13): 01 when the terminal supports
// electronic cash for the application ([AppParams.ECTerminalLimit] set)
// and the transaction is a purchase below that limit, 00 when it is not;
// absent when the terminal has no electronic cash. Computed when asked
// for, because a PDOL is built after the amount is known.
//
// JR/T 0025.13 compares the amount with the limit strictly ("less than
// the EC Terminal Transaction Limit"); an amount equal to it is done as a
// standard debit/credit transaction.
func (s *transactionState) ecSupport() ([]byte, bool) {
	l := s.params.ECTerminalLimit
	if l == nil {
		return nil, false
	}
	if s.txn.Type == Purchase && s.txn.Amount < *l {
		return []byte{0x01}, true
	}
	return []byte{0x00}, true
}

func (s *transactionState) floorLimit() uint64 {
	if s.params.FloorLimit == nil {
		return 0
	}
	return *s.params.FloorLimit
}

// newUnpredictableNumber draws 9F37 from the configured source (Book 4
// §6.5.6: it must be unpredictable to the card).
func (s *transactionState) newUnpredictableNumber() error {
	if _, err := io.ReadFull(s.cfg.rand(), s.res.UnpredictableNumber[:]); err != nil {
		return s.fail("random source", err)
	}
	return nil
}

func (s *transactionState) setTVR(b tvr.Bit) { s.res.TVR.Set(b) }
func (s *transactionState) setTSI(b tvr.Bit) { s.res.TSI.Set(b) }

func (s *transactionState) show(m Message) { s.term.show(s.ctx, m, s.res.Language) }

// bcd encodes v as n bytes of right-justified BCD.
func bcd(v uint64, n int) []byte {
	b := make([]byte, n)
	putBCD(b, v)
	return b
}

// putBCD writes v into b as right-justified BCD.
func putBCD(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
}

func toBCD(v int) byte { return byte(v/10%10)<<4 | byte(v%10) }

// fromBCD decodes numeric BCD; ok is false if a nibble is not a digit.
func fromBCD(b []byte) (uint64, bool) {
	var v uint64
	for _, x := range b {
		hi, lo := x>>4, x&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		v = v*100 + uint64(hi)*10 + uint64(lo)
	}
	return v, true
}

// errStop is returned by a step that ended the transaction with an
// outcome (not an error): the flow stops and the result stands.
var errStop = errors.New("emv: transaction ended")
