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
