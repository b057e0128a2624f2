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
	assert.Contains(t, out, "Cancel 取消 (C): C\n交易取消 TRANSACTION CANCELLED\n请取卡 REMOVE CARD\n", "the kernel's processing error after the Cancel is not shown")
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

// The operator compares the signature: a match prints the cardholder
// copy; a signature that does not match voids the sale at once (0200
// 200000 against its authorisation), and the sale's cardholder copy never
// prints. Reprint (8) prints the last merchant copy again.
func TestCounterSignatureCheckAndReprint(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-journal", db}, "02", "1357",
		"1", "signature-t0", "", "12.00", "", // signature accepted
		"1", "signature-t0", "", "13.00", "x", "N", // asked again, then refused
		"8", // reprint
		"")
	require.NoError(t, err, out)
	assert.Equal(t, 3, strings.Count(out, "核对签名 SIGNATURE MATCHES THE CARD? (Enter: yes; N: no): "))
	assert.Contains(t, out, "核对签名 SIGNATURE MATCHES THE CARD? (Enter: yes; N: no): x\n核对签名")
	assert.Contains(t, out, "核对签名 SIGNATURE MATCHES THE CARD? (Enter: yes; N: no): N\n签名不符 SIGNATURE DOES NOT MATCH: the transaction is voided\nAMOUNT USD 13.00\n")
	rs := receipts(out)
	// Sale 1: both copies; sale 2: the merchant copy; its void: both; the
	// reprint of the void's merchant copy.
	require.Len(t, rs, 6, out)
	assert.Contains(t, rs[0], "持卡人签名 CARDHOLDER SIGNATURE")
	assert.Contains(t, rs[1], "持卡人存根 CARDHOLDER COPY")
	assert.Contains(t, rs[2], "商户存根 MERCHANT COPY")
	assert.Contains(t, rs[2], "USD 13.00")
	assert.Contains(t, rs[3], "撤销 VOID")
	assert.Contains(t, rs[4], "撤销 VOID")
	assert.Contains(t, out, "重打印 REPRINT\n")
	assert.Equal(t, rs[3], rs[5])
	var lines []string
	for _, e := range journalRows(t, db, 1) {
		lines = append(lines, e.line())
	}
	assert.Equal(t, []string{
		"000002 sale 0200 000000 1200 476173******0400 chip    approved",
		"000003 sale 0200 000000 1300 476173******0400 chip    approved voided",
		"000004 void 0200 200000 1300 476173******0400 key 261123000004 136405 00 approved of 000003",
	}, lines)
}

// The issuer's response codes in words, as the counter shows a decline
// (ISO 8583 field 39).
func TestDeclineReason(t *testing.T) {
	for code, want := range map[string]string{
		"51": "余额不足 insufficient funds", "41": "没收卡 pick up card (lost or stolen)", "43": "没收卡 pick up card (lost or stolen)",
		"55": "密码错误 incorrect PIN", "54": "过期卡 expired card", "05": "不予承兑 do not honour", "25": "原交易不存在 original not found",
		"75": "密码错误次数超限 PIN tries exceeded", "96": "系统故障 system malfunction", "Z9": "交易拒绝 declined",
	} {
		assert.Equal(t, want, (&counter{lang: "both"}).declineReason(code), code)
	}
}
