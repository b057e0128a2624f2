package emv

import (
	"context"
	"slices"
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
func (c *Config) defaultLanguage() string {
	if len(c.Languages) > 0 {
		return c.Languages[0]
	}
	return "en"
}

// chooseLanguage sets the language of the cardholder messages from a
// Language Preference 5F2D (Book 4 §11.1; Book 3 Annex A: an 2-8, up to
// four ISO 639-1 codes in order of preference): the first code the
// terminal has, else the terminal's default. The codes are compared in
// lower case, the case ISO 639-1 and Annex A give them; a value that is
// not whole two-letter codes yields what codes it has before the fault.
//
// Book 4 §11.1 lets a terminal with several languages ask the cardholder
// to choose when none matches; the kernel has no such prompt and takes the
// default.
//
// "cn" is read as "zh": it is the country code of China, not a language
// code, yet UnionPay cards carry it as their preference for Chinese (the
// recorded UnionPay test card 6210948000000011 of binaryfoo/emv-bertlv has
// 5F2D "cn"), and no ISO 639-1 language has that code.
func (s *transactionState) chooseLanguage(pref []byte) {
	terminal := s.cfg.Languages
	if terminal == nil {
		terminal = []string{"en"}
	}
	s.res.Language = s.cfg.defaultLanguage()
	for i := 0; i+1 < len(pref) && i < 8; i += 2 {
		code := []byte{lower(pref[i]), lower(pref[i+1])}
		if code[0] < 'a' || code[0] > 'z' || code[1] < 'a' || code[1] > 'z' {
			return
		}
		if string(code) == "cn" {
			code = []byte("zh")
		}
		if slices.Contains(terminal, string(code)) {
			s.res.Language = string(code)
			return
		}
	}
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// validLanguage reports whether l is two lower-case letters (ISO 639-1).
func validLanguage(l string) bool {
	return len(l) == 2 && l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z'
}
