package cvm

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bioCommand is the command the fake biometric solution sends the card to
// have a sample matched: a proprietary class byte, as a solution outside
// the EMV core would use; the data stands for an enciphered sample.
const bioCommand = "80EE000004B10B1CD0"

// fakeBiometric is a scripted BiometricDevice. Offline, it sends
// bioCommand to the card and turns the card's answer into a verdict: 9000
// matched, 63Cx (x > 0) not matched, 63C0 or 6983 try limit reached.
type fakeBiometric struct {
	t      *testing.T
	err    error  // returned instead of a result
	online []byte // CaptureOnline's data
	reqs   []BiometricRequest
	cmdErr error // the error Transmit returned, if any
}

func (d *fakeBiometric) VerifyOffline(ctx context.Context, card apdu.Transceiver, req BiometricRequest) (BiometricVerdict, error) {
	d.reqs = append(d.reqs, req)
	if d.err != nil {
		return 0, d.err
	}
	cmd, _ := hex.DecodeString(bioCommand)
	raw, err := card.Transmit(ctx, cmd)
	if err != nil {
		d.cmdErr = err
		return 0, err
	}
	r, err := apdu.ParseResponse(raw)
	if err != nil {
		return 0, err
	}
	switch n, ok := r.SW.VerifyTriesLeft(); {
	case r.SW == apdu.SWOK:
		return BiometricMatched, nil
	case ok && n > 0:
		return BiometricNotMatched, nil
	case ok, r.SW == apdu.SWAuthenticationBlocked:
		return BiometricTryLimitReached, nil
	}
	return BiometricNotMatched, nil
}

func (d *fakeBiometric) CaptureOnline(ctx context.Context, req BiometricRequest) (OnlineBiometric, error) {
	d.reqs = append(d.reqs, req)
	if d.err != nil {
		return OnlineBiometric{}, d.err
	}
	return NewOnlineBiometric(d.online), nil
}

// allBio is 9F33 byte 2 with every CVM of 4.3 plus online and offline
// biometric (EMV 4.4 Book 4 Annex A2).
const allBio = 0xF8 | CapOnlineBiometric | CapOfflineBiometric

