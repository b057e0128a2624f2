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
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mockVector is testdata/mock_msc_online.json: a recorded Kernel 2 EMV
// mode transaction (M/Chip, ARQC with CDA) of a public mock card, with its
// source and the CA key of its chain.
type mockVector struct {
	Source          string `json:"source"`
	TranscribedFrom string `json:"transcribed_from"`
	CAPublicKey     struct {
		RID, Index, Exponent, Modulus, Checksum string
	} `json:"ca_public_key"`
	TerminalInputs           map[string]string               `json:"terminal_inputs"`
	CDOL1RelatedDataRecorded string                          `json:"cdol1_related_data_recorded"`
	ExpectedOutcome          map[string]string               `json:"expected_outcome"`
	CVMNote                  string                          `json:"cvm_note"`
	Exchanges                []struct{ CAPDU, RAPDU string } `json:"exchanges"`
}

func (m *mockVector) UnmarshalJSON(b []byte) error {
	type plain mockVector
	var p struct {
		plain
		Exchanges []struct {
			C string `json:"c_apdu"`
			R string `json:"r_apdu"`
		} `json:"exchanges"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*m = mockVector(p.plain)
	for _, e := range p.Exchanges {
		m.Exchanges = append(m.Exchanges, struct{ CAPDU, RAPDU string }{e.C, e.R})
	}
	return nil
}

// keyStore holds the vector's CA public key (its checksum checked).
func (m *mockVector) keyStore(t *testing.T) *oda.KeyStore {
	ks := oda.NewKeyStore()
	k := m.CAPublicKey
	require.NoError(t, ks.Add(oda.CAKey{RID: [5]byte(h(k.RID)), Index: h(k.Index)[0],
		Modulus: h(k.Modulus), Exponent: h(k.Exponent), CheckSum: h(k.Checksum)}))
	return ks
}

// TestVectorMockMscOnline replays the public M/Chip mock (Book C-2 EMV
// mode, ARQC with CDA, CA key FA) through Kernel 2 with the recording's
// terminal inputs: the kernel sends the recorded GPO (no PDOL), skips the
// AFL entry 08010100 (S3.30, mag-stripe mode allowed) and reads the six
// recorded records byte for byte, and asks for an ARQC with CDA (P1 90)
// with the recorded TVR 0000040001 (online PIN entered; relay resistance
// not performed: the card's AIP 5980 has none). Its CDOL1 data differs
// from the recording in one byte: CVM Results byte 1, 42 (the CV Rule 4203
// as the card wrote it, Book 4 Annex A4, as the contact kernel writes it)
// where the recorded implementation wrote 02 (b6-b1 only). The card's CDA
// signature covers the recorded data, so the kernel's CDA verification is
// run on the recorded CDOL1 data: the key chain, the SDAD, the CID and the
// Transaction Data Hash Code all verify, and the outcome of the recorded
// cryptogram is an Online Request with online PIN.
func TestVectorMockMscOnline(t *testing.T) {
	raw, err := os.ReadFile("testdata/mock_msc_online.json")
	require.NoError(t, err)
	var v mockVector
	require.NoError(t, json.Unmarshal(raw, &v))
	require.Contains(t, v.Source, "MohamedHassanNasr/emv")
	ks := v.keyStore(t)

	s := &apdu.Session{Source: v.Source, Proves: "Book C-2 EMV mode with CDA"}
	for _, e := range v.Exchanges[2:] { // after SELECT PPSE and SELECT AID
		s.Exchanges = append(s.Exchanges, apdu.SessionExchange{Command: h(e.CAPDU), Response: h(e.RAPDU)})
	}
	fci := h(v.Exchanges[1].RAPDU)
	fci = fci[:len(fci)-2]
	ti := v.TerminalInputs
	td := h("9F1A0200565F2A0208405F3601029F350122")
	td = append(td, h("DF811B0130 DF81180160 DF81190108 DF811F0108 DF8120 05 F45084800C DF8121 05 0000000000 DF8122 05 F45084800C DF8126 06 000000001000")...)
	td = tlv.AppendTLV(td, 0x9F02, h(ti["amount_authorised_9F02"]))
	td = tlv.AppendTLV(td, 0x9F03, bcdAmount(0))
	td = tlv.AppendTLV(td, 0x9C, h(ti["transaction_type_9C"]))
	td = tlv.AppendTLV(td, 0x9A, h(ti["transaction_date_9A"]))
	td = tlv.AppendTLV(td, 0x9F21, h(ti["transaction_time_9F21"]))
	date := time.Date(2020, 3, 16, 0, 0, 0, 0, time.UTC)
	rp := apdu.NewReplay(s, apdu.ReplayByCommand)
	rec := apdu.NewRecorder(rp)
	a := &contactless.Activation{
		Card: rec, Start: contactless.StartA,
		Combination:  &contactless.Combination{AID: h("A0000000041010"), Kernel: contactless.Kernel2},
		FCI:          fci,
		Transaction:  &contactless.Transaction{Type: 0x00, Amount: 9000, Time: date},
		TerminalData: td,
		CAKeys:       ks,
		UI:           func(contactless.UIRequest) {},
		Time:         func() time.Time { return date },
		Rand:         bytes.NewReader(h(ti["unpredictable_number_9F37"])),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	st := &transactionState{ctx: context.Background(), k: New(Config{}), a: a}
	run, err := st.run()
	require.NoError(t, err)

	e := rec.Entries()
	require.Len(t, e, len(s.Exchanges))
	for i := range len(e) - 1 {
		assert.Equal(t, hexs(s.Exchanges[i].Command), hexs(e[i].Command), "command %d", i)
	}
	genAC := e[len(e)-1].Command
	wantData := v.CDOL1RelatedDataRecorded
	assert.Equal(t, "80AE90002B", hexs(genAC[:5]), "ARQC with CDA requested")
	assert.Equal(t, wantData[:len(wantData)-6]+"420300", hexs(st.cdolData), "the recording's CDOL1 data but CVM Results byte 1")
	tvrSent, _ := st.cdol1.Value(st.cdolData, 0x95)
	assert.Equal(t, "0000040001", hexs(tvrSent))
	assert.Equal(t, contactless.CVMOnlinePIN, st.cvm)
	assert.True(t, st.cdaReq)
	// Over the kernel's own CDOL1 data the card's signature cannot verify
	// (it covers the recorded 020300): CDA failed, Declined, CAM FAILED.
	assert.Equal(t, contactless.StatusDeclined, run.Parameters.Status)
	assert.Equal(t, "0400040001", tag(t, run.DataRecord, 0x95))
	assert.Equal(t, "0002000000FF", tag(t, run.DiscretionaryData, tagErrorIndication))

	// The card signed the recorded CDOL1 data: CDA verifies on it.
	st.cdolData = h(wantData)
	st.cda = nil
	require.NoError(t, st.verifyCDA())
	require.NotNil(t, st.cda)
	assert.Equal(t, byte(0x80), st.cda.CID)
	assert.Equal(t, v.ExpectedOutcome["outcome"], "ONLINE REQUEST")
	st.tvr = [5]byte(tvrSent)
	out := st.onlineRequest()
	assert.Equal(t, contactless.StatusOnlineRequest, out.Parameters.Status)
	assert.Equal(t, contactless.CVMOnlinePIN, out.Parameters.CVM)
	assert.Equal(t, hexs(st.cda.Cryptogram), tag(t, out.DataRecord, 0x9F26))
}
