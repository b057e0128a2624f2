package main

import (
	"context"
	"fmt"
	"strings"

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
			s, err := c.con.ReadLine(ctx, "核对签名 SIGNATURE MATCHES THE CARD? (Enter: yes; N: no): ")
			if err != nil {
				return err
			}
			if strings.EqualFold(s, "N") {
				c.con.Printf("签名不符 SIGNATURE DOES NOT MATCH: the transaction is voided\n")
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
		center("商户存根 MERCHANT COPY")
	} else {
		center("持卡人存根 CARDHOLDER COPY")
	}
	pair("TID "+c.cfg.TerminalID, "MID "+c.cfg.MerchantID)
	pair(e.Time.Format("2006-01-02 15:04:05"), fmt.Sprintf("OPERATOR %s", e.Operator))
	pair(fmt.Sprintf("BATCH %06d", e.Batch), fmt.Sprintf("STAN %06d", e.STAN))
	if e.RRN != "" {
		pair("RRN", e.RRN)
	}
	if e.AuthCode != "" {
		pair("AUTH CODE", e.AuthCode)
	}
	line("")
	pair(k.zh+" "+k.label, strings.ToUpper(e.Entry))
	if e.Original != 0 {
		pair("ORIGINAL STAN", fmt.Sprintf("%06d", e.Original))
	}
	card := e.MaskedPAN
	if res != nil && res.Receipt.PANSequence != "" {
		card += " PSN " + res.Receipt.PANSequence
	}
	pair("CARD", card)
	if res != nil {
		r := res.Receipt
		pair("APP", r.Label)
		pair("AID", r.AID)
	}
	line("")
	amount := c.money(e.Amount)
	if k.name == "void" || k.name == "refund" {
		amount = "-" + amount
	}
	pair("AMOUNT", amount)
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
		center("交易成功 APPROVED")
	} else {
		center("交易失败 DECLINED")
	}
	if res != nil {
		if v := cvmText(res); v != "" {
			center(v)
		}
	}
	if merchant && res != nil && res.Receipt.SignatureRequired && approved {
		line("")
		line("")
		line("X%s", strings.Repeat("_", receiptWidth-2))
		line("  持卡人签名 CARDHOLDER SIGNATURE")
	}
	if !merchant {
		line("")
		center("PLEASE RETAIN FOR YOUR RECORDS")
	}
	line("%s", rule)
	c.con.Printf("\n%s", b.String())
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
