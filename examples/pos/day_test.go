package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
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

// The same day with -lang zh and with -lang en: the counter's screens,
// its receipts and the kernel's messages (Book 4 §11.2, emv.Message.Text)
// in that language only.
func TestCounterScriptedDayLanguages(t *testing.T) {
	script, err := os.ReadFile("testdata/day.txt")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(script), "\n"), "\n")
	for _, tc := range []struct {
		lang  string
		want  []string
		never []string
	}{
		{"zh", []string{
			"操作员 01 签到成功\n联机签到\n",
			"\n--- 菜单 ---\n  1 消费\n  2 退货\n  3 撤销\n  4 预授权\n  5 预授权完成\n  6 余额查询\n  7 结算\n  8 重打印\n  0 签退\n请选择 (回车: 签退): 1\n\n--- 消费 ---\n",
			"请勿拔卡\n[请稍候]\n卡号 621094******0029\n持卡人 EMVKIT/TEST CARD\n有效期 12/30\n确认 (回车) / 取消 (C): \n金额: 100.00\n金额 CNY 100.00\n",
			"[交易批准]\n",
			"                商户存根\n" +
				"终端号 TERMCN01   商户号 EMVKITMERCHCN01\n" +
				"2026-11-23 14:05:00            操作员 01\n" +
				"批次号 000001              凭证号 000002\n" +
				"参考号                      261123000002\n" +
				"授权码                            120567\n" +
				"\n" +
				"消费                                插卡\n" +
				"卡号             621094******0029 PSN 01\n" +
				"应用                          UICC DEBIT\n",
			"金额                          CNY 100.00\n",
			"                交易成功\n             联机密码已验证\n========================================\n",
			"X______________________________________\n  持卡人签名\n========================================\n核对签名 (回车: 相符; N: 不符): \n",
			"               请妥善保管\n========================================\n请取卡\n",
			"电子现金余额 CNY 200.00\n请取卡\n",
			"[不受理]\n",
			"请刷卡\n请刷卡 (回车: 刷卡; C: 取消): \n已刷卡 476173******0119D****************\n卡号 476173******0119  有效期 12/30\n",
			"消费                            降级刷卡\n",
			"                 结算单\n",
			"消费 3                        CNY 224.50\n",
			"撤销 1                         CNY 58.00\n",
			"净额                          CNY 204.50\n对账平\n========================================\n批次 000001 已结, 批次 000002 开始\n",
			"操作员 01 签退成功\n",
		}, []string{"SALE", "MERCHANT COPY", "REMOVE CARD", "APPROVED", "AMOUNT", "SETTLEMENT", "MENU", "[PLEASE WAIT]"}},
		{"en", []string{
			"Operator 01 signed on.\nSIGN ON WITH THE ACQUIRER\n",
			"\n--- MENU ---\n  1 SALE\n  2 REFUND\n  3 VOID\n  4 PRE-AUTH\n  5 PRE-AUTH COMPLETION\n  6 BALANCE INQUIRY\n  7 SETTLEMENT\n  8 REPRINT LAST RECEIPT\n  0 SIGN OFF\nChoice (Enter: sign off): 1\n\n--- SALE ---\n",
			"DO NOT REMOVE THE CARD\n[PLEASE WAIT]\nCARD 621094******0029\nNAME EMVKIT/TEST CARD\nEXPIRY 12/30\nConfirm (Enter) / Cancel (C): \nAmount: 100.00\nAMOUNT CNY 100.00\n",
			"[APPROVED]\n",
			"             MERCHANT COPY\n" +
				"TID TERMCN01         MID EMVKITMERCHCN01\n" +
				"2026-11-23 14:05:00          OPERATOR 01\n" +
				"BATCH 000001                 STAN 000002\n" +
				"RRN                         261123000002\n" +
				"AUTH CODE                         120567\n" +
				"\n" +
				"SALE                                CHIP\n" +
				"CARD             621094******0029 PSN 01\n" +
				"APP                           UICC DEBIT\n",
			"AMOUNT                        CNY 100.00\n",
			"                APPROVED\n          PIN VERIFIED ONLINE\n========================================\n",
			"X______________________________________\n  CARDHOLDER SIGNATURE\n========================================\nSIGNATURE MATCHES THE CARD? (Enter: yes; N: no): \n",
			"     PLEASE RETAIN FOR YOUR RECORDS\n========================================\nREMOVE CARD\n",
			"EC BALANCE CNY 200.00\nREMOVE CARD\n",
			"[NOT ACCEPTED]\n",
			"USE THE MAGNETIC STRIPE: swipe the card\nSWIPE CARD (Enter: swipe it; C: cancel): \nSWIPED 476173******0119D****************\nCARD 476173******0119  EXPIRY 12/30\n",
			"SALE                            FALLBACK\n",
			"               SETTLEMENT\n",
			"SALE 3                        CNY 224.50\n",
			"VOID 1                         CNY 58.00\n",
			"NET                           CNY 204.50\nBALANCED WITH THE ACQUIRER\n========================================\nBATCH 000001 CLOSED, BATCH 000002 OPEN\n",
			"Operator 01 signed off.\n",
		}, nil},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			out, err := counterRun(t, []string{"-lang", tc.lang, "-config", "../../testdata/terminals/china-counter.json"}, lines...)
			require.NoError(t, err, out)
			for _, want := range tc.want {
				assert.Contains(t, out, want)
			}
			for _, never := range tc.never {
				assert.NotContains(t, out, never)
			}
			if tc.lang == "en" {
				assert.NotRegexp(t, `\p{Han}`, out, "no Chinese on an English counter")
			}
			assert.Len(t, receipts(out), 13)
		})
	}
}

