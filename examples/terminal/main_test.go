package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// -record writes a session the session tests' replay path accepts: the
// CLI's transaction on the virtual card, recorded to a file, replays byte
// for byte (apdu.ReplayStrict) through emv.Recording.Replay with the
// recorded terminal, clock, random bytes, PIN pad answers and host
// answer, and the kernel shows again what the CLI printed. No PIN is in
// the file: VERIFY data is XX and the PIN pad's answers are tokens.
func TestRunRecordReplays(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		outcome string
		pin     []string
		host    bool
	}{
		{"offline enciphered PIN, CDA", nil, "approved", []string{"entered"}, false},
		{"online issuer", []string{"-amount", "100.00"}, "online approved", []string{"entered"}, true},
		{"online issuer of -issuer-mk, -config", []string{"-amount", "100.00", "-issuer-mk", "0123456789ABCDEFFEDCBA9876543210", "-config", "../../testdata/terminals/test-bench.json"}, "online approved", []string{"entered"}, true},
		{"host declines", []string{"-amount", "100.00", "-host", "decline"}, "online declined", []string{"entered"}, true},
		{"unable to go online", []string{"-amount", "100.00", "-host", "none"}, "declined (unable to go online)", []string{"entered"}, false},
		{"plaintext PIN, SDA", []string{"-card", "visa-sda"}, "approved", []string{"entered"}, false},
		// The card refuses 9999 (63Cx); the list is used up, so the
		// retry and the online PIN that follows are bypassed and the CVM
		// list goes on to a signature.
		{"wrong PIN, retry bypassed", []string{"-card", "visa-sda", "-pin", "9999"}, "online approved", []string{"entered", "bypass", "bypass"}, true},
		// -pin 9999,1234: the card refuses 9999 and takes 1234.
		{"wrong PIN, then the right one", []string{"-card", "visa-sda", "-pin", "9999,1234"}, "approved", []string{"entered", "entered"}, false},
		{"online PIN, DDA", []string{"-card", "mastercard-dda", "-amount", "75"}, "online approved", []string{"entered"}, true},
		{"no PIN pad", []string{"-pin", "none", "-host", "none"}, "approved", nil, false},
		{"cashback", []string{"-type", "cashback", "-amount", "20.00", "-cashback", "5.00"}, "", []string{"entered"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "session.json")
			var out, errOut bytes.Buffer
			args := append([]string{"-json", "-record", path}, tc.args...)
			require.NoError(t, run(context.Background(), args, strings.NewReader(""), &out, &errOut), errOut.String())
			var j jsonResult
			require.NoError(t, json.Unmarshal(out.Bytes(), &j))
			if tc.outcome != "" {
				assert.Equal(t, tc.outcome, j.Outcome)
			}

			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			sess, err := apdu.ReadSession(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Len(t, sess.Exchanges, j.APDUCount)
			assert.Regexp(t, `^examples/terminal, virtual card [a-z-]+$`, sess.Source)
			assert.Contains(t, sess.Proves, ": "+j.Outcome+", TVR "+j.TVR)
			k, err := emv.ReadRecording(sess.Kernel)
			require.NoError(t, err)

			// Nothing of the PIN: VERIFY data redacted, the pad's answers tokens.
			assert.Equal(t, tc.pin, k.PIN)
			for _, x := range sess.Exchanges {
				if c, err := apdu.ParseCommand(x.Command); err == nil && c.INS == apdu.InsVerify {
					assert.Contains(t, string(raw), fmt.Sprintf("%X%s", x.Command[:5], strings.Repeat("XX", int(x.Command[4]))), "VERIFY data redacted")
				}
			}
			assert.NotContains(t, string(raw), `"1234"`)
			assert.NotContains(t, string(raw), `"9999"`)
			assert.Equal(t, tc.host, k.Host != nil, "the issuer's answer is recorded when there was one")

			// The terminal is always recorded, the built-in one without
			// -config, and reads back.
			cfg, err := emv.ParseConfig(k.Terminal)
			require.NoError(t, err)
			if slices.Contains(tc.args, "-config") {
				assert.Equal(t, "TERM0001", cfg.TerminalID)
			} else {
				assert.Equal(t, "DEMO0001", cfg.TerminalID)
			}
			assert.NotEmpty(t, cfg.CAKeys.Keys(), "the virtual card's CA key")
			assert.NotEmpty(t, k.Random, "the random bytes drawn")

			// The expected values are what the CLI printed.
			assert.Equal(t, emv.Expectation{AID: j.AID, Commands: k.Expect.Commands, Outcome: j.Outcome, ODA: j.ODA, TVR: j.TVR, TSI: j.TSI,
				CVMResults: j.CVMResults, CID: j.CID, Advice: k.Expect.Advice, Scripts: j.Scripts}, k.Expect)

			// Replayed as the session tests replay: byte for byte.
			rp := apdu.NewReplay(sess, apdu.ReplayStrict)
			p, err := k.Replay(context.Background(), rp)
			require.NoError(t, err)
			require.NoError(t, p.Err)
			require.NoError(t, k.Check(p))
			assert.NoError(t, rp.Close(), "every recorded exchange was asked for")
			assert.Equal(t, j.AC, fmt.Sprintf("%X", p.Result.AC), "the same cryptogram")
			assert.Equal(t, j.ATC, fmt.Sprintf("%X", p.Result.ATC))
		})
	}
}

