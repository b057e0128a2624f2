package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tapRunJSON is the JSON of a contactless.Result as the tests read it.
type tapRunJSON struct {
	Outcome struct {
		Status             string `json:"status"`
		Start              string `json:"start"`
		CVM                string `json:"cvm"`
		DataRecord         string `json:"data_record"`
		UIRequestOnOutcome *struct {
			Message string `json:"message"`
		} `json:"ui_request_on_outcome"`
	} `json:"outcome"`
	UI []struct {
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"ui"`
	APDUCount int `json:"apdu_count"`
}

// tapOut is the -json output of a tap as the tests read it.
type tapOut struct {
	jsonTap
	EntryPoint *tapRunJSON `json:"entry_point"`
	Restart    *tapRunJSON `json:"restart"`
}

// tapJSON runs the command with -json and decodes its output.
func tapJSON(t *testing.T, args ...string) tapOut {
	t.Helper()
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), append([]string{"-json"}, args...), strings.NewReader(""), &out, &errOut), errOut.String())
	var j tapOut
	require.NoError(t, json.Unmarshal(out.Bytes(), &j), out.String())
	assert.Equal(t, j.APDUCount, len(j.Trace))
	assert.Empty(t, errOut.String())
	return j
}

// commands lists the instructions of a -json trace, by name.
func commands(trace []string) []string {
	var out []string
	for _, e := range trace {
		name, _, _ := strings.Cut(e, " 00")
		name, _, _ = strings.Cut(name, " 80")
		out = append(out, name)
	}
	return out
}

// -interface auto (the default) takes a card with the contactless ATR of
// PC/SC Part 3 through the Entry Point (Book B) and Kernel 3 (Book C-3),
// on the built-in reader configuration: Visa by Kernel 3, TTQ 3600C000,
// online above 50.00, a CVM from 50.00, no tap from 1000.00.
func TestTapJSON(t *testing.T) {
	qvsdc := []string{"SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD", "READ RECORD", "READ RECORD"}
	tests := []struct {
		name                         string
		args                         []string
		outcome, pan, amount         string
		tvr, ttq, ctq, cvm, cid, arc string
		commands                     []string
	}{
		// Book C-3 §5.8.1: a TC with fDDA passed, no CVM below the limit.
		{"offline approval", []string{"-card", "visa-qvsdc-offline"}, "approved", "476173******0019", "12.34",
			"0000000000", "3600C000", "0000", "No CVM", "40", "", qvsdc},
		// Book C-3 §5.8.3: the card's ARQC goes to the virtual issuer,
		// which checks it and approves; no restart (the reader or card has
		// no issuer update).
		{"online approval", []string{"-card", "visa-qvsdc-online"}, "online approved", "476173******0027", "12.34",
			"0000000000", "3600C000", "0000", "No CVM", "80", "00", qvsdc},
		{"online, the host declines", []string{"-card", "visa-qvsdc-online", "-host", "decline"}, "online declined", "476173******0027", "12.34",
			"0000000000", "3600C000", "0000", "No CVM", "80", "05", qvsdc},
		{"online, unable to go online", []string{"-card", "visa-qvsdc-online", "-host", "none"}, "declined (unable to go online)", "476173******0027", "12.34",
			"0000000000", "3600C000", "0000", "No CVM", "80", "", qvsdc},
		// Book B §3.1.1.6, §3.1.1.8: above the floor and CVM limits the
		// TTQ asks for an online cryptogram and a CVM; the card asks for
		// online PIN (CTQ byte 1 bit 8).
		{"online PIN above the CVM limit", []string{"-card", "visa-qvsdc-online-pin", "-amount", "60.00"}, "online approved", "476173******0068", "60.00",
			"0000000000", "36C0C000", "8000", "Online PIN", "80", "00", qvsdc},
		// Book C-3 §5.8.2: the card's AAC.
		{"decline", []string{"-card", "visa-qvsdc-decline"}, "declined", "476173******0035", "12.34",
			"0000000000", "3600C000", "0000", "N/A", "00", "", qvsdc},
		// Book B §3.1.1.5, §3.1.1.13: at the Reader Contactless
		// Transaction Limit no combination is allowed: no card command.
		{"try another interface, transaction limit", []string{"-card", "visa-qvsdc-offline", "-amount", "1000.00"}, "try another interface", "", "1000.00",
			"", "", "", "N/A", "", "", nil},
		// Book C-3 §5.6.2: fDDA fails and the CTQ says switch interface.
		{"try another interface, fDDA failed", []string{"-card", "visa-qvsdc-bad-fdda-switch"}, "try another interface", "", "12.34",
			"", "", "", "N/A", "", "", qvsdc},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := tapJSON(t, tc.args...)
			assert.Equal(t, tc.outcome, j.Outcome)
			assert.Equal(t, "contactless", j.Interface)
			assert.Equal(t, tc.pan, j.PAN)
			assert.Equal(t, tc.amount, j.Amount)
			assert.Equal(t, tc.tvr, j.TVR)
			assert.Equal(t, []string{}, j.TVRBits)
			assert.Equal(t, tc.ttq, j.TTQ)
			assert.Equal(t, tc.ctq, j.CTQ)
			assert.Equal(t, tc.cvm, j.CVM)
			assert.Equal(t, tc.cid, j.CID)
			assert.Equal(t, tc.arc, j.ARC)
			assert.Equal(t, tc.cvm == "Online PIN", j.OnlinePIN, "the PIN pad took a PIN for the issuer")
			assert.Equal(t, tc.commands, commands(j.Trace))
			assert.Nil(t, j.Restart)
			require.NotNil(t, j.EntryPoint)
			if tc.commands != nil {
				assert.Equal(t, "A0000000031010", j.AID)
				assert.Equal(t, "Kernel 3 (Visa)", j.Kernel)
			}
			raw, err := json.Marshal(j)
			require.NoError(t, err)
			for _, pan := range []string{"4761739001020019", "4761739001020027", "4761739001020068", "4761739001020035"} {
				assert.NotContains(t, string(raw), pan, "PAN masked")
			}
		})
	}
}

// An Online Request whose outcome asks for Start B (issuer update: TTQ
// byte 3 bit 8 and CTQ byte 2 bit 7, Book C-3 §5.8.3) goes to the issuer;
// its answer carries an ARPC, so the card is presented again and the
// kernel sends EXTERNAL AUTHENTICATE with 91 (Book C-3 §5.9). The outcome
// is the restart's: Approved for ARC 00.
func TestTapOnlineRestartStartB(t *testing.T) {
	j := tapJSON(t, "-card", "visa-qvsdc-issuer-update")
	assert.Equal(t, "online approved", j.Outcome)
	assert.Equal(t, "476173******0118", j.PAN)
	assert.Equal(t, "0000000000", j.TVR)
	assert.Equal(t, "3600C000", j.TTQ)
	assert.Equal(t, "0040", j.CTQ)
	assert.Equal(t, "No CVM", j.CVM)
	assert.Equal(t, "80", j.CID)
	assert.Equal(t, "00", j.ARC)
	assert.Equal(t, []string{"SELECT", "SELECT", "GET PROCESSING OPTIONS", "READ RECORD", "READ RECORD", "READ RECORD",
		"SELECT", "SELECT", "EXTERNAL AUTHENTICATE"}, commands(j.Trace))
	require.NotNil(t, j.Restart)
	require.NotNil(t, j.EntryPoint.Outcome)
	assert.Equal(t, "Online Request", j.EntryPoint.Outcome.Status)
	assert.Equal(t, "B", j.EntryPoint.Outcome.Start)
	assert.Equal(t, 6, j.EntryPoint.APDUCount)
	assert.Equal(t, "Approved", j.Restart.Outcome.Status)
	assert.Equal(t, "8A02303095050000000000", j.Restart.Outcome.DataRecord)
	var ui []string
	for _, u := range append(j.EntryPoint.UI, j.Restart.UI...) {
		ui = append(ui, u.Message+", "+u.Status)
	}
	assert.Equal(t, []string{"Present Card, Ready to Read", "Card Read OK, Card Read Successfully", "Authorising Please Wait, Card Read Successfully",
		"Present Card Again, Ready to Read", "Card Read OK, Card Read Successfully", "Approved, Card Read Successfully"}, ui)
}

// The host declines with an ARC and no ARPC: nothing for the card, so no
// second tap; the host's decision is final.
func TestTapOnlineNoDataForTheCardNoRestart(t *testing.T) {
	j := tapJSON(t, "-card", "visa-qvsdc-issuer-update", "-host", "decline")
	assert.Equal(t, "online declined", j.Outcome)
	assert.Equal(t, "05", j.ARC)
	assert.Nil(t, j.Restart)
	assert.Equal(t, 6, j.APDUCount)
}

// The text output of a tap: the UI requests as they come, then the fields
// of the contact output a tap has.
func TestTapText(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-card", "visa-qvsdc-offline"}, strings.NewReader(""), &out, &errOut), errOut.String())
	head, trace, ok := strings.Cut(out.String(), "\ntrace (6 commands):\n")
	require.True(t, ok, out.String())
	assert.Equal(t, `[display] Present Card (Ready to Read)
[display] Card Read OK (Card Read Successfully)
[display] Approved, Balance USD 487.66 (Card Read Successfully, hold 1300 ms)

outcome:      approved
interface:    contactless
application:  A0000000031010 VISA CREDIT, Kernel 3 (Visa)
card:         476173******0019
amount:       USD 12.34
language:     en
parameters:   Approved, CVM No CVM, UI on outcome [Approved, Card Read Successfully, hold 1300 ms, language en, Balance 48766 (840)], Data Record, Discretionary Data
CVM:          No CVM
TVR:          0000000000
TTQ:          3600C000
CTQ:          0000
`, head[:strings.Index(head, "cryptogram:")])
	assert.Regexp(t, `cryptogram:   CID 40 AC [0-9A-F]{16} ATC 0021\nbalance 9F5D: USD 487.66\n$`, head)
	assert.Equal(t, 6, strings.Count(trace, "\n"))
	assert.NotContains(t, out.String(), "4761739001020019")
}

// -interface names the interface: contact on a contactless card runs the
// contact kernel (which finds no contact application on it), contactless
// on a contact card runs the Entry Point (no PPSE: End Application,
// Book B §3.3.2.2), auto on the built-in contact card stays contact.
func TestInterfaceFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-json", "-interface", "auto"}, strings.NewReader(""), &out, &errOut), errOut.String())
	var c jsonResult
	require.NoError(t, json.Unmarshal(out.Bytes(), &c))
	assert.Equal(t, "contact", c.Interface)
	assert.Equal(t, "approved", c.Outcome)
	assert.Equal(t, "440302", c.CVMResults)

	out.Reset()
	err := run(context.Background(), []string{"-json", "-interface", "contact", "-card", "visa-qvsdc-offline"}, strings.NewReader(""), &out, &errOut)
	require.ErrorIs(t, err, errTransaction)
	require.NoError(t, json.Unmarshal(out.Bytes(), &c))
	assert.Equal(t, "contact", c.Interface)
	assert.Equal(t, "terminated", c.Outcome)

	j := tapJSON(t, "-interface", "contactless", "-card", "visa-cda")
	assert.Equal(t, "end application", j.Outcome)
	assert.Equal(t, []string{"SELECT"}, commands(j.Trace))
	require.NotNil(t, j.EntryPoint.Outcome.UIRequestOnOutcome)
	assert.Equal(t, "Insert, Swipe or Try Another Card", j.EntryPoint.Outcome.UIRequestOnOutcome.Message)
}

// A -interface value the command does not know is a usage error naming
// the flag (exit status 2), before any command reaches the card.
func TestInterfaceUsageError(t *testing.T) {
	for _, v := range []string{"nfc", "", "Contactless", "tap"} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"-interface", v}, strings.NewReader(""), &out, &errOut)
		var ue *usageError
		require.ErrorAs(t, err, &ue, "%q", v)
		assert.Equal(t, "-interface", ue.Flag)
		assert.EqualError(t, err, `-interface: "`+v+`": want contact, contactless or auto`)
		assert.Equal(t, 2, exitCode(err))
		assert.Empty(t, out.String())
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-card", "visa-qvsdc-offline", "-record", "x.json"}, strings.NewReader(""), &out, &errOut)
	assert.EqualError(t, err, "-record: records contact transactions only")
	assert.Equal(t, 2, exitCode(err))
}

// PC/SC Part 3 §3.1.3.2.3: the ATR of an ISO/IEC 14443-4 card is 3B 8n 80
// 01, n historical bytes, TCK.
func TestContactlessATR(t *testing.T) {
	for _, tc := range []struct {
		atr  []byte
		want bool
	}{
		{emvtest.ContactlessATR(nil), true},
		{emvtest.ContactlessATR([]byte{0x80, 0x73, 0xC8, 0x21, 0x10}), true},
		{emvtest.ContactlessATR(make([]byte, 15)), true},
		{emvtest.NewCard(emvtest.VisaQVSDCOffline()).ATR(), true},
		{emvtest.NewCard(emvtest.ContactlessTypeB()).ATR(), true},
		{emvtest.NewCard(emvtest.VisaCDA()).ATR(), false},
		{[]byte{0x3B, 0x02, 0x14, 0x50}, false},             // a contact T=0 ATR (Book 1 §8.3)
		{[]byte{0x3B, 0x81, 0x80, 0x01, 0x80, 0x81}, false}, // bad TCK
		{[]byte{0x3B, 0x82, 0x80, 0x01, 0x80, 0x83}, false}, // one historical byte short
		{[]byte{0x3B, 0x80, 0x80, 0x02, 0x02}, false},       // TD2 names T=2
		{[]byte{0x3F, 0x80, 0x80, 0x01, 0x01}, false},       // inverse convention
		{[]byte{0x3B, 0x80, 0x80, 0x01}, false},             // no TCK
		{append(emvtest.ContactlessATR(nil), 0x00), false},  // a byte after TCK
		{[]byte{0x3B, 0x80, 0x80, 0x01, 0x01}, true},        // no historical bytes
	} {
		assert.Equal(t, tc.want, contactlessATR(tc.atr), "%X", tc.atr)
	}
}

// The authorisation request of an Online Request: the Data Record as field
// 55 without the PAN and track 2, which the request carries apart (the PAN
// from track 2 when 5A is absent); the AID from 84, else the combination's.
func TestTapOnlineRequest(t *testing.T) {
	rec := []byte{
		0x9F, 0x26, 0x02, 0xAB, 0xCD,
		0x57, 0x05, 0x47, 0x61, 0x73, 0x9D, 0x30,
		0x5F, 0x34, 0x01, 0x01,
		0x84, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x03,
	}
	r := &contactless.Result{Outcome: &contactless.Outcome{DataRecord: rec}, Combination: &contactless.Combination{AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}}}
	req := onlineRequest(emv.Transaction{Amount: 100}, r)
	assert.Equal(t, []byte{0x47, 0x61, 0x73, 0x9F}, req.PAN(), "the PAN of track 2, F-padded")
	assert.Equal(t, rec[7:12], req.Track2())
	assert.Equal(t, []byte{0x01}, req.PANSequence)
	assert.Equal(t, emv.AID{0xA0, 0x00, 0x00, 0x00, 0x03}, req.AID)
	assert.Equal(t, append(append(append([]byte{}, rec[:5]...), rec[12:16]...), rec[16:]...), req.ICCData, "no 57 in field 55")

	r.Outcome.DataRecord = append([]byte{0x5A, 0x02, 0x12, 0x34}, rec[:5]...)
	req = onlineRequest(emv.Transaction{}, r)
	assert.Equal(t, []byte{0x12, 0x34}, req.PAN())
	assert.Nil(t, req.Track2())
	assert.Equal(t, emv.AID(r.Combination.AID), req.AID)
	assert.Equal(t, rec[:5], req.ICCData)

	assert.Equal(t, "8A023030910A0102030405060708303071039F1800", hexUpper(responseData(&emv.OnlineResponse{
		ARC: "00", IssuerAuthData: []byte{1, 2, 3, 4, 5, 6, 7, 8, '0', '0'}, Scripts: []byte{0x71, 0x03, 0x9F, 0x18, 0x00},
	})))
}

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
