package main

import (
	"context"
	"testing"
)

// fixedCard answers every command with one response.
type fixedCard struct{ resp []byte }

func (f fixedCard) Transmit(context.Context, []byte) ([]byte, error) { return f.resp, nil }

// The card check reads the PAN, name and expiry from whatever the card
// returns to READ RECORD and GET RESPONSE: no record may panic it, and
// what it keeps is bounded by the record.
func FuzzCardRecords(f *testing.F) {
	f.Add([]byte{0x70, 0x26, 0x57, 0x11, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19, 0xD3, 0x01, 0x22, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0F, 0x5F, 0x20, 0x10, 'E', 'M', 'V', 'K', 'I', 'T', '/', 'T', 'E', 'S', 'T', ' ', 'C', 'A', 'R', 'D', 0x90, 0x00})
	f.Add([]byte{0x70, 0x09, 0x5A, 0x08, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19, 0x90, 0x00})
	f.Add([]byte{0x70, 0x81})
	f.Fuzz(func(t *testing.T, resp []byte) {
		w := &cardWatch{Transceiver: fixedCard{resp}, confirm: func() error { return nil }}
		ctx := context.Background()
		for _, cmd := range [][]byte{{0x80, 0xA8, 0, 0, 2, 0x83, 0}, {0, 0xB2, 1, 0x0C, 0}, {0, 0xC0, 0, 0, 0}, {0x80, 0xAE, 0x80, 0}} {
			if _, err := w.Transmit(ctx, cmd); err != nil {
				t.Fatal(err)
			}
		}
		if len(w.pan)+len(w.name)+len(w.expiry) > 2*len(resp) {
			t.Fatalf("kept %d bytes from a %d-byte record", len(w.pan)+len(w.name)+len(w.expiry), len(resp))
		}
	})
}

// -fault: no value panics, and a value accepted has no negative count.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"", "arpc", "down2,lose1", "down", "lose-1,,arpc", "downx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := parseFaults(s)
		if err == nil && (fl.down < 0 || fl.lose < 0) {
			t.Fatalf("%q accepted as %+v", s, fl)
		}
	})
}
