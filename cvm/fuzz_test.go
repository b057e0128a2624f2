package cvm

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/internal/fuzzseed"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// script feeds the fuzzed card and PIN pad their choices, one byte each.
type script struct {
	b []byte
	n int
}

func (s *script) next() byte {
	if s.n >= len(s.b) {
		return 0
	}
	s.n++
	return s.b[s.n-1]
}

// scriptCard answers GET DATA 9F17, GET CHALLENGE and VERIFY as the script
// says, including the answers a card should not give.
type scriptCard struct {
	t      *testing.T
	s      *script
	remove bool // a script byte may pull the card out
	n      int
}

func (c *scriptCard) Transmit(_ context.Context, raw []byte) ([]byte, error) {
	c.n++
	cmd, err := apdu.ParseCommand(raw)
	if err != nil {
		c.t.Fatalf("Perform sent a malformed command %X: %v", raw, err)
	}
	b := c.s.next()
	if c.remove && b == 0xEE {
		return nil, apdu.ErrCardRemoved
	}
	switch cmd.INS {
	case apdu.InsGetData:
		switch b % 4 {
		case 0:
			return []byte{0x9F, 0x17, 0x01, b >> 2 % 4, 0x90, 0x00}, nil
		case 1:
			return []byte{0x6A, 0x88}, nil
		case 2:
			return []byte{0x9F, 0x17, 0x02, 0x00, 0x03, 0x90, 0x00}, nil
		}
		return []byte{0x90}, nil // no status word: a reader failure
	case apdu.InsGetChallenge:
		switch b % 3 {
		case 0:
			return []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x90, 0x00}, nil
		case 1:
			return []byte{0x6D, 0x00}, nil
		}
		return []byte{1, 2, 3, 4, 0x90, 0x00}, nil
	case 0xEE: // the fuzzed biometric device's own command
		if b%2 == 0 {
			return []byte{0x90, 0x00}, nil
		}
		return []byte{0x6A, 0x80}, nil
	case apdu.InsVerify:
		switch b % 6 {
		case 0:
			return []byte{0x90, 0x00}, nil
		case 1:
			return []byte{0x63, 0xC0 | b>>4}, nil
		case 2:
			return []byte{0x69, 0x83}, nil
		case 3:
			return []byte{0x69, 0x84}, nil
		case 4:
			return []byte{0x69, 0x85}, nil
		}
		return []byte{0x63, 0xC0}, nil
	}
	c.t.Fatalf("Perform sent an unexpected command %s", cmd)
	return nil, nil
}

// scriptPad enters a PIN, bypasses, times out, breaks or cancels as the
// script says.
type scriptPad struct {
	s       *script
	cancel  bool
	prompts int
}

func (p *scriptPad) choice() (byte, error) {
	p.prompts++
	b := p.s.next()
	switch b % 6 {
	case 2:
		return b, ErrPINBypassed
	case 3:
		return b, ErrPINTimeout
	case 4:
		return b, ErrPINPadNotWorking
	case 5:
		if p.cancel {
			return b, ErrPINCancelled
		}
	}
	return b, nil
}

func (p *scriptPad) EnterOfflinePIN(context.Context, PINRequest) (PIN, error) {
	if _, err := p.choice(); err != nil {
		return PIN{}, err
	}
	return NewPIN([]byte("4321"))
}

func (p *scriptPad) EnterOnlinePIN(context.Context, PINRequest) (OnlinePINBlock, error) {
	if _, err := p.choice(); err != nil {
		return OnlinePINBlock{}, err
	}
	return NewOnlinePINBlock(Format0, []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil), nil
}

// scriptBiometric is a biometric device that matches, refuses, breaks or
// cancels as the script says, and may first send the card a command.
type scriptBiometric struct {
	s      *script
	cancel bool
	calls  int
}

var bioErrs = []error{nil, nil, nil, ErrBiometricBypassed, ErrBiometricDeviceNotWorking,
	ErrBiometricTypeNotSupported, ErrBiometricTemplateFormatNotSupported, ErrBiometricCancelled}

func (d *scriptBiometric) choice() (byte, error) {
	d.calls++
	b := d.s.next()
	err := bioErrs[b%8]
	if err == ErrBiometricCancelled && !d.cancel {
		err = nil
	}
	return b, err
}

func (d *scriptBiometric) VerifyOffline(ctx context.Context, card apdu.Transceiver, _ BiometricRequest) (BiometricVerdict, error) {
	b, err := d.choice()
	if err != nil {
		return 0, err
	}
	if b&0x08 != 0 {
		if _, err := card.Transmit(ctx, []byte{0x80, 0xEE, 0x00, 0x00, 0x01, b}); err != nil {
			return 0, err
		}
	}
	return BiometricVerdict(b % 5), nil // 0 and 4 are verdicts a device should not give
}

