package emv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
)

// Terminal is the terminal application's side of a transaction: the
// people and systems the kernel asks. Every field is optional; when one is
// nil the kernel does what the books say a terminal without it does.
type Terminal struct {
	// Selector lets the cardholder choose or confirm an application
	// (Book 1 §12.4). Nil: the terminal supports neither; the kernel takes
	// the candidate of highest priority and leaves out the applications
	// whose Application Priority Indicator requires confirmation.
	Selector Selector

	// PINPad takes the cardholder's PIN (Book 3 §10.5, package cvm). Nil:
	// the terminal has no PIN pad; PIN CVMs set "PIN entry required and
	// PIN pad not present or not working".
	PINPad cvm.PINPad

	// Biometric is the biometric capture device that performs the EMV 4.4
	// biometric CVMs (CV Rule codes 06 to 0F, package cvm), if 9F33 byte
	// 2 bit 3 (online) or bit 2 (offline) says the terminal supports
	// them. Nil with those bits set: a biometric CVM sets "Biometric
	// required but Biometric capture device not working". In a [Session]
	// it is taken from the Terminal as is; there is no Request for it.
	Biometric cvm.BiometricDevice

	// Host sends the authorisation request to the issuer (Book 3 §10.9).
	// Nil: the terminal is unable to go online, and an ARQC is followed by
	// the default action analysis (Book 3 §10.7).
	Host Host

	// Display shows the standard messages of Book 4 §11.2 to the
	// cardholder and the attendant; a [LanguageDisplay] shows them in the
	// cardholder's language (Book 4 §11.1). Nil: nothing is shown.
	Display Display

	// TransactionLog finds the most recent approved transaction with the
	// same card, for the split-sales check of the floor limit
	// (Book 3 §10.6.1). Nil: the terminal keeps no log.
	TransactionLog TransactionLog

	// ExceptionFile reports whether the card is on the terminal exception
	// file (Book 3 §10.6, TVR byte 1 bit 5). Nil: no exception file.
	ExceptionFile func(pan, panSequence []byte) bool
}

// Candidate is one application of the candidate list (Book 1 §12.3).
type Candidate struct {
	AID           AID    // the DF name 84 (or 4F from the directory)
	Label         string // Application Label 50
	PreferredName string // Application Preferred Name 9F12
	// Priority is the Application Priority Indicator 87 (Book 1 §12.2.3):
	// bits 4-1 the priority (1 highest, 0 none), bit 8 set when the
	// application may not be selected without cardholder confirmation.
	Priority byte
	// terminal is the index of the matching entry of Config.Applications.
	terminal int
}

// ConfirmationRequired reports whether the application cannot be selected
// without the cardholder's confirmation (API bit 8).
func (c Candidate) ConfirmationRequired() bool { return c.Priority&0x80 != 0 }

// Name returns what to show the cardholder: the preferred name if any,
// else the label, else the AID in hex (Book 1 §12.2.4).
func (c Candidate) Name() string {
	switch {
	case c.PreferredName != "":
		return c.PreferredName
	case c.Label != "":
		return c.Label
	}
	return fmt.Sprintf("%X", c.AID)
}

// Selector is the cardholder's part in application selection
// (Book 1 §12.4).
type Selector interface {
	// Choose shows the candidates (in priority order) and returns the index
	// of the one the cardholder picked. Returning ErrCancelled (or any
	// error) terminates the transaction.
	Choose(ctx context.Context, candidates []Candidate) (int, error)
	// Confirm asks the cardholder to confirm the one application offered
	// and reports whether they did. A refusal removes it from the list.
	Confirm(ctx context.Context, c Candidate) (bool, error)
}

