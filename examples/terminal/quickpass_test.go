package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runQuickPass runs a QuickPass tap at the Chinese counter and returns
// the output.
func runQuickPass(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"-config", chinaConfig, "-interface", "contactless"}, args...)
	require.NoError(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), errOut.String())
	return out.String()
}

// The final SELECTs of a QuickPass debit tap: the PPSE, then the debit AID
// its directory names with Kernel Identifier 07 (Book B §3.3.2).
const quickPassSelects = `SELECT 00A40400 Lc=0E 325041592E5359532E4444463031 Le=00 -> 6F49840E325041592E5359532E4444463031A537BF0C3461324F08A000000333010101500E554E494F4E5041592044454249549F120E556E696F6E5061792044656269748701019F2A0107 9000 (success)`

// A QuickPass (闪付) tap at the Chinese counter, offline approval by Kernel
// 7 with fDDA: the UI Requests in Simplified Chinese (the card's 5F2D
// "zhen" and the reader's languages zh, en; Book A §7.1), the amount and
// the electronic cash balance the card returned (9F5D) in CNY.
func TestQuickPassTapChinese(t *testing.T) {
	s := runQuickPass(t, "-card", "unionpay-quickpass-debit")
	head, trace, ok := strings.Cut(s, "\ntrace (6 commands):\n")
	require.True(t, ok, s)
	assert.Equal(t, `[display] 请挥卡 (Ready to Read)
[display] 读卡成功 (Card Read Successfully)
[display] 交易批准, 余额 CNY 487.66 (Card Read Successfully, hold 1300 ms)

outcome:      approved
interface:    contactless
application:  A000000333010101 UNIONPAY DEBIT, Kernel 7 (UnionPay)
card:         621234******1234
amount:       CNY 12.34
language:     zh
parameters:   Approved, CVM No CVM, UI on outcome [Approved, Card Read Successfully, hold 1300 ms, language zhen, Balance 48766 (156)], Data Record, Discretionary Data
CVM:          No CVM
TVR:          0000000000
TTQ:          36008000
CTQ:          0000
`, head[:strings.Index(head, "cryptogram:")])
	assert.Regexp(t, `cryptogram:   CID 40 AC [0-9A-F]{16} ATC 0041\nbalance 9F5D: CNY 487.66\n$`, head)
	lines := strings.Split(strings.TrimSuffix(trace, "\n"), "\n")
	require.Len(t, lines, 6)
	assert.True(t, strings.HasPrefix(lines[0], quickPassSelects), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "SELECT 00A40400 Lc=08 A000000333010101 Le=00 -> 6F52"), lines[1])
	// The PDOL data: TTQ 36008000, 12.34, no other amount, 156, TVR, CNY.
	assert.True(t, strings.HasPrefix(lines[2], "GET PROCESSING OPTIONS 80A80000 Lc=23 8321360080000000000012340000000000000156000000000001562612"), lines[2])
	for i, p := range []string{"READ RECORD 00B20114 Le=00", "READ RECORD 00B2011C Le=00", "READ RECORD 00B2021C Le=00"} {
		assert.True(t, strings.HasPrefix(lines[3+i], p), lines[3+i])
	}
	assert.NotContains(t, s, "6212345678901234")
}

