package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's day at the China counter (testdata/day.txt): sign-on,
// three UnionPay sales of which one is voided, a refund, an electronic
// cash balance inquiry, a Visa card the counter's chip cannot take
// (technical fallback, Book 4 §6.3.6) swiped, settlement, sign-off. Then
// the journal file and everything printed are searched for what must
// never be there: the PINs typed, the operator's password, a full PAN,
// track 2.
func TestCounterScriptedDay(t *testing.T) {
	script, err := os.ReadFile("testdata/day.txt")
	require.NoError(t, err)
	db := filepath.Join(t.TempDir(), "journal.db")
	lines := strings.Split(strings.TrimSuffix(string(script), "\n"), "\n")
	out, err := counterRun(t, []string{"-journal", db, "-config", "../../testdata/terminals/china-counter.json"}, lines...)
	require.NoError(t, err, out)

	for _, want := range []string{
		"  > 0800 11=000001 41=TERMCN01 42=EMVKITMERCHCN01 60=00000001001 63=01\n",
		"  > 0200 2=621094******0029 3=000000 4=000000010000 11=000002 22=051 23=01 41=TERMCN01 49=156 52=[PIN block] 55=[",
		"  > 0200 2=625094******0011 3=000000 4=000000005800 11=000003 22=051 ",
		"  > 0200 2=621094******0029 3=000000 4=000000003650 11=000004 22=051 ",
		"  > 0200 2=625094******0011 3=200000 4=000000005800 11=000005 22=012 37=261123000003 38=128486 41=TERMCN01 49=156 61=000003\n",
		"  > 0220 2=621094******0029 3=200000 4=000000002000 11=000006 22=051 23=01 37=261123000002 38=120567 ",
		"[请稍候 PLEASE WAIT]\n", // the kernel's messages in the card's language, Book 4 §11.1
		"[交易批准 APPROVED]\n",
		"请勿拔卡 DO NOT REMOVE THE CARD\n电子现金余额 EC BALANCE CNY 200.00\n请取卡 REMOVE CARD\n",
		"请刷卡 USE THE MAGNETIC STRIPE: swipe the card\n请刷卡 SWIPE CARD (Enter: swipe it; C: cancel): \nSWIPED 476173******0119D****************\n",
		"  > 0200 2=476173******0119 3=000000 4=000000008800 11=000008 22=801 35=476173******0119D**************** 41=TERMCN01 49=156\n",
		"  > 0500 11=000009 41=TERMCN01 42=EMVKITMERCHCN01 60=00000001201 74=0000000003 76=0000000001 88=0000000000002000 86=0000000000022450\n",
		"消费 SALE 3                   CNY 224.50\n",
		"退货 REFUND 1                  CNY 20.00\n",
		"撤销 VOID 1                    CNY 58.00\n",
		"余额查询 BALANCE INQUIRY 1      CNY 0.00\n",
		"NET 净额                      CNY 204.50\n",
		"BATCH 000001 CLOSED, BATCH 000002 OPEN\n",
		"  > 0820 11=000010 41=TERMCN01 42=EMVKITMERCHCN01 60=00000002002 63=01\n",
	} {
		assert.Contains(t, out, want)
	}
	assert.Len(t, receipts(out), 13, "two copies for each of three sales, the void, the refund, the fallback sale; the settlement report")

	var rows []string
	for _, e := range journalRows(t, db, 1) {
		rows = append(rows, e.line())
	}
	assert.Equal(t, []string{
		"000002 sale 0200 000000 10000 621094******0029 chip 261123000002 120567 00 approved",
		"000003 sale 0200 000000 5800 625094******0011 chip 261123000003 128486 00 approved voided",
		"000004 sale 0200 000000 3650 621094******0029 chip 261123000004 136405 00 approved",
		"000005 void 0200 200000 5800 625094******0011 key 261123000005 144324 00 approved of 000003",
		"000006 refund 0220 200000 2000 621094******0029 chip 261123000006 152243 00 approved of 000002",
		"000007 balance 0200 310000 0  chip    balance read",
		"000008 sale 0200 000000 8800 476173******0119 fallback 261123000008 168081 00 approved",
	}, rows)

	// Nothing secret, in what was printed or in the database file.
	raw, err := os.ReadFile(db)
	require.NoError(t, err)
	for _, pan := range []string{"6210948000000029", "6250948000000011", "4761739001010119", "6210948000000045"} {
		for _, where := range [][]byte{[]byte(out), raw} {
			assert.NotContains(t, string(where), pan)
			packed, _ := hex.DecodeString(pan)
			assert.False(t, bytes.Contains(where, packed), "packed PAN %s…", pan[:6])
			assert.NotContains(t, strings.ToUpper(string(where)), pan+"D", "track 2")
		}
	}
	secrets(t, out, "6210948000000029", "1234", "2468")
}
