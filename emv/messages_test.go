package emv_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 4 §11.2 Table 8 in Simplified Chinese and English: every standard
// message has both.
func TestMessageTextChinese(t *testing.T) {
	want := map[emv.Message]string{
		emv.MsgAmount: "金额", emv.MsgAmountOK: "金额正确？", emv.MsgApproved: "交易批准",
		emv.MsgCallYourBank: "请联系发卡行", emv.MsgCancelOrEnter: "取消或确认",
		emv.MsgCardError: "卡片错误", emv.MsgDeclined: "交易拒绝", emv.MsgEnterAmount: "请输入金额",
		emv.MsgEnterPIN: "请输入密码", emv.MsgIncorrectPIN: "密码错误", emv.MsgInsertCard: "请插卡",
		emv.MsgNotAccepted: "不受理", emv.MsgPINOK: "密码正确", emv.MsgPleaseWait: "请稍候",
		emv.MsgProcessingError: "处理错误", emv.MsgRemoveCard: "请取卡",
		emv.MsgUseChipReader: "请使用芯片读卡器", emv.MsgUseMagStripe: "请刷磁条卡", emv.MsgTryAgain: "请重试",
	}
	for m := emv.MsgAmount; m <= emv.MsgTryAgain; m++ {
		assert.Equal(t, want[m], m.Text("zh"), "%02X", byte(m))
		assert.Equal(t, m.String(), m.Text("en"), "%02X", byte(m))
	}
	assert.Equal(t, "ENTER PIN", emv.MsgEnterPIN.Text("fr"), "no table: English")
	assert.Equal(t, "MESSAGE 7F", emv.Message(0x7F).Text("zh"), "no identifier of Table 8")
}

// langDisplay records what a LanguageDisplay is asked to show.
type langDisplay struct{ shown []string }

func (d *langDisplay) Show(ctx context.Context, m emv.Message) {
	d.shown = append(d.shown, "?"+m.String())
}
func (d *langDisplay) ShowIn(ctx context.Context, m emv.Message, lang string) {
	d.shown = append(d.shown, lang+":"+m.Text(lang))
}

// Book 4 §11.1: the first language of the card's Language Preference 5F2D
// that the terminal has; else the terminal's default, the first of
// Config.Languages.
func TestLanguageSelection(t *testing.T) {
	tests := []struct {
		name      string
		profile   func() *emvtest.Profile
		pref      string // the card's 5F2D; "" keeps the profile's
		languages []string
		want      string
		shown     []string
	}{
		{
			name: "UnionPayCardZH_ChineseTerminal", profile: emvtest.UnionPayDebit, languages: []string{"zh", "en"},
			want: "zh", shown: []string{"zh:请稍候", "zh:交易批准", "zh:请取卡"},
		},
		{
			name: "UnionPayCardZH_EnglishOnlyTerminal", profile: emvtest.UnionPayDebit, languages: nil,
			want: "en", shown: []string{"en:PLEASE WAIT", "en:APPROVED", "en:REMOVE CARD"},
		},
		{
			name: "EnglishCard_ChineseTerminalHasEnglish", profile: emvtest.UnionPayDebit, pref: "en", languages: []string{"zh", "en"},
			want: "en", shown: []string{"en:PLEASE WAIT", "en:APPROVED", "en:REMOVE CARD"},
		},
		{
			name: "SecondPreferenceMatches", profile: emvtest.UnionPayDebit, pref: "frzh", languages: []string{"en", "zh"},
			want: "zh", shown: []string{"zh:请稍候", "zh:交易批准", "zh:请取卡"},
		},
		{
			name: "NoMatch_TerminalDefault", profile: emvtest.UnionPayDebit, pref: "de", languages: []string{"zh", "en"},
			want: "zh", shown: []string{"zh:请稍候", "zh:交易批准", "zh:请取卡"},
		},
		{
			// UnionPay cards write Chinese as "cn", the country code.
			name: "UnionPayCN_ReadAsZH", profile: emvtest.UnionPayDebit, pref: "cn", languages: []string{"en", "zh"},
			want: "zh", shown: []string{"zh:请稍候", "zh:交易批准", "zh:请取卡"},
		},
		{
			name: "UpperCasePreference", profile: emvtest.UnionPayDebit, pref: "ZH", languages: []string{"en", "zh"},
			want: "zh", shown: []string{"zh:请稍候", "zh:交易批准", "zh:请取卡"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.profile()
			if tt.pref != "" {
				p.Applications[0].LanguagePreference = tt.pref
			}
			card := emvtest.NewCard(p)
			cfg := testConfig(t, card)
			unionPayConfig(cfg)
			cfg.Languages = tt.languages
			d := &langDisplay{}
			term := &emv.Terminal{Display: d, PINPad: &pinPad{pins: []string{"1234"}}, Host: approve()}
			res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1234, SequenceCounter: 1}, term)
			require.NoError(t, err)
			assert.Equal(t, emv.OnlineApproved, res.Outcome)
			assert.Equal(t, tt.want, res.Language)
			assert.Equal(t, tt.shown, d.shown)
		})
	}
}

