package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tapped card (its ATR is PC/SC Part 3's for ISO/IEC 14443-4) goes
// through the Entry Point (Book B) instead of the contact kernel, the
// amount first: a Visa qVSDC card (Kernel 3) asks to go online (field 22
// "071": contactless chip, the Data Record as field 55 without the PAN
// and track 2), a UnionPay QuickPass card (Kernel 7) at the China counter
// approves offline below its limits.
func TestCounterTap(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db}, "01", "2468", "1", "visa-qvsdc-online", "12.00", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Amount 金额: 12.00\nAMOUNT USD 12.00\n挥卡 TAP: USD 12.00\n[Present Card, Ready to Read]\n")
	assert.Regexp(t, `  > 0200 2=476173\*\*\*\*\*\*0027 3=000000 4=000000001200 11=000002 22=071 23=01 41=DEMO0001 49=840 55=\[\d+ bytes: 9F02 9F03 9F26 9F27 [^\]]*\]\n  < 0210 37=261123000002 38=120567 39=00 55=\[16 bytes: 91 8A\]\n`, out)
	assert.NotRegexp(t, `55=\[[^\]]* (5A|57)[ \]]`, out)
	rs := receipts(out)
	require.Len(t, rs, 2)
	assert.Contains(t, rs[0], "消费 SALE                            TAP\n")
	assert.Contains(t, out, "请移开卡片 REMOVE CARD\n")
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 1200 476173******0027 tap 261123000002 120567 00 approved", es[0].line())

	db = filepath.Join(t.TempDir(), "journal.db")
	out, err = counterRun(t, []string{"-journal", db, "-config", "../../testdata/terminals/china-counter.json"}, "01", "2468",
		"1", "unionpay-quickpass-debit", "50.00", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "挥卡 TAP: CNY 50.00\n[Present Card, Ready to Read]\n[Card Read OK, Card Read Successfully, language zhen]\n[Approved, ")
	assert.NotContains(t, out, "AUTHORISING")
	es = journalRows(t, db, 1)
	require.Len(t, es, 1)
	assert.Equal(t, "000002 sale 0200 000000 5000 621234******1234 tap    approved", es[0].line())
	assert.NotEmpty(t, es[0].Field55)
}
