package cvm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testPAN      = "4761739001010010"
	pin1234      = "241234FFFFFFFFFF" // ISO 9564 format 2 block of 1234
	onlineBlock  = "C1F2A3B4C5D6E7F8"
	un1          = "1122334455667788"
	un2          = "8877665544332211"
	noAmounts    = "0000000000000000"
	xIs1000Y5000 = "000003E800001388"
)

const (
	plain = OfflinePlaintextPIN
	enc   = OfflineEncipheredPIN
)

// baseInput is an attended POS purchase of 10.00 EUR with a terminal that
// supports every CVM (9F33 E0F8C8) and a card whose AIP supports
// cardholder verification.
func baseInput(t testing.TB, list string) Input {
	return Input{
		AIP:                  [2]byte{0x3C, 0x00},
		CVMList:              unhex(t, list),
		ApplicationCurrency:  []byte{0x09, 0x78},
		PAN:                  unhex(t, testPAN),
		TerminalCapabilities: [3]byte{0xE0, 0xF8, 0xC8},
		TerminalType:         0x22,
		TransactionType:      0x00,
		Amount:               1000,
		TransactionCurrency:  [2]byte{0x09, 0x78},
		PINKey:               testPINKey(t),
		Rand:                 strings.NewReader(strings.Repeat("\xAA", 4096)),
	}
}

type performCase struct {
	name    string
	list    string // X, Y and rules, hex
	mod     func(*Input)
	nilPad  bool
	card    []cardStep
	pad     []padStep
	results string    // CVM Results 9F34, hex
	tvr     []tvr.Bit // exactly the TVR bits set
	noTSI   bool      // TSI "cardholder verification performed" not set
	ok      bool      // Result.Successful
	sig     bool      // Result.SignatureRequired
	online  bool      // an online PIN block came back
	err     error     // Perform fails with this cause
}

func runPerform(t *testing.T, tc performCase) (Result, *fakeCard, *fakePad) {
	t.Helper()
	in := baseInput(t, tc.list)
	card := &fakeCard{t: t, steps: tc.card}
	pad := &fakePad{t: t, steps: tc.pad}
	if !tc.nilPad {
		in.PINPad = pad
	}
	if tc.mod != nil {
		tc.mod(&in)
	}
	res, err := Perform(context.Background(), card, in)
	assert.Equal(t, len(tc.card), card.n, "scripted commands left unsent")
	assert.Equal(t, len(tc.pad), pad.n, "scripted PIN prompts left unused")
	if tc.err != nil {
		require.ErrorIs(t, err, tc.err)
		var ce *Error
		require.ErrorAs(t, err, &ce)
		assert.True(t, strings.HasPrefix(err.Error(), "cvm: "), err.Error())
		return res, card, pad
	}
	require.NoError(t, err)
	assert.Equal(t, strings.ToUpper(tc.results), strings.ToUpper(hexString(res.Results[:])), "CVM Results %s", res.Results)
	var want tvr.TVR
	for _, b := range tc.tvr {
		want.Set(b)
	}
	assert.Equal(t, want, res.TVR, "TVR: got %s, want %s", res.TVR, want)
	var wantTSI tvr.TSI
	if !tc.noTSI {
		wantTSI.Set(tvr.CardholderVerificationPerformed)
	}
	assert.Equal(t, wantTSI, res.TSI, "TSI %s", res.TSI)
	assert.Equal(t, tc.ok, res.Successful, "successful")
	assert.Equal(t, tc.sig, res.SignatureRequired, "signature required")
	if tc.online {
		assert.Equal(t, unhex(t, onlineBlock), res.OnlinePIN.Bytes())
	} else {
		assert.True(t, res.OnlinePIN.IsZero())
	}
	// The record of commands matches what the card saw, without VERIFY
	// data.
	require.Len(t, res.Commands, len(tc.card))
	for i, e := range res.Commands {
		assert.Equal(t, tc.card[i].resp[len(tc.card[i].resp)-4:], strings.ToUpper(hexString([]byte{e.SW.SW1(), e.SW.SW2()})))
		sent, err := apdu.ParseCommand(card.sent[i])
		require.NoError(t, err)
		assert.Equal(t, sent.INS, e.Command.INS)
		assert.Equal(t, sent.P1, e.Command.P1)
		assert.Equal(t, sent.P2, e.Command.P2)
		if e.Command.INS == apdu.InsVerify {
			assert.Nil(t, e.Command.Data)
			assert.Equal(t, len(card.raw[i])-5, e.DataLen)
			assert.Equal(t, make([]byte, len(card.raw[i])), card.raw[i], "VERIFY buffer zeroed after the card answered")
		}
	}
	// Every PIN handed over by the PIN pad is zeroed.
	for _, d := range pad.digits {
		assert.Equal(t, make([]byte, len(d)), d, "PIN digits zeroed")
	}
	// Book 4 Annex A4: the CVM Results name the performed rule.
	if res.Performed != nil {
		assert.Equal(t, res.Performed.Method, res.Results[0])
	}
	return res, card, pad
}