// The same tap with -json: the display lines as shown, the language, the
// currency and the balance (9F5D) in fen.
func TestQuickPassTapJSON(t *testing.T) {
	var j tapOut
	require.NoError(t, json.Unmarshal([]byte(runQuickPass(t, "-card", "unionpay-quickpass-debit", "-json")), &j))
	assert.Equal(t, "approved", j.Outcome)
	assert.Equal(t, "A000000333010101", j.AID)
	assert.Equal(t, "Kernel 7 (UnionPay)", j.Kernel)
	assert.Equal(t, "12.34", j.Amount)
	assert.Equal(t, "CNY", j.Currency)
	assert.Equal(t, "zh", j.Language)
	assert.Equal(t, []string{
		"请挥卡 (Ready to Read)",
		"读卡成功 (Card Read Successfully)",
		"交易批准, 余额 CNY 487.66 (Card Read Successfully, hold 1300 ms)",
	}, j.Display)
	require.NotNil(t, j.Balance)
	assert.Equal(t, uint64(48766), *j.Balance)
	assert.Equal(t, "40", j.CID)
	assert.Equal(t, "No CVM", j.CVM)
	assert.Equal(t, 6, j.APDUCount)
	assert.Equal(t, []string{"SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD", "READ RECORD", "READ RECORD"}, commands(j.Trace))
	require.NotNil(t, j.EntryPoint)
	assert.Equal(t, "Approved", j.EntryPoint.Outcome.Status)
}

// Above the reader's CVM limit (1000.00) the QuickPass debit card asks for
// an ARQC and online PIN (CTQ byte 1 bit 8, Book C-7): the PIN goes to the
// virtual issuer, which checks the ARQC and approves; Kernel 7 has no
// issuer update processing, so there is no second tap.
func TestQuickPassOnlineTap(t *testing.T) {
	s := runQuickPass(t, "-card", "unionpay-quickpass-debit", "-amount", "1500.00")
	head, _, ok := strings.Cut(s, "\ntrace (6 commands):\n")
	require.True(t, ok, s)
	assert.Equal(t, `[display] 请挥卡 (Ready to Read)
[display] 读卡成功 (Card Read Successfully)
[display] 正在授权，请稍候 (Card Read Successfully)

outcome:      online approved
interface:    contactless
application:  A000000333010101 UNIONPAY DEBIT, Kernel 7 (UnionPay)
card:         621234******1234
amount:       CNY 1500.00
language:     zh
parameters:   Online Request, CVM Online PIN, UI on outcome [Authorising Please Wait, Card Read Successfully, language zhen], Data Record, Discretionary Data
CVM:          Online PIN
PIN:          entered, enciphered for the issuer
TVR:          0000000000
TTQ:          36C08000
CTQ:          8000
`, head[:strings.Index(head, "cryptogram:")])
	assert.Regexp(t, `cryptogram:   CID 80 AC [0-9A-F]{16} ATC 0041\nbalance 9F5D: CNY 500.00\nARC:          00\n$`, head)
}

// The quasi-credit card always asks for an ARQC and returns no 9F5D: an
// online approval below the CVM limit, no balance shown.
func TestQuickPassQuasiCreditOnline(t *testing.T) {
	var j tapOut
	require.NoError(t, json.Unmarshal([]byte(runQuickPass(t, "-card", "unionpay-quickpass-quasi-credit", "-json")), &j))
	assert.Equal(t, "online approved", j.Outcome)
	assert.Equal(t, "00", j.ARC)
	assert.Equal(t, "80", j.CID)
	assert.Nil(t, j.Balance)
	assert.Nil(t, j.Restart)
	assert.Equal(t, []string{"请挥卡 (Ready to Read)", "读卡成功 (Card Read Successfully)", "正在授权，请稍候 (Card Read Successfully)"}, j.Display)
}

// A card that declines (AAC): "交易拒绝", Book A's Not Authorised.
func TestQuickPassDecline(t *testing.T) {
	s := runQuickPass(t, "-card", "unionpay-quickpass-decline")
	assert.True(t, strings.HasPrefix(s, "[display] 请挥卡 (Ready to Read)\n[display] 读卡成功 (Card Read Successfully)\n[display] 交易拒绝 (Card Read Successfully, hold 1300 ms)\n\noutcome:      declined\n"), s)
}

