package emv

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
)

// Recording is the kernel's part of a recorded session file (the "kernel"
// object of [apdu.Session]): how to run the kernel against the recorded
// exchanges and what it must show. [NewRecording] builds it from a
// transaction that ran, [ReadRecording] reads it, [Recording.Replay] runs
// it again and [Recording.Check] compares what the replay showed with
// Expect. json.Marshal writes it; testdata/README.md documents the rest of
// the file.
//
// The keys, each optional but terminal, transaction and expect:
//
//	"terminal":     the terminal configuration, in the format of ParseConfig
//	                (its "ca_keys" hold the CA keys the recording needs)
//	"transaction":  {"type": "00", "amount": 1000, "amount_other": 0,
//	                 "time": RFC 3339, "sequence_counter": 0,
//	                 "services": false, "force_online": false,
//	                 "ec_balance": false}; the time is
//	                both the transaction's and the terminal clock's
//	"unpredictable_number": hex; the random source gives these bytes first,
//	                so the kernel's 9F37 is the recording's where a signature
//	                covers it (DDA in another terminal's recording)
//	"random":       hex; every byte the random source gave when the session
//	                was recorded (unpredictable number, random transaction
//	                selection, PIN block padding), given in the same order,
//	                then zeros
//	"pin":          what the PIN pad answered, prompt by prompt: a PIN token
//	                (PINEntered, PINWrong, PINBypass, PINTimeout, PINBroken,
//	                PINCancel) or a test card's reference PIN; once used up,
//	                PIN entry is bypassed. Absent: no PIN pad.
//	"host":         the issuer's answer {"approved", "arc", "issuer_auth_data",
//	                "scripts"}; absent: the terminal is unable to go online
//	"transaction_log": the terminal's log of approved transactions
//	                [{"pan": digits, "date": "YYMMDD", "amount": minor units}];
//	                the kernel gets the most recent one with the card's PAN
//	"exception_file": the PANs (digits) on the terminal exception file
//	"choose":       the applications the cardholder picks, by name, in order;
//	                "confirm": the cardholder's answer to a confirmation.
//	                Both absent: no cardholder selection (Terminal.Selector nil)
//	"added_exchanges": answers the recording lacks because its terminal never
//	                asked; each says why. A replay gives them after the
//	                recorded ones; the file's exchanges stay as recorded.
//	"expect":       what the replay must show (Expectation)
//
// # The PIN
//
// A recording never holds a cardholder's PIN. A replay does not need it:
// VERIFY data is redacted in the file and never compared ([apdu.Replay]),
// and the card's answer is the recorded one. A PIN typed is written
// [PINEntered] ([RecordAnswers] keeps tokens only), a test card's
// reference PIN included. A "pin" entry that is no token is typed as
// given, for a hand-written recording of a test card; no recording of
// this repository holds one.
type Recording struct {
	Terminal            json.RawMessage     `json:"terminal"`
	Transaction         RecordedTransaction `json:"transaction"`
	UnpredictableNumber string              `json:"unpredictable_number,omitempty"`
	Random              string              `json:"random,omitempty"`
	PIN                 []string            `json:"pin,omitempty"`
	Host                *RecordedHost       `json:"host,omitempty"`
	TransactionLog      []LoggedTransaction `json:"transaction_log,omitempty"`
	ExceptionFile       []string            `json:"exception_file,omitempty"`
	Choose              []string            `json:"choose,omitempty"`
	Confirm             *bool               `json:"confirm,omitempty"`
	AddedExchanges      []AddedExchange     `json:"added_exchanges,omitempty"`
	Expect              Expectation         `json:"expect"`
}

// RecordedTransaction is the [Transaction] of a [Recording]; Type is two
// hex digits (9C).
type RecordedTransaction struct {
	Type            string    `json:"type"`
	Amount          uint64    `json:"amount"`
	AmountOther     uint64    `json:"amount_other,omitempty"`
	Time            time.Time `json:"time"`
	SequenceCounter uint32    `json:"sequence_counter,omitempty"`
	Services        bool      `json:"services,omitempty"`
	ForceOnline     bool      `json:"force_online,omitempty"`
	ECBalance       bool      `json:"ec_balance,omitempty"`
}