// OnlineRequest is what the kernel gives the host for an authorisation
// (Book 3 §10.9).
//
// The PAN and track 2 are not fields: [OnlineRequest.PAN] and
// [OnlineRequest.Track2] return them in clear, for the host message (ISO
// 8583 fields 2 and 35), and nothing else shows them. The request's
// String, Format (every fmt verb: %v %+v %#v %s %q %x %d ...), GoString,
// MarshalJSON and LogValue (slog's JSON and text handlers) mask them as
// the receipt does ([tlv.MaskPAN], [tlv.MaskTrack2]); a struct that holds a
// request in an unexported field, which fmt prints by reflection, shows at
// most an address for them, because they are held by a closure, as
// [cvm.PIN] holds its digits.
//
// Every byte string of a request the kernel builds is the request's own
// copy, and PAN and Track2 return a new copy on each call: a host may keep
// the request and change what it got (zero it once the message is sent)
// without touching the transaction, its receipt or its [Result].
type OnlineRequest struct {
	Transaction Transaction
	AID         AID    // 84
	PANSequence []byte // 5F34, nil when absent
	// ICCData is field 55: the data objects of [Field55Tags] (neither the
	// PAN nor track 2 is among them).
	ICCData []byte
	// OnlinePIN reports that the cardholder entered a PIN for online
	// verification; the PIN pad gave its block to the terminal directly.
	OnlinePIN bool
	// OnlinePINBlock is the PIN block the PIN pad enciphered for the
	// issuer; zero when no online PIN was entered. It never prints.
	// Zeroing it once the host message is built is safe: the kernel does
	// not read it again.
	OnlinePINBlock cvm.OnlinePINBlock
	// OnlineBiometric is the biometric data the capture device enciphered
	// for the issuer when the CVM performed was a biometric one verified
	// online (EMV 4.4); zero otherwise. It never prints.
	OnlineBiometric cvm.OnlineBiometric

	card func() *cardNumbers // the PAN and track 2, behind a closure
}

// cardNumbers is what an [OnlineRequest] must show only on request.
type cardNumbers struct{ pan, track2 []byte }

// NewOnlineRequest returns a request for txn with copies of the PAN (5A,
// compressed numeric) and track 2 (57, nil when absent); the other fields
// are set by the caller. The kernel builds its requests with it; so can a
// test of a [Host].
func NewOnlineRequest(txn Transaction, pan, track2 []byte) *OnlineRequest {
	return newOnlineRequest(txn, bytes.Clone(pan), bytes.Clone(track2))
}

// newOnlineRequest is NewOnlineRequest for a PAN and track 2 that are
// already the request's own copies.
func newOnlineRequest(txn Transaction, pan, track2 []byte) *OnlineRequest {
	return new(requestBox).request(txn, pan, track2)
}

// requestBox is an [OnlineRequest] with its card numbers and room for the
// copies of its short byte strings, allocated together.
type requestBox struct {
	req  OnlineRequest
	nums cardNumbers
	buf  [64]byte
}

// request makes b the request for txn with the card numbers pan and
// track2, the request's own copies.
func (b *requestBox) request(txn Transaction, pan, track2 []byte) *OnlineRequest {
	b.nums = cardNumbers{pan: pan, track2: track2}
	c := &b.nums
	b.req = OnlineRequest{Transaction: txn, card: func() *cardNumbers { return c }}
	return &b.req
}

// cloneAll sets out[i] to a copy of vs[i], all in one allocation, each
// with its length for capacity; a nil v gives nil, as bytes.Clone does.
func cloneAll(out [][]byte, vs ...[]byte) { cloneAllInto(nil, out, vs...) }

// cloneAllInto is cloneAll in room when the copies fit there.
func cloneAllInto(room []byte, out [][]byte, vs ...[]byte) {
	n := 0
	for _, v := range vs {
		n += len(v)
	}
	buf := room[:0]
	if n > cap(buf) {
		buf = make([]byte, 0, n)
	}
	for i, v := range vs {
		if v == nil {
			continue
		}
		start := len(buf)
		buf = append(buf, v...)
		out[i] = buf[start:len(buf):len(buf)]
	}
}

func (r OnlineRequest) numbers() cardNumbers {
	if r.card == nil {
		return cardNumbers{}
	}
	return *r.card()
}

