package kernel2

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVectorBinaryfooContactlessMastercard replays the public contactless
// Mastercard trace byte for byte through Kernel 2 (apdu.ReplayStrict, from
// GET PROCESSING OPTIONS on). The terminal is set up as the recording's
// reader was: AUD (0036), terminal type 22, Application Version Number
// 0002, 15 March 2012, Unpredictable Number 000EEC85, amount 100.01 above
// a CVM Required Limit of 10.00 and below the floor limit, action codes
// zero, a Kernel Configuration without relay resistance (the card's AIP
// 5980 has none) that allows mag-stripe mode. The kernel then sends the
// recorded commands exactly:
//
//   - GPO 8300 (no PDOL, Book C-2 State 1);
//   - the Active AFL without the first entry 08010100 (S3.30, mag-stripe
//     mode allowed), SFI 2, 3 and 4 as recorded. The trace lacks SFI 3
//     record 2, which its AFL entry 18010200 lists (the recording reader
//     did not read it, or the published trace left it out); the test's
//     link answers READ RECORD 00B2021C with an empty record template
//     (7000 9000): the entry signs no record for offline data
//     authentication, so the record cannot change the CDA input;
//   - GENERATE AC asking for a TC with CDA (P1 50, S456.27 and the TAA of
//     S456.42) with the recorded CDOL1 data: TVR 0000000000, CVM Results
//     5E0300 (signature, the card's rule 5E03, Book C-2 CVM selection over
//     Book 3 §10.5), zeros for the ICC Dynamic Number 9F4C and the Data
//     Authentication Code 9F45 the terminal does not have.
//
// The card's CDA signature over that data verifies (the key chain under
// CA EF, the SDAD, its CID 40 and the Transaction Data Hash Code over the
// CDOL1 data and the response, Book 2 §6.6), so the outcome is Approved
// with a signature (Obtain Signature, a receipt), TVR unchanged.
func TestVectorBinaryfooContactlessMastercard(t *testing.T) {
	raw, err := os.ReadFile("testdata/binaryfoo_contactless_mastercard.json")
	require.NoError(t, err)
	var v mockVector // the same keys as the mock's file
	require.NoError(t, json.Unmarshal(raw, &v))
	require.Contains(t, v.Source, "binaryfoo/emv-bertlv")
	ks := v.keyStore(t)

	run := func(flip bool) (*transactionState, *contactless.Outcome, *apdu.Replay, error) {
		s := &apdu.Session{Source: v.Source, Proves: "Book C-2 EMV mode, TC with CDA"}
		for _, e := range v.Exchanges[1:] { // after SELECT
			s.Exchanges = append(s.Exchanges, apdu.SessionExchange{Command: h(e.CAPDU), Response: h(e.RAPDU)})
		}
		if flip {
			r := s.Exchanges[len(s.Exchanges)-1].Response
			r[40] ^= 0x01 // a byte inside the SDAD 9F4B
		}
		fci := h(v.Exchanges[0].RAPDU)
		fci = fci[:len(fci)-2]
		td := h("9F1A020036 5F2A020036 5F360102 9F350122 9F09020002")
		td = append(td, h("DF811B0100 DF81180160 DF81190108 DF811F0108 DF8120050000000000 DF8121050000000000 DF8122050000000000")...)
		td = append(td, h("DF812306000000020000 DF812406000000100000 DF812506000000100000 DF812606000000001000")...)
		td = tlv.AppendTLV(td, 0x9F02, h("000000010001"))
		td = tlv.AppendTLV(td, 0x9F03, bcdAmount(0))
		td = tlv.AppendTLV(td, 0x9C, []byte{0x00})
		td = tlv.AppendTLV(td, 0x9A, h("120315"))
		date := time.Date(2012, 3, 15, 10, 0, 0, 0, time.UTC)
		rp := apdu.NewReplay(s, apdu.ReplayStrict)
		rec := apdu.NewRecorder(missingRecord{rp})
		a := &contactless.Activation{
			Card: rec, Start: contactless.StartA,
			Combination:  &contactless.Combination{AID: h("A0000000041010"), Kernel: contactless.Kernel2},
			FCI:          fci,
			Transaction:  &contactless.Transaction{Type: 0x00, Amount: 10001, Time: date},
			TerminalData: td,
			CAKeys:       ks,
			UI:           func(contactless.UIRequest) {},
			Time:         func() time.Time { return date },
			Rand:         bytes.NewReader(h("000EEC85")),
			Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		}
		st := &transactionState{ctx: context.Background(), k: New(Config{}), a: a}
		out, err := st.run()
		return st, out, rp, err
	}
	st, out, rp, err := run(false)
	require.NoError(t, err)
	require.NoError(t, rp.Close(), "every recorded command sent, byte for byte")
	assert.Equal(t, v.CDOL1RelatedDataRecorded, hexs(st.cdolData))
	require.NotNil(t, st.cda, "CDA verified")
	assert.Equal(t, byte(0x40), st.cda.CID)
	want := approvedSign.params()
	want.UIRequestOnOutcome.LanguagePreference = "" // the FCI has no 5F2D
	assert.Equal(t, want, out.Parameters)
	assert.Equal(t, "0000000000", tag(t, out.DataRecord, 0x95))
	assert.Equal(t, "5E0300", tag(t, out.DataRecord, 0x9F34))
	assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27))
	assert.Equal(t, hexs(st.cda.Cryptogram), tag(t, out.DataRecord, 0x9F26))
	assert.Equal(t, "0035", tag(t, out.DataRecord, 0x9F36))

	// One bit flipped inside the SDAD: the recovery fails, "CDA failed"
	// (TVR byte 1 b3) and the TC is not accepted: Declined (Book C-2 S910,
	// CAM FAILED in the Error Indication).
	st, out, rp, err = run(true)
	require.NoError(t, err)
	require.NoError(t, rp.Close())
	assert.Nil(t, st.cda)
	assert.Equal(t, contactless.StatusDeclined, out.Parameters.Status)
	assert.Equal(t, "0400000000", tag(t, out.DataRecord, 0x95))
	assert.Equal(t, "0002000000FF", tag(t, out.DiscretionaryData, tagErrorIndication))
}

// missingRecord is the replay of the binaryfoo trace with its missing SFI
// 3 record 2 answered as an empty record; every other command goes to the
// strict replay.
type missingRecord struct{ r *apdu.Replay }

func (m missingRecord) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if bytes.Equal(command, h("00B2021C00")) {
		return h("70009000"), nil
	}
	return m.r.Transmit(ctx, command)
}
