package kernel3

import (
	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/quick"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// maxScriptCommands bounds the issuer script commands of one online
// response, as the contact kernel does.
const maxScriptCommands = 32

// issuerUpdate is issuer update processing (Book C-3 §5.9) on the second
// tap: the Entry Point restarted at Start B with the online response and
// selected the application again. The kernel sends EXTERNAL AUTHENTICATE
// with the Issuer Authentication Data (91) when the response has it, then
// every issuer script command (86) of the scripts (71 and 72 alike: qVSDC
// has no GENERATE AC to put them before or after), stopping a script at
// its first command not answered 9000, 62xx or 63xx. The outcome is the
// issuer's: Approved for an Authorisation Response Code (8A) of "00", "10"
// or "11" (ISO 8583 approvals), else Declined; the Data Record holds 8A,
// the TVR (byte 5 bit 7 when issuer authentication failed) and the Issuer
// Script Results (9F5B: per script, result nibble 0 not performed, 1
// failed, 2 performed, with the sequence number of the failing command, and
// the Issuer Script Identifier 9F18 or zeros), also in the Discretionary
// Data.
func (s *transactionState) issuerUpdate() (*contactless.Outcome, error) {
	if v, ok := tlv.Find(s.a.FCI, 0x5F2D); ok && len(v) <= 8 {
		s.langPref = string(v)
	}
	resp := s.a.OnlineResponse
	var results []byte
	if ia, ok := tlv.Find(resp, 0x91); ok && len(ia) >= 8 && len(ia) <= 16 {
		r, err := s.transmit(apdu.ExternalAuthenticate(ia))
		if err != nil {
			return nil, err
		}
		if r.SW != apdu.SWOK {
			s.TVR.Set(tvr.IssuerAuthenticationFailed)
		}
	}
	sent := 0
	it := tlv.NewIter(resp)
	for it.Next() {
		if it.Tag() != 0x71 && it.Tag() != 0x72 {
			continue
		}
		var id []byte
		result, seq := byte(2), 0
		cmds := it.Children()
		for cmds.Next() {
			switch cmds.Tag() {
			case 0x9F18:
				id = cmds.Value()
				continue
			case 0x86:
			default:
				continue
			}
			seq++
			if result != 2 {
				continue
			}
			if sent == maxScriptCommands {
				result = 0
				continue
			}
			sent++
			cmd, err := apdu.ParseCommand(cmds.Value())
			if err != nil {
				result = 1
				continue
			}
			r, err := s.transmit(cmd)
			if err != nil {
				return nil, err
			}
			if !r.SW.OK() && r.SW.SW1() != 0x62 && r.SW.SW1() != 0x63 {
				result = 1
			}
		}
		if cmds.Err() != nil && result == 2 {
			result = 1
		}
		res := [5]byte{result << 4}
		if result == 1 {
			res[0] |= byte(min(seq, 15))
		}
		if len(id) == 4 {
			copy(res[1:], id)
		}
		results = append(results, res[:]...)
	}
	s.cardReadComplete()

	arc, _ := tlv.Find(resp, 0x8A)
	status := contactless.StatusDeclined
	msg := contactless.MsgNotAuthorised
	switch string(arc) {
	case "00", "10", "11":
		status, msg = contactless.StatusApproved, contactless.MsgApproved
	}
	p := contactless.NewParameterSet(status)
	p.UIRequestOnOutcome = quick.UI(s.langPref, msg, contactless.UICardReadSuccessfully, quick.HoldTime)
	var rec []byte
	if arc != nil {
		rec = tlv.AppendTLV(rec, 0x8A, arc)
	}
	rec = tlv.AppendTLV(rec, 0x95, s.TVR[:])
	o := &contactless.Outcome{Parameters: p}
	if results != nil {
		rec = tlv.AppendTLV(rec, 0x9F5B, results)
		o.DiscretionaryData = tlv.AppendTLV(nil, 0x9F5B, results)
		o.Parameters.DiscretionaryDataPresent = true
	}
	o.DataRecord = rec
	o.Parameters.DataRecordPresent = true
	return o, nil
}
