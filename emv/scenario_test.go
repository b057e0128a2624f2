package emv_test

import (
	"context"
	"errors"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scenario is one whole transaction on the virtual card and everything it
// must leave: outcome (or the typed error and the step it stopped in), TVR,
// TSI, CVM Results and the exact sequence of commands.
type scenario struct {
	name    string
	base    func() *emvtest.Profile // default emvtest.VisaCDA
	profile func(p *emvtest.Profile)
	card    func(c *emvtest.Card)
	config  func(c *emv.Config)
	txn     *emv.Transaction // default: purchase of 12.34
	pins    []string         // default: the right PIN once
	noPad   bool
	host    *fakeHost
	sel     *selector
	log     emv.TransactionLog
	onList  bool // card on the exception file

	outcome emv.Outcome
	err     error
	step    emv.Step
	tvr     string
	tsi     string
	cvm     string
	cmds    string
	check   func(t *testing.T, r *emv.Result, card *emvtest.Card)

	// record makes the run one of the recorded sessions of
	// testdata/sessions/virtual (runRecorded); about says what it proves
	// when its name does not.
	record bool
	about  string
}

// Command sequences of the common flows, to keep the table readable.
const (
	// visa-cda up to the first GENERATE AC: PSE, directory, final SELECT,
	// GPO, four records, offline enciphered PIN (PTC, challenge, VERIFY),
	// velocity (ATC, last online ATC).
	cdaHead = "SEL RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13"
	// visa-sda up to the first GENERATE AC, offline plaintext PIN.
	sdaHead = "SEL RR RR SEL GPO RR RR RR RR GD9F17 VFY GD9F36 GD9F13"
)

func approve() *fakeHost { return &fakeHost{resp: &emv.OnlineResponse{Approved: true, ARC: "00"}} }
func decline() *fakeHost { return &fakeHost{resp: &emv.OnlineResponse{Approved: false, ARC: "05"}} }
func offline() *fakeHost { return &fakeHost{err: emv.ErrUnableToGoOnline} }

func (sc *scenario) run(t *testing.T) (*emv.Result, error, *emvtest.Card) {
	base := sc.base
	if base == nil {
		base = visaCDA
	}
	p := base()
	if sc.profile != nil {
		sc.profile(p)
	}
	card := emvtest.NewCard(p)
	if sc.card != nil {
		sc.card(card)
	}
	cfg := testConfig(t, card)
	if sc.config != nil {
		sc.config(cfg)
	}
	txn := emv.Transaction{Amount: 1234, SequenceCounter: 1}
	if sc.txn != nil {
		txn = *sc.txn
	}
	term := &emv.Terminal{TransactionLog: sc.log}
	if !sc.noPad {
		pins := sc.pins
		if pins == nil {
			pins = []string{"1234"}
		}
		term.PINPad = &pinPad{pins: pins}
	}
	if sc.host != nil {
		term.Host = sc.host
	}
	if sc.sel != nil {
		term.Selector = sc.sel
	}
	if sc.onList {
		term.ExceptionFile = func(pan, psn []byte) bool { return true }
	}
	if sc.record {
		res, err := runRecorded(t, card, cfg, txn, term, sc.about)
		return res, err, card
	}
	res, err := emv.Run(context.Background(), card, cfg, txn, term)
	return res, err, card
}

func (sc *scenario) assert(t *testing.T, res *emv.Result, err error, card *emvtest.Card) {
	t.Helper()
	require.NotNil(t, res)
	if sc.err != nil {
		require.Error(t, err)
		assert.ErrorIs(t, err, sc.err)
		var te *emv.TerminatedError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, sc.step, te.Step, "step")
	} else {
		require.NoError(t, err)
	}
	assert.Equal(t, sc.outcome, res.Outcome, "outcome")
	assert.Equal(t, sc.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
	assert.Equal(t, sc.tsi, hexOf(res.TSI[:]), "TSI %s", res.TSI)
	assert.Equal(t, sc.cvm, hexOf(res.CVMResults[:]), "CVM Results")
	assert.Equal(t, sc.cmds, res.Trace.Compact(), "commands")
	if sc.check != nil {
		sc.check(t, res, card)
	}
}

func runScenarios(t *testing.T, table []scenario) {
	t.Helper()
	for _, sc := range table {
		t.Run(sc.name, func(t *testing.T) {
			sc.record = true
			res, err, card := sc.run(t)
			sc.assert(t, res, err, card)
		})
	}
}

func txn(amount uint64) *emv.Transaction {
	return &emv.Transaction{Amount: amount, SequenceCounter: 1}
}

// Outcomes of Book 3 §10.7 to §10.11.
func TestOutcomes(t *testing.T) {
	runScenarios(t, []scenario{
		{
			name:    "Book3_10_8_OfflineApprovalUnderFloorLimit",
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Y1", r.ARC)
				assert.Equal(t, byte(0x40), r.CID&0xC0)
				assert.Len(t, r.AC, 8)
				assert.Equal(t, emv.CDA, r.ODA)
			},
		},
		{
			name:    "Book3_10_7_FloorLimitExceeded_UnableToGoOnline_DefaultActionDeclines",
			txn:     txn(20000),
			outcome: emv.DeclinedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Z3", r.ARC)
			},
		},
		{
			name: "Book3_10_7_FloorLimitExceeded_UnableToGoOnline_DefaultActionApproves",
			txn:  txn(20000),
			profile: func(p *emvtest.Profile) {
				p.Applications[0].IACDefault = mustHex("0000000000")
			},
			config: func(c *emv.Config) {
				c.TACDefault = &tvr.TVR{}
			},
			outcome: emv.ApprovedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Y3", r.ARC)
			},
		},
		{
			name: "Book3_10_7_HostUnreachable_IsUnableToGoOnline",
			txn:  txn(20000), host: offline(),
			outcome: emv.DeclinedUnableOnline, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
		},
		{
			name: "Book3_10_9_OnlineApproval_NoIssuerAuthenticationData",
			txn:  txn(20000), host: approve(),
			outcome: emv.OnlineApproved, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "00", r.ARC)
			},
		},
		{
			name: "Book3_10_9_OnlineDecline",
			txn:  txn(20000), host: decline(),
			outcome: emv.OnlineDeclined, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "05", r.ARC)
				assert.Equal(t, byte(0x00), r.CID&0xC0)
			},
		},
		{
			name: "Book3_10_8_CardDeclinesAtFirstGenerateAC",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].Risk.Decision = emvtest.DecideDecline
			},
			outcome: emv.Declined, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Z1", r.ARC)
				assert.Equal(t, byte(0x00), r.CID&0xC0)
			},
		},
		{
			name: "Book3_10_8_CardAsksOnlineForATC_OnlineApproved",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].Risk.Decision = emvtest.DecideOnline
			},
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50 GAC50",
		},
		{
			name: "Book3_10_7_OfflineOnlyTerminal_FloorLimitExceeded_DefaultDeclines",
			txn:  txn(20000),
			config: func(c *emv.Config) {
				c.TerminalType = 0x23
			},
			outcome: emv.Declined, tvr: "0000008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name:    "Book3_10_7_OnlineOnlyTerminal_AsksARQCUnderFloorLimit",
			config:  func(c *emv.Config) { c.TerminalType = 0x21 },
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name:    "Book3_10_7_OnlineOnlyTerminal_DenialStillDeclines",
			config:  func(c *emv.Config) { c.TerminalType = 0x21 },
			profile: func(p *emvtest.Profile) { p.Applications[0].AUC = mustHex("FE00") },
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
		{
			name: "Book3_10_7_MissingIACs_TakeBookDefaults",
			profile: func(p *emvtest.Profile) {
				a := &p.Applications[0]
				a.IACDenial, a.IACOnline, a.IACDefault = nil, nil, nil
			},
			config: func(c *emv.Config) {
				c.TACDenial, c.TACOnline, c.TACDefault = nil, nil, nil
			},
			// No TVR bit is set, so even the all-ones online IAC matches
			// nothing: TC with CDA.
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
		},
		{
			name: "Book3_10_7_MissingIACOnline_AllOnes_SendsAnyTVRBitOnline",
			txn:  &emv.Transaction{Amount: 1234, SequenceCounter: 1, ForceOnline: true},
			profile: func(p *emvtest.Profile) {
				a := &p.Applications[0]
				a.IACOnline = nil
			},
			config: func(c *emv.Config) {
				c.TACOnline = nil
			},
			host:    approve(),
			outcome: emv.OnlineApproved, tvr: "0000000800", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC50",
		},
		{
			name: "Book3_10_7_DenialCodesMatch_AACRequested",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AUC = mustHex("FE00") // not valid at terminals other than ATMs
			},
			outcome: emv.Declined, tvr: "0010000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC00",
		},
	})
}