func hexString(b []byte) string {
	const digits = "0123456789ABCDEF"
	var s strings.Builder
	for _, v := range b {
		s.WriteByte(digits[v>>4])
		s.WriteByte(digits[v&0x0F])
	}
	return s.String()
}

func caps2(b byte) func(*Input) { return func(in *Input) { in.TerminalCapabilities[1] = b } }

func txn(typ, termType byte) func(*Input) {
	return func(in *Input) { in.TransactionType, in.TerminalType = typ, termType }
}

func amount(a uint64) func(*Input) { return func(in *Input) { in.Amount = a } }

// One test per CV Rule code (Book 3 §10.5, Annex C3 Table C-1), each with
// condition 00 "Always".
func TestPerformCVMCodes(t *testing.T) {
	cvNotOK := tvr.CardholderVerificationNotSuccessful
	tests := []performCase{
		{name: "Annex C3 00 fail CVM processing", list: noAmounts + "0000",
			results: "000001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Annex C3 00 fail CVM with bit 7 goes on to the next rule", list: noAmounts + "40001F00",
			results: "1F0002", ok: true},
		{name: "Annex C3 01 plaintext PIN verified by ICC (§10.5.1)", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "9000")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "010002", ok: true},
		{name: "Annex C3 02 enciphered PIN verified online (§10.5.2)", list: noAmounts + "0200",
			pad:     []padStep{online(onlineBlock)},
			results: "020000", tvr: []tvr.Bit{tvr.OnlineCVMCaptured}, ok: true, online: true},
		{name: "Annex C3 03 plaintext PIN by ICC and signature", list: noAmounts + "0300",
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "9000")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "030000", ok: true, sig: true},
		{name: "Annex C3 04 enciphered PIN verified by ICC (§10.5.1, Book 2 §7.2)", list: noAmounts + "0400",
			card:    []cardStep{getPTC(3), getChallenge(un1 + "9000"), verifyEnc(pin1234, un1, "9000")},
			pad:     []padStep{offline(enc, 3, false, "1234")},
			results: "040002", ok: true},
		{name: "Annex C3 05 enciphered PIN by ICC and signature", list: noAmounts + "0500",
			card:    []cardStep{getPTC(3), getChallenge(un1 + "9000"), verifyEnc(pin1234, un1, "9000")},
			pad:     []padStep{offline(enc, 3, false, "1234")},
			results: "050000", ok: true, sig: true},
		{name: "Annex C3 1E signature (§10.5.3)", list: noAmounts + "1E00",
			results: "1E0000", ok: true, sig: true},
		{name: "Annex C3 1F no CVM required", list: noAmounts + "1F00",
			results: "1F0002", ok: true},
		{name: "Annex C3 RFU CVM 10 is unrecognised", list: noAmounts + "1000",
			results: "3F0001", tvr: []tvr.Bit{tvr.UnrecognisedCVM, cvNotOK}},
		{name: "Annex C3 RFU CVM 1D is unrecognised", list: noAmounts + "1D00",
			results: "3F0001", tvr: []tvr.Bit{tvr.UnrecognisedCVM, cvNotOK}},
		{name: "Annex C3 payment system CVM 20 unrecognised, bit 7 goes on", list: noAmounts + "60001F00",
			results: "1F0002", tvr: []tvr.Bit{tvr.UnrecognisedCVM}, ok: true},
		{name: "Annex C3 issuer CVM 30 unrecognised, bit 7 goes on", list: noAmounts + "70001E00",
			results: "1E0000", tvr: []tvr.Bit{tvr.UnrecognisedCVM}, ok: true, sig: true},
		{name: "Annex C3 3F is not a CVM", list: noAmounts + "3F00",
			results: "3F0001", tvr: []tvr.Bit{tvr.UnrecognisedCVM, cvNotOK}},
		{name: "Annex C3 byte 1 bit 8 (RFU) kept in the CVM Results", list: noAmounts + "9F00",
			results: "9F0002", ok: true},
		{name: "Annex C3 bit 7 copied into the CVM Results", list: noAmounts + "5E00",
			results: "5E0000", ok: true, sig: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runPerform(t, tc) })
	}
}

