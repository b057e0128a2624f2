package emvtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/tlv"
)

// ErrIssuerUnreachable is returned by [Issuer.Authorise] when the issuer is
// set unreachable: the terminal is unable to go online.
var ErrIssuerUnreachable = errors.New("emvtest: issuer unreachable")

// ErrAuthorisationRequest reports an authorisation request the issuer
// cannot read (a missing or malformed data object).
var ErrAuthorisationRequest = errors.New("emvtest: bad authorisation request")

// Authorisation Response Codes (8A) the issuer answers by default: "00"
// approved, "05" do not honour (ISO 8583 codes in ASCII, as Book 4 §6.3.6
// carries them).
var (
	ARCApproved = [2]byte{'0', '0'}
	ARCDeclined = [2]byte{'0', '5'}
	// ARCIncorrectPIN is ISO 8583 response code 55, "incorrect PIN": the
	// issuer's answer to an online PIN block that does not hold the
	// cardholder's PIN.
	ARCIncorrectPIN = [2]byte{'5', '5'}
)

// DefaultPINKey is the key the virtual issuer shares with the terminal's
// PIN pad for online PIN blocks (ISO 9564-1; Book 3 §10.5.2 leaves the
// PIN block and its key to the terminal and the acquirer): AES-128 for
// format 4, double-length TDES for format 0. It is public and protects
// nothing.
var DefaultPINKey = []byte{
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF,
}

// DefaultOnlinePIN is the PIN the issuer of [IssuerFor] holds for an
// application without an offline PIN.
const DefaultOnlinePIN = "1234"

// AuthorisationRequest is what a terminal sends the issuer: the ICC data of
// an ISO 8583 field 55 and, optionally, the PAN and PSN from elsewhere in
// the message.
type AuthorisationRequest struct {
	// ICCData is a TLV list holding at least the ARQC (9F26), the ATC
	// (9F36), the IAD (9F10), the AIP (82) and the terminal data the
	// cryptogram covers (9F02, 9F03, 9F1A, 95, 5F2A, 9A, 9C, 9F37; one
	// absent counts as zeros, as on the card).
	ICCData []byte
	// PAN and PSN (digits) override 5A and 5F34 in ICCData.
	PAN string
	PSN string
	// PINBlock is the enciphered online PIN block (ISO 8583 field 52) in
	// PINFormat (ISO 9564-1 format 0 or 4), nil when the cardholder
	// entered no online PIN. The issuer never keeps it ([Issuer.Requests]
	// returns requests without it).
	PINBlock  []byte
	PINFormat cvm.PINBlockFormat
}

// Decision is what an issuer rule decides for one request.
type Decision struct {
	Approve bool
	// ARC is the Authorisation Response Code; zero means ARCApproved or
	// ARCDeclined according to Approve.
	ARC [2]byte
	// CSU is the Card Status Update of ARPC method 2 (Book 2 §8.2.2); nil
	// means 00 80 00 00 when approving ("issuer approves online
	// transaction") and 00 00 00 00 when declining.
	CSU []byte
	// Scripts are the issuer scripts to send back (71 before and 72 after
	// the final GENERATE AC).
	Scripts []Script
}

// Rule decides an authorisation. arqcValid reports whether the ARQC
// verified. The default rule approves exactly the requests whose ARQC
// verifies.
type Rule func(req *AuthorisationRequest, arqcValid bool) Decision

// ApproveValid is the default rule: approve when the ARQC verifies.
func ApproveValid(_ *AuthorisationRequest, arqcValid bool) Decision {
	return Decision{Approve: arqcValid}
}

// DeclineAll declines every request (the ARPC is still valid).
func DeclineAll(*AuthorisationRequest, bool) Decision { return Decision{} }

// ApproveUpTo approves requests with a valid ARQC and an Amount,
// Authorised (9F02) of at most limit (in the currency's minor unit).
func ApproveUpTo(limit uint64) Rule {
	return func(req *AuthorisationRequest, arqcValid bool) Decision {
		v, _ := tlv.Find(req.ICCData, 0x9F02)
		return Decision{Approve: arqcValid && bcdValue(v) <= limit}
	}
}

func bcdValue(b []byte) uint64 {
	var n uint64
	for _, x := range b {
		n = n*100 + uint64(x>>4)*10 + uint64(x&0x0F)
	}
	return n
}

