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

const chinaConfig = "../../testdata/terminals/china-counter.json"

// -type inquiry reads a UnionPay card's electronic cash (JR/T 0025.13):
// the four GET DATA commands and the amounts in yuan, messages in Chinese
// by the card's 5F2D "zh" and the configuration's languages.
func TestRunECBalanceInquiryText(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "unionpay-debit", "-type", "inquiry", "-config", chinaConfig},
		strings.NewReader(""), &out, &errOut), errOut.String())
	s := out.String()
	assert.True(t, strings.HasPrefix(s, "[display] 请取卡\n\noutcome:      balance read\n"), s)
	for _, line := range []string{
		"GET DATA 80CA9F79 Le=00 -> 9F7906000000050000 9000",
		"GET DATA 80CA9F78 Le=00 -> 9F7806000000050000 9000",
		"GET DATA 80CA9F77 Le=00 -> 9F7706000000100000 9000",
		"GET DATA 80CA9F6D Le=00 -> 9F6D06000000010000 9000",
		"\nEC balance:   500.00\nEC limit:     1000.00\nEC single:    500.00\nEC reset:     100.00\n",
	} {
		assert.Contains(t, s, line)
	}
	assert.NotContains(t, s, "GET PROCESSING OPTIONS")
}

func TestRunECBalanceInquiryJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "unionpay-ecash", "-type", "inquiry", "-config", chinaConfig, "-json"},
		strings.NewReader(""), &out, &errOut), errOut.String())
	var j struct {
		Outcome   string         `json:"outcome"`
		AID       string         `json:"aid"`
		ECBalance *emv.ECBalance `json:"ec_balance"`
		APDUCount int            `json:"apdu_count"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &j))
	assert.Equal(t, "balance read", j.Outcome)
	assert.Equal(t, "A000000333010106", j.AID)
	u := func(v uint64) *uint64 { return &v }
	assert.Equal(t, &emv.ECBalance{Balance: 20000, BalanceLimit: u(100000), SingleTransactionLimit: u(30000), ResetThreshold: u(5000)}, j.ECBalance)
	assert.Equal(t, 10, j.APDUCount)
	assert.Contains(t, out.String(), `"balance": 20000`)
}

// A UnionPay purchase at the Chinese counter: online with online PIN,
// the messages in Chinese, the PAN and the cardholder's ID number masked.
func TestRunUnionPayPurchaseChinese(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "unionpay-debit", "-amount", "88.00", "-config", chinaConfig},
		strings.NewReader(""), &out, &errOut), errOut.String())
	s := out.String()
	assert.True(t, strings.HasPrefix(s, "[display] 请稍候\n[display] 交易批准\n[display] 请取卡\n\noutcome:      online approved\n"), s)
	assert.Contains(t, s, "card:         621094******0029")
	assert.NotContains(t, s, "6210948000000029")
	assert.NotContains(t, s, "313130313031313938363036323030303130", "9F61 masked in the trace")
	assert.Contains(t, s, "9F6112************************************9F620100")
}