// RecordedHost is the issuer's [OnlineResponse] of a [Recording], hex.
type RecordedHost struct {
	Approved       bool   `json:"approved"`
	ARC            string `json:"arc"`
	IssuerAuthData string `json:"issuer_auth_data,omitempty"`
	Scripts        string `json:"scripts,omitempty"`
}

// LoggedTransaction is one entry of the terminal's transaction log in a
// [Recording] (Book 3 §10.6.1).
type LoggedTransaction struct {
	PAN    string `json:"pan"`  // digits
	Date   string `json:"date"` // YYMMDD
	Amount uint64 `json:"amount"`
}

// AddedExchange is an answer a recording lacks because its terminal never
// asked for it (a contactless reader selects 2PAY.SYS.DDF01, never
// 1PAY.SYS.DDF01); Note says why. Hex.
type AddedExchange struct {
	Command  string `json:"command"`
	Response string `json:"response"`
	Note     string `json:"note"`
}

// Expectation is what a replay must show: the selected AID, the commands
// in the form of [Trace.Compact], the outcome, the ODA method, TVR, TSI,
// CVM Results (hex), the CID of the last GENERATE AC, the advice flag and
// the Issuer Script Results (these three only where given), the candidate
// lists the cardholder was offered, and for a transaction that stops, the
// step and the reason. Unused, Unrecorded, Exact and Divergence describe
// a recording made by another terminal; [Recording.Check] leaves them to
// the caller, who holds the replay.
type Expectation struct {
	AID        string               `json:"aid"`
	Commands   string               `json:"commands"`
	Outcome    string               `json:"outcome"`
	ODA        string               `json:"oda"`
	TVR        string               `json:"tvr"`
	TSI        string               `json:"tsi"`
	CVMResults string               `json:"cvm_results"`
	CID        string               `json:"cid,omitempty"`
	Advice     *bool                `json:"advice,omitempty"`
	Scripts    string               `json:"script_results,omitempty"`
	Unused     int                  `json:"unused"`
	Offered    [][]string           `json:"offered,omitempty"`
	Terminated *ExpectedTermination `json:"terminated,omitempty"`
	// Unrecorded is the hex of the first command the recording has no
	// answer for (a prefix: the header, or the header and the DF name).
	Unrecorded string `json:"unrecorded,omitempty"`
	// Exact says the recorded commands are byte for byte what a terminal
	// must send (the source asserts them): every command the kernel sent
	// that the recording answers is the recorded command exactly, in the
	// recording's order.
	Exact bool `json:"exact,omitempty"`
	// Divergence, when set, says where the source asserts another outcome
	// than the kernel's and why; the other fields then hold the kernel's.
	Divergence string `json:"divergence,omitempty"`
}

// ExpectedTermination is an expected termination: the [Step]'s name and the reason,
// one of [TerminationReasons]' names.
type ExpectedTermination struct {
	Step   string `json:"step"`
	Reason string `json:"reason"`
}

// PIN pad tokens of [Recording].PIN: what the PIN pad answered instead of
// a PIN's digits.
const (
	// PINEntered: the cardholder entered a PIN, not recorded. A replay
	// types a stand-in; the card's answer is the recorded one.
	PINEntered = "entered"
	// PINWrong: a PIN that is not the test card's (a replay types 9999).
	PINWrong = "wrong"
	// PINBypass: PIN entry bypassed ([cvm.ErrPINBypassed]).
	PINBypass = "bypass"
	// PINTimeout: PIN entry timed out ([cvm.ErrPINTimeout]).
	PINTimeout = "timeout"
	// PINBroken: the PIN pad did not work ([cvm.ErrPINPadNotWorking]).
	PINBroken = "broken"
	// PINCancel: PIN entry cancelled ([cvm.ErrPINCancelled]).
	PINCancel = "cancel"
)

// PINToken returns the token for what a PIN pad returned: [PINEntered]
// for a PIN (err nil), the token of a cvm error, and [PINBroken] for any
// other failure (the kernel treats it as a PIN pad not working).
func PINToken(err error) string {
	switch {
	case err == nil:
		return PINEntered
	case errors.Is(err, cvm.ErrPINBypassed):
		return PINBypass
	case errors.Is(err, cvm.ErrPINTimeout):
		return PINTimeout
	case errors.Is(err, cvm.ErrPINCancelled):
		return PINCancel
	}
	return PINBroken
}

