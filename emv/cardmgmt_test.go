package emv_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cardTxn is one transaction of a card management scenario: what the
// terminal does and what must come out.
type cardTxn struct {
	amount  uint64
	pins    []string
	online  bool // a host carries the request to the card's issuer
	outcome emv.Outcome
	err     error // the transaction ends with this error (and Terminated)
	tvr     string
	cvm     string
	cmds    string
	scripts string // Issuer Script Results 9F5B, hex; "" none
}

func (ct cardTxn) run(t *testing.T, card *emvtest.Card, iss *emvtest.Issuer) (*emv.Result, *issuerHost) {
	t.Helper()
	cfg := testConfig(t, card)
	term := &emv.Terminal{PINPad: &pinPad{pins: ct.pins}}
	h := &issuerHost{iss: iss}
	if ct.online {
		term.Host = h
	}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: ct.amount, SequenceCounter: 3}, term)
	if ct.err != nil {
		require.ErrorIs(t, err, ct.err)
	} else {
		require.NoError(t, err)
	}
	require.NotNil(t, res)
	assert.Equal(t, ct.outcome, res.Outcome, "outcome")
	if ct.tvr != "" {
		assert.Equal(t, ct.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
	}
	if ct.cvm != "" {
		assert.Equal(t, ct.cvm, hexOf(res.CVMResults[:]), "CVM Results")
	}
	assert.Equal(t, ct.cmds, res.Trace.Compact(), "commands")
	assert.Equal(t, ct.scripts, hexOf(res.ScriptResults), "Issuer Script Results")
	return res, h
}

