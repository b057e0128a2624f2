package emvtest

import (
	"bytes"
	"io"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
)

// Cryptogram types in the Cryptogram Information Data and GENERATE AC P1
// (Book 3 §6.5.5.2, Table 14).
const (
	cidAAC  byte = 0x00
	cidTC   byte = 0x40
	cidARQC byte = 0x80
)

// appState is an application's persistent state (its counters and flags,
// kept across transactions and power cycles) and the transaction in
// progress.
type appState struct {
	perso      *persoApp
	records    map[recordID][]byte
	atc        uint16
	lastOnline uint16
	pin        PIN
	pinTries   int
	blocked    bool
	lcol, ucol int // -1: absent
	// data are the issuer-updatable data objects of the profile's
	// IssuerData, as PUT DATA left them.
	data []*issuerObject

	// Flags for the Card Verification Results of the next cryptograms.
	onlinePending   bool // last online transaction not completed
	lastAuthFailed  bool // issuer authentication failed on the last online transaction
	scriptCount     int  // issuer script commands processed in the last online transaction
	scriptFailed    bool
	pinBlockedByTry bool // the application blocked its PIN by the try limit

	// qVSDC (contactless) state.
	offline  int64  // Available Offline Spending Amount, -1 when the card has none
	seePhone int    // 6986 answers given
	lastARQC []byte // the last ARQC, for issuer update processing on a second tap

	// Torn transaction recovery (Book C-2): the DRDOL related values and
	// the response of the last first GENERATE AC, for RECOVER AC.
	lastGenACDRDOL []byte
	lastGenACResp  []byte
	// phoneAsked counts the GENERATE AC answered with DF4B (Application.PhoneConfirmation).
	phoneAsked int

	tx txState
}

// txState is the transaction in progress, reset by SELECT and power-on.
type txState struct {
	gpo        bool
	pdolData   []byte
	cdol1Data  []byte
	cdol1Vals  map[tlv.Tag][]byte
	acs        int    // GENERATE AC commands answered
	firstCID   byte   // cryptogram type of the first GENERATE AC
	ac         []byte // first application cryptogram
	issuerAuth int    // 0 not performed, 1 succeeded, 2 failed
	extAuth    bool   // EXTERNAL AUTHENTICATE received
	pinOK      bool   // offline PIN verified in this transaction
	pinFailed  bool   // a wrong offline PIN was presented
	pinDone    bool   // offline PIN verification performed
	resumed    bool   // qVSDC: issuer update on a second tap for the last ARQC
	// rrp is, after EXCHANGE RELAY RESISTANCE DATA, the relay resistance
	// data a CDA signature carries (Book C-2): terminal entropy, device
	// entropy, minimum and maximum processing times, estimated
	// transmission time.
	rrp []byte
	// lastIncomplete and lastAuthFailed are the card's flags about the
	// previous online transaction as they stood when this one began.
	lastIncomplete bool
	lastAuthFailed bool
}

func newAppState(pa *persoApp) *appState {
	a := pa.cfg
	s := &appState{
		perso:          pa,
		records:        make(map[recordID][]byte, len(pa.records)),
		atc:            uint16(a.ATC),
		lastOnline:     uint16(a.LastOnlineATC),
		pin:            a.PIN,
		pinTries:       a.PINTries,
		blocked:        a.Blocked,
		lcol:           -1,
		ucol:           -1,
		offline:        -1,
		onlinePending:  a.LastOnlineIncomplete,
		lastAuthFailed: a.LastIssuerAuthFailed,
	}
	if a.PINBlocked {
		s.pinTries = 0
	}
	if a.LCOL != nil {
		s.lcol = *a.LCOL
	}
	if a.UCOL != nil {
		s.ucol = *a.UCOL
	}
	if a.QVSDC != nil && a.QVSDC.AvailableOffline != nil {
		s.offline = int64(*a.QVSDC.AvailableOffline)
	}
	for k, v := range pa.records {
		s.records[k] = v
	}
	for _, d := range a.IssuerData {
		t, _ := d.tag() // validated with the profile
		s.data = append(s.data, &issuerObject{tag: t, value: append([]byte(nil), d.Value...), confidential: d.Confidential})
	}
	return s
}

// issuerObject is one data object of [Application.IssuerData] on the card.
type issuerObject struct {
	tag          tlv.Tag
	value        []byte
	confidential bool
}

// issuerData returns the issuer-updatable data object with the tag, or nil.
func (a *appState) issuerData(t tlv.Tag) *issuerObject {
	for _, d := range a.data {
		if d.tag == t {
			return d
		}
	}
	return nil
}