// TerminationReasons names the causes an expected termination gives as
// its reason, in the order a termination is matched against them
// (errors.Is): the first that matches names it.
var TerminationReasons = []struct {
	Name string
	Err  error
}{
	{"card removed", apdu.ErrCardRemoved},
	{"not accepted", ErrNotAccepted},
	{"card blocked", ErrCardBlocked},
	{"missing data", ErrMissingData},
	{"duplicate data", ErrDuplicateData},
	{"card data", ErrCardData},
	{"card refused", ErrCardRefused},
	{"cancelled", ErrCancelled},
	{"PIN entry cancelled", cvm.ErrPINCancelled},
	{"transaction", ErrTransaction},
	{"replay exhausted", apdu.ErrReplayExhausted},
	{"replay mismatch", apdu.ErrReplayMismatch},
}

func terminationReason(name string) (error, bool) {
	for _, r := range TerminationReasons {
		if r.Name == name {
			return r.Err, true
		}
	}
	return nil, false
}

// Answers is what the terminal's people and systems answered during a
// transaction, for [NewRecording].
type Answers struct {
	// PIN is the PIN pad's answers, prompt by prompt, as tokens
	// ([PINToken]), never a PIN. Nil: no PIN pad.
	PIN []string
	// Host is the issuer's answer; nil when there was none.
	Host *OnlineResponse
	// Selector reports a cardholder who could choose; Chosen are the names
	// ([Candidate.Name]) they picked, Confirm their answer to
	// confirmations, Offered the lists they were offered (a confirmation
	// as ["confirm NAME"]).
	Selector bool
	Chosen   []string
	Confirm  bool
	Offered  [][]string
	// Random is every byte the configuration's random source gave, in
	// order.
	Random []byte
	// TransactionLog is what the terminal's log answered; ExceptionFile
	// the PANs (digits) found on the exception file.
	TransactionLog []LoggedTransaction
	ExceptionFile  []string
}

// AnswerLog keeps what a terminal's seams answered during one
// transaction, for [NewRecording]: every random byte drawn, the issuer's
// answer, the PIN pad's answers as tokens ([PINToken], never a PIN), the
// cardholder's choices and the candidate lists offered, what the
// transaction log answered and the PANs found on the exception file.
// [RecordAnswers] makes one; it is not safe for concurrent use.
type AnswerLog struct {
	cfg    *Config // the recording copy: its clock dates the transaction log's answers
	random []byte
	// hostMu guards host: a Host that ignores its context answers on its
	// own goroutine, possibly after Run has returned (ErrHostAbandoned).
	hostMu    sync.Mutex
	host      *OnlineResponse
	pad       bool
	pin       []string
	selector  bool
	chosen    []string
	confirm   bool
	offered   [][]string
	txLog     []LoggedTransaction
	exception []string
}

// RecordAnswers returns copies of cfg and term whose random source (Rand,
// crypto/rand.Reader when nil), Host, PINPad, Selector, TransactionLog and
// ExceptionFile pass every call through to cfg's and term's and keep what
// they answered in the returned [AnswerLog]. Seams that are nil stay nil;
// a nil term gives an empty Terminal. Run the transaction with the copies,
// then give [AnswerLog.Answers] and the original cfg to NewRecording.
//
// The clock is not recorded: a recording has one time, the transaction's
// (Recording.Transaction.Time), which a replay gives the kernel as both, so
// the caller sets cfg.Time to return it (or the copy's Time, before the
// run). A transaction log's answer is dated with that clock.
func RecordAnswers(cfg *Config, term *Terminal) (*Config, *Terminal, *AnswerLog) {
	l := &AnswerLog{}
	rc := *cfg
	rc.Rand = &randomLog{r: cfg.rand(), l: l}
	l.cfg = &rc
	rt := &Terminal{}
	if term != nil {
		*rt = *term
	}
	if rt.Host != nil {
		rt.Host = hostLog{h: rt.Host, l: l}
	}
	if rt.PINPad != nil {
		l.pad = true
		rt.PINPad = pinPadLog{p: rt.PINPad, l: l}
	}
	if rt.Selector != nil {
		l.selector = true
		rt.Selector = selectorLog{s: rt.Selector, l: l}
	}
	if rt.TransactionLog != nil {
		rt.TransactionLog = transactionLogLog{t: rt.TransactionLog, l: l}
	}
	if onFile := rt.ExceptionFile; onFile != nil {
		rt.ExceptionFile = func(pan, psn []byte) bool {
			on := onFile(pan, psn)
			if on {
				l.exception = append(l.exception, tlv.Digits(pan))
			}
			return on
		}
	}
	return &rc, rt, l
}

