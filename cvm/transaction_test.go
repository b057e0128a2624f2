package cvm

import (
	"testing"

	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
)

// Book 3 Annex C3 and §10.4.2 read 9C through one table: 01 and 17 are
// cash, 09 is cashback, 00 goods and services, the rest neither.
func TestClassifyTransaction(t *testing.T) {
	want := map[byte]TransactionClass{
		0x00: ClassGoodsAndServices, 0x01: ClassCash, 0x17: ClassCash, 0x09: ClassCashback,
		0x02: ClassOther, 0x03: ClassOther, 0x20: ClassOther, 0x21: ClassOther, 0x30: ClassOther, 0x31: ClassOther, 0x11: ClassOther,
	}
	for typ, class := range want {
		assert.Equal(t, class, ClassifyTransaction(typ), "9C %02X", typ)
	}
	assert.Equal(t, "cash", ClassifyTransaction(0x17).String())
}

// Book 3 Annex C3: cash disbursement (17) is cash for the CVM conditions
// as cash advance (01) is, and as the usage control check counts it.
func TestBook3_AnnexC3_CashDisbursementIsCash(t *testing.T) {
	cvNotOK := tvr.CardholderVerificationNotSuccessful
	tests := []performCase{
		{name: "04 manual cash: 17 at an attended terminal", list: noAmounts + "1F04", mod: txn(0x17, 0x12), results: "1F0402", ok: true},
		{name: "01 unattended cash: 17 at an unattended terminal", list: noAmounts + "1F01", mod: txn(0x17, 0x14), results: "1F0102", ok: true},
		{name: "02 not cash nor cashback: 17 is cash", list: noAmounts + "1F02", mod: txn(0x17, 0x22), results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "04 manual cash: signature for 17 before no CVM", list: noAmounts + "1E041F03", mod: txn(0x17, 0x22), results: "1E0400", ok: true, sig: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runPerform(t, tc) })
	}
}

// Book 3 Annex C3 with Book 4 Annex A1: the second digit of the Terminal
// Type says attended (1 to 3) or unattended (4 to 6), offline-only ones (3
// and 6) included.
func TestBook3_AnnexC3_AttendedAndUnattendedUpToOfflineOnly(t *testing.T) {
	cvNotOK := tvr.CardholderVerificationNotSuccessful
	tests := []performCase{
		{name: "04 manual cash at 13 (attended, offline only)", list: noAmounts + "1F04", mod: txn(0x01, 0x13), results: "1F0402", ok: true},
		{name: "01 unattended cash at 16 (unattended, offline only)", list: noAmounts + "1F01", mod: txn(0x01, 0x16), results: "1F0102", ok: true},
		{name: "01 unattended cash not at 13", list: noAmounts + "1F01", mod: txn(0x01, 0x13), results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "04 manual cash not at 16", list: noAmounts + "1F04", mod: txn(0x01, 0x16), results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runPerform(t, tc) })
	}
}
