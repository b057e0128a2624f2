package emv

import (
	"context"
	"sync"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
)

// Session runs one transaction step by step: the kernel goes on by itself
// until the terminal must act, then [Session.Next] returns a [Request]
// saying what is needed, and the flow resumes when the request is
// answered. A terminal can so read the card first and ask for the amount
// afterwards, or show its own screens for application choice, PIN entry
// and the trip to the host.
//
//	s := emv.Start(ctx, card, cfg, nil, nil)
//	defer s.Close()
//	for {
//		req, done := s.Next()
//		if done != nil {
//			return done.Result, done.Err
//		}
//		switch r := req.(type) {
//		case *emv.TransactionDetails:
//			r.Answer(emv.Transaction{Amount: askAmount(r.Card)})
//		case *emv.ChooseApplication:
//			r.Answer(0)
//		...
//		}
//	}
//
// The parts of the [Terminal] given to Start are used directly; each one
// left nil becomes a request (no Selector: ChooseApplication and
// ConfirmApplication; no PINPad: EnterPIN; no Host: GoOnline). A Session
// is used from one goroutine; the flow itself runs in another, which ends
// by the time Next returns Done or Close returns.
type Session struct {
	reqs    chan Request
	done    chan struct{}
	cancel  context.CancelFunc
	pending Request
	final   Done
	once    sync.Once
}

// Done is the end of a Session: the Result and error [Run] would have
// returned.
type Done struct {
	Result *Result
	Err    error
}

// Request is what the kernel needs from the terminal; see the types that
// implement it. Each must be answered once, by its Answer (or Fail)
// method; a request left unanswered when Next is called again is answered
// with [ErrCancelled].
type Request interface {
	cancel()
}

// ChooseApplication asks the cardholder to choose one of the candidates,
// listed in priority order (Book 1 §12.4).
type ChooseApplication struct {
	Candidates []Candidate
	reply      chan int
	once       sync.Once
}

// Answer picks the candidate at index i; -1 cancels the transaction.
func (r *ChooseApplication) Answer(i int) { r.once.Do(func() { r.reply <- i }) }
func (r *ChooseApplication) cancel()      { r.Answer(-1) }

// ConfirmApplication asks the cardholder to confirm the one application
// offered (Book 1 §12.4).
type ConfirmApplication struct {
	Candidate Candidate
	reply     chan bool
	once      sync.Once
}

// Answer gives the cardholder's answer.
func (r *ConfirmApplication) Answer(ok bool) { r.once.Do(func() { r.reply <- ok }) }
func (r *ConfirmApplication) cancel()        { r.Answer(false) }

// TransactionDetails asks for the transaction (amount, type) once the card
// is known: before GET PROCESSING OPTIONS when the card's PDOL asks for
// transaction data, else after the records are read.
type TransactionDetails struct {
	Card  CardInfo
	reply chan txnReply
	once  sync.Once
}

type txnReply struct {
	t   Transaction
	err error
}

// Answer gives the transaction.
func (r *TransactionDetails) Answer(t Transaction) {
	r.once.Do(func() { r.reply <- txnReply{t: t} })
}
func (r *TransactionDetails) cancel() {
	r.once.Do(func() { r.reply <- txnReply{err: ErrCancelled} })
}

// EnterPIN asks for the cardholder's PIN (Book 3 §10.5): an offline PIN
// for the card, or an online PIN enciphered by the PIN pad for the issuer.
type EnterPIN struct {
	PINRequest cvm.PINRequest
	reply      chan pinReply
	once       sync.Once

	// mu orders an answer against abandon: once the kernel has stopped
	// waiting, an answer is zeroed instead of being left in reply.
	mu        sync.Mutex
	abandoned bool
}

type pinReply struct {
	pin   cvm.PIN
	block cvm.OnlinePINBlock
	err   error
}

// zero overwrites the PIN or PIN block the reply holds.
func (a pinReply) zero() {
	a.pin.Zero()
	a.block.Zero()
}

// AnswerPIN gives the offline PIN entered; the kernel zeroes it after use,
// or at once if it has stopped waiting for it (the transaction ended).
func (r *EnterPIN) AnswerPIN(p cvm.PIN) { r.once.Do(func() { r.deliver(pinReply{pin: p}) }) }

// AnswerOnlinePIN gives the PIN block the PIN pad enciphered; it is zeroed
// at once if the kernel has stopped waiting for it.
func (r *EnterPIN) AnswerOnlinePIN(b cvm.OnlinePINBlock) {
	r.once.Do(func() { r.deliver(pinReply{block: b}) })
}

// Fail reports that no PIN was entered: cvm.ErrPINBypassed,
// cvm.ErrPINTimeout, cvm.ErrPINPadNotWorking or cvm.ErrPINCancelled.
func (r *EnterPIN) Fail(err error) { r.once.Do(func() { r.deliver(pinReply{err: err}) }) }
func (r *EnterPIN) cancel()        { r.Fail(cvm.ErrPINCancelled) }

// deliver hands the answer to the kernel, or zeroes it when the kernel no
// longer waits: no PIN stays in a channel nobody reads.
func (r *EnterPIN) deliver(a pinReply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.abandoned {
		a.zero()
		return
	}
	r.reply <- a // buffered, and once lets one answer through
}

// abandon is the kernel's giving up on the request (its context ended):
// an answer already waiting is taken and zeroed, and one that comes later
// is zeroed by deliver.
func (r *EnterPIN) abandon() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandoned = true
	select {
	case a := <-r.reply:
		a.zero()
	default:
	}
}