// One test per CVM Condition Code (Book 3 Annex C3 Table C-2), satisfied
// and not.
func TestPerformConditions(t *testing.T) {
	cvNotOK := tvr.CardholderVerificationNotSuccessful
	none := func(name, list string, mod ...func(*Input)) performCase {
		return performCase{name: name, list: list, mod: chain(mod...), results: "3F0001", tvr: []tvr.Bit{cvNotOK}}
	}
	yes := func(name, list, results string, mod ...func(*Input)) performCase {
		return performCase{name: name, list: list, mod: chain(mod...), results: results, ok: true}
	}
	tests := []performCase{
		yes("Annex C3 00 always", noAmounts+"1F00", "1F0002"),
		yes("Annex C3 01 unattended cash: cash at an unattended terminal", noAmounts+"1F01", "1F0102", txn(0x01, 0x14)),
		none("Annex C3 01 unattended cash: cash at an attended terminal", noAmounts+"1F01", txn(0x01, 0x22)),
		none("Annex C3 01 unattended cash: purchase at an unattended terminal", noAmounts+"1F01", txn(0x00, 0x25)),
		yes("Annex C3 02 not cash nor cashback: purchase", noAmounts+"1F02", "1F0202"),
		yes("Annex C3 02 not cash nor cashback: purchase, unattended", noAmounts+"1F02", "1F0202", txn(0x00, 0x25)),
		none("Annex C3 02 not cash nor cashback: manual cash", noAmounts+"1F02", txn(0x01, 0x11)),
		none("Annex C3 02 not cash nor cashback: unattended cash", noAmounts+"1F02", txn(0x01, 0x14)),
		none("Annex C3 02 not cash nor cashback: purchase with cashback", noAmounts+"1F02", txn(0x09, 0x22)),
		yes("Annex C3 03 terminal supports the CVM", noAmounts+"1F03", "1F0302"),
		none("Annex C3 03 terminal does not support no CVM (9F33 byte 2 bit 4)", noAmounts+"1F03", caps2(0xF0)),
		yes("Annex C3 03 PIN CVM not supported is skipped without a PIN pad bit", noAmounts+"41031E03", "1E0300", caps2(0x20)),
		none("Annex C3 03 unrecognised CVM is never supported, so skipped without a TVR bit", noAmounts+"1003"),
		yes("Annex C3 04 manual cash: cash at an attended terminal", noAmounts+"1F04", "1F0402", txn(0x01, 0x12)),
		none("Annex C3 04 manual cash: cash at an unattended terminal", noAmounts+"1F04", txn(0x01, 0x14)),
		none("Annex C3 04 manual cash: purchase", noAmounts+"1F04"),
		yes("Annex C3 05 purchase with cashback", noAmounts+"1F05", "1F0502", txn(0x09, 0x22)),
		none("Annex C3 05 purchase with cashback: purchase", noAmounts+"1F05"),
		yes("Annex C3 06 under X: 9.99 < 10.00", xIs1000Y5000+"1F06", "1F0602", amount(999)),
		none("Annex C3 06 under X: 10.00 is not under 10.00", xIs1000Y5000+"1F06", amount(1000)),
		yes("Annex C3 07 over X: 10.01 > 10.00", xIs1000Y5000+"1F07", "1F0702", amount(1001)),
		none("Annex C3 07 over X: 10.00 is not over 10.00", xIs1000Y5000+"1F07", amount(1000)),
		yes("Annex C3 08 under Y: 49.99 < 50.00", xIs1000Y5000+"1F08", "1F0802", amount(4999)),
		none("Annex C3 08 under Y: 50.00 is not under 50.00", xIs1000Y5000+"1F08", amount(5000)),
		yes("Annex C3 09 over Y: 50.01 > 50.00", xIs1000Y5000+"1F09", "1F0902", amount(5001)),
		none("Annex C3 09 over Y: 50.00 is not over 50.00", xIs1000Y5000+"1F09", amount(5000)),
		none("Annex C3 06 transaction not in the application currency (9F42 0840, 5F2A 0978)", xIs1000Y5000+"1F06",
			amount(1), func(in *Input) { in.ApplicationCurrency = []byte{0x08, 0x40} }),
		none("Annex C3 09 Application Currency Code absent: data missing, rule skipped", xIs1000Y5000+"1F09",
			amount(9999), func(in *Input) { in.ApplicationCurrency = nil }),
		yes("Annex C3 07 amounts compared over 32 bits", "FFFFFFFF00000000"+"1F07", "1F0702", amount(1<<32)),
		none("Annex C3 0A RFU condition is not understood: rule skipped", noAmounts+"1F0A"),
		yes("Annex C3 7F RFU condition skipped, next rule applies", noAmounts+"1F7F1E00", "1E0000"),
		none("Annex C3 80 payment system condition is not understood: rule skipped", noAmounts+"1F80"),
		none("Annex C3 FF payment system condition is not understood: rule skipped", noAmounts+"1FFF"),
	}
	for i := range tests {
		if tests[i].results == "1E0000" {
			tests[i].sig = true
		}
		if tests[i].results == "1E0300" {
			tests[i].sig = true
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runPerform(t, tc) })
	}
}

