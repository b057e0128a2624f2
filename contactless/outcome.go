package contactless

import (
	"fmt"
	"strings"

	"github.com/emvkit/emvkit/internal/lang"
)

// OutcomeStatus is the Status of an Outcome Parameter Set (Book A §6.2,
// Table 6-1). The values are those of the Outcome Parameter Set data object
// DF8129, byte 1 bits 8-5 (Book C-2 Annex A), so that kernels that keep the
// data object encode it as it is.
type OutcomeStatus byte

// Outcomes (Book A §6.2).
const (
	StatusNA                  OutcomeStatus = 0x0F // no outcome
	StatusApproved            OutcomeStatus = 0x01
	StatusDeclined            OutcomeStatus = 0x02
	StatusOnlineRequest       OutcomeStatus = 0x03
	StatusEndApplication      OutcomeStatus = 0x04
	StatusSelectNext          OutcomeStatus = 0x05
	StatusTryAnotherInterface OutcomeStatus = 0x06
	StatusTryAgain            OutcomeStatus = 0x07
)

var statusNames = map[OutcomeStatus]string{
	StatusNA: "N/A", StatusApproved: "Approved", StatusDeclined: "Declined",
	StatusOnlineRequest: "Online Request", StatusEndApplication: "End Application",
	StatusSelectNext: "Select Next", StatusTryAnotherInterface: "Try Another Interface",
	StatusTryAgain: "Try Again",
}

// String returns the outcome's name as Book A writes it: "Online Request".
func (s OutcomeStatus) String() string { return name(statusNames, s) }

