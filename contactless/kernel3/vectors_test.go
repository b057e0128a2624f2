package kernel3

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// visaVector is one Visa qVSDC session of testdata/visa_sessions.json.
type visaVector struct {
	ID       string `json:"id"`
	Source   string `json:"source"`
	Terminal struct {
		TTQ, Amount, Currency, Country, Type, UN, Date string
	} `json:"terminal"`
	CAKey struct {
		RID, Index, Modulus, Exponent, Checksum, Expiry string
	} `json:"ca_key"`
	Exchanges []struct {
		Command  string `json:"command"`
		Response string `json:"response"`
	} `json:"exchanges"`
}

func loadVisaVectors(t *testing.T) map[string]*visaVector {
	raw, err := os.ReadFile("testdata/visa_sessions.json")
	require.NoError(t, err)
	var f struct {
		Cases []*visaVector `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &f))
	m := map[string]*visaVector{}
	for _, c := range f.Cases {
		require.NotEmpty(t, c.Source)
		m[c.ID] = c
	}
	require.Len(t, m, 2)
	return m
}

// activation selects the recorded application through the replay (PPSE,
// then the AID, as the Entry Point does) and builds the kernel's
// activation from the terminal data the recorded commands carry.
func (v *visaVector) activation(t *testing.T, withExpiry bool) (*contactless.Activation, *apdu.Replay, *[]contactless.UIRequest) {
	s := &apdu.Session{Source: v.Source, Proves: v.ID}
	for _, e := range v.Exchanges {
		s.Exchanges = append(s.Exchanges, apdu.SessionExchange{Command: h(e.Command), Response: h(e.Response)})
	}
	rp := apdu.NewReplay(s, apdu.ReplayStrict)
	ctx := context.Background()
	r, err := apdu.Exchange(ctx, rp, apdu.Select([]byte("2PAY.SYS.DDF01"), false))
	require.NoError(t, err)
	require.Equal(t, apdu.SWOK, r.SW)
	r, err = apdu.Exchange(ctx, rp, apdu.Select(h(visaAID), false))
	require.NoError(t, err)
	require.Equal(t, apdu.SWOK, r.SW)

	key := oda.CAKey{Index: h(v.CAKey.Index)[0], Modulus: h(v.CAKey.Modulus), Exponent: h(v.CAKey.Exponent)}
	copy(key.RID[:], h(v.CAKey.RID))
	key.CheckSum = h(v.CAKey.Checksum)
	if v.CAKey.Checksum == "" {
		sum := key.ComputeCheckSum()
		key.CheckSum = sum[:]
	}
	if withExpiry && v.CAKey.Expiry != "" {
		key.Expiry, err = time.Parse(time.DateOnly, v.CAKey.Expiry)
		require.NoError(t, err)
	}
	ks := oda.NewKeyStore()
	require.NoError(t, ks.Add(key))

	tm := v.Terminal
	country := tm.Country
	if country == "" {
		country = tm.Currency
	}
	var td []byte
	td = tlv.AppendTLV(td, 0x9F1A, h(country))
	td = tlv.AppendTLV(td, 0x5F2A, h(tm.Currency))
	td = tlv.AppendTLV(td, 0x9F02, h(tm.Amount))
	td = tlv.AppendTLV(td, 0x9F03, h("000000000000"))
	td = tlv.AppendTLV(td, 0x9C, h(tm.Type))
	td = tlv.AppendTLV(td, 0x9A, h(tm.Date))
	td = tlv.AppendTLV(td, 0x9F66, h(tm.TTQ))
	date, _ := bcdDate(h(tm.Date))
	ui := &[]contactless.UIRequest{}
	a := &contactless.Activation{
		Card: rp, Start: contactless.StartA,
		Combination:  &contactless.Combination{AID: h(visaAID), Kernel: contactless.Kernel3},
		FCI:          r.Data,
		Indicators:   contactless.Indicators{TTQ: [4]byte(h(tm.TTQ))},
		TerminalData: td,
		CAKeys:       ks,
		UI:           func(u contactless.UIRequest) { *ui = append(*ui, u) },
		Time:         func() time.Time { return date },
		Rand:         bytes.NewReader(h(tm.UN)),
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return a, rp, ui
}

// The mock Visa offline card of MohamedHassanNasr/emv (a scripted replay)
// signs its fDDA with Signed Data Format 05. Book C-3 Annex C.2 has fDDA
// sign with format 95, so Kernel 3 fails fDDA on it: with CTQ 0000 (no
// policy) the TC is declined offline, TVR byte 1 bit 4. Everything else of
// its chain verifies: the one failing check is the format. The CA key 92
// is loaded as the source's configuration loads it, without its 12/17
// expiry (the outcome would not change: fDDA fails either way).
func TestVectorMockVisaOffline(t *testing.T) {
	v := loadVisaVectors(t)["emvmock-mock-visa-offline"]
	a, rp, ui := v.activation(t, false)
	out, err := New(Config{}).Activate(context.Background(), a)
	require.NoError(t, err)
	want := declinedNo9F5D.params()
	want.UIRequestOnOutcome.LanguagePreference = ""
	assert.Equal(t, want, out.Parameters)
	assert.Equal(t, "0800000000", tag(t, out.DataRecord, 0x95))
	assert.Equal(t, "40", tag(t, out.DataRecord, 0x9F27), "no 9F27: TC from IAD byte 5 (0x90: bits 6-5 = 01)")
	assert.Equal(t, "20261203C3227D26", tag(t, out.DataRecord, 0x9F26))
	assert.Len(t, *ui, 1)
	assert.NoError(t, rp.Close(), "every recorded command was sent, byte for byte")

	// The failing check, and only it.
	a, _, _ = v.activation(t, false)
	s := &transactionState{ctx: context.Background(), k: New(Config{}), a: a}
	require.Nil(t, s.initiate())
	out, err = s.gpo()
	require.NoError(t, err)
	require.Nil(t, out)
	out, err = s.readRecords()
	require.NoError(t, err)
	require.Nil(t, out)
	var oe *oda.Error
	require.True(t, errors.As(s.verifyFDDA(), &oe))
	assert.Equal(t, oda.CheckSDADFormat, oe.Check, "%v", oe)
}

// A real Visa contactless card (TalkToYourCreditCardPart7): an ARQC with
// fDDA in the GPO response (format 95, version 01), the reader asking for
// ODA on online authorisations (TTQ 27000000). The date is pinned to the
// recording's 9A, 2023-03-01. CA key Visa 09 ended 2022-12-31: loaded as
// the vector file gives it (no date), fDDA verifies through Kernel 3; with
// its expiry, the CA key is refused on 2023-03-01 and fDDA fails (TVR byte 1
// bit 4). Online Request either way: the card asked to go online.
func TestVectorTalkToYourCreditCardVisa(t *testing.T) {
	v := loadVisaVectors(t)["talktoyourcreditcard7-visa"]
	for _, tc := range []struct {
		name       string
		withExpiry bool
		tvr        string
	}{
		{"C3_5_6_RealCardFDDA95_Verified_OnlineRequest", false, "0000000000"},
		{"C3_5_6_RealCard_CAKeyExpired_DDAFailed_OnlineRequest", true, "0800000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, rp, ui := v.activation(t, tc.withExpiry)
			out, err := New(Config{}).Activate(context.Background(), a)
			require.NoError(t, err)
			want := onlineNoCVM.params()
			want.UIRequestOnOutcome.LanguagePreference = "deen"
			assert.Equal(t, want, out.Parameters)
			assert.Equal(t, tc.tvr, tag(t, out.DataRecord, 0x95))
			assert.Equal(t, "80", tag(t, out.DataRecord, 0x9F27))
			assert.Equal(t, "0400", tag(t, out.DataRecord, 0x9F6C))
			assert.Equal(t, "20700000", tag(t, out.DataRecord, 0x9F6E))
			assert.Equal(t, "27000000", tag(t, out.DataRecord, 0x9F66))
			assert.Equal(t, []contactless.UIRequest{{Message: contactless.MsgCardReadOK, Status: contactless.UICardReadSuccessfully, LanguagePreference: "deen"}}, *ui)
			assert.NoError(t, rp.Close())
		})
	}
}
