package kernel7_test

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/kernel7"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// A tap of the virtual UnionPay QuickPass debit card on a Chinese reader
// with Kernel 7: the card approves 100.00 CNY offline with fDDA and its
// electronic cash balance (9F5D) is shown after the transaction.
func Example() {
	card := emvtest.NewCard(emvtest.UnionPayQuickPassDebit())
	cvmLimit, floorLimit := uint64(30000), uint64(50000)
	ep := &contactless.EntryPoint{
		Config: &contactless.Config{
			Country: 156, Currency: 156, CurrencyExponent: 2,
			Combinations: []contactless.CombinationConfig{{
				AID: []byte{0xA0, 0x00, 0x00, 0x03, 0x33}, Kernel: kernel7.ID,
				TTQ:                    []byte{0x36, 0x00, 0x40, 0x80},
				ReaderCVMRequiredLimit: &cvmLimit, ReaderContactlessFloorLimit: &floorLimit,
			}},
			CAKeys: card.KeyStore(),
			Time:   func() time.Time { return time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC) },
			Rand:   bytes.NewReader([]byte{0x11, 0x22, 0x33, 0x44}),
		},
		Kernels: map[contactless.KernelID]contactless.Kernel{kernel7.ID: kernel7.New(kernel7.Config{})},
	}
	res, err := ep.Run(context.Background(), contactless.OneCard(card), &contactless.Transaction{Amount: 10000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Combination.Kernel, fmt.Sprintf("%X", res.Combination.AID))
	fmt.Println(res.Outcome.Parameters)
	// Output:
	// Kernel 7 (UnionPay) A000000333010101
	// Approved, CVM No CVM, UI on outcome [Approved, Card Read Successfully, hold 1300 ms, language zhen, Balance 40000 (156)], Data Record, Discretionary Data
}
