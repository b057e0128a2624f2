package contactless

import (
	"encoding/json"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
)

// MarshalJSON writes the Result for a person or a log: the outcome with
// every parameter by its Book A name, the Data Record and Discretionary
// Data in hex with the PAN, track data and cardholder name masked
// ([apdu.MaskPAN]), the combination, the Candidate List, every UI request
// in order, the restarts, the pre-processing indicators and the number of
// exchanges. The trace itself is not written (use [Trace.String]).
func (r *Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{
		Combination: combinationJSONOf(r.Combination),
		Candidates:  []combinationView{},
		UI:          []uiJSON{},
		Restarts:    []restartJSON{},
		APDUCount:   len(r.Trace),
	}
	if o := r.Outcome; o != nil {
		p := o.Parameters
		j.Outcome = &outcomeJSON{
			Status: p.Status, Start: p.Start, OnlineResponseData: p.OnlineResponseData, CVM: p.CVM,
			UIRequestOnOutcome: uiJSONOf(p.UIRequestOnOutcome), UIRequestOnRestart: uiJSONOf(p.UIRequestOnRestart),
			DataRecordPresent: p.DataRecordPresent, DiscretionaryDataPresent: p.DiscretionaryDataPresent,
			AlternateInterfacePreference: p.AlternateInterfacePreference, Receipt: p.Receipt,
			DataRecord: apdu.MaskPAN(o.DataRecord), DiscretionaryData: apdu.MaskPAN(o.DiscretionaryData),
		}
		if p.FieldOffRequest != NoTime {
			ms := p.FieldOffRequest * 100
			j.Outcome.FieldOffMS = &ms
		}
		j.Outcome.RemovalTimeoutMS = p.RemovalTimeout * 100
	}
	for i := range r.Candidates {
		j.Candidates = append(j.Candidates, *combinationJSONOf(&r.Candidates[i]))
	}
	for i := range r.UI {
		j.UI = append(j.UI, *uiJSONOf(&r.UI[i]))
	}
	for _, x := range r.Restarts {
		v := restartJSON{Start: x.Start, Cause: x.Cause}
		if x.Err != nil {
			v.Error = x.Err.Error()
		}
		j.Restarts = append(j.Restarts, v)
	}
	for _, p := range r.Preprocessing {
		ind := p.Indicators
		v := preprocessedJSON{
			AID: fmt.Sprintf("%X", p.Config.AID), Kernel: p.Config.Kernel.String(), KernelID: byte(p.Config.Kernel),
			StatusCheckRequested: ind.StatusCheckRequested, ContactlessApplicationNotAllowed: ind.ContactlessApplicationNotAllowed,
			ZeroAmount: ind.ZeroAmount, ReaderCVMRequiredLimitExceeded: ind.ReaderCVMRequiredLimitExceeded,
			ReaderContactlessFloorLimitExceeded:       ind.ReaderContactlessFloorLimitExceeded,
			ReaderContactlessTransactionLimitExceeded: ind.ReaderContactlessTransactionLimitExceeded,
		}
		if len(p.Config.TTQ) == 4 {
			v.TTQ = fmt.Sprintf("%X", ind.TTQ)
		}
		j.Preprocessing = append(j.Preprocessing, v)
	}
	return json.Marshal(j)
}

type resultJSON struct {
	Outcome       *outcomeJSON       `json:"outcome"`
	Combination   *combinationView   `json:"combination"`
	Candidates    []combinationView  `json:"candidates"`
	UI            []uiJSON           `json:"ui"`
	Restarts      []restartJSON      `json:"restarts"`
	Preprocessing []preprocessedJSON `json:"preprocessing"`
	APDUCount     int                `json:"apdu_count"`
}

type outcomeJSON struct {
	Status                       OutcomeStatus      `json:"status"`
	Start                        Start              `json:"start"`
	OnlineResponseData           OnlineResponseData `json:"online_response_data"`
	CVM                          CVM                `json:"cvm"`
	UIRequestOnOutcome           *uiJSON            `json:"ui_request_on_outcome"`
	UIRequestOnRestart           *uiJSON            `json:"ui_request_on_restart"`
	DataRecordPresent            bool               `json:"data_record_present"`
	DiscretionaryDataPresent     bool               `json:"discretionary_data_present"`
	AlternateInterfacePreference Interface          `json:"alternate_interface_preference"`
	Receipt                      bool               `json:"receipt"`
	FieldOffMS                   *int               `json:"field_off_request_ms"`
	RemovalTimeoutMS             int                `json:"removal_timeout_ms"`
	DataRecord                   string             `json:"data_record,omitempty"`
	DiscretionaryData            string             `json:"discretionary_data,omitempty"`
}

type combinationView struct {
	AID              string `json:"aid"`
	Kernel           string `json:"kernel"`
	KernelID         byte   `json:"kernel_id"`
	KernelIdentifier string `json:"kernel_identifier,omitempty"`
	Label            string `json:"label,omitempty"`
	Priority         byte   `json:"priority,omitempty"`
}

func combinationJSONOf(c *Combination) *combinationView {
	if c == nil {
		return nil
	}
	v := &combinationView{AID: fmt.Sprintf("%X", c.AID), Kernel: c.Kernel.String(), KernelID: byte(c.Kernel), Label: c.Label, Priority: c.Priority}
	if c.KernelIdentifier != nil {
		v.KernelIdentifier = fmt.Sprintf("%X", c.KernelIdentifier)
	}
	return v
}

type uiJSON struct {
	Message            MessageID      `json:"message"`
	MessageID          byte           `json:"message_id"`
	Status             UIStatus       `json:"status"`
	HoldTimeMS         int            `json:"hold_time_ms,omitempty"`
	LanguagePreference string         `json:"language_preference,omitempty"`
	ValueQualifier     ValueQualifier `json:"value_qualifier,omitempty"`
	Value              uint64         `json:"value,omitempty"`
	CurrencyCode       uint16         `json:"currency_code,omitempty"`
}

func uiJSONOf(u *UIRequest) *uiJSON {
	if u == nil {
		return nil
	}
	v := &uiJSON{Message: u.Message, MessageID: byte(u.Message), Status: u.Status, HoldTimeMS: u.HoldTime * 100, LanguagePreference: u.LanguagePreference}
	if u.ValueQualifier != ValueNone {
		v.ValueQualifier, v.Value, v.CurrencyCode = u.ValueQualifier, u.Value, u.CurrencyCode
	}
	return v
}

type restartJSON struct {
	Start Start        `json:"start"`
	Cause RestartCause `json:"cause"`
	Error string       `json:"error,omitempty"`
}

type preprocessedJSON struct {
	AID                                       string `json:"aid"`
	Kernel                                    string `json:"kernel"`
	KernelID                                  byte   `json:"kernel_id"`
	StatusCheckRequested                      bool   `json:"status_check_requested"`
	ContactlessApplicationNotAllowed          bool   `json:"contactless_application_not_allowed"`
	ZeroAmount                                bool   `json:"zero_amount"`
	ReaderCVMRequiredLimitExceeded            bool   `json:"reader_cvm_required_limit_exceeded"`
	ReaderContactlessFloorLimitExceeded       bool   `json:"reader_contactless_floor_limit_exceeded"`
	ReaderContactlessTransactionLimitExceeded bool   `json:"reader_contactless_transaction_limit_exceeded"`
	TTQ                                       string `json:"ttq,omitempty"`
}