func swOnly(sw apdu.SW) apdu.Response { return apdu.Response{SW: sw} }

func ok(data []byte) apdu.Response { return apdu.Response{Data: data, SW: apdu.SWOK} }

// process answers one command (the card's lock is held).
func (c *Card) process(b []byte) []byte {
	cmd, err := apdu.ParseCommand(b)
	if err != nil {
		return swOnly(apdu.SWWrongLength).Bytes()
	}
	if cmd.INS == apdu.InsGetResponse && c.t0() {
		return c.getResponse(cmd).Bytes()
	}
	c.pending = nil
	r := c.dispatch(cmd)
	if c.t0() && len(r.Data) > 0 {
		switch {
		case len(cmd.Data) > 0 && r.SW.IsWarning():
			// case 4 with a warning: the warning now, the data for GET
			// RESPONSE (Book 1 Annex A7).
			c.pending = apdu.Response{Data: r.Data, SW: apdu.SWOK}.Bytes()
			return []byte{r.SW.SW1(), r.SW.SW2()}
		case len(cmd.Data) > 0: // case 4: 61xx then GET RESPONSE (Book 1 §9.3.1.3)
			c.pending = r.Bytes()
			return []byte{0x61, byte(len(r.Data))}
		case cmd.Le != len(r.Data): // case 2 with the wrong Le: 6Cxx (Book 1 §9.3.1.2)
			return []byte{0x6C, byte(len(r.Data))}
		}
	}
	return r.Bytes()
}

func (c *Card) t0() bool { return c.profile.Protocol == "T=0" && c.profile.T0Procedures }

