package kernel2

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// fuzzCard is a virtual card whose answer to one command (by index, the
// kernel's commands counted from 0) is replaced by fuzzed bytes.
type fuzzCard struct {
	card apdu.Transceiver
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

var fuzzCards = sync.OnceValue(func() []*emvtest.Card {
	// A card whose PDOL asks for the Terminal Type the fuzz terminal data
	// leaves out, so that State 2 (Waiting for PDOL Data) runs.
	pdol := emvtest.MastercardOffline()
	pdol.Applications[0].PDOL = h(pdolWithTerminalType)
	return []*emvtest.Card{
		emvtest.NewCard(emvtest.MastercardOffline()), emvtest.NewCard(emvtest.MastercardOnline()),
		emvtest.NewCard(emvtest.MastercardNoRRP()), emvtest.NewCard(emvtest.MastercardPhone()),
		emvtest.NewCard(emvtest.MastercardBalance()), emvtest.NewCard(emvtest.MastercardPhoneConfirm()),
		emvtest.NewCard(pdol),
	}
})

// fuzzCommands is how many of the kernel's first commands the fuzzed
// answer may replace: GPO, ERRD, four records, GET DATA of the Tags To
// Read and the balance, PUT DATA before, GENERATE AC, PUT DATA after.
const fuzzCommands = 16

// FuzzKernel2 runs Kernel 2 against a virtual card one of whose answers
// (GPO, EXCHANGE RELAY RESISTANCE DATA, a record, GET DATA for the Tags To
// Read 9F36 9F4F 9F50 or the balance, PUT DATA of Tags To Write before and
// after GENERATE AC, GENERATE AC, DF4B of a phone asking for a second tap)
// is fuzzed; the terminal asks for both balances, listens for data
// exchange and answers every DEK (the PDOL's in State 2 and the one after
// record reading) with fuzzed DET data and Tags To Write, detMillis later
// on the kernel's clock (beyond the Time Out Value: the timeout). The run
// never panics, ends with an outcome of Book C-2 or the link's error,
// sends a bounded number of commands, and what it returns is well-formed
// BER-TLV.
func FuzzKernel2(f *testing.F) {
	f.Add(uint8(0), uint8(0), h("770E820219819408080101011001010190 00"), uint32(2000), []byte(nil), uint16(0))
	f.Add(uint8(0), uint8(1), h("800A112233440010003000189000"), uint32(2000), h("9F350122"), uint16(10))
	f.Add(uint8(1), uint8(1), h("800A11223344001000309000"), uint32(6000), []byte(nil), uint16(0))
	f.Add(uint8(2), uint8(2), h("70035A01479000"), uint32(2000), h("9F7001AA"), uint16(0))
	f.Add(uint8(0), uint8(6), h("7716 9F2701 40 9F3602 0041 9F4B01 00 9F1007 06011203A000009000"), uint32(2000), []byte(nil), uint16(0))
	f.Add(uint8(3), uint8(6), h("801540004112345678123456780601120390000090 00"), uint32(60000), []byte(nil), uint16(0))
	f.Add(uint8(0), uint8(3), h("6A83"), uint32(0), []byte(nil), uint16(0))
	f.Add(uint8(4), uint8(6), h("9F5006000000025000 9000"), uint32(2000), []byte(nil), uint16(0))
	f.Add(uint8(4), uint8(8), h("9F500500000002509000"), uint32(2000), []byte(nil), uint16(0))
	f.Add(uint8(4), uint8(6), h("9F3602FFFF9000"), uint32(2000), h("9F3501229F7101BB"), uint16(0))
	f.Add(uint8(0), uint8(9), h("6A80"), uint32(2000), h("9F7201CC"), uint16(0))
	f.Add(uint8(5), uint8(10), h("771A 9F2701 00 9F3602 0041 9F2608 0102030405060708 DF4B03 000100 9000"), uint32(6000), []byte(nil), uint16(0))
	f.Add(uint8(5), uint8(15), h("9000"), uint32(6000), h("DF81310800010000010021 00"), uint16(0))
	f.Add(uint8(6), uint8(15), h("9000"), uint32(2000), h("9F350122"), uint16(500))
	f.Add(uint8(6), uint8(15), h("9000"), uint32(2000), h("9F350122"), uint16(501))
	f.Add(uint8(5), uint8(11), h("6985"), uint32(6000), h("9F7601EE"), uint16(0))
	f.Fuzz(func(t *testing.T, card, at uint8, resp []byte, amount uint32, det []byte, detMillis uint16) {
		cs := fuzzCards()
		c := emvtest.NewCard(cs[int(card)%len(cs)].Profile())
		tp := newTap(t, c, tapOpts{amount: uint64(amount), terminal: terminalNo9F35, extraData: "DF810400DF810500DF8112069F369F4F9F50"})
		fc := &fuzzCard{card: &putDataCard{card: c}, at: int(at) % fuzzCommands, resp: resp}
		tp.rec = apdu.NewRecorder(fc)
		tp.act.Card = tp.rec
		deks := 0
		cfg := Config{
			Clock:                  tp.clock.now,
			Sleep:                  tp.clock.sleep,
			TagsToWriteBeforeGenAC: h("9F7001AA"),
			TagsToWriteAfterGenAC:  h("9F7502CCDD"),
			DataExchange: func(ctx context.Context, _ DataExchange) (DET, error) {
				deks++
				_ = tp.clock.sleep(ctx, time.Duration(detMillis)*time.Millisecond)
				return DET{Data: det, TagsToWriteBeforeGenAC: det, TagsToWriteAfterGenAC: det}, nil
			},
		}
		out, err := New(cfg).Activate(context.Background(), tp.act)
		if deks > 2 {
			t.Fatalf("%d DEKs", deks)
		}
		if err != nil {
			if out != nil || !errors.Is(err, ErrLink) {
				t.Fatalf("Activate: %v with %v", err, out)
			}
			return
		}
		if out == nil {
			t.Fatal("no outcome")
		}
		switch out.Parameters.Status {
		case contactless.StatusApproved, contactless.StatusDeclined, contactless.StatusOnlineRequest:
			if !out.Parameters.DataRecordPresent || len(out.DataRecord) == 0 {
				t.Fatalf("%s without a Data Record", out.Parameters)
			}
		case contactless.StatusEndApplication, contactless.StatusSelectNext:
		default:
			t.Fatalf("outcome %s", out.Parameters)
		}
		if out.Parameters.Start == contactless.StartB && (out.Parameters.Status != contactless.StatusEndApplication || out.Parameters.UIRequestOnRestart == nil) {
			t.Fatalf("Start B without See Phone: %s", out.Parameters)
		}
		for _, b := range [][]byte{out.DataRecord, out.DiscretionaryData} {
			it := tlv.NewStrictIter(b)
			for it.Next() {
			}
			if it.Err() != nil {
				t.Fatalf("malformed output %X: %v", b, it.Err())
			}
		}
		if fc.n > 80 {
			t.Fatalf("%d commands", fc.n)
		}
	})
}

// FuzzTerminalConfig: the Kernel 2 terminal data parser never panics; on
// success, parsing again gives the same configuration; an error is a
// *ConfigError.
func FuzzTerminalConfig(f *testing.F) {
	f.Add(h(kernelDataHex))
	f.Add(h("DF812004F4508480"))
	f.Add(h("DF8123060000000A0000"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c1, err := ParseTerminalConfig(b, nil)
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *ConfigError", err)
			}
			return
		}
		c2, _ := ParseTerminalConfig(b, nil)
		if c1.KernelConfiguration != c2.KernelConfiguration || c1.TACOnline != c2.TACOnline || c1.MessageHoldTime != c2.MessageHoldTime {
			t.Fatal("second parse differs")
		}
	})
}