func chain(mods ...func(*Input)) func(*Input) {
	return func(in *Input) {
		for _, m := range mods {
			m(in)
		}
	}
}

// The failure paths of Book 3 §10.5, §10.5.1 and §10.5.2.
func TestPerformFailurePaths(t *testing.T) {
	cvNotOK := tvr.CardholderVerificationNotSuccessful
	padBit := tvr.PINPadNotPresentOrNotWorking
	notEntered := tvr.PINNotEntered
	limit := tvr.PINTryLimitExceeded
	stuck := make([]cardStep, 0, maxVerify+1)
	stuckPad := make([]padStep, 0, maxVerify)
	stuck = append(stuck, getPTC(5))
	for i := range maxVerify {
		stuck = append(stuck, verifyPlain(pin1234, "63C5"))
		stuckPad = append(stuckPad, offline(plain, 5, i > 0, "1234"))
	}
	tests := []performCase{
		// §10.5 conditions of execution and the CVM List itself.
		{name: "Book 3 §10.5 AIP says cardholder verification not supported: nothing done",
			list: noAmounts + "0100", mod: func(in *Input) { in.AIP = [2]byte{0x2C, 0x00} },
			results: "3F0000", noTSI: true},
		{name: "Book 3 §10.5 CVM List absent: ICC data missing, no TSI bit",
			mod:     func(in *Input) { in.CVMList = nil },
			results: "3F0000", tvr: []tvr.Bit{tvr.ICCDataMissing}, noTSI: true},
		{name: "Book 3 §10.5 CVM List present but empty",
			mod:     func(in *Input) { in.CVMList = []byte{} },
			results: "3F0000", tvr: []tvr.Bit{tvr.ICCDataMissing}, noTSI: true},
		{name: "Book 3 §10.5 CVM List with no CV Rules (X and Y only) is as if absent", list: xIs1000Y5000,
			results: "3F0000", tvr: []tvr.Bit{tvr.ICCDataMissing}, noTSI: true},
		{name: "Book 3 §10.5 CVM List of 9 bytes: no complete CV Rule", list: xIs1000Y5000 + "1F",
			results: "3F0000", tvr: []tvr.Bit{tvr.ICCDataMissing}, noTSI: true},
		{name: "Book 3 §10.5 CVM List shorter than X and Y", list: "0000000000",
			results: "3F0000", tvr: []tvr.Bit{tvr.ICCDataMissing}, noTSI: true},
		{name: "Book 3 §10.5 CVM List with an odd trailing byte is malformed", list: noAmounts + "1F0342",
			results: "3F0000", tvr: []tvr.Bit{tvr.ICCDataMissing}, noTSI: true},
		{name: "Book 3 §10.5 list exhausted, no rule applied", list: noAmounts + "1F041F05",
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},

		// CVM not supported by the terminal (condition satisfied).
		{name: "Book 3 §10.5.1 offline plaintext PIN not supported: PIN pad bit", list: noAmounts + "0100", mod: caps2(0x68),
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.1 offline enciphered PIN not supported: PIN pad bit", list: noAmounts + "0400", mod: caps2(0xE8),
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.2 online PIN not supported: PIN pad bit", list: noAmounts + "0200", mod: caps2(0xB8),
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5 PIN and signature, signature not supported: no PIN pad bit", list: noAmounts + "0300", mod: caps2(0x98),
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 3 §10.5.3 signature not supported", list: noAmounts + "1E00", mod: caps2(0xD8),
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 3 §10.5 no CVM required not supported", list: noAmounts + "1F00", mod: caps2(0xF0),
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},

		// PIN pad absent or not working.
		{name: "Book 3 §10.5.1 PIN pad absent, bit 7 goes on to signature", list: noAmounts + "41001E00", nilPad: true,
			results: "1E0000", tvr: []tvr.Bit{padBit}, ok: true, sig: true},
		{name: "Book 3 §10.5.2 PIN pad absent for online PIN", list: noAmounts + "0200", nilPad: true,
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.1 PIN pad not working", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, ErrPINPadNotWorking)},
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.1 PIN pad fails with an error it does not name", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, errors.New("keypad unplugged"))},
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.1 PIN pad returns no PIN and no error", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offline(plain, 3, false, "")},
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.2 PIN pad not working for online PIN", list: noAmounts + "0200",
			pad:     []padStep{onlineErr(ErrPINPadNotWorking)},
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},
		{name: "Book 3 §10.5.2 PIN pad returns an empty online PIN block", list: noAmounts + "0200",
			pad:     []padStep{online("")},
			results: "3F0001", tvr: []tvr.Bit{padBit, cvNotOK}},

		// PIN entry bypassed.
		{name: "Book 3 §10.5.1 offline PIN bypassed, bit 7 goes on to signature", list: noAmounts + "41001E00",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, ErrPINBypassed)},
			results: "1E0000", tvr: []tvr.Bit{notEntered}, ok: true, sig: true},
		{name: "Book 3 §10.5.1 offline PIN bypassed, no succeeding rule", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, ErrPINBypassed)},
			results: "3F0001", tvr: []tvr.Bit{notEntered, cvNotOK}},
		{name: "Book 3 §10.5.1 PIN entry timed out: not entered", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, ErrPINTimeout)},
			results: "3F0001", tvr: []tvr.Bit{notEntered, cvNotOK}},
		{name: "Book 3 §10.5.2 online PIN bypassed, bit 7 goes on to signature", list: noAmounts + "42001E00",
			pad:     []padStep{onlineErr(ErrPINBypassed)},
			results: "1E0000", tvr: []tvr.Bit{notEntered}, ok: true, sig: true},
		{name: "Book 4 §6.3 bypass carried over to later PIN CVMs", list: noAmounts + "410042001E00",
			mod:     func(in *Input) { in.BypassAllPINCVMs = true },
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, ErrPINBypassed)},
			results: "1E0000", tvr: []tvr.Bit{notEntered}, ok: true, sig: true},
		{name: "Book 4 §6.3 bypass not carried over: every PIN CVM prompts", list: noAmounts + "410042001E00",
			card:    []cardStep{getPTC(3)},
			pad:     []padStep{offlineErr(plain, 3, ErrPINBypassed), onlineErr(ErrPINBypassed)},
			results: "1E0000", tvr: []tvr.Bit{notEntered}, ok: true, sig: true},

		// PIN Try Counter and VERIFY answers.
		{name: "Book 3 §10.5.1 PIN Try Counter 0: no prompt, try limit exceeded", list: noAmounts + "0100",
			card:    []cardStep{getPTC(0)},
			results: "010001", tvr: []tvr.Bit{limit, cvNotOK}},
		{name: "Book 3 §10.5.1 PIN Try Counter 0, bit 7 goes on to signature", list: noAmounts + "41031E03",
			card:    []cardStep{getPTC(0)},
			results: "1E0300", tvr: []tvr.Bit{limit}, ok: true, sig: true},
		{name: "Book 3 §10.5.1 GET DATA 9F17 refused (6A88): tries unknown, PIN asked", list: noAmounts + "0100",
			card:    []cardStep{getPTCAnswer("6A88"), verifyPlain(pin1234, "9000")},
			pad:     []padStep{offline(plain, -1, false, "1234")},
			results: "010002", ok: true},
		{name: "Book 3 §10.5.1 GET DATA 9F17 malformed: tries unknown", list: noAmounts + "0100",
			card:    []cardStep{getPTCAnswer("9F170200039000"), verifyPlain(pin1234, "9000")},
			pad:     []padStep{offline(plain, -1, false, "1234")},
			results: "010002", ok: true},
		{name: "Book 3 §10.5.1 wrong PIN (63C2), prompt again with 2 tries, then right", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3), verifyPlain("241111FFFFFFFFFF", "63C2"), verifyPlain(pin1234, "9000")},
			pad:     []padStep{offline(plain, 3, false, "1111"), offline(plain, 2, true, "1234")},
			results: "010002", ok: true},
		{name: "Book 3 §10.5.1 last try (63C1) then 63C0: try limit exceeded", list: noAmounts + "0100",
			card:    []cardStep{getPTC(2), verifyPlain("241111FFFFFFFFFF", "63C1"), verifyPlain("242222FFFFFFFFFF", "63C0")},
			pad:     []padStep{offline(plain, 2, false, "1111"), offline(plain, 1, true, "2222")},
			results: "010001", tvr: []tvr.Bit{limit, cvNotOK}},
		{name: "Book 3 §10.5.1 VERIFY 6983: PIN blocked", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "6983")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "010001", tvr: []tvr.Bit{limit, cvNotOK}},
		{name: "Book 3 §10.5.1 VERIFY 6984: PIN blocked", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "6984")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "010001", tvr: []tvr.Bit{limit, cvNotOK}},
		{name: "Book 3 §10.5.1 VERIFY 6985: CVM failed", list: noAmounts + "0100",
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "6985")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "010001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 3 §10.5.1 VERIFY failed, bit 7 goes on to signature", list: noAmounts + "41031E03",
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "6985")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "1E0300", ok: true, sig: true},
		{name: "Book 4 Annex A4: CVM Results name the last CVM performed", list: noAmounts + "41001E00", mod: caps2(0x88),
			card:    []cardStep{getPTC(3), verifyPlain(pin1234, "6985")},
			pad:     []padStep{offline(plain, 3, false, "1234")},
			results: "410001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 3 §10.5.1 try limit reached by VERIFY holds for a later offline PIN CVM", list: noAmounts + "410044001E00",
			card:    []cardStep{getPTC(1), verifyPlain(pin1234, "63C0")},
			pad:     []padStep{offline(plain, 1, false, "1234")},
			results: "1E0000", tvr: []tvr.Bit{limit}, ok: true, sig: true},
		{name: "Book 3 §10.5.1 a card that never counts down is asked at most 16 times", list: noAmounts + "0100",
			card: stuck, pad: stuckPad,
			results: "010001", tvr: []tvr.Bit{cvNotOK}},

		// Offline enciphered PIN.
		{name: "Book 3 §10.5.1 enciphered: wrong PIN then right, new challenge each time", list: noAmounts + "0400",
			card: []cardStep{getPTC(3), getChallenge(un1 + "9000"), verifyEnc("241111FFFFFFFFFF", un1, "63C2"),
				getChallenge(un2 + "9000"), verifyEnc(pin1234, un2, "9000")},
			pad:     []padStep{offline(enc, 3, false, "1111"), offline(enc, 2, true, "1234")},
			results: "040002", ok: true},
		{name: "Book 2 §7.2 enciphered: no PIN key, no prompt", list: noAmounts + "0400",
			mod:     func(in *Input) { in.PINKey = nil },
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 3 §10.5.1 enciphered: GET CHALLENGE refused", list: noAmounts + "0400",
			card:    []cardStep{getPTC(3), getChallenge("6D00")},
			pad:     []padStep{offline(enc, 3, false, "1234")},
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 3 §10.5.1 enciphered: GET CHALLENGE answers 4 bytes", list: noAmounts + "0400",
			card:    []cardStep{getPTC(3), getChallenge("112233449000")},
			pad:     []padStep{offline(enc, 3, false, "1234")},
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
		{name: "Book 2 §7.2 enciphered: key unusable, encipherment fails", list: noAmounts + "4400" + "1F00",
			mod:     func(in *Input) { in.PINKey = &oda.PublicKey{Modulus: []byte{0x01, 0x02}, Exponent: []byte{0x03}} },
			card:    []cardStep{getPTC(3), getChallenge(un1 + "9000")},
			pad:     []padStep{offline(enc, 3, false, "1234")},
			results: "1F0002", ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runPerform(t, tc) })
	}
}

