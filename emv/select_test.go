package emv_test

import (
	"context"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCard answers each command with a function of it: a scripted card for
// the directory structures the virtual card does not build.
type fakeCard struct {
	answer func(c apdu.Command) []byte
	n      int
}

func (f *fakeCard) Transmit(ctx context.Context, b []byte) ([]byte, error) {
	f.n++
	c, err := apdu.ParseCommand(b)
	if err != nil {
		return []byte{0x67, 0x00}, nil
	}
	return f.answer(c), nil
}

func fci(name []byte, sfi byte) []byte {
	a5 := tlv.AppendTLV(nil, 0x88, []byte{sfi})
	v := tlv.AppendTLV(tlv.AppendTLV(nil, 0x84, name), 0xA5, a5)
	return append(tlv.AppendTLV(nil, 0x6F, v), 0x90, 0x00)
}

func adfFCI(aid []byte, label string) []byte {
	a5 := tlv.AppendTLV(nil, 0x50, []byte(label))
	v := tlv.AppendTLV(tlv.AppendTLV(nil, 0x84, aid), 0xA5, a5)
	return append(tlv.AppendTLV(nil, 0x6F, v), 0x90, 0x00)
}

// entry is a directory entry 61: an ADF (4F) or a DDF (9D) with a label
// and a priority.
func entry(tag tlv.Tag, name []byte, label string, priority byte) []byte {
	v := tlv.AppendTLV(nil, tag, name)
	v = tlv.AppendTLV(v, 0x50, []byte(label))
	if priority != 0 {
		v = tlv.AppendTLV(v, 0x87, []byte{priority})
	}
	return tlv.AppendTLV(nil, 0x61, v)
}

func record(entries ...[]byte) []byte {
	var v []byte
	for _, e := range entries {
		v = append(v, e...)
	}
	return append(tlv.AppendTLV(nil, 0x70, v), 0x90, 0x00)
}

var sw6A83 = []byte{0x6A, 0x83}

// Book 1 §12.3.2: a DDF named in the PSE directory is selected and its
// own directory read after the PSE's, and its ADFs join the candidate
// list in priority order.
func TestPSEWithNestedDDF(t *testing.T) {
	ddf := []byte("DDF.NESTED")
	visa, mc := mustHex("A0000000031010"), mustHex("A0000000041010")
	card := &fakeCard{answer: func(c apdu.Command) []byte {
		switch {
		case c.INS == apdu.InsSelect && string(c.Data) == "1PAY.SYS.DDF01":
			return fci(c.Data, 1)
		case c.INS == apdu.InsSelect && string(c.Data) == string(ddf):
			return fci(ddf, 2)
		case c.INS == apdu.InsSelect && string(c.Data) == string(mc):
			return adfFCI(mc, "MC")
		case c.INS == apdu.InsReadRecord && c.P2 == 1<<3|4 && c.P1 == 1:
			return record(entry(0x4F, visa, "VISA", 2), entry(0x9D, ddf, "MORE", 0))
		case c.INS == apdu.InsReadRecord && c.P2 == 2<<3|4 && c.P1 == 1:
			return record(entry(0x4F, mc, "MC", 1))
		case c.INS == apdu.InsReadRecord:
			return sw6A83
		case c.INS == apdu.InsGetProcessingOptions:
			return []byte{0x69, 0x85}
		}
		return []byte{0x6A, 0x82}
	}}
	cfg := testConfig(t, emvtest.NewCard(visaCDA()))
	sel := &selector{index: 0}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1}, &emv.Terminal{Selector: sel})
	require.ErrorIs(t, err, emv.ErrNotAccepted)
	// Offered once: after GPO 6985 one candidate is left, selected
	// without asking (Book 1 §12.4).
	require.Len(t, sel.offered, 1)
	// Priority 1 (MC, from the DDF) before priority 2 (Visa, from the PSE).
	assert.Equal(t, "A0000000041010", hexOf(sel.offered[0][0].AID))
	assert.Equal(t, "A0000000031010", hexOf(sel.offered[0][1].AID))
	assert.Equal(t, "SEL RR RR SEL RR RR SEL GPO SEL", res.Trace.Compact())
	assert.Equal(t, []string{pse + "/00", hexOf(ddf) + "/00", "A0000000041010/00", "A0000000031010/00"}, selectedNames(res.Trace))
}