// Answers returns what the seams answered so far, for [NewRecording]: PIN
// is nil when the terminal has no PIN pad and empty when it was never
// asked; Host is the last answer the issuer gave without an error; Confirm
// is the cardholder's last answer to a confirmation (false when never
// asked). The slices are copies.
func (l *AnswerLog) Answers() Answers {
	a := Answers{
		Random:         slices.Clone(l.random),
		Selector:       l.selector,
		Chosen:         slices.Clone(l.chosen),
		Confirm:        l.confirm,
		TransactionLog: slices.Clone(l.txLog),
		ExceptionFile:  slices.Clone(l.exception),
	}
	if l.pad {
		a.PIN = append([]string{}, l.pin...)
	}
	l.hostMu.Lock()
	if l.host != nil {
		h := *l.host
		a.Host = &h
	}
	l.hostMu.Unlock()
	for _, o := range l.offered {
		a.Offered = append(a.Offered, slices.Clone(o))
	}
	return a
}

// randomLog keeps every byte a random source gives.
type randomLog struct {
	r io.Reader
	l *AnswerLog
}

func (r *randomLog) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.l.random = append(r.l.random, p[:n]...)
	return n, err
}

// hostLog keeps the issuer's answer. An answer that comes after its
// context ended is not kept: the kernel stopped waiting for it and ended
// the transaction without it ([ErrHostAbandoned]), so a replay must not
// have it either. The Host may answer on a goroutine of its own after Run
// has returned; hostMu orders that write with Answers.
type hostLog struct {
	h Host
	l *AnswerLog
}

func (h hostLog) Authorise(ctx context.Context, req *OnlineRequest) (*OnlineResponse, error) {
	r, err := h.h.Authorise(ctx, req)
	if err == nil && ctx.Err() == nil {
		h.l.hostMu.Lock()
		h.l.host = r
		h.l.hostMu.Unlock()
	}
	return r, err
}

// pinPadLog keeps what the PIN pad answered, prompt by prompt, as tokens
// (PINToken): never the PIN.
type pinPadLog struct {
	p cvm.PINPad
	l *AnswerLog
}

func (p pinPadLog) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	pin, err := p.p.EnterOfflinePIN(ctx, req)
	p.l.pin = append(p.l.pin, PINToken(err))
	return pin, err
}

func (p pinPadLog) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	b, err := p.p.EnterOnlinePIN(ctx, req)
	p.l.pin = append(p.l.pin, PINToken(err))
	return b, err
}

// selectorLog keeps what the cardholder chose, by name, their answers to
// confirmations and the lists offered, as namedSelector does.
type selectorLog struct {
	s Selector
	l *AnswerLog
}

func (s selectorLog) Choose(ctx context.Context, c []Candidate) (int, error) {
	names := candidateNames(c)
	s.l.offered = append(s.l.offered, names)
	i, err := s.s.Choose(ctx, c)
	if err == nil && i >= 0 && i < len(c) {
		s.l.chosen = append(s.l.chosen, names[i])
	}
	return i, err
}

func (s selectorLog) Confirm(ctx context.Context, c Candidate) (bool, error) {
	s.l.offered = append(s.l.offered, []string{"confirm " + c.Name()})
	ok, err := s.s.Confirm(ctx, c)
	if err == nil {
		s.l.confirm = ok
	}
	return ok, err
}

// candidateNames is a candidate list as a recording writes it
// ([Candidate.Name]).
func candidateNames(c []Candidate) []string {
	names := make([]string, len(c))
	for i, x := range c {
		names[i] = x.Name()
	}
	return names
}

// transactionLogLog keeps what the transaction log answered, dated with
// the recording configuration's clock.
type transactionLogLog struct {
	t TransactionLog
	l *AnswerLog
}

