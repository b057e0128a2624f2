package emv_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// biometricDevice is a terminal's biometric capture device as a test
// wants it: a fixed offline verdict, fixed online data, or an error. It
// records the requests.
type biometricDevice struct {
	verdict cvm.BiometricVerdict
	online  []byte
	err     error
	reqs    []cvm.BiometricRequest
}

func (d *biometricDevice) VerifyOffline(_ context.Context, _ apdu.Transceiver, req cvm.BiometricRequest) (cvm.BiometricVerdict, error) {
	d.reqs = append(d.reqs, req)
	return d.verdict, d.err
}

func (d *biometricDevice) CaptureOnline(_ context.Context, req cvm.BiometricRequest) (cvm.OnlineBiometric, error) {
	d.reqs = append(d.reqs, req)
	if d.err != nil {
		return cvm.OnlineBiometric{}, d.err
	}
	return cvm.NewOnlineBiometric(d.online), nil
}

// EMV 4.4 Book 3 §10.5 and Annex C3/C5 on the whole kernel: a card whose
// CVM List starts with a biometric CVM, at a terminal with a biometric
// device, at one that declares none, and at one whose device fails.
func TestBiometricCVM(t *testing.T) {
	tests := []struct {
		name    string
		list    string // CV Rules after X and Y
		caps    [3]byte
		dev     *biometricDevice
		outcome emv.Outcome
		tvr     string
		cvm     string
		hostBio string // what the host got as OnlineBiometric, hex
		sig     bool
	}{
		{
			// 0903 online finger biometric, if supported. The issuer
			// verifies it: outcome unknown, "Online CVM captured" (TVR
			// byte 3 bit 3), which the Visa online TAC sends online.
			name: "Book3_10_5_OnlineFingerBiometric_CapturedForTheIssuer",
			list: "4903" + "1E03", caps: [3]byte{0xE0, 0xFC, 0xC8},
			dev:     &biometricDevice{online: mustHex("B10B1C")},
			outcome: emv.OnlineApproved, tvr: "0000048000", cvm: "490300", hostBio: "B10B1C",
		},
		{
			// 0800 offline finger biometric, matched by the card: TVR
			// byte 2 bit 2 "Biometric performed and successful".
			name: "Book3_10_5_OfflineFingerBiometric_Matched",
			list: "4800" + "1E03", caps: [3]byte{0xE0, 0xFA, 0xC8},
			dev:     &biometricDevice{verdict: cvm.BiometricMatched},
			outcome: emv.OnlineApproved, tvr: "0002008000", cvm: "480002",
		},
		{
			// The terminal recognises 48 (EMV 4.4) but declares no
			// biometric capability: not "Unrecognised CVM"; bit 7 lets
			// the signature rule apply.
			name: "Book3_10_5_BiometricRecognisedNotSupported_NextRule",
			list: "4800" + "1E03", caps: [3]byte{0xE0, 0xF8, 0xC8},
			dev:     &biometricDevice{verdict: cvm.BiometricMatched},
			outcome: emv.OnlineApproved, tvr: "0000008000", cvm: "1E0300", sig: true,
		},
		{
			// A payment system CVM the terminal does not know: the
			// "Unrecognised CVM" bit, then the signature rule.
			name: "Book3_10_5_UnrecognisedCVM_NotABiometricOne",
			list: "6000" + "1E03", caps: [3]byte{0xE0, 0xFE, 0xC8},
			dev:     &biometricDevice{verdict: cvm.BiometricMatched},
			outcome: emv.OnlineApproved, tvr: "0000408000", cvm: "1E0300", sig: true,
		},
		{
			// The device is declared but broken: TVR byte 3 bit 2.
			name: "Book3_10_5_BiometricDeviceNotWorking",
			list: "4800" + "1E03", caps: [3]byte{0xE0, 0xFA, 0xC8},
			dev:     &biometricDevice{err: cvm.ErrBiometricDeviceNotWorking},
			outcome: emv.OnlineApproved, tvr: "0000028000", cvm: "1E0300", sig: true,
		},
		{
			// The card refused the sample and has no tries left: TVR
			// byte 4 bit 3; the rule says fail cardholder verification.
			name: "Book3_10_5_BiometricTryLimitExceeded_VerificationFails",
			list: "0800" + "1E03", caps: [3]byte{0xE0, 0xFA, 0xC8},
			dev:     &biometricDevice{verdict: cvm.BiometricTryLimitReached},
			outcome: emv.OnlineApproved, tvr: "0000808400", cvm: "080001",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := visaCDA()
			p.Applications[0].CVMList = mustHex("0000000000000000" + tc.list)
			card := emvtest.NewCard(p)
			cfg := testConfig(t, card)
			cfg.Capabilities = tc.caps
			h := &issuerHost{iss: emvtest.IssuerFor(card)}
			term := &emv.Terminal{PINPad: &pinPad{}, Host: h, Biometric: tc.dev}
			res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 20000, SequenceCounter: 7}, term)
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, tc.tvr, hexOf(res.TVR[:]), "TVR %s", res.TVR)
			assert.Equal(t, tc.cvm, hexOf(res.CVMResults[:]), "CVM Results %s", res.CVMResults)
			assert.Equal(t, tc.sig, res.SignatureRequired)
			require.Len(t, h.reqs, 1)
			assert.Equal(t, tc.hostBio, hexOf(h.reqs[0].OnlineBiometric.Bytes()))
			assert.NotContains(t, fmt.Sprintf("%+v", h.reqs[0]), "B10B1C", "biometric data never prints")
		})
	}
}
