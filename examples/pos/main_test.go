package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steady is an endless deterministic random source.
type steady byte

func (s *steady) Read(p []byte) (int, error) {
	for i := range p {
		*s = *s*17 + 5
		p[i] = byte(*s)
	}
	return len(p), nil
}

// counterRun drives the counter with the given input lines, as an
// operator and customers would type them.
func counterRun(t *testing.T, args []string, lines ...string) (string, error) {
	t.Helper()
	r := steady(3)
	env := environment{now: func() time.Time { return time.Date(2026, 11, 23, 14, 5, 0, 0, time.UTC) }, rand: &r}
	if !slices.Contains(args, "-journal") {
		args = append([]string{"-journal", filepath.Join(t.TempDir(), "journal.db")}, args...)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(strings.Join(lines, "\n")+"\n"), &out, &errOut, env)
	assert.Empty(t, errOut.String())
	return out.String(), err
}

// receipts returns the receipts printed, in order.
func receipts(out string) []string {
	return regexp.MustCompile(`(?s)={40}\n.*?\n={40}\n`).FindAllString(out, -1)
}

// secrets checks what must never be printed: the full PAN, the PINs
// typed and the operator password.
func secrets(t *testing.T, out string, pan string, typed ...string) {
	t.Helper()
	assert.NotContains(t, out, pan, "PAN masked everywhere")
	for _, s := range typed {
		assert.NotContains(t, out, s, "a secret typed is never shown")
	}
}

// A day at the counter: sign on, an offline sale below the floor limit
// (TC at the first GENERATE AC, Book 3 §10.8), an online sale above it
// (ARQC, the acquirer and issuer, ARPC, issuer script 72, TC; Book 3
// §10.9-10.11), sign off.
func TestCounterOfflineAndOnline(t *testing.T) {
	db := filepath.Join(t.TempDir(), "journal.db")
	out, err := counterRun(t, []string{"-scripts", "-journal", db},
		"01", "2468", // operator sign-on
		"1", "", "", "25.00", "1234", // offline sale: menu, default card, confirm, amount, PIN
		"1", "", "", "100.00", "1234", // online sale
		"") // sign off
	require.NoError(t, err, out)
	secrets(t, out, "4761739001010119", "1234", "2468")
	assert.Contains(t, out, "Operator 01 signed on.")
	assert.Contains(t, out, "Operator 01 signed off.")

	rs := receipts(out)
	require.Len(t, rs, 4, out)
	for i, r := range rs {
		assert.Contains(t, r, "CARD             476173******0119 PSN 01\n", "receipt %d", i)
		assert.Contains(t, r, "AID                       A0000000031010\n")
		assert.Contains(t, r, "APP                          Visa Credit\n")
		assert.Contains(t, r, "TID DEMO0001         MID EMVKITDEMO00001\n")
		assert.Contains(t, r, "2026-11-23 14:05:00          OPERATOR 01\n")
		assert.Contains(t, r, "           交易成功 APPROVED\n")
		assert.Contains(t, r, "              PIN VERIFIED\n")
		assert.Regexp(t, `\nAC [0-9A-F]{16} +TC\n`, r)
		assert.NotContains(t, r, "SIGNATURE", "enciphered PIN: no signature line")
	}
	assert.Contains(t, rs[0], "MERCHANT COPY")
	assert.Contains(t, rs[1], "CARDHOLDER COPY")
	assert.Contains(t, rs[1], "PLEASE RETAIN FOR YOUR RECORDS")
	assert.NotContains(t, rs[0], "PLEASE RETAIN")

	// Offline: the exact EMV data of the first sale.
	assert.Contains(t, rs[0], "AMOUNT                         USD 25.00\n")
	assert.Contains(t, rs[0], "TVR 0000000000                  TSI E800\n")
	assert.Contains(t, rs[0], "ATC 0011                     CVMR 440302\n")
	assert.Contains(t, rs[0], "ARC                                   Y1\n")
	assert.Contains(t, rs[0], "BATCH 000001                 STAN 000002\n")

	// Online: floor limit exceeded (TVR byte 4 bit 8), issuer
	// authentication and script processing performed (TSI FC00), one
	// script command processed successfully (9F5B 20 00000001).
	assert.Contains(t, rs[2], "AMOUNT                        USD 100.00\n")
	assert.Contains(t, rs[2], "TVR 0000008000                  TSI FC00\n")
	assert.Contains(t, rs[2], "ATC 0012                     CVMR 440302\n")
	assert.Contains(t, rs[2], "ARC                                   00\n")
	assert.Contains(t, rs[2], "BATCH 000001                 STAN 000003\n")
	assert.Contains(t, rs[2], "RRN                         261123000003\nAUTH CODE                         128486\n")
	assert.Contains(t, rs[2], "SCRIPTS                       2000000001\n")
	assert.Regexp(t, `> 0200 2=476173\*\*\*\*\*\*0119 3=000000 4=000000010000 11=000003 22=051 23=01 41=DEMO0001 49=840 55=\[\d+ bytes: 9F26 9F27 9F10 9F37 9F36 95 `, out)
	assert.Contains(t, out, "< 0210 37=261123000003 38=128486 39=00 55=[41 bytes: 91 8A 72]")
	assert.Less(t, strings.Index(out, "AUTHORISING"), strings.Index(out, rs[2]))
	assert.True(t, strings.HasSuffix(strings.TrimSpace(out[:strings.LastIndex(out, "--- 菜单 MENU")]), "请取卡 REMOVE CARD"))

	// The journal, read back after the counter closed it: both sales, the
	// PAN masked, the online one with the acquirer's RRN and auth code.
	es := journalRows(t, db, 1)
	require.Len(t, es, 2)
	assert.Equal(t, []string{"000002 sale 0200 000000 2500 476173******0119 chip    approved", "000003 sale 0200 000000 10000 476173******0119 chip 261123000003 128486 00 approved"},
		[]string{es[0].line(), es[1].line()})
	v, ok := tlv.Find(es[1].Field55, 0x9F02)
	require.True(t, ok, "field 55 journalled")
	assert.Equal(t, []byte{0, 0, 0, 1, 0, 0}, v)
}