func (t transactionLogLog) RecentAmount(pan, psn []byte) (uint64, bool) {
	a, ok := t.t.RecentAmount(pan, psn)
	if ok {
		t.l.txLog = append(t.l.txLog, LoggedTransaction{PAN: tlv.Digits(pan), Date: t.l.cfg.now().Format("060102"), Amount: a})
	}
	return a, ok
}

// NewRecording builds the kernel object of the session of a transaction
// that ran: cfg (written in the format of ParseConfig), txn (its time,
// or cfg's clock when zero), what the terminal answered, and, as Expect,
// what the kernel showed in res and runErr. runErr must be nil or a
// [*TerminatedError] whose cause is one of [TerminationReasons].
func NewRecording(cfg *Config, txn Transaction, res *Result, runErr error, a Answers) (*Recording, error) {
	if res == nil {
		return nil, errors.New("emv: recording: no result")
	}
	term, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("emv: recording: terminal: %w", err)
	}
	at := txn.Time
	if at.IsZero() {
		at = cfg.now()
	}
	r := &Recording{
		Terminal: term,
		Transaction: RecordedTransaction{Type: fmt.Sprintf("%02X", byte(txn.Type)), Amount: txn.Amount, AmountOther: txn.AmountOther,
			Time: at, SequenceCounter: txn.SequenceCounter, Services: txn.Services, ForceOnline: txn.ForceOnline, ECBalance: txn.ECBalance},
		Random:         hexUpper(a.Random),
		PIN:            a.PIN,
		TransactionLog: a.TransactionLog,
		ExceptionFile:  a.ExceptionFile,
	}
	if a.PIN != nil && len(a.PIN) == 0 {
		r.PIN = []string{PINBypass} // a PIN pad never asked: an empty list would read as none
	}
	if h := a.Host; h != nil {
		r.Host = &RecordedHost{Approved: h.Approved, ARC: h.ARC, IssuerAuthData: hexUpper(h.IssuerAuthData), Scripts: hexUpper(h.Scripts)}
	}
	if a.Selector {
		r.Choose = a.Chosen
		if r.Choose == nil {
			r.Choose = []string{}
		}
		r.Confirm = &a.Confirm
	}
	if r.Expect, err = expectationOf(res, runErr, a.Offered); err != nil {
		return nil, err
	}
	return r, nil
}

// hexUpper is b in upper-case hex, as %X prints it, in one allocation.
func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	var sb strings.Builder
	sb.Grow(2 * len(b))
	for _, c := range b {
		sb.WriteByte(digits[c>>4])
		sb.WriteByte(digits[c&0x0F])
	}
	return sb.String()
}

// expectationOf is what a run showed, in the form of an Expectation.
func expectationOf(res *Result, runErr error, offered [][]string) (Expectation, error) {
	advice := res.Advice
	e := Expectation{
		AID: hexUpper(res.AID), Commands: res.Trace.Compact(), Outcome: res.Outcome.String(), ODA: res.ODA.String(),
		TVR: hexUpper(res.TVR[:]), TSI: hexUpper(res.TSI[:]), CVMResults: hexUpper(res.CVMResults[:]),
		CID: hexUpper([]byte{res.CID}), Advice: &advice, Scripts: hexUpper(res.ScriptResults), Offered: offered,
	}
	if runErr == nil {
		return e, nil
	}
	var te *TerminatedError
	if !errors.As(runErr, &te) {
		return e, fmt.Errorf("emv: recording: the transaction did not end with a termination: %w", runErr)
	}
	e.Terminated = &ExpectedTermination{Step: te.Step.String()}
	for _, r := range TerminationReasons {
		if errors.Is(runErr, r.Err) {
			e.Terminated.Reason = r.Name
			return e, nil
		}
	}
	return e, fmt.Errorf("emv: recording: no termination reason names %w", runErr)
}

// ReadRecording decodes a session's kernel object strictly: unknown keys
// are an error.
func ReadRecording(kernel json.RawMessage) (*Recording, error) {
	if r, ok := readRecordingFast(kernel); ok {
		return r, nil
	}
	return readRecordingSlow(kernel)
}

// readRecordingSlow decodes a kernel object with encoding/json, which names
// what is wrong; ReadRecording uses it for an object readRecordingFast does
// not take on.
func readRecordingSlow(kernel json.RawMessage) (*Recording, error) {
	var r Recording
	dec := json.NewDecoder(bytes.NewReader(kernel))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("emv: recording: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("emv: recording: data after the kernel object")
	}
	return &r, nil
}

