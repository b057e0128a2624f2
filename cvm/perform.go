package cvm

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// AIPCardholderVerification is the Application Interchange Profile bit
// "Cardholder verification is supported" (byte 1 bit 5, Book 3 Annex C1).
const AIPCardholderVerification = 0x10

// CVM Capability bits, byte 2 of the Terminal Capabilities 9F33 (Book 4
// Annex A2).
const (
	CapPlaintextPINForICC   = 0x80 // b8: plaintext PIN for ICC verification
	CapEncipheredPINOnline  = 0x40 // b7: enciphered PIN for online verification
	CapSignature            = 0x20 // b6: signature (paper)
	CapEncipheredPINOffline = 0x10 // b5: enciphered PIN for offline verification
	CapNoCVMRequired        = 0x08 // b4: no CVM required
)

// Transaction types (9C) the CVM conditions look at (Book 3 Annex C3 and
// the ISO 8583 processing code the 9C values follow).
const (
	TransactionCash     = 0x01 // cash
	TransactionCashback = 0x09 // purchase with cashback
)

// maxVerify bounds the VERIFY commands one offline PIN CVM may send, so a
// card that keeps answering 63Cx without counting down cannot hold the
// terminal in a loop (a 63Cx counter has 15 values at most).
const maxVerify = 16

// Input is what cardholder verification needs from the card, the terminal
// and the transaction. The zero value of each field is documented.
type Input struct {
	// AIP is the Application Interchange Profile (82). Without byte 1 bit
	// 5 nothing is done (Book 3 §10.5, conditions of execution).
	AIP [2]byte
	// CVMList is the value of the CVM List (8E); nil when the card has
	// none.
	CVMList []byte
	// ApplicationCurrency is the Application Currency Code (9F42); nil
	// when the card has none, which makes conditions 06-09 unsatisfiable.
	ApplicationCurrency []byte
	// PAN is the Application PAN (5A), given to the PIN pad for an online
	// PIN block. Printed masked.
	PAN []byte

	// TerminalCapabilities is 9F33; byte 2 says which CVMs the terminal
	// supports.
	TerminalCapabilities [3]byte
	// TerminalType is 9F35: second digit 1-3 attended, 4-6 unattended.
	TerminalType byte
	// TransactionType is 9C: 01 and 17 cash, 09 purchase with cashback
	// (ClassifyTransaction).
	TransactionType byte
	// Amount is the Amount, Authorised (9F02) in the minor units of
	// TransactionCurrency; compared with the list's X and Y.
	Amount uint64
	// TransactionCurrency is the Transaction Currency Code (5F2A).
	TransactionCurrency [2]byte

	// PINPad is the PIN entry device; nil when the terminal has none or it
	// is known not to work.
	PINPad PINPad
	// PINKey is the key the offline PIN is enciphered under, Book 2 §7.1:
	// the ICC PIN Encipherment Public Key, else the ICC Public Key (what
	// oda.Verifier.PINKey recovers). nil when the kernel has none for this
	// card: offline enciphered PIN CVMs are then not performed.
	PINKey *oda.PublicKey
	// ECCPINKey is, for a card using the ECC methods, the ICC ECC key for
	// offline data encryption (9F2D, what oda.Verifier.ECCPINKey
	// recovers): the offline PIN is then enciphered by Book 2 §13.2. It
	// takes precedence over PINKey; nil when there is none.
	ECCPINKey *oda.ECCICCKey
	// Biometric is the biometric capture device (EMV 4.4 CV Rule codes 06
	// to 0F); nil when the terminal has none. With the biometric bits of
	// 9F33 byte 2 clear the biometric CVMs are not supported whether or
	// not a device is given.
	Biometric BiometricDevice
	// BypassAllPINCVMs: once PIN entry has been bypassed for one PIN CVM,
	// treat every later PIN CVM of this transaction as bypassed without
	// prompting again (Book 4 §6.3, an option of the terminal). False
	// prompts for each PIN CVM.
	BypassAllPINCVMs bool

	// Rand supplies the random padding of the enciphered PIN; nil means
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger receives debug records of each rule and command; nil logs
	// nothing. No record ever holds a PIN digit or a PIN block.
	Logger *slog.Logger
}