// The recorded UnionPay test card of binaryfoo/emv-bertlv
// (testdata/sessions/external/binaryfoo-contact-upi.json), replayed at a
// terminal that speaks Chinese: its 5F2D "cn" picks Chinese, and its
// cardholder ID number 9F61 is masked on the receipt and in the trace.
func TestUnionPayRecordedCardLanguageAndID(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(externalDir, "binaryfoo-contact-upi.json"))
	require.NoError(t, err)
	sess, k := readSessionFile(t, raw)
	var term map[string]any
	require.NoError(t, json.Unmarshal(k.Terminal, &term))
	term["languages"] = []string{"en", "zh"}
	k.Terminal, err = json.Marshal(term)
	require.NoError(t, err)
	p, err := k.Replay(context.Background(), apdu.NewReplay(sess, apdu.ReplayByCommand))
	require.NoError(t, err)
	require.NoError(t, p.Err)
	assert.Equal(t, emv.OnlineApproved, p.Result.Outcome)
	assert.Equal(t, "zh", p.Result.Language)
	assert.Equal(t, "**************0010", p.Result.Receipt.CardholderID)
	assert.Equal(t, "00", p.Result.Receipt.CardholderIDType)
	assert.NotContains(t, p.Result.Trace.String(), upIDHex)
	assert.Equal(t, "621094******0011", p.Result.Receipt.MaskedPAN)
}

// A display that is no LanguageDisplay gets Show, as before.
func TestLanguageSelectionPlainDisplay(t *testing.T) {
	card := emvtest.NewCard(emvtest.UnionPayDebit())
	cfg := testConfig(t, card)
	unionPayConfig(cfg)
	cfg.Languages = []string{"zh"}
	d := &display{}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1234, SequenceCounter: 1},
		&emv.Terminal{Display: d, PINPad: &pinPad{pins: []string{"1234"}}, Host: approve()})
	require.NoError(t, err)
	assert.Equal(t, "zh", res.Language)
	assert.Equal(t, []emv.Message{emv.MsgPleaseWait, emv.MsgApproved, emv.MsgRemoveCard}, d.msgs)
}

// Config.Languages holds ISO 639-1 codes in lower case.
func TestConfigLanguagesValidated(t *testing.T) {
	for _, bad := range []string{"ZH", "zho", "", "z1"} {
		cfg := &emv.Config{Country: 156, Currency: 156, Languages: []string{"en", bad},
			Applications: []emv.Application{{AID: mustHex(emvtest.AIDUnionPayDebit)}}}
		err := cfg.Validate()
		var ce *emv.ConfigError
		require.ErrorAs(t, err, &ce, bad)
		assert.Equal(t, "Languages[1]", ce.Field)
	}
}

// testdata/terminals/china-counter.json: a Chinese counter terminal.
func TestChinaCounterConfig(t *testing.T) {
	c, err := emv.LoadConfig("../testdata/terminals/china-counter.json")
	require.NoError(t, err)
	assert.Equal(t, uint16(156), c.Country)
	assert.Equal(t, uint16(156), c.Currency)
	assert.Equal(t, 2, c.CurrencyExponent)
	assert.Equal(t, []string{"zh", "en"}, c.Languages)
	var aids []string
	for _, a := range c.Applications {
		aids = append(aids, hexOf(a.AID))
		assert.True(t, a.PartialSelection)
	}
	assert.Equal(t, []string{"A000000333010101", "A000000333010102", "A000000333010103", "A000000333010106"}, aids)
	assert.Equal(t, "D84000A800", hexOf(c.AppParams.TACDefault[:]))
	assert.Equal(t, "D84004F800", hexOf(c.AppParams.TACOnline[:]))
	assert.Equal(t, "0010000000", hexOf(c.AppParams.TACDenial[:]))
	require.NotNil(t, c.Applications[3].Params.ECTerminalLimit)
	assert.Equal(t, uint64(100000), *c.Applications[3].Params.ECTerminalLimit)

	// A virtual UnionPay debit card, trusted by the file's E1 key, buys
	// online with Chinese messages.
	card := emvtest.NewCard(emvtest.UnionPayDebit())
	c.Time, c.Rand = cfgTime, fixedRand(0x11)
	d := &langDisplay{}
	res, err := emv.Run(context.Background(), card, c, emv.Transaction{Amount: 8800, SequenceCounter: 1},
		&emv.Terminal{Display: d, PINPad: &pinPad{pins: []string{"1234"}}, Host: approve()})
	require.NoError(t, err)
	assert.Equal(t, emv.OnlineApproved, res.Outcome)
	assert.Equal(t, emv.DDA, res.ODA)
	assert.Equal(t, "0000048000", hexOf(res.TVR[:]), "floor limit 0, online PIN")
	assert.Equal(t, "420300", hexOf(res.CVMResults[:]))
	assert.Equal(t, []string{"zh:请稍候", "zh:交易批准", "zh:请取卡"}, d.shown)

	// The electronic cash card under the EC limit approves offline.
	card = emvtest.NewCard(emvtest.UnionPayECash())
	res, err = emv.Run(context.Background(), card, c, emv.Transaction{Amount: 1500, SequenceCounter: 2}, nil)
	require.NoError(t, err)
	assert.Equal(t, emv.Approved, res.Outcome)
	assert.Equal(t, "0000000000", hexOf(res.TVR[:]))
	assert.Equal(t, "ECC001", res.ECIssuerAuthCode)
}

func cfgTime() time.Time { return testTime }
