package emv

import (
	"encoding/json"
	"fmt"
)

// resultJSON is the JSON form of a [Result]; [Result.MarshalJSON] lists
// its keys.
type resultJSON struct {
	Outcome        string   `json:"outcome"`
	Error          string   `json:"error,omitempty"`
	TerminatedStep string   `json:"terminated_step,omitempty"`
	AID            string   `json:"aid"`
	Label          string   `json:"label,omitempty"`
	PreferredName  string   `json:"preferred_name,omitempty"`
	PAN            string   `json:"pan"`
	Amount         uint64   `json:"amount"`
	AmountOther    uint64   `json:"amount_other,omitempty"`
	Currency       uint16   `json:"currency"`
	TVR            string   `json:"tvr"`
	TVRBits        []string `json:"tvr_bits"`
	TSI            string   `json:"tsi"`
	TSIBits        []string `json:"tsi_bits"`
	CVMResults     string   `json:"cvm_results"`
	CVM            string   `json:"cvm"`
	SignatureReq   bool     `json:"signature_required,omitempty"`
	ODA            string   `json:"oda"`
	CID            string   `json:"cid"`
	AC             string   `json:"ac"`
	ATC            string   `json:"atc"`
	IAD            string   `json:"iad"`
	UN             string   `json:"unpredictable_number"`
	ARC            string   `json:"arc,omitempty"`
	Advice         bool     `json:"advice,omitempty"`
	Field55        string   `json:"field55"`
	Scripts        string   `json:"script_results,omitempty"`
	APDUCount      int      `json:"apdu_count"`
	Receipt        Receipt  `json:"receipt"`
	Trace          Trace    `json:"trace"`
}

// MarshalJSON writes the result as a terminal developer reads it, every
// byte string in upper-case hex and the PAN masked:
//
//	outcome, error, terminated_step  the outcome; why and where it stopped
//	aid, label, preferred_name       the selected application
//	pan                              the PAN, masked (first six, last four)
//	amount, amount_other, currency   the transaction (minor units, ISO 4217 number)
//	tvr, tvr_bits, tsi, tsi_bits     95 and 9B in hex, and the names of their set bits
//	cvm_results, cvm                 9F34 in hex, and in words
//	signature_required, oda          the CVM asks for a signature; none, SDA, DDA, CDA, XDA
//	cid, ac, atc, iad                9F27, 9F26, 9F36, 9F10 of the last GENERATE AC
//	unpredictable_number             9F37 as sent
//	arc, advice                      8A; the card asked for an advice
//	field55                          the ICC data for ISO 8583 field 55 ([Result.ICCData])
//	script_results                   9F5B
//	apdu_count, trace                the exchanges, one masked line each
//	receipt                          the [Receipt]
//
// The data of VERIFY never appears: the trace does not keep it.
func (r Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{
		Outcome:       r.Outcome.String(),
		AID:           r.AID.String(),
		Label:         r.Label,
		PreferredName: r.PreferredName,
		PAN:           r.Receipt.MaskedPAN,
		Amount:        r.Receipt.Amount,
		AmountOther:   r.Receipt.AmountOther,
		Currency:      r.Receipt.Currency,
		TVR:           fmt.Sprintf("%X", r.TVR[:]),
		TVRBits:       r.TVR.Bits(),
		TSI:           fmt.Sprintf("%X", r.TSI[:]),
		TSIBits:       r.TSI.Bits(),
		CVMResults:    fmt.Sprintf("%X", r.CVMResults[:]),
		CVM:           r.CVMResults.String(),
		SignatureReq:  r.SignatureRequired,
		ODA:           r.ODA.String(),
		CID:           fmt.Sprintf("%02X", r.CID),
		AC:            fmt.Sprintf("%X", r.AC),
		ATC:           fmt.Sprintf("%X", r.ATC),
		IAD:           fmt.Sprintf("%X", r.IAD),
		UN:            fmt.Sprintf("%X", r.UnpredictableNumber[:]),
		ARC:           r.ARC,
		Advice:        r.Advice,
		Field55:       fmt.Sprintf("%X", r.ICCData),
		Scripts:       fmt.Sprintf("%X", r.ScriptResults),
		APDUCount:     len(r.Trace),
		Receipt:       r.Receipt,
		Trace:         r.Trace,
	}
	if j.TVRBits == nil {
		j.TVRBits = []string{}
	}
	if j.TSIBits == nil {
		j.TSIBits = []string{}
	}
	if j.Trace == nil {
		j.Trace = Trace{}
	}
	if r.Terminated != nil {
		j.Error = r.Terminated.Error()
		j.TerminatedStep = r.Terminated.Step.String()
	}
	return json.Marshal(j)
}
