package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunJSON(t *testing.T) {
	tests := []struct {
		args    []string
		outcome string
		cvm     string
		tvr     string
	}{
		{[]string{"-json"}, "approved", "440302", "0000000000"},
		{[]string{"-json", "-amount", "100.00"}, "online approved", "440302", "0000008000"},
		{[]string{"-json", "-amount", "100.00", "-host", "decline"}, "online declined", "440302", "0000008000"},
		{[]string{"-json", "-amount", "100.00", "-host", "none"}, "declined (unable to go online)", "440302", "0000008000"},
		{[]string{"-json", "-card", "visa-sda"}, "approved", "410302", "0200000000"},
		{[]string{"-json", "-card", "mastercard-dda", "-amount", "75"}, "online approved", "420300", "0000048000"},
		{[]string{"-json", "-pin", "none", "-host", "none"}, "approved", "1E0300", "0000100000"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			require.NoError(t, run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut), errOut.String())
			var j jsonResult
			require.NoError(t, json.Unmarshal(out.Bytes(), &j))
			assert.Equal(t, tc.outcome, j.Outcome)
			assert.Equal(t, tc.cvm, j.CVMResults)
			assert.Equal(t, tc.tvr, j.TVR)
			assert.Equal(t, j.APDUCount, len(j.Trace))
			assert.NotContains(t, out.String(), "4761739001010119", "PAN masked")
		})
	}
}

func TestRunText(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), nil, strings.NewReader(""), &out, &errOut))
	s := out.String()
	assert.Contains(t, s, "outcome:      approved")
	assert.Contains(t, s, "Card risk management was performed")
	assert.Contains(t, s, "VERIFY 00200088")
	assert.NotContains(t, s, "4761739001010119")
}

func TestRunBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-card", "nope"}, {"-host", "maybe"}, {"-amount", "1.234"}, {"-type", "zz"}, {"extra"},
	} {
		var out, errOut bytes.Buffer
		assert.Error(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), "%v", args)
	}
}

// -record writes the session in apdu's format: it reads back, VERIFY data
// is redacted, and the kernel header holds the transaction and what the
// kernel decided.
func TestRunRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "visa-cda.json")
	var out, errOut bytes.Buffer
	args := []string{"-json", "-amount", "100.00", "-issuer-mk", "0123456789ABCDEFFEDCBA9876543210", "-config", "../../testdata/terminals/test-bench.json", "-record", path}
	require.NoError(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), errOut.String())
	var j jsonResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &j))
	assert.Equal(t, "online approved", j.Outcome, "the issuer of -issuer-mk verified the ARQC")
	assert.Equal(t, "00", j.ARC)

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	sess, err := apdu.ReadSession(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.Len(t, sess.Exchanges, j.APDUCount)
	assert.Equal(t, "examples/terminal, virtual card visa-cda", sess.Source)
	assert.Contains(t, sess.Proves, "a purchase (00) of 100.00: online approved, TVR 0000008000")
	assert.Contains(t, string(raw), "0020008880"+strings.Repeat("XX", 128), "VERIFY data redacted")
	var k recordedKernel
	dec := json.NewDecoder(bytes.NewReader(sess.Kernel))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&k))
	assert.Equal(t, "00", k.Transaction.Type)
	assert.Equal(t, uint64(10000), k.Transaction.Amount)
	assert.Equal(t, recordedExpect{AID: "A0000000031010", Outcome: "online approved", ODA: "CDA", TVR: j.TVR, TSI: j.TSI, CVMResults: "440302"}, k.Expect)
	assert.Regexp(t, `^[0-9A-F]{8}$`, k.UnpredictableNumber)
	cfg, err := emv.ParseConfig(k.Terminal)
	require.NoError(t, err, "the header's terminal is the -config file")
	assert.Equal(t, "TERM0001", cfg.TerminalID)
}

func TestRunFlagConflicts(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-reader", "any", "-card", "visa-sda"}, "-card chooses the virtual card"},
		{[]string{"-issuer-mk", "0123"}, "-issuer-mk"},
		{[]string{"-config", "/nonexistent.json"}, "nonexistent"},
	} {
		var out, errOut bytes.Buffer
		assert.ErrorContains(t, run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut), tc.err, "%v", tc.args)
	}
}