// Format prints the input with the PAN masked, for every verb.
func (in Input) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "cvm.Input{AIP %X, CVM List %X, 9F42 %X, PAN %s, 9F33 %X, 9F35 %02X, 9C %02X, amount %d, 5F2A %X, PIN pad %t, PIN key %t, biometric device %t}",
		in.AIP[:], in.CVMList, in.ApplicationCurrency, maskPAN(in.PAN), in.TerminalCapabilities[:],
		in.TerminalType, in.TransactionType, in.Amount, in.TransactionCurrency[:], in.PINPad != nil, in.PINKey != nil || in.ECCPINKey != nil, in.Biometric != nil)
}

// LogValue makes log/slog print the input as Format does, PAN masked.
func (in Input) LogValue() slog.Value { return slog.StringValue(fmt.Sprint(in)) }

// MarshalJSON writes the input as Format does, a JSON string, PAN masked.
func (in Input) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprint(in)) }

// Exchange records one command [Perform] sent and the status word the card
// answered. The data of a VERIFY, and of the commands a [BiometricDevice]
// sends, is never kept: Command.Data is nil and DataLen says how long it
// was.
type Exchange struct {
	Command apdu.Command
	DataLen int
	SW      apdu.SW
}

// String describes the exchange: "VERIFY 00200080 [8 bytes redacted] -> 9000 (success)".
func (e Exchange) String() string {
	s := e.Command.String()
	if e.DataLen > 0 && e.Command.Data == nil {
		s += fmt.Sprintf(" [%d bytes redacted]", e.DataLen)
	}
	return s + " -> " + e.SW.String()
}

// Result is the outcome of cardholder verification.
type Result struct {
	// Results is the CVM Results (9F34).
	Results Results
	// TVR and TSI hold the bits cardholder verification set; the kernel
	// ORs them into its own.
	TVR tvr.TVR
	TSI tvr.TSI
	// Successful reports that a CVM succeeded, or that its outcome is for
	// the issuer or the attendant to know (online PIN, signature): the
	// TVR bit "Cardholder verification was not successful" is clear.
	Successful bool
	// SignatureRequired: the receipt needs a signature line (signature,
	// or offline PIN and signature).
	SignatureRequired bool
	// OnlinePIN is the enciphered PIN block for the authorisation request
	// when the CVM performed was "Enciphered PIN verified online".
	OnlinePIN OnlinePINBlock
	// OnlineBiometric is the enciphered biometric data for the
	// authorisation request when the CVM performed was a biometric one
	// verified online (EMV 4.4 CV Rule codes 07, 09, 0B, 0D, 0F).
	OnlineBiometric OnlineBiometric
	// Performed is the CV Rule whose CVM was performed last, if any.
	Performed *Rule
	// Commands lists the commands sent to the card, in order.
	Commands []Exchange
}

// Error reports why [Perform] could not go on: the card or reader failed,
// or the cardholder cancelled. Err is the cause (errors.Is works with
// apdu.ErrCardRemoved, [ErrPINCancelled], context errors).
type Error struct {
	Op  string // the command or step: "VERIFY", "GET CHALLENGE", "PIN entry"
	Err error
}

