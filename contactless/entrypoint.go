package contactless

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emvkit/emvkit/apdu"
)

// Bounds of one run of the Entry Point ([EntryPoint.Run] or
// [EntryPoint.Restart]). Every loop the card or the cardholder drives ends.
const (
	// MaxRestarts bounds the restarts of one run: Select Next, Try Again
	// and the returns to protocol activation after the card was lost during
	// combination selection. One more ends the run with End Application
	// and [ErrTooManyRestarts].
	MaxRestarts = 8
	// MaxPolls bounds the polls of one protocol activation; a collision
	// that outlasts them ends the run with an error wrapping
	// [ErrCollision].
	MaxPolls = 16
	// MaxExchanges bounds the commands sent to cards in one run; the
	// command after it fails with [ErrTooManyCommands] without being sent.
	MaxExchanges = 512
	// MaxOnlineResponse bounds the online response data a Restart takes:
	// 8A and 91 (at most 16 bytes, Book 3 Annex A) and the issuer scripts,
	// which the contact kernel bounds at 1024 bytes (Book 3 §10.10); 2048
	// leaves room for the templates' headers. A longer response is refused
	// with [ErrOnlineResponseTooLong] before any command is sent.
	MaxOnlineResponse = 2048
)

var (
	// ErrTooManyRestarts reports a run that restarted more than
	// [MaxRestarts] times.
	ErrTooManyRestarts = errors.New("contactless: too many restarts")
	// ErrTooManyCommands reports a run that sent [MaxExchanges] commands.
	ErrTooManyCommands = errors.New("contactless: too many commands to the card")
	// ErrNoRestart reports a call of [EntryPoint.Restart] for an outcome
	// whose Start is neither B nor D.
	ErrNoRestart = errors.New("contactless: the outcome asks for no restart")
	// ErrOnlineResponseTooLong reports a Restart given more than
	// [MaxOnlineResponse] bytes of online response data.
	ErrOnlineResponseTooLong = errors.New("contactless: online response too long")
)

// EntryPoint is a contactless reader's Entry Point (Book A §3, Book B):
// its configuration, the kernels it has, and its display. It holds no
// state between transactions; one EntryPoint may run transactions on
// several goroutines at once.
type EntryPoint struct {
	// Config is the reader's configuration. Required; see
	// [Config.Validate].
	Config *Config
	// Kernels are the kernels the reader has, by Kernel ID. A combination
	// whose kernel is absent here is not supported (Book B §3.3.2.5).
	Kernels map[KernelID]Kernel
	// UI shows a User Interface Request to the cardholder (Book A §7.1).
	// It is called in order for every request of the Entry Point and of
	// the kernel, as they happen. Nil: requests are only recorded in the
	// Result.
	UI func(UIRequest)
}

// RestartCause says why the Entry Point restarted.
type RestartCause byte

// Restart causes.
const (
	// CauseSelectNext: the kernel's outcome was Select Next (Book B
	// §3.5.1.2); the Entry Point went on at Start C without the candidate.
	CauseSelectNext RestartCause = iota + 1
	// CauseTryAgain: the kernel's outcome was Try Again (Book B §3.5.1.3);
	// the Entry Point went on at Start B.
	CauseTryAgain
	// CauseKernelError: the kernel lost the card (Activate returned an
	// error); the Entry Point made it a Try Again (Book B §3.5.1.3).
	CauseKernelError
	// CauseCardLost: the card left, or the link failed, during combination
	// selection; the Entry Point polled again (Start B).
	CauseCardLost
	// CauseOnlineResponse: the terminal restarted the Entry Point with an
	// online response ([EntryPoint.Restart], Book A §5.4), at Start B or D.
	CauseOnlineResponse
)

var causeNames = map[RestartCause]string{
	CauseSelectNext: "Select Next", CauseTryAgain: "Try Again", CauseKernelError: "kernel error",
	CauseCardLost: "card lost during selection", CauseOnlineResponse: "online response",
}

// String names the cause: "Select Next".
func (c RestartCause) String() string { return name(causeNames, c) }

