package contactless_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOutcomeNames checks the names of Book A §6.2 and §7 and the values
// of the Outcome Parameter Set data object DF8129 they carry.
func TestOutcomeNames(t *testing.T) {
	type named interface {
		String() string
		MarshalText() ([]byte, error)
	}
	tests := []struct {
		name string
		v    named
		code byte
		want string
	}{
		{"BookA_6_2_Status_NA", contactless.StatusNA, 0x0F, "N/A"},
		{"BookA_6_2_Status_Approved", contactless.StatusApproved, 0x01, "Approved"},
		{"BookA_6_2_Status_Declined", contactless.StatusDeclined, 0x02, "Declined"},
		{"BookA_6_2_Status_OnlineRequest", contactless.StatusOnlineRequest, 0x03, "Online Request"},
		{"BookA_6_2_Status_EndApplication", contactless.StatusEndApplication, 0x04, "End Application"},
		{"BookA_6_2_Status_SelectNext", contactless.StatusSelectNext, 0x05, "Select Next"},
		{"BookA_6_2_Status_TryAnotherInterface", contactless.StatusTryAnotherInterface, 0x06, "Try Another Interface"},
		{"BookA_6_2_Status_TryAgain", contactless.StatusTryAgain, 0x07, "Try Again"},
		{"BookA_6_2_Status_RFU", contactless.OutcomeStatus(0x0A), 0x0A, "RFU 0A"},
		{"BookA_5_2_Start_A", contactless.StartA, 0x00, "A"},
		{"BookA_5_2_Start_B", contactless.StartB, 0x01, "B"},
		{"BookA_5_2_Start_C", contactless.StartC, 0x02, "C"},
		{"BookA_5_2_Start_D", contactless.StartD, 0x03, "D"},
		{"BookA_5_2_Start_NA", contactless.StartNA, 0x0F, "N/A"},
		{"BookA_6_2_OnlineResponseData_EMVData", contactless.OnlineResponseEMVData, 0x01, "EMV Data"},
		{"BookA_6_2_OnlineResponseData_Any", contactless.OnlineResponseAny, 0x02, "Any"},
		{"BookA_6_2_OnlineResponseData_NA", contactless.OnlineResponseNA, 0x0F, "N/A"},
		{"BookA_6_2_CVM_NoCVM", contactless.CVMNoCVM, 0x00, "No CVM"},
		{"BookA_6_2_CVM_ObtainSignature", contactless.CVMObtainSignature, 0x01, "Obtain Signature"},
		{"BookA_6_2_CVM_OnlinePIN", contactless.CVMOnlinePIN, 0x02, "Online PIN"},
		{"BookA_6_2_CVM_ConfirmationCodeVerified", contactless.CVMConfirmationCodeVerified, 0x03, "Confirmation Code Verified"},
		{"BookA_6_2_CVM_NA", contactless.CVMNA, 0x0F, "N/A"},
		{"BookA_6_2_AlternateInterface_ContactChip", contactless.InterfaceContactChip, 0x01, "Contact Chip"},
		{"BookA_6_2_AlternateInterface_Magstripe", contactless.InterfaceMagstripe, 0x02, "Magstripe"},
		{"BookA_6_2_AlternateInterface_NA", contactless.InterfaceNA, 0x0F, "N/A"},
		{"BookA_7_1_UIStatus_NotReady", contactless.UINotReady, 0x00, "Not Ready"},
		{"BookA_7_1_UIStatus_Idle", contactless.UIIdle, 0x01, "Idle"},
		{"BookA_7_1_UIStatus_ReadyToRead", contactless.UIReadyToRead, 0x02, "Ready to Read"},
		{"BookA_7_1_UIStatus_Processing", contactless.UIProcessing, 0x03, "Processing"},
		{"BookA_7_1_UIStatus_CardReadSuccessfully", contactless.UICardReadSuccessfully, 0x04, "Card Read Successfully"},
		{"BookA_7_1_UIStatus_ProcessingError", contactless.UIProcessingError, 0x05, "Processing Error"},
		{"BookA_7_1_UIStatus_NA", contactless.UIStatusNA, 0xFF, "N/A"},
		{"BookA_7_1_ValueQualifier_None", contactless.ValueNone, 0x00, "None"},
		{"BookA_7_1_ValueQualifier_Amount", contactless.ValueAmount, 0x10, "Amount"},
		{"BookA_7_1_ValueQualifier_Balance", contactless.ValueBalance, 0x20, "Balance"},
		{"BookA_7_2_Message_Approved", contactless.MsgApproved, 0x03, "Approved"},
		{"BookA_7_2_Message_NotAuthorised", contactless.MsgNotAuthorised, 0x07, "Not Authorised"},
		{"BookA_7_2_Message_EnterPIN", contactless.MsgEnterPIN, 0x09, "Please Enter Your PIN"},
		{"BookA_7_2_Message_ProcessingError", contactless.MsgProcessingError, 0x0F, "Processing Error"},
		{"BookA_7_2_Message_RemoveCard", contactless.MsgRemoveCard, 0x10, "Remove Card"},
		{"BookA_7_2_Message_Welcome", contactless.MsgWelcome, 0x14, "Welcome"},
		{"BookA_7_2_Message_PresentCard", contactless.MsgPresentCard, 0x15, "Present Card"},
		{"BookA_7_2_Message_Processing", contactless.MsgProcessing, 0x16, "Processing"},
		{"BookA_7_2_Message_CardReadOK", contactless.MsgCardReadOK, 0x17, "Card Read OK"},
		{"BookA_7_2_Message_InsertOrSwipeCard", contactless.MsgInsertOrSwipeCard, 0x18, "Please Insert or Swipe Card"},
		{"BookA_7_2_Message_PresentOneCardOnly", contactless.MsgPresentOneCardOnly, 0x19, "Please Present One Card Only"},
		{"BookA_7_2_Message_ApprovedPleaseSign", contactless.MsgApprovedPleaseSign, 0x1A, "Approved Please Sign"},
		{"BookA_7_2_Message_AuthorisingPleaseWait", contactless.MsgAuthorisingPleaseWait, 0x1B, "Authorising Please Wait"},
		{"BookA_7_2_Message_InsertSwipeOrTryAnother", contactless.MsgInsertSwipeOrTryAnother, 0x1C, "Insert, Swipe or Try Another Card"},
		{"BookA_7_2_Message_InsertCard", contactless.MsgInsertCard, 0x1D, "Please Insert Card"},
		{"BookA_7_2_Message_ClearDisplay", contactless.MsgClearDisplay, 0x1E, "Clear Display"},
		{"BookA_7_2_Message_SeePhone", contactless.MsgSeePhone, 0x20, "See Phone for Instructions"},
		{"BookA_7_2_Message_PresentCardAgain", contactless.MsgPresentCardAgain, 0x21, "Present Card Again"},
		{"BookA_7_2_Message_NA", contactless.MsgNA, 0xFF, "N/A"},
		{"BookA_7_2_Message_Unnamed", contactless.MessageID(0x42), 0x42, "Message 42"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.v.String())
			txt, err := tc.v.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(txt))
			assert.Equal(t, fmt.Sprintf("%d", tc.code), fmt.Sprintf("%d", tc.v), "the value is the book's code")
		})
	}
}

