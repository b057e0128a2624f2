package contactless_test

import (
	"encoding/json"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResultJSON checks the Result's JSON: every parameter by name, the
// UI requests in order, and the data record masked.
func TestResultJSON(t *testing.T) {
	bal := contactless.UIRequest{Message: contactless.MsgApproved, Status: contactless.UICardReadSuccessfully, HoldTime: 13,
		LanguagePreference: "en", ValueQualifier: contactless.ValueBalance, Value: 99900, CurrencyCode: 840}
	o := withUI(outcome(contactless.StatusApproved), &bal, nil)
	o.Parameters.CVM = contactless.CVMNoCVM
	o.Parameters.DataRecordPresent = true
	o.DataRecord = unhex("5A0847617390010101195F3401019F2701409F360200C1")
	k := &stubKernel{outcomes: []*contactless.Outcome{outcome(contactless.StatusSelectNext), o}}
	card := cardWith(entry(visaAID).withPrio(1).withLabel("VISA").withKernel("03"), entry(mcAID).withPrio(2))
	res := run(t, testConfig(visa(), mastercard()), kernels(k, 2, 3), contactless.OneCard(card), purchase)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "4761739001010119")
	assert.JSONEq(t, `{
		"outcome": {"status": "Approved", "start": "N/A", "online_response_data": "N/A", "cvm": "No CVM",
			"ui_request_on_outcome": {"message": "Approved", "message_id": 3, "status": "Card Read Successfully", "hold_time_ms": 1300,
				"language_preference": "en", "value_qualifier": "Balance", "value": 99900, "currency_code": 840},
			"ui_request_on_restart": null, "data_record_present": true, "discretionary_data_present": false,
			"alternate_interface_preference": "N/A", "receipt": false, "field_off_request_ms": null, "removal_timeout_ms": 0,
			"data_record": "5A08476173******01195F3401019F2701409F360200C1"},
		"combination": {"aid": "A0000000041010", "kernel": "Kernel 2 (Mastercard)", "kernel_id": 2, "priority": 2},
		"candidates": [
			{"aid": "A0000000031010", "kernel": "Kernel 3 (Visa)", "kernel_id": 3, "kernel_identifier": "03", "label": "VISA", "priority": 1},
			{"aid": "A0000000041010", "kernel": "Kernel 2 (Mastercard)", "kernel_id": 2, "priority": 2}],
		"ui": [
			{"message": "Present Card", "message_id": 21, "status": "Ready to Read"},
			{"message": "Approved", "message_id": 3, "status": "Card Read Successfully", "hold_time_ms": 1300,
				"language_preference": "en", "value_qualifier": "Balance", "value": 99900, "currency_code": 840}],
		"restarts": [{"start": "C", "cause": "Select Next"}],
		"preprocessing": [
			{"aid": "A0000000031010", "kernel": "Kernel 3 (Visa)", "kernel_id": 3, "status_check_requested": false,
				"contactless_application_not_allowed": false, "zero_amount": false, "reader_cvm_required_limit_exceeded": false,
				"reader_contactless_floor_limit_exceeded": false, "reader_contactless_transaction_limit_exceeded": false, "ttq": "3600C000"},
			{"aid": "A0000000041010", "kernel": "Kernel 2 (Mastercard)", "kernel_id": 2, "status_check_requested": false,
				"contactless_application_not_allowed": false, "zero_amount": false, "reader_cvm_required_limit_exceeded": false,
				"reader_contactless_floor_limit_exceeded": false, "reader_contactless_transaction_limit_exceeded": false}],
		"apdu_count": 3
	}`, string(b))
}
