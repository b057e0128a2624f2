package emv_test

import (
	"testing"

	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
)

// runUnrecorded runs each scenario on the virtual card and asserts it, as
// runScenarios does, without a session file: these scenarios pin rules
// whose exact bytes the table states.
func runUnrecorded(t *testing.T, table []scenario) {
	t.Helper()
	for _, sc := range table {
		t.Run(sc.name, func(t *testing.T) {
			res, err, card := sc.run(t)
			sc.assert(t, res, err, card)
		})
	}
}

// atTerminal sets the Terminal Type and the cash capability (9F40 byte 1
// bit 8) of the test terminal.
func atTerminal(typ byte, cash bool) func(c *emv.Config) {
	return func(c *emv.Config) {
		c.TerminalType = typ
		c.AdditionalCapabilities = [5]byte{0x00, 0x00, 0xF0, 0xA0, 0x01}
		if cash {
			c.AdditionalCapabilities[0] = 0x80
		}
	}
}

// Book 3 §10.4.2 with Book 4 Annex A1: only Terminal Types 14, 15 and 16
// with the cash capability are ATMs. A bank teller's terminal (11 to 13)
// is "other than an ATM" even though it pays out cash.
func TestBook3_10_4_2_AUC_TellerTerminalIsNotATM(t *testing.T) {
	cash := &emv.Transaction{Type: emv.Cash, Amount: 1234}
	notAtATMs := func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FD00") } // everything but ATMs
	onlyAtATMs := func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FE00") }
	runUnrecorded(t, []scenario{
		{
			name: "Type12WithCash_CardNotValidAtATMs_Allowed",
			txn:  cash, config: atTerminal(0x12, true), profile: notAtATMs,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Type12WithCash_ATMOnlyCard_ServiceNotAllowed",
			txn:  cash, config: atTerminal(0x12, true), profile: onlyAtATMs,
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Type13WithCash_CardNotValidAtATMs_Allowed",
			txn:  cash, config: atTerminal(0x13, true), profile: notAtATMs,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Type15WithCash_CardNotValidAtATMs_ServiceNotAllowed",
			txn:  cash, config: atTerminal(0x15, true), profile: notAtATMs,
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Type16WithCash_ATMOnlyCard_Allowed",
			txn:  cash, config: atTerminal(0x16, true), profile: onlyAtATMs,
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Type14WithoutCash_IsNotATM_ATMOnlyCard_ServiceNotAllowed",
			txn:  cash, config: atTerminal(0x14, false), profile: onlyAtATMs,
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
	})
}

// lastCommand is the last command the trace holds, in hex.
func lastCommand(tr emv.Trace) string {
	if len(tr) == 0 {
		return ""
	}
	return hexOf(tr[len(tr)-1].Command)
}

// Book 2 §6.6.2 with Book 4 Annex A6: CDA fails on the ARQC of the first
// GENERATE AC; the terminal declines offline without going online, so the
// second GENERATE AC asks for an AAC with the terminal's own ARC Z1
// ("offline declined") in the CDOL2 data, as it does for a TC whose CDA
// failed, and the result carries Z1.
func TestBook2_6_6_CDAFailedOnARQC_SecondGenerateACCarriesZ1(t *testing.T) {
	host := approve()
	sc := scenario{
		txn:     txn(20000),
		host:    host,
		profile: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
		outcome: emv.Declined, tvr: "0400008000", tsi: "E800", cvm: "440302",
		cmds: cdaHead + " GAC90 GAC00",
	}
	res, err, card := sc.run(t)
	sc.assert(t, res, err, card)
	assert.Empty(t, host.reqs, "no authorisation request")
	assert.Equal(t, "Z1", res.ARC)
	// CDOL2: 8A ARC "Z1" (5A31), 9F02 200.00, 9F03 0, 9F1A 0840, 95 the
	// TVR, 5F2A 0840, 9A 260102, 9C 00, 9F37 11111111; P1 00 asks for an
	// AAC without CDA.
	assert.Equal(t, "80AE00001F"+"5A31"+"000000020000"+"000000000000"+"0840"+"0400008000"+"0840"+"260102"+"00"+"11111111"+"00",
		lastCommand(res.Trace), "second GENERATE AC")
}
