package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/examples/internal/app"
	"github.com/emvkit/emvkit/termkit"
)

func printText(w io.Writer, r *emv.Result, err error) {
	fmt.Fprintf(w, "\noutcome:      %s\n", r.Outcome)
	if err != nil {
		fmt.Fprintf(w, "reason:       %v\n", err)
	}
	if r.Outcome == emv.TryAnotherInterface {
		fmt.Fprintln(w, "fallback:     the chip could not be used; the terminal may read the magnetic stripe")
	}
	fmt.Fprintf(w, "amount:       %s\n", currencyOf(r).Display(r.Receipt.Amount))
	if r.Receipt.AmountOther > 0 {
		fmt.Fprintf(w, "cashback:     %s\n", currencyOf(r).Display(r.Receipt.AmountOther))
	}
	fmt.Fprintf(w, "application:  %s %s\n", r.AID, r.Receipt.Label)
	fmt.Fprintf(w, "card:         %s\n", r.Receipt.MaskedPAN)
	fmt.Fprintf(w, "ODA:          %s\n", r.ODA)
	fmt.Fprintf(w, "CVM Results:  %s\n", r.CVMResults)
	if r.SignatureRequired {
		fmt.Fprintln(w, "signature:    required")
	}
	fmt.Fprintf(w, "TVR:          %X\n", r.TVR[:])
	for _, b := range r.TVR.Bits() {
		fmt.Fprintf(w, "                %s\n", b)
	}
	fmt.Fprintf(w, "TSI:          %X\n", r.TSI[:])
	for _, b := range r.TSI.Bits() {
		fmt.Fprintf(w, "                %s\n", b)
	}
	if r.AC != nil {
		fmt.Fprintf(w, "cryptogram:   CID %02X AC %X ATC %X\n", r.CID, r.AC, r.ATC)
	}
	if r.ARC != "" {
		fmt.Fprintf(w, "ARC:          %s\n", r.ARC)
	}
	if len(r.ScriptResults) > 0 {
		fmt.Fprintf(w, "scripts 9F5B: %X\n", r.ScriptResults)
	}
	fmt.Fprintf(w, "\ntrace (%d commands):\n%s", len(r.Trace), r.Trace)
}

// printECBalance prints the electronic cash balance and limits an inquiry
// read, in major units; nothing for any other result.
func printECBalance(w io.Writer, r *emv.Result, exponent int) {
	b := r.ECBalance
	if b == nil {
		return
	}
	fmt.Fprintf(w, "EC balance:   %s\n", termkit.Currency{Exponent: exponent}.Format(b.Balance))
	for _, l := range []struct {
		name string
		v    *uint64
	}{{"EC limit:     ", b.BalanceLimit}, {"EC single:    ", b.SingleTransactionLimit}, {"EC reset:     ", b.ResetThreshold}} {
		if l.v != nil {
			fmt.Fprintf(w, "%s%s\n", l.name, termkit.Currency{Exponent: exponent}.Format(*l.v))
		}
	}
}

// jsonResult is the -json output; the package documentation lists the
// fields.
type jsonResult struct {
	Outcome        string         `json:"outcome"`
	Interface      string         `json:"interface"`
	Error          string         `json:"error,omitempty"`
	TerminatedStep string         `json:"terminated_step,omitempty"`
	Reader         string         `json:"reader,omitempty"`
	Protocol       string         `json:"protocol,omitempty"`
	ATR            string         `json:"atr,omitempty"`
	AID            string         `json:"aid"`
	Amount         uint64         `json:"amount"`
	AmountOther    uint64         `json:"amount_other,omitempty"`
	Currency       string         `json:"currency"`
	PAN            string         `json:"pan"`
	TVR            string         `json:"tvr"`
	TVRBits        []string       `json:"tvr_bits"`
	TSI            string         `json:"tsi"`
	TSIBits        []string       `json:"tsi_bits"`
	CVMResults     string         `json:"cvm_results"`
	CVM            string         `json:"cvm"`
	ODA            string         `json:"oda"`
	CID            string         `json:"cid"`
	AC             string         `json:"ac"`
	ATC            string         `json:"atc"`
	IAD            string         `json:"iad"`
	Field55        string         `json:"field55"`
	ARC            string         `json:"arc,omitempty"`
	Scripts        string         `json:"script_results,omitempty"`
	ECBalance      *emv.ECBalance `json:"ec_balance,omitempty"`
	APDUCount      int            `json:"apdu_count"`
	Receipt        emv.Receipt    `json:"receipt"`
	Trace          []string       `json:"trace"`
}

func printJSON(w io.Writer, r *emv.Result, err error, reader *app.Reader) error {
	j := jsonResult{
		Outcome:     r.Outcome.String(),
		Interface:   ifaceContact,
		AID:         r.AID.String(),
		Amount:      r.Receipt.Amount,
		AmountOther: r.Receipt.AmountOther,
		Currency:    currencyOf(r).String(),
		Field55:     fmt.Sprintf("%X", r.ICCData),
		PAN:         r.Receipt.MaskedPAN,
		TVR:         fmt.Sprintf("%X", r.TVR[:]),
		TVRBits:     r.TVR.Bits(),
		TSI:         fmt.Sprintf("%X", r.TSI[:]),
		TSIBits:     r.TSI.Bits(),
		CVMResults:  fmt.Sprintf("%X", r.CVMResults[:]),
		CVM:         r.CVMResults.String(),
		ODA:         r.ODA.String(),
		CID:         fmt.Sprintf("%02X", r.CID),
		AC:          fmt.Sprintf("%X", r.AC),
		ATC:         fmt.Sprintf("%X", r.ATC),
		IAD:         fmt.Sprintf("%X", r.IAD),
		ARC:         r.ARC,
		Scripts:     fmt.Sprintf("%X", r.ScriptResults),
		ECBalance:   r.ECBalance,
		APDUCount:   len(r.Trace),
		Receipt:     r.Receipt,
		Trace:       []string{},
	}
	if reader != nil {
		j.Reader = reader.Name
		j.Protocol = reader.Card.Protocol().String()
		j.ATR = fmt.Sprintf("%X", reader.Card.ATR())
	}
	if j.TVRBits == nil {
		j.TVRBits = []string{}
	}
	if j.TSIBits == nil {
		j.TSIBits = []string{}
	}
	if err != nil {
		j.Error = err.Error()
		var te *emv.TerminatedError
		if errors.As(err, &te) {
			j.TerminatedStep = te.Step.String()
		}
	}
	for _, e := range r.Trace {
		j.Trace = append(j.Trace, e.String())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}

// currencyOf is the transaction's currency, as its receipt names it, with
// the exponent of ISO 4217 (a code this program does not know: 2).
func currencyOf(r *emv.Result) termkit.Currency {
	if c, err := termkit.LookupCurrency(r.Receipt.Currency); err == nil {
		return c
	}
	return termkit.Currency{Code: r.Receipt.Currency, Exponent: 2}
}
