package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
)

const receiptWidth = 40

// receipts prints the merchant and the cardholder copy, once the
// journal has the transaction; a balance inquiry prints no receipt, only
// the balance on the screen. When the merchant copy has a signature line
// the operator compares the signature with the card's: one that does not
// match voids the sale at once, and no cardholder copy of it prints.
func (c *counter) receipts(ctx context.Context, k *kind, e *entry, res *emv.Result) error {
	if k.name == "balance" {
		return nil
	}
	c.lastReceipt = func() { c.printReceipt(k, e, res, true) }
	c.printReceipt(k, e, res, true)
	if res != nil && res.Receipt.SignatureRequired && e.Outcome == "approved" {
		for {
			s, err := c.con.ReadLine(ctx, c.tr("sigPrompt"))
			if err != nil {
				return err
			}
			if strings.EqualFold(s, "N") {
				c.con.Printf("%s\n", c.tr("sigMismatch"))
				stan, err := c.journal.nextSTAN()
				if err != nil {
					return err
				}
				return c.keyed(ctx, kindByName("void"), e, stan)
			}
			if s == "" || strings.EqualFold(s, "Y") {
				break
			}
		}
	}
	c.printReceipt(k, e, res, false)
	return nil
}

// printReceipt prints the merchant or the cardholder copy of a receipt
// (Book 4 §11.5): merchant, terminal, operator, batch and trace numbers,
// RRN and authorisation code, date, transaction type and amount, the card
// (PAN masked) and how it was read; for a chip card its application
// (label, AID) and the EMV data a dispute needs (TVR, TSI, cryptogram,
// ATC, CVM Results, ARC); the result, and on the merchant copy a
// signature line when the CVM performed asks for the cardholder's
// signature.
func (c *counter) printReceipt(k *kind, e *entry, res *emv.Result, merchant bool) {
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	pair := func(left, right string) {
		pad := max(1, receiptWidth-width(left)-width(right))
		line("%s%s%s", left, strings.Repeat(" ", pad), right)
	}
	center := func(s string) {
		line("%s%s", strings.Repeat(" ", max(0, (receiptWidth-width(s))/2)), s)
	}
	rule := strings.Repeat("=", receiptWidth)

	line("%s", rule)
	if c.cfg.MerchantNameLocation != "" {
		center(c.cfg.MerchantNameLocation)
	}
	if merchant {
		center(c.tr("merchantCopy"))
	} else {
		center(c.tr("cardholderCopy"))
	}
	c.receiptHead(pair, e.Time, e.Operator, e.Batch, e.STAN)
	if e.RRN != "" {
		pair(c.tr("rrn"), e.RRN)
	}
	if e.AuthCode != "" {
		pair(c.tr("authCode"), e.AuthCode)
	}
	line("")
	pair(c.kindName(k), c.tr("entry "+e.Entry))
	if e.Original != 0 {
		pair(c.tr("originalSTAN"), fmt.Sprintf("%06d", e.Original))
	}
	card := e.MaskedPAN
	if res != nil && res.Receipt.PANSequence != "" {
		card += " PSN " + res.Receipt.PANSequence
	}
	pair(c.tr("card"), card)
	if res != nil {
		r := res.Receipt
		pair(c.tr("app"), r.Label)
		pair("AID", r.AID)
	}
	line("")
	amount := c.money(e.Amount)
	if k.name == "void" || k.name == "refund" {
		amount = "-" + amount
	}
	pair(c.tr("amount"), amount)
	if res != nil {
		r := res.Receipt
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
	}
	line("")
	approved := e.Outcome == "approved"
	if approved {
		center(c.tr("approved"))
	} else {
		center(c.tr("declinedSlip"))
	}
	if res != nil {
		if v := cvmText(res); v != "" {
			center(c.tr(v))
		}
	}
	if merchant && res != nil && res.Receipt.SignatureRequired && approved {
		line("")
		line("")
		line("X%s", strings.Repeat("_", receiptWidth-2))
		line("  %s", c.tr("signature"))
	}
	if !merchant {
		line("")
		center(c.tr("retain"))
	}
	line("%s", rule)
	c.con.Printf("\n%s", b.String())
}

// receiptHead prints the lines that open every receipt and the
// settlement report: terminal and merchant numbers, date and time,
// operator, batch and trace numbers.
func (c *counter) receiptHead(pair func(left, right string), t time.Time, operator string, batch int, stan uint32) {
	pair(c.tr("tid")+" "+c.cfg.TerminalID, c.tr("mid")+" "+c.cfg.MerchantID)
	pair(t.Format("2006-01-02 15:04:05"), c.tr("operator")+" "+operator)
	pair(fmt.Sprintf("%s %06d", c.tr("batch"), batch), fmt.Sprintf("%s %06d", c.tr("stan"), stan))
}

// width is the columns s takes on a receipt printer: a Chinese character
// takes two.
func width(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x2E80 {
			n += 2
		} else {
			n++
		}
	}
	return n
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
			return "pinVerified"
		}
	case cvm.PlaintextPINByICCAndSignature, cvm.EncipheredPINByICCAndSignature:
		if r.Outcome() != cvm.Failed {
			return "pinAndSig"
		}
	case cvm.EncipheredPINOnline:
		return "pinOnline"
	case cvm.Signature:
		return "sigRequired"
	case cvm.NoCVMRequired:
		return "noCVM"
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