// EMV 4.4 Book 3 §10.5, Annex C3 and C5: the biometric CVMs 06 to 0F, the
// terminal that supports them through its BiometricDevice, and the one
// that does not.
func TestPerformBiometric(t *testing.T) {
	cvNotOK := tvr.CardholderVerificationNotSuccessful
	matched := cardStep{cmd: bioCommand, resp: "9000"}
	refused := cardStep{cmd: bioCommand, resp: "63C2"}
	limit := cardStep{cmd: bioCommand, resp: "6983"}
	tests := []struct {
		performCase
		dev     *fakeBiometric // nil: no device
		caps    byte           // 9F33 byte 2
		wantReq []BiometricRequest
		onlineB string
	}{
		{performCase: performCase{name: "Book 3 10.5 offline finger biometric matched by the ICC", list: noAmounts + "0800",
			card: []cardStep{matched}, results: "080002", ok: true, tvr: []tvr.Bit{tvr.BiometricPerformedSuccessful}},
			dev: &fakeBiometric{}, caps: allBio,
			wantReq: []BiometricRequest{{Code: FingerBiometricOffline, Type: Finger, Amount: 1000, Currency: [2]byte{0x09, 0x78}}}},
		{performCase: performCase{name: "Book 3 10.5 offline facial biometric not matched, bit 7 goes on to signature", list: noAmounts + "46001E00",
			card: []cardStep{refused}, results: "1E0000", ok: true, sig: true},
			dev: &fakeBiometric{}, caps: allBio},
		{performCase: performCase{name: "Book 3 10.5 offline iris biometric not matched fails cardholder verification", list: noAmounts + "0C00",
			card: []cardStep{refused}, results: "0C0001", tvr: []tvr.Bit{cvNotOK}},
			dev: &fakeBiometric{}, caps: allBio},
		{performCase: performCase{name: "Annex C5 biometric try limit exceeded", list: noAmounts + "0A00",
			card: []cardStep{limit}, results: "0A0001", tvr: []tvr.Bit{tvr.BiometricTryLimitExceeded, cvNotOK}},
			dev: &fakeBiometric{}, caps: allBio},
		{performCase: performCase{name: "Book 3 10.5 online palm biometric captured for the issuer", list: noAmounts + "0B00",
			results: "0B0000", ok: true, tvr: []tvr.Bit{tvr.OnlineCVMCaptured}},
			dev: &fakeBiometric{online: []byte{0xB1, 0x0B}}, caps: allBio, onlineB: "B10B",
			wantReq: []BiometricRequest{{Code: PalmBiometricOnline, Type: Palm, Amount: 1000, Currency: [2]byte{0x09, 0x78}}}},
		{performCase: performCase{name: "Annex C5 online voice biometric, device returns nothing: not working", list: noAmounts + "0F00",
			results: "3F0001", tvr: []tvr.Bit{tvr.BiometricCaptureDeviceNotWorking, cvNotOK}},
			dev: &fakeBiometric{}, caps: allBio},
		{performCase: performCase{name: "Annex C5 biometric entry bypassed, bit 7 goes on", list: noAmounts + "48001F00",
			results: "1F0002", ok: true, tvr: []tvr.Bit{tvr.BiometricSubtypeBypassed}},
			dev: &fakeBiometric{err: ErrBiometricBypassed}, caps: allBio},
		{performCase: performCase{name: "Annex C5 device not working", list: noAmounts + "0800",
			results: "3F0001", tvr: []tvr.Bit{tvr.BiometricCaptureDeviceNotWorking, cvNotOK}},
			dev: &fakeBiometric{err: ErrBiometricDeviceNotWorking}, caps: allBio},
		{performCase: performCase{name: "Annex C5 an unnamed device failure is the device not working", list: noAmounts + "0900",
			results: "3F0001", tvr: []tvr.Bit{tvr.BiometricCaptureDeviceNotWorking, cvNotOK}},
			dev: &fakeBiometric{err: errors.New("sensor unplugged")}, caps: allBio},
		{performCase: performCase{name: "Annex C5 selected biometric type not supported", list: noAmounts + "0E00",
			results: "3F0001", tvr: []tvr.Bit{tvr.BiometricTypeNotSupported, cvNotOK}},
			dev: &fakeBiometric{err: ErrBiometricTypeNotSupported}, caps: allBio},
		{performCase: performCase{name: "Annex C5 biometric template format not supported", list: noAmounts + "0600",
			results: "3F0001", tvr: []tvr.Bit{tvr.BiometricTemplateFormatNotSupported, cvNotOK}},
			dev: &fakeBiometric{err: ErrBiometricTemplateFormatNotSupported}, caps: allBio},
		{performCase: performCase{name: "Book 3 10.5 biometric capability but no device: capture device not working", list: noAmounts + "0800",
			results: "3F0001", tvr: []tvr.Bit{tvr.BiometricCaptureDeviceNotWorking, cvNotOK}},
			caps: allBio},
		{performCase: performCase{name: "Book 3 10.5 recognised but not supported: no Unrecognised CVM, bit 7 goes on", list: noAmounts + "48001F00",
			results: "1F0002", ok: true},
			dev: &fakeBiometric{}, caps: 0xF8},
		{performCase: performCase{name: "Book 3 10.5 recognised but not supported, no bit 7: verification fails without a TVR bit for the CVM", list: noAmounts + "0800",
			results: "3F0001", tvr: []tvr.Bit{cvNotOK}},
			dev: &fakeBiometric{}, caps: 0xF8},
		{performCase: performCase{name: "Book 4 A2 offline biometric bit does not cover an online biometric CVM", list: noAmounts + "4D001F00",
			results: "1F0002", ok: true},
			dev: &fakeBiometric{}, caps: 0xF8 | CapOfflineBiometric},
		{performCase: performCase{name: "Annex C3 condition 03 skips an unsupported biometric CVM", list: noAmounts + "08031F00",
			results: "1F0002", ok: true},
			dev: &fakeBiometric{}, caps: 0xF8 | CapOnlineBiometric},
		{performCase: performCase{name: "Annex C3 condition 03 applies a supported biometric CVM", list: noAmounts + "0803",
			card: []cardStep{matched}, results: "080302", ok: true, tvr: []tvr.Bit{tvr.BiometricPerformedSuccessful}},
			dev: &fakeBiometric{}, caps: 0xF8 | CapOfflineBiometric},
		{performCase: performCase{name: "Book 3 10.5 cancelled at the biometric prompt", list: noAmounts + "0800",
			err: ErrBiometricCancelled},
			dev: &fakeBiometric{err: ErrBiometricCancelled}, caps: allBio},
		{performCase: performCase{name: "Book 3 10.5 card removed under the device's command", list: noAmounts + "0800",
			card: []cardStep{{cmd: bioCommand, err: apdu.ErrCardRemoved}}, err: apdu.ErrCardRemoved},
			dev: &fakeBiometric{}, caps: allBio},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var dev BiometricDevice
			if tc.dev != nil {
				tc.dev.t = t
				dev = tc.dev
			}
			caps := tc.caps
			tc.mod = func(in *Input) {
				in.TerminalCapabilities[1] = caps
				in.Biometric = dev
			}
			res, card, _ := runPerform(t, tc.performCase)
			if tc.wantReq != nil {
				assert.Equal(t, tc.wantReq, tc.dev.reqs)
			}
			if tc.onlineB != "" {
				assert.Equal(t, unhex(t, tc.onlineB), res.OnlineBiometric.Bytes())
			} else {
				assert.True(t, res.OnlineBiometric.IsZero())
			}
			// The device's commands are recorded with their data
			// redacted.
			for i, e := range res.Commands {
				if e.Command.INS == 0xEE {
					assert.Nil(t, e.Command.Data)
					assert.Equal(t, len(card.sent[i])-5, e.DataLen)
					assert.Contains(t, e.String(), "[4 bytes redacted]")
					assert.NotContains(t, e.String(), "B10B1CD0")
				}
			}
			if tc.err != nil && errors.Is(tc.err, apdu.ErrCardRemoved) {
				// The device saw the failure, and Perform stopped on it.
				assert.ErrorIs(t, tc.dev.cmdErr, apdu.ErrCardRemoved)
			}
		})
	}
}

