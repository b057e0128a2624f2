package emv_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/oda"
)

type pad struct{ pin string }

func (p pad) EnterOfflinePIN(ctx context.Context, req cvm.PINRequest) (cvm.PIN, error) {
	return cvm.NewPIN([]byte(p.pin))
}
func (p pad) EnterOnlinePIN(ctx context.Context, req cvm.PINRequest) (cvm.OnlinePINBlock, error) {
	return cvm.NewOnlinePINBlock(cvm.PINBlockFormat(0), make([]byte, 8), nil), nil
}

func TestSmoke(t *testing.T) {
	for _, name := range emvtest.BuiltinProfiles() {
		card := emvtest.NewCard(emvtest.BuiltinProfile(name))
		ks := oda.NewKeyStore()
		for _, k := range card.CAPublicKeys() {
			if err := ks.Add(oda.CAKey{RID: k.RID, Index: k.Index, Modulus: k.Modulus, Exponent: k.Exponent, CheckSum: k.Checksum[:]}); err != nil {
				t.Log(err)
			}
		}
		fl := uint64(10000)
		cfg := &emv.Config{Country: 840, Currency: 840, CurrencyExponent: 2, CAKeys: ks,
			Applications: []emv.Application{{AID: []byte{0xA0, 0, 0, 0, 3}, PartialSelection: true}, {AID: []byte{0xA0, 0, 0, 0, 4, 0x10, 0x10}}},
			AppParams:    emv.AppParams{FloorLimit: &fl},
			Time:         func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
		res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1234}, &emv.Terminal{PINPad: pad{"1234"}})
		fmt.Println(name, err)
		if res != nil {
			fmt.Println(res.Outcome, res.TVR, res.TSI, fmt.Sprintf("%X", res.CVMResults), res.ODA)
			fmt.Print(res.Trace)
		}
	}
}
