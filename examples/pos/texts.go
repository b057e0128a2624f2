package main

import (
	"fmt"
	"strings"
)

// languages are the values of -lang: the counter's screens and receipts
// in Chinese, in English, or both on each line (Chinese first, as the
// counters of China print them).
var languages = []string{"zh", "en", "both"}

// text is one of the counter's messages in its languages. both is the
// line when it is not the Chinese and the English joined by a space
// (the English first, or only the English where a receipt label is an
// English abbreviation in both).
type text struct{ zh, en, both string }

// pick returns zh, en or the two together for the counter's language.
func pick(lang, zh, en, both string) string {
	switch lang {
	case "zh":
		return zh
	case "en":
		return en
	}
	if both != "" {
		return both
	}
	return zh + " " + en
}

// tr returns the message key in the counter's language. A key missing
// from texts is a programming error.
func (c *counter) tr(key string) string {
	t, ok := texts[key]
	if !ok {
		panic(fmt.Sprintf("pos: no text %q", key))
	}
	return pick(c.lang, t.zh, t.en, t.both)
}

// kindName names a transaction type in the counter's language.
func (c *counter) kindName(k *kind) string { return pick(c.lang, k.zh, k.label, "") }

// texts are the counter's screens and receipt lines. Those with a verb
// are formats.
var texts = map[string]text{
	// sign-on, sign-off
	"banner":          {"%s, 终端 %s", "%s, terminal %s", "%s, terminal %s"},
	"signOnPrompt":    {"签到  操作员号: ", "SIGN ON  Operator ID: ", "签到 SIGN ON  Operator ID 操作员号: "},
	"unknownOperator": {"操作员号不存在", "UNKNOWN OPERATOR", ""},
	"passwordPrompt":  {"密码: ", "Password: ", "Password 密码: "},
	"wrongPassword":   {"密码错误", "WRONG PASSWORD", ""},
	"signedOn":        {"操作员 %s 签到成功", "Operator %s signed on.", "Operator %s signed on. 签到成功"},
	"signedOff":       {"操作员 %s 签退成功", "Operator %s signed off.", "Operator %s signed off. 签退成功"},
	"signOnline":      {"联机签到", "SIGN ON WITH THE ACQUIRER", ""},
	"signOnFailed":    {"联机签到失败: 下笔交易前重试", "ACQUIRER SIGN-ON FAILED: tried again before the next transaction", "联机签到失败 ACQUIRER SIGN-ON FAILED: tried again before the next transaction"},
	"notSignedOn":     {"请先签到", "NOT SIGNED ON WITH THE ACQUIRER", ""},

	// the menu
	"menu":          {"菜单", "MENU", ""},
	"settlement":    {"结算", "SETTLEMENT", ""},
	"menuReprint":   {"重打印", "REPRINT LAST RECEIPT", ""},
	"menuSignOff":   {"签退", "SIGN OFF", ""},
	"choicePrompt":  {"请选择 (回车: 签退): ", "Choice (Enter: sign off): ", "Choice (Enter: sign off): "},
	"invalidChoice": {"无效选择", "Invalid choice.", "Invalid choice."},
	"reprint":       {"重打印", "REPRINT", ""},
	"noReceipt":     {"无可重打印", "NO RECEIPT TO REPRINT", ""},

	// the original of a void, a refund, a completion
	"originalPrompt":  {"原凭证号: ", "Original STAN: ", "Original STAN 原凭证号: "},
	"invalidSTAN":     {"无效凭证号", "Invalid STAN.", "Invalid STAN."},
	"original":        {"原交易", "ORIGINAL", "ORIGINAL"},
	"noSuch sale":     {"原交易不存在", "NO SUCH SALE", ""},
	"noSuch preauth":  {"原交易不存在", "NO SUCH PREAUTH", ""},
	"origNotApproved": {"原交易未成功", "ORIGINAL NOT APPROVED", ""},
	"origVoided":      {"原交易已撤销", "ORIGINAL ALREADY VOIDED", ""},
	"notInBatch":      {"原交易不在本批次: 请做退货", "NOT IN THIS BATCH: USE REFUND", "原交易不在本批次 NOT IN THIS BATCH: USE REFUND"},

	// the amount
	"amountPrompt":  {"金额: ", "Amount: ", "Amount 金额: "},
	"invalidAmount": {"无效金额", "Invalid amount.", "Invalid amount."},
	"amountAbove":   {"金额超限", "AMOUNT ABOVE", ""},
	"amount":        {"金额", "AMOUNT", "AMOUNT"},

	// the card
	"insertCard":     {"请插卡", "INSERT CARD", ""},
	"insertOrSwipe":  {"请插卡或刷卡 (回车: %s; 卡名或卡文件; swipe 卡名): ", "INSERT OR SWIPE CARD (Enter: %s; a card name or profile file; swipe NAME): ", "请插卡或刷卡 INSERT OR SWIPE CARD (Enter: %s; a card name or profile file; swipe NAME): "},
	"cardNo":         {"卡号", "CARD", "CARD 卡号"},
	"cardName":       {"持卡人", "NAME", "NAME 持卡人"},
	"cardExpiry":     {"有效期", "EXPIRY", "EXPIRY 有效期"},
	"confirmPrompt":  {"确认 (回车) / 取消 (C): ", "Confirm (Enter) / Cancel (C): ", "Confirm 确认 (Enter) / Cancel 取消 (C): "},
	"noCard":         {"无卡", "No card", "No card"},
	"notCompleted":   {"交易未完成", "TRANSACTION NOT COMPLETED", "TRANSACTION NOT COMPLETED"},
	"removedEarly":   {"卡片过早拔出", "The card was removed too early.", "The card was removed too early."},
	"waitRemoval":    {"请取卡...", "Waiting for the card to be removed...", "Waiting for the card to be removed..."},
	"noStripeReader": {"本机无磁条读卡器", "No stripe reader at this counter.", "No stripe reader at this counter."},
	"noTapReader":    {"本机无非接读卡器", "No contactless reader at this counter", "No contactless reader at this counter"},
	"doNotRemove":    {"请勿拔卡", "DO NOT REMOVE THE CARD", ""},
	"removeCard":     {"请取卡", "REMOVE CARD", ""},
	"cancelled":      {"交易取消", "TRANSACTION CANCELLED", ""},
	"chipError":      {"芯片故障", "CHIP ERROR", "CHIP ERROR"},
	"useStripe":      {"请刷卡", "USE THE MAGNETIC STRIPE: swipe the card", ""},
	"swipePrompt":    {"请刷卡 (回车: 刷卡; C: 取消): ", "SWIPE CARD (Enter: swipe it; C: cancel): ", "请刷卡 SWIPE CARD (Enter: swipe it; C: cancel): "},
	"cardReadError":  {"刷卡失败: 请重刷", "CARD READ ERROR: swipe again", "刷卡失败 CARD READ ERROR: swipe again"},
	"swiped":         {"已刷卡", "SWIPED", "SWIPED"},
	"useChip":        {"是否是IC卡? 请插卡", "IC CARD: PLEASE INSERT THE CARD", ""},
	"tap":            {"挥卡", "TAP", ""},
	"insertBalance":  {"请插卡: 余额查询用接触式读卡器", "INSERT THE CARD: the balance inquiry takes the chip reader", "请插卡 INSERT THE CARD: the balance inquiry takes the chip reader"},
	"insertNoTap":    {"请插卡: 非接交易未能完成", "INSERT THE CARD: the tap could not be used", "请插卡 INSERT THE CARD: the tap could not be used"},
	"removeTapCard":  {"请移开卡片", "REMOVE CARD", ""},

	// online
	"authorising":  {"联机中", "AUTHORISING...", ""},
	"dialling":     {"拨号中", "DIALLING", ""},
	"commFailure":  {"通讯失败", "COMMUNICATION FAILURE", ""},
	"reversal":     {"冲正", "REVERSAL", ""},
	"declined":     {"交易拒绝", "DECLINED", ""},
	"ecBalance":    {"电子现金余额", "EC BALANCE", ""},
	"availBalance": {"可用余额", "AVAILABLE BALANCE", ""},
	"sigPrompt":    {"核对签名 (回车: 相符; N: 不符): ", "SIGNATURE MATCHES THE CARD? (Enter: yes; N: no): ", "核对签名 SIGNATURE MATCHES THE CARD? (Enter: yes; N: no): "},
	"sigMismatch":  {"签名不符: 交易已撤销", "SIGNATURE DOES NOT MATCH: the transaction is voided", "签名不符 SIGNATURE DOES NOT MATCH: the transaction is voided"},
	"settleFailed": {"结算失败: 批次未关闭", "SETTLEMENT NOT DONE: the batch stays open", "结算失败 SETTLEMENT NOT DONE: the batch stays open"},
	"batchClosed":  {"批次 %06d 已结, 批次 %06d 开始", "BATCH %06d CLOSED, BATCH %06d OPEN", "BATCH %06d CLOSED, BATCH %06d OPEN"},

	// decline reasons by response code; "rc" the others
	"rc01": {"请联系发卡行", "refer to card issuer", ""},
	"rc41": {"没收卡", "pick up card (lost or stolen)", ""},
	"rc05": {"不予承兑", "do not honour", ""},
	"rc12": {"无效交易", "invalid transaction", ""},
	"rc13": {"无效金额", "invalid amount", ""},
	"rc14": {"无效卡号", "invalid card number", ""},
	"rc25": {"原交易不存在", "original not found", ""},
	"rc51": {"余额不足", "insufficient funds", ""},
	"rc54": {"过期卡", "expired card", ""},
	"rc55": {"密码错误", "incorrect PIN", ""},
	"rc61": {"超出金额限制", "exceeds withdrawal limit", ""},
	"rc75": {"密码错误次数超限", "PIN tries exceeded", ""},
	"rc96": {"系统故障", "system malfunction", ""},
	"rc":   {"交易拒绝", "declined", ""},

	// receipts: the labels that are English abbreviations stay so in both
	"merchantCopy":   {"商户存根", "MERCHANT COPY", ""},
	"cardholderCopy": {"持卡人存根", "CARDHOLDER COPY", ""},
	"tid":            {"终端号", "TID", "TID"},
	"mid":            {"商户号", "MID", "MID"},
	"operator":       {"操作员", "OPERATOR", "OPERATOR"},
	"batch":          {"批次号", "BATCH", "BATCH"},
	"stan":           {"凭证号", "STAN", "STAN"},
	"rrn":            {"参考号", "RRN", "RRN"},
	"authCode":       {"授权码", "AUTH CODE", "AUTH CODE"},
	"originalSTAN":   {"原凭证号", "ORIGINAL STAN", "ORIGINAL STAN"},
	"card":           {"卡号", "CARD", "CARD"},
	"app":            {"应用", "APP", "APP"},
	"entry chip":     {"插卡", "CHIP", "CHIP"},
	"entry tap":      {"挥卡", "TAP", "TAP"},
	"entry swipe":    {"刷卡", "SWIPE", "SWIPE"},
	"entry fallback": {"降级刷卡", "FALLBACK", "FALLBACK"},
	"entry key":      {"手输", "KEY", "KEY"},
	"approved":       {"交易成功", "APPROVED", ""},
	"declinedSlip":   {"交易失败", "DECLINED", ""},
	"signature":      {"持卡人签名", "CARDHOLDER SIGNATURE", ""},
	"retain":         {"请妥善保管", "PLEASE RETAIN FOR YOUR RECORDS", "PLEASE RETAIN FOR YOUR RECORDS"},
	"pinVerified":    {"密码已验证", "PIN VERIFIED", "PIN VERIFIED"},
	"pinAndSig":      {"密码已验证, 需签名", "PIN VERIFIED, SIGNATURE REQUIRED", "PIN VERIFIED, SIGNATURE REQUIRED"},
	"pinOnline":      {"联机密码已验证", "PIN VERIFIED ONLINE", "PIN VERIFIED ONLINE"},
	"sigRequired":    {"需签名", "SIGNATURE REQUIRED", "SIGNATURE REQUIRED"},
	"noCVM":          {"免验证", "NO CARDHOLDER VERIFICATION", "NO CARDHOLDER VERIFICATION"},
	"settleReport":   {"结算单", "SETTLEMENT", ""},
	"net":            {"净额", "NET", "NET 净额"},
	"balanced":       {"对账平", "BALANCED WITH THE ACQUIRER", ""},
	"notBalanced":    {"对账不平 (%s): 批次已上送", "NOT BALANCED (%s): the batch is uploaded", "对账不平 NOT BALANCED (%s): the batch is uploaded"},
}

// langFlag checks the value of -lang; the flag package names the flag
// and the value in the error.
func langFlag(s string) error {
	for _, l := range languages {
		if s == l {
			return nil
		}
	}
	return fmt.Errorf("want one of %s", strings.Join(languages, ", "))
}
