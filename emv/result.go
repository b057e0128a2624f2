package emv

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// Outcome is how a transaction ended (Book 3 §10.8 to §10.11, Book 4 §6.3).
type Outcome int

// Outcomes.
const (
	// OutcomeNone: the transaction has not reached an outcome.
	OutcomeNone Outcome = iota
	// Approved: the card returned a TC at the first GENERATE AC (offline
	// approval).
	Approved
	// Declined: the card returned an AAC at the first GENERATE AC, or the
	// terminal asked for one (offline decline).
	Declined
	// OnlineApproved: the issuer approved and the card agreed (TC at the
	// second GENERATE AC).
	OnlineApproved
	// OnlineDeclined: the issuer declined, or the card refused the
	// issuer's approval at the second GENERATE AC.
	OnlineDeclined
	// ApprovedUnableOnline: the terminal could not go online and the
	// default action analysis let the card approve offline
	// (Book 3 §10.7, §10.9).
	ApprovedUnableOnline
	// DeclinedUnableOnline: the terminal could not go online and the
	// transaction was declined offline.
	DeclinedUnableOnline
	// Terminated: the transaction stopped before an outcome; see
	// [Result.Terminated].
	Terminated
	// TryAnotherInterface: technical fallback. The chip could not be used
	// (no answer to a command, no application both the card and the
	// terminal support, a chip read failure before the first GENERATE
	// AC); the terminal may take the card through another interface, the
	// magnetic stripe of a contact card, as its acquirer allows (Book 4
	// §6.3.6). [Result.Terminated] says what failed. A card that gives
	// no ATR or fails its reset never reaches the kernel: the reader
	// reports that, and the terminal falls back there too.
	TryAnotherInterface
	// BalanceRead: an electronic cash balance inquiry read the card's
	// balance ([Result].ECBalance); no cryptogram was asked for.
	BalanceRead
)

var outcomeNames = [...]string{
	OutcomeNone:          "none",
	Approved:             "approved",
	Declined:             "declined",
	OnlineApproved:       "online approved",
	OnlineDeclined:       "online declined",
	ApprovedUnableOnline: "approved (unable to go online)",
	DeclinedUnableOnline: "declined (unable to go online)",
	Terminated:           "terminated",
	TryAnotherInterface:  "try another interface",
	BalanceRead:          "balance read",
}

// String returns the outcome's name.
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome %d", int(o))
}

// MarshalText encodes the outcome as its name.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// IsApproved reports whether the transaction was approved.
func (o Outcome) IsApproved() bool {
	return o == Approved || o == OnlineApproved || o == ApprovedUnableOnline
}

// ODAMethod is the offline data authentication method the kernel chose
// (Book 3 §10.3).
type ODAMethod int

// ODA methods.
const (
	ODANone ODAMethod = iota
	SDA
	DDA
	CDA
	XDA // Extended Data Authentication with ECC, EMV 4.4 Book 2 §12
)

// String returns "none", "SDA", "DDA", "CDA" or "XDA".
func (m ODAMethod) String() string {
	switch m {
	case SDA:
		return "SDA"
	case DDA:
		return "DDA"
	case CDA:
		return "CDA"
	case XDA:
		return "XDA"
	}
	return "none"
}

// MarshalText encodes the method as its name.
func (m ODAMethod) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// Cryptogram information data (9F27) values, Book 3 §6.5.5.4.
const (
	cidAAC  byte = 0x00
	cidTC   byte = 0x40
	cidARQC byte = 0x80
)