func (c *Card) getResponse(cmd apdu.Command) apdu.Response {
	p := c.pending
	if p == nil || cmd.CLA != 0x00 || cmd.P1 != 0 || cmd.P2 != 0 {
		c.pending = nil
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	n := len(p) - 2
	if cmd.Le != n && !(cmd.Le == 256 && n == 256) {
		return apdu.Response{SW: apdu.SW(0x6C00 | n&0xFF)}
	}
	c.pending = nil
	r, _ := apdu.ParseResponse(p)
	return r
}

// dispatch answers a command by its class and instruction (Book 3 §6.5,
// Book 1 §11).
func (c *Card) dispatch(cmd apdu.Command) apdu.Response {
	want := byte(0x00)
	switch cmd.INS {
	case apdu.InsGetProcessingOptions, apdu.InsGenerateAC, apdu.InsGetData, InsExchangeRelayResistanceData, InsRecoverAC, InsComputeCryptographicChecksum:
		want = 0x80
	case apdu.InsApplicationBlock, apdu.InsApplicationUnblock, apdu.InsCardBlock,
		apdu.InsPINChangeUnblock, apdu.InsPutData, apdu.InsUpdateRecord:
		want = claSMFormat2
	case apdu.InsSelect, apdu.InsReadRecord, apdu.InsInternalAuthenticate,
		apdu.InsExternalAuthenticate, apdu.InsGetChallenge, apdu.InsVerify:
	default:
		return swOnly(apdu.SWINSNotSupported)
	}
	// Card management commands come under secure messaging in either
	// format: CLA 84 (format 2) or 8C (format 1), Book 3 §6.5.
	if cmd.CLA != want && !(want == claSMFormat2 && cmd.CLA == claSMFormat1) {
		return swOnly(apdu.SWCLANotSupported)
	}
	if c.selected != nil && (cmd.INS == apdu.InsExternalAuthenticate || want == claSMFormat2) {
		c.selected.resumeOnline()
	}
	switch cmd.INS {
	case apdu.InsSelect:
		return c.selectFile(cmd)
	case apdu.InsReadRecord:
		return c.readRecord(cmd)
	case apdu.InsGetChallenge:
		return c.getChallenge(cmd)
	}
	a := c.selected
	if a == nil {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	switch cmd.INS {
	case apdu.InsGetProcessingOptions:
		return c.gpo(a, cmd)
	case apdu.InsGetData:
		return c.getData(a, cmd)
	case InsExchangeRelayResistanceData:
		return c.exchangeRelayResistanceData(a, cmd)
	case InsRecoverAC:
		return c.recoverAC(a, cmd)
	case InsComputeCryptographicChecksum:
		return c.computeCryptographicChecksum(a, cmd)
	case apdu.InsInternalAuthenticate:
		return c.internalAuthenticate(a, cmd)
	case apdu.InsVerify:
		return c.verify(a, cmd)
	case apdu.InsGenerateAC:
		if a.perso.cfg.QVSDC != nil {
			// A qVSDC application's cryptogram comes with GET PROCESSING
			// OPTIONS (Book C-3); it has no CDOL and no GENERATE AC.
			return swOnly(apdu.SWConditionsNotSatisfied)
		}
		r := c.generateAC(a, cmd)
		a.keepForRecovery(cmd, r)
		return r
	case apdu.InsExternalAuthenticate:
		return c.externalAuthenticate(a, cmd)
	default:
		return c.script(a, cmd)
	}
}

// selectFile answers SELECT by DF name, first or next occurrence
// (Book 1 §11.3, §12.3).
func (c *Card) selectFile(cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0x04 || (cmd.P2 != 0x00 && cmd.P2 != 0x02) {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if len(cmd.Data) == 0 || len(cmd.Data) > 16 {
		return swOnly(apdu.SWWrongLength)
	}
	if c.cardBlock {
		return swOnly(apdu.SWFunctionNotSupported)
	}
	c.selected, c.ddf = nil, nil
	name := cmd.Data
	next := cmd.P2 == 0x02
	p := c.profile
	if bytes.Equal(name, namePSE) || bytes.Equal(name, namePPSE) {
		c.nextName = nil
		switch {
		case bytes.Equal(name, namePSE) && p.Directory == DirectoryPSE:
			c.ddf = namePSE
			var prop []byte
			prop = tlv.AppendTLV(prop, 0x88, []byte{byte(p.DirectorySFI)})
			if l := p.Applications[0].LanguagePreference; l != "" {
				prop = tlv.AppendTLV(prop, 0x5F2D, []byte(l))
			}
			fci := tlv.AppendTLV(nil, 0x84, namePSE)
			fci = tlv.AppendTLV(fci, 0xA5, prop)
			return ok(tlv.AppendTLV(nil, 0x6F, fci))
		case bytes.Equal(name, namePPSE) && p.Directory == DirectoryPPSE:
			c.ddf = namePPSE
			var entries []byte
			for _, a := range c.apps {
				if inDirectory(a.perso.cfg) {
					entries = append(entries, directoryEntry(a.perso.cfg)...)
				}
			}
			fci := tlv.AppendTLV(nil, 0x84, namePPSE)
			fci = tlv.AppendTLV(fci, 0xA5, tlv.AppendTLV(nil, 0xBF0C, entries))
			return ok(tlv.AppendTLV(nil, 0x6F, fci))
		}
		return swOnly(apdu.SWFileNotFound)
	}
	start := 0
	if next && bytes.Equal(name, c.nextName) {
		start = c.nextIndex + 1
	}
	c.nextName = append(c.nextName[:0], name...)
	for i := start; i < len(c.apps); i++ {
		a := c.apps[i]
		aid := a.perso.cfg.AID
		partial := a.perso.cfg.PartialSelection == nil || *a.perso.cfg.PartialSelection
		if !bytes.Equal(aid, name) && !(partial && len(name) < len(aid) && bytes.HasPrefix(aid, name)) {
			continue
		}
		c.nextIndex = i
		c.selected = a
		a.tx = txState{}
		if a.blocked {
			return apdu.Response{Data: a.perso.fci, SW: apdu.SWWarningSelectedFileInvalidated}
		}
		return ok(a.perso.fci)
	}
	c.nextIndex = len(c.apps)
	return swOnly(apdu.SWFileNotFound)
}

func inDirectory(a *Application) bool { return a.InDirectory == nil || *a.InDirectory }

// readRecord answers READ RECORD of one record of a short file
// (Book 1 §11.2, Book 3 §6.5.11).
func (c *Card) readRecord(cmd apdu.Command) apdu.Response {
	if cmd.P2&0x07 != 0x04 || cmd.P2>>3 == 0 || cmd.P1 == 0 {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if len(cmd.Data) > 0 {
		return swOnly(apdu.SWWrongLength)
	}
	sfi, rec := cmd.P2>>3, cmd.P1
	switch {
	case bytes.Equal(c.ddf, namePSE):
		if int(sfi) != c.profile.DirectorySFI {
			return swOnly(apdu.SWFileNotFound)
		}
		var listed []*Application
		for _, a := range c.apps {
			if inDirectory(a.perso.cfg) {
				listed = append(listed, a.perso.cfg)
			}
		}
		if int(rec) > len(listed) {
			return swOnly(apdu.SWRecordNotFound)
		}
		return ok(tlv.AppendTLV(nil, 0x70, directoryEntry(listed[rec-1])))
	case c.selected != nil:
		if r, found := c.selected.records[recordID{sfi, rec}]; found {
			return ok(r)
		}
		for id := range c.selected.records {
			if id.sfi == sfi {
				return swOnly(apdu.SWRecordNotFound)
			}
		}
		return swOnly(apdu.SWFileNotFound)
	}
	return swOnly(apdu.SWCommandNotAllowed)
}

// getChallenge answers an 8-byte unpredictable number (Book 3 §6.5.6).
func (c *Card) getChallenge(cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || cmd.P2 != 0 || len(cmd.Data) > 0 {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	un, good := c.random(8)
	if !good {
		return swOnly(apdu.SWNoPreciseDiagnosis)
	}
	c.challenge = un
	return ok(append([]byte(nil), un...))
}

// random reads n bytes from the card's source of randomness; when it fails
// (a test's reader ran dry) the command answers 6F00.
func (c *Card) random(n int) ([]byte, bool) {
	b := make([]byte, n)
	if _, err := io.ReadFull(c.rand, b); err != nil {
		return nil, false
	}
	return b, true
}

// gpo answers GET PROCESSING OPTIONS (Book 3 §6.5.8): it checks the
// PDOL-related data, starts the transaction and increments the ATC.
func (c *Card) gpo(a *appState, cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if a.tx.gpo || a.perso.cfg.GPORefused {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	if a.perso.cfg.QVSDC != nil {
		return c.gpoQVSDC(a, cmd)
	}
	t, v, err := tlv.Single(cmd.Data)
	if err != nil || t != 0x83 {
		return swOnly(apdu.SWIncorrectData)
	}
	if len(v) != a.perso.pdol.Len() {
		return swOnly(apdu.SWWrongLength)
	}
	if a.atc == 0xFFFF {
		return swOnly(apdu.SWConditionsNotSatisfied) // ATC exhausted: the application cannot transact
	}
	a.atc++
	a.tx.gpo = true
	a.tx.lastIncomplete = a.onlinePending
	a.tx.lastAuthFailed = a.lastAuthFailed
	a.tx.pdolData = append([]byte(nil), v...)
	aip, afl := a.perso.cfg.AIP, a.perso.afl
	if a.perso.cfg.GPOFormat == 2 {
		var d []byte
		d = tlv.AppendTLV(d, 0x82, aip)
		d = tlv.AppendTLV(d, 0x94, afl)
		return ok(tlv.AppendTLV(nil, 0x77, d))
	}
	return ok(tlv.AppendTLV(nil, 0x80, append(append([]byte(nil), aip...), afl...)))
}

// logFormat is the Log Format (9F4F) answered when the application has a
// log entry: date, time, amount, currency, ATC, transaction type.
var logFormat = mustHex("9A039F21039F02065F2A029F36029C01")

// getData answers GET DATA for the counters a terminal asks for
// (Book 3 §6.5.7).
func (c *Card) getData(a *appState, cmd apdu.Command) apdu.Response {
	tag := tlv.Tag(cmd.P1)<<8 | tlv.Tag(cmd.P2)
	if q := a.perso.cfg.QVSDC; tag == 0x9F79 && q != nil && q.UnionPay && a.offline >= 0 {
		// A QuickPass application spends its offline approvals from its
		// electronic cash: its EC Balance is its Available Offline
		// Spending Amount 9F5D, as the last transaction left it.
		return ok(tlv.AppendTLV(nil, tag, bcd6(uint64(a.offline))))
	}
	var v []byte
	switch tag {
	case 0x9F36:
		v = []byte{byte(a.atc >> 8), byte(a.atc)}
	case 0x9F13:
		v = []byte{byte(a.lastOnline >> 8), byte(a.lastOnline)}
	case 0x9F17:
		if a.pin == "" {
			return swOnly(apdu.SWReferencedDataNotFound)
		}
		v = []byte{byte(a.pinTries)}
	case 0x9F4F:
		if len(a.perso.cfg.LogEntry) == 0 {
			return swOnly(apdu.SWReferencedDataNotFound)
		}
		v = logFormat
	case 0x9F14:
		if a.lcol < 0 {
			return swOnly(apdu.SWReferencedDataNotFound)
		}
		v = []byte{byte(a.lcol)}
	case 0x9F23:
		if a.ucol < 0 {
			return swOnly(apdu.SWReferencedDataNotFound)
		}
		v = []byte{byte(a.ucol)}
	default:
		// A confidential object is not given out in clear.
		d := a.issuerData(tag)
		if d == nil || d.confidential {
			return swOnly(apdu.SWReferencedDataNotFound)
		}
		v = d.value
	}
	return ok(tlv.AppendTLV(nil, tag, v))
}

// internalAuthenticate signs dynamic data for DDA (Book 2 §6.5, Book 3
// §6.5.9): the ICC Dynamic Data is an 8-byte ICC Dynamic Number.
func (c *Card) internalAuthenticate(a *appState, cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || cmd.P2 != 0 {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if !a.perso.hasICC || a.perso.cfg.AIP[0]&aipDDA == 0 {
		return swOnly(apdu.SWConditionsNotSatisfied)
	}
	dn, good := c.random(8)
	if !good {
		return swOnly(apdu.SWNoPreciseDiagnosis)
	}
	iccDD := append([]byte{8}, dn...)
	sdad := signedDynamicData(a.perso.chain.icc, iccDD, cmd.Data, a.perso.cfg.Faults.BadSDAD)
	if a.perso.cfg.DDAFormat == 2 {
		return ok(tlv.AppendTLV(nil, 0x77, tlv.AppendTLV(nil, 0x9F4B, sdad)))
	}
	return ok(tlv.AppendTLV(nil, 0x80, sdad))
}

// verify checks an offline PIN, plaintext (P2 80) or enciphered (P2 88)
// (Book 3 §6.5.12, Book 2 §7.2).
func (c *Card) verify(a *appState, cmd apdu.Command) apdu.Response {
	if cmd.P1 != 0 || (cmd.P2 != apdu.VerifyPlaintextPIN && cmd.P2 != apdu.VerifyEncipheredPIN) {
		return swOnly(apdu.SWIncorrectP1P2)
	}
	if a.pin == "" {
		return swOnly(apdu.SWReferencedDataNotFound)
	}
	if a.pinTries == 0 {
		return swOnly(apdu.SWAuthenticationBlocked)
	}
	var block []byte
	if cmd.P2 == apdu.VerifyPlaintextPIN {
		if len(cmd.Data) != 8 {
			return swOnly(apdu.SWWrongLength)
		}
		block = cmd.Data
	} else if a.perso.odeKey != nil {
		// Book 2 §13.3: an XDA card deciphers under its ECC key for ODE.
		un := c.challenge
		c.challenge = nil
		block = a.perso.odeKey.decipherPIN(cmd.Data, un)
		defer clear(block)
	} else {
		key := a.perso.pinKey
		if key == nil {
			return swOnly(apdu.SWConditionsNotSatisfied)
		}
		if len(cmd.Data) != key.size() {
			return swOnly(apdu.SWWrongLength)
		}
		// Book 2 §7.2: the recovered block is 7F || PIN block || ICC
		// Unpredictable Number || random padding. A wrong header or an
		// unpredictable number other than the last GET CHALLENGE's means
		// PIN verification failed: it counts as a wrong PIN.
		plain := key.private(cmd.Data)
		defer clear(plain)
		un := c.challenge
		c.challenge = nil
		if plain[0] == 0x7F && un != nil && bytes.Equal(plain[9:17], un) {
			block = plain[1:9]
		}
	}
	a.tx.pinDone = true
	if pin, valid := pinFromBlock(block); valid && PIN(pin) == a.pin {
		a.pinTries = a.perso.cfg.PINTryLimit
		a.tx.pinOK = true
		a.tx.pinFailed = false
		return swOnly(apdu.SWOK)
	}
	a.pinTries--
	a.tx.pinFailed = true
	if a.pinTries == 0 {
		a.pinBlockedByTry = true
	}
	return swOnly(apdu.SW(0x63C0 | a.pinTries))
}

// pinFromBlock reads an ISO 9564 format 2 PIN block: 2, the PIN length N
// (4 to 12), N digits, F fill (Book 3 §6.5.12).
func pinFromBlock(b []byte) (string, bool) {
	if len(b) != 8 || b[0]>>4 != 2 {
		return "", false
	}
	n := int(b[0] & 0x0F)
	if n < 4 || n > 12 {
		return "", false
	}
	digits := make([]byte, 0, 14)
	for _, x := range b[1:] {
		digits = append(digits, x>>4, x&0x0F)
	}
	pin := make([]byte, n)
	for i, d := range digits {
		switch {
		case i < n && d > 9, i >= n && d != 0x0F:
			return "", false
		case i < n:
			pin[i] = '0' + d
		}
	}
	return string(pin), true
}
