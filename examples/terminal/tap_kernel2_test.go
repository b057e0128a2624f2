package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel2"
)

// steadyKernel2 gives the terminal, for the test, a Kernel 2 whose relay
// resistance clock advances 6.2 ms per reading, the virtual card's answer
// time (relay_resistance.answer_us): each exchange measures 6.2 ms
// whatever the load of the machine, so the relay resistance protocol is
// performed at the first EXCHANGE RELAY RESISTANCE DATA and the output is
// exact. The command itself measures on the wall clock, as a reader does.
func steadyKernel2(t *testing.T) {
	t.Helper()
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 10, 30, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(6200 * time.Microsecond)
		return now
	}
	old := kernels[contactless.Kernel2]
	kernels[contactless.Kernel2] = kernel2.New(kernel2.Config{Clock: clock})
	t.Cleanup(func() { kernels[contactless.Kernel2] = old })
}

// A tap of the virtual Mastercard through Kernel 2 with the default
// reader configuration (termkit.DemoContactlessConfig: A0000000041010 by
// Kernel 2): EMV mode, relay resistance performed (TVR byte 5 bits 2-1 =
// 10, Book C-2 Annex A), CDA requested in GENERATE AC (P1 50: TC with
// CDA, Book C-2 State 3R1/Prepare Generate AC), approved offline below
// the floor limit of 50.00 with No CVM below the CVM Required Limit.
func TestTapKernel2Offline(t *testing.T) {
	steadyKernel2(t)
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "mastercard-offline"}, strings.NewReader(""), &out, &errOut), errOut.String())
	head, trace, ok := strings.Cut(out.String(), "\ntrace (9 commands):\n")
	require.True(t, ok, out.String())
	assert.Equal(t, `[display] Present Card (Ready to Read)
[display] Clear Display (Card Read Successfully)
[display] Approved (Not Ready, hold 1300 ms)

outcome:      approved
interface:    contactless
application:  A0000000041010 MASTERCARD, Kernel 2 (Mastercard)
card:         541333******0012
amount:       USD 12.34
language:     en
parameters:   Approved, CVM No CVM, UI on outcome [Approved, Not Ready, hold 1300 ms, language en], Data Record, Discretionary Data
CVM:          No CVM
TVR:          0000000002
                relay resistance protocol performed
`, head[:strings.Index(head, "cryptogram:")])
	assert.Regexp(t, `cryptogram:   CID 40 AC [0-9A-F]{16} ATC 0041\n$`, head)
	lines := strings.Split(strings.TrimSuffix(trace, "\n"), "\n")
	require.Len(t, lines, 9)
	for i, want := range []string{"SELECT 00A40400", "SELECT 00A40400", "GET PROCESSING OPTIONS 80A80000", "INS EA 80EA0000",
		"READ RECORD 00B2010C", "READ RECORD 00B20114", "READ RECORD 00B2011C", "READ RECORD 00B2021C", "GENERATE AC 80AE5000"} {
		assert.True(t, strings.HasPrefix(lines[i], want), "command %d: %s, want %s", i, lines[i], want)
	}
	assert.NotContains(t, out.String(), "5413330089010012")
}

// Above the Reader CVM Required Limit and the floor limit (60.00) the
// online card is asked for an ARQC with CDA (GENERATE AC P1 90), the CVM
// list gives online PIN (CVM Capability – CVM Required DF8118 60 of the
// default reader), the TVR says floor limit exceeded and online CVM
// captured (Book C-2 Procedure CVM Selection), and the virtual issuer
// approves the ARQC of the Data Record.
func TestTapKernel2Online(t *testing.T) {
	steadyKernel2(t)
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "mastercard-online", "-amount", "60.00"}, strings.NewReader(""), &out, &errOut), errOut.String())
	head, trace, ok := strings.Cut(out.String(), "\ntrace (9 commands):\n")
	require.True(t, ok, out.String())
	assert.Equal(t, `[display] Present Card (Ready to Read)
[display] Clear Display (Card Read Successfully)
[display] Authorising Please Wait (Not Ready)

outcome:      online approved
interface:    contactless
application:  A0000000041010 MASTERCARD, Kernel 2 (Mastercard)
card:         541333******0020
amount:       USD 60.00
language:     en
parameters:   Online Request, CVM Online PIN, UI on outcome [Authorising Please Wait, Not Ready, language en], Data Record, Discretionary Data
CVM:          Online PIN
PIN:          entered, enciphered for the issuer
TVR:          0000048002
                Online CVM captured
                Transaction exceeds floor limit
                relay resistance protocol performed
`, head[:strings.Index(head, "cryptogram:")])
	assert.Regexp(t, `cryptogram:   CID 80 AC [0-9A-F]{16} ATC 0041\nARC:          00\n$`, head)
	assert.Contains(t, trace, "\nGENERATE AC 80AE9000 ")
}

// A tap of the virtual Mastercard in mag-stripe mode (Book C-2 States 7
// and 13): Online Request with Track 2 Data carrying CVC3, the
// Unpredictable Number and the ATC; the virtual issuer finds the PAN in
// Track 2 Data (9F6B), verifies the CVC3 and approves. The card number is
// masked.
func TestTapKernel2Magstripe(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "mastercard-magstripe"}, strings.NewReader(""), &out, &errOut), errOut.String())
	s := out.String()
	assert.Contains(t, s, "\noutcome:      online approved\n")
	assert.Contains(t, s, "\ncard:         541333******0087\n")
	assert.Contains(t, s, "\nparameters:   Online Request, UI on outcome [Authorising Please Wait, Not Ready, language en], Data Record, Discretionary Data\n")
	assert.Contains(t, s, "\ntrace (6 commands):\n")
	assert.NotContains(t, s, "5413330089010087")
}

// A phone in mag-stripe mode asked for its holder's verification (Book
// C-2 State 14, amount 60.00 above the CVM Required Limit): the first tap
// ends with See Phone at Start B, the terminal restarts the Entry Point at
// Start B (Book A §6.2), the second tap's CCC answer has CVC3 and "OD-CVM
// verification successful": Online Request with Confirmation Code
// Verified, approved by the issuer. Both taps' commands are in the trace.
func TestTapKernel2MagstripePhoneSecondTap(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "mastercard-magstripe-phone-confirm", "-amount", "60.00"}, strings.NewReader(""), &out, &errOut), errOut.String())
	s := out.String()
	assert.True(t, strings.HasPrefix(s, `[display] Present Card (Ready to Read)
[display] Clear Display (Card Read Successfully)
[display] See Phone for Instructions (Not Ready, hold 1300 ms)
[display] See Phone for Instructions (Ready to Read)
[display] Clear Display (Card Read Successfully)
[display] Authorising Please Wait (Not Ready)

outcome:      online approved
`), s)
	assert.Contains(t, s, "\nfirst tap:    End Application, Start B, UI on outcome [See Phone for Instructions, Not Ready, hold 1300 ms, language en], UI on restart [See Phone for Instructions, Ready to Read, language en], Discretionary Data, Field Off 1300 ms\n")
	assert.Contains(t, s, "\nCVM:          Confirmation Code Verified\n")
	assert.Contains(t, s, "\ncard:         541333******0095\n")
	assert.Contains(t, s, "\ntrace (12 commands):\n")
	assert.NotContains(t, s, "5413330089010095")
}
