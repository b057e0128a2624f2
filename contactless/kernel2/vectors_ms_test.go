package kernel2

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// msVectorCard answers the recorded exchanges of the public mag-stripe
// mock in order. Each command must be the recorded one byte for byte,
// except in COMPUTE CRYPTOGRAPHIC CHECKSUM the 4 bytes of the Unpredictable
// Number (Numeric) (the first UDOL entry, 9F6A04), which it hands to the
// test instead.
type msVectorCard struct {
	ex  []struct{ CAPDU, RAPDU string }
	n   int
	unN []byte
}

func (c *msVectorCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	if c.n >= len(c.ex) {
		return nil, fmt.Errorf("command after the end of the recording: %X", cmd)
	}
	want := h(c.ex[c.n].CAPDU)
	got := append([]byte(nil), cmd...)
	if len(got) == len(want) && len(got) > 9 && got[1] == 0x2A {
		c.unN = append([]byte(nil), got[5:9]...)
		copy(got[5:9], want[5:9])
	}
	if !bytes.Equal(got, want) {
		return nil, fmt.Errorf("command %d: got %X, recorded %X", c.n, cmd, want)
	}
	r := h(c.ex[c.n].RAPDU)
	c.n++
	return r, nil
}

// TestVectorMockMscMagstripeMode replays the public PayPass mag-stripe
// mock (AIP 0000, AFL 08010100, Track 2 Data with PCVC3 000E, PUNATC 0E70,
// NATC 3, UDOL 9F6A04 9F7E01 9F0206 5F2A02 9F1A02) through Kernel 2 with
// the recording's terminal inputs: the kernel enters mag-stripe mode (Book
// C-2 State 3), sends the recorded GET PROCESSING OPTIONS and READ RECORD
// byte for byte and the recorded COMPUTE CRYPTOGRAPHIC CHECKSUM but for
// the Unpredictable Number (Numeric). There it follows Book C-2: the
// reader's random 33BCA47D (868000893) modulo 10^nUN, nUN = 6 − 3 = 3,
// sent as 00000893, where the recorded implementation sent 08680008 (the
// BCD of the number cut to 4 bytes, digits beyond nUN not zero). The
// card's answer (CVC3 (Track2) A2C4 = 41668, ATC 03F9 = 1017) is placed
// into the discretionary data 9000990000000: 668 at PCVC3's bits 3-1, the
// UN's 893 at PUNATC's three lowest 1 bits (bits 5-7, value 0070), the
// ATC's 017 at its three highest (bits 10-12, 0E00), nUN in the last
// digit: 9017998936683 (the DD Card (Track2) keeps the card's
// 9000990000000, Book C-2 S7.23). The outcome is Online Request, No CVM (15.00 is
// below the Reader CVM Required Limit of 20.00 configured here).
func TestVectorMockMscMagstripeMode(t *testing.T) {
	raw, err := os.ReadFile("testdata/mock_msc_ms_mode.json")
	require.NoError(t, err)
	var v struct {
		Source    string            `json:"source"`
		Inputs    map[string]string `json:"terminal_inputs"`
		UDOLData  string            `json:"udol_related_data_recorded"`
		Exchanges []struct {
			C string `json:"c_apdu"`
			R string `json:"r_apdu"`
		} `json:"exchanges"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	require.Contains(t, v.Source, "MohamedHassanNasr/emv")
	require.Len(t, v.Exchanges, 5)
	card := &msVectorCard{}
	for _, e := range v.Exchanges[2:] { // after SELECT PPSE and SELECT AID
		card.ex = append(card.ex, struct{ CAPDU, RAPDU string }{e.C, e.R})
	}
	fci := h(v.Exchanges[1].R)
	fci = fci[:len(fci)-2]
	ti := v.Inputs
	td := h("9F1A020056 5F2A020978 DF811B0130 DF81170100 DF811F0100 DF811E0120 DF812C0100 DF8126 06 000000002000")
	td = tlv.AppendTLV(td, 0x9F02, h(ti["amount_authorised_9F02"]))
	td = tlv.AppendTLV(td, 0x9C, h(ti["transaction_type_9C"]))
	td = tlv.AppendTLV(td, 0x9A, h(ti["transaction_date_9A"]))
	td = tlv.AppendTLV(td, 0x9F21, h(ti["transaction_time_9F21"]))
	date := time.Date(2019, 8, 19, 0, 0, 0, 0, time.UTC)
	var ui []contactless.UIRequest
	a := &contactless.Activation{
		Card: card, Start: contactless.StartA,
		Combination:  &contactless.Combination{AID: h("A0000000041010"), Kernel: contactless.Kernel2},
		FCI:          fci,
		Transaction:  &contactless.Transaction{Type: 0x00, Amount: 1500, Time: date},
		TerminalData: td,
		UI:           func(u contactless.UIRequest) { ui = append(ui, u) },
		Time:         func() time.Time { return date },
		Rand:         bytes.NewReader(h(ti["unpredictable_number_9F37"])),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	out, err := New(Config{}).Activate(context.Background(), a)
	require.NoError(t, err)
	assert.Equal(t, 3, card.n, "every recorded command after SELECT")
	assert.Equal(t, "00000893", hexs(card.unN), "Unpredictable Number (Numeric)")
	assert.Equal(t, "08680008", v.UDOLData[:8], "the recording's")

	assert.Equal(t, "Online Request, CVM No CVM, UI on outcome [Authorising Please Wait, Not Ready, language endefr], Data Record, Discretionary Data", out.Parameters.String())
	assert.Equal(t, "9F6B135413339000001513D49121019017998936683F"+"500A4D617374657243617264"+"8407A0000000041010"+"9F110101", hexs(out.DataRecord))
	assert.Equal(t, "DF8115060000000000FF"+"DF812B079000990000000F", hexs(out.DiscretionaryData))
	assert.Len(t, ui, 1)
}