// AuthorisationResponse is the issuer's answer.
type AuthorisationResponse struct {
	Approved  bool
	ARQCValid bool
	ARC       [2]byte
	// IssuerAuthenticationData is the value of 91: ARPC || ARC (method 1)
	// or ARPC || CSU [|| Proprietary Authentication Data] (method 2).
	IssuerAuthenticationData []byte
	// Scripts holds the issuer script templates (71, 72) with their MACed
	// commands, as they go in field 55.
	Scripts []byte
	// ICCData is the response field 55: 91, 8A and the script templates.
	ICCData []byte
}

// IssuerConfig configures a virtual issuer. Zero values are defaults.
type IssuerConfig struct {
	// MasterKeys are the issuer master keys (default: the test keys of
	// [MasterKeys], the same as the built-in profiles').
	MasterKeys MasterKeys
	// ARPCMethod is 1 (default) or 2 (Book 2 §8.2); it must match the
	// card's profile.
	ARPCMethod int
	// ProprietaryAuthData is appended to method 2's ARPC and CSU (0 to 8
	// bytes).
	ProprietaryAuthData []byte
	// Encipherment is how confidential script data is enciphered; it must
	// match the card's profile (Book 2 §9.3).
	Encipherment Encipherment
	// Rule decides (default ApproveValid).
	Rule Rule
	// Delay is how long the issuer takes to answer; Sleep waits it out
	// (default: a timer that stops when the context ends).
	Delay time.Duration
	Sleep func(ctx context.Context, d time.Duration) error
	// Unreachable makes every request fail with ErrIssuerUnreachable.
	Unreachable bool
	// PIN is the cardholder's PIN the issuer checks online PIN blocks
	// against; "" means the issuer does not know it and leaves online PIN
	// blocks unchecked. PINKey is the key the blocks are enciphered under
	// (default [DefaultPINKey]).
	PIN    PIN
	PINKey []byte
	// Applications, when set, are the card's applications by AID (DF Name
	// 84 in the request): a request for one of them is answered with its
	// ARPC method, script encipherment and PIN instead of the fields
	// above. [IssuerFor] sets them from the card's profile.
	Applications []IssuerApplication
}

// IssuerApplication is what an issuer knows of one application of a card.
type IssuerApplication struct {
	AID          []byte
	ARPCMethod   int
	Encipherment Encipherment
	PIN          PIN
	// MagStripe is the application's mag-stripe personalisation (its
	// tracks and bitmaps), which the issuer keeps to verify the CVC3 of a
	// mag-stripe mode authorisation (see [Issuer.Authorise]); PSN is the
	// PAN Sequence Number its key derives with, which the tracks do not
	// carry. Nil: no mag-stripe mode.
	MagStripe *MagStripe
	PSN       string
}

// Issuer is a virtual issuer host: it checks ARQCs and answers ARPCs and
// issuer scripts (Book 2 §8, §9). It is safe for concurrent use.
type Issuer struct {
	mu       sync.Mutex
	cfg      IssuerConfig
	requests []AuthorisationRequest
}

// NewIssuer returns an issuer with the given configuration.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if cfg.MasterKeys.AC == nil {
		cfg.MasterKeys.AC = DefaultIMKAC
	}
	if cfg.MasterKeys.SMI == nil {
		cfg.MasterKeys.SMI = DefaultIMKSMI
	}
	if cfg.MasterKeys.SMC == nil {
		cfg.MasterKeys.SMC = DefaultIMKSMC
	}
	for _, k := range [][]byte{cfg.MasterKeys.AC, cfg.MasterKeys.SMI, cfg.MasterKeys.SMC} {
		if len(k) != 16 {
			return nil, fmt.Errorf("emvtest: issuer master keys must be 16 bytes")
		}
	}
	switch cfg.ARPCMethod {
	case 0:
		cfg.ARPCMethod = 1
	case 1, 2:
	default:
		return nil, fmt.Errorf("emvtest: ARPC method %d, want 1 or 2", cfg.ARPCMethod)
	}
	if len(cfg.ProprietaryAuthData) > 8 {
		return nil, fmt.Errorf("emvtest: proprietary authentication data of %d bytes, at most 8", len(cfg.ProprietaryAuthData))
	}
	if !cfg.Encipherment.valid() {
		return nil, fmt.Errorf("emvtest: script encipherment %q, want \"\", \"ecb\" or \"cbc\"", string(cfg.Encipherment))
	}
	for _, a := range cfg.Applications {
		if a.ARPCMethod != 1 && a.ARPCMethod != 2 {
			return nil, fmt.Errorf("emvtest: application %X: ARPC method %d, want 1 or 2", a.AID, a.ARPCMethod)
		}
		if !a.Encipherment.valid() {
			return nil, fmt.Errorf("emvtest: application %X: script encipherment %q, want \"\", \"ecb\" or \"cbc\"", a.AID, string(a.Encipherment))
		}
	}
	if cfg.PINKey == nil {
		cfg.PINKey = DefaultPINKey
	}
	if len(cfg.PINKey) != 16 {
		return nil, fmt.Errorf("emvtest: PIN key of %d bytes, want 16", len(cfg.PINKey))
	}
	if cfg.Rule == nil {
		cfg.Rule = ApproveValid
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleepContext
	}
	return &Issuer{cfg: cfg}, nil
}

