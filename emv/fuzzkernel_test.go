package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tvr"
)

// fuzzPIN is the fuzz card's PIN: twelve digits, so that finding them in
// a result, a trace or an error is no coincidence.
const fuzzPIN = "418529637041"

// fuzzControl is the terminal's side of a FuzzKernel run, read from the
// fuzz input: every field at a fixed offset (so that a mutation of one
// leaves the others), zero when the input is shorter; an empty control
// is a purchase of 0.00 by Run on the test terminal with an approving
// host.
type fuzzControl []byte

// Offsets of the control fields.
const (
	ctlEntry      = 0  // %4: Run; Start with the whole Terminal; Start with requests; Start with requests and no Transaction
	ctlType       = 1  // transaction type: an index into fuzzTypes, past it the raw byte at ctlTypeRaw
	ctlTypeRaw    = 2  //
	ctlAmount     = 3  // 3, 4: amount, big-endian; 5: %4 a factor 1, 100, 10^4, 10^8
	ctlOther      = 6  // Amount, Other in hundreds (cashback)
	ctlFlags      = 7  // see flag*
	ctlConfig     = 8  // bits 1-2 TAC shape, 3-4 floor limit shape, 5-7 terminal type, 8 random selection
	ctlCVMCaps    = 9  // 9F33 byte 2: the CVM bits (8-4) to clear from F8
	ctlSecCaps    = 10 // 9F33 byte 3: the SDA, DDA, card capture and CDA bits to flip in C8
	ctlSelect     = 11 // the cardholder's choice: bits 1-4 an index (15: cancel), bit 8 confirmation
	ctlTACs       = 12 // 15 bytes: denial, online, default, with TAC shape 3
	ctlFloor      = 27 // 27, 28: the floor limit with floor shape 3
	ctlPINs       = 29 // 29-32: the PIN pad's answers in turn, each %8 (see fuzzPINAnswers)
	ctlHost       = 33 // %8: the host's behaviour (see host*)
	ctlDecision   = 34 // bit 1: approved; bits 2-4: the ARC (see fuzzARCs)
	ctlARC        = 35 // 35, 36: the ARC's two bytes, with ARC choice 7
	ctlIAD        = 37 // 37, 38: the length of 91, big-endian; 39: its bytes' pattern
	ctlScripts    = 40 // bit 1: scripts grown to 2 MiB; bit 2: the host scribbles; bit 3: field 55 as the scripts
	ctlCloseAfter = 41 // Start: %16 the Session is closed at that request (0: never)
	ctlLeave      = 42 // Start: bit 1 TransactionDetails left unanswered
	ctlLen        = 43
)

// Flags at ctlFlags.
const (
	flagForceOnline = 1 << iota
	flagServices
	flagNoPINPad
	flagNoHost
	flagBypassAll
	flagSelector
	flagTransactionLog
	flagExceptionFile
)

// Host behaviours at ctlHost.
const (
	hostAnswers    = iota // the answer the control describes
	hostUnable            // ErrUnableToGoOnline
	hostFails             // another error
	hostHonoursCtx        // the context ends while it works; it returns the context's error
	hostIgnoresCtx        // the context ends while it works; it does not return until the run is over
	hostNothing           // nil answer, nil error
	hostCancels           // ErrCancelled
	hostIssuer            // the card's issuer: a true ARPC, the control's scripts after the issuer's
)

var fuzzTypes = []emv.TransactionType{emv.Purchase, emv.Cash, emv.PurchaseCashback, emv.Refund,
	emv.BalanceInquiry, emv.BalanceInquiry31, emv.PreAuthorisation, emv.CashDisbursement,
	emv.PaymentDeposit, emv.PreAuthCompletion}

var fuzzTerminalTypes = []byte{0x22, 0x21, 0x23, 0x24, 0x25, 0x26, 0x14, 0x11}

// fuzzARCs are the ARC choices; 7 takes the two raw bytes at ctlARC.
var fuzzARCs = []string{"00", "05", "Y1", "Z3", "", "0", "000"}