// journalRows opens the journal at path and returns the rows of a batch.
func journalRows(t *testing.T, path string, batch int) []*entry {
	t.Helper()
	j, err := openJournal(path, time.Now())
	require.NoError(t, err)
	defer j.Close()
	es, err := j.entries(batch)
	require.NoError(t, err)
	return es
}

// A signature card (CVM 1E, Book 3 §10.5): the merchant copy has the
// signature line, the cardholder copy does not.
func TestCounterSignature(t *testing.T) {
	out, err := counterRun(t, nil, "02", "1357", "1", "signature-t0", "", "12.00", "")
	require.NoError(t, err, out)
	rs := receipts(out)
	require.Len(t, rs, 2, out)
	assert.Contains(t, rs[0], "MERCHANT COPY")
	assert.Contains(t, rs[0], "\nX"+strings.Repeat("_", 38)+"\n  持卡人签名 CARDHOLDER SIGNATURE\n")
	assert.Contains(t, rs[0], "           SIGNATURE REQUIRED\n")
	assert.NotContains(t, rs[1], "CARDHOLDER SIGNATURE")
	assert.NotContains(t, out, "Enter PIN")
	assert.Contains(t, rs[0], "CVMR 1E0300")
	assert.Contains(t, rs[0], "CARD             476173******0400 PSN 01\n")
	secrets(t, out, "4761739001010400", "1357")
}

// Several applications (Book 1 §12.4): the customer picks the second of
// the list; an invalid pick is asked again.
func TestCounterChooseApplication(t *testing.T) {
	out, err := counterRun(t, nil, "01", "2468", "1", "multi-application", "9", "2", "", "30.00", "1234", "")
	require.NoError(t, err, out)
	assert.Regexp(t, `SELECT APPLICATION\n  1\. .+\n  2\. (.+)\n  3\. .+\n`, out)
	second := regexp.MustCompile(`\n  2\. (.+)\n`).FindStringSubmatch(out)[1]
	assert.Contains(t, out, "Invalid choice.")
	rs := receipts(out)
	require.Len(t, rs, 2, out)
	assert.Contains(t, rs[0], "APP"+strings.Repeat(" ", receiptWidth-3-len(second))+second+"\n")
	secrets(t, out, "4761739001010200", "1234", "2468")
}