// NewIssuerFromMasterKey returns an issuer whose AC master key is the given
// hex string (32 hex digits), for cards whose issuer master key is known:
// the virtual cards, or real test cards using Visa CVN 10, 18 or 22 or
// Mastercard CVN 16, 17, 20 or 21 (see schemeKeys). Its secure-messaging
// keys are the same key, so issuer scripts only work with cards
// personalised that way. ARPC method 1.
func NewIssuerFromMasterKey(acHex string) (*Issuer, error) {
	k, err := hex.DecodeString(strings.ReplaceAll(acHex, " ", ""))
	if err != nil || len(k) != 16 {
		return nil, fmt.Errorf("emvtest: issuer master key must be 32 hex digits")
	}
	return NewIssuer(IssuerConfig{MasterKeys: MasterKeys{AC: k, SMI: k, SMC: k}})
}

// IssuerFor returns an issuer for a card: its master keys and, for each
// application, the ARPC method, script encipherment and PIN (the
// offline PIN, or [DefaultOnlinePIN] for an application without one),
// chosen per request by the AID of the application selected (84 in the
// ICC data). A request without a known AID is answered as for the
// card's first application.
func IssuerFor(c *Card) *Issuer {
	p := c.profile
	cfg := IssuerConfig{MasterKeys: p.MasterKeys}
	for n, a := range p.Applications {
		pin := a.PIN
		if pin == "" {
			pin = DefaultOnlinePIN
		}
		ia := IssuerApplication{AID: bytes.Clone(a.AID), ARPCMethod: a.ARPCMethod, Encipherment: a.ScriptEncipherment, PIN: pin, MagStripe: a.MagStripe, PSN: p.PSN}
		if ia.ARPCMethod == 0 {
			ia.ARPCMethod = 1
		}
		if n == 0 {
			cfg.ARPCMethod, cfg.Encipherment, cfg.PIN = ia.ARPCMethod, ia.Encipherment, ia.PIN
		}
		cfg.Applications = append(cfg.Applications, ia)
	}
	i, err := NewIssuer(cfg)
	if err != nil {
		panic(err) // the profile's keys were validated
	}
	return i
}

// SetRule replaces the decision rule.
func (i *Issuer) SetRule(r Rule) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if r == nil {
		r = ApproveValid
	}
	i.cfg.Rule = r
}

// SetUnreachable makes the issuer unreachable (or reachable again).
func (i *Issuer) SetUnreachable(u bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.cfg.Unreachable = u
}

// SetDelay sets how long the issuer takes to answer.
func (i *Issuer) SetDelay(d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.cfg.Delay = d
}

// maxIssuerRequests bounds the requests an issuer keeps for Requests.
const maxIssuerRequests = 4096

// Requests returns copies of the requests received so far (the first
// 4096).
func (i *Issuer) Requests() []AuthorisationRequest {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]AuthorisationRequest, len(i.requests))
	for n, r := range i.requests {
		out[n] = AuthorisationRequest{ICCData: append([]byte(nil), r.ICCData...), PAN: r.PAN, PSN: r.PSN, PINFormat: r.PINFormat}
	}
	return out
}

// forApplication returns cfg with the ARPC method, script encipherment
// and PIN of the application the request names by its DF Name (84).
func (cfg IssuerConfig) forApplication(p *parsed) IssuerConfig {
	aid := p.vals[0x84]
	for _, a := range cfg.Applications {
		if len(aid) > 0 && bytes.Equal(a.AID, aid) {
			cfg.ARPCMethod, cfg.Encipherment, cfg.PIN = a.ARPCMethod, a.Encipherment, a.PIN
			break
		}
	}
	return cfg
}