// MarshalText encodes the name, for JSON.
func (c RestartCause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Restart is one restart the Entry Point took.
type Restart struct {
	// Start is where it restarted: B, C or D.
	Start Start
	Cause RestartCause
	// Err is the error that caused it (CauseKernelError, CauseCardLost);
	// nil otherwise.
	Err error
}

// String describes the restart: "Start B (Try Again)".
func (r Restart) String() string {
	if r.Err != nil {
		return fmt.Sprintf("Start %s (%s: %v)", r.Start, r.Cause, r.Err)
	}
	return fmt.Sprintf("Start %s (%s)", r.Start, r.Cause)
}

// Result is what one run of the Entry Point did.
type Result struct {
	// Outcome is the final outcome: the kernel's, or the Entry Point's own
	// when no kernel ran (pre-processing, an empty Candidate List).
	Outcome *Outcome
	// Combination is the combination whose kernel gave the outcome; nil
	// when no kernel ran.
	Combination *Combination
	// Transaction is the transaction as the run used it (its Time set).
	Transaction Transaction
	// Preprocessing is the combinations in effect and their indicators
	// (Book B §3.1.1), as pre-processing at Start A left them.
	Preprocessing []Preprocessed
	// Candidates is the Candidate List of the last combination selection
	// (Book B §3.3.2), in the order of final selection, before any
	// candidate was removed.
	Candidates []Combination
	// UI is every User Interface Request of the run in order: the Entry
	// Point's, the kernel's (through [Activation.UI]) and the outcome's.
	UI []UIRequest
	// Restarts is every restart taken, in order.
	Restarts []Restart
	// Trace is every exchange with the cards, in order, VERIFY data
	// redacted; its String masks the PAN and track data.
	Trace Trace

	// For a restart at Start D: the card link and the final SELECT's FCI.
	card apdu.Transceiver
	fci  []byte
	ind  Indicators
}

// Trace is the exchanges of a run as the Entry Point and the kernel sent
// them (after the T=0 procedures), the data of VERIFY zeroed.
type Trace []apdu.TraceEntry

// String prints the trace one exchange per line, the PAN and track data
// masked ([apdu.MaskPAN]).
func (t Trace) String() string {
	var b bytes.Buffer
	for _, e := range t {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Run starts the Entry Point at Start A (Book A §5.2) for txn: it
// pre-processes, activates the card in field, selects a combination and
// activates its kernel, and processes the outcomes until one is final for
// the reader. An Online Request whose Start is B or D is final here: the
// terminal authorises online and calls [EntryPoint.Restart].
//
// The error is non-nil only when the run could not go on: ctx ended, the
// field failed, a collision outlasted [MaxPolls], or the run exceeded
// [MaxRestarts]. The Result is then what the run did until then (for too
// many restarts, with an End Application outcome). Whatever the card does
// is an outcome, not an error.
func (ep *EntryPoint) Run(ctx context.Context, field Field, txn *Transaction) (*Result, error) {
	if err := ep.check(); err != nil {
		return nil, err
	}
	if field == nil || txn == nil {
		return nil, errors.New("contactless: Run needs a field and a transaction")
	}
	r := ep.newRun(field)
	r.res.Transaction = *txn
	if r.res.Transaction.Time.IsZero() {
		r.res.Transaction.Time = r.now()
	}
	r.actStart = StartA
	r.res.Preprocessing = Preprocess(ep.Config, &r.res.Transaction)
	if allNotAllowed(r.res.Preprocessing) {
		// §3.1.1.13: no combination may serve the transaction.
		r.entryPointOutcome(preprocessingTryAnotherInterface())
		return r.done(nil)
	}
	return r.done(r.loop(ctx, StartA))
}

// Restart restarts the Entry Point after an online authorisation, when
// prev's outcome asks for it (its Start is B or D, Book A §5.4, Book B
// §3.5.1.4), and hands the kernel the issuer's response (BER-TLV: 8A, 91,
// 71, 72) in [Activation.OnlineResponse].
//
// At Start B the card is presented again: protocol activation shows the
// outcome's UI Request on Restart (or "Present Card"), the PPSE is
// selected again and, so that the response reaches the application that
// asked for it, only the combination of prev is a candidate (a card that
// no longer offers it ends with the empty Candidate List's outcome). At
// Start D the card has stayed in the field: the kernel is activated
// again on prev's card and combination, and field is not used. The
// pre-processing of prev is kept in both.
func (ep *EntryPoint) Restart(ctx context.Context, field Field, prev *Result, onlineResponse []byte) (*Result, error) {
	if err := ep.check(); err != nil {
		return nil, err
	}
	if prev == nil || prev.Outcome == nil || prev.Combination == nil {
		return nil, fmt.Errorf("%w: no previous outcome of a kernel", ErrNoRestart)
	}
	st := prev.Outcome.Parameters.Start
	if st != StartB && st != StartD {
		return nil, fmt.Errorf("%w: Start %s", ErrNoRestart, st)
	}
	if len(onlineResponse) > MaxOnlineResponse {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrOnlineResponseTooLong, len(onlineResponse), MaxOnlineResponse)
	}
	if st == StartB && field == nil {
		return nil, errors.New("contactless: Restart at Start B needs a field")
	}
	r := ep.newRun(field)
	r.res.Transaction = prev.Transaction
	r.res.Preprocessing = prev.Preprocessing
	r.online = append([]byte{}, onlineResponse...)
	r.restartFlag = true
	r.uiOnRestart = prev.Outcome.Parameters.UIRequestOnRestart
	r.actStart = st
	r.res.Restarts = append(r.res.Restarts, Restart{Start: st, Cause: CauseOnlineResponse})
	if st == StartD {
		if prev.card == nil {
			return nil, fmt.Errorf("%w: Start D needs the card of the previous run", ErrNoRestart)
		}
		r.attach(prev.card)
		c := *prev.Combination
		r.selected = &candidate{comb: c, ind: prev.ind}
		r.fci = prev.fci
		return r.done(r.loop(ctx, StartD))
	}
	r.only = prev.Combination
	return r.done(r.loop(ctx, StartB))
}

func (ep *EntryPoint) check() error {
	if ep.Config == nil {
		return errors.New("contactless: EntryPoint has no Config")
	}
	return ep.Config.Validate()
}

// run is the state of one run of the Entry Point, from a Start to the
// final outcome.
type run struct {
	ep    *EntryPoint
	cfg   *Config
	field Field
	res   *Result
	rec   *apdu.Recorder
	raw   apdu.Transceiver // the card link Poll gave, under the recorder
	uiMu  sync.Mutex

	actStart    Start      // the Start the next kernel activation reports
	restartFlag bool       // Book B's Restart flag: set by Try Again and online restarts
	uiOnRestart *UIRequest // the UI Request on Restart to show at protocol activation
	online      []byte     // the online response, for every kernel activation of a Restart
	only        *Combination

	cands    []candidate // the Candidate List as final selection consumes it
	selected *candidate
	fci      []byte
	restarts int
}

func (ep *EntryPoint) newRun(field Field) *run {
	return &run{ep: ep, cfg: ep.Config, field: field, res: &Result{}, rec: &apdu.Recorder{}}
}

// loop runs the Entry Point's stages from start until an outcome is final.
// Each stage returns the stage to go on with; StartNA ends the run.
func (r *run) loop(ctx context.Context, start Start) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		switch start {
		case StartA, StartB:
			start, err = r.protocolActivation(ctx)
		case StartC:
			start, err = r.finalSelection(ctx)
		case StartD:
			start, err = r.kernelActivation(ctx)
		default:
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// done fills the Result's trace and returns it with err.
func (r *run) done(err error) (*Result, error) {
	r.res.Trace = r.rec.Entries()
	return r.res, err
}

// protocolActivation is Book B §3.2: the UI request, polling for one card
// (a collision asks for one card only and polls again), then SELECT PPSE
// and the Candidate List (Book B §3.3.2), since only a card link tells a
// collision the reader saw late.
func (r *run) protocolActivation(ctx context.Context) (Start, error) {
	if r.field == nil {
		return StartNA, errors.New("contactless: protocol activation: a restart at Start D has no field to poll")
	}
	// §3.2.1.2: a restart shows the outcome's UI Request on Restart, if
	// it had one; otherwise "Present Card", Ready to Read.
	if r.restartFlag && r.uiOnRestart != nil {
		r.ui(*r.uiOnRestart)
	} else {
		r.ui(UIRequest{Message: MsgPresentCard, Status: UIReadyToRead})
	}
	r.uiOnRestart = nil
	for polls := 0; ; polls++ {
		if polls == MaxPolls {
			return StartNA, fmt.Errorf("contactless: protocol activation: %w after %d polls", ErrCollision, MaxPolls)
		}
		card, err := r.field.Poll(ctx)
		if errors.Is(err, ErrCollision) {
			r.collision()
			continue
		}
		if err != nil {
			return StartNA, fmt.Errorf("contactless: protocol activation: %w", err)
		}
		if card == nil {
			return StartNA, errors.New("contactless: protocol activation: the field gave no card")
		}
		r.attach(card)
		resp, err := r.exchange(ctx, apdu.Select(PPSEName, false))
		if errors.Is(err, ErrCollision) {
			r.collision()
			continue
		}
		if errors.Is(err, apdu.ErrResponseTooLong) {
			// An answer longer than a short APDU carries is not a
			// directory the Entry Point can read: the Candidate List is
			// empty (§3.3.2.2), the card is not lost.
			r.log().Info("contactless: PPSE answer refused", "err", err)
			err, resp = nil, apdu.Response{}
		}
		if err != nil {
			return r.cardLost(ctx, err)
		}
		r.buildCandidateList(resp)
		return StartC, nil
	}
}

// collision is Book B §3.2.1.3: more than one card answered; the
// cardholder is asked to present one card only (Message 19, Status
// Processing Error) and the field is polled again. No second request
// follows when the collision ends: the next message the cardholder sees is
// the next stage's.
func (r *run) collision() {
	r.ui(UIRequest{Message: MsgPresentOneCardOnly, Status: UIProcessingError})
}

// cardLost handles a card link that failed during combination selection
// (the card left the field): the Entry Point polls again at Start B, as a
// restart. The context ending is not a lost card.
func (r *run) cardLost(ctx context.Context, err error) (Start, error) {
	if ctx.Err() != nil || errors.Is(err, ErrTooManyCommands) {
		return StartNA, fmt.Errorf("contactless: combination selection: %w", err)
	}
	return r.restart(StartB, CauseCardLost, err)
}

// buildCandidateList reads the SELECT PPSE response (Book B §3.3.2): a
// status word other than 9000 or an FCI that cannot be read leaves the
// Candidate List empty (§3.3.2.2), as does a directory without an entry
// of a combination in effect.
func (r *run) buildCandidateList(resp apdu.Response) {
	r.cands = nil
	if resp.SW == apdu.SW(0x9000) {
		if entries, err := ParsePPSE(resp.Data); err == nil {
			r.cands = buildCandidates(entries, r.res.Preprocessing, r.has)
		} else {
			r.log().Info("contactless: PPSE not read", "err", err)
		}
	}
	if r.only != nil {
		// An online restart at Start B serves the combination that asked
		// for it, and no other.
		var keep []candidate
		for _, c := range r.cands {
			if c.comb.Kernel == r.only.Kernel && bytes.Equal(c.comb.AID, r.only.AID) {
				keep = append(keep, c)
				break
			}
		}
		r.cands = keep
	}
	r.res.Candidates = make([]Combination, len(r.cands))
	for i, c := range r.cands {
		r.res.Candidates[i] = c.comb
	}
}

func (r *run) has(k KernelID) bool { return r.ep.Kernels[k] != nil }

// finalSelection is Book B §3.3.3: the candidate of highest priority is
// selected; one whose SELECT answers other than 9000 is removed and the
// next is tried (§3.3.3.5). An empty Candidate List ends the run
// (§3.3.2.7).
func (r *run) finalSelection(ctx context.Context) (Start, error) {
	for len(r.cands) > 0 {
		c := r.cands[0]
		resp, err := r.exchange(ctx, apdu.Select(c.comb.AID, false))
		if errors.Is(err, apdu.ErrResponseTooLong) {
			// Over the short APDU bound: an answer other than 9000 with an
			// FCI (§3.3.3.5), not a lost card.
			r.log().Info("contactless: final SELECT answer refused", "err", err)
			err, resp = nil, apdu.Response{}
		}
		if err != nil {
			return r.cardLost(ctx, err)
		}
		if resp.SW != apdu.SW(0x9000) {
			r.log().Info("contactless: final SELECT refused", "aid", fmt.Sprintf("%X", c.comb.AID), "sw", resp.SW.String())
			r.cands = r.cands[1:]
			continue
		}
		r.selected = &c
		r.fci = append([]byte{}, resp.Data...)
		return StartD, nil
	}
	r.entryPointOutcome(emptyCandidateList())
	return StartNA, nil
}

// emptyCandidateList is the outcome of Book B §3.3.2.7 (and §3.3.3 when
// the last candidate is removed): no application of the card can be
// served contactless. End Application, asking the cardholder to insert,
// swipe or try another card (Message 1C, Status Ready to Read: the reader
// can read another card).
func emptyCandidateList() *Outcome {
	p := NewParameterSet(StatusEndApplication)
	p.UIRequestOnOutcome = &UIRequest{Message: MsgInsertSwipeOrTryAnother, Status: UIReadyToRead}
	return &Outcome{Parameters: p}
}

// kernelActivation is Book B §3.4: the kernel of the selected combination
// is activated with the FCI, the combination's indicators, the
// transaction and the terminal data; its outcome goes to outcome
// processing.
func (r *run) kernelActivation(ctx context.Context) (Start, error) {
	c := r.selected
	comb := c.comb
	txn := r.res.Transaction
	a := &Activation{
		Card:           link{r},
		Start:          r.actStart,
		Combination:    &comb,
		FCI:            r.fci,
		Indicators:     c.ind,
		Transaction:    &txn,
		TerminalData:   terminalData(r.cfg, comb.Config, &txn, &c.ind),
		OnlineResponse: r.online,
		CAKeys:         r.cfg.CAKeys,
		ExceptionFile:  r.cfg.ExceptionFile,
		UI:             r.ui,
		Time:           r.cfg.now,
		Rand:           r.cfg.rand(),
		Logger:         r.log(),
	}
	k := r.ep.Kernels[comb.Kernel]
	out, err := k.Activate(ctx, a)
	r.res.Combination = &comb
	r.res.card, r.res.fci, r.res.ind = r.raw, r.fci, c.ind
	if err != nil {
		if ctx.Err() != nil {
			return StartNA, fmt.Errorf("contactless: %s: %w", comb.Kernel, err)
		}
		// The kernel lost the card. The kernel books end a communication
		// error with the card in Try Again, "Present Card Again" on
		// restart (Book C-2's L1RSP handling, Book C-3's card-removed
		// case); the Entry Point gives that outcome on the kernel's
		// behalf and processes it as Book B §3.5.1.3 says: restart at
		// Start B.
		r.log().Info("contactless: kernel error", "kernel", comb.Kernel.String(), "err", err)
		return r.processOutcome(ctx, kernelLostCard(), err)
	}
	return r.processOutcome(ctx, out, nil)
}

// kernelLostCard is the Try Again the Entry Point gives for a kernel whose
// card link failed.
func kernelLostCard() *Outcome {
	p := NewParameterSet(StatusTryAgain)
	p.Start = StartB
	p.UIRequestOnRestart = &UIRequest{Message: MsgPresentCardAgain, Status: UIReadyToRead}
	return &Outcome{Parameters: p}
}

// processOutcome is Book B §3.5. kerr is the kernel's error when the
// Entry Point made the outcome for it.
func (r *run) processOutcome(ctx context.Context, out *Outcome, kerr error) (Start, error) {
	if out == nil {
		// A kernel that returns neither an outcome nor an error has ended
		// without one: End Application.
		out = &Outcome{Parameters: NewParameterSet(StatusEndApplication)}
	}
	p := &out.Parameters
	switch p.Status {
	case StatusApproved, StatusDeclined, StatusOnlineRequest, StatusEndApplication,
		StatusSelectNext, StatusTryAnotherInterface, StatusTryAgain:
	default:
		// An outcome Book A does not define (N/A, RFU) cannot be acted
		// on: the Entry Point ends the application, keeping the other
		// parameters (and so the UI requests) the kernel gave.
		r.log().Info("contactless: unknown outcome status", "status", p.Status.String())
		o := *out
		o.Parameters.Status = StatusEndApplication
		out, p = &o, &o.Parameters
	}
	// §3.5.1.1: the UI Request on Outcome is shown whatever the outcome.
	if p.UIRequestOnOutcome != nil {
		r.ui(*p.UIRequestOnOutcome)
	}
	// Book A §6.2: a Removal Timeout waits for the card to leave. (A
	// restart at Start D may have no field; then there is nothing to wait
	// for or to switch off.)
	if p.RemovalTimeout > 0 && r.field != nil {
		if err := r.field.WaitRemoval(ctx, time.Duration(p.RemovalTimeout)*100*time.Millisecond); err != nil {
			return StartNA, fmt.Errorf("contactless: waiting for card removal: %w", err)
		}
	}
	// §3.5.1.5: a Field Off Request turns the field off for its time
	// before anything else happens on the field.
	if p.FieldOffRequest != NoTime && r.field != nil {
		if err := r.field.Off(ctx, time.Duration(p.FieldOffRequest)*100*time.Millisecond); err != nil {
			return StartNA, fmt.Errorf("contactless: field off: %w", err)
		}
	}
	switch p.Status {
	case StatusSelectNext:
		// §3.5.1.2: the combination leaves the Candidate List and final
		// selection goes on at Start C.
		if len(r.cands) > 0 {
			r.cands = r.cands[1:]
		}
		r.actStart = StartC
		return r.restart(StartC, CauseSelectNext, nil)
	case StatusTryAgain:
		// §3.5.1.3: protocol activation again at Start B, with the
		// Restart flag and the UI Request on Restart.
		r.restartFlag = true
		r.uiOnRestart = p.UIRequestOnRestart
		r.actStart = StartB
		cause := CauseTryAgain
		if kerr != nil {
			cause = CauseKernelError
		}
		return r.restart(StartB, cause, kerr)
	}
	r.res.Outcome = out
	return StartNA, nil
}

// restart counts a restart and records it; past [MaxRestarts] it ends the
// run with End Application and [ErrTooManyRestarts].
func (r *run) restart(at Start, cause RestartCause, err error) (Start, error) {
	if r.restarts == MaxRestarts {
		r.res.Outcome = &Outcome{Parameters: NewParameterSet(StatusEndApplication)}
		return StartNA, fmt.Errorf("%w: %d, then %s", ErrTooManyRestarts, MaxRestarts, cause)
	}
	r.restarts++
	r.res.Restarts = append(r.res.Restarts, Restart{Start: at, Cause: cause, Err: err})
	return at, nil
}

// entryPointOutcome makes out, an outcome of the Entry Point's own, the
// run's final outcome and shows its UI Request on Outcome. No kernel gave
// it, so the Result names no combination.
func (r *run) entryPointOutcome(out *Outcome) {
	if u := out.Parameters.UIRequestOnOutcome; u != nil {
		r.ui(*u)
	}
	r.res.Outcome = out
	r.res.Combination = nil
}

// ui records a User Interface Request and shows it.
func (r *run) ui(u UIRequest) {
	r.uiMu.Lock()
	defer r.uiMu.Unlock()
	r.res.UI = append(r.res.UI, u)
	if r.ep.UI != nil {
		r.ep.UI(u)
	}
}

// attach makes card the link the run's commands go to, recorded.
func (r *run) attach(card apdu.Transceiver) {
	r.raw = card
	r.rec.Card = apdu.NewT0(card)
}

// exchange sends one command of the Entry Point's own and parses the
// answer; a response without a status word is a failed link.
func (r *run) exchange(ctx context.Context, c apdu.Command) (apdu.Response, error) {
	return apdu.Exchange(ctx, link{r}, c)
}

// link is the card link the Entry Point and the kernel send through:
// recorded, bounded by [MaxExchanges].
type link struct{ r *run }

func (l link) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if l.r.rec.Card == nil {
		return nil, fmt.Errorf("contactless: no card link: %w", apdu.ErrCardRemoved)
	}
	if l.r.rec.Len() >= MaxExchanges {
		return nil, fmt.Errorf("%w: more than %d", ErrTooManyCommands, MaxExchanges)
	}
	return l.r.rec.Transmit(ctx, command)
}

func (r *run) now() time.Time    { return r.cfg.now() }
func (r *run) log() *slog.Logger { return r.cfg.logger() }
