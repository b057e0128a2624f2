package kernel3

import (
	"context"
	"errors"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secondTap runs issuer update processing (Book C-3 §5.9): a first tap
// that goes online, the virtual issuer's answer to its Data Record, then
// the restart at Start B with the online response on the same card.
func secondTap(t *testing.T, card *emvtest.Card, rule emvtest.Rule, mangle func([]byte) []byte) (*tap, *contactless.Outcome) {
	t.Helper()
	first := newTap(t, card, tapOpts{amount: 1000})
	out := first.run(t)
	require.Equal(t, contactless.StatusOnlineRequest, out.Parameters.Status)
	require.Equal(t, contactless.StartB, out.Parameters.Start)
	iss := emvtest.IssuerFor(card)
	if rule != nil {
		iss.SetRule(rule)
	}
	resp, err := iss.Authorise(context.Background(), &emvtest.AuthorisationRequest{ICCData: out.DataRecord})
	require.NoError(t, err)
	require.True(t, resp.ARQCValid)
	online := resp.ICCData
	if mangle != nil {
		online = mangle(online)
	}
	card.Reset() // the card left the field and is tapped again
	tp := newTap(t, card, tapOpts{amount: 1000})
	tp.act.Start = contactless.StartB
	tp.act.OnlineResponse = online
	out, err = New(Config{}).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	return tp, out
}

func TestIssuerUpdateProcessing(t *testing.T) {
	approved := expect{status: contactless.StatusApproved, cvm: contactless.CVMNA, msg: contactless.MsgApproved,
		uiStatus: contactless.UICardReadSuccessfully, hold: 13, data: true}
	t.Run("C3_5_9_SecondTap_ExternalAuthenticate_Approved", func(t *testing.T) {
		tp, out := secondTap(t, emvtest.NewCard(emvtest.VisaQVSDCIssuerUpdate()), nil, nil)
		assert.Equal(t, approved.params(), out.Parameters)
		assert.Equal(t, []string{"00820000"}, tp.headers())
		assert.Equal(t, "8A0230309505"+"0000000000", hexs(out.DataRecord))
		assert.Equal(t, []contactless.UIRequest{{Message: contactless.MsgCardReadOK, Status: contactless.UICardReadSuccessfully, LanguagePreference: "en"}}, tp.ui)
	})
	t.Run("C3_5_9_SecondTap_ARPCWrong_IssuerAuthenticationFailed", func(t *testing.T) {
		tp, out := secondTap(t, emvtest.NewCard(emvtest.VisaQVSDCIssuerUpdate()), nil, func(b []byte) []byte {
			b = append([]byte(nil), b...)
			v, _ := tlv.Find(b, 0x91)
			v[0] ^= 0xFF // the ARPC is the first byte of 91's value
			return b
		})
		assert.Equal(t, approved.params(), out.Parameters, "the issuer approved; the TVR tells the ARPC failed")
		assert.Equal(t, []string{"00820000"}, tp.headers())
		assert.Equal(t, "0000000040", tag(t, out.DataRecord, 0x95))
	})
	t.Run("C3_5_9_SecondTap_IssuerScript_ApplicationBlocked", func(t *testing.T) {
		card := emvtest.NewCard(emvtest.VisaQVSDCIssuerUpdate())
		tp, out := secondTap(t, card, func(_ *emvtest.AuthorisationRequest, valid bool) emvtest.Decision {
			return emvtest.Decision{Approve: false, Scripts: []emvtest.Script{{Template: 0x72, ID: h("11223344"), Commands: []emvtest.ScriptCommand{emvtest.ApplicationBlock()}}}}
		}, nil)
		assert.Equal(t, declinedNo9F5D.params().Status, out.Parameters.Status)
		assert.Equal(t, []string{"00820000", "841E0000"}, tp.headers())
		assert.Equal(t, "2011223344", tag(t, out.DataRecord, 0x9F5B), "script performed")
		assert.Equal(t, "9F5B052011223344", hexs(out.DiscretionaryData))
		assert.True(t, card.ApplicationBlocked(h(visaAID)))
	})
	t.Run("C3_5_9_SecondTap_ScriptBadMAC_ScriptFailed", func(t *testing.T) {
		tp, out := secondTap(t, emvtest.NewCard(emvtest.VisaQVSDCIssuerUpdate()), func(*emvtest.AuthorisationRequest, bool) emvtest.Decision {
			return emvtest.Decision{Approve: true, Scripts: []emvtest.Script{{Template: 0x71, Commands: []emvtest.ScriptCommand{emvtest.ApplicationBlock(), emvtest.ApplicationUnblock()}}}}
		}, func(b []byte) []byte {
			b = append([]byte(nil), b...)
			b[len(b)-1] ^= 0x01 // the last MAC byte of the last script command
			return b
		})
		assert.Equal(t, contactless.StatusApproved, out.Parameters.Status)
		assert.Equal(t, []string{"00820000", "841E0000", "84180000"}, tp.headers())
		assert.Equal(t, "1200000000", tag(t, out.DataRecord, 0x9F5B), "script failed at its second command")
	})
}

// A card that leaves the field mid-transaction is a link failure: the
// kernel returns the error and the Entry Point decides (Book B §3.5).
func TestCardRemoved(t *testing.T) {
	for name, at := range map[string]int{
		"C3_5_2_CardRemovedDuringGPO":        2,
		"C3_5_3_CardRemovedDuringReadRecord": 4,
	} {
		t.Run(name, func(t *testing.T) {
			card := emvtest.NewCard(emvtest.VisaQVSDCOffline())
			card.RemoveAt(at) // counted from the SELECT of newTap
			tp := newTap(t, card, tapOpts{amount: 1000})
			out, err := New(Config{}).Activate(context.Background(), tp.act)
			assert.Nil(t, out)
			assert.True(t, errors.Is(err, apdu.ErrCardRemoved), "%v", err)
			assert.Empty(t, tp.ui)
		})
	}
	t.Run("C3_5_2_ContextCancelled", func(t *testing.T) {
		tp := newTap(t, emvtest.NewCard(emvtest.VisaQVSDCOffline()), tapOpts{amount: 1000})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := New(Config{}).Activate(ctx, tp.act)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

// Book C-3 §5.3 gives no bound on the records; the kernel's (Config.
// MaxRecords) makes a card asking for more a card error, before any READ
// RECORD.
func TestRecordBound(t *testing.T) {
	tp := newTap(t, emvtest.NewCard(emvtest.VisaQVSDCOffline()), tapOpts{amount: 1000})
	out, err := New(Config{MaxRecords: 2}).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, endApplication.params(), out.Parameters)
	assert.Equal(t, gpoOnly, tp.headers())
}
