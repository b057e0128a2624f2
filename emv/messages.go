package emv

import (
	"context"

	"github.com/emvkit/emvkit/internal/lang"
)

// messageTextZH holds the standard messages of Book 4 §11.2 in Simplified
// Chinese, as Chinese counter terminals show them.
var messageTextZH = map[Message]string{
	MsgAmount: "金额", MsgAmountOK: "金额正确？", MsgApproved: "交易批准",
	MsgCallYourBank: "请联系发卡行", MsgCancelOrEnter: "取消或确认",
	MsgCardError: "卡片错误", MsgDeclined: "交易拒绝", MsgEnterAmount: "请输入金额",
	MsgEnterPIN: "请输入密码", MsgIncorrectPIN: "密码错误", MsgInsertCard: "请插卡",
	MsgNotAccepted: "不受理", MsgPINOK: "密码正确", MsgPleaseWait: "请稍候",
	MsgProcessingError: "处理错误", MsgRemoveCard: "请取卡",
	MsgUseChipReader: "请使用芯片读卡器", MsgUseMagStripe: "请刷磁条卡", MsgTryAgain: "请重试",
}

// messageTables are the languages [Message.Text] knows, by ISO 639-1 code.
var messageTables = map[string]map[Message]string{
	"en": messageText,
	"zh": messageTextZH,
}

// Text returns the message in the language lang (ISO 639-1: "en", "zh"),
// and in English when there is no table for lang or the message has no
// identifier of Book 4 §11.2 Table 8.
func (m Message) Text(lang string) string {
	if t, ok := messageTables[lang]; ok {
		if s, ok := t[m]; ok {
			return s
		}
	}
	return m.String()
}

// LanguageDisplay is a [Display] that shows messages in the cardholder's
// language: the kernel calls ShowIn, with the language it chose (Book 4
// §11.1, [Result].Language), instead of Show. [Message.Text] gives the
// text of the standard messages.
type LanguageDisplay interface {
	Display
	ShowIn(ctx context.Context, m Message, lang string)
}

// defaultLanguage is the terminal's default language: the first of
// Config.Languages, else English.
func (c *Config) defaultLanguage() string { return lang.Default(c.Languages) }

// chooseLanguage sets the language of the cardholder messages from a
// Language Preference 5F2D: the first code the terminal has, else the
// terminal's default (Book 4 §11.1; the rule and its readings, "cn" read
// as "zh" among them, are lang.Choose's, which the contactless Entry Point
// shares).
func (s *transactionState) chooseLanguage(pref []byte) {
	s.res.Language = lang.Choose(pref, s.cfg.Languages)
}

// validLanguage reports whether l is two lower-case letters (ISO 639-1).
func validLanguage(l string) bool { return lang.Valid(l) }
