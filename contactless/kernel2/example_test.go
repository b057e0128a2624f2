package kernel2_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel2"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// A tap of the virtual Mastercard on a reader with Kernel 2: relay
// resistance is measured on a clock the virtual card advances by its 6.2
// ms answer time, and the card approves 20.00 offline with CDA.
func Example() {
	card := emvtest.NewCard(emvtest.MastercardOffline())
	now := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	card.SetSleep(func(_ context.Context, d time.Duration) error { now = now.Add(d); return nil })
	ep := &contactless.EntryPoint{
		Config: &contactless.Config{
			Country: 840, Currency: 840, CurrencyExponent: 2,
			Combinations: []contactless.CombinationConfig{{
				AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, Kernel: contactless.Kernel2,
				// Kernel Configuration 30, CVM Capability - No CVM Required
				// 08, Security Capability 08 (CDA), TAC-Online F45084800C.
				KernelData: []byte{0xDF, 0x81, 0x1B, 0x01, 0x30, 0xDF, 0x81, 0x19, 0x01, 0x08, 0xDF, 0x81, 0x1F, 0x01, 0x08,
					0xDF, 0x81, 0x22, 0x05, 0xF4, 0x50, 0x84, 0x80, 0x0C},
			}},
			CAKeys: card.KeyStore(),
			Time:   func() time.Time { return time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC) },
			Rand:   bytes.NewReader([]byte{0x11, 0x22, 0x33, 0x44}),
		},
		Kernels: map[contactless.KernelID]contactless.Kernel{
			contactless.Kernel2: kernel2.New(kernel2.Config{Clock: func() time.Time { return now }}),
		},
	}
	res, err := ep.Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Amount: 2000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome.Parameters)
	// Output:
	// Approved, CVM No CVM, UI on outcome [Approved, Not Ready, hold 1300 ms, language en], Data Record, Discretionary Data
}

// A tap of the virtual mag-stripe Mastercard (AIP 0000): Kernel 2 goes to
// mag-stripe mode, sends COMPUTE CRYPTOGRAPHIC CHECKSUM and asks to go
// online with Track 2 Data carrying CVC3, the Unpredictable Number
// (Numeric) and the ATC (printed masked, as anything a person reads); its
// discretionary data shows them: ATC 065, UN 54020 and CVC3 287 where the
// card's bitmaps put them, nUN 5 last.
func Example_magstripe() {
	card := emvtest.NewCard(emvtest.MastercardMagStripe())
	ep := &contactless.EntryPoint{
		Config: &contactless.Config{
			Country: 840, Currency: 840, CurrencyExponent: 2,
			Combinations: []contactless.CombinationConfig{{
				AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10}, Kernel: contactless.Kernel2,
				// Kernel Configuration 30, Mag-stripe CVM Capability - No
				// CVM Required 00 (No CVM).
				KernelData: []byte{0xDF, 0x81, 0x1B, 0x01, 0x30, 0xDF, 0x81, 0x2C, 0x01, 0x00},
			}},
			Time: func() time.Time { return time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC) },
			Rand: bytes.NewReader([]byte{0x11, 0x22, 0x33, 0x44}),
		},
		Kernels: map[contactless.KernelID]contactless.Kernel{contactless.Kernel2: kernel2.New(kernel2.Config{})},
	}
	res, err := ep.Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Amount: 2000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome.Parameters)
	t2, _ := tlv.Find(res.Outcome.DataRecord, 0x9F6B)
	fmt.Println(tlv.MaskTrack2(t2))
	t2 = t2[len(t2)-6:] // the discretionary data, after the PAN, expiry and service code
	fmt.Printf("%X\n", t2)
	// Output:
	// Online Request, CVM No CVM, UI on outcome [Authorising Please Wait, Not Ready, language en], Data Record, Discretionary Data
	// 541333******0087D*******************
	// 065542870205
}