// Card management by issuer scripts under secure messaging (Book 3
// §10.10, §6.5; Book 2 §9): in the first transaction the virtual issuer
// sends the command, MACed (and for PIN CHANGE and confidential PUT DATA
// enciphered) for that transaction; the kernel delivers it and reports
// the Issuer Script Results (9F5B: result nibble 2 successful or 1
// failed, the failing command's number, the script identifier). The
// second transaction on the same card shows what the command did.
func TestCardManagementScripts(t *testing.T) {
	id := mustHex("0000000A")
	const (
		// visa-sda, online above the floor limit with plaintext PIN,
		// then issuer authentication and the second GENERATE AC.
		onlineCmds  = sdaHead + " GAC80 EA GAC40"
		offlineCmds = sdaHead + " GAC40"
	)
	tests := []struct {
		name    string
		profile func(*emvtest.Profile)
		script  emvtest.Script
		// build makes the script from the card when it depends on the
		// card's data.
		build  func(t *testing.T, card *emvtest.Card) emvtest.Script
		first  cardTxn
		second cardTxn
		check  func(t *testing.T, card *emvtest.Card, first, second *emv.Result)
	}{
		{
			// Book 3 §6.5.10, Book 2 §9.3: PIN CHANGE/UNBLOCK P2 02 with the
			// new PIN enciphered under the SMC session key. Next time the
			// old PIN is refused (63C2) and the new one verifies.
			name:   "Book3_6_5_10_PINChange_NewPINWorksNextTransaction",
			script: emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{emvtest.PINChange("4321")}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008000", cvm: "410302", cmds: onlineCmds + " 8424", scripts: "200000000A"},
			second: cardTxn{amount: 1000, pins: []string{"1234", "4321"}, outcome: emv.Approved,
				tvr: "0200000000", cvm: "410302", cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 VFY VFY GD9F36 GD9F13 GAC40"},
		},
		{
			// Book 3 §6.5.10: PIN CHANGE/UNBLOCK P2 00 resets the PIN try
			// counter of a card whose PIN is blocked. The first
			// transaction falls back to online PIN; the second verifies
			// offline.
			name:    "Book3_6_5_10_PINUnblock_OfflinePINWorksAgain",
			profile: func(p *emvtest.Profile) { p.Applications[0].PINBlocked = true },
			script:  emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{emvtest.PINUnblock()}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200248000", cvm: "420300", cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GD9F36 GD9F13 GAC80 EA GAC40 8424", scripts: "200000000A"},
			second: cardTxn{amount: 1000, pins: []string{"1234"}, outcome: emv.Approved,
				tvr: "0200000000", cvm: "410302", cmds: offlineCmds},
			check: func(t *testing.T, card *emvtest.Card, _, _ *emv.Result) {
				assert.Equal(t, 3, card.PINTries(mustHex("A0000000031010")))
			},
		},
		{
			// Book 3 §6.5.1, Book 1 §12.3.3: APPLICATION BLOCK after the
			// final GENERATE AC. The next SELECT answers 6283: the only
			// application is no candidate, and the kernel ends the
			// transaction there.
			name:   "Book3_6_5_1_ApplicationBlock_NextSelect6283",
			script: emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{emvtest.ApplicationBlock()}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008000", cvm: "410302", cmds: onlineCmds + " 841E", scripts: "200000000A"},
			second: cardTxn{amount: 1000, outcome: emv.Terminated, err: emv.ErrNotAccepted, cmds: "SEL RR RR SEL"},
			check: func(t *testing.T, card *emvtest.Card, _, second *emv.Result) {
				assert.True(t, card.ApplicationBlocked(mustHex("A0000000031010")))
				last := second.Trace[len(second.Trace)-1]
				assert.Equal(t, []byte{0x62, 0x83}, last.Response[len(last.Response)-2:])
			},
		},
		{
			// Book 3 §6.5.1, §10.10: APPLICATION BLOCK before the final
			// GENERATE AC (script 71). The issuer approved, but the blocked
			// application answers the second GENERATE AC with an AAC.
			name:   "Book3_6_5_1_ApplicationBlockIn71_CardDeclinesTheFinalGenerateAC",
			script: emvtest.Script{Template: 0x71, ID: id, Commands: []emvtest.ScriptCommand{emvtest.ApplicationBlock()}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineDeclined,
				tvr: "0200008000", cvm: "410302", cmds: sdaHead + " GAC80 EA 841E GAC40", scripts: "200000000A"},
			second: cardTxn{amount: 1000, outcome: emv.Terminated, err: emv.ErrNotAccepted, cmds: "SEL RR RR SEL"},
		},
		{
			// Book 3 §6.5.3, Book 1 §12.3.2: CARD BLOCK. Every SELECT of
			// the next session answers 6A81; the kernel stops at the first.
			name:   "Book3_6_5_3_CardBlock_NextSelect6A81",
			script: emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{emvtest.CardBlock()}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008000", cvm: "410302", cmds: onlineCmds + " 8416", scripts: "200000000A"},
			second: cardTxn{amount: 1000, outcome: emv.Terminated, err: emv.ErrCardBlocked, cmds: "SEL"},
		},
		{
			// Book 3 §6.5.13: PUT DATA of the Lower Consecutive Offline
			// Limit (9F14) to 0. The card's own velocity check then asks
			// to go online after any offline transaction: the next
			// purchase under the floor limit, which this card approves
			// offline otherwise (see the second transaction of the PIN
			// CHANGE case), gets an ARQC for its TC request; unable to go
			// online, the default action approves (Y3).
			name:   "Book3_6_5_13_PutDataLCOL_CardAsksOnlineNextTransaction",
			script: emvtest.Script{Template: 0x71, ID: id, Commands: []emvtest.ScriptCommand{emvtest.PutData(0x9F14, []byte{0x00})}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008000", cvm: "410302", cmds: sdaHead + " GAC80 EA 84DA GAC40", scripts: "200000000A"},
			second: cardTxn{amount: 1000, pins: []string{"1234"}, outcome: emv.ApprovedUnableOnline,
				tvr: "0200000000", cvm: "410302", cmds: sdaHead + " GAC40 GAC40"},
			check: func(t *testing.T, _ *emvtest.Card, _, second *emv.Result) {
				assert.Equal(t, "Y3", second.ARC)
				gac := second.Trace[len(second.Trace)-2]
				v, found := tlv.Find(gac.Response[:len(gac.Response)-2], 0x9F27)
				require.True(t, found)
				assert.Equal(t, []byte{0x80}, v, "the card answered the TC request with an ARQC")
			},
		},
		{
			// Book 2 §9.3, Book 3 §6.5.13: confidential PUT DATA. The
			// enciphered value is taken; a plaintext value for the same
			// object fails the script at its second command (result 12),
			// which sets "Script processing failed after final GENERATE
			// AC" (TVR byte 5 bit 5).
			name: "Book2_9_3_ConfidentialPutData_PlaintextRefused",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].IssuerData = []emvtest.IssuerDataObject{{Tag: mustHex("DF01"), Value: mustHex("00000000"), Confidential: true}}
			},
			script: emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{
				emvtest.PutDataConfidential(0xDF01, mustHex("11223344")),
				emvtest.PutData(0xDF01, mustHex("55667788")),
			}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008010", cvm: "410302", cmds: onlineCmds + " 84DA 84DA", scripts: "120000000A"},
			second: cardTxn{amount: 1000, pins: []string{"1234"}, outcome: emv.Approved,
				tvr: "0200000000", cvm: "410302", cmds: offlineCmds},
			check: func(t *testing.T, card *emvtest.Card, _, _ *emv.Result) {
				v, found := card.IssuerData(mustHex("A0000000031010"), 0xDF01)
				require.True(t, found)
				assert.Equal(t, mustHex("11223344"), v, "the enciphered value, deciphered")
			},
		},
		{
			// Book 3 §6.5.14: UPDATE RECORD of a record outside the static
			// data (SFI 4 record 1, which holds this card's CVM List) with
			// a CVM List that asks for a signature. The next transaction
			// reads the new record and performs signature instead of
			// offline PIN; SDA still succeeds.
			name: "Book3_6_5_14_UpdateRecord_NextTransactionReadsIt",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].CVMList = nil
				p.Applications[0].Records = []emvtest.Record{{SFI: 4, Number: 1, Data: tlv.AppendTLV(nil, 0x8E, mustHex(cvmPlaintextFirst))}}
			},
			script: emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{emvtest.UpdateRecord(4, 1, signatureRecord)}},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008000", cvm: "410302", cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 VFY GD9F36 GD9F13 GAC80 EA GAC40 84DC", scripts: "200000000A"},
			second: cardTxn{amount: 1000, outcome: emv.Approved,
				tvr: "0200000000", cvm: "1E0000", cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F36 GD9F13 GAC40"},
			check: func(t *testing.T, _ *emvtest.Card, first, second *emv.Result) {
				rr := func(r *emv.Result) []byte {
					for _, e := range r.Trace {
						if c, err := apdu.ParseCommand(e.Command); err == nil && c.INS == apdu.InsReadRecord && c.P1 == 1 && c.P2 == 4<<3|4 {
							return e.Response[:len(e.Response)-2]
						}
					}
					t.Fatal("no READ RECORD of SFI 4 record 1")
					return nil
				}
				assert.NotEqual(t, signatureRecord, rr(first))
				assert.Equal(t, signatureRecord, rr(second))
				assert.True(t, second.SignatureRequired)
			},
		},
		{
			// Book 3 §6.5.14, Book 2 §5.4: UPDATE RECORD of the record
			// whose data SDA signs (SFI 2 record 1), without a new Signed
			// Static Application Data. The next transaction reads the new
			// CVM List (signature, not PIN) and SDA fails on the changed
			// static data.
			name: "Book3_6_5_14_UpdateSignedRecord_NextSDAFails",
			build: func(t *testing.T, card *emvtest.Card) emvtest.Script {
				return emvtest.Script{Template: 0x72, ID: id, Commands: []emvtest.ScriptCommand{emvtest.UpdateRecord(2, 1, signedRecordWithSignatureCVM(t, card))}}
			},
			first: cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008000", cvm: "410302", cmds: onlineCmds + " 84DC", scripts: "200000000A"},
			second: cardTxn{amount: 1000, outcome: emv.DeclinedUnableOnline,
				tvr: "4200000000", cvm: "1E0000", cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC80 GAC00"},
		},
	}
	// Each scenario runs under both secure messaging formats of Book 2
	// §9.2.1: format 2 (CLA 84, data || MAC) and format 1 (CLA 8C, the
	// data as BER-TLV objects 81 or 87 and the MAC as object 8E). The
	// effect on the card, the TVR and the Issuer Script Results are the
	// same; only the class byte of the script commands differs.
	for _, tc := range tests {
		for _, f := range []emvtest.SMFormat{emvtest.SMFormat2, emvtest.SMFormat1} {
			t.Run(fmt.Sprintf("%s/Format%d", tc.name, f), func(t *testing.T) {
				p := visaSDA()
				if tc.profile != nil {
					tc.profile(p)
				}
				card := emvtest.NewCard(p)
				iss := emvtest.IssuerFor(card)
				script := tc.script
				if tc.build != nil {
					script = tc.build(t, card)
				}
				script.Format = f
				iss.SetRule(scriptsRule(script))
				first, _ := tc.first.inFormat(f).run(t, card, iss)
				second, _ := tc.second.inFormat(f).run(t, card, iss)
				if tc.check != nil {
					tc.check(t, card, first, second)
				}
			})
		}
	}
}

