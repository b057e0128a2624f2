package cvm

import (
	"bytes"
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
)

// staticCard answers every command at once: 9F17 = 3 to GET DATA, 9000 to
// VERIFY.
type staticCard struct{}

func (staticCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) > 1 && cmd[1] == apdu.InsGetData {
		return []byte{0x9F, 0x17, 0x01, 0x03, 0x90, 0x00}, nil
	}
	return []byte{0x90, 0x00}, nil
}

// staticPad enters 1234.
type staticPad struct{}

func (staticPad) EnterOfflinePIN(context.Context, PINRequest) (PIN, error) {
	return NewPIN([]byte("1234"))
}

func (staticPad) EnterOnlinePIN(context.Context, PINRequest) (OnlinePINBlock, error) {
	return NewOnlinePINBlock(Format0, []byte{1, 2, 3, 4, 5, 6, 7, 8}, nil), nil
}

func BenchmarkParseList(b *testing.B) {
	l := unhex(b, "000000000000000042010204440301030200")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseList(l); err != nil {
			b.Fatal(err)
		}
	}
}

// staticBiometric matches every offline sample after one command to the
// card, and captures every online one.
type staticBiometric struct{}

func (staticBiometric) VerifyOffline(ctx context.Context, card apdu.Transceiver, _ BiometricRequest) (BiometricVerdict, error) {
	if _, err := card.Transmit(ctx, []byte{0x80, 0xEE, 0x00, 0x00, 0x02, 0xB1, 0x0B}); err != nil {
		return 0, err
	}
	return BiometricMatched, nil
}

func (staticBiometric) CaptureOnline(context.Context, BiometricRequest) (OnlineBiometric, error) {
	return NewOnlineBiometric([]byte{0xB1, 0x0B}), nil
}

func benchPerform(b *testing.B, list string, caps byte) {
	in := Input{
		AIP:                  [2]byte{AIPCardholderVerification, 0},
		CVMList:              unhex(b, list),
		TerminalCapabilities: [3]byte{0xE0, caps, 0xC8},
		TerminalType:         0x22,
		Amount:               1000,
		PINPad:               staticPad{},
		Biometric:            staticBiometric{},
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := Perform(context.Background(), staticCard{}, in)
		if err != nil || !res.Successful {
			b.Fatal(err, res.Results)
		}
	}
}

// Signature after three skipped rules (the terminal has no offline PIN):
// no card command.
func BenchmarkPerformSignature(b *testing.B) {
	benchPerform(b, "00000000000000000101040141031E03", 0x68)
}

// Offline plaintext PIN: GET DATA 9F17 and VERIFY.
func BenchmarkPerformOfflinePIN(b *testing.B) { benchPerform(b, "000000000000000041031E03", 0xB8) }

// Offline finger biometric (EMV 4.4 code 08): one device command.
func BenchmarkPerformOfflineBiometric(b *testing.B) {
	benchPerform(b, "000000000000000048031E03", 0xBA)
}

func BenchmarkPINBlock0(b *testing.B) {
	p, _ := NewPIN([]byte("1234"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PINBlock0(p, "5555555551234567"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPINBlock2(b *testing.B) {
	p, _ := NewPIN([]byte("1234"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PINBlock2(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncipherPINBlock4(b *testing.B) {
	p, _ := NewPIN([]byte("1234"))
	key := make([]byte, 16)
	r := bytes.NewReader(nil)
	rnd := make([]byte, 8)
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(rnd)
		if _, err := EncipherPINBlock4(key, p, "1234567890123456789", r); err != nil {
			b.Fatal(err)
		}
	}
}