// checkPIN reports whether the request's online PIN block holds the
// cardholder's PIN. A format 4 block is deciphered under the AES PIN key
// (ISO 9564-1 §9.4), a format 0 block under the double-length TDES key
// and then read with the PAN. Any other format, or a block that does not
// decode, is not the cardholder's PIN.
func (cfg IssuerConfig) checkPIN(req *AuthorisationRequest, pan string) bool {
	var (
		pin cvm.PIN
		err error
	)
	switch req.PINFormat {
	case cvm.Format4:
		pin, err = cvm.DecipherPINBlock4(cfg.PINKey, req.PINBlock, pan)
	case cvm.Format0:
		if len(req.PINBlock) != 8 {
			return false
		}
		var clearBlock []byte
		clearBlock, err = tdesDecrypt(cfg.PINKey, req.PINBlock)
		if err != nil {
			return false
		}
		pin, err = cvm.DecodePINBlock0(clearBlock, pan)
		clear(clearBlock)
	default:
		return false
	}
	if err != nil {
		return false
	}
	defer pin.Zero()
	want, err := cvm.NewPIN([]byte(cfg.PIN))
	if err != nil {
		return false
	}
	defer want.Zero()
	return pin.Equal(want)
}

// cardKeys holds one card's keys as the issuer derives them.
type cardKeys struct {
	mkAC, mkSMI, mkSMC []byte
}

func (i *Issuer) derive(pan, psn string) (*cardKeys, error) {
	var k cardKeys
	var err error
	if k.mkAC, err = deriveICCMasterKey(i.cfg.MasterKeys.AC, pan, psn); err != nil {
		return nil, err
	}
	if k.mkSMI, err = deriveICCMasterKey(i.cfg.MasterKeys.SMI, pan, psn); err != nil {
		return nil, err
	}
	if k.mkSMC, err = deriveICCMasterKey(i.cfg.MasterKeys.SMC, pan, psn); err != nil {
		return nil, err
	}
	return &k, nil
}

// parsed is the data of a request the issuer uses.
type parsed struct {
	pan, psn string
	ac       []byte
	atc      uint16
	vals     map[tlv.Tag][]byte
}

func parseRequest(req *AuthorisationRequest) (*parsed, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: no request", ErrAuthorisationRequest)
	}
	l, err := tlv.Parse(req.ICCData)
	if err != nil {
		return nil, fmt.Errorf("%w: ICC data: %v", ErrAuthorisationRequest, err)
	}
	p := &parsed{vals: map[tlv.Tag][]byte{}, pan: req.PAN, psn: req.PSN}
	for o := range l.All() {
		if _, dup := p.vals[o.Tag()]; !dup {
			p.vals[o.Tag()] = o.Value()
		}
	}
	if p.pan == "" {
		p.pan = strings.TrimRight(strings.ToUpper(hex.EncodeToString(p.vals[0x5A])), "F")
	}
	if p.psn == "" {
		if v := p.vals[0x5F34]; len(v) == 1 {
			p.psn = fmt.Sprintf("%02X", v[0])
		}
	}
	if !isDigits(p.pan) {
		return nil, fmt.Errorf("%w: no PAN (5A) or PAN not numeric", ErrAuthorisationRequest)
	}
	for _, need := range []struct {
		t tlv.Tag
		n int
	}{{0x9F26, 8}, {0x9F36, 2}, {0x82, 2}} {
		if len(p.vals[need.t]) != need.n {
			return nil, fmt.Errorf("%w: %s missing or not %d bytes", ErrAuthorisationRequest, need.t, need.n)
		}
	}
	if _, found := p.vals[0x9F10]; !found {
		return nil, fmt.Errorf("%w: 9F10 missing", ErrAuthorisationRequest)
	}
	p.ac = p.vals[0x9F26]
	p.atc = binary.BigEndian.Uint16(p.vals[0x9F36])
	return p, nil
}

// cryptogramKeys holds what one card's cryptograms are checked with.
type cryptogramKeys struct {
	ac   []byte // key of the application cryptogram
	arpc []byte // key of the ARPC
	in   []byte // cryptogram input, unpadded
	pad2 bool   // ISO 9797-1 padding method 2 (else method 1, zeros)
}