// Result is what a transaction leaves for the terminal: the outcome and
// the data for the authorisation and clearing messages, the receipt and
// the record.
type Result struct {
	Outcome Outcome `json:"outcome"`
	// Terminated is set when Outcome is Terminated: the step and reason.
	Terminated *TerminatedError `json:"-"`

	TVR        tvr.TVR     `json:"-"`
	TSI        tvr.TSI     `json:"-"`
	CVMResults cvm.Results `json:"-"` // 9F34 (Book 3 Annex A, Book 3 §10.5); prints in hex and words

	AID   AID    `json:"-"` // 84 (DF name) of the selected application
	Label string `json:"label,omitempty"`
	// PreferredName is the Application Preferred Name 9F12, if any.
	PreferredName string    `json:"preferred_name,omitempty"`
	ODA           ODAMethod `json:"oda"`

	// CID, AC, ATC and IAD are from the last GENERATE AC (9F27, 9F26, 9F36,
	// 9F10).
	CID byte   `json:"-"`
	AC  []byte `json:"-"`
	ATC []byte `json:"-"`
	IAD []byte `json:"-"`
	// UnpredictableNumber is 9F37 as sent to the card.
	UnpredictableNumber [4]byte `json:"-"`
	// ARC is the Authorisation Response Code 8A: the issuer's, or Y1/Z1
	// (offline approved/declined), Y3/Z3 (unable to go online, or a host
	// answer that could not be used) set by the terminal (Book 4 Annex A6).
	ARC string `json:"arc,omitempty"`
	// Advice reports that the card asked for an advice (9F27 bit 4,
	// Book 3 §10.8).
	Advice bool `json:"advice,omitempty"`
	// SignatureRequired reports that the CVM performed asks for the
	// cardholder's signature on the receipt.
	SignatureRequired bool `json:"signature_required,omitempty"`
	// ECIssuerAuthCode is the EC Issuer Authorization Code 9F74 ("ECC001")
	// that a UnionPay card returns in its records when it does the
	// transaction as electronic cash (JR/T 0025.13): the authorisation code
	// of the clearing record of an offline approval. Empty when the card
	// sent none, or one that is not six printable characters (a 6).
	ECIssuerAuthCode string `json:"ec_issuer_auth_code,omitempty"`

	// ICCData is the ICC system-related data for ISO 8583 field 55 of the
	// authorisation request (after the first GENERATE AC) or, once the
	// transaction is complete, of the clearing record: the data objects of
	// [Field55Tags] the transaction has, in that order.
	ICCData []byte `json:"-"`

	// ScriptResults is the Issuer Script Results 9F5B: five bytes per
	// script command processed (Book 3 Annex A, Book 3 §10.10).
	ScriptResults []byte `json:"-"`

	// Language is the language of the cardholder messages (ISO 639-1,
	// "zh", "en"): the first of the card's Language Preference 5F2D that
	// the terminal has ([Config].Languages), else the terminal's default
	// (Book 4 §11.1).
	Language string `json:"language,omitempty"`

	// ECBalance is the card's electronic cash balance and limits, read by
	// an electronic cash balance inquiry ([Transaction].ECBalance); nil
	// otherwise.
	ECBalance *ECBalance `json:"ec_balance,omitempty"`

	// Receipt is what the receipt prints, PAN masked.
	Receipt Receipt `json:"receipt"`

	// Trace is every exchange with the card, in order. The data of a
	// VERIFY command is not kept.
	Trace Trace `json:"-"`
}

// Field55Tags lists the data objects of the ICC data of an authorisation
// or clearing message, in the order the schemes' field 55 specifications
// list them (the common subset of the Visa and Mastercard lists, plus the
// objects EMV Book 4 Annex A names for online messages).
var Field55Tags = []tlv.Tag{
	0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A,
	0x82, 0x9F1A, 0x9F03, 0x9F33, 0x9F34, 0x9F35, 0x9F1E, 0x84, 0x9F09, 0x9F41,
	0x5F34, 0x9F6E, 0x9F7C, 0x9B, 0x9F5B,
}

// Receipt is the data a receipt shows (Book 4 §11.5). The PAN is masked.
type Receipt struct {
	MaskedPAN         string    `json:"masked_pan"`
	PANSequence       string    `json:"pan_sequence,omitempty"`
	AID               string    `json:"aid"`
	Label             string    `json:"label"`
	TVR               string    `json:"tvr"`
	TSI               string    `json:"tsi"`
	AC                string    `json:"ac"`
	CVMResults        string    `json:"cvm_results"`
	ATC               string    `json:"atc"`
	Amount            uint64    `json:"amount"`
	AmountOther       uint64    `json:"amount_other,omitempty"`
	Currency          uint16    `json:"currency"`
	Type              string    `json:"type"`
	Time              time.Time `json:"time"`
	Outcome           string    `json:"outcome"`
	SignatureRequired bool      `json:"signature_required"`
	// CardholderID is the UnionPay Cardholder ID Number 9F61 (the number
	// of the cardholder's identity document, JR/T 0025.5 Annex A) masked
	// by [tlv.MaskID], and CardholderIDType its type 9F62 in hex ("00":
	// resident identity card); both empty when the card has none.
	CardholderID     string `json:"cardholder_id,omitempty"`
	CardholderIDType string `json:"cardholder_id_type,omitempty"`
}