// inFormat returns the transaction with its expected script commands in
// the class byte of format f: 84 for format 2, 8C for format 1 (Book 3
// §6.5).
func (ct cardTxn) inFormat(f emvtest.SMFormat) cardTxn {
	if f == emvtest.SMFormat1 {
		ct.cmds = strings.ReplaceAll(ct.cmds, " 84", " 8C")
	}
	return ct
}

// Book 2 §9.2.1.1, §9.2.3, §9.3.1: format 1 script commands the card must
// refuse, each with its status word, through the whole kernel: the script
// fails at its first command (9F5B result 11), which sets "Script
// processing failed after final GENERATE AC" (TVR byte 5 bit 5), and the
// next transaction shows the card unchanged.
func TestCardManagementFormat1Refused(t *testing.T) {
	id := mustHex("0000000A")
	pinChange := emvtest.PINChange("4321")
	tests := []struct {
		name   string
		cmd    emvtest.ScriptCommand
		ins    string
		sw     []byte
		second cardTxn
	}{
		{
			// The MAC of 8E does not verify: secure messaging data objects
			// incorrect (ISO/IEC 7816-4 6988). The PIN is not changed: the
			// old one verifies next time.
			name: "TamperedMAC_6988_PINUnchanged",
			cmd:  withFault(pinChange, emvtest.SMFaultTamperedMAC), ins: "8C24", sw: []byte{0x69, 0x88},
			second: cardTxn{amount: 1000, pins: []string{"1234"}, outcome: emv.Approved,
				tvr: "0200000000", cvm: "410302", cmds: sdaHead + " GAC40"},
		},
		{
			// The new PIN's 87 says "no padding" (02) where the encipherment
			// padded it (01), MACed as sent: 6988, and the PIN is kept.
			name: "WrongPaddingIndicator_6988_PINUnchanged",
			cmd:  withFault(pinChange, emvtest.SMFaultPadIndicator), ins: "8C24", sw: []byte{0x69, 0x88},
			second: cardTxn{amount: 1000, pins: []string{"1234"}, outcome: emv.Approved,
				tvr: "0200000000", cvm: "410302", cmds: sdaHead + " GAC40"},
		},
		{
			// No 8E at all: expected secure messaging data objects missing
			// (6987). The application is not blocked.
			name: "MissingMAC_6987_ApplicationNotBlocked",
			cmd:  withFault(emvtest.ApplicationBlock(), emvtest.SMFaultNoMAC), ins: "8C1E", sw: []byte{0x69, 0x87},
			second: cardTxn{amount: 1000, pins: []string{"1234"}, outcome: emv.Approved,
				tvr: "0200000000", cvm: "410302", cmds: sdaHead + " GAC40"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			card := emvtest.NewCard(visaSDA())
			iss := emvtest.IssuerFor(card)
			iss.SetRule(scriptsRule(emvtest.Script{Template: 0x72, ID: id, Format: emvtest.SMFormat1, Commands: []emvtest.ScriptCommand{tc.cmd}}))
			first := cardTxn{amount: 20000, pins: []string{"1234"}, online: true, outcome: emv.OnlineApproved,
				tvr: "0200008010", cvm: "410302", cmds: sdaHead + " GAC80 EA GAC40 " + tc.ins, scripts: "110000000A"}
			res, _ := first.run(t, card, iss)
			last := res.Trace[len(res.Trace)-1]
			assert.Equal(t, tc.sw, last.Response, "the card's status word")
			tc.second.run(t, card, iss)
			assert.False(t, card.ApplicationBlocked(mustHex("A0000000031010")))
		})
	}
}

