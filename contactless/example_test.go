package contactless_test

import (
	"context"
	"fmt"

	"github.com/emvkit/emvkit/contactless"
)

// tappedCard is a card in the field that offers one Visa application: it
// answers SELECT PPSE with its directory and the final SELECT with an FCI.
type tappedCard struct{}

func (tappedCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) > 5 && string(cmd[5:len(cmd)-1]) == "2PAY.SYS.DDF01" {
		return unhex("6F23840E325041592E5359532E4444463031A511BF0C0E610C4F07A00000000310108701019000"), nil
	}
	return unhex("6F0B8407A0000000031010A5009000"), nil
}

// A reader with one combination, Visa by Kernel 3, runs a purchase of
// 60.00 on a tapped card: the amount is above the floor and CVM limits, so
// pre-processing asks for an online cryptogram and a CVM in the TTQ the
// kernel sends. The kernel here is a stub that asks for an online
// authorisation.
func ExampleEntryPoint_Run() {
	limit := func(v uint64) *uint64 { return &v }
	ep := &contactless.EntryPoint{
		Config: &contactless.Config{
			Country: 840, Currency: 840, CurrencyExponent: 2,
			Combinations: []contactless.CombinationConfig{{
				AID: []byte{0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10}, Kernel: contactless.Kernel3,
				ZeroAmountAllowed:                 true,
				ReaderContactlessTransactionLimit: limit(100000),
				ReaderContactlessFloorLimit:       limit(5000),
				ReaderCVMRequiredLimit:            limit(5000),
				TTQ:                               []byte{0x36, 0x00, 0xC0, 0x00},
			}},
		},
		Kernels: map[contactless.KernelID]contactless.Kernel{
			contactless.Kernel3: contactless.KernelFunc(func(_ context.Context, a *contactless.Activation) (*contactless.Outcome, error) {
				fmt.Printf("kernel: %s, TTQ %X\n", a.Combination.Kernel, a.Indicators.TTQ)
				p := contactless.NewParameterSet(contactless.StatusOnlineRequest)
				p.CVM = contactless.CVMOnlinePIN
				return &contactless.Outcome{Parameters: p}, nil
			}),
		},
		UI: func(u contactless.UIRequest) { fmt.Println("display:", u) },
	}
	res, err := ep.Run(context.Background(), contactless.OneCard(tappedCard{}), &contactless.Transaction{Amount: 6000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("outcome:", res.Outcome.Parameters)
	fmt.Println("commands:", len(res.Trace))
	// Output:
	// display: Present Card, Ready to Read
	// kernel: Kernel 3 (Visa), TTQ 36C0C000
	// outcome: Online Request, CVM Online PIN
	// commands: 2
}
