package contactless_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/emvkit/emvkit/contactless"
)

// benchCard answers SELECT PPSE with a directory of three applications
// and every other SELECT with an FCI, recording nothing.
type benchCard struct{ ppse, fci []byte }

func (c *benchCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	if len(cmd) > 5 && bytes.Equal(cmd[5:len(cmd)-1], contactless.PPSEName) {
		return c.ppse, nil
	}
	return c.fci, nil
}

// BenchmarkRun measures the Entry Point's own share of a tap: one Run from
// pre-processing to the outcome of a stub kernel (SELECT PPSE with three
// entries, final SELECT, kernel activation with its terminal data).
func BenchmarkRun(b *testing.B) {
	card := &benchCard{
		ppse: ppse(entry(visaAID).withPrio(1).withLabel("VISA"), entry(mcAID).withPrio(2).withLabel("MASTERCARD"), entry(upiAID).withPrio(3)),
		fci:  adf(visaAID),
	}
	approved := outcome(contactless.StatusApproved)
	k := contactless.KernelFunc(func(context.Context, *contactless.Activation) (*contactless.Outcome, error) { return approved, nil })
	ep := &contactless.EntryPoint{Config: testConfig(visa(), mastercard(), unionpay()), Kernels: kernels(k, 2, 3, 7)}
	field := contactless.OneCard(card)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		txn := purchase
		res, err := ep.Run(ctx, field, &txn)
		if err != nil || res.Outcome != approved {
			b.Fatal(err)
		}
	}
}