// Replayed is what a replay of a [Recording] showed.
type Replayed struct {
	Result *Result
	// Err is what [Run] returned.
	Err error
	// Offered are the candidate lists the cardholder was offered (a
	// confirmation as ["confirm NAME"]); Selector reports that the
	// recording has a cardholder.
	Offered  [][]string
	Selector bool
}

// setup builds what the recording says the kernel runs with: the
// configuration with the recorded clock and random bytes, the transaction,
// and the terminal's PIN pad, host, cardholder, transaction log and
// exception file, answering as recorded. sel, when not nil, keeps the
// candidate lists offered.
func (r *Recording) setup() (cfg *Config, txn Transaction, term *Terminal, sel *namedSelector, err error) {
	cfg, err = recordedConfigs.parse(r.Terminal)
	if err != nil {
		return nil, txn, nil, nil, fmt.Errorf("emv: recording: terminal: %w", err)
	}
	un, err1 := hex.DecodeString(r.UnpredictableNumber)
	rnd, err2 := hex.DecodeString(r.Random)
	if err := errors.Join(err1, err2); err != nil {
		return nil, txn, nil, nil, fmt.Errorf("emv: recording: random bytes: %w", err)
	}
	cfg.Rand = io.MultiReader(bytes.NewReader(un), bytes.NewReader(rnd), zeros{})
	at := r.Transaction.Time
	cfg.Time = func() time.Time { return at }

	typ, err := ParseTransactionType(r.Transaction.Type)
	if err != nil {
		return nil, txn, nil, nil, fmt.Errorf("emv: recording: %w", err)
	}
	txn = Transaction{Type: typ, Amount: r.Transaction.Amount, AmountOther: r.Transaction.AmountOther,
		Time: at, SequenceCounter: r.Transaction.SequenceCounter,
		Services: r.Transaction.Services, ForceOnline: r.Transaction.ForceOnline, ECBalance: r.Transaction.ECBalance}

	term = &Terminal{}
	if r.PIN != nil {
		term.PINPad = &tokenPINPad{answers: slices.Clone(r.PIN)}
	}
	if h := r.Host; h != nil {
		iad, err1 := hex.DecodeString(h.IssuerAuthData)
		scripts, err2 := hex.DecodeString(h.Scripts)
		if err := errors.Join(err1, err2); err != nil {
			return nil, txn, nil, nil, fmt.Errorf("emv: recording: host: %w", err)
		}
		term.Host = recordedHost{&OnlineResponse{Approved: h.Approved, ARC: h.ARC, IssuerAuthData: iad, Scripts: scripts}}
	}
	if r.TransactionLog != nil {
		term.TransactionLog = recordedLog(slices.Clone(r.TransactionLog))
	}
	if r.ExceptionFile != nil {
		pans := slices.Clone(r.ExceptionFile)
		term.ExceptionFile = func(pan, psn []byte) bool { return slices.Contains(pans, tlv.Digits(pan)) }
	}
	if r.Choose != nil || r.Confirm != nil {
		sel = &namedSelector{picks: slices.Clone(r.Choose), confirm: r.Confirm != nil && *r.Confirm}
		term.Selector = sel
	}
	return cfg, txn, term, sel, nil
}

// configCache keeps the configurations parsed last: a corpus of recorded
// sessions repeats a few terminals (the same CA keys, whose checks made
// parsing them a fifth of a replay), and a Config is never changed by the
// kernel, so one parse serves them all. Each caller gets its own copy of
// the Config (setup sets its clock and random source); the slices and the
// key store inside are shared and only read (a KeyStore is safe for
// concurrent reads). Only configurations that parsed are kept, at most
// maxCachedConfigs of them: when it is full the cache starts again.
type configCache struct {
	mu   sync.Mutex
	cfgs map[string]*Config // by the configuration's JSON
}

const maxCachedConfigs = 64

var recordedConfigs configCache

