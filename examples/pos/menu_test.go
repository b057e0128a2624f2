package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each menu item with its EMV Transaction Type 9C, its ISO 8583 message
// type and processing code (field 3), its amount rule and its journal row:
// a pre-authorisation (预授权, 0100 030000) and its completion (预授权完成,
// 0200 000000, at most 115 % of the pre-authorisation, keyed against the
// original's authorisation code), a sale, its void (撤销, 0200 200000, the
// original's amount, only once), a refund (退货, 0220 200000, an advice
// with the card's field 55, at most what is left of its original).
func TestCounterMenuItems(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db}, "01", "2468",
		"4", "", "", "100.00", "1234", // pre-authorisation, online
		"5", "2", "120.00", "115.00", // completion: above 115 % refused, then 115 %
		"1", "", "", "25.00", "1234", // sale, offline
		"3", "4", // void of the sale
		"2", "4", // refund of the voided sale: refused
		"2", "2", // refund of a pre-authorisation: refused
		"2", "3", "", "", "200.00", "20.00", "1234", // refund of the completion: above what is left refused, then 20.00
		"3", "2", // void of a pre-authorisation: no such sale
		"")
	require.NoError(t, err, out)
	assert.Contains(t, out, "> 0100 2=476173******0119 3=030000 4=000000010000 11=000002 22=051 23=01 41=DEMO0001 49=840 55=[")
	assert.Contains(t, out, "  < 0110 37=261123000002 38=120567 39=00 55=[16 bytes: 91 8A]\n")
	assert.Contains(t, out, "Original STAN 原凭证号: 2\nORIGINAL 000002 PREAUTH 476173******0119 USD 100.00\nAmount 金额: 120.00\n金额超限 AMOUNT ABOVE USD 115.00\nAmount 金额: 115.00\n")
	assert.Contains(t, out, "> 0200 2=476173******0119 3=000000 4=000000011500 11=000003 22=012 37=261123000002 38=120567 41=DEMO0001 49=840 61=000002\n  < 0210 37=261123000003 38=128486 39=00\n")
	assert.Contains(t, out, "> 0200 2=476173******0119 3=200000 4=000000002500 11=000005 22=012 41=DEMO0001 49=840 61=000004\n  < 0210 37=261123000005 38=144324 39=00\n")
	assert.Contains(t, out, "Original STAN 原凭证号: 4\n原交易已撤销 ORIGINAL ALREADY VOIDED\n")
	assert.Contains(t, out, "Original STAN 原凭证号: 2\n原交易不存在 NO SUCH SALE\n")
	assert.Contains(t, out, "Amount 金额: 200.00\n金额超限 AMOUNT ABOVE USD 115.00\n")
	assert.Regexp(t, `> 0220 2=476173\*\*\*\*\*\*0119 3=200000 4=000000002000 11=000006 22=051 23=01 37=261123000003 38=128486 41=DEMO0001 49=840 55=\[\d+ bytes: 9F26 9F27 .*\] 61=000003\n  < 0230 37=261123000006 38=152243 39=00\n`, out)

	rs := receipts(out)
	require.Len(t, rs, 10, out)
	assert.Contains(t, rs[0], "预授权 PRE-AUTH                     CHIP\n")
	assert.Contains(t, rs[2], "预授权完成 PRE-AUTH COMPLETION       KEY\nORIGINAL STAN                     000002\n")
	assert.Contains(t, rs[6], "撤销 VOID                            KEY\n")
	assert.Contains(t, rs[6], "AMOUNT                        -USD 25.00\n")
	assert.Contains(t, rs[8], "退货 REFUND                         CHIP\n")
	assert.Contains(t, rs[8], "AMOUNT                        -USD 20.00\n")

	var lines []string
	for _, e := range journalRows(t, db, 1) {
		lines = append(lines, e.line())
	}
	assert.Equal(t, []string{
		"000002 preauth 0100 030000 10000 476173******0119 chip 261123000002 120567 00 approved",
		"000003 completion 0200 000000 11500 476173******0119 key 261123000003 128486 00 approved of 000002",
		"000004 sale 0200 000000 2500 476173******0119 chip    approved voided",
		"000005 void 0200 200000 2500 476173******0119 key 261123000005 144324 00 approved of 000004",
		"000006 refund 0220 200000 2000 476173******0119 chip 261123000006 152243 00 approved of 000003",
	}, lines)
	secrets(t, out, "4761739001010119", "1234", "2468")
}

// Balance inquiry (余额查询, 9C 31, 0200 310000) at the China counter: a
// UnionPay electronic cash card answers from its chip (GET DATA 9F79,
// JR/T 0025.13), no message to the acquirer, no receipt.
func TestCounterBalanceInquiry(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db, "-config", "../../testdata/terminals/china-counter.json"}, "01", "2468",
		"6", "unionpay-ecash", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "请勿拔卡 DO NOT REMOVE THE CARD\n电子现金余额 EC BALANCE CNY 200.00\n请取卡 REMOVE CARD\n")
	assert.NotContains(t, out, "AUTHORISING")
	assert.Empty(t, receipts(out))
	es := journalRows(t, db, 1)
	require.Len(t, es, 1)
	// The inquiry reads no record: the journal has no card number.
	assert.Equal(t, "000002 balance 0200 310000 0  chip    balance read", es[0].line())
}