// PAN returns a copy of the Application PAN 5A in clear (compressed
// numeric, F-padded), for the host message; nil when the request has
// none. [tlv.Digits] reads its digits.
func (r OnlineRequest) PAN() []byte { return bytes.Clone(r.numbers().pan) }

// Track2 returns a copy of the Track 2 Equivalent Data 57 in clear, for
// the host message; nil when the card has none.
func (r OnlineRequest) Track2() []byte { return bytes.Clone(r.numbers().track2) }

// String describes the request with the PAN masked.
func (r OnlineRequest) String() string {
	return fmt.Sprintf("online request %s amount %d PAN %s AID %X, %d bytes of ICC data",
		r.Transaction.Type, r.Transaction.Amount, maskPAN(r.numbers().pan), r.AID, len(r.ICCData))
}

// GoString returns "emv.OnlineRequest{" + String + "}": %#v masks too.
func (r OnlineRequest) GoString() string { return "emv.OnlineRequest{" + r.String() + "}" }

// Format writes [OnlineRequest.String] for every verb, and GoString for
// %#v, so that no verb prints the PAN or track 2: %x and %d would
// otherwise print their bytes.
func (r OnlineRequest) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, r.GoString())
		return
	}
	_, _ = io.WriteString(f, r.String())
}

// onlineRequestJSON is the masked form of a request in JSON.
type onlineRequestJSON struct {
	Type           string             `json:"type"`
	Amount         uint64             `json:"amount"`
	AmountOther    uint64             `json:"amount_other,omitempty"`
	Time           time.Time          `json:"time"`
	AID            string             `json:"aid"`
	PAN            string             `json:"pan"`
	PANSequence    string             `json:"pan_sequence,omitempty"`
	Track2         string             `json:"track2,omitempty"`
	ICCData        string             `json:"icc_data"`
	OnlinePIN      bool               `json:"online_pin,omitempty"`
	OnlinePINBlock cvm.OnlinePINBlock `json:"online_pin_block,omitzero"`
}

func (r OnlineRequest) masked() onlineRequestJSON {
	n := r.numbers()
	j := onlineRequestJSON{
		Type:           fmt.Sprintf("%02X", byte(r.Transaction.Type)),
		Amount:         r.Transaction.Amount,
		AmountOther:    r.Transaction.AmountOther,
		Time:           r.Transaction.Time,
		AID:            hexUpper(r.AID),
		PAN:            maskPAN(n.pan),
		PANSequence:    hexUpper(r.PANSequence),
		ICCData:        hexUpper(r.ICCData),
		OnlinePIN:      r.OnlinePIN,
		OnlinePINBlock: r.OnlinePINBlock,
	}
	if n.track2 != nil {
		j.Track2 = tlv.MaskTrack2(n.track2)
	}
	return j
}

// MarshalJSON writes the request with the PAN and track 2 masked and the
// PIN block "[redacted]": a request logged or dumped as JSON shows what a
// receipt shows.
func (r OnlineRequest) MarshalJSON() ([]byte, error) { return json.Marshal(r.masked()) }

// LogValue makes log/slog, with any handler, print the request's fields
// with the PAN and track 2 masked and no PIN block.
func (r OnlineRequest) LogValue() slog.Value {
	j := r.masked()
	attrs := []slog.Attr{
		slog.String("type", j.Type), slog.Uint64("amount", j.Amount),
		slog.String("aid", j.AID), slog.String("pan", j.PAN),
	}
	if j.PANSequence != "" {
		attrs = append(attrs, slog.String("pan_sequence", j.PANSequence))
	}
	if j.Track2 != "" {
		attrs = append(attrs, slog.String("track2", j.Track2))
	}
	attrs = append(attrs, slog.String("icc_data", j.ICCData), slog.Bool("online_pin", j.OnlinePIN))
	return slog.GroupValue(attrs...)
}