// Cryptogram Version Numbers the issuer knows, read from the Issuer
// Application Data. The card of this package writes Visa-format IAD with
// CVN 12 (18).
const (
	cvnVisa10 = 0x0A
	cvnVisa18 = 0x12
	cvnVisa22 = 0x16
	cvnMC16   = 0x10
	cvnMC17   = 0x11
	cvnMC20   = 0x14
	cvnMC21   = 0x15
)

// schemeKeys works out, from the IAD, how the card computed its
// cryptogram, so the issuer also serves real cards whose issuer master key
// is known (see [NewIssuerFromMasterKey]):
//
//   - Visa IAD (06 DKI CVN CVR...): CVN 10 MACs the terminal data, AIP,
//     ATC and the 4-byte CVR under the ICC master key with zero padding;
//     CVN 18 and 22 (and this package's card) MAC the terminal data, AIP,
//     ATC and the whole IAD under the EMV common session key (R = ATC ||
//     00..00) with padding method 2;
//   - Mastercard IAD (KDI CVN CVR(6) DAC(2) counters(8)): CVN 16 and 17
//     use the common session key with R = ATC || 00 00 || UN, CVN 20 and
//     21 with R = ATC || 00..00; the input ends with the CVR (and for 17
//     and 21 the counters); padding method 2; the ARPC key is the ICC
//     master key for 16 and 17.
//
// Anything else is taken as this package's card. The terminal data are
// 9F02, 9F03, 9F1A, 95, 5F2A, 9A, 9C and 9F37 (Book 2 Annex A1.2 and the
// schemes' published test cases).
func schemeKeys(k *cardKeys, p *parsed) (*cryptogramKeys, error) {
	in := appendTerminalData(make([]byte, 0, 64), func(t tlv.Tag) []byte { return p.vals[t] })
	in = append(in, p.vals[0x82]...)
	in = append(in, p.vals[0x9F36]...)
	iad := p.vals[0x9F10]
	csk, err := sessionKey(k.mkAC, acSessionKeyR(p.atc))
	if err != nil {
		return nil, err
	}
	ck := &cryptogramKeys{ac: csk, arpc: csk, pad2: true}
	switch {
	case len(iad) >= 7 && iad[0] == 0x06 && iad[2] == cvnVisa10:
		ck.ac, ck.arpc, ck.pad2 = k.mkAC, k.mkAC, false
		in = append(in, iad[3:7]...)
	case len(iad) >= 18 && iad[0] != 0x06 && (iad[1] == cvnMC16 || iad[1] == cvnMC17 || iad[1] == cvnMC20 || iad[1] == cvnMC21):
		cvn := iad[1]
		if cvn == cvnMC16 || cvn == cvnMC17 {
			un := p.vals[0x9F37]
			if len(un) != 4 {
				return nil, fmt.Errorf("%w: 9F37 missing or not 4 bytes", ErrAuthorisationRequest)
			}
			r := append([]byte{byte(p.atc >> 8), byte(p.atc), 0, 0}, un...)
			if ck.ac, err = sessionKey(k.mkAC, r); err != nil {
				return nil, err
			}
			ck.arpc = k.mkAC
		}
		in = append(in, iad[2:8]...)
		if cvn == cvnMC17 || cvn == cvnMC21 {
			in = append(in, iad[10:18]...)
		}
	default: // Visa CVN 18/22 and this package's card
		in = append(in, iad...)
	}
	ck.in = in
	return ck, nil
}

// expectedCryptogram recomputes the card's cryptogram from the request.
func expectedCryptogram(ck *cryptogramKeys) ([]byte, error) {
	if ck.pad2 {
		return mac(ck.ac, ck.in)
	}
	padded := append([]byte(nil), ck.in...)
	for len(padded)%8 != 0 {
		padded = append(padded, 0)
	}
	return retailMAC(ck.ac, padded)
}

// VerifyCryptogram reports whether the application cryptogram (9F26) in
// the ICC data is the one the card should have computed: ARQC, TC or AAC.
func (i *Issuer) VerifyCryptogram(req *AuthorisationRequest) (bool, error) {
	p, err := parseRequest(req)
	if err != nil {
		return false, err
	}
	i.mu.Lock()
	k, err := i.derive(p.pan, p.psn)
	i.mu.Unlock()
	if err != nil {
		return false, err
	}
	ck, err := schemeKeys(k, p)
	if err != nil {
		return false, err
	}
	want, err := expectedCryptogram(ck)
	if err != nil {
		return false, err
	}
	return bytes.Equal(want, p.ac), nil
}