// Offline data authentication, Book 3 §10.3 and Book 2.
func TestOfflineDataAuthentication(t *testing.T) {
	cdaHost := approve()
	runScenarios(t, []scenario{
		{
			name:    "Book3_10_3_SDA_Success",
			base:    visaSDA,
			outcome: emv.Approved, tvr: "0200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, emv.SDA, r.ODA)
			},
		},
		{
			name:    "Book3_10_3_SDA_BadSignature_SDAFailed",
			base:    visaSDA,
			profile: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSSAD = true },
			// SDA failed matches the online action codes: ARQC, and
			// unable to go online the default codes decline.
			outcome: emv.DeclinedUnableOnline, tvr: "4200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC80 GAC00",
		},
		{
			name: "Book3_10_3_SDA_SSADMissing_ICCDataMissing",
			base: visaSDA,
			card: func(c *emvtest.Card) {
				c.Inject(emvtest.Fault{Match: emvtest.OnRecord(3, 2), Corrupt: emvtest.DropTag, Tag: 0x93})
			},
			outcome: emv.DeclinedUnableOnline, tvr: "6200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC80 GAC00",
		},
		{
			name: "Book2_5_3_SDA_IssuerCertificateRevoked",
			base: visaSDA,
			config: func(c *emv.Config) {
				k := c.CAKeys.Keys()[0]
				c.CAKeys.Revoke(k.RID, k.Index, [3]byte{0, 0, 1})
			},
			outcome: emv.DeclinedUnableOnline, tvr: "4200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC80 GAC00",
		},
		{
			name:    "Book3_10_3_SDATagListNotAIP_SDAFailed",
			base:    visaSDA,
			profile: func(p *emvtest.Profile) { p.Applications[0].SDATagList = mustHex("5F24") },
			outcome: emv.DeclinedUnableOnline, tvr: "4200000000", tsi: "E800", cvm: "410302",
			cmds: sdaHead + " GAC80 GAC00",
		},
		{
			name: "Book3_10_3_DDA_Success",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AIP = mustHex("3C00") // DDA, no CDA
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC40",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, emv.DDA, r.ODA)
			},
		},
		{
			name: "Book3_10_3_DDA_BadSignature_DDAFailed",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AIP = mustHex("3C00")
				p.Applications[0].Faults.BadSDAD = true
			},
			outcome: emv.DeclinedUnableOnline, tvr: "0800000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name: "Book3_10_3_DDA_InternalAuthenticateRefused_DDAFailed",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AIP = mustHex("3C00")
			},
			card:    func(c *emvtest.Card) { c.AnswerSW(apdu.InsInternalAuthenticate, apdu.SWConditionsNotSatisfied) },
			outcome: emv.DeclinedUnableOnline, tvr: "0800000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name: "Book2_6_5_DDA_NoDDOLAnywhere_ICCDataMissing",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AIP = mustHex("3C00")
				p.Applications[0].DDOL = nil
			},
			config:  func(c *emv.Config) { c.DefaultDDOL = []byte{} },
			outcome: emv.DeclinedUnableOnline, tvr: "2800000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name: "Book2_6_5_DDA_DefaultDDOLUsedWhenCardHasNone",
			profile: func(p *emvtest.Profile) {
				p.Applications[0].AIP = mustHex("3C00")
				p.Applications[0].DDOL = nil
			},
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC40",
		},
		{
			name:    "Book2_6_6_CDA_BadSignatureOnTC_Declined",
			profile: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
			outcome: emv.Declined, tvr: "0400000000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC50",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Equal(t, "Z1", r.ARC)
			},
		},
		{
			name:    "Book2_6_6_CDA_BadSignatureOnARQC_SecondGenerateACAsksAAC",
			txn:     txn(20000),
			host:    cdaHost,
			profile: func(p *emvtest.Profile) { p.Applications[0].Faults.BadSDAD = true },
			outcome: emv.Declined, tvr: "0400008000", tsi: "E800", cvm: "440302",
			cmds: cdaHead + " GAC90 GAC00",
			check: func(t *testing.T, r *emv.Result, _ *emvtest.Card) {
				assert.Empty(t, cdaHost.reqs, "no authorisation request")
			},
		},
		{
			name:    "Book2_6_3_CDA_IssuerCertificateExpired_CDAFailedBeforeGenerateAC",
			profile: func(p *emvtest.Profile) { p.Applications[0].Faults.IssuerCertExpiry = "0120" },
			// CDA is not requested once it has failed (Book 3 §10.7); the
			// ICC key cannot encipher the PIN either, so online PIN is
			// the CVM (Book 2 §7.1).
			outcome: emv.DeclinedUnableOnline, tvr: "0400040000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name:   "Book2_6_2_CDA_CAKeyUnknown_CDAFailed",
			config: func(c *emv.Config) { c.CAKeys = nil },
			// Without the key the ICC key for enciphered PIN is unknown
			// too: the next CVM, online PIN, is performed.
			outcome: emv.DeclinedUnableOnline, tvr: "0400040000", tsi: "E800", cvm: "420300",
			cmds: "SEL RR RR SEL GPO RR RR RR RR GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name:    "Book3_10_3_NoCommonMethod_ODANotPerformed",
			config:  func(c *emv.Config) { c.Capabilities = [3]byte{0xE0, 0xF8, 0x00} },
			outcome: emv.DeclinedUnableOnline, tvr: "8000000000", tsi: "6800", cvm: "440302",
			cmds: cdaHead + " GAC80 GAC00",
		},
		{
			name:    "Book3_10_3_CardSupportsNoODA_ODANotPerformed",
			profile: func(p *emvtest.Profile) { p.Applications[0].AIP = mustHex("1C00") },
			// The card has no key records: no enciphered PIN, online PIN.
			outcome: emv.DeclinedUnableOnline, tvr: "8000040000", tsi: "6800", cvm: "420300",
			cmds: "SEL RR RR SEL GPO RR RR GD9F36 GD9F13 GAC80 GAC00",
		},
		{
			name:    "Book3_10_3_CDAPreferredOverDDAAndSDA",
			profile: func(p *emvtest.Profile) { p.Applications[0].AIP = mustHex("7D00") },
			// One more record: the SSAD.
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR RR GD9F17 GC VFY GD9F36 GD9F13 GAC50",
		},
		{
			name:    "Book3_10_3_TerminalWithoutCDA_FallsBackToDDA",
			config:  func(c *emv.Config) { c.Capabilities = [3]byte{0xE0, 0xF8, 0xC0} },
			outcome: emv.Approved, tvr: "0000000000", tsi: "E800", cvm: "440302",
			cmds: "SEL RR RR SEL GPO RR RR RR RR IA GD9F17 GC VFY GD9F36 GD9F13 GAC40",
		},
	})
}

// errIs is a helper for scenarios' err fields.
var _ = errors.Is