// A replay of a CLI recording fails where the card's answers change: the
// loop's check can fail.
func TestRunRecordReplayDetectsChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "session.json")
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-json", "-record", path}, strings.NewReader(""), &out, &errOut), errOut.String())
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	sess, err := apdu.ReadSession(bytes.NewReader(raw))
	require.NoError(t, err)
	k, err := emv.ReadRecording(sess.Kernel)
	require.NoError(t, err)

	// Another transaction time: the GENERATE AC data (9A) differs.
	k.Transaction.Time = k.Transaction.Time.AddDate(0, 0, 1)
	p, err := k.Replay(context.Background(), apdu.NewReplay(sess, apdu.ReplayStrict))
	require.NoError(t, err)
	require.ErrorIs(t, p.Err, apdu.ErrReplayMismatch)
	var me *emv.MismatchError
	require.ErrorAs(t, k.Check(p), &me)
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

// A PIN is 4 to 12 decimal digits (ISO 9564-1; Book 3 §6.5.12): any other
// -pin value is a usage error (exit status 2) naming the flag and not the
// value, before any command reaches the card, instead of a PIN pad "not
// working" and a fallback to signature.
func TestRunPINUsageError(t *testing.T) {
	for _, pin := range []string{"12", "123", "abcd", "12a4", "1234567890123", "", " 1234", "１２３４", "1234,12", "1234,", ",1234"} {
		t.Run(pin, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"-json", "-pin", pin}, strings.NewReader(""), &out, &errOut)
			var ue *usageError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, "-pin", ue.Flag)
			entry := 1
			if strings.HasPrefix(pin, "1234,") {
				entry = 2
			}
			assert.EqualError(t, err, fmt.Sprintf(`-pin: entry %d: want "none" or PINs of 4 to 12 decimal digits, separated by commas`, entry))
			assert.Equal(t, 2, exitCode(err))
			assert.Empty(t, out.String(), "no transaction ran")
			assert.Empty(t, errOut.String(), "the value is not repeated anywhere")
		})
	}
	for _, pin := range []string{"1234", "123456789012", "none", "9999,1234"} {
		var out, errOut bytes.Buffer
		require.NoError(t, run(context.Background(), []string{"-json", "-pin", pin, "-host", "none"}, strings.NewReader(""), &out, &errOut), pin)
	}
}

// Every flag value the command cannot take is a usage error naming its
// flag, exit status 2; a failure that is not the caller's exits 1.
func TestRunUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		flag string
		msg  string
	}{
		{[]string{"-type", "0G"}, "-type", `-type: emv: invalid transaction: type "0G" is neither a name nor two hex digits`},
		{[]string{"-type", "9"}, "-type", `-type: emv: invalid transaction: type "9" is neither a name nor two hex digits`},
		{[]string{"-amount", "1.234"}, "-amount", ""},
		{[]string{"-cashback", "x"}, "-cashback", ""},
		{[]string{"-nope"}, "", ""},
		{[]string{"extra"}, "", `unexpected argument "extra"`},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut)
		var ue *usageError
		require.ErrorAs(t, err, &ue, "%v", tc.args)
		assert.Equal(t, tc.flag, ue.Flag, "%v", tc.args)
		if tc.msg != "" {
			assert.EqualError(t, err, tc.msg)
		}
		assert.Equal(t, 2, exitCode(err), "%v", tc.args)
	}
	assert.Equal(t, 1, exitCode(errTransaction))
	assert.Equal(t, 0, exitCode(nil))
}