// -type inquiry on the contactless interface: the Entry Point selects the
// QuickPass application, and kernel7.BalanceInquiry reads the electronic
// cash balance and limits with GET DATA (JR/T 0025.13) and sends no GET
// PROCESSING OPTIONS; the balance shows in Chinese, in CNY.
func TestQuickPassBalanceInquiryText(t *testing.T) {
	s := runQuickPass(t, "-card", "unionpay-quickpass-debit", "-type", "inquiry", "-amount", "0")
	head, trace, ok := strings.Cut(s, "\ntrace (6 commands):\n")
	require.True(t, ok, s)
	assert.Equal(t, `[display] 请挥卡 (Ready to Read)
[display] 读卡成功, 余额 CNY 500.00 (Card Read Successfully, hold 1300 ms)

outcome:      balance read
interface:    contactless
application:  A000000333010101 UNIONPAY DEBIT, Kernel 7 (UnionPay)
amount:       CNY 0.00
language:     zh
parameters:   End Application, UI on outcome [Card Read OK, Card Read Successfully, hold 1300 ms, language zhen, Balance 50000 (156)], Discretionary Data
CVM:          N/A
EC balance:   500.00
EC limit:     1000.00
EC single:    500.00
EC reset:     100.00
`, head)
	lines := strings.Split(strings.TrimSuffix(trace, "\n"), "\n")
	require.Len(t, lines, 6)
	assert.True(t, strings.HasPrefix(lines[0], quickPassSelects), lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "SELECT 00A40400 Lc=08 A000000333010101 Le=00 -> "), lines[1])
	for i, want := range []string{
		"GET DATA 80CA9F79 Le=00 -> 9F7906000000050000 9000 (success)",
		"GET DATA 80CA9F78 Le=00 -> 9F7806000000050000 9000 (success)",
		"GET DATA 80CA9F77 Le=00 -> 9F7706000000100000 9000 (success)",
		"GET DATA 80CA9F6D Le=00 -> 9F6D06000000010000 9000 (success)",
	} {
		assert.True(t, strings.HasPrefix(lines[2+i], want), lines[2+i])
	}
}

// The inquiry with -json: ec_balance as on the contact interface, the
// display lines, no cryptogram.
func TestQuickPassBalanceInquiryJSON(t *testing.T) {
	var j tapOut
	require.NoError(t, json.Unmarshal([]byte(runQuickPass(t, "-card", "unionpay-quickpass-phone", "-type", "inquiry", "-amount", "0", "-json")), &j))
	assert.Equal(t, "balance read", j.Outcome)
	assert.Equal(t, "A000000333010102", j.AID)
	u := func(v uint64) *uint64 { return &v }
	assert.Equal(t, &emv.ECBalance{Balance: 20000, BalanceLimit: u(100000), SingleTransactionLimit: u(50000), ResetThreshold: u(10000)}, j.ECBalance)
	assert.Equal(t, []string{"请挥卡 (Ready to Read)", "读卡成功, 余额 CNY 200.00 (Card Read Successfully, hold 1300 ms)"}, j.Display)
	assert.Equal(t, []string{"SELECT", "SELECT", "GET DATA", "GET DATA", "GET DATA", "GET DATA"}, commands(j.Trace))
	assert.Equal(t, "", j.AC)
	assert.Nil(t, j.Balance, "no tap: no 9F5D")
}

// A QuickPass card without electronic cash (the quasi-credit card: GET
// DATA 9F79 answers 6A88) gets the Kernel 7 transaction of type 31, for
// the issuer, as the contact kernel does.
func TestQuickPassBalanceInquiryNoECash(t *testing.T) {
	var j tapOut
	require.NoError(t, json.Unmarshal([]byte(runQuickPass(t, "-card", "unionpay-quickpass-quasi-credit", "-type", "inquiry", "-amount", "0", "-json")), &j))
	assert.Equal(t, "online approved", j.Outcome)
	assert.Nil(t, j.ECBalance)
	assert.Equal(t, []string{"SELECT", "SELECT", "GET DATA", "GET PROCESSING OPTIONS", "READ RECORD", "READ RECORD", "READ RECORD"}, commands(j.Trace))
	assert.Contains(t, j.Trace[2], "GET DATA 80CA9F79 Le=00 -> 6A88")
}