// TestKernelIDString checks the kernel names of Book A §3.1.
func TestKernelIDString(t *testing.T) {
	for k, want := range map[contactless.KernelID]string{
		1: "Kernel 1", 2: "Kernel 2 (Mastercard)", 3: "Kernel 3 (Visa)", 4: "Kernel 4 (American Express)",
		5: "Kernel 5 (JCB)", 6: "Kernel 6 (Discover)", 7: "Kernel 7 (UnionPay)", 0x2A: "Kernel 2A", 0: "Kernel 00", 0xC1: "Kernel C1",
	} {
		assert.Equal(t, want, k.String())
	}
}

// TestParameterSetString checks NewParameterSet's starting values and the
// parameter set's and UI request's descriptions (Book A §6.2, §7.1).
func TestParameterSetString(t *testing.T) {
	p := contactless.NewParameterSet(contactless.StatusOnlineRequest)
	assert.Equal(t, contactless.OutcomeParameterSet{
		Status: contactless.StatusOnlineRequest, Start: contactless.StartNA, OnlineResponseData: contactless.OnlineResponseNA,
		CVM: contactless.CVMNA, AlternateInterfacePreference: contactless.InterfaceNA, FieldOffRequest: contactless.NoTime,
	}, p)
	assert.Equal(t, "Online Request", p.String())

	bal := contactless.UIRequest{Message: contactless.MsgCardReadOK, Status: contactless.UICardReadSuccessfully, HoldTime: 13,
		LanguagePreference: "zhen", ValueQualifier: contactless.ValueBalance, Value: 1000, CurrencyCode: 156}
	assert.Equal(t, "Card Read OK, Card Read Successfully, hold 1300 ms, language zhen, Balance 1000 (156)", bal.String())
	again := contactless.UIRequest{Message: contactless.MsgPresentCardAgain, Status: contactless.UIReadyToRead}
	assert.Equal(t, "Present Card Again, Ready to Read", again.String())

	p.Start = contactless.StartB
	p.OnlineResponseData = contactless.OnlineResponseEMVData
	p.CVM = contactless.CVMOnlinePIN
	p.UIRequestOnOutcome = &bal
	p.UIRequestOnRestart = &again
	p.DataRecordPresent = true
	p.DiscretionaryDataPresent = true
	p.AlternateInterfacePreference = contactless.InterfaceContactChip
	p.Receipt = true
	p.FieldOffRequest = 5
	p.RemovalTimeout = 30
	assert.Equal(t, "Online Request, Start B, Online Response Data EMV Data, CVM Online PIN, "+
		"UI on outcome [Card Read OK, Card Read Successfully, hold 1300 ms, language zhen, Balance 1000 (156)], "+
		"UI on restart [Present Card Again, Ready to Read], Data Record, Discretionary Data, "+
		"Alternate Interface Contact Chip, Receipt, Field Off 500 ms, Removal Timeout 3000 ms", p.String())

	o := &contactless.Outcome{Parameters: contactless.NewParameterSet(contactless.StatusApproved), DataRecord: make([]byte, 12), DiscretionaryData: make([]byte, 3)}
	assert.Equal(t, "Approved (data record 12 bytes, discretionary data 3 bytes)", o.String())

	b, err := json.Marshal(struct {
		S contactless.OutcomeStatus
		M contactless.MessageID
	}{contactless.StatusTryAgain, contactless.MsgSeePhone})
	require.NoError(t, err)
	assert.JSONEq(t, `{"S":"Try Again","M":"See Phone for Instructions"}`, string(b))
}

// TestRestartString checks the names of the restarts in a Result.
func TestRestartString(t *testing.T) {
	assert.Equal(t, "Start C (Select Next)", contactless.Restart{Start: contactless.StartC, Cause: contactless.CauseSelectNext}.String())
	assert.Equal(t, "Start B (kernel error: lost)", contactless.Restart{Start: contactless.StartB, Cause: contactless.CauseKernelError, Err: errors.New("lost")}.String())
	for c, want := range map[contactless.RestartCause]string{
		contactless.CauseTryAgain: "Try Again", contactless.CauseCardLost: "card lost during selection",
		contactless.CauseOnlineResponse: "online response", contactless.RestartCause(0): "RFU 00",
	} {
		assert.Equal(t, want, c.String())
	}
}
