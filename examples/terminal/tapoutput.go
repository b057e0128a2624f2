package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/tvr"
)

// printTapText prints a contactless transaction as printText prints a
// contact one: the outcome, then the card, the amount, the Outcome
// Parameter Set, the CVM, the TVR bit by bit, the TTQ and CTQ, the
// cryptogram, the balance the card returned (9F5D), the host's answer and
// the trace.
func printTapText(w io.Writer, t *tap) {
	fmt.Fprintf(w, "\noutcome:      %s\n", t.outcome())
	if t.Err != nil {
		fmt.Fprintf(w, "reason:       %v\n", t.Err)
	}
	if t.HostErr != nil {
		fmt.Fprintf(w, "host:         %v\n", t.HostErr)
	}
	fmt.Fprintln(w, "interface:    contactless")
	if c := t.First.Combination; c != nil {
		fmt.Fprintf(w, "application:  %X %s, %s\n", c.AID, c.Label, c.Kernel)
	}
	if pan := t.maskedPAN(); pan != "" {
		fmt.Fprintf(w, "card:         %s\n", pan)
	}
	fmt.Fprintf(w, "amount:       %s\n", t.Currency.Display(t.Amount))
	fmt.Fprintf(w, "language:     %s\n", t.language())
	if t.SeePhone != nil {
		fmt.Fprintf(w, "first tap:    %s\n", t.SeePhone.Outcome.Parameters)
	}
	fmt.Fprintf(w, "parameters:   %s\n", t.First.Outcome.Parameters)
	if t.Second != nil {
		fmt.Fprintf(w, "restart:      %s\n", t.Second.Outcome.Parameters)
	}
	fmt.Fprintf(w, "CVM:          %s\n", t.cvmName())
	if t.OnlinePIN {
		fmt.Fprintln(w, "PIN:          entered, enciphered for the issuer")
	}
	if v := t.value(0x95); len(v) == len(tvr.TVR{}) {
		r := tvr.TVR(v)
		fmt.Fprintf(w, "TVR:          %X\n", r[:])
		for _, b := range t.tvrBits(r) {
			fmt.Fprintf(w, "                %s\n", b)
		}
	}
	if v := t.value(0x9F66); v != nil {
		fmt.Fprintf(w, "TTQ:          %X\n", v)
	}
	if v := t.value(0x9F6C); v != nil {
		fmt.Fprintf(w, "CTQ:          %X\n", v)
	}
	if ac := t.value(0x9F26); ac != nil {
		fmt.Fprintf(w, "cryptogram:   CID %X AC %X ATC %X\n", t.value(0x9F27), ac, t.value(0x9F36))
	}
	if b, ok := t.balance(); ok {
		fmt.Fprintf(w, "balance 9F5D: %s\n", t.Currency.Display(b))
	}
	if a := t.arc(); a != "" {
		fmt.Fprintf(w, "ARC:          %s\n", a)
	}
	if v := t.value(0x9F5B); v != nil {
		fmt.Fprintf(w, "scripts 9F5B: %X\n", v)
	}
	if t.ECBalance != nil {
		printECBalance(w, &emv.Result{ECBalance: t.ECBalance}, t.Currency.Exponent)
	}
	tr := t.trace()
	fmt.Fprintf(w, "\ntrace (%d commands):\n%s", len(tr), tr)
}

// jsonTap is the -json output of a contactless transaction: the fields of
// the contact output that a tap has, with the same names, and the Entry
// Point's runs (contactless.Result's JSON: the Outcome and its parameter
// set, every UI request in order, the Data Record masked).
type jsonTap struct {
	Outcome    string              `json:"outcome"`
	Error      string              `json:"error,omitempty"`
	HostError  string              `json:"host_error,omitempty"`
	Interface  string              `json:"interface"`
	Reader     string              `json:"reader,omitempty"`
	Protocol   string              `json:"protocol,omitempty"`
	ATR        string              `json:"atr,omitempty"`
	AID        string              `json:"aid"`
	Kernel     string              `json:"kernel,omitempty"`
	PAN        string              `json:"pan"`
	Amount     string              `json:"amount"`
	Currency   string              `json:"currency"`
	Language   string              `json:"language"`
	Display    []string            `json:"display"`
	Balance    *uint64             `json:"balance,omitempty"`
	ECBalance  *emv.ECBalance      `json:"ec_balance,omitempty"`
	TVR        string              `json:"tvr"`
	TVRBits    []string            `json:"tvr_bits"`
	TTQ        string              `json:"ttq"`
	CTQ        string              `json:"ctq"`
	CVM        string              `json:"cvm"`
	CID        string              `json:"cid"`
	AC         string              `json:"ac"`
	ATC        string              `json:"atc"`
	IAD        string              `json:"iad"`
	ARC        string              `json:"arc,omitempty"`
	OnlinePIN  bool                `json:"online_pin,omitempty"`
	Scripts    string              `json:"script_results,omitempty"`
	APDUCount  int                 `json:"apdu_count"`
	SeePhone   *contactless.Result `json:"see_phone,omitempty"`
	EntryPoint *contactless.Result `json:"entry_point"`
	Restart    *contactless.Result `json:"restart,omitempty"`
	Trace      []string            `json:"trace"`
}

func printTapJSON(w io.Writer, t *tap, reader *app.Reader) error {
	j := jsonTap{
		Outcome:    t.outcome(),
		Interface:  ifaceContactless,
		PAN:        t.maskedPAN(),
		Amount:     t.Currency.Format(t.Amount),
		Currency:   t.Currency.String(),
		Language:   t.language(),
		Display:    append([]string{}, t.Display...),
		TVR:        fmt.Sprintf("%X", t.value(0x95)),
		TVRBits:    []string{},
		TTQ:        fmt.Sprintf("%X", t.value(0x9F66)),
		CTQ:        fmt.Sprintf("%X", t.value(0x9F6C)),
		CVM:        t.cvmName(),
		CID:        fmt.Sprintf("%X", t.value(0x9F27)),
		AC:         fmt.Sprintf("%X", t.value(0x9F26)),
		ATC:        fmt.Sprintf("%X", t.value(0x9F36)),
		IAD:        fmt.Sprintf("%X", t.value(0x9F10)),
		ARC:        t.arc(),
		OnlinePIN:  t.OnlinePIN,
		Scripts:    fmt.Sprintf("%X", t.value(0x9F5B)),
		ECBalance:  t.ECBalance,
		SeePhone:   t.SeePhone,
		EntryPoint: t.First,
		Restart:    t.Second,
		Trace:      []string{},
	}
	if c := t.First.Combination; c != nil {
		j.AID = fmt.Sprintf("%X", c.AID)
		j.Kernel = c.Kernel.String()
	}
	if v := t.value(0x95); len(v) == len(tvr.TVR{}) {
		if b := t.tvrBits(tvr.TVR(v)); b != nil {
			j.TVRBits = b
		}
	}
	if t.Err != nil {
		j.Error = t.Err.Error()
	}
	if t.HostErr != nil {
		j.HostError = t.HostErr.Error()
	}
	if b, ok := t.balance(); ok {
		j.Balance = &b
	}
	if reader != nil {
		j.Reader = reader.Name
		j.Protocol = reader.Card.Protocol().String()
		j.ATR = fmt.Sprintf("%X", reader.Card.ATR())
	}
	for _, e := range t.trace() {
		j.Trace = append(j.Trace, e.String())
	}
	j.APDUCount = len(j.Trace)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
