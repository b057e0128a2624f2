package kernel2

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// FuzzMagstripe runs Kernel 2 in mag-stripe mode against a virtual
// mag-stripe card (at / 4 picks it: the card, which answers in State 13,
// or a phone, State 14, that verifies its holder or first asks for a
// second tap) one of whose answers (at % 4: GPO, the mag-stripe record,
// the application data record, COMPUTE CRYPTOGRAPHIC CHECKSUM) is fuzzed:
// the run never panics; it ends with Online Request, End Application
// (with Start B only for See Phone and its restart message), Select
// Next, Declined without a Data Record (a phone's refusal) or the link's
// error; its output is well-formed BER-TLV; and an Online Request carries
// Track 2 Data of the card's length whose PAN, expiry and service code
// are the card's, the DD Card (Track2) being its discretionary data.
func FuzzMagstripe(f *testing.F) {
	f.Add(uint8(3), h("770F9F6002E4619F6102205F9F3602004190 00"), uint32(2000))
	f.Add(uint8(3), h("770A9F6102A2C49F360203F99000"), uint32(2000))
	f.Add(uint8(3), h("770C9F6002E4619F6102205F9F36019000"), uint32(6000))
	f.Add(uint8(1), h("70169F6B0554133390009F650200019F66020E0E9F6701039000"), uint32(2000))
	f.Add(uint8(0), h("770A820200009404080101009000"), uint32(2000))
	f.Add(uint8(3), h("6985"), uint32(0))
	f.Add(uint8(7), h("770B9F36020041DF4B030001009000"), uint32(6000))
	f.Add(uint8(11), h("770A9F6102A2C49F360203F99000"), uint32(6000))
	profiles := []*emvtest.Profile{emvtest.MastercardMagStripe(), emvtest.MastercardMagStripePhone(), emvtest.MastercardMagStripePhoneConfirm()}
	f.Fuzz(func(t *testing.T, at uint8, resp []byte, amount uint32) {
		p := profiles[int(at/4)%len(profiles)]
		track2 := p.Applications[0].MagStripe.Track2
		c := emvtest.NewCard(p)
		tp := newTap(t, c, tapOpts{amount: uint64(amount), extraData: msCaps})
		fc := &fuzzCard{card: c, at: int(at % 4), resp: resp}
		tp.rec = apdu.NewRecorder(fc)
		tp.act.Card = tp.rec
		out, err := tp.kernel().Activate(context.Background(), tp.act)
		if err != nil {
			if out != nil || !errors.Is(err, ErrLink) {
				t.Fatalf("Activate: %v with %v", err, out)
			}
			return
		}
		if out == nil {
			t.Fatal("no outcome")
		}
		for _, b := range [][]byte{out.DataRecord, out.DiscretionaryData} {
			it := tlv.NewStrictIter(b)
			for it.Next() {
			}
			if it.Err() != nil {
				t.Fatalf("malformed output %X: %v", b, it.Err())
			}
		}
		switch out.Parameters.Status {
		case contactless.StatusOnlineRequest:
			v, ok := tlv.Find(out.DataRecord, tagTrack2Data)
			if at%4 != 1 && (!ok || len(v) != len(track2) || !bytes.Equal(v[:12], track2[:12])) {
				t.Fatalf("Track 2 Data %X from the card's %X", v, track2)
			}
			if dd, ok := tlv.Find(out.DiscretionaryData, tagDDCardTrack2); !ok || len(dd) == 0 {
				t.Fatalf("no DD Card (Track2) in %X", out.DiscretionaryData)
			}
		case contactless.StatusDeclined:
			if out.Parameters.DataRecordPresent || len(out.DataRecord) != 0 {
				t.Fatalf("a phone's refusal with a Data Record: %s", out.Parameters)
			}
		case contactless.StatusEndApplication, contactless.StatusSelectNext:
		default:
			t.Fatalf("outcome %s", out.Parameters)
		}
		if out.Parameters.Start == contactless.StartB && (out.Parameters.Status != contactless.StatusEndApplication || out.Parameters.UIRequestOnRestart == nil) {
			t.Fatalf("Start B without See Phone: %s", out.Parameters)
		}
		if fc.n > 80 {
			t.Fatalf("%d commands", fc.n)
		}
	})
}