// -lang takes zh, en or both; anything else is a usage error (exit 2)
// that names the flag, before the counter starts.
func TestCounterLanguageFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-journal", ":memory:", "-lang", "fr"}, strings.NewReader(""), &out, &errOut, environment{})
	var usage usageError
	require.ErrorAs(t, err, &usage)
	assert.Equal(t, 2, exitCode(err))
	assert.Equal(t, `invalid value "fr" for flag -lang: want one of zh, en, both`, err.Error())
	assert.Contains(t, errOut.String(), "invalid value \"fr\" for flag -lang: want one of zh, en, both\nUsage of pos:\n")
	assert.Contains(t, errOut.String(), "  -lang value\n    \tlanguage of the screens and receipts: zh, en or both (default both)\n")
	assert.Empty(t, out.String(), "the counter never started")

	assert.Equal(t, 0, exitCode(nil))
	assert.Equal(t, 0, exitCode(flag.ErrHelp))
	assert.Equal(t, 1, exitCode(errors.New("pos: sign-on refused three times")))
}

// Every message the counter's code names is in the table, in both
// languages: c.tr of a missing key would stop the counter.
func TestCounterTextsComplete(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	used := regexp.MustCompile(`c\.tr\("([^"]+)"\)`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range used.FindAllStringSubmatch(string(src), -1) {
			n++
			assert.Contains(t, texts, m[1], "%s uses %q", f, m[1])
		}
	}
	assert.Greater(t, n, 80)
	// The keys made from data: the originals, the entry modes, the response codes.
	for _, k := range []string{"noSuch sale", "noSuch preauth", "entry chip", "entry tap", "entry swipe", "entry fallback", "entry key", "rc"} {
		assert.Contains(t, texts, k)
	}
	for k, tx := range texts {
		assert.NotEmpty(t, tx.zh, k)
		assert.NotEmpty(t, tx.en, k)
		assert.NotRegexp(t, `\p{Han}`, tx.en, k)
		assert.Regexp(t, `\p{Han}`, tx.zh, k)
	}
}
