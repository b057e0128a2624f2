package kernel2

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/emv/emvtest"
	"github.com/emvkit/emvkit/tlv"
)

// terminalNo9F35 is the scenarios' terminal data without the Terminal Type
// 9F35, which the CDOL1 asks for (its byte 30).
const terminalNo9F35 = "9F1A0208405F2A0208405F3601029F3303E0F8C89F4005F000F0A0019F09020002"

// cdolTerminalType is the offset of 9F35 in the CDOL1 related data of the
// Mastercard profiles (9F02 6, 9F03 6, 9F1A 2, 95 5, 5F2A 2, 9A 3, 9C 1,
// 9F37 4, then 9F35).
const cdolTerminalType = 29

// runExchange taps MastercardOffline with the terminal data and the
// terminal's data exchange function f, and returns the DEKs it received,
// the outcome and the GENERATE AC data sent.
func runExchange(t *testing.T, o tapOpts, f func(DataExchange) ([]byte, error)) ([]DataExchange, []byte) {
	t.Helper()
	if f == nil {
		return runExchangeDET(t, o, nil)
	}
	return runExchangeDET(t, o, func(d DataExchange) (DET, error) {
		b, err := f(d)
		return DET{Data: b}, err
	})
}

// runExchangeDET is runExchange with a terminal that answers a whole DET.
func runExchangeDET(t *testing.T, o tapOpts, f func(DataExchange) (DET, error)) ([]DataExchange, []byte) {
	t.Helper()
	card := emvtest.NewCard(emvtest.MastercardOffline())
	tp := newTap(t, card, o)
	tl := &timedLink{t: card, clk: tp.clock}
	tp.rec = apdu.NewRecorder(tl)
	tp.act.Card = tp.rec
	var deks []DataExchange
	cfg := Config{Clock: tp.clock.now, Sleep: tp.clock.sleep}
	if f != nil {
		cfg.DataExchange = func(_ context.Context, d DataExchange) (DET, error) {
			deks = append(deks, d)
			return f(d)
		}
	}
	out, err := New(cfg).Activate(context.Background(), tp.act)
	require.NoError(t, err)
	assert.Equal(t, approvedNoCVM.params(), out.Parameters)
	var genAC []byte
	for _, e := range tp.rec.Entries() {
		if len(e.Command) > 5 && e.Command[1] == apdu.InsGenerateAC {
			genAC = e.Command[5 : 5+int(e.Command[4])]
		}
	}
	require.Len(t, genAC, 33, "CDOL1 related data")
	return deks, genAC
}

// Book C-2 DEK: Data To Send holds, in the order of Tags To Read (DF8112),
// each object the card gave, and an unavailable one with length zero; Data
// Needed holds the CDOL1 tag neither card nor terminal has (9F35), and the
// DET's Terminal Type is what GENERATE AC carries.
func TestDataExchangeDEKAndDET(t *testing.T) {
	deks, genAC := runExchange(t, tapOpts{amount: 2000, terminal: terminalNo9F35, extraData: "DF8112075F249F429F5057"},
		func(DataExchange) ([]byte, error) { return h("9F350122"), nil })
	require.Len(t, deks, 1)
	assert.Equal(t, []tlv.Tag{0x9F35}, deks[0].DataNeeded)
	v, ok := tlv.Find(deks[0].DataToSend, 0x57)
	require.True(t, ok)
	assert.Equal(t, "5F2403301231"+"9F42020840"+"9F5000"+"57"+hexs([]byte{byte(len(v))})+hexs(v), hexs(deks[0].DataToSend))
	assert.Equal(t, byte(0x22), genAC[cdolTerminalType], "9F35 from the DET")
}

// No exchange without something to say, and none without a terminal
// that listens: the CDOL1 entry the kernel has no data for is zeros
// (Book 3 §5.4), the book's default.
func TestDataExchangeDefaults(t *testing.T) {
	deks, genAC := runExchange(t, tapOpts{amount: 2000}, func(DataExchange) ([]byte, error) { return h("9F350111"), nil })
	assert.Empty(t, deks, "full terminal data and no Tags To Read: no DEK")
	assert.Equal(t, byte(0x22), genAC[cdolTerminalType])

	_, genAC = runExchange(t, tapOpts{amount: 2000, terminal: terminalNo9F35}, nil)
	assert.Equal(t, byte(0x00), genAC[cdolTerminalType], "no DataExchange: zeros")

	for name, f := range map[string]func(DataExchange) ([]byte, error){
		"terminal error":  func(DataExchange) ([]byte, error) { return nil, errors.New("no answer") },
		"DET not BER-TLV": func(DataExchange) ([]byte, error) { return h("9F3502"), nil },
		"DET constructed": func(DataExchange) ([]byte, error) { return h("E1039F350122"), nil },
	} {
		deks, genAC := runExchange(t, tapOpts{amount: 2000, terminal: terminalNo9F35}, f)
		assert.Len(t, deks, 1, name)
		assert.Equal(t, byte(0x00), genAC[cdolTerminalType], name)
	}
}

// Why Data To Send is handed over unwrapped: package tlv reads a leading
// FF as padding (ISO/IEC 7816-4), so the Book C-2 template FF8104 does not
// survive a parse; the kernel never builds it.
func TestDataToSendTemplateIsNotEncoded(t *testing.T) {
	wrapped := tlv.AppendTLV(nil, tagDataToSend, h("9F42020840"))
	_, ok := tlv.Find(wrapped, tagDataToSend)
	assert.False(t, ok, "tlv skips FF: FF8104 is not found")
	v, ok := tlv.Find(h("9F42020840"), 0x9F42)
	assert.True(t, ok)
	assert.Equal(t, "0840", hexs(v))
}

// Tags To Read and Data Needed are tag lists: one-, two- and three-byte
// tags; a list ending inside a tag, a four-byte tag or more than 32 tags
// is refused.
func TestParseTagList(t *testing.T) {
	tags, ok := parseTagList(h("57 9F42 DF8104 5A"))
	require.True(t, ok)
	assert.Equal(t, []tlv.Tag{0x57, 0x9F42, 0xDF8104, 0x5A}, tags)
	for _, bad := range []string{"9F", "DF81", "DF818181", ""} {
		tags, ok := parseTagList(h(bad))
		if bad == "" {
			assert.True(t, ok)
			assert.Empty(t, tags)
			continue
		}
		assert.False(t, ok, bad)
	}
	long := make([]byte, maxExchangeTags+1)
	for i := range long {
		long[i] = 0x57
	}
	_, ok = parseTagList(long)
	assert.False(t, ok)
	_, ok = parseTagList(long[:maxExchangeTags])
	assert.True(t, ok)
}

func FuzzParseTagList(f *testing.F) {
	f.Add(h("579F42DF81045A"))
	f.Add(h("DF8181"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, ok := parseTagList(b)
		if !ok {
			return
		}
		n := 0
		for _, tg := range tags {
			n += tg.Len()
		}
		if n != len(b) || len(tags) > maxExchangeTags {
			t.Fatalf("%X: %d tags of %d bytes", b, len(tags), n)
		}
	})
}
