package cvm_test

import (
	"context"
	"fmt"

	"github.com/emvkit/emvkit/cvm"
)

// card answers GET DATA 9F17 with 3 tries; it is all this example's card
// is asked.
type card struct{}

func (card) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	return []byte{0x9F, 0x17, 0x01, 0x03, 0x90, 0x00}, nil
}

// bypassingPad is a PIN pad on which the cardholder presses "bypass".
type bypassingPad struct{}

func (bypassingPad) EnterOfflinePIN(_ context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	fmt.Println("prompt:", req)
	return cvm.PIN{}, cvm.ErrPINBypassed
}

func (bypassingPad) EnterOnlinePIN(context.Context, cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	return cvm.OnlinePINBlock{}, cvm.ErrPINBypassed
}

// The card prefers offline PIN, then signature, then no CVM. The cardholder
// bypasses PIN entry, so the terminal goes on to the signature (Book 3
// §10.5: bit 7 of the PIN rule).
func ExamplePerform() {
	in := cvm.Input{
		AIP: [2]byte{0x3C, 0x00},
		CVMList: []byte{
			0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // X, Y
			0x41, 0x03, // plaintext PIN by ICC, if terminal supports; else next
			0x1E, 0x03, // signature, if terminal supports
			0x1F, 0x03, // no CVM required, if terminal supports
		},
		TerminalCapabilities: [3]byte{0xE0, 0xB8, 0xC8},
		TerminalType:         0x22,
		Amount:               2500,
		TransactionCurrency:  [2]byte{0x09, 0x78},
		PINPad:               bypassingPad{},
	}
	res, err := cvm.Perform(context.Background(), card{}, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("CVM Results:", res.Results)
	fmt.Println("TVR:", res.TVR)
	fmt.Println("TSI:", res.TSI)
	fmt.Println("signature required:", res.SignatureRequired)
	for _, e := range res.Commands {
		fmt.Println("command:", e)
	}
	// Output:
	// prompt: offline plaintext PIN prompt, tries left 3
	// CVM Results: 1E0300 (Signature (paper); If terminal supports the CVM; unknown)
	// TVR: 0000080000 [PIN entry required, PIN pad present, but PIN was not entered]
	// TSI: 4000 [Cardholder verification was performed]
	// signature required: true
	// command: GET DATA 80CA9F17 Le=00 -> 9000 (success)
}

// A software PIN pad builds the format 0 block, enciphers it under its PIN
// key and hands the result over as a cvm.OnlinePINBlock; the kernel only
// carries it to the host. Neither the PIN nor the block is ever printed.
func ExamplePINBlock0() {
	pin, err := cvm.NewPIN([]byte("1234"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pin.Zero()
	block, err := cvm.PINBlock0(pin, "4012345678909")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer clear(block)
	fmt.Println(len(block), "bytes for", pin)
	// Output:
	// 8 bytes for [redacted]
}
