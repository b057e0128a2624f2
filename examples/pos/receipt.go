package main

import (
	"fmt"
	"strings"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/termkit"
)

const receiptWidth = 40

// printReceipt prints the merchant or the cardholder copy of a receipt
// (Book 4 §11.5): merchant and terminal, date, transaction type and
// amount, the card (PAN masked) and application (label, AID), the EMV
// data a dispute needs (TVR, TSI, cryptogram, ATC, CVM Results, ARC), the
// result, and on the merchant copy a signature line when the CVM performed
// asks for the cardholder's signature.
func (c *counter) printReceipt(res *emv.Result, stan uint32, merchant bool) {
	r := res.Receipt
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	pair := func(left, right string) {
		pad := max(1, receiptWidth-len(left)-len(right))
		line("%s%s%s", left, strings.Repeat(" ", pad), right)
	}
	center := func(s string) {
		line("%s%s", strings.Repeat(" ", max(0, (receiptWidth-len(s))/2)), s)
	}
	rule := strings.Repeat("=", receiptWidth)

	line("%s", rule)
	if c.cfg.MerchantNameLocation != "" {
		center(c.cfg.MerchantNameLocation)
	}
	if merchant {
		center("MERCHANT COPY")
	} else {
		center("CARDHOLDER COPY")
	}
	pair("TID "+c.cfg.TerminalID, "MID "+c.cfg.MerchantID)
	pair(r.Time.Format("2006-01-02 15:04:05"), fmt.Sprintf("OPERATOR %s", c.operator))
	if stan != 0 {
		pair("STAN", fmt.Sprintf("%06d", stan))
	}
	line("")
	pair("SALE", strings.ToUpper(r.Type))
	card := r.MaskedPAN
	if r.PANSequence != "" {
		card += " PSN " + r.PANSequence
	}
	pair("CARD", card)
	pair("APP", r.Label)
	pair("AID", r.AID)
	line("")
	pair("AMOUNT", termkit.ConfigCurrency(c.cfg).Display(r.Amount))
	line("")
	pair("TVR "+r.TVR, "TSI "+r.TSI)
	pair("AC "+r.AC, cryptogramType(res.CID))
	pair("ATC "+r.ATC, "CVMR "+r.CVMResults)
	if res.ARC != "" {
		pair("ARC", res.ARC)
	}
	if len(res.ScriptResults) > 0 {
		pair("SCRIPTS", fmt.Sprintf("%X", res.ScriptResults))
	}
	line("")
	center(verdict(res))
	if v := cvmText(res); v != "" {
		center(v)
	}
	if merchant && r.SignatureRequired && res.Outcome.IsApproved() {
		line("")
		line("")
		line("X%s", strings.Repeat("_", receiptWidth-2))
		line("  CARDHOLDER SIGNATURE")
	}
	if !merchant {
		line("")
		center("PLEASE RETAIN FOR YOUR RECORDS")
	}
	line("%s", rule)
	c.con.Printf("\n%s", b.String())
}

func verdict(res *emv.Result) string {
	if res.Outcome.IsApproved() {
		return "APPROVED"
	}
	return "DECLINED"
}

// cvmText says how the cardholder was verified, from the CVM Results
// (Book 4 Annex A4).
func cvmText(res *emv.Result) string {
	r := cvm.Results(res.CVMResults)
	switch r.Code() {
	case cvm.PlaintextPINByICC, cvm.EncipheredPINByICC:
		if r.Outcome() == cvm.Successful {
			return "PIN VERIFIED"
		}
	case cvm.PlaintextPINByICCAndSignature, cvm.EncipheredPINByICCAndSignature:
		if r.Outcome() != cvm.Failed {
			return "PIN VERIFIED, SIGNATURE REQUIRED"
		}
	case cvm.EncipheredPINOnline:
		return "PIN VERIFIED ONLINE"
	case cvm.Signature:
		return "SIGNATURE REQUIRED"
	case cvm.NoCVMRequired:
		return "NO CARDHOLDER VERIFICATION"
	}
	return ""
}

// cryptogramType names the cryptogram of the CID (Book 3 §6.5.5.4:
// bits 8-7 00 AAC, 01 TC, 10 ARQC).
func cryptogramType(cid byte) string {
	switch cid >> 6 {
	case 0:
		return "AAC"
	case 1:
		return "TC"
	case 2:
		return "ARQC"
	}
	return "RFU"
}