// Online PIN (CVM 02): the PIN pad enciphers the PIN (format 4), the
// request carries field 52, which is never printed.
func TestCounterOnlinePIN(t *testing.T) {
	out, err := counterRun(t, nil, "01", "2468", "1", "mastercard-dda", "", "10.00", "8642", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Enter PIN (online)")
	assert.Contains(t, out, " 52=[PIN block] ")
	rs := receipts(out)
	require.Len(t, rs, 2, out)
	assert.Contains(t, rs[0], "          PIN VERIFIED ONLINE\n")
	assert.Contains(t, rs[0], "CVMR 420300")
	assert.Contains(t, rs[0], "APPROVED")
	secrets(t, out, "5413330089020011", "8642", "2468")
}

// A card that declines (AAC at the first GENERATE AC): DECLINED, no
// signature line.
func TestCounterDeclined(t *testing.T) {
	out, err := counterRun(t, nil, "01", "2468", "1", "declining", "", "5.00", "1234", "")
	require.NoError(t, err, out)
	rs := receipts(out)
	require.Len(t, rs, 2, out)
	assert.Contains(t, rs[0], "           交易失败 DECLINED\n")
	assert.Regexp(t, `\nAC [0-9A-F]{16} +AAC\n`, rs[0])
	assert.NotContains(t, rs[0], "SIGNATURE")
}

// Sign-on (a wrong password is refused, three refusals end the program),
// bad input at the counter.
func TestCounterSignOnAndInput(t *testing.T) {
	out, err := counterRun(t, nil, "01", "0000", "01", "2468", "1", "", "", "abc", "1.234", "0", "1.00", "1234", "")
	require.NoError(t, err, out)
	assert.Contains(t, out, "Password 密码: \n密码错误 WRONG PASSWORD\n签到 SIGN ON  Operator ID 操作员号: 01\nPassword 密码: \nOperator 01 signed on. 签到成功\n")
	// The counter signs on with the acquirer before the first sale
	// (0800/0810, field 60: batch 000001, 001 sign-on), and off at the
	// end (0820/0830, 002 sign-off).
	assert.Contains(t, out, "联机签到 SIGN ON WITH THE ACQUIRER\n拨号中 DIALLING (1/3)...\n  > 0800 11=000001 41=DEMO0001 42=EMVKITDEMO00001 60=00000001001 63=01\n  < 0810 37=261123000001 39=00\n")
	assert.Contains(t, out, "  > 0820 11=000003 41=DEMO0001 42=EMVKITDEMO00001 60=00000001002 63=01\n  < 0830 37=261123000003 39=00\nOperator 01 signed off. 签退成功\n")
	assert.Less(t, strings.Index(out, "> 0800"), strings.Index(out, "--- 消费 SALE"))
	assert.Equal(t, 3, strings.Count(out, "Invalid amount."))
	assert.NotContains(t, out, "0000\n")

	out, err = counterRun(t, nil, "01", "1", "03", "02", "2")
	assert.ErrorContains(t, err, "pos: sign-on refused three times")
	assert.Equal(t, 2, strings.Count(out, "密码错误 WRONG PASSWORD\n"))
	assert.Contains(t, out, "Operator ID 操作员号: 03\n操作员号不存在 UNKNOWN OPERATOR \"03\"\n签到 SIGN ON")
	assert.NotContains(t, out, "> 0800")

	out, err = counterRun(t, nil, "01", "2468", "1", "no-such-card", "")
	require.NoError(t, err)
	assert.Contains(t, out, `No card: no built-in card "no-such-card"`)
	assert.Empty(t, receipts(out))
}