// parse returns ParseConfig(data), from the cache when data was parsed
// before.
func (c *configCache) parse(data []byte) (*Config, error) {
	c.mu.Lock()
	if kept, ok := c.cfgs[string(data)]; ok {
		cfg := *kept
		c.mu.Unlock()
		return &cfg, nil
	}
	c.mu.Unlock()
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, err
	}
	kept := *cfg
	c.mu.Lock()
	if c.cfgs == nil || len(c.cfgs) >= maxCachedConfigs {
		c.cfgs = make(map[string]*Config, maxCachedConfigs)
	}
	c.cfgs[string(data)] = &kept
	c.mu.Unlock()
	return cfg, nil
}

// Replay runs the recorded transaction with card, which answers from the
// recorded exchanges (an [apdu.Replay] of the session, strict for a
// recording of this kernel). The error is for a recording that cannot be
// run (its configuration, transaction or hex is invalid): nothing was
// sent. What the kernel returned is in Replayed.Err.
func (r *Recording) Replay(ctx context.Context, card apdu.Transceiver) (*Replayed, error) {
	cfg, txn, term, sel, err := r.setup()
	if err != nil {
		return nil, err
	}
	res, runErr := Run(ctx, card, cfg, txn, term)
	if res == nil {
		return nil, runErr
	}
	p := &Replayed{Result: res, Err: runErr}
	if sel != nil {
		p.Selector, p.Offered = true, sel.offered
	}
	return p, nil
}

// MismatchError lists where a replay differs from the [Expectation].
type MismatchError struct {
	Mismatches []Mismatch
}

// Mismatch is one value a replay showed that differs from the expected one.
type Mismatch struct {
	What      string // "TVR", "commands", ...
	Want, Got string
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	b.WriteString("emv: replay differs from the recording:")
	for _, m := range e.Mismatches {
		fmt.Fprintf(&b, "\n\t%s: want %s, got %s", m.What, m.Want, m.Got)
	}
	return b.String()
}

// Check compares what a replay ([Recording.Replay]) showed with r.Expect: every field, but the
// CID, advice and script results only where given. It returns nil or a
// [*MismatchError] naming each value that differs.
func (r *Recording) Check(p *Replayed) error {
	e := &r.Expect
	res := p.Result
	var ms []Mismatch
	cmp := func(what, want, got string) {
		if want != got {
			ms = append(ms, Mismatch{What: what, Want: want, Got: got})
		}
	}
	cmp("selected AID", e.AID, hexUpper(res.AID))
	cmp("commands sent", e.Commands, res.Trace.Compact())
	cmp("outcome", e.Outcome, res.Outcome.String())
	cmp("offline data authentication method", e.ODA, res.ODA.String())
	cmp("TVR", e.TVR, hexUpper(res.TVR[:]))
	cmp("TSI", e.TSI, hexUpper(res.TSI[:]))
	cmp("CVM Results", e.CVMResults, hexUpper(res.CVMResults[:]))
	if e.CID != "" {
		cmp("CID of the last GENERATE AC", e.CID, hexUpper([]byte{res.CID}))
	}
	if e.Advice != nil {
		cmp("advice", fmt.Sprint(*e.Advice), fmt.Sprint(res.Advice))
	}
	if e.Scripts != "" {
		cmp("Issuer Script Results 9F5B", e.Scripts, hexUpper(res.ScriptResults))
	}
	switch {
	case e.Offered != nil && !p.Selector:
		ms = append(ms, Mismatch{What: "candidate lists offered", Want: fmt.Sprintf("%q", e.Offered), Got: "no cardholder in the recording"})
	case p.Selector && !slices.EqualFunc(e.Offered, p.Offered, slices.Equal):
		ms = append(ms, Mismatch{What: "candidate lists offered", Want: fmt.Sprintf("%q", e.Offered), Got: fmt.Sprintf("%q", p.Offered)})
	}
	ms = append(ms, checkTermination(e.Terminated, res, p.Err)...)
	if len(ms) > 0 {
		return &MismatchError{Mismatches: ms}
	}
	return nil
}