// Authorise checks the ARQC, applies the rule and answers the ARC, the
// ARPC (Book 2 §8.2) and any issuer scripts (Book 2 §9, Book 3 §10.10).
// A request without an ARQC whose ICC data carries Track 2 Data (9F6B) is
// a mag-stripe mode authorisation (Book C-2): the issuer verifies the
// CVC3 in the tracks (see [Issuer.authoriseMagstripe]) and answers the
// ARC alone.
// It fails with ErrIssuerUnreachable when unreachable, with the context's
// error when ctx ends while the issuer is slow, and with
// ErrAuthorisationRequest for a request it cannot read.
func (i *Issuer) Authorise(ctx context.Context, req *AuthorisationRequest) (*AuthorisationResponse, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: no request", ErrAuthorisationRequest)
	}
	i.mu.Lock()
	cfg := i.cfg
	if len(i.requests) < maxIssuerRequests {
		i.requests = append(i.requests, AuthorisationRequest{ICCData: append([]byte(nil), req.ICCData...), PAN: req.PAN, PSN: req.PSN, PINFormat: req.PINFormat})
	}
	i.mu.Unlock()
	if cfg.Delay > 0 {
		if err := cfg.Sleep(ctx, cfg.Delay); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.Unreachable {
		return nil, ErrIssuerUnreachable
	}
	if ms, ok := magstripeRequest(req); ok {
		return i.authoriseMagstripe(req, ms, cfg)
	}
	p, err := parseRequest(req)
	if err != nil {
		return nil, err
	}
	k, err := i.derive(p.pan, p.psn)
	if err != nil {
		return nil, err
	}
	ck, err := schemeKeys(k, p)
	if err != nil {
		return nil, err
	}
	want, err := expectedCryptogram(ck)
	if err != nil {
		return nil, err
	}
	valid := bytes.Equal(want, p.ac)
	cfg = cfg.forApplication(p)
	var d Decision
	if len(req.PINBlock) > 0 && cfg.PIN != "" && !cfg.checkPIN(req, p.pan) {
		// An online PIN the issuer refuses declines the transaction
		// whatever the rule (Book 3 §10.5.2: the PIN is verified by the
		// issuer), with ISO 8583 response code 55.
		d = Decision{ARC: ARCIncorrectPIN}
	} else {
		d = cfg.Rule(req, valid)
	}
	resp := &AuthorisationResponse{Approved: d.Approve, ARQCValid: valid, ARC: d.ARC}
	if resp.ARC == [2]byte{} {
		resp.ARC = ARCDeclined
		if d.Approve {
			resp.ARC = ARCApproved
		}
	}
	sk := ck.arpc
	if cfg.ARPCMethod == 2 {
		var csu [4]byte
		switch {
		case d.CSU != nil:
			if len(d.CSU) != 4 {
				return nil, fmt.Errorf("emvtest: CSU of %d bytes, want 4", len(d.CSU))
			}
			copy(csu[:], d.CSU)
		case d.Approve:
			csu[1] = csuApprove
		}
		arpc, err := arpcMethod2(sk, p.ac, csu, cfg.ProprietaryAuthData)
		if err != nil {
			return nil, err
		}
		resp.IssuerAuthenticationData = append(append(arpc, csu[:]...), cfg.ProprietaryAuthData...)
	} else {
		arpc, err := arpcMethod1(sk, p.ac, resp.ARC)
		if err != nil {
			return nil, err
		}
		resp.IssuerAuthenticationData = append(arpc, resp.ARC[:]...)
	}
	for _, s := range d.Scripts {
		b, err := s.encode(k, p, cfg.Encipherment)
		if err != nil {
			return nil, err
		}
		resp.Scripts = append(resp.Scripts, b...)
	}
	resp.ICCData = tlv.AppendTLV(nil, 0x91, resp.IssuerAuthenticationData)
	resp.ICCData = tlv.AppendTLV(resp.ICCData, 0x8A, resp.ARC[:])
	resp.ICCData = append(resp.ICCData, resp.Scripts...)
	return resp, nil
}