// OnlineResponse is the issuer's answer (Book 3 §10.9). An answer whose
// ARC or Issuer Authentication Data breaks the format of Book 3 Annex A is
// unusable: the kernel handles it as unable to go online (the default
// action analysis decides, with ARC Y3 or Z3) and uses nothing of it.
type OnlineResponse struct {
	// Approved is the issuer's decision.
	Approved bool
	// ARC is the Authorisation Response Code 8A: exactly two alphanumeric
	// characters ("00", "Y1"; Annex A: an 2).
	ARC string
	// IssuerAuthData is the Issuer Authentication Data 91 (ARPC and
	// proprietary data), 8 to 16 bytes (Annex A: b 8-16); nil when the
	// issuer sent none.
	IssuerAuthData []byte
	// Scripts holds the issuer scripts: 71 and 72 templates as received,
	// concatenated.
	Scripts []byte
}

// Host carries the authorisation request to the issuer.
type Host interface {
	// Authorise returns the issuer's answer. An error means the terminal
	// was unable to go online (Book 3 §10.7): the transaction then goes on
	// with the default action analysis, it is not terminated. When ctx
	// ends first, the kernel stops waiting and terminates the transaction
	// with [ErrHostAbandoned] (and the context's error); the call is left
	// to finish on its own.
	Authorise(ctx context.Context, req *OnlineRequest) (*OnlineResponse, error)
}

// ErrUnableToGoOnline is what a Host returns when it has no connection.
var ErrUnableToGoOnline = errors.New("emv: unable to go online")

// Message is a standard message of Book 4 §11.2, by its identifier.
type Message byte

// Standard messages (Book 4 §11.2, Table 8).
const (
	MsgAmount          Message = 0x01
	MsgAmountOK        Message = 0x02
	MsgApproved        Message = 0x03
	MsgCallYourBank    Message = 0x04
	MsgCancelOrEnter   Message = 0x05
	MsgCardError       Message = 0x06
	MsgDeclined        Message = 0x07
	MsgEnterAmount     Message = 0x08
	MsgEnterPIN        Message = 0x09
	MsgIncorrectPIN    Message = 0x0A
	MsgInsertCard      Message = 0x0B
	MsgNotAccepted     Message = 0x0C
	MsgPINOK           Message = 0x0D
	MsgPleaseWait      Message = 0x0E
	MsgProcessingError Message = 0x0F
	MsgRemoveCard      Message = 0x10
	MsgUseChipReader   Message = 0x11
	MsgUseMagStripe    Message = 0x12
	MsgTryAgain        Message = 0x13
)

var messageText = map[Message]string{
	MsgAmount: "AMOUNT", MsgAmountOK: "AMOUNT OK?", MsgApproved: "APPROVED",
	MsgCallYourBank: "CALL YOUR BANK", MsgCancelOrEnter: "CANCEL OR ENTER",
	MsgCardError: "CARD ERROR", MsgDeclined: "DECLINED", MsgEnterAmount: "ENTER AMOUNT",
	MsgEnterPIN: "ENTER PIN", MsgIncorrectPIN: "INCORRECT PIN", MsgInsertCard: "INSERT CARD",
	MsgNotAccepted: "NOT ACCEPTED", MsgPINOK: "PIN OK", MsgPleaseWait: "PLEASE WAIT",
	MsgProcessingError: "PROCESSING ERROR", MsgRemoveCard: "REMOVE CARD",
	MsgUseChipReader: "USE CHIP READER", MsgUseMagStripe: "USE MAG STRIPE", MsgTryAgain: "TRY AGAIN",
}

// String returns the message's English text.
func (m Message) String() string {
	if s, ok := messageText[m]; ok {
		return s
	}
	return fmt.Sprintf("MESSAGE %02X", byte(m))
}

// Display shows standard messages.
type Display interface {
	Show(ctx context.Context, m Message)
}

// TransactionLog is the terminal's record of approved transactions
// (Book 3 §10.6.1).
type TransactionLog interface {
	// RecentAmount returns the amount authorised of the most recent
	// logged transaction with this PAN (and PAN sequence number, nil when
	// the card has none), and whether there is one.
	RecentAmount(pan, panSequence []byte) (uint64, bool)
}