// A device that swallows the card's failure does not hide it: Perform
// stops with the card's error all the same.
func TestPerformBiometricFatalErrorSticks(t *testing.T) {
	in := baseInput(t, noAmounts+"48001F00")
	in.TerminalCapabilities[1] = allBio
	in.Biometric = swallowing{}
	card := &fakeCard{t: t, steps: []cardStep{{cmd: bioCommand, err: apdu.ErrCardRemoved}}}
	_, err := Perform(context.Background(), card, in)
	require.ErrorIs(t, err, apdu.ErrCardRemoved)
	var ce *Error
	require.ErrorAs(t, err, &ce)
	assert.True(t, strings.HasPrefix(err.Error(), "cvm: "), err.Error())
	assert.Equal(t, 1, card.n, "the second command never reached the card")
}

type swallowing struct{}

func (swallowing) VerifyOffline(ctx context.Context, card apdu.Transceiver, _ BiometricRequest) (BiometricVerdict, error) {
	cmd, _ := hex.DecodeString(bioCommand)
	_, _ = card.Transmit(ctx, cmd)
	if _, err := card.Transmit(ctx, cmd); err == nil {
		return 0, errors.New("second command went through")
	}
	return BiometricMatched, nil
}

func (swallowing) CaptureOnline(context.Context, BiometricRequest) (OnlineBiometric, error) {
	return OnlineBiometric{}, nil
}

// Biometric data never prints.
func TestOnlineBiometricRedacted(t *testing.T) {
	b := NewOnlineBiometric([]byte{0xB1, 0x0B, 0x1C})
	for _, s := range []string{fmt.Sprint(b), fmt.Sprintf("%v %s %x %X %q %+v", b, b, b, b, b, b), fmt.Sprintf("%#v", b), b.String()} {
		assert.NotContains(t, strings.ToUpper(s), "B10B")
		assert.Contains(t, s, "[redacted]")
	}
	assert.Equal(t, "cvm.OnlineBiometric{[redacted]}", fmt.Sprintf("%#v", b))
	txt, err := b.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[redacted]", string(txt))
	var sb strings.Builder
	slog.New(slog.NewTextHandler(&sb, nil)).Info("x", "bio", b)
	assert.NotContains(t, strings.ToUpper(sb.String()), "B10B")
	assert.Equal(t, []byte{0xB1, 0x0B, 0x1C}, b.Bytes())
	b.Zero()
	assert.True(t, b.IsZero())
	assert.Nil(t, b.Bytes())
	assert.True(t, OnlineBiometric{}.IsZero())
	assert.Equal(t, "finger biometric (offline) prompt, CVM 08", BiometricRequest{Code: FingerBiometricOffline, Type: Finger}.String())
	assert.Equal(t, "matched", BiometricMatched.String())
}
