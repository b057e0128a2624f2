package cvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/emvkit/emvkit/tlv"
)

// PINPad is the terminal's PIN entry device (Book 4 §6.3): the
// seam through which [Perform] asks the cardholder for a PIN. A terminal
// without a PIN pad passes a nil PINPad in [Input]; Perform then follows
// Book 3 §10.5 for "PIN pad not present".
//
// Each method returns either a PIN (or block) or one of the sentinel
// errors below. Any other error, except the context's own, is taken as the
// PIN pad not working. The methods must honour ctx.
type PINPad interface {
	// EnterOfflinePIN prompts for a PIN the card will verify (offline
	// plaintext or enciphered PIN). The returned PIN belongs to Perform,
	// which zeroes it after use.
	EnterOfflinePIN(ctx context.Context, req PINRequest) (PIN, error)
	// EnterOnlinePIN prompts for a PIN for the issuer and returns it
	// enciphered by the PIN pad (ISO 9564 format 0 or 4 under the pad's
	// key), so the kernel never sees it in clear.
	EnterOnlinePIN(ctx context.Context, req PINRequest) (OnlinePINBlock, error)
}

// Sentinel errors a [PINPad] returns instead of a PIN.
var (
	// ErrPINBypassed: the cardholder or attendant bypassed PIN entry. The
	// TVR bit "PIN entry required, PIN pad present, but PIN was not
	// entered" is set and the CVM is unsuccessful (Book 3 §10.5.1).
	ErrPINBypassed = errors.New("cvm: PIN entry bypassed")
	// ErrPINTimeout: no PIN was entered in time. Treated as a bypass: the
	// PIN was not entered.
	ErrPINTimeout = errors.New("cvm: PIN entry timed out")
	// ErrPINCancelled: the cardholder cancelled the transaction at the PIN
	// prompt. Perform stops and returns an error wrapping it, so the kernel
	// terminates the transaction.
	ErrPINCancelled = errors.New("cvm: PIN entry cancelled")
	// ErrPINPadNotWorking: the PIN pad is out of order. The TVR bit "PIN
	// entry required and PIN pad not present or not working" is set and
	// the CVM is unsuccessful (Book 3 §10.5.1, §10.5.2).
	ErrPINPadNotWorking = errors.New("cvm: PIN pad not working")
)

// PINKind says which CVM a PIN is asked for.
type PINKind int

// The PIN kinds a [PINRequest] can carry.
const (
	OfflinePlaintextPIN  PINKind = iota + 1 // VERIFY P2 80
	OfflineEncipheredPIN                    // VERIFY P2 88
	OnlinePIN                               // enciphered by the PIN pad for the issuer
)

// String names the kind.
func (k PINKind) String() string {
	switch k {
	case OfflinePlaintextPIN:
		return "offline plaintext PIN"
	case OfflineEncipheredPIN:
		return "offline enciphered PIN"
	case OnlinePIN:
		return "online PIN"
	}
	return fmt.Sprintf("PINKind(%d)", int(k))
}

// PINRequest is what a PIN prompt shows and needs.
type PINRequest struct {
	Kind PINKind
	// TriesLeft is the number of PIN tries the card has left, from the PIN
	// Try Counter (9F17) or the last VERIFY answer 63Cx; -1 when unknown
	// (always for online PIN).
	TriesLeft int
	// LastTry is set when TriesLeft is 1: the terminal may warn that this
	// is the last try before the PIN is blocked.
	LastTry bool
	// Retry is set after the card refused the previous offline PIN: the
	// PIN pad shows "Incorrect PIN" before prompting again (Book 4 §6.3).
	Retry bool
	// Amount and Currency are the Amount, Authorised (minor units) and the
	// Transaction Currency Code, for the prompt.
	Amount   uint64
	Currency [2]byte
	// PAN holds the Application PAN (5A, compressed numeric) for an online
	// PIN, which formats 0, 3 and 4 bind to the PAN; nil for offline PIN.
	// The request prints it masked.
	PAN []byte
}

// String describes the request with the PAN masked.
func (r PINRequest) String() string {
	s := fmt.Sprintf("%s prompt, tries left %d", r.Kind, r.TriesLeft)
	if r.LastTry {
		s += ", last try"
	}
	if r.Retry {
		s += ", after incorrect PIN"
	}
	if r.PAN != nil {
		s += ", PAN " + maskPAN(r.PAN)
	}
	return s
}

// Format prints [PINRequest.String] for every verb, so the PAN is masked
// even under %#v.
func (r PINRequest) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(r.String())) }

// MarshalJSON writes [PINRequest.String] as a JSON string, so the PAN is
// masked in JSON too (encoding/json would write its bytes in base64).
func (r PINRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// PANDigits returns the PAN of an online PIN request as decimal digits,
// the form [PINBlock0], [PINBlock3] and [EncipherPINBlock4] take.
func (r PINRequest) PANDigits() (string, error) {
	d, ok := panString(r.PAN)
	if !ok {
		return "", ErrBadPAN
	}
	return d, nil
}

// LogValue makes log/slog print [PINRequest.String], PAN masked.
func (r PINRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }

// maskPAN shows a compressed numeric PAN as [tlv.MaskPAN] does (first 6
// and last 4 digits, PCI DSS truncation); a PAN too short to keep 10
// digits shows only its length.
func maskPAN(pan []byte) string {
	d, ok := panString(pan)
	if !ok {
		return fmt.Sprintf("[%d bytes, not a PAN]", len(pan))
	}
	if len(d) < 11 {
		return fmt.Sprintf("[%d digits]", len(d))
	}
	return tlv.MaskPAN(d)
}

// panString decodes a compressed numeric (cn) PAN, trailing F nibbles
// allowed, into its decimal digits.
func panString(pan []byte) (string, bool) {
	out := make([]byte, 0, 2*len(pan))
	done := false
	for _, b := range pan {
		for _, v := range [2]byte{b >> 4, b & 0x0F} {
			switch {
			case v == 0xF:
				done = true
			case done || v > 9:
				return "", false
			default:
				out = append(out, '0'+v)
			}
		}
	}
	if len(out) < 1 || len(out) > 19 {
		return "", false
	}
	return string(out), true
}
