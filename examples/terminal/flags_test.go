package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runWith runs the command with the given standard input and returns its
// error, standard output and standard error.
func runWith(t *testing.T, stdin string, args ...string) (error, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return err, out.String(), errOut.String()
}

// Book 1 §12.4: -aid names the application of a multi-application card;
// without it the cardholder chooses at a prompt (standard input); an AID
// the card does not have ends the transaction in selection, saying which
// it has.
func TestRunApplicationChoice(t *testing.T) {
	j := runJSON(t, "-card", "multi-application", "-aid", "A0000000032010", "-host", "none")
	assert.Equal(t, "A0000000032010", j.AID)

	err, out, errOut := runWith(t, "3\n", "-json", "-card", "multi-application", "-host", "none")
	require.NoError(t, err, errOut)
	assert.Contains(t, errOut, "SELECT APPLICATION\n  1. ")
	assert.Contains(t, errOut, "Application (1-3): 3\n")
	var pick jsonResult
	require.NoError(t, json.Unmarshal([]byte(out), &pick))
	assert.Equal(t, "A0000000041010", pick.AID)

	err, out, _ = runWith(t, "", "-card", "multi-application", "-aid", "A0000000999999")
	assert.ErrorIs(t, err, errTransaction)
	assert.Equal(t, 1, exitCode(err))
	assert.Contains(t, out, "reason:       emv: transaction terminated in application selection: cardholder selection: termkit: application A0000000999999 is not one of the card's candidates (")
	// It never reached cardholder verification: no "Fail CVM processing".
	assert.Contains(t, out, "CVM Results:  000000 (cardholder verification not performed)\n")
	assert.NotContains(t, out, "Fail CVM")
}

// Book 1 §12.4: an application that requires cardholder confirmation is
// offered with a y/n prompt; a "n" leaves no application (not accepted).
func TestRunConfirmation(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/cards/visa-cda.json")
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	apps := p["applications"].([]any)
	apps[0].(map[string]any)["priority"] = 0x81 // confirmation required, priority 1
	raw, err = json.Marshal(p)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "confirm.json")
	require.NoError(t, os.WriteFile(path, raw, 0o644))

	err, out, errOut := runWith(t, "y\n", "-json", "-card", path)
	require.NoError(t, err, errOut)
	assert.Contains(t, errOut, "(y/n): y\n")
	assert.Contains(t, out, `"outcome": "approved"`)

	err, out, errOut = runWith(t, "n\n", "-json", "-card", path)
	assert.ErrorIs(t, err, errTransaction)
	assert.Contains(t, errOut, "(y/n): n\n")
	assert.Contains(t, out, "cardholder did not confirm")
}

// -host-response takes a host's field 55: its 8A decides, its 91 goes
// to the card (here not the issuer's ARPC: issuer authentication failed,
// TVR byte 5 bit 7).
func TestRunHostResponse(t *testing.T) {
	j := runJSON(t, "-amount", "100.00", "-host-response", "8A023035")
	assert.Equal(t, "online declined", j.Outcome)
	assert.Equal(t, "05", j.ARC)
	j = runJSON(t, "-amount", "100.00", "-host-response", "8A023030 910A0102030405060708 3030")
	assert.Equal(t, "online approved", j.Outcome)
	assert.Equal(t, "0000008040", j.TVR)
}

// -json carries the amount, the currency and field 55; the text shows
// the amount.
func TestRunAmountAndField55(t *testing.T) {
	j := runJSON(t, "-amount", "100.00")
	assert.Equal(t, uint64(10000), j.Amount)
	assert.Equal(t, "USD", j.Currency)
	assert.True(t, strings.HasPrefix(j.Field55, "9F2608"), j.Field55)
	assert.Contains(t, j.Field55, "9F0206000000010000", "Amount, Authorised in field 55")
	assert.Contains(t, j.Field55, "5F2A020840", "the currency in field 55")

	err, out, _ := runWith(t, "", "-type", "cashback", "-amount", "20.00", "-cashback", "5.00")
	require.NoError(t, err)
	assert.Contains(t, out, "amount:       USD 25.00\ncashback:     USD 5.00\n")
}

// Each new flag's bad values are usage errors naming the flag, exit 2,
// before anything reaches the card.
func TestRunNewFlagsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"-aid", "zz"}, `-aid: "zz" is not an AID: want 5 to 16 bytes in hex (10 to 32 hex digits)`},
		{[]string{"-aid", "A000000003"[:8]}, `-aid: "A0000000" is not an AID: want 5 to 16 bytes in hex (10 to 32 hex digits)`},
		{[]string{"-aid", strings.Repeat("A0", 17)}, `-aid: "` + strings.Repeat("A0", 17) + `" is not an AID: want 5 to 16 bytes in hex (10 to 32 hex digits)`},
		{[]string{"-host-response", "8A0"}, "-host-response: not hex: encoding/hex: odd length hex string"},
		{[]string{"-host-response", "8A0130"}, "-host-response: emv: host response: 8A Authorisation Response Code of 1 bytes is not an 2"},
		{[]string{"-host-response", "9102AAAA"}, "-host-response: emv: host response: 91 Issuer Authentication Data of 2 bytes, not 8 to 16"},
		{[]string{"-host-response", "8A023030", "-host", "approve"}, "-host-response: is the online answer: give it or -host, not both"},
		{[]string{"-host", "maybe"}, `-host: "maybe": want none, approve, decline or issuer`},
		{[]string{"-pin", "1234,99"}, `-pin: entry 2: want "none" or PINs of 4 to 12 decimal digits, separated by commas`},
	} {
		err, out, _ := runWith(t, "", tc.args...)
		assert.EqualError(t, err, tc.msg, "%v", tc.args)
		assert.Equal(t, 2, exitCode(err), "%v", tc.args)
		assert.Empty(t, out, "nothing ran: %v", tc.args)
	}
}

// Book 4 §6.3.6: a card with no application the terminal supports ends
// "try another interface", and the terminal offers the magnetic stripe.
func TestRunTechnicalFallback(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/cards/visa-cda.json")
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	p["applications"].([]any)[0].(map[string]any)["aid"] = "A0000009999901"
	raw, err = json.Marshal(p)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "unknown-aid.json")
	require.NoError(t, os.WriteFile(path, raw, 0o644))
	err, out, _ := runWith(t, "", "-card", path)
	assert.ErrorIs(t, err, errTransaction)
	assert.Contains(t, out, "outcome:      try another interface\n")
	assert.Contains(t, out, "fallback:     the chip could not be used; the terminal may read the magnetic stripe\n")
}