// checkTermination compares how the transaction ended with the expected
// termination, if any.
func checkTermination(want *ExpectedTermination, res *Result, runErr error) []Mismatch {
	var te *TerminatedError
	isTerminated := errors.As(runErr, &te)
	switch {
	case want == nil && runErr == nil && res.Terminated == nil:
		return nil
	case want == nil:
		return []Mismatch{{What: "termination", Want: "none", Got: fmt.Sprint(runErr)}}
	case !isTerminated:
		return []Mismatch{{What: "termination", Want: want.Step + " (" + want.Reason + ")", Got: fmt.Sprint(runErr)}}
	}
	var ms []Mismatch
	if want.Step != te.Step.String() {
		ms = append(ms, Mismatch{What: "step the transaction stopped in", Want: want.Step, Got: te.Step.String()})
	}
	reason, ok := terminationReason(want.Reason)
	switch {
	case !ok:
		ms = append(ms, Mismatch{What: "termination reason", Want: fmt.Sprintf("%q (not a reason of TerminationReasons)", want.Reason), Got: runErr.Error()})
	case !errors.Is(runErr, reason):
		ms = append(ms, Mismatch{What: "termination reason", Want: want.Reason, Got: runErr.Error()})
	}
	if res.Terminated != te {
		ms = append(ms, Mismatch{What: "Result.Terminated", Want: "the returned error", Got: fmt.Sprint(res.Terminated)})
	}
	return ms
}

// tokenPINPad answers each PIN prompt with the next recorded answer; once
// they are used up, PIN entry is bypassed.
type tokenPINPad struct{ answers []string }

// stand-in PINs a replay types: VERIFY data is never compared, the card's
// answer is the recorded one.
const (
	standInPIN = "0000"
	wrongPIN   = "9999"
)

func (p *tokenPINPad) next() (string, error) {
	if len(p.answers) == 0 {
		return "", cvm.ErrPINBypassed
	}
	s := p.answers[0]
	p.answers = p.answers[1:]
	switch s {
	case PINBypass:
		return "", cvm.ErrPINBypassed
	case PINTimeout:
		return "", cvm.ErrPINTimeout
	case PINBroken:
		return "", cvm.ErrPINPadNotWorking
	case PINCancel:
		return "", cvm.ErrPINCancelled
	case PINWrong:
		return wrongPIN, nil
	case PINEntered:
		return standInPIN, nil
	}
	return s, nil
}

func (p *tokenPINPad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	s, err := p.next()
	if err != nil {
		return cvm.PIN{}, err
	}
	return cvm.NewPIN([]byte(s))
}

// onlinePINBlock is the stand-in block of an online PIN: it goes to the
// host, whose answer is the recorded one.
var onlinePINBlock = []byte{0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67}

func (p *tokenPINPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	if _, err := p.next(); err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	return cvm.NewOnlinePINBlock(cvm.Format0, onlinePINBlock, nil), nil
}

// recordedHost answers every authorisation with the recorded answer.
type recordedHost struct{ resp *OnlineResponse }

func (h recordedHost) Authorise(context.Context, *OnlineRequest) (*OnlineResponse, error) {
	r := *h.resp
	return &r, nil
}

// recordedLog is a transaction log given in a recording.
type recordedLog []LoggedTransaction

// RecentAmount returns the amount of the latest logged transaction with
// the card's PAN (the PAN sequence number is not compared: the logs of
// the sources hold it, the cards of the sessions do not).
func (l recordedLog) RecentAmount(pan, psn []byte) (uint64, bool) {
	digits := tlv.Digits(pan)
	best := -1
	for i, x := range l {
		if x.PAN == digits && (best < 0 || x.Date > l[best].Date) {
			best = i
		}
	}
	if best < 0 {
		return 0, false
	}
	return l[best].Amount, true
}

// namedSelector is a cardholder who picks applications by name, in the
// order recorded, and answers confirmations as recorded. It keeps every
// candidate list offered.
type namedSelector struct {
	picks   []string
	confirm bool
	offered [][]string
}

func (s *namedSelector) Choose(ctx context.Context, c []Candidate) (int, error) {
	names := candidateNames(c)
	s.offered = append(s.offered, names)
	if len(s.picks) == 0 {
		return 0, ErrCancelled
	}
	p := s.picks[0]
	s.picks = s.picks[1:]
	if i := slices.Index(names, p); i >= 0 {
		return i, nil
	}
	return 0, fmt.Errorf("emv: recording: %q is not among the candidates %q", p, names)
}

func (s *namedSelector) Confirm(ctx context.Context, c Candidate) (bool, error) {
	s.offered = append(s.offered, []string{"confirm " + c.Name()})
	return s.confirm, nil
}

// zeros is a random source of zero bytes, after the recorded ones.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