// Trace is the sequence of exchanges of a transaction as the kernel sent
// them (after the T=0 procedures), the data of VERIFY zeroed.
type Trace []apdu.TraceEntry

// Commands returns each command's name in order ("SELECT", "READ RECORD",
// ...), the shape tests compare.
func (t Trace) Commands() []string {
	out := make([]string, 0, len(t))
	for _, e := range t {
		c, err := apdu.ParseCommand(e.Command)
		if err != nil {
			out = append(out, "?")
			continue
		}
		out = append(out, c.Name())
	}
	return out
}

// Compact names the commands in a short form, space-separated, the form
// of a session file's expected commands ([Expectation]): SEL, RR, GPO,
// GDxxxx (GET DATA with its P1 P2), GC (GET CHALLENGE), VFY, IA (INTERNAL
// AUTHENTICATE), EA (EXTERNAL AUTHENTICATE), GACxx (GENERATE AC with its
// P1: "GAC50" asks for a TC with CDA), and CLA INS in hex for any other
// command; "?" for bytes that are not a command.
func (t Trace) Compact() string {
	out := make([]string, 0, len(t))
	for _, e := range t {
		c, err := apdu.ParseCommand(e.Command)
		if err != nil {
			out = append(out, "?")
			continue
		}
		switch c.INS {
		case apdu.InsSelect:
			out = append(out, "SEL")
		case apdu.InsReadRecord:
			out = append(out, "RR")
		case apdu.InsGetProcessingOptions:
			out = append(out, "GPO")
		case apdu.InsGetData:
			out = append(out, fmt.Sprintf("GD%02X%02X", c.P1, c.P2))
		case apdu.InsGetChallenge:
			out = append(out, "GC")
		case apdu.InsVerify:
			out = append(out, "VFY")
		case apdu.InsInternalAuthenticate:
			out = append(out, "IA")
		case apdu.InsExternalAuthenticate:
			out = append(out, "EA")
		case apdu.InsGenerateAC:
			out = append(out, fmt.Sprintf("GAC%02X", c.P1))
		default:
			out = append(out, fmt.Sprintf("%02X%02X", c.CLA, c.INS))
		}
	}
	return strings.Join(out, " ")
}

// String prints the trace one exchange per line, the PAN and track data
// masked ([apdu.MaskPAN]) and the PIN block absent.
func (t Trace) String() string {
	var b strings.Builder
	for _, e := range t {
		b.WriteString(e.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Format writes [Trace.String] for every verb: the card's answers hold
// the PAN and track 2, which %d, %o, %b and the other verbs fmt applies to
// the bytes themselves would otherwise print.
func (t Trace) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, t.String()) }

// MarshalJSON writes the trace as an array of its lines, masked as
// [Trace.String] masks them (encoding/json would write the bytes, PAN
// included, in base64).
func (t Trace) MarshalJSON() ([]byte, error) {
	lines := make([]string, 0, len(t))
	for _, e := range t {
		lines = append(lines, e.String())
	}
	return json.Marshal(lines)
}

// Session returns the trace as a recorded session (apdu's replay format)
// with the given header, ready for [apdu.Session.Write]: how a real card's
// transaction becomes a test. The data of VERIFY stays redacted.
func (t Trace) Session(source, proves string) *apdu.Session {
	s := &apdu.Session{Source: source, Proves: proves}
	for _, e := range t {
		s.Exchanges = append(s.Exchanges, apdu.NewSessionExchange(e.Command, e.Response, e.Err))
	}
	return s
}

// maskPAN returns the PAN (compressed numeric, F-padded, as in 5A) as
// digits masked by the one rule of tlv.MaskPAN: all but the first six and
// last four replaced by '*' (PCI DSS 3.4), and all of a PAN of 10 digits or
// fewer.
func maskPAN(pan []byte) string { return tlv.MaskPAN(tlv.Digits(pan)) }
