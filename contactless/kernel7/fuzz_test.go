package kernel7

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/kerneltest"
	"github.com/emvkit/emvkit/emv/emvtest"
)

// gpoSeeds are the GET PROCESSING OPTIONS responses of the recorded
// sessions (data without the status word).
func gpoSeeds(f *testing.F) [][]byte {
	return kerneltest.GPOSeeds[sessionHeader](f, sessionDir)
}

// FuzzGPOResponse: the Kernel 7 GPO answer parser never panics; what it
// accepts has every mandatory data object at its length, the cryptogram
// type is read from it without panic, and parsing twice gives the same.
func FuzzGPOResponse(f *testing.F) {
	for _, s := range gpoSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte{0x77, 0x00})
	f.Add([]byte{0x80, 0x02, 0x20, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c cardData
		err := parseGPOResponse(&c, b)
		if err != nil {
			if !errors.Is(err, ErrGPOResponse) {
				t.Fatalf("error %v does not wrap ErrGPOResponse", err)
			}
			return
		}
		if len(c.aip) != 2 || len(c.atc) != 2 || len(c.ac) != 8 || len(c.iad) == 0 || len(c.track2) == 0 || len(c.afl)%4 != 0 ||
			(c.offlineAmount != nil && len(c.offlineAmount) != 6) || len(c.productID) > 16 {
			t.Fatalf("accepted a response without its mandatory data: %X", b)
		}
		c.cryptogramType()
		var d cardData
		if err := parseGPOResponse(&d, b); err != nil || !bytes.Equal(d.ac, c.ac) || !bytes.Equal(d.iad, c.iad) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}

// fuzzCard is a virtual card whose answer to one command (by index) is
// replaced by fuzzed bytes.
type fuzzCard struct {
	card *emvtest.Card
	at   int
	resp []byte
	n    int
}

func (c *fuzzCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	i := c.n
	c.n++
	r, err := c.card.Transmit(ctx, cmd)
	if i == c.at && err == nil {
		return append([]byte(nil), c.resp...), nil
	}
	return r, err
}

var fuzzProfiles = sync.OnceValue(func() []*emvtest.Profile {
	return []*emvtest.Profile{emvtest.UnionPayQuickPassDebit(), emvtest.UnionPayQuickPassCredit(),
		emvtest.UnionPayQuickPassQuasiCredit(), emvtest.UnionPayQuickPassPhone()}
})

// FuzzKernel7 runs the Entry Point and Kernel 7 against a virtual QuickPass
// card one of whose answers (PPSE, SELECT, GPO, a record) is fuzzed: the
// run never panics, ends with an outcome of Book A, and sends a bounded
// number of commands.
func FuzzKernel7(f *testing.F) {
	for _, s := range gpoSeeds(f)[:8] {
		f.Add(uint8(0), uint8(2), append(s, 0x90, 0x00), uint32(1000))
	}
	f.Add(uint8(1), uint8(0), []byte{0x6A, 0x82}, uint32(3000))
	f.Add(uint8(2), uint8(3), []byte{0x70, 0x03, 0x5A, 0x01, 0x62, 0x90, 0x00}, uint32(20000))
	f.Add(uint8(3), uint8(1), []byte{0x6F, 0x00, 0x90, 0x00}, uint32(0))
	f.Add(uint8(0), uint8(2), []byte{0x69, 0x86}, uint32(40000))
	f.Fuzz(func(t *testing.T, profile, at uint8, resp []byte, amount uint32) {
		ps := fuzzProfiles()
		card := emvtest.NewCard(ps[int(profile)%len(ps)])
		fc := &fuzzCard{card: card, at: int(at % 8), resp: resp}
		res, err := reader(card).Run(context.Background(), contactless.OneCard(fc), &contactless.Transaction{Amount: uint64(amount)})
		if err != nil {
			if errors.Is(err, apdu.ErrCardRemoved) || res == nil {
				t.Fatalf("Run: %v", err)
			}
			return // too many restarts: an End Application is in res
		}
		if res.Outcome == nil {
			t.Fatal("no outcome")
		}
		switch res.Outcome.Parameters.Status {
		case contactless.StatusApproved, contactless.StatusDeclined, contactless.StatusOnlineRequest,
			contactless.StatusEndApplication, contactless.StatusTryAnotherInterface, contactless.StatusTryAgain,
			contactless.StatusSelectNext:
		default:
			t.Fatalf("outcome %s", res.Outcome.Parameters)
		}
		if fc.n > 200 {
			t.Fatalf("%d commands", fc.n)
		}
	})
}