// fuzzPINAnswers are the PIN pad's answers, as pinPad knows them; "12"
// is a PIN too short for cvm.NewPIN.
var fuzzPINAnswers = []string{fuzzPIN, "wrong", "bypass", "timeout", "broken", "cancel", "12", fuzzPIN}

func (c fuzzControl) at(i int) byte {
	if i < len(c) {
		return c[i]
	}
	return 0
}

func (c fuzzControl) u16(i int) uint64 { return uint64(c.at(i))<<8 | uint64(c.at(i+1)) }

func (c fuzzControl) flag(f byte) bool { return c.at(ctlFlags)&f != 0 }

// transaction is the Transaction the control describes; it may be
// invalid (an amount over 12 digits, an unknown type).
func (c fuzzControl) transaction() emv.Transaction {
	t := emv.Transaction{
		Amount:      c.u16(ctlAmount) * [...]uint64{1, 100, 1e4, 1e8}[c.at(ctlAmount+2)%4],
		AmountOther: uint64(c.at(ctlOther)) * 100,
		ForceOnline: c.flag(flagForceOnline),
		Services:    c.flag(flagServices),
	}
	if i := int(c.at(ctlType)); i < len(fuzzTypes) {
		t.Type = fuzzTypes[i]
	} else {
		t.Type = emv.TransactionType(c.at(ctlTypeRaw))
	}
	return t
}