// MarshalText encodes the name, for JSON.
func (s OutcomeStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Start is where the Entry Point (re)starts (Book A §5.2): A at
// pre-processing, B at protocol activation, C at combination selection, D
// at kernel activation. The values are DF8129 byte 2 bits 8-5.
type Start byte

// Start values (Book A §5.2, §6.2).
const (
	StartNA Start = 0x0F
	StartA  Start = 0x00
	StartB  Start = 0x01
	StartC  Start = 0x02
	StartD  Start = 0x03
)

var startNames = map[Start]string{StartNA: "N/A", StartA: "A", StartB: "B", StartC: "C", StartD: "D"}

// String returns "A", "B", "C", "D" or "N/A".
func (s Start) String() string { return name(startNames, s) }

// MarshalText encodes the name, for JSON.
func (s Start) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// OnlineResponseData says what the kernel needs from an online response
// when the outcome asks for a restart (Book A §6.2): nothing, EMV data
// (issuer authentication data, scripts), or any data. DF8129 byte 3 bits
// 8-5.
type OnlineResponseData byte

// Online Response Data values.
const (
	OnlineResponseNA      OnlineResponseData = 0x0F
	OnlineResponseEMVData OnlineResponseData = 0x01
	OnlineResponseAny     OnlineResponseData = 0x02
)

var onlineResponseNames = map[OnlineResponseData]string{
	OnlineResponseNA: "N/A", OnlineResponseEMVData: "EMV Data", OnlineResponseAny: "Any",
}

// String returns the value's name.
func (o OnlineResponseData) String() string { return name(onlineResponseNames, o) }

// MarshalText encodes the name, for JSON.
func (o OnlineResponseData) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// CVM is the cardholder verification the kernel asks the terminal to do
// (Book A §6.2). DF8129 byte 4 bits 8-5.
type CVM byte

// CVM values.
const (
	CVMNA                       CVM = 0x0F
	CVMNoCVM                    CVM = 0x00
	CVMObtainSignature          CVM = 0x01
	CVMOnlinePIN                CVM = 0x02
	CVMConfirmationCodeVerified CVM = 0x03 // consumer device CVM
)

var cvmNames = map[CVM]string{
	CVMNA: "N/A", CVMNoCVM: "No CVM", CVMObtainSignature: "Obtain Signature",
	CVMOnlinePIN: "Online PIN", CVMConfirmationCodeVerified: "Confirmation Code Verified",
}

// String returns the CVM's name as Book A writes it.
func (c CVM) String() string { return name(cvmNames, c) }

// MarshalText encodes the name, for JSON.
func (c CVM) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// Interface is the Alternate Interface Preference of an outcome (Book A
// §6.2): the interface to try instead. DF8129 byte 6 bits 8-5.
type Interface byte

// Alternate Interface Preference values.
const (
	InterfaceNA          Interface = 0x0F
	InterfaceContactChip Interface = 0x01
	InterfaceMagstripe   Interface = 0x02
)

var interfaceNames = map[Interface]string{
	InterfaceNA: "N/A", InterfaceContactChip: "Contact Chip", InterfaceMagstripe: "Magstripe",
}

// String returns the interface's name.
func (i Interface) String() string { return name(interfaceNames, i) }

// MarshalText encodes the name, for JSON.
func (i Interface) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// NoTime marks an absent Field Off Request or Removal Timeout.
const NoTime = -1

// OutcomeParameterSet is the Outcome Parameter Set of Book A §6.2 (Table
// 6-1), as a kernel returns it and the Entry Point acts on it.
type OutcomeParameterSet struct {
	Status             OutcomeStatus
	Start              Start
	OnlineResponseData OnlineResponseData
	CVM                CVM

	// UIRequestOnOutcome and UIRequestOnRestart are the User Interface
	// Requests to show with the outcome and when the Entry Point restarts;
	// nil when absent ("UI Request on Outcome Present: No").
	UIRequestOnOutcome *UIRequest
	UIRequestOnRestart *UIRequest

	// DataRecordPresent and DiscretionaryDataPresent say whether the
	// Outcome carries a Data Record and Discretionary Data.
	DataRecordPresent        bool
	DiscretionaryDataPresent bool

	AlternateInterfacePreference Interface

	// Receipt: the kernel asks for a receipt to be printed (Book A §6.2).
	Receipt bool

	// FieldOffRequest is how long the field is to be off before the
	// restart, in units of 100 ms; NoTime when absent.
	FieldOffRequest int

	// RemovalTimeout is how long to wait for the card to leave the field,
	// in units of 100 ms (0 when the kernel sets none).
	RemovalTimeout int
}

// NewParameterSet returns an Outcome Parameter Set with status s and every
// other parameter at its "N/A" or "No" value, the starting point Book C-2
// §6.2 and the other kernel books fill in.
func NewParameterSet(s OutcomeStatus) OutcomeParameterSet {
	return OutcomeParameterSet{
		Status: s, Start: StartNA, OnlineResponseData: OnlineResponseNA, CVM: CVMNA,
		AlternateInterfacePreference: InterfaceNA, FieldOffRequest: NoTime,
	}
}

// String lists the parameters that are not N/A:
// "Online Request, CVM Online PIN, Data Record, Receipt".
func (p OutcomeParameterSet) String() string {
	var b strings.Builder
	b.WriteString(p.Status.String())
	add := func(format string, args ...any) { fmt.Fprintf(&b, ", "+format, args...) }
	if p.Start != StartNA {
		add("Start %s", p.Start)
	}
	if p.OnlineResponseData != OnlineResponseNA {
		add("Online Response Data %s", p.OnlineResponseData)
	}
	if p.CVM != CVMNA {
		add("CVM %s", p.CVM)
	}
	if p.UIRequestOnOutcome != nil {
		add("UI on outcome [%s]", p.UIRequestOnOutcome)
	}
	if p.UIRequestOnRestart != nil {
		add("UI on restart [%s]", p.UIRequestOnRestart)
	}
	if p.DataRecordPresent {
		add("Data Record")
	}
	if p.DiscretionaryDataPresent {
		add("Discretionary Data")
	}
	if p.AlternateInterfacePreference != InterfaceNA {
		add("Alternate Interface %s", p.AlternateInterfacePreference)
	}
	if p.Receipt {
		add("Receipt")
	}
	if p.FieldOffRequest != NoTime {
		add("Field Off %d ms", p.FieldOffRequest*100)
	}
	if p.RemovalTimeout != 0 {
		add("Removal Timeout %d ms", p.RemovalTimeout*100)
	}
	return b.String()
}

// Outcome is what a kernel returns (Book A §6): the Outcome Parameter Set,
// the Data Record for the acquirer (as BER-TLV: the data objects of ISO
// 8583 field 55 and the others the kernel's book lists) and the
// Discretionary Data (kernel-specific, BER-TLV).
type Outcome struct {
	Parameters        OutcomeParameterSet
	DataRecord        []byte
	DiscretionaryData []byte
}

// String shows the parameter set and the sizes of the data.
func (o *Outcome) String() string {
	return fmt.Sprintf("%s (data record %d bytes, discretionary data %d bytes)",
		o.Parameters, len(o.DataRecord), len(o.DiscretionaryData))
}

// MessageID is the Message Identifier of a User Interface Request (Book A
// §7.2, Table 7-1).
type MessageID byte

// Message Identifiers (Book A §7.2).
const (
	MsgApproved                MessageID = 0x03
	MsgNotAuthorised           MessageID = 0x07
	MsgEnterPIN                MessageID = 0x09
	MsgProcessingError         MessageID = 0x0F
	MsgRemoveCard              MessageID = 0x10
	MsgWelcome                 MessageID = 0x14
	MsgPresentCard             MessageID = 0x15
	MsgProcessing              MessageID = 0x16
	MsgCardReadOK              MessageID = 0x17
	MsgInsertOrSwipeCard       MessageID = 0x18
	MsgPresentOneCardOnly      MessageID = 0x19
	MsgApprovedPleaseSign      MessageID = 0x1A
	MsgAuthorisingPleaseWait   MessageID = 0x1B
	MsgInsertSwipeOrTryAnother MessageID = 0x1C
	MsgInsertCard              MessageID = 0x1D
	MsgClearDisplay            MessageID = 0x1E
	MsgSeePhone                MessageID = 0x20
	MsgPresentCardAgain        MessageID = 0x21
	MsgNA                      MessageID = 0xFF
)

var messageText = map[MessageID]string{
	MsgApproved: "Approved", MsgNotAuthorised: "Not Authorised", MsgEnterPIN: "Please Enter Your PIN",
	MsgProcessingError: "Processing Error", MsgRemoveCard: "Remove Card", MsgWelcome: "Welcome",
	MsgPresentCard: "Present Card", MsgProcessing: "Processing", MsgCardReadOK: "Card Read OK",
	MsgInsertOrSwipeCard: "Please Insert or Swipe Card", MsgPresentOneCardOnly: "Please Present One Card Only",
	MsgApprovedPleaseSign: "Approved Please Sign", MsgAuthorisingPleaseWait: "Authorising Please Wait",
	MsgInsertSwipeOrTryAnother: "Insert, Swipe or Try Another Card", MsgInsertCard: "Please Insert Card",
	MsgClearDisplay: "Clear Display", MsgSeePhone: "See Phone for Instructions",
	MsgPresentCardAgain: "Present Card Again", MsgNA: "N/A",
}

// messageTextZH holds the messages of Book A §7.2 in Simplified Chinese, as
// QuickPass (闪付) readers at Chinese counters show them. "Not Authorised"
// is 交易拒绝, the text a Chinese terminal shows for a decline (the same as
// the contact side's Book 4 "Declined"); "Remove Card" is 请移开卡片,
// taking the card away from the field (the contact side's 请取卡 is taking
// it out of the slot). Clear Display and N/A are not texts and have none.
var messageTextZH = map[MessageID]string{
	MsgApproved: "交易批准", MsgNotAuthorised: "交易拒绝", MsgEnterPIN: "请输入密码",
	MsgProcessingError: "处理错误", MsgRemoveCard: "请移开卡片", MsgWelcome: "欢迎",
	MsgPresentCard: "请挥卡", MsgProcessing: "处理中", MsgCardReadOK: "读卡成功",
	MsgInsertOrSwipeCard: "请插卡或刷卡", MsgPresentOneCardOnly: "请只挥一张卡",
	MsgApprovedPleaseSign: "交易批准，请签名", MsgAuthorisingPleaseWait: "正在授权，请稍候",
	MsgInsertSwipeOrTryAnother: "请插卡、刷卡或换卡", MsgInsertCard: "请插卡",
	MsgSeePhone: "请查看手机", MsgPresentCardAgain: "请再次挥卡",
}

// messageTables are the languages [MessageID.Text] knows, by ISO 639-1
// code.
var messageTables = map[string]map[MessageID]string{
	"en": messageText,
	"zh": messageTextZH,
}

// Text returns the message in the language lang (ISO 639-1: "en", "zh"),
// and in English when there is no table for lang or the message has no
// text in it.
func (m MessageID) Text(lang string) string {
	if t, ok := messageTables[lang]; ok {
		if s, ok := t[m]; ok {
			return s
		}
	}
	return m.String()
}

// String returns the message's English text as Book A gives it.
func (m MessageID) String() string {
	if s, ok := messageText[m]; ok {
		return s
	}
	return fmt.Sprintf("Message %02X", byte(m))
}

// MarshalText encodes the text, for JSON.
func (m MessageID) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UIStatus is the Status of a User Interface Request (Book A §7.1): what
// the reader's status indicator shows.
type UIStatus byte

// UI statuses (Book A §7.1).
const (
	UINotReady             UIStatus = 0x00
	UIIdle                 UIStatus = 0x01
	UIReadyToRead          UIStatus = 0x02
	UIProcessing           UIStatus = 0x03
	UICardReadSuccessfully UIStatus = 0x04
	UIProcessingError      UIStatus = 0x05
	UIStatusNA             UIStatus = 0xFF
)

var uiStatusNames = map[UIStatus]string{
	UINotReady: "Not Ready", UIIdle: "Idle", UIReadyToRead: "Ready to Read",
	UIProcessing: "Processing", UICardReadSuccessfully: "Card Read Successfully",
	UIProcessingError: "Processing Error", UIStatusNA: "N/A",
}

// String returns the status's name.
func (s UIStatus) String() string { return name(uiStatusNames, s) }

// MarshalText encodes the name, for JSON.
func (s UIStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ValueQualifier says what the Value of a User Interface Request is
// (Book A §7.1).
type ValueQualifier byte

// Value Qualifiers.
const (
	ValueNone    ValueQualifier = 0x00
	ValueAmount  ValueQualifier = 0x10
	ValueBalance ValueQualifier = 0x20
)

var valueQualifierNames = map[ValueQualifier]string{ValueNone: "None", ValueAmount: "Amount", ValueBalance: "Balance"}

var valueQualifierZH = map[ValueQualifier]string{ValueAmount: "金额", ValueBalance: "余额"}

// String returns the qualifier's name.
func (q ValueQualifier) String() string { return name(valueQualifierNames, q) }

// Text returns the word the display puts before the value, in the language
// lang: "Amount" or "Balance" ("金额", "余额" in Chinese).
func (q ValueQualifier) Text(lang string) string {
	if lang == "zh" {
		if s, ok := valueQualifierZH[q]; ok {
			return s
		}
	}
	return q.String()
}

// MarshalText encodes the name, for JSON.
func (q ValueQualifier) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UIRequest is a User Interface Request (Book A §7.1): a message and a
// status for the cardholder, how long to hold them, and an amount or
// balance to show.
type UIRequest struct {
	Message MessageID
	Status  UIStatus
	// HoldTime is how long to show the message, in units of 100 ms.
	HoldTime int
	// LanguagePreference is the card's Language Preference (5F2D), pairs of
	// ISO 639-1 letters ("zhen"); empty when the card gave none.
	LanguagePreference string
	ValueQualifier     ValueQualifier
	// Value is the amount or balance in minor units, with CurrencyCode
	// (ISO 4217 numeric); meaningful when ValueQualifier is not ValueNone.
	Value        uint64
	CurrencyCode uint16
}

// Language is the language to show the request in on a reader with the
// languages terminal ([Config].Languages): the first of the card's
// Language Preference the reader has, else the reader's default (Book A
// §7.1: the reader uses the Language Preference when it supports it;
// Book 4 §11.1). A request sent before the card gave its preference (the
// Entry Point's "Present Card") is in the reader's default language.
func (u UIRequest) Language(terminal []string) string {
	return lang.Choose([]byte(u.LanguagePreference), terminal)
}

// String describes the request: "Card Read OK, Card Read Successfully,
// hold 1300 ms, Balance 1000 (156)".
func (u UIRequest) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s", u.Message, u.Status)
	if u.HoldTime != 0 {
		fmt.Fprintf(&b, ", hold %d ms", u.HoldTime*100)
	}
	if u.LanguagePreference != "" {
		fmt.Fprintf(&b, ", language %s", u.LanguagePreference)
	}
	if u.ValueQualifier != ValueNone {
		fmt.Fprintf(&b, ", %s %d (%03d)", u.ValueQualifier, u.Value, u.CurrencyCode)
	}
	return b.String()
}

// name looks a value up in its name table; an unnamed value prints as its
// hex code ("RFU 0A").
func name[K ~byte](names map[K]string, k K) string {
	if s, ok := names[k]; ok {
		return s
	}
	return fmt.Sprintf("RFU %02X", byte(k))
}
