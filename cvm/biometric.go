package cvm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tvr"
)

// Biometric CVM capabilities, byte 2 of the Terminal Capabilities 9F33 as
// EMV 4.4 Book 4 Annex A2 (Table 26) defines it. EMV 4.3 had these bits
// RFU. The Additional Terminal Capabilities (9F40, Annex A3) have no
// biometric bit in 4.4.
const (
	CapOnlineBiometric  = 0x04 // b3: online biometric
	CapOfflineBiometric = 0x02 // b2: offline biometric
	// CapEncipheredPINOfflineECC is b1: enciphered PIN for offline
	// verification with ECC offline data encipherment. Byte 2 bit 5
	// ([CapEncipheredPINOffline]) is the RSA one.
	CapEncipheredPINOfflineECC = 0x01
)

// BiometricType is the kind of biometric a biometric CVM verifies (EMV 4.4
// Book 3 Annex C3, Table 43: codes 06 to 0F, two per type).
type BiometricType int

// The biometric types of the EMV 4.4 CV Rule codes.
const (
	Facial BiometricType = iota + 1
	Finger
	Palm
	Iris
	Voice
)

// String names the type as the CV Rule codes do: "facial", "finger", ...
func (b BiometricType) String() string {
	switch b {
	case Facial:
		return "facial"
	case Finger:
		return "finger"
	case Palm:
		return "palm"
	case Iris:
		return "iris"
	case Voice:
		return "voice"
	}
	return fmt.Sprintf("BiometricType(%d)", int(b))
}

// Biometric reports whether the code is one of the biometric CVMs of EMV
// 4.4 (06 to 0F), which type it verifies, and whether the issuer verifies
// it online (the odd codes) rather than the ICC offline (the even ones).
func (c Code) Biometric() (typ BiometricType, online, ok bool) {
	c &= 0x3F
	if c < FacialBiometricOffline || c > VoiceBiometricOnline {
		return 0, false, false
	}
	return BiometricType((c-FacialBiometricOffline)/2 + 1), c&1 == 1, true
}

// BiometricDevice is the terminal's biometric capture device: the seam
// through which [Perform] carries out a biometric CVM (EMV 4.4 Book 3
// §10.5, CV Rule codes 06 to 0F), as [PINPad] is for the PIN CVMs. A
// terminal without one passes a nil BiometricDevice in [Input].
//
// How a sample is captured, which of the card's biometric templates it is
// matched against, and how it is enciphered for the card or the issuer
// belong to the biometric solution the device implements (the card's
// biometric data and the EMV biometric specifications), not to the CVM
// List walk. The kernel therefore hands the whole CVM to the device and
// keeps what Book 3 gives it: which CV Rule applies, the TVR bits, the
// CVM Results and whether to go on to the next rule.
//
// Each method returns a result or one of the sentinel errors below. Any
// other error, except the context's own, is taken as the device not
// working. The methods must honour ctx.
type BiometricDevice interface {
	// VerifyOffline performs a biometric CVM verified offline by the ICC
	// (even codes 06 to 0E): capture, encipherment for the card and the
	// card's verification. card carries the device's commands to the
	// card; [Perform] records them with their data redacted.
	VerifyOffline(ctx context.Context, card apdu.Transceiver, req BiometricRequest) (BiometricVerdict, error)
	// CaptureOnline performs a biometric CVM verified online (odd codes 07
	// to 0F): capture and encipherment for the issuer. The returned data
	// goes to the authorisation request unread.
	CaptureOnline(ctx context.Context, req BiometricRequest) (OnlineBiometric, error)
}

// Sentinel errors a [BiometricDevice] returns instead of a result. Each
// makes the CVM not performed and sets the EMV 4.4 TVR bit it names (Book 3
// Annex C5); the next CV Rule then applies if the rule allows it.
var (
	// ErrBiometricBypassed: the cardholder or attendant bypassed the
	// biometric subtype entry. TVR "Biometric required, Biometric capture
	// device present, but Biometric Subtype entry was bypassed".
	ErrBiometricBypassed = errors.New("cvm: biometric entry bypassed")
	// ErrBiometricDeviceNotWorking: the capture device is out of order.
	// TVR "Biometric required but Biometric capture device not working".
	ErrBiometricDeviceNotWorking = errors.New("cvm: biometric capture device not working")
	// ErrBiometricTypeNotSupported: the device cannot capture the
	// biometric type the card selected. TVR "A selected Biometric Type not
	// supported".
	ErrBiometricTypeNotSupported = errors.New("cvm: biometric type not supported")
	// ErrBiometricTemplateFormatNotSupported: the device cannot use the
	// card's biometric template format. TVR "Biometric template format not
	// supported".
	ErrBiometricTemplateFormatNotSupported = errors.New("cvm: biometric template format not supported")
	// ErrBiometricCancelled: the cardholder cancelled the transaction at
	// the biometric prompt. Perform stops with an error wrapping it, as for
	// [ErrPINCancelled].
	ErrBiometricCancelled = errors.New("cvm: biometric entry cancelled")
)

