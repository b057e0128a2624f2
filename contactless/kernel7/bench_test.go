package kernel7

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
)

// BenchmarkKernel7OfflinefDDA is one QuickPass offline approval with fDDA
// version 01 (GPO, three records, the key chain and the SDAD under the
// test CA of the UnionPay RID) on a replayed virtual debit card.
func BenchmarkKernel7OfflinefDDA(b *testing.B) {
	s, hd := readSession(b, filepath.Join(sessionDir, "C7_Initiate_PDOLDataWithTTQAndUN_DebitOfflineApprovalWithFDDA.json"))
	a, _ := sessionActivation(b, hd, nil)
	rnd := bytes.NewReader(nil)
	un := h(hd.UN)
	a.Rand = rnd
	a.UI = func(contactless.UIRequest) {}
	k := New(Config{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		rnd.Reset(un)
		a.Card = apdu.NewReplay(s, apdu.ReplayStrict)
		out, err := k.Activate(ctx, a)
		if err != nil || out.Parameters.Status != contactless.StatusApproved {
			b.Fatalf("%v %v", out, err)
		}
	}
}