// A directory that names itself again and again cannot hold the
// terminal: depth, DDFs and records are bounded (Book 1 §12.3.2), and the
// PSE that cannot be walked gives way to the list of AIDs.
func TestPSEDirectoryLoopIsBounded(t *testing.T) {
	ddf := []byte("LOOP")
	card := &fakeCard{answer: func(c apdu.Command) []byte {
		switch {
		case c.INS == apdu.InsSelect && string(c.Data) == "1PAY.SYS.DDF01":
			return fci(c.Data, 1)
		case c.INS == apdu.InsSelect && string(c.Data) == string(ddf):
			return fci(ddf, 1)
		case c.INS == apdu.InsReadRecord && c.P1 <= 3:
			return record(entry(0x9D, ddf, "AGAIN", 0), entry(0x9D, ddf, "AGAIN", 0))
		case c.INS == apdu.InsReadRecord:
			return sw6A83
		}
		return []byte{0x6A, 0x82}
	}}
	cfg := testConfig(t, emvtest.NewCard(visaCDA()))
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1}, nil)
	require.ErrorIs(t, err, emv.ErrNotAccepted)
	assert.LessOrEqual(t, card.n, 1+32+8+3, "PSE, at most 32 records and 8 DDFs, then the three AIDs")
	assert.Equal(t, card.n, len(res.Trace))
}

// Book 1 §12.3.3: partial selection with several applications behind one
// AID prefix: SELECT next occurrence until the card has no more, every
// matching application a candidate; a blocked one (6283) is not.
func TestListOfAIDsSelectNextOccurrences(t *testing.T) {
	prefix := mustHex("A000000003")
	apps := [][]byte{mustHex("A0000000031010"), mustHex("A0000000032010"), mustHex("A0000000038010")}
	i := 0
	card := &fakeCard{answer: func(c apdu.Command) []byte {
		switch {
		case c.INS == apdu.InsSelect && string(c.Data) == string(prefix):
			if c.P2 == 0 {
				i = 0
			}
			if i == len(apps) {
				return []byte{0x6A, 0x82}
			}
			r := adfFCI(apps[i], "APP")
			if i == 1 {
				r[len(r)-2], r[len(r)-1] = 0x62, 0x83 // blocked
			}
			i++
			return r
		case c.INS == apdu.InsGetProcessingOptions:
			return []byte{0x69, 0x85}
		case c.INS == apdu.InsSelect && len(c.Data) == 7:
			return adfFCI(c.Data, "APP")
		}
		return []byte{0x6A, 0x82}
	}}
	cfg := testConfig(t, emvtest.NewCard(visaCDA()))
	cfg.Applications = []emv.Application{{AID: prefix, PartialSelection: true}}
	sel := &selector{}
	res, err := emv.Run(context.Background(), card, cfg, emv.Transaction{Amount: 1}, &emv.Terminal{Selector: sel})
	require.ErrorIs(t, err, emv.ErrNotAccepted)
	require.NotEmpty(t, sel.offered)
	var got []string
	for _, c := range sel.offered[0] {
		got = append(got, hexOf(c.AID))
	}
	assert.Equal(t, []string{"A0000000031010", "A0000000038010"}, got)
	assert.Equal(t, []string{pse + "/00", "A000000003/00", "A000000003/02", "A000000003/02", "A000000003/02", "A0000000031010/00", "A0000000038010/00"}, selectedNames(res.Trace))
}