// BiometricVerdict is the card's answer to an offline biometric CVM.
type BiometricVerdict int

// The verdicts [BiometricDevice.VerifyOffline] returns.
const (
	// BiometricMatched: the card matched the sample. The CVM succeeded;
	// TVR "Biometric performed and successful".
	BiometricMatched BiometricVerdict = iota + 1
	// BiometricNotMatched: the card refused the sample. The CVM was
	// performed and failed.
	BiometricNotMatched
	// BiometricTryLimitReached: the card refused the sample and has no
	// biometric tries left, or had none before. The CVM failed; TVR
	// "Biometric Try Limit exceeded".
	BiometricTryLimitReached
)

// String names the verdict.
func (v BiometricVerdict) String() string {
	switch v {
	case BiometricMatched:
		return "matched"
	case BiometricNotMatched:
		return "not matched"
	case BiometricTryLimitReached:
		return "try limit exceeded"
	}
	return fmt.Sprintf("BiometricVerdict(%d)", int(v))
}

// BiometricRequest is what a biometric prompt shows and needs.
type BiometricRequest struct {
	// Code is the CVM of the CV Rule being performed (06 to 0F).
	Code Code
	// Type is the biometric type of Code.
	Type BiometricType
	// Amount and Currency are the Amount, Authorised (minor units) and the
	// Transaction Currency Code, for the prompt.
	Amount   uint64
	Currency [2]byte
}

// String describes the request.
func (r BiometricRequest) String() string {
	where := "offline"
	if _, online, _ := r.Code.Biometric(); online {
		where = "online"
	}
	return fmt.Sprintf("%s biometric (%s) prompt, CVM %02X", r.Type, where, byte(r.Code))
}

// OnlineBiometric is the enciphered biometric data a [BiometricDevice]
// produces for the issuer. Biometric data is personal data: like
// [OnlinePINBlock] it never prints its bytes; [OnlineBiometric.Bytes] is
// the one way to get them, for the host message.
type OnlineBiometric struct {
	ref func() *[]byte
}

// NewOnlineBiometric wraps enciphered biometric data; data is copied.
func NewOnlineBiometric(data []byte) OnlineBiometric {
	d := append([]byte(nil), data...)
	return OnlineBiometric{ref: func() *[]byte { return &d }}
}

func (b OnlineBiometric) data() []byte {
	if b.ref == nil {
		return nil
	}
	return *b.ref()
}

// IsZero reports whether b holds no data.
func (b OnlineBiometric) IsZero() bool { return len(b.data()) == 0 }

// Bytes returns a copy of the data.
func (b OnlineBiometric) Bytes() []byte {
	if d := b.data(); len(d) > 0 {
		return append([]byte(nil), d...)
	}
	return nil
}

// Zero overwrites the data.
func (b OnlineBiometric) Zero() {
	if b.ref != nil {
		p := b.ref()
		clear(*p)
		*p = nil
	}
}

// String returns "[redacted]".
func (b OnlineBiometric) String() string { return redacted }

// GoString returns "cvm.OnlineBiometric{[redacted]}".
func (b OnlineBiometric) GoString() string { return "cvm.OnlineBiometric{" + redacted + "}" }

// Format writes "[redacted]" for every verb.
func (b OnlineBiometric) Format(f fmt.State, verb rune) {
	writeRedacted(f, verb, "cvm.OnlineBiometric")
}

// LogValue makes log/slog print "[redacted]".
func (b OnlineBiometric) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText returns "[redacted]", so JSON and text encoders never see
// the data.
func (b OnlineBiometric) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// biometricCapability is the 9F33 byte 2 bit a biometric CVM needs (EMV
// 4.4 Book 4 Annex A2).
func biometricCapability(online bool) byte {
	if online {
		return CapOnlineBiometric
	}
	return CapOfflineBiometric
}

