package contactless_test

import (
	"errors"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book A §7.2: every message identifier has its English text, and the
// Simplified Chinese one for the messages a cardholder reads.
func TestMessageText(t *testing.T) {
	for _, tc := range []struct {
		m      contactless.MessageID
		en, zh string
	}{
		{contactless.MsgApproved, "Approved", "交易批准"},
		{contactless.MsgNotAuthorised, "Not Authorised", "交易拒绝"},
		{contactless.MsgEnterPIN, "Please Enter Your PIN", "请输入密码"},
		{contactless.MsgProcessingError, "Processing Error", "处理错误"},
		{contactless.MsgRemoveCard, "Remove Card", "请移开卡片"},
		{contactless.MsgWelcome, "Welcome", "欢迎"},
		{contactless.MsgPresentCard, "Present Card", "请挥卡"},
		{contactless.MsgProcessing, "Processing", "处理中"},
		{contactless.MsgCardReadOK, "Card Read OK", "读卡成功"},
		{contactless.MsgInsertOrSwipeCard, "Please Insert or Swipe Card", "请插卡或刷卡"},
		{contactless.MsgPresentOneCardOnly, "Please Present One Card Only", "请只挥一张卡"},
		{contactless.MsgApprovedPleaseSign, "Approved Please Sign", "交易批准，请签名"},
		{contactless.MsgAuthorisingPleaseWait, "Authorising Please Wait", "正在授权，请稍候"},
		{contactless.MsgInsertSwipeOrTryAnother, "Insert, Swipe or Try Another Card", "请插卡、刷卡或换卡"},
		{contactless.MsgInsertCard, "Please Insert Card", "请插卡"},
		{contactless.MsgSeePhone, "See Phone for Instructions", "请查看手机"},
		{contactless.MsgPresentCardAgain, "Present Card Again", "请再次挥卡"},
		// Not texts: English names in every language.
		{contactless.MsgClearDisplay, "Clear Display", "Clear Display"},
		{contactless.MsgNA, "N/A", "N/A"},
		{contactless.MessageID(0x42), "Message 42", "Message 42"},
	} {
		assert.Equal(t, tc.en, tc.m.Text("en"), "%02X en", byte(tc.m))
		assert.Equal(t, tc.zh, tc.m.Text("zh"), "%02X zh", byte(tc.m))
		assert.Equal(t, tc.en, tc.m.Text("fr"), "%02X: a language without a table is English", byte(tc.m))
	}
	assert.Equal(t, "余额", contactless.ValueBalance.Text("zh"))
	assert.Equal(t, "金额", contactless.ValueAmount.Text("zh"))
	assert.Equal(t, "Balance", contactless.ValueBalance.Text("en"))
	assert.Equal(t, "None", contactless.ValueNone.Text("zh"))
}

// Book A §7.1, Book 4 §11.1: a UI Request is shown in the first language
// of the card's preference that the reader has, else in the reader's
// default; before the card has spoken, in the default.
func TestUIRequestLanguage(t *testing.T) {
	zhen := []string{"zh", "en"}
	assert.Equal(t, "zh", contactless.UIRequest{}.Language(zhen))
	assert.Equal(t, "en", contactless.UIRequest{LanguagePreference: "enzh"}.Language(zhen))
	assert.Equal(t, "zh", contactless.UIRequest{LanguagePreference: "cn"}.Language([]string{"en", "zh"}))
	assert.Equal(t, "zh", contactless.UIRequest{LanguagePreference: "fr"}.Language(zhen))
	assert.Equal(t, "en", contactless.UIRequest{LanguagePreference: "zhen"}.Language(nil))
}

// A language of the reader's configuration is two lower-case letters.
func TestConfigLanguagesValidated(t *testing.T) {
	cfg := &contactless.Config{Country: 156, Currency: 156, CurrencyExponent: 2, Languages: []string{"zh", "EN"},
		Combinations: []contactless.CombinationConfig{{AID: unhex("A000000333010101"), Kernel: contactless.Kernel7}}}
	err := cfg.Validate()
	var ce *contactless.ConfigError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, "languages[1]", ce.Field)
}
