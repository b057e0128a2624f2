package contactless

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
)

// KernelID is the Kernel Identifier of a combination: the first byte of
// Kernel Identifier 9F2A (Book B §3.3.2.5), or the kernel the Entry Point
// takes by default for the AID's RID when the card names none.
type KernelID byte

// The kernels of EMV Contactless Book A §3.1 (Table 3-1) that this module
// knows by name. Values from 08 on are other EMVCo kernels; domestic kernels
// have bit 8 or bit 7 of the Kernel Identifier's first byte set
// (Book B §3.3.2.5).
const (
	Kernel1 KernelID = 0x01 // Book C-1
	Kernel2 KernelID = 0x02 // Book C-2, Mastercard
	Kernel3 KernelID = 0x03 // Book C-3, Visa
	Kernel4 KernelID = 0x04 // Book C-4, American Express
	Kernel5 KernelID = 0x05 // Book C-5, JCB
	Kernel6 KernelID = 0x06 // Book C-6, Discover
	Kernel7 KernelID = 0x07 // Book C-7, UnionPay
)

var kernelNames = [...]string{
	Kernel1: "Kernel 1", Kernel2: "Kernel 2 (Mastercard)", Kernel3: "Kernel 3 (Visa)",
	Kernel4: "Kernel 4 (American Express)", Kernel5: "Kernel 5 (JCB)",
	Kernel6: "Kernel 6 (Discover)", Kernel7: "Kernel 7 (UnionPay)",
}

// String names the kernel: "Kernel 3 (Visa)", or "Kernel 2A" for others.
func (k KernelID) String() string {
	if int(k) < len(kernelNames) && kernelNames[k] != "" {
		return kernelNames[k]
	}
	return fmt.Sprintf("Kernel %02X", byte(k))
}

// A Kernel runs one contactless kernel's flow (its Book C-n) on the card
// the Entry Point selected, and returns the Outcome. Kernels are
// registered with the Entry Point by [KernelID].
//
// Activate is called once per kernel activation (Book B §3.4), with the
// card already selected: the final SELECT's response is in
// [Activation.FCI]. It must not keep a reference to a in the Outcome or
// after it returns, and must be safe to call from several goroutines for
// different transactions.
//
// A kernel reports what its book defines as an Outcome, never as an error:
// a card that answers badly, an ODA failure, a decline. Activate returns an
// error only when the card link failed (the card left the field mid
// exchange: errors.Is(err, apdu.ErrCardRemoved)) or the context ended,
// and then the Entry Point decides the outcome (Book B §3.5).
type Kernel interface {
	Activate(ctx context.Context, a *Activation) (*Outcome, error)
}

// KernelFunc adapts a function to [Kernel].
type KernelFunc func(ctx context.Context, a *Activation) (*Outcome, error)

// Activate calls f(ctx, a).
func (f KernelFunc) Activate(ctx context.Context, a *Activation) (*Outcome, error) {
	return f(ctx, a)
}

// Activation is what the Entry Point hands a kernel (Book B §3.4.1.1): the
// card, the selected combination and its configuration, the pre-processing
// indicators, the transaction and the terminal's data.
type Activation struct {
	// Card carries commands to the selected card.
	Card apdu.Transceiver

	// Start is where the Entry Point was started: StartA..StartC for a new
	// activation, StartB with OnlineResponse set when the terminal restarts
	// after an online response (Book A §5.4, issuer update processing).
	Start Start

	// Combination is the selected combination: the AID that was selected,
	// the Kernel ID and the reader configuration that applies to it.
	Combination *Combination

	// FCI is the File Control Information template (6F) of the final
	// SELECT response, without the status word (Book B §3.3.3.6).
	FCI []byte

	// Indicators are the Entry Point Pre-Processing Indicators of the
	// combination (Book B §3.1.1), with the TTQ the kernel sends.
	Indicators Indicators

	// Transaction is the transaction's data.
	Transaction *Transaction

	// TerminalData holds the terminal's data objects for this combination
	// as BER-TLV (primitive objects, one after another): the terminal data
	// of [Config] (9F1A, 5F2A, 5F36, 9F35, 9F33, 9F40, 9F15, 9F16, 9F1C, 9F1E,
	// 9F01, 9F4E), the combination's Application Version Number 9F09 and
	// Terminal Floor Limit 9F1B when configured, its
	// [CombinationConfig.KernelData], the
	// transaction's data (9F02, 9F03, 9C, 9A, 9F21) and the TTQ 9F66 of
	// Indicators. A kernel finds them with tlv.Find and adds its own
	// (9F37, TVR).
	TerminalData []byte

	// OnlineResponse is, for a restart at Start B after an online
	// authorisation, the issuer's response data as BER-TLV (8A, 91, 71, 72);
	// nil otherwise.
	OnlineResponse []byte

	// CAKeys holds the certification authority public keys for offline
	// data authentication. Nil: no keys; every ODA method fails for lack of
	// a key.
	CAKeys *oda.KeyStore

	// ExceptionFile reports whether the card is on the terminal exception
	// file. Nil: no exception file.
	ExceptionFile func(pan, panSequence []byte) bool

	// UI receives the User Interface Requests a kernel sends while it runs
	// (Book A §7.1; for instance "card read OK" before the card may leave
	// the field). Never nil: the Entry Point records each request in order
	// and passes it to the terminal's display.
	UI func(UIRequest)

	// Time, Rand and Logger are the Entry Point's clock, randomness and
	// logger (see [Config]); never nil.
	Time   func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}