// Perform returns an error only when the transaction cannot go on.
func TestPerformErrors(t *testing.T) {
	tests := []performCase{
		{name: "card removed during VERIFY", list: noAmounts + "0100",
			card: []cardStep{getPTC(3), {cmd: "0020008008" + pin1234, err: apdu.ErrCardRemoved}},
			pad:  []padStep{offline(plain, 3, false, "1234")},
			err:  apdu.ErrCardRemoved},
		{name: "card removed during GET DATA", list: noAmounts + "0100",
			card: []cardStep{{cmd: "80CA9F1700", err: apdu.ErrCardRemoved}},
			err:  apdu.ErrCardRemoved},
		{name: "card removed during GET CHALLENGE", list: noAmounts + "0400",
			card: []cardStep{getPTC(3), {cmd: "0084000000", err: apdu.ErrCardRemoved}},
			pad:  []padStep{offline(enc, 3, false, "1234")},
			err:  apdu.ErrCardRemoved},
		{name: "response without a status word", list: noAmounts + "0100",
			card: []cardStep{getPTCAnswer("90")},
			err:  apdu.ErrShortResponse},
		{name: "cardholder cancels at the offline PIN prompt", list: noAmounts + "41001E00",
			card: []cardStep{getPTC(3)},
			pad:  []padStep{offlineErr(plain, 3, ErrPINCancelled)},
			err:  ErrPINCancelled},
		{name: "cardholder cancels at the online PIN prompt", list: noAmounts + "42001E00",
			pad: []padStep{onlineErr(ErrPINCancelled)},
			err: ErrPINCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, card, _ := runPerform(t, tc)
			// What was done so far is kept, without a failed exchange.
			n := card.n
			if !errors.Is(tc.err, ErrPINCancelled) {
				n--
			}
			assert.Len(t, res.Commands, n)
		})
	}

	t.Run("context cancelled at the PIN prompt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		in := baseInput(t, noAmounts+"41001E00")
		pad := &fakePad{t: t, steps: []padStep{offlineErr(plain, 3, context.Canceled)}, onCall: cancel}
		in.PINPad = pad
		card := &fakeCard{t: t, steps: []cardStep{getPTC(3)}}
		_, err := Perform(ctx, card, in)
		require.ErrorIs(t, err, context.Canceled)
		var ce *Error
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "PIN entry", ce.Op)
	})
}