func (d *scriptBiometric) CaptureOnline(context.Context, BiometricRequest) (OnlineBiometric, error) {
	b, err := d.choice()
	if err != nil {
		return OnlineBiometric{}, err
	}
	if b&0x10 != 0 {
		return OnlineBiometric{}, nil
	}
	return NewOnlineBiometric([]byte{b}), nil
}

// cvBits are the TVR bits cardholder verification may set (Book 3 §10.5,
// EMV 4.4 Annex C5).
var cvBits = []tvr.Bit{
	tvr.ICCDataMissing, tvr.CardholderVerificationNotSuccessful, tvr.UnrecognisedCVM,
	tvr.PINTryLimitExceeded, tvr.PINPadNotPresentOrNotWorking, tvr.PINNotEntered, tvr.OnlineCVMCaptured,
	tvr.BiometricPerformedSuccessful, tvr.BiometricTemplateFormatNotSupported, tvr.BiometricCaptureDeviceNotWorking,
	tvr.BiometricSubtypeBypassed, tvr.BiometricTryLimitExceeded, tvr.BiometricTypeNotSupported,
}

// FuzzCVMList parses and evaluates arbitrary CVM Lists with arbitrary
// amounts, terminal capabilities and card and cardholder behaviour, and
// checks the properties Book 3 §10.5 and Book 4 Annex A4 give the result.
func FuzzCVMList(f *testing.F) {
	for _, l := range []string{
		"00000000000000005E031F03", "00000000000000005E0342031F00", "0000000000000000410342031E031F02",
		"000000000000000042031E03", "0000000000000000420141031F02", "000000000000000042010204440301030200",
		"000003E8000013884106420744081E091F00", "00000000000000000600601F3F00", "000000000000000001000400",
		"000186A0000003E81E0342", "0000000000000000", "",
		"0000000000000000480049034C0B1E03", "00000000000000000600070008000F001F00",
	} {
		for _, sc := range []string{"", "00000000", "0102030405060708", "EEEEEE", "1D2C3B4A5968", "08090A0B0C0D0E0F10"} {
			f.Add(unhex(f, l), uint64(1000), byte(0xF8), byte(0x22), byte(0x00), byte(0x3F), unhex(f, sc))
			f.Add(unhex(f, l), uint64(1000), byte(0xFE), byte(0x22), byte(0x00), byte(0x3F), unhex(f, sc))
		}
	}
	// The CVM lists of the recorded sessions' cards.
	seen := map[string]bool{}
	for _, r := range fuzzseed.Responses(f, apdu.InsReadRecord) {
		if l, ok := tlv.Find(r[:len(r)-2], 0x8E); ok && !seen[string(l)] {
			seen[string(l)] = true
			f.Add(l, uint64(1234), byte(0xF8), byte(0x22), byte(0x00), byte(0x3F), []byte{})
		}
	}
	key := testPINKey(f)
	f.Fuzz(func(t *testing.T, list []byte, amount uint64, caps, termType, txnType, flags byte, sc []byte) {
		// Parsing: a list that parses re-encodes to itself.
		l, perr := ParseList(list)
		if perr == nil {
			if !bytes.Equal(l.Bytes(), list) {
				t.Fatalf("ParseList(%X).Bytes() = %X", list, l.Bytes())
			}
		} else {
			var le *ListError
			if !errors.As(perr, &le) || le.Len != len(list) || len(l.Rules) != 0 {
				t.Fatalf("ParseList(%X): %v, %+v", list, perr, l)
			}
		}

		s := &script{b: sc}
		card := &scriptCard{t: t, s: s, remove: flags&0x40 != 0}
		pad := &scriptPad{s: s, cancel: flags&0x20 != 0}
		bio := &scriptBiometric{s: s, cancel: flags&0x20 != 0}
		in := Input{
			CVMList:              list,
			ApplicationCurrency:  []byte{0x09, 0x78},
			PAN:                  []byte{0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x00, 0x10},
			TerminalCapabilities: [3]byte{0xE0, caps, 0xC8},
			TerminalType:         termType,
			TransactionType:      txnType,
			Amount:               amount,
			TransactionCurrency:  [2]byte{0x09, 0x78},
			PINKey:               key,
			Rand:                 bytes.NewReader(make([]byte, 4096)),
			BypassAllPINCVMs:     flags&0x80 != 0,
		}
		if flags&1 != 0 {
			in.AIP[0] = AIPCardholderVerification
		}
		if flags&2 == 0 {
			in.PINPad = pad
		}
		if flags&4 == 0 {
			in.ApplicationCurrency = []byte{0x08, 0x40}
		}
		if flags&8 == 0 {
			in.CVMList = nil
		}
		if flags&0x10 == 0 {
			in.PINKey = nil
		}
		if len(sc)%2 == 0 {
			in.Biometric = bio
		}

		res, err := Perform(context.Background(), card, in)

		// Bounded: each rule costs at most GET DATA once, then per try a
		// GET CHALLENGE and a VERIFY, or one biometric device command.
		if maxCmds := 1 + 2*maxVerify*len(l.Rules) + len(l.Rules); card.n > maxCmds || pad.prompts > maxVerify*len(l.Rules) || bio.calls > len(l.Rules) {
			t.Fatalf("%d commands, %d prompts, %d biometric calls for %d rules", card.n, pad.prompts, bio.calls, len(l.Rules))
		}
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *cvm.Error", err)
			}
			if !errors.Is(err, ErrPINCancelled) && !errors.Is(err, ErrBiometricCancelled) && !errors.Is(err, apdu.ErrCardRemoved) && !errors.Is(err, apdu.ErrShortResponse) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		r := res.Results
		if o := r.Outcome(); o != Unknown && o != Failed && o != Successful {
			t.Fatalf("CVM Results %X: outcome %02X", r[:], r[2])
		}
		var allowed tvr.TVR
		for _, b := range cvBits {
			allowed.Set(b)
		}
		for i := range res.TVR {
			if res.TVR[i]&^allowed[i] != 0 {
				t.Fatalf("TVR %s has bits cardholder verification does not set", res.TVR)
			}
		}
		if in.AIP[0]&AIPCardholderVerification == 0 {
			if r != NoCVMResults || res.TVR != (tvr.TVR{}) || res.TSI != (tvr.TSI{}) || card.n != 0 {
				t.Fatalf("AIP off: %s %s %s, %d commands", r, res.TVR, res.TSI, card.n)
			}
			return
		}
		if in.CVMList == nil || perr != nil || len(l.Rules) == 0 {
			var want tvr.TVR
			want.Set(tvr.ICCDataMissing)
			if r != NoCVMResults || res.TVR != want || res.TSI != (tvr.TSI{}) || card.n != 0 {
				t.Fatalf("no usable list: %s %s %s", r, res.TVR, res.TSI)
			}
			return
		}
		if !res.TSI.Has(tvr.CardholderVerificationPerformed) {
			t.Fatalf("TSI %s", res.TSI)
		}
		inList := func() bool {
			for _, rule := range l.Rules {
				if rule.Method == r[0] && byte(rule.Condition) == r[1] {
					return true
				}
			}
			return false
		}
		code := r.Code()
		_, bioOnline, bioCode := code.Biometric()
		if res.Successful == res.TVR.Has(tvr.CardholderVerificationNotSuccessful) {
			t.Fatalf("successful %t with TVR %s", res.Successful, res.TVR)
		}
		if res.Successful {
			switch {
			case !inList():
				t.Fatalf("CVM Results %X name no rule of the list", r[:])
			case r.Outcome() == Successful && code != PlaintextPINByICC && code != EncipheredPINByICC && code != NoCVMRequired && !(bioCode && !bioOnline):
				t.Fatalf("CVM Results %X: successful for a CVM whose outcome is unknown", r[:])
			case r.Outcome() == Unknown && code != EncipheredPINOnline && !code.withSignature() && !(bioCode && bioOnline):
				t.Fatalf("CVM Results %X: unknown outcome for a CVM the terminal knows", r[:])
			case r.Outcome() == Failed:
				t.Fatalf("CVM Results %X: failed but successful", r[:])
			}
		} else {
			if r.Outcome() != Failed || (r[0]&0x3F != byte(NoCVMPerformed) && !inList()) {
				t.Fatalf("CVM Results %X after failure", r[:])
			}
			if code != NoCVMPerformed && code != FailCVM && !code.offlinePIN() && !(bioCode && !bioOnline) {
				t.Fatalf("CVM Results %X: this CVM cannot have been performed and failed", r[:])
			}
		}
		if res.SignatureRequired != (res.Successful && code.withSignature()) {
			t.Fatalf("signature required %t with CVM Results %X", res.SignatureRequired, r[:])
		}
		online := res.Successful && code == EncipheredPINOnline
		onlineBio := res.Successful && bioCode && bioOnline
		if res.TVR.Has(tvr.OnlineCVMCaptured) != (online || onlineBio) || res.OnlinePIN.IsZero() == online || res.OnlineBiometric.IsZero() == onlineBio {
			t.Fatalf("online CVM: TVR %s, CVM Results %X", res.TVR, r[:])
		}
		if res.TVR.Has(tvr.BiometricPerformedSuccessful) != (res.Successful && bioCode && !bioOnline) {
			t.Fatalf("biometric performed and successful: TVR %s, CVM Results %X", res.TVR, r[:])
		}
		if bio.calls > 0 && (in.Biometric == nil || caps&(CapOnlineBiometric|CapOfflineBiometric) == 0) {
			t.Fatalf("biometric device called without device or capability")
		}
		if res.TVR.Has(tvr.UnrecognisedCVM) {
			found := false
			for _, rule := range l.Rules {
				found = found || !rule.Code().Known()
			}
			if !found {
				t.Fatalf("Unrecognised CVM set for list %X", list)
			}
		}
		if len(res.Commands) != card.n {
			t.Fatalf("%d commands recorded, %d sent", len(res.Commands), card.n)
		}
	})
}