// GoOnline asks the terminal to send the authorisation request and give
// the issuer's answer (Book 3 §10.9).
type GoOnline struct {
	Request *OnlineRequest
	reply   chan onlineReply
	once    sync.Once
}

type onlineReply struct {
	resp *OnlineResponse
	err  error
}

// Answer gives the issuer's response, or an error when the terminal was
// unable to go online (the transaction then goes on offline).
func (r *GoOnline) Answer(resp *OnlineResponse, err error) {
	r.once.Do(func() { r.reply <- onlineReply{resp, err} })
}
func (r *GoOnline) cancel() { r.Answer(nil, ErrCancelled) }

// Start begins a transaction and returns at once; the flow runs until its
// first request. txn may be nil: the kernel then asks for it with
// [TransactionDetails]. term may be nil. An invalid cfg ends the session
// at once with its *ConfigError.
func Start(ctx context.Context, card apdu.Transceiver, cfg *Config, txn *Transaction, term *Terminal) *Session {
	ctx, cancel := context.WithCancel(ctx)
	s := &Session{reqs: make(chan Request), done: make(chan struct{}), cancel: cancel}
	if err := cfg.Validate(); err != nil {
		s.final = Done{Err: err}
		close(s.done)
		return s
	}
	if term == nil {
		term = &Terminal{}
	}
	st := newState(ctx, card, cfg, &sessionSeam{terminalSeam{term}, s})
	if txn != nil {
		st.txn, st.hasTxn = *txn, true
	}
	go func() {
		res, err := st.execute()
		s.final = Done{Result: res, Err: err}
		close(s.done)
	}()
	return s
}

// Next answers any request left pending with ErrCancelled, then waits for
// the next request. When the transaction has ended it returns a nil
// Request and the Done.
func (s *Session) Next() (Request, *Done) {
	if s.pending != nil {
		s.pending.cancel()
		s.pending = nil
	}
	select {
	case r := <-s.reqs:
		s.pending = r
		return r, nil
	case <-s.done:
		return nil, &s.final
	}
}

// Close cancels the transaction if it is still running and waits for the
// flow to end. It is safe to call more than once.
func (s *Session) Close() {
	s.once.Do(func() {
		s.cancel()
		if s.pending != nil {
			s.pending.cancel()
			s.pending = nil
		}
		for {
			select {
			case r := <-s.reqs:
				r.cancel()
			case <-s.done:
				return
			}
		}
	})
}

// sessionSeam turns each question the Terminal cannot answer into a
// Request.
type sessionSeam struct {
	terminalSeam
	s *Session
}

// ask hands r to Next and waits for its answer on reply; the error is
// the context's if it ends first.
func ask[T any](ctx context.Context, ss *sessionSeam, r Request, reply <-chan T) (T, error) {
	var zero T
	select {
	case ss.s.reqs <- r:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	select {
	case a := <-reply:
		return a, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

func (ss *sessionSeam) canSelect() bool { return true }

func (ss *sessionSeam) choose(ctx context.Context, c []Candidate) (int, error) {
	if ss.t.Selector != nil {
		return ss.t.Selector.Choose(ctx, c)
	}
	r := &ChooseApplication{Candidates: c, reply: make(chan int, 1)}
	i, err := ask(ctx, ss, r, r.reply)
	if err != nil {
		return 0, err
	}
	if i < 0 {
		return 0, ErrCancelled
	}
	return i, nil
}

func (ss *sessionSeam) confirm(ctx context.Context, c Candidate) (bool, error) {
	if ss.t.Selector != nil {
		return ss.t.Selector.Confirm(ctx, c)
	}
	r := &ConfirmApplication{Candidate: c, reply: make(chan bool, 1)}
	return ask(ctx, ss, r, r.reply)
}

func (ss *sessionSeam) transaction(ctx context.Context, info *CardInfo) (Transaction, error) {
	r := &TransactionDetails{Card: *info, reply: make(chan txnReply, 1)}
	a, err := ask(ctx, ss, r, r.reply)
	if err != nil {
		return Transaction{}, err
	}
	return a.t, a.err
}

func (ss *sessionSeam) authorise(ctx context.Context, req *OnlineRequest) (*OnlineResponse, error) {
	if ss.t.Host != nil {
		return authoriseWaiting(ctx, ss.t.Host, req)
	}
	r := &GoOnline{Request: req, reply: make(chan onlineReply, 1)}
	a, err := ask(ctx, ss, r, r.reply)
	if err != nil {
		return nil, err
	}
	return a.resp, a.err
}

func (ss *sessionSeam) pinPad() cvm.PINPad {
	if ss.t.PINPad != nil {
		return ss.t.PINPad
	}
	return sessionPINPad{ss}
}

// sessionPINPad is the PIN pad of a Session without one: each prompt is
// an EnterPIN request.
type sessionPINPad struct{ ss *sessionSeam }

func (p sessionPINPad) prompt(ctx context.Context, req cvm.PINRequest) (pinReply, error) {
	r := &EnterPIN{PINRequest: req, reply: make(chan pinReply, 1)}
	a, err := ask(ctx, p.ss, r, r.reply)
	if err != nil {
		r.abandon()
		return pinReply{}, err
	}
	return a, a.err
}

func (p sessionPINPad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	a, err := p.prompt(ctx, req)
	return a.pin, err
}

func (p sessionPINPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	a, err := p.prompt(ctx, req)
	return a.block, err
}
