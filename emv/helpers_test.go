package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/require"
)

// testTime is the transaction time of every test: the virtual cards'
// applications are effective from 2020-01-01 and expire 2030-12-31.
var testTime = time.Date(2026, 1, 2, 10, 30, 0, 0, time.UTC)

// fixedRand is a deterministic random source: every byte is b. With 0x11
// the unpredictable number is 11111111 and the random transaction
// selection draws 18 (0x11 % 99 + 1).
type fixedRand byte

func (r fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// Terminal action codes of the test terminal (a common Visa set).
var (
	tacDenial  = tvr.TVR{0x00, 0x10, 0x00, 0x00, 0x00}
	tacOnline  = tvr.TVR{0xDC, 0x40, 0x04, 0xF8, 0x00}
	tacDefault = tvr.TVR{0xDC, 0x40, 0x00, 0xA8, 0x00}
)

// keyStore trusts the CA keys of card.
func keyStore(t testing.TB, card *emvtest.Card) *oda.KeyStore {
	ks := oda.NewKeyStore()
	for _, k := range card.CAPublicKeys() {
		require.NoError(t, ks.Add(k.CAKey()))
	}
	return ks
}

// testConfig is an attended, online-capable terminal in the United States
// (the Visa test profiles' country) with a floor limit of 100.00, the
// Visa TACs and the three AIDs of the built-in profiles.
func testConfig(t testing.TB, card *emvtest.Card) *emv.Config {
	floor := uint64(10000)
	return &emv.Config{
		Country:          840,
		Currency:         840,
		CurrencyExponent: 2,
		MerchantCategory: 5999,
		TerminalID:       "TERM0001",
		IFDSerial:        "IFD00001",
		Applications: []emv.Application{
			{AID: mustHex("A0000000031010")},
			{AID: mustHex("A0000000032010")},
			// The Mastercard-like cards carry version 0002 (per-AID
			// override of the terminal-wide 008C).
			{AID: mustHex("A0000000041010"), Params: emv.AppParams{Version: mustHex("0002")}},
		},
		AppParams: emv.AppParams{
			Version:    mustHex("008C"),
			FloorLimit: &floor,
			TACDenial:  &tacDenial,
			TACOnline:  &tacOnline,
			TACDefault: &tacDefault,
		},
		CAKeys: keyStore(t, card),
		Time:   func() time.Time { return testTime },
		Rand:   fixedRand(0x11),
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// pinPad answers each offline PIN prompt with the next entry of pins (a
// PIN, or "wrong", "bypass", "timeout", "broken", "cancel"), and every online PIN
// prompt with a fixed block. It records the prompts.
type pinPad struct {
	pins    []string
	prompts []cvm.PINRequest
}

func (p *pinPad) next() (string, error) {
	if len(p.pins) == 0 {
		return "", cvm.ErrPINBypassed
	}
	s := p.pins[0]
	p.pins = p.pins[1:]
	switch s {
	case "bypass":
		return "", cvm.ErrPINBypassed
	case "timeout":
		return "", cvm.ErrPINTimeout
	case "broken":
		return "", cvm.ErrPINPadNotWorking
	case "cancel":
		return "", cvm.ErrPINCancelled
	case "wrong":
		// A PIN that is none of the test cards' (session files name a
		// wrong PIN so, never by its digits).
		return "9999", nil
	}
	return s, nil
}

func (p *pinPad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	p.prompts = append(p.prompts, req)
	s, err := p.next()
	if err != nil {
		return cvm.PIN{}, err
	}
	return cvm.NewPIN([]byte(s))
}

func (p *pinPad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	p.prompts = append(p.prompts, req)
	if _, err := p.next(); err != nil {
		return cvm.OnlinePINBlock{}, err
	}
	return cvm.NewOnlinePINBlock(cvm.PINBlockFormat(0), mustHex("0412AC89ABCDEF67"), nil), nil
}

// fakeHost answers every authorisation the same way and records the
// requests.
type fakeHost struct {
	resp *emv.OnlineResponse
	err  error
	reqs []*emv.OnlineRequest
}

func (h *fakeHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	h.reqs = append(h.reqs, req)
	return h.resp, h.err
}

// display records the messages shown.
type display struct{ msgs []emv.Message }

func (d *display) Show(ctx context.Context, m emv.Message) { d.msgs = append(d.msgs, m) }

// selector chooses a fixed index and answers confirmations.
type selector struct {
	index   int
	confirm bool
	offered [][]emv.Candidate
	asked   []emv.Candidate
}

func (s *selector) Choose(ctx context.Context, c []emv.Candidate) (int, error) {
	s.offered = append(s.offered, c)
	return s.index, nil
}

func (s *selector) Confirm(ctx context.Context, c emv.Candidate) (bool, error) {
	s.asked = append(s.asked, c)
	return s.confirm, nil
}

// txLog is a transaction log with one previous amount for every card.
type txLog uint64

func (l txLog) RecentAmount(pan, psn []byte) (uint64, bool) { return uint64(l), true }

// selectedNames lists the DF names the trace SELECTed, in hex.
func selectedNames(tr emv.Trace) []string {
	var out []string
	for _, e := range tr {
		c, err := apdu.ParseCommand(e.Command)
		if err == nil && c.INS == apdu.InsSelect {
			out = append(out, fmt.Sprintf("%X/%02X", c.Data, c.P2))
		}
	}
	return out
}

func hexOf(b []byte) string { return fmt.Sprintf("%X", b) }

var _ = bytes.Equal

var errCancelledPIN = cvm.ErrPINCancelled

// CVM lists of the test cards, written here so the scenarios do not move
// when the built-in profiles change (Book 3 Annex C3: X, Y, then rules).
const (
	// enciphered offline PIN, online PIN, plaintext PIN, signature, no
	// CVM; each "if the terminal supports it", each "apply succeeding".
	cvmEncipheredFirst = "0000000000000000" + "4403" + "4203" + "4103" + "1E03" + "1F03"
	// plaintext offline PIN, online PIN, signature, no CVM.
	cvmPlaintextFirst = "0000000000000000" + "4103" + "4203" + "1E03" + "1F03"
)

// visaCDA is emvtest.VisaCDA with the CVM list fixed above.
func visaCDA() *emvtest.Profile {
	p := emvtest.VisaCDA()
	p.Applications[0].CVMList = mustHex(cvmEncipheredFirst)
	return p
}

// visaSDA is emvtest.VisaSDA with the CVM list fixed above.
func visaSDA() *emvtest.Profile {
	p := emvtest.VisaSDA()
	p.Applications[0].CVMList = mustHex(cvmPlaintextFirst)
	return p
}

func tlvTag(t uint32) tlv.Tag { return tlv.Tag(t) }

func itoa(n int) string { return fmt.Sprint(n) }

// issuerHost carries the kernel's authorisation request to a virtual
// issuer; tamper, if set, changes the issuer's answer on the way back.
type issuerHost struct {
	iss    *emvtest.Issuer
	tamper func(r *emv.OnlineResponse)
	reqs   []*emv.OnlineRequest
}

func (h *issuerHost) Authorise(ctx context.Context, req *emv.OnlineRequest) (*emv.OnlineResponse, error) {
	h.reqs = append(h.reqs, req)
	r, err := h.iss.Authorise(ctx, &emvtest.AuthorisationRequest{ICCData: req.ICCData, PAN: tlv.Digits(req.PAN()), PSN: tlv.Digits(req.PANSequence)})
	if err != nil {
		return nil, err
	}
	resp := &emv.OnlineResponse{Approved: r.Approved, ARC: string(r.ARC[:]), IssuerAuthData: r.IssuerAuthenticationData, Scripts: r.Scripts}
	if h.tamper != nil {
		h.tamper(resp)
	}
	return resp, nil
}