func (e *Error) Error() string { return "cvm: " + e.Op + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

var discardLogger = slog.New(slog.DiscardHandler)

// attempt is what came of trying one CVM.
type attempt int

const (
	// notPerformed: the CVM could not be performed (unrecognised, not
	// supported, PIN pad absent or broken, PIN not entered, no key, the
	// card refused GET CHALLENGE). The CVM Results do not name it.
	notPerformed attempt = iota
	// failed: the CVM was performed and failed (fail CVM, the card refused
	// the PIN or its PIN Try Counter is 0).
	failed
	// succeeded: the CVM succeeded, or passed its outcome to the issuer or
	// the attendant.
	succeeded
)

type state struct {
	ctx  context.Context
	card apdu.Transceiver
	in   Input
	log  *slog.Logger
	rand io.Reader
	// debugOn: the logger takes debug records, so building them is worth
	// it.
	debugOn bool
	list    List
	res     Result

	triesLeft int  // PIN Try Counter as last known, -1 unknown
	ptcAsked  bool // GET DATA 9F17 already sent
	bypassed  bool // PIN entry was bypassed for an earlier PIN CVM
	// fatal is the first failure of the card or reader under a biometric
	// device's commands; it stops Perform.
	fatal error

	// cmd is where exchange encodes each command: the Transceiver keeps
	// no command past Transmit.
	cmd [apdu.MaxShortCommand]byte
	// rules holds the CV Rules of the list (cards list a few).
	rules [8]Rule
	// block is where an offline PIN CVM builds its PIN block; it is
	// cleared as soon as it is sent or enciphered.
	block [8]byte
	// enciphered is where an offline enciphered PIN CVM puts the
	// enciphered PIN block (Book 2 §7.2) for VERIFY; cleared once sent.
	enciphered [oda.MaxCAModulusLen]byte
	// linkGiven: a biometric device was handed biometricLink{s}.
	linkGiven bool
}

// Perform runs cardholder verification, EMV 4.4 Book 3 §10.5, against the
// card and returns its [Result]. Card refusals and cardholder choices
// (bypass, wrong PIN) are outcomes in the Result. The error is non-nil only
// when the transaction cannot go on: the Transceiver failed (the card was
// removed, the reader broke, ctx ended) or the cardholder cancelled at the
// PIN prompt; it is an [*Error], and the Result then holds what was done
// so far.
func Perform(ctx context.Context, card apdu.Transceiver, in Input) (Result, error) {
	s := states.Get().(*state)
	*s = state{ctx: ctx, card: card, in: in, log: in.Logger, rand: in.Rand, triesLeft: -1}
	if s.log == nil {
		s.log = discardLogger
	}
	s.debugOn = s.log.Enabled(ctx, slog.LevelDebug)
	if s.rand == nil {
		s.rand = rand.Reader
	}
	err := s.run()
	res := s.res
	if !s.linkGiven {
		// Nothing outside holds s: it is cleared (no card data, no
		// command, no PIN pad stays in it) and used again.
		*s = state{}
		states.Put(s)
	}
	return res, err
}

// states recycles the state of Perform, some 800 bytes a transaction. A
// state whose card link a biometric device was given is left to the
// garbage collector: the device might keep the link.
var states = sync.Pool{New: func() any { return new(state) }}

func (s *state) run() error {
	// Book 3 §10.5, conditions of execution: the AIP must say the card
	// supports cardholder verification. Otherwise nothing is done: no TVR
	// or TSI bit, CVM Results "no CVM performed" (Book 4 Annex A4).
	if s.in.AIP[0]&AIPCardholderVerification == 0 {
		s.res.Results = NoCVMResults
		if s.debugOn {
			s.log.Debug("cvm: AIP does not support cardholder verification", "cvm_results", s.res.Results.String())
		}
		return nil
	}
	// Book 3 §10.5: an absent CVM List, or one with no CV Rules, ends
	// cardholder verification without the TSI bit; the list is then ICC
	// data missing (Book 3 §7.2). A list that is not well formed (see
	// ParseList) is no more usable than an absent one.
	list, err := appendList(s.rules[:0], s.in.CVMList)
	if s.in.CVMList == nil || err != nil || len(list.Rules) == 0 {
		s.res.TVR.Set(tvr.ICCDataMissing)
		s.res.Results = NoCVMResults
		if s.debugOn {
			s.log.Debug("cvm: no usable CVM List", "present", s.in.CVMList != nil, "len", len(s.in.CVMList), "error", errString(err))
		}
		return nil
	}
	s.list = list
	s.res.TSI.Set(tvr.CardholderVerificationPerformed)

	// Book 3 §10.5: process the rules in the card's order until one CVM
	// succeeds or the list is exhausted.
	for i, r := range list.Rules {
		if !s.conditionSatisfied(r) {
			if s.debugOn {
				s.log.Debug("cvm: rule skipped, condition not satisfied or not understood", "index", i, "rule", r.String())
			}
			continue
		}
		a, err := s.perform(r)
		if err != nil {
			return err
		}
		if s.debugOn {
			s.log.Debug("cvm: rule applied", "index", i, "rule", r.String(), "attempt", a.String())
		}
		switch a {
		case succeeded:
			s.res.Successful = true
			return nil
		case failed:
			s.performed(r)
		}
		// Annex C3, byte 1 bit 7: go on to the next rule only if the card
		// allows it; otherwise cardholder verification has failed.
		if !r.ApplySucceeding() {
			break
		}
	}
	// Book 3 §10.5: cardholder verification has failed.
	s.res.TVR.Set(tvr.CardholderVerificationNotSuccessful)
	if s.res.Performed != nil {
		s.res.Results = resultsFor(*s.res.Performed, Failed)
	} else {
		s.res.Results = NoCVMFailedResults
	}
	if s.debugOn {
		s.log.Debug("cvm: cardholder verification not successful", "cvm_results", s.res.Results.String())
	}
	return nil
}

func (a attempt) String() string {
	switch a {
	case notPerformed:
		return "not performed"
	case failed:
		return "failed"
	}
	return "succeeded"
}

// cash, cashback, attended and unattended classify the transaction for the
// condition codes of Annex C3; cash and cashback by the table the usage
// control check reads too (ClassifyTransaction).
func (s *state) cash() bool     { return ClassifyTransaction(s.in.TransactionType) == ClassCash }
func (s *state) cashback() bool { return ClassifyTransaction(s.in.TransactionType) == ClassCashback }
func (s *state) attended() bool {
	d := s.in.TerminalType & 0x0F
	return d >= 1 && d <= 3
}
func (s *state) unattended() bool {
	d := s.in.TerminalType & 0x0F
	return d >= 4 && d <= 6
}

// conditionSatisfied evaluates a CVM Condition Code (Book 3 Annex C3). A
// condition the terminal does not understand (RFU 0A-7F, payment system
// 80-FF), or whose data is missing (no Application Currency Code), is not
// satisfied, so the rule is bypassed (Book 3 §10.5).
func (s *state) conditionSatisfied(r Rule) bool {
	switch r.Condition {
	case Always:
		return true
	case IfUnattendedCash:
		return s.cash() && s.unattended()
	case IfNotCashOrCashback:
		// Neither unattended cash, nor manual cash, nor purchase with
		// cashback: no cash at all, at any terminal.
		return !s.cash() && !s.cashback()
	case IfTerminalSupportsCVM:
		return s.supported(r.Code())
	case IfManualCash:
		return s.cash() && s.attended()
	case IfPurchaseWithCashback:
		return s.cashback()
	case IfAppCurrencyAndUnderX, IfAppCurrencyAndOverX, IfAppCurrencyAndUnderY, IfAppCurrencyAndOverY:
		// The amounts X and Y are in the application currency: they apply
		// only when the transaction is in that currency (9F42 = 5F2A),
		// and then both sides are in the same minor units.
		ac := s.in.ApplicationCurrency
		if len(ac) != 2 || ac[0] != s.in.TransactionCurrency[0] || ac[1] != s.in.TransactionCurrency[1] {
			return false
		}
		switch r.Condition {
		case IfAppCurrencyAndUnderX:
			return s.in.Amount < uint64(s.list.X)
		case IfAppCurrencyAndOverX:
			return s.in.Amount > uint64(s.list.X)
		case IfAppCurrencyAndUnderY:
			return s.in.Amount < uint64(s.list.Y)
		default:
			return s.in.Amount > uint64(s.list.Y)
		}
	}
	return false
}

// supported reports whether the terminal supports the CVM, from 9F33 byte
// 2 (Book 4 Annex A2): every bit the CVM needs is set. Fail CVM processing
// needs no capability; an unrecognised CVM is never supported. A biometric
// CVM needs the online or offline biometric bit of EMV 4.4.
func (s *state) supported(c Code) bool {
	var need byte
	if _, online, ok := c.Biometric(); ok {
		need = biometricCapability(online)
		return s.in.TerminalCapabilities[1]&need == need
	}
	switch c {
	case FailCVM:
		return true
	case NoCVMRequired:
		need = CapNoCVMRequired
	default:
		need = pinCapability(c)
		if c.withSignature() {
			need |= CapSignature
		}
	}
	return need != 0 && s.in.TerminalCapabilities[1]&need == need
}

// pinCapable reports whether the terminal supports the PIN part of a PIN
// CVM (for the TVR bit "PIN pad not present or not working").
func (s *state) pinCapable(c Code) bool {
	return s.in.TerminalCapabilities[1]&pinCapability(c) != 0
}

// pinCapability is the 9F33 byte 2 bit the PIN part of a CVM needs (Book 4
// Annex A2), 0 for a CVM without PIN.
func pinCapability(c Code) byte {
	switch c {
	case PlaintextPINByICC, PlaintextPINByICCAndSignature:
		return CapPlaintextPINForICC
	case EncipheredPINByICC, EncipheredPINByICCAndSignature:
		return CapEncipheredPINOffline
	case EncipheredPINOnline:
		return CapEncipheredPINOnline
	}
	return 0
}

// perform tries the CVM of a rule whose condition is satisfied and sets
// the CVM Results for a success.
func (s *state) perform(r Rule) (attempt, error) {
	c := r.Code()
	if !c.Known() {
		// Book 3 §10.5: a CVM code the terminal does not recognise.
		s.res.TVR.Set(tvr.UnrecognisedCVM)
		return notPerformed, nil
	}
	if !s.supported(c) {
		// Book 3 §10.5: recognised but not supported is not
		// "Unrecognised CVM"; the rule is not performed and bit 7 of its
		// byte 1 decides whether the next one applies. §10.5.1 / §10.5.2:
		// a PIN CVM the terminal cannot do means PIN entry was required
		// and no PIN pad could take it. A biometric CVM without its 9F33
		// bit sets nothing: the EMV 4.4 TVR bit speaks of a capture device
		// "not working", and a terminal that declares no biometric
		// capability has none to fail (our reading; see the package doc).
		if c.pinEntry() && !s.pinCapable(c) {
			s.res.TVR.Set(tvr.PINPadNotPresentOrNotWorking)
		}
		return notPerformed, nil
	}
	if typ, online, ok := c.Biometric(); ok {
		return s.biometric(r, typ, online)
	}
	switch c {
	case FailCVM:
		return failed, nil
	case Signature:
		// Book 3 §10.5.3: the outcome is for the attendant to judge.
		s.res.SignatureRequired = true
		s.recordSuccess(r, Unknown)
		return succeeded, nil
	case NoCVMRequired:
		s.recordSuccess(r, Successful)
		return succeeded, nil
	case EncipheredPINOnline:
		a, err := s.onlinePIN()
		if a == succeeded {
			// Book 3 §10.5.2: the issuer verifies the PIN.
			s.recordSuccess(r, Unknown)
		}
		return a, err
	}
	a, err := s.offlinePIN(c)
	if a == succeeded {
		if c.withSignature() {
			// PIN and signature: the PIN passed, the signature is still
			// to be checked, so the outcome is unknown.
			s.res.SignatureRequired = true
			s.recordSuccess(r, Unknown)
		} else {
			s.recordSuccess(r, Successful)
		}
	}
	return a, err
}

// performed records r as the CVM performed (Book 4 Annex A4).
func (s *state) performed(r Rule) { s.res.Performed = &r }

// recordSuccess records r as the CVM performed, with outcome o in the CVM
// Results (Book 4 Annex A4).
func (s *state) recordSuccess(r Rule, o Outcome) {
	s.res.Results = resultsFor(r, o)
	s.performed(r)
}

// padError maps what a PIN pad returned instead of a PIN. It returns a
// non-nil error only when Perform must stop.
func (s *state) padError(err error) (attempt, error) {
	switch {
	case errors.Is(err, ErrPINCancelled):
		return notPerformed, &Error{Op: "PIN entry", Err: ErrPINCancelled}
	case s.ctx.Err() != nil:
		return notPerformed, &Error{Op: "PIN entry", Err: s.ctx.Err()}
	case errors.Is(err, ErrPINBypassed), errors.Is(err, ErrPINTimeout):
		// Book 3 §10.5.1 / §10.5.2: PIN pad present, PIN not entered.
		s.res.TVR.Set(tvr.PINNotEntered)
		s.bypassed = true
		return notPerformed, nil
	default:
		// ErrPINPadNotWorking, or a failure the PIN pad did not name.
		s.res.TVR.Set(tvr.PINPadNotPresentOrNotWorking)
		if s.debugOn {
			s.log.Debug("cvm: PIN pad not working", "error", errString(err))
		}
		return notPerformed, nil
	}
}

// pinEntryPossible applies the checks common to every PIN CVM before any
// prompt: a PIN pad is present, and PIN entry was not bypassed already
// when the terminal carries a bypass over.
func (s *state) pinEntryPossible() bool {
	if s.in.PINPad == nil {
		s.res.TVR.Set(tvr.PINPadNotPresentOrNotWorking)
		return false
	}
	if s.bypassed && s.in.BypassAllPINCVMs {
		s.res.TVR.Set(tvr.PINNotEntered)
		return false
	}
	return true
}

// onlinePIN performs "Enciphered PIN verified online" (Book 3 §10.5.2).
func (s *state) onlinePIN() (attempt, error) {
	if !s.pinEntryPossible() {
		return notPerformed, nil
	}
	req := s.request(OnlinePIN, false)
	req.TriesLeft, req.LastTry = -1, false
	req.PAN = s.in.PAN
	blk, err := s.in.PINPad.EnterOnlinePIN(s.ctx, req)
	if err != nil {
		blk.Zero()
		return s.padError(err)
	}
	if blk.IsZero() {
		return s.padError(ErrPINPadNotWorking)
	}
	s.res.TVR.Set(tvr.OnlineCVMCaptured)
	s.res.OnlinePIN = blk
	return succeeded, nil
}

func (s *state) request(k PINKind, retry bool) PINRequest {
	return PINRequest{
		Kind:      k,
		TriesLeft: s.triesLeft,
		LastTry:   s.triesLeft == 1,
		Retry:     retry,
		Amount:    s.in.Amount,
		Currency:  s.in.TransactionCurrency,
	}
}

// offlinePIN performs a PIN CVM verified by the card (Book 3 §10.5.1):
// PIN Try Counter, prompt, (GET CHALLENGE and encipherment,) VERIFY, and
// prompts again while the card answers 63Cx with tries left.
func (s *state) offlinePIN(c Code) (attempt, error) {
	kind, p2 := OfflinePlaintextPIN, apdu.VerifyPlaintextPIN
	if c.enciphered() {
		kind, p2 = OfflineEncipheredPIN, apdu.VerifyEncipheredPIN
	}
	if !s.pinEntryPossible() {
		return notPerformed, nil
	}
	if c.enciphered() && s.in.PINKey == nil && s.in.ECCPINKey == nil {
		// No ICC PIN Encipherment or ICC Public Key was recovered: the PIN
		// cannot be enciphered, so it is not asked for.
		if s.debugOn {
			s.log.Debug("cvm: no key for offline enciphered PIN")
		}
		return notPerformed, nil
	}
	if err := s.readPINTryCounter(); err != nil {
		return notPerformed, err
	}
	if s.triesLeft == 0 {
		// Book 3 §10.5.1: no tries left. No PIN prompt, and "PIN not
		// entered" is not set.
		s.res.TVR.Set(tvr.PINTryLimitExceeded)
		return failed, nil
	}
	retry := false
	for range maxVerify {
		pin, err := s.in.PINPad.EnterOfflinePIN(s.ctx, s.request(kind, retry))
		if err != nil {
			pin.Zero()
			return s.padError(err)
		}
		err = pinBlock2(&s.block, pin)
		block := s.block[:]
		pin.Zero()
		if err != nil {
			// Not 4 to 12 digits: the PIN pad misbehaved.
			return s.padError(ErrPINPadNotWorking)
		}
		data := block
		if c.enciphered() {
			data, err = s.encipher(block)
			clear(block)
			if err != nil || data == nil {
				return notPerformed, err
			}
		}
		sw, err := s.verify(p2, data)
		clear(data)
		if err != nil {
			return notPerformed, err
		}
		if n, ok := sw.VerifyTriesLeft(); ok {
			// Book 3 §6.5.12.4 / §10.5.1: wrong PIN, n tries left.
			s.triesLeft = n
			if n == 0 {
				s.res.TVR.Set(tvr.PINTryLimitExceeded)
				return failed, nil
			}
			retry = true
			continue
		}
		switch sw {
		case apdu.SWOK:
			return succeeded, nil
		case apdu.SWAuthenticationBlocked, apdu.SWReferencedDataInvalidated:
			// 6983 / 6984: the PIN is blocked (Book 3 §10.5.1).
			s.triesLeft = 0
			s.res.TVR.Set(tvr.PINTryLimitExceeded)
			return failed, nil
		default:
			// Any other answer: the card did not accept the PIN.
			return failed, nil
		}
	}
	return failed, nil
}

// readPINTryCounter asks the card for its PIN Try Counter (GET DATA 9F17,
// Book 3 §10.5.1) once per transaction. A card that does not return it
// leaves the count unknown and PIN entry goes on.
func (s *state) readPINTryCounter() error {
	if s.ptcAsked || s.triesLeft >= 0 {
		return nil
	}
	s.ptcAsked = true
	resp, err := s.exchange(apdu.GetData(0x9F17))
	if err != nil {
		return err
	}
	if resp.SW != apdu.SWOK {
		return nil
	}
	tag, v, err := tlv.Single(resp.Data)
	if err != nil || tag != 0x9F17 || len(v) != 1 {
		if s.debugOn {
			s.log.Debug("cvm: PIN Try Counter unusable", "data_len", len(resp.Data))
		}
		return nil
	}
	s.triesLeft = int(v[0])
	return nil
}

// encipher gets the card's unpredictable number and enciphers the PIN
// block (Book 2 §7.2, or §13.2 under an ECC key; Book 3 §10.5.1). It returns nil data without error
// when the card refuses GET CHALLENGE or the encipherment fails.
func (s *state) encipher(block []byte) ([]byte, error) {
	resp, err := s.exchange(apdu.GetChallenge())
	if err != nil {
		return nil, err
	}
	if resp.SW != apdu.SWOK || len(resp.Data) != 8 {
		if s.debugOn {
			s.log.Debug("cvm: GET CHALLENGE gave no 8-byte number", "sw", resp.SW.String(), "data_len", len(resp.Data))
		}
		return nil, nil
	}
	var data []byte
	if s.in.ECCPINKey != nil {
		data, err = oda.EncipherPINECC(s.in.ECCPINKey, block, resp.Data, s.rand)
	} else {
		data, err = oda.EncipherPINTo(s.enciphered[:0], s.in.PINKey, block, resp.Data, s.rand)
	}
	if err != nil {
		if s.debugOn {
			s.log.Debug("cvm: PIN encipherment failed", "error", errString(err))
		}
		return nil, nil
	}
	return data, nil
}

// verify sends VERIFY and returns the card's status word; exchange zeroes
// the encoded command once the card has answered.
func (s *state) verify(p2 byte, data []byte) (apdu.SW, error) {
	resp, err := s.exchange(apdu.Verify(p2, data))
	return resp.SW, err
}

// exchange sends one command and records it, without the data of a
// sensitive one.
func (s *state) exchange(c apdu.Command) (apdu.Response, error) {
	b, err := c.Append(s.cmd[:0])
	if err != nil {
		return apdu.Response{}, &Error{Op: c.Name(), Err: err}
	}
	raw, err := s.card.Transmit(s.ctx, b)
	rec := Exchange{Command: c}
	if c.Sensitive() {
		clear(b)
		rec.Command.Data, rec.DataLen = nil, len(c.Data)
	}
	if err != nil {
		return apdu.Response{}, &Error{Op: c.Name(), Err: err}
	}
	resp, err := apdu.ParseResponse(raw)
	if err != nil {
		return apdu.Response{}, &Error{Op: c.Name(), Err: err}
	}
	rec.SW = resp.SW
	if s.res.Commands == nil {
		// An offline PIN takes three: GET DATA 9F17, GET CHALLENGE,
		// VERIFY.
		s.res.Commands = make([]Exchange, 0, 4)
	}
	s.res.Commands = append(s.res.Commands, rec)
	if s.debugOn {
		s.log.Debug("cvm: command", "exchange", rec.String())
	}
	return resp, nil
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
