package emvtest

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
)

// BenchmarkTransaction measures one CDA transaction on the virtual card:
// SELECT, GPO, every record, GENERATE AC with CDA (an RSA signature).
func BenchmarkTransaction(b *testing.B) {
	c := NewCard(VisaCDA())
	ctx := context.Background()
	cmds := [][]byte{}
	for _, cmd := range []apdu.Command{
		apdu.Select(h("A0000000031010"), false), apdu.GetProcessingOptions(nil),
		apdu.ReadRecord(1, 1), apdu.ReadRecord(2, 1), apdu.ReadRecord(3, 1), apdu.ReadRecord(3, 2),
		apdu.GenerateAC(apdu.RefTC|apdu.RefCDA, cdol1Data),
	} {
		raw, _ := cmd.Bytes()
		cmds = append(cmds, raw)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, cmd := range cmds {
			if _, err := c.Transmit(ctx, cmd); err != nil {
				b.Fatal(err)
			}
		}
		c.ClearExchanges()
	}
}

// BenchmarkNewCard measures personalisation with the key chain cached.
func BenchmarkNewCard(b *testing.B) {
	NewCard(VisaCDA())
	b.ReportAllocs()
	for b.Loop() {
		NewCard(VisaCDA())
	}
}

// BenchmarkReadRecord measures the cheapest command.
func BenchmarkReadRecord(b *testing.B) {
	c := NewCard(VisaCDA())
	ctx := context.Background()
	raw, _ := apdu.Select(h("A0000000031010"), false).Bytes()
	c.Transmit(ctx, raw)
	rr, _ := apdu.ReadRecord(2, 1).Bytes()
	b.ReportAllocs()
	for b.Loop() {
		c.Transmit(ctx, rr)
		c.ClearExchanges()
	}
}
