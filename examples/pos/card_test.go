package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Card first: the counter shows the masked PAN, name and expiry it read
// from the card's records (Book 3 §10.2) and waits for the operator. A
// Cancel stops the kernel before GENERATE AC: no cryptogram, no journal
// row, no receipt, the card released; the next sale on the same card
// runs in full.
func TestCounterCardCheckCancel(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db}, "01", "2468",
		"1", "", "C", // the operator cancels at the card check
		"1", "", "", "25.00", "1234", // then the sale
		"")
	require.NoError(t, err, out)
	first := out[:strings.Index(out, "交易取消")]
	assert.Contains(t, first, "请勿拔卡 DO NOT REMOVE THE CARD\n[PLEASE WAIT]\nCARD 卡号 476173******0119\nNAME 持卡人 EMVKIT/TEST CARD\nEXPIRY 有效期 12/30\nConfirm 确认 (Enter) / Cancel 取消 (C): C\n")
	assert.NotContains(t, first, "Amount")
	assert.Contains(t, out, "交易取消 TRANSACTION CANCELLED\n请取卡 REMOVE CARD\n")
	rs := receipts(out)
	require.Len(t, rs, 2)
	// The cancelled transaction took no STAN; the card counted it at GET
	// PROCESSING OPTIONS (its ATC went from 0011 to 0012 there) but gave
	// no cryptogram, so the sale's is 0012.
	assert.Contains(t, rs[0], "BATCH 000001                 STAN 000002\n")
	assert.Contains(t, rs[0], "ATC 0012                     CVMR 440302\n")
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 2500 476173******0119 chip    approved", es[0].line())
	// "Do not remove the card" before the card is read, "remove card"
	// after the receipts.
	sale := out[strings.Index(out, "交易取消"):]
	assert.Less(t, strings.Index(sale, "DO NOT REMOVE THE CARD"), strings.Index(sale, "CARD 卡号"))
	assert.True(t, strings.HasSuffix(strings.TrimSpace(out[:strings.LastIndex(out, "--- 菜单 MENU")]), "PLEASE RETAIN FOR YOUR RECORDS\n========================================\n请取卡 REMOVE CARD"))
}
