package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runJSON runs the command with -json and returns what it printed.
func runJSON(t *testing.T, args ...string) jsonResult {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"-json"}, args...), strings.NewReader(""), &out, &errOut)
	require.NoError(t, err, errOut.String())
	var j jsonResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &j), out.String())
	return j
}

// Book 2 §8.2: on the blocked-application card the terminal selects the
// Mastercard application (ARPC method 2); the virtual issuer answers in
// that method, so issuer authentication passes (TVR byte 5 bit 7 clear)
// and the transaction is approved online.
func TestRunIssuerAnswersTheSelectedApplication(t *testing.T) {
	j := runJSON(t, "-card", "blocked-application")
	assert.Equal(t, "A0000000041010", j.AID)
	assert.Equal(t, "online approved", j.Outcome)
	assert.Equal(t, "00", j.ARC)
	assert.Equal(t, "0000040000", j.TVR, "online PIN captured, issuer authentication not failed")
}

// Book 3 §10.5.2: the issuer verifies the online PIN. A wrong one is
// declined with ISO 8583 "55 incorrect PIN"; the right one approved.
func TestRunIssuerChecksOnlinePIN(t *testing.T) {
	j := runJSON(t, "-card", "blocked-application", "-pin", "9999")
	assert.Equal(t, "420300", j.CVMResults, "enciphered PIN verified online")
	assert.Equal(t, "online declined", j.Outcome)
	assert.Equal(t, "55", j.ARC)

	j = runJSON(t, "-card", "blocked-application", "-pin", "1234")
	assert.Equal(t, "online approved", j.Outcome)
	assert.Equal(t, "00", j.ARC)
}