// biometric performs a biometric CVM whose condition is satisfied and
// which the terminal supports (9F33 byte 2 bit 3 or 2, EMV 4.4 Book 4
// Annex A2). EMV 4.4 Book 3 §10.5 and Annex C5 give the outcomes:
//
//   - no device, or a device that does not work: "Biometric required but
//     Biometric capture device not working", not performed;
//   - entry bypassed: "... Biometric Subtype entry was bypassed", not
//     performed;
//   - type or template format not supported: their TVR bits, not
//     performed;
//   - offline, matched: successful, "Biometric performed and successful",
//     CVM Results outcome 02;
//   - offline, not matched: performed and failed; try limit reached:
//     also "Biometric Try Limit exceeded";
//   - online, captured: "Online CVM captured", outcome unknown (00): the
//     issuer verifies it, as for online PIN (§10.5.2).
func (s *state) biometric(r Rule, typ BiometricType, online bool) (attempt, error) {
	if s.in.Biometric == nil {
		s.res.TVR.Set(tvr.BiometricCaptureDeviceNotWorking)
		return notPerformed, nil
	}
	req := BiometricRequest{Code: r.Code(), Type: typ, Amount: s.in.Amount, Currency: s.in.TransactionCurrency}
	if online {
		data, err := s.in.Biometric.CaptureOnline(s.ctx, req)
		if err != nil {
			data.Zero()
			return s.biometricError(err)
		}
		if data.IsZero() {
			return s.biometricError(ErrBiometricDeviceNotWorking)
		}
		s.res.TVR.Set(tvr.OnlineCVMCaptured)
		s.res.OnlineBiometric = data
		s.recordSuccess(r, Unknown)
		return succeeded, nil
	}
	s.linkGiven = true
	v, err := s.in.Biometric.VerifyOffline(s.ctx, biometricLink{s}, req)
	if s.fatal != nil {
		// The card or reader failed under the device: Perform stops, as
		// it does for its own commands.
		return notPerformed, s.fatal
	}
	if err != nil {
		return s.biometricError(err)
	}
	switch v {
	case BiometricMatched:
		s.res.TVR.Set(tvr.BiometricPerformedSuccessful)
		s.recordSuccess(r, Successful)
		return succeeded, nil
	case BiometricTryLimitReached:
		s.res.TVR.Set(tvr.BiometricTryLimitExceeded)
		return failed, nil
	case BiometricNotMatched:
		return failed, nil
	}
	// A verdict the device should not give: it misbehaved.
	return s.biometricError(ErrBiometricDeviceNotWorking)
}

// biometricError maps what a biometric device returned instead of a
// result. It returns a non-nil error only when Perform must stop.
func (s *state) biometricError(err error) (attempt, error) {
	switch {
	case errors.Is(err, ErrBiometricCancelled):
		return notPerformed, &Error{Op: "biometric entry", Err: ErrBiometricCancelled}
	case s.ctx.Err() != nil:
		return notPerformed, &Error{Op: "biometric entry", Err: s.ctx.Err()}
	case errors.Is(err, ErrBiometricBypassed):
		s.res.TVR.Set(tvr.BiometricSubtypeBypassed)
	case errors.Is(err, ErrBiometricTypeNotSupported):
		s.res.TVR.Set(tvr.BiometricTypeNotSupported)
	case errors.Is(err, ErrBiometricTemplateFormatNotSupported):
		s.res.TVR.Set(tvr.BiometricTemplateFormatNotSupported)
	default:
		s.res.TVR.Set(tvr.BiometricCaptureDeviceNotWorking)
		if s.debugOn {
			s.log.Debug("cvm: biometric device not working", "error", errString(err))
		}
	}
	return notPerformed, nil
}

// biometricLink is the card as a [BiometricDevice] sees it: every command
// goes through Perform's exchange, so it is recorded (its data redacted,
// since it carries biometric data) and a failure of the card or reader
// stops cardholder verification.
type biometricLink struct{ s *state }

func (l biometricLink) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	s := l.s
	if s.fatal != nil {
		return nil, s.fatal
	}
	c, err := apdu.ParseCommand(command)
	if err != nil {
		return nil, fmt.Errorf("cvm: biometric device command: %w", err)
	}
	raw, err := s.card.Transmit(ctx, command)
	if err != nil {
		s.fatal = &Error{Op: c.Name(), Err: err}
		return nil, s.fatal
	}
	resp, err := apdu.ParseResponse(raw)
	if err != nil {
		s.fatal = &Error{Op: c.Name(), Err: err}
		return nil, s.fatal
	}
	rec := Exchange{Command: c, DataLen: len(c.Data), SW: resp.SW}
	rec.Command.Data = nil
	s.res.Commands = append(s.res.Commands, rec)
	if s.debugOn {
		s.log.Debug("cvm: biometric device command", "command", c.Name(), "data_len", rec.DataLen, "sw", resp.SW.String())
	}
	return raw, nil
}