func withFault(c emvtest.ScriptCommand, f emvtest.SMFault) emvtest.ScriptCommand {
	c.Fault = f
	return c
}

// signatureRecord is a record holding the CVM List "signature, always".
var signatureRecord = tlv.AppendTLV(nil, 0x70, tlv.AppendTLV(nil, 0x8E, mustHex("0000000000000000"+"1E00")))

// signedRecordWithSignatureCVM reads the card's SFI 2 record 1 and
// returns it with the CVM List (8E) replaced by "signature, always".
func signedRecordWithSignatureCVM(t *testing.T, card *emvtest.Card) []byte {
	t.Helper()
	p := card.Profile()
	r := mustExchange(t, card, apdu.Select(p.Applications[0].AID, false))
	require.Equal(t, apdu.SWOK, r.SW)
	pdol, err := tlv.ParseDOL(p.Applications[0].PDOL)
	require.NoError(t, err)
	r = mustExchange(t, card, apdu.GetProcessingOptions(make([]byte, pdol.Len())))
	require.Equal(t, apdu.SWOK, r.SW)
	r = mustExchange(t, card, apdu.ReadRecord(2, 1))
	require.Equal(t, apdu.SWOK, r.SW)
	tr, err := tlv.Parse(r.Data)
	require.NoError(t, err)
	l := tr.List()
	require.Len(t, l, 1)
	var body []byte
	for _, e := range l[0].Children {
		v := e.Value
		if e.Tag == 0x8E {
			v = mustHex("0000000000000000" + "1E00")
		}
		body = tlv.AppendTLV(body, e.Tag, v)
	}
	return tlv.AppendTLV(nil, 0x70, body)
}

func mustExchange(t *testing.T, card *emvtest.Card, c apdu.Command) apdu.Response {
	t.Helper()
	r, err := apdu.Exchange(context.Background(), card, c)
	require.NoError(t, err)
	return r
}