// config changes the test terminal as the control says: always a valid
// Config, of one of a few shapes.
func (c fuzzControl) config(cfg *emv.Config) {
	shape := c.at(ctlConfig)
	switch shape & 3 {
	case 1:
		cfg.TACDenial, cfg.TACOnline, cfg.TACDefault = &tvr.TVR{}, &tvr.TVR{}, &tvr.TVR{}
	case 2:
		all := tvr.TVR{0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
		cfg.TACDenial, cfg.TACOnline, cfg.TACDefault = &all, &all, &all
	case 3:
		var tacs [3]tvr.TVR
		for i := range tacs {
			for j := range tacs[i] {
				tacs[i][j] = c.at(ctlTACs + 5*i + j)
			}
		}
		cfg.TACDenial, cfg.TACOnline, cfg.TACDefault = &tacs[0], &tacs[1], &tacs[2]
	}
	var floor uint64
	switch shape >> 2 & 3 {
	case 0:
		floor = 10000
	case 1:
		floor = 0
	case 2:
		floor = 0xFFFFFFFF // the most 9F1B holds
	case 3:
		floor = c.u16(ctlFloor)
	}
	cfg.FloorLimit = &floor
	cfg.TerminalType = fuzzTerminalTypes[shape>>4&7]
	if shape&0x80 != 0 && floor > 100 {
		cfg.RandomSelection = &emv.RandomSelection{TargetPercent: 20, MaxTargetPercent: 80, Threshold: floor / 2}
	}
	// Zero control bytes keep the default E0F8C8: every CVM, SDA, DDA and
	// CDA; each bit set takes one away (or adds card capture).
	cfg.Capabilities = [3]byte{0xE0, (0xF8 ^ c.at(ctlCVMCaps)) & 0xF8, (0xC8 ^ c.at(ctlSecCaps)) & 0xE8}
	cfg.BypassAllPINCVMs = c.flag(flagBypassAll)
}

// pins is the PIN pad's answers.
func (c fuzzControl) pins() []string {
	out := make([]string, 4)
	for i := range out {
		out[i] = fuzzPINAnswers[c.at(ctlPINs+i)%8]
	}
	return out
}

// fuzzHost is the host the control describes.
type fuzzHost struct {
	c       fuzzControl
	iss     *emvtest.Issuer
	scripts []byte // built before the run
	iad     []byte
	cancel  context.CancelFunc
	release chan struct{}

	grown bool // scripts grown to 2 MiB

	// kept, for a host that scribbles once it has answered
	req      *emv.OnlineRequest
	resp     *emv.OnlineResponse
	unusable bool // resp breaks Book 3 Annex A (ARC an 2, 91 b 8-16)
	sent     int  // answers given
}

// usableARC reports whether a is two alphanumeric characters.
func usableARC(a string) bool {
	if len(a) != 2 {
		return false
	}
	for _, c := range []byte(a) {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

func (h *fuzzHost) kind() byte { return h.c.at(ctlHost) % 8 }

func (h *fuzzHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	h.sent++
	switch h.kind() {
	case hostUnable:
		return nil, emv.ErrUnableToGoOnline
	case hostFails:
		return nil, errors.New("host: connection reset")
	case hostHonoursCtx:
		h.cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	case hostIgnoresCtx:
		h.cancel()
		<-h.release
		return nil, errors.New("host: too late")
	case hostNothing:
		return nil, nil
	case hostCancels:
		return nil, emv.ErrCancelled
	}
	d := h.c.at(ctlDecision)
	r := &emv.OnlineResponse{Approved: d&1 != 0, IssuerAuthData: h.iad, Scripts: h.scripts}
	if i := int(d >> 1 & 7); i < len(fuzzARCs) {
		r.ARC = fuzzARCs[i]
	} else {
		r.ARC = string([]byte{h.c.at(ctlARC), h.c.at(ctlARC + 1)})
	}
	if h.c.at(ctlScripts)&4 != 0 {
		r.Scripts = req.ICCData
	}
	if h.kind() == hostIssuer {
		ir, err := h.iss.Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: req.ICCData, PAN: hexDigits(req.PAN()), PSN: hexDigits(req.PANSequence)})
		if err != nil {
			return nil, err
		}
		r.Approved, r.ARC, r.IssuerAuthData = ir.Approved, string(ir.ARC[:]), ir.IssuerAuthenticationData
		if !h.grown {
			r.Scripts = append(ir.Scripts, h.scripts...)
		}
	}
	h.req, h.resp = req, r
	h.unusable = !usableARC(r.ARC) || len(r.IssuerAuthData) > 0 && (len(r.IssuerAuthData) < 8 || len(r.IssuerAuthData) > 16)
	return r, nil
}

// scribble writes over what the host gave and got, once it has answered,
// if the control says so.
func (h *fuzzHost) scribble([]byte) {
	if h.c.at(ctlScripts)&2 == 0 || h.resp == nil {
		return
	}
	for _, b := range [][]byte{h.req.ICCData, h.req.AID, h.req.PANSequence, h.resp.IssuerAuthData, h.resp.Scripts} {
		for i := range b {
			b[i] ^= 0xA5
		}
	}
	h.resp.Approved = !h.resp.Approved
}

// hexDigits is the digits of compressed numeric b (F padding dropped).
func hexDigits(b []byte) string { return strings.TrimRight(hex.EncodeToString(b), "f") }

// drive runs a Session to its end, answering each request as the
// control says.
func drive(ctx context.Context, s *emv.Session, c fuzzControl, txn emv.Transaction, pad *pinPad, h *fuzzHost) emv.Done {
	defer s.Close()
	closeAt := int(c.at(ctlCloseAfter) % 16)
	for n := 1; ; n++ {
		req, done := s.Next()
		if done != nil {
			return *done
		}
		if n == closeAt {
			s.Close()
			_, done := s.Next()
			return *done
		}
		switch r := req.(type) {
		case *emv.TransactionDetails:
			if c.at(ctlLeave)&1 == 0 {
				r.Answer(txn)
			}
		case *emv.ChooseApplication:
			i := int(c.at(ctlSelect) & 15)
			if i == 15 {
				i = -1
			} else {
				i %= len(r.Candidates)
			}
			r.Answer(i)
		case *emv.ConfirmApplication:
			r.Answer(c.at(ctlSelect)&0x80 != 0)
		case *emv.EnterPIN:
			if r.PINRequest.Kind == cvm.OnlinePIN {
				b, err := pad.EnterOnlinePIN(ctx, r.PINRequest)
				if err != nil {
					r.Fail(err)
				} else {
					r.AnswerOnlinePIN(b)
				}
				continue
			}
			p, err := pad.EnterOfflinePIN(ctx, r.PINRequest)
			if err != nil {
				r.Fail(err)
			} else {
				r.AnswerPIN(p)
			}
		case *emv.GoOnline:
			if h.kind() == hostIgnoresCtx || h.kind() == hostHonoursCtx {
				// The terminal never answers; the transaction's context
				// ends (Close, or the caller's).
				h.cancel()
				continue
			}
			r.Answer(h.Authorise(ctx, r.Request))
		}
	}
}

// fuzzPINPad is the test PIN pad, answering online prompts with a block
// that is not the PIN.
func fuzzPINPad(c fuzzControl) *pinPad { return &pinPad{pins: c.pins()} }

// FuzzKernel runs whole transactions in which the fuzz input decides both
// sides of the card: the card's answers (mutations, see mutatingCard),
// and the terminal's (control, see fuzzControl): the entry point (Run, or
// a Session answered request by request, closed part-way), the
// transaction type and amounts, the configuration (TACs, floor limit,
// terminal type, capabilities, random selection), the PIN pad's answers,
// the cardholder's choices, and the host (its decision, an ARC of any
// bytes, a 91 of any length, scripts of any shape or 2 MiB of them, an
// error, a context that ends while it works, a host that ignores it, a
// host that scribbles on what it gave). Whatever they say:
//   - no panic, no hang: the run ends, with an outcome of the books and
//     no error, or a *TerminatedError whose result says Terminated or
//     TryAnotherInterface;
//   - at most 512 commands, and none of the host's scripts when they are
//     over what the terminal takes (Book 3 §10.10);
//   - no EXTERNAL AUTHENTICATE with a 91 outside b 8-16, and the
//     terminal's own ARC (Y3, Z3) for an ARC that is not an 2 (Book 3
//     Annex A, §10.9);
//   - the memory the run allocates within a bound of its inputs' size
//     (runtime.MemStats): the host's 2 MiB of scripts are not copied;
//   - the PIN's digits in no result, trace or error.
//
// The seeds are the recorded sessions' card answers (kernelSeeds) with
// each host behaviour and entry point, the hostile cards of
// TestHostileCards, and the hostile hosts of TestHostileHosts.
func FuzzKernel(f *testing.F) {
	ctl := func(set map[int]byte) []byte {
		c := make([]byte, ctlLen)
		for i, v := range set {
			c[i] = v
		}
		return c
	}
	amount := func(a uint16, set map[int]byte) []byte {
		if set == nil {
			set = map[int]byte{}
		}
		set[ctlAmount], set[ctlAmount+1] = byte(a>>8), byte(a)
		return ctl(set)
	}
	for i, sd := range kernelSeeds(f) {
		// Each session with a host behaviour and an entry point of its
		// own, in turn.
		f.Add(sd.answers, amount(sd.amount, map[int]byte{ctlHost: byte(i % 8), ctlEntry: byte(i % 4)}), sd.scripts)
	}
	f.Add([]byte{}, []byte{}, []byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 4, 7}, amount(20000, nil), []byte{})
	f.Add([]byte{0, 6, 0x6A, 0x82, 7, 0, 5, 0x70, 0x01, 0x5A, 0x90, 0x00}, amount(20000, nil), []byte{0x71, 0x05, 0x86, 0x03, 0x00, 0x00, 0x00})
	f.Add([]byte{0, 0, 0, 0, 5, 3}, amount(100, nil), []byte{0x72, 0x00})
	f.Add([]byte{1, 2, 3, 0, 1, 2, 3, 8, 40, 0, 0, 4, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0x69, 0x85}, amount(50000, nil), []byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}, amount(20000, nil), []byte{})
	for _, sd := range hostileSeeds() {
		f.Add(sd, amount(20000, nil), []byte{})
	}
	// A byte of the first GENERATE AC's signed data flipped (after the 14
	// commands of a visa-cda head): CDA fails on an ARQC and on a TC
	// (Book 2 §6.6.2); the same with the 9F27 reason code "service not
	// allowed" (Book 3 §6.5.5.4).
	flip := append(make([]byte, 14), 4, 0x60)
	f.Add(flip, amount(20000, nil), []byte{})
	f.Add(flip, amount(100, nil), []byte{})
	f.Add(append(make([]byte, 14), 4, 0x05), amount(20000, map[int]byte{ctlEntry: 1}), []byte{})
	// TestHostileHosts: the card true, the host hostile, over the floor
	// limit.
	badMAC := mustHex("71 10 86 0E 84DA9F1409 03 0102030405060708")
	for _, h := range []map[int]byte{
		{ctlHost: hostUnable}, {ctlHost: hostFails}, {ctlHost: hostNothing}, {ctlHost: hostCancels},
		{ctlHost: hostHonoursCtx}, {ctlHost: hostIgnoresCtx}, {ctlHost: hostIssuer},
		{ctlHost: hostIssuer, ctlScripts: 2}, {ctlDecision: 1, ctlIAD: 0x0F, ctlIAD + 1: 0xA0},
		{ctlDecision: 1, ctlIAD + 1: 7}, {ctlDecision: 1, ctlIAD + 1: 17}, {ctlDecision: 1, ctlIAD + 1: 16, ctlIAD + 2: 0x5A},
		{ctlDecision: 1 | 7<<1, ctlARC: 0xFF, ctlARC + 1: 0xFE}, {ctlDecision: 1 | 5<<1}, {ctlDecision: 1 | 6<<1},
		{ctlDecision: 1, ctlScripts: 1}, {ctlDecision: 1, ctlScripts: 4}, {ctlDecision: 1, ctlScripts: 2},
		{ctlEntry: 1, ctlHost: hostIgnoresCtx}, {ctlEntry: 2, ctlHost: hostIssuer}, {ctlEntry: 3, ctlDecision: 1},
		{ctlEntry: 2, ctlHost: hostIgnoresCtx}, {ctlEntry: 3, ctlCloseAfter: 2}, {ctlEntry: 3, ctlLeave: 1},
		{ctlPINs: 1, ctlPINs + 1: 1, ctlPINs + 2: 1}, {ctlPINs: 2}, {ctlPINs: 4, ctlEntry: 2}, {ctlPINs: 5},
		{ctlPINs: 6, ctlPINs + 1: 3}, {ctlFlags: flagNoPINPad | flagNoHost}, {ctlFlags: flagForceOnline | flagExceptionFile | flagTransactionLog},
		{ctlConfig: 1, ctlCVMCaps: 0x08, ctlSecCaps: 0x80}, {ctlCVMCaps: 0x10}, {ctlCVMCaps: 0xF8, ctlSecCaps: 0xC8}, {ctlSecCaps: 0x08}, {ctlConfig: 2 | 1<<2 | 2<<4}, {ctlConfig: 3 | 3<<2 | 0x80, ctlFloor: 0x4E, ctlFloor + 1: 0x20},
		{ctlType: 2, ctlOther: 10}, {ctlType: 3}, {ctlType: 0xFF, ctlTypeRaw: 0x88}, {ctlAmount + 2: 3},
	} {
		f.Add([]byte{}, amount(20000, h), bytes.Repeat(badMAC, 3))
	}
	f.Fuzz(func(t *testing.T, mutations, control, scripts []byte) {
		c := fuzzControl(control)
		p := fuzzProfile()
		p.Applications[0].PIN = fuzzPIN
		card := emvtest.NewCard(p)
		cfg := testConfig(t, card)
		c.config(cfg)
		if err := cfg.Validate(); err != nil {
			t.Fatalf("a configuration of the fuzz shapes is invalid: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		host := &fuzzHost{c: c, scripts: scripts, cancel: cancel, release: make(chan struct{})}
		defer close(host.release)
		if host.kind() == hostIssuer {
			host.iss = emvtest.IssuerFor(card)
		}
		if n := c.u16(ctlIAD); n > 0 {
			host.iad = make([]byte, n)
			for i := range host.iad {
				host.iad[i] = c.at(ctlIAD+2) * byte(i)
			}
		}
		grown := c.at(ctlScripts)&1 != 0 && len(scripts) > 0
		host.grown = grown
		if grown {
			host.scripts = bytes.Repeat(scripts, 2<<20/len(scripts)+1)
		}
		pad := fuzzPINPad(c)
		term := &emv.Terminal{PINPad: pad, Host: host}
		if c.flag(flagNoPINPad) {
			term.PINPad = nil
		}
		if c.flag(flagNoHost) {
			term.Host = nil
		}
		if c.flag(flagSelector) {
			term.Selector = &selector{index: int(c.at(ctlSelect) & 15), confirm: c.at(ctlSelect)&0x80 != 0}
		}
		if c.flag(flagTransactionLog) {
			term.TransactionLog = txLog(c.u16(ctlFloor))
		}
		if c.flag(flagExceptionFile) {
			term.ExceptionFile = func(pan, psn []byte) bool { return true }
		}
		m := &mutatingCard{card: card, in: mutations}
		link := &hookedCard{card: m, before: host.scribble}
		txn := c.transaction()

		var res *emv.Result
		var err error
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		switch c.at(ctlEntry) % 4 {
		case 0:
			res, err = emv.Run(ctx, link, cfg, txn, term)
		case 1:
			d := drive(ctx, emv.Start(ctx, link, cfg, &txn, term), c, txn, pad, host)
			res, err = d.Result, d.Err
		case 2, 3:
			// Every part the Terminal has not becomes a request.
			st := &emv.Terminal{Display: &display{}}
			var tp *emv.Transaction
			if c.at(ctlEntry)%4 == 2 {
				tp = &txn
			}
			d := drive(ctx, emv.Start(ctx, link, cfg, tp, st), c, txn, pad, host)
			res, err = d.Result, d.Err
		}
		runtime.ReadMemStats(&after)

		if res == nil {
			t.Fatalf("no result (err %v)", err)
		}
		if len(res.Trace) > 512 {
			t.Fatalf("%d commands", len(res.Trace))
		}
		// A card's answers are bounded: 256 data bytes each, and 32 KiB in
		// all but the one answer that went over.
		total := 0
		for _, e := range res.Trace {
			if len(e.Response) > 258 {
				t.Fatalf("an answer of %d bytes kept", len(e.Response))
			}
			total += max(len(e.Response)-2, 0)
		}
		if total > 32<<10+256 {
			t.Fatalf("%d bytes of answers kept", total)
		}
		// Memory: what the virtual card, the kernel and the trace need
		// for a transaction, and a few copies of the card's answers and
		// of scripts the terminal takes; never the 2 MiB of grown
		// scripts, nor a 91 of any length (both built before).
		bound := uint64(1<<20 + 8*len(mutations))
		if len(host.scripts) <= 1024 {
			bound += 8 * uint64(len(host.scripts))
		}
		if host.kind() == hostIssuer {
			bound += 1 << 20 // the issuer's key derivation and scripts
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > bound {
			t.Fatalf("the run allocated %d bytes, bound %d", got, bound)
		}
		checkHostBounds(t, res, err, host, grown)
		checkNoPIN(t, res, err)

		if err == nil {
			switch res.Outcome {
			case emv.Approved, emv.Declined, emv.OnlineApproved, emv.OnlineDeclined, emv.ApprovedUnableOnline, emv.DeclinedUnableOnline:
			default:
				t.Fatalf("no error but outcome %v", res.Outcome)
			}
			if res.Terminated != nil {
				t.Fatalf("outcome %v with a termination", res.Outcome)
			}
			return
		}
		var te *emv.TerminatedError
		if !errors.As(err, &te) {
			t.Fatalf("error %T is not a *TerminatedError: %v", err, err)
		}
		if !strings.HasPrefix(err.Error(), "emv: ") {
			t.Fatalf("error %q does not start with the package", err)
		}
		if res.Outcome != emv.Terminated && res.Outcome != emv.TryAnotherInterface {
			t.Fatalf("error %v but outcome %v", err, res.Outcome)
		}
		if res.Terminated != te {
			t.Fatalf("Result.Terminated differs from the error")
		}
	})
}

// checkHostBounds checks what the kernel did with the host's answer.
func checkHostBounds(t *testing.T, res *emv.Result, runErr error, h *fuzzHost, grown bool) {
	t.Helper()
	gacs, scriptCmds := 0, 0
	for _, e := range res.Trace {
		cmd, err := apdu.ParseCommand(e.Command)
		if err != nil {
			continue
		}
		switch {
		case cmd.INS == apdu.InsGenerateAC:
			gacs++
		case cmd.INS == apdu.InsExternalAuthenticate:
			if n := len(cmd.Data); n < 8 || n > 16 {
				t.Fatalf("EXTERNAL AUTHENTICATE with %d bytes of 91", n)
			}
			if h.unusable {
				t.Fatalf("EXTERNAL AUTHENTICATE after an unusable answer")
			}
		case gacs > 0:
			scriptCmds++
		}
	}
	if grown {
		// Scripts over the terminal's bound: none performed, each of
		// the first 16 reported "not performed" (result nibble 0).
		notPerformed := len(res.ScriptResults)%5 == 0 && len(res.ScriptResults) <= 16*5
		for i := 0; i < len(res.ScriptResults) && notPerformed; i += 5 {
			notPerformed = res.ScriptResults[i] == 0
		}
		if scriptCmds > 0 || !notPerformed {
			t.Fatalf("%d script commands, results %X, of scripts of %d bytes", scriptCmds, res.ScriptResults, len(h.scripts))
		}
	}
	if len(res.ScriptResults) > 2*16*5 {
		t.Fatalf("%d bytes of script results", len(res.ScriptResults))
	}
	if runErr != nil || h.sent == 0 {
		return
	}
	// The host was asked and the transaction completed: the second
	// GENERATE AC was sent (Book 3 §10.11), but after an XDA failure
	// (Book 4 §6.3.2.2.4); an unusable answer is unable to go online.
	if gacs != 2 && res.ODA != emv.XDA {
		t.Fatalf("%d GENERATE AC after the host was asked, outcome %v", gacs, res.Outcome)
	}
	if h.unusable && h.resp != nil && res.ARC != "Y3" && res.ARC != "Z3" {
		t.Fatalf("ARC %q after an unusable answer", res.ARC)
	}
}

// checkNoPIN fails if the PIN's digits show in the result, its trace or
// the error, in any of the forms a person or a log reads.
func checkNoPIN(t *testing.T, res *emv.Result, err error) {
	t.Helper()
	var texts []string
	if err != nil {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v", err))
	}
	j, _ := json.Marshal(res)
	texts = append(texts, fmt.Sprintf("%v %+v", res, res.Trace), res.Trace.String(), string(j), fmt.Sprintf("%+v", res.Receipt))
	for _, e := range res.Trace {
		texts = append(texts, hex.EncodeToString(e.Command), hex.EncodeToString(e.Response))
	}
	for _, s := range texts {
		if strings.Contains(strings.ToUpper(s), fuzzPIN) {
			t.Fatalf("the PIN's digits in %q", s)
		}
	}
	for _, e := range res.Trace {
		if len(e.Command) > 5 && e.Command[1] == apdu.InsVerify {
			for _, b := range e.Command[5:] {
				if b != 0 {
					t.Fatalf("VERIFY data recorded: % X", e.Command)
				}
			}
		}
	}
}
