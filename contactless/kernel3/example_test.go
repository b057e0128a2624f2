package kernel3_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel3"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// A tap of the virtual Visa contactless card on a reader with Kernel 3:
// the card approves 10.00 offline with fDDA and its Available Offline
// Spending Amount is shown as the balance.
func Example() {
	card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
	limit := uint64(2500)
	ep := &contactless.EntryPoint{
		Config: &contactless.Config{
			Country: 840, Currency: 840, CurrencyExponent: 2,
			Combinations: []contactless.CombinationConfig{{
				AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03}, Kernel: contactless.Kernel3,
				TTQ: []byte{0x36, 0x00, 0xC0, 0x00}, ReaderCVMRequiredLimit: &limit,
			}},
			CAKeys: card.KeyStore(),
			Time:   func() time.Time { return time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC) },
			Rand:   bytes.NewReader([]byte{0x11, 0x22, 0x33, 0x44}),
		},
		Kernels: map[contactless.KernelID]contactless.Kernel{contactless.Kernel3: kernel3.New(kernel3.Config{})},
	}
	res, err := ep.Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Amount: 1000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome.Parameters)
	// Output:
	// Approved, CVM No CVM, UI on outcome [Approved, Card Read Successfully, hold 1300 ms, language en, Balance 49000 (840)], Data Record, Discretionary Data
}