// The prompts carry the amount and currency; only online PIN prompts carry
// the PAN.
func TestPerformPrompts(t *testing.T) {
	in := baseInput(t, noAmounts+"41004200")
	pad := &fakePad{t: t, steps: []padStep{offlineErr(plain, 3, ErrPINBypassed), online(onlineBlock)}}
	in.PINPad = pad
	card := &fakeCard{t: t, steps: []cardStep{getPTC(3)}}
	res, err := Perform(context.Background(), card, in)
	require.NoError(t, err)
	assert.Equal(t, Results{0x42, 0x00, 0x00}, res.Results)
	require.Len(t, pad.reqs, 2)
	for _, r := range pad.reqs {
		assert.Equal(t, uint64(1000), r.Amount)
		assert.Equal(t, [2]byte{0x09, 0x78}, r.Currency)
	}
	pan, err := pad.reqs[1].PANDigits()
	require.NoError(t, err)
	assert.Equal(t, testPAN, pan)
	_, err = pad.reqs[0].PANDigits()
	assert.ErrorIs(t, err, ErrBadPAN)
	_, err = PINRequest{PAN: []byte{0x12, 0xF3}}.PANDigits()
	assert.ErrorIs(t, err, ErrBadPAN, "a digit after F padding")
	assert.Equal(t, "offline plaintext PIN prompt, tries left 3", pad.reqs[0].String())
	assert.Equal(t, "online PIN prompt, tries left -1, PAN 476173******0010", pad.reqs[1].String())
	assert.Equal(t, "online PIN prompt, tries left -1, PAN 476173******0010", fmt.Sprintf("%#v", pad.reqs[1]))
}
