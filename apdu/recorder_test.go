package apdu

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A READ RECORD answer holding a PAN, track 2 and the cardholder name
// (test card values).
const recordWithPAN = "7036" +
	"5A084761739001010119" + // 5A PAN 4761739001010119
	"57134761739001010119D22122011143804400000F" + // 57 track 2
	"5F200F4D4153544552434152442F54455354" + // 5F20 cardholder name
	"9F0702FF00"

// fixedClock returns a clock that advances by step on every call.
func fixedClock(step time.Duration) func() time.Time {
	t0 := time.Unix(0, 0)
	n := 0
	return func() time.Time {
		n++
		return t0.Add(time.Duration(n) * step)
	}
}

func TestRecorderRecordsInOrder(t *testing.T) {
	card := &scriptedCard{t: t, script: []step{
		{"00A404000E315041592E5359532E444446303100", "6A82", nil},
		{"00B2010C00", recordWithPAN + "9000", nil},
	}}
	rec := NewRecorder(card)
	rec.Now = fixedClock(time.Millisecond)
	ctx := context.Background()
	_, err := Exchange(ctx, rec, Select([]byte("1PAY.SYS.DDF01"), false))
	require.NoError(t, err)
	resp, err := Exchange(ctx, rec, ReadRecord(1, 1))
	require.NoError(t, err)
	assert.Equal(t, SWOK, resp.SW)
	card.done(t)

	es := rec.Entries()
	require.Len(t, es, 2)
	assert.Equal(t, 2, rec.Len())
	assert.Equal(t, "00A404000E315041592E5359532E444446303100", fmt.Sprintf("%X", es[0].Command))
	assert.Equal(t, "6A82", fmt.Sprintf("%X", es[0].Response))
	assert.Equal(t, time.Millisecond, es[0].Duration)
	assert.Equal(t, recordWithPAN+"9000", fmt.Sprintf("%X", es[1].Response))

	var buf bytes.Buffer
	require.NoError(t, rec.WriteTrace(&buf))
	assert.Equal(t,
		"  1 SELECT 00A40400 Lc=0E 315041592E5359532E4444463031 Le=00 -> 6A82 (file or application not found) (1ms)\n"+
			"  2 READ RECORD 00B2010C Le=00 -> 70365A08476173******0119"+
			"5713476173******0119D********************F"+
			"5F200F******************************9F0702FF00 9000 (success) (1ms)\n",
		buf.String())
	assert.NotContains(t, buf.String(), "4761739001010119")
}

// Take hands over the trace recorded so far without a copy and starts an
// empty one; what is recorded later is not in the slice taken.
func TestRecorderTake(t *testing.T) {
	rec := NewRecorder(transmitFunc(func(context.Context, []byte) ([]byte, error) { return []byte{0x90, 0x00}, nil }))
	ctx := context.Background()
	_, err := rec.Transmit(ctx, unhex(t, "0084000000"))
	require.NoError(t, err)
	first := rec.Entries()
	es := rec.Take()
	require.Equal(t, first, es)
	assert.Equal(t, 0, rec.Len())
	assert.Nil(t, rec.Take())
	_, err = rec.Transmit(ctx, unhex(t, "00B2010C00"))
	require.NoError(t, err)
	require.Len(t, es, 1)
	assert.Equal(t, unhex(t, "0084000000"), es[0].Command)
	assert.Equal(t, unhex(t, "00B2010C00"), rec.Entries()[0].Command)
	require.Greater(t, cap(es), 1)
	assert.Nil(t, es[:2][1].Command, "a later exchange does not reach the taken slice's storage")
}

// With Room the trace is kept in the caller's storage: the exchanges in
// its entries, the copied commands and responses in its bytes, with no
// allocation of the Recorder's own; a trace longer than the room goes on
// in storage the Recorder allocates, the exchanges before it unchanged.
func TestRecorderRoom(t *testing.T) {
	var room [3]TraceEntry
	var bytesRoom [64]byte
	ok := []byte{0x90, 0x00}
	rec := NewRecorder(transmitFunc(func(context.Context, []byte) ([]byte, error) { return ok, nil }))
	rec.Untimed = true
	rec.Room(room[:], bytesRoom[:])
	ctx := context.Background()
	pin := unhex(t, "0020008008241234FFFFFFFFFF")
	// AllocsPerRun sends the VERIFY twice: once to warm up, once counted.
	allocs := testing.AllocsPerRun(1, func() {
		if _, err := rec.Transmit(ctx, pin); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "an exchange within the room allocates nothing")
	assert.Equal(t, unhex(t, "00200080080000000000000000"), room[0].Command, "redacted in the room")
	assert.Same(t, &bytesRoom[0], &room[0].Command[0])
	assert.Same(t, &bytesRoom[13], &room[0].Response[0])
	_, err := rec.Transmit(ctx, unhex(t, "0084000008"))
	require.NoError(t, err)
	_, err = rec.Transmit(ctx, unhex(t, "00B2010C00"))
	require.NoError(t, err)
	es := rec.Take()
	require.Len(t, es, 4)
	assert.Equal(t, unhex(t, "0084000008"), room[2].Command)
	assert.Equal(t, unhex(t, "00B2010C00"), es[3].Command)
	assert.NotSame(t, &room[0], &es[0], "past the room the entries moved to the Recorder's own storage")
	assert.Equal(t, room[:], es[:3])
	assert.Zero(t, rec.Len())
	// After Take the room is the caller's: what is recorded next does not
	// reach it.
	_, err = rec.Transmit(ctx, unhex(t, "0084000000"))
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "0084000008"), room[2].Command)
	assert.Equal(t, unhex(t, "0084000000"), rec.Entries()[0].Command)
	// Room starts the trace again.
	rec.Room(nil, nil)
	assert.Zero(t, rec.Len())
}

// The recorder keeps its own copy of the response: a card that reuses its
// buffer cannot change the trace.
func TestRecorderCopiesResponse(t *testing.T) {
	buf := []byte{0x90, 0x00}
	rec := NewRecorder(transmitFunc(func(context.Context, []byte) ([]byte, error) { return buf, nil }))
	got, err := rec.Transmit(context.Background(), unhex(t, "0084000000"))
	require.NoError(t, err)
	buf[0] = 0x6F
	assert.Equal(t, []byte{0x90, 0x00}, rec.Entries()[0].Response)
	assert.Equal(t, []byte{0x90, 0x00}, got, "the caller gets the copy, not the card's buffer")
	// One copy, shared by the trace and the caller: an answer is kept once.
	assert.Same(t, &rec.Entries()[0].Response[0], &got[0])
}

// An Untimed Recorder reads no clock, not even its Now, and leaves every
// Duration zero.
func TestRecorderUntimed(t *testing.T) {
	rec := &Recorder{Card: transmitFunc(func(context.Context, []byte) ([]byte, error) {
		time.Sleep(time.Millisecond)
		return []byte{0x90, 0x00}, nil
	}), Untimed: true, Now: func() time.Time { panic("clock read") }}
	_, err := rec.Transmit(context.Background(), unhex(t, "0084000008"))
	require.NoError(t, err)
	assert.Zero(t, rec.Entries()[0].Duration)
}

// With SharedResponses the trace and the caller get the card's own
// response, not a copy; the command is still copied, and redacted.
func TestRecorderSharedResponses(t *testing.T) {
	resp := unhex(t, recordWithPAN+"9000")
	rec := &Recorder{Card: transmitFunc(func(context.Context, []byte) ([]byte, error) { return resp, nil }), SharedResponses: true}
	cmd := unhex(t, "00B2010C00")
	got, err := rec.Transmit(context.Background(), cmd)
	require.NoError(t, err)
	assert.Same(t, &resp[0], &got[0])
	assert.Equal(t, len(resp), cap(got), "an append to the answer cannot write past it")
	e := rec.Entries()[0]
	assert.Same(t, &resp[0], &e.Response[0])
	cmd[0] = 0xFF
	assert.Equal(t, unhex(t, "00B2010C00"), e.Command, "the command is the recorder's copy")
	pin := unhex(t, "0020008008241234FFFFFFFFFF")
	_, err = rec.Transmit(context.Background(), pin)
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "00200080080000000000000000"), rec.Entries()[1].Command)
}

// Secrets (Book 3 §6.5.12, DESIGN): the PIN block of VERIFY and the new PIN
// of PIN CHANGE/UNBLOCK exist nowhere in a recording: not in its entries,
// its printed trace, its session JSON, nor any error made from it.
func TestRecorderRedactsSensitiveData(t *testing.T) {
	pin := unhex(t, pinBlockHex)
	commands := []Command{
		Verify(VerifyPlaintextPIN, pin),
		Verify(VerifyEncipheredPIN, bytes.Repeat(pin, 16)), // 128 bytes
		{CLA: 0x84, INS: InsPINChangeUnblock, P2: 0x02, Data: append(append([]byte{}, pin...), 1, 2, 3, 4)},
		{CLA: 0x00, INS: InsVerify, P2: 0x80, Data: pin, Le: 256}, // a VERIFY sent as case 4
	}
	for _, c := range commands {
		t.Run(c.Name(), func(t *testing.T) {
			enc, err := c.Bytes()
			require.NoError(t, err)
			card := &scriptedCard{t: t, script: []step{{fmt.Sprintf("%X", enc), "63C2", nil}}}
			rec := NewRecorder(card)
			resp, err := Exchange(context.Background(), rec, c)
			require.NoError(t, err)
			assert.Equal(t, SW(0x63C2), resp.SW)
			require.Equal(t, enc, card.got[0], "the card gets the real PIN block")

			e := rec.Entries()[0]
			assert.Equal(t, enc[:5], e.Command[:5], "header and Lc are kept")
			assert.Len(t, e.Command, len(enc))
			assert.Equal(t, make([]byte, len(c.Data)), e.Command[5:5+len(c.Data)])
			if c.Le > 0 {
				assert.Equal(t, enc[len(enc)-1], e.Command[len(e.Command)-1], "Le is kept")
			}

			var trace, js bytes.Buffer
			require.NoError(t, rec.WriteTrace(&trace))
			require.NoError(t, rec.Session("test", "redaction").Write(&js))
			replayErr := NewReplay(rec.Session("t", "p"), ReplayStrict).Close()
			mismatch := func() error {
				r := NewReplay(&Session{Exchanges: []SessionExchange{{Command: unhex(t, "00B2010C00"), Response: []byte{0x90, 0}}}}, ReplayStrict)
				_, err := r.Transmit(context.Background(), enc)
				return err
			}()
			require.Error(t, mismatch)
			for name, s := range map[string]string{
				"entries":       fmt.Sprintf("%v %+v %#v %X", rec.Entries(), rec.Entries(), rec.Entries(), e.Command),
				"trace":         trace.String(),
				"session JSON":  js.String(),
				"entry string":  e.String(),
				"replay close":  fmt.Sprint(replayErr),
				"replay error":  fmt.Sprintf("%v %#v", mismatch, mismatch),
				"session bytes": fmt.Sprintf("%X", rec.Session("t", "p").Exchanges[0].Command),
			} {
				assert.False(t, leaks(s, pin), "%s shows the PIN block: %s", name, s)
				assert.False(t, leaks(s, c.Data), "%s shows the command data", name)
			}
			assert.Contains(t, trace.String(), fmt.Sprintf("[%d bytes redacted]", len(c.Data)))
			assert.Contains(t, js.String(), fmt.Sprintf("%X%s", enc[:5], strings.Repeat("XX", len(c.Data))))
		})
	}
}

func TestRedactCommand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0020008008" + pinBlockHex, "0020008008" + "0000000000000000"},
		{"0020008008" + pinBlockHex + "00", "0020008008" + "0000000000000000" + "00"},
		{"8424000208" + pinBlockHex, "8424000208" + "0000000000000000"},
		{"0020008004" + pinBlockHex, "0020008004" + "0000000000000000"}, // malformed: all after Lc
		{"00200080", "00200080"}, // VERIFY without data (case 1)
		{"00B2010C00", "00B2010C00"},
		{"00A4040002A0A1", "00A4040002A0A1"},
	}
	for _, tt := range tests {
		in := unhex(t, tt.in)
		got := RedactCommand(in)
		assert.Equal(t, tt.want, fmt.Sprintf("%X", got))
		assert.Equal(t, tt.in, fmt.Sprintf("%X", in), "input unchanged")
	}
}

// Book 3 Annex A1 data masked in the trace: PAN (first 6, last 4 shown),
// track 2 (PAN as 5A, the rest hidden), names and track 1 hidden. Other
// data is shown as it is; data that is not BER-TLV is hidden with its
// length.
func TestMaskPAN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"5A084761739001010119", "5A08476173******0119"},
		{"5A0A6799998900000060019F", "5A0A679999*********0019F"},
		{"5A0512345678 9F", "5A05*********F"},
		{"57134761739001010119D22122011143804400000F", "5713476173******0119D********************F"},
		{"9F6B08476173900101D221", "9F6B08476173**0101D***"},
		{"57084761739001010119", "5708****************"}, // no separator: hidden whole
		{"560A42343736313733393030", "560A********************"},
		{"5F2003414243", "5F2003******"},
		{"9F0B03414243", "9F0B03******"}, // Cardholder Name Extended, hidden as tlv.Describe hides it
		// UnionPay Cardholder ID Number 9F61 and ID type 9F62 (record 2 of
		// the UnionPay test card 6210948000000011, binaryfoo/emv-bertlv
		// contact-upi-in.txt): the number is hidden whole, the type shown.
		{"70199F6112313130313031313938363036323030303130" + "9F620100",
			"70199F6112" + strings.Repeat("**", 18) + "9F620100"},
		{"9F1F0231329F200234355F340101", "9F1F02****9F2002****5F340101"},
		{"770A5A0412345678820200000000FF", "770A5A04********820200000000FF"},
		{"9F3602001E", "9F3602001E"},
		{"9F3602001E5A", "9F3602001E[1 bytes hidden: not BER-TLV]"},
		{"70055A08", "[4 bytes hidden: not BER-TLV]"},         // 70 05 claims more than follows
		{"70085A0412345678DF01", "70085A04********" + "****"}, // DF01 has no length
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, MaskPAN(unhex(t, tt.in)), tt.in)
	}
	// Nesting deeper than the walk goes is hidden whole.
	deep := unhex(t, "5A0412345678")
	for range 12 {
		deep = append([]byte{0x70, byte(len(deep))}, deep...)
	}
	assert.NotContains(t, MaskPAN(deep), "12345678")
	// The headers of the maskDepth templates walked and of the first one
	// too deep are shown; everything inside that one is hidden, the 5A
	// header too (a PAN of 8 digits would be hidden by the 5A rule alone).
	walked := 2 * (maskDepth + 1)
	assert.Equal(t, fmt.Sprintf("%X", deep[:walked])+strings.Repeat("**", len(deep)-walked), MaskPAN(deep))
}

func TestTraceEntryFormat(t *testing.T) {
	tests := []struct {
		e    TraceEntry
		want string
	}{
		{TraceEntry{Command: unhex(t, "0084000000"), Response: unhex(t, "5A0412345678AABBCCDD9000"), Duration: 1500 * time.Microsecond},
			"GET CHALLENGE 00840000 Le=00 -> 5A0412345678AABBCCDD 9000 (success) (1.5ms)"},
		{TraceEntry{Command: unhex(t, "00B2010C00"), Err: ErrCardRemoved, Duration: time.Millisecond},
			"READ RECORD 00B2010C Le=00 -> error: apdu: card removed (1ms)"},
		{TraceEntry{Command: unhex(t, "00B2"), Response: unhex(t, "6D00")},
			"malformed command 00B2 -> 6D00 (instruction code not supported or invalid) (0s)"},
		{TraceEntry{Command: unhex(t, "00B2010C00"), Response: unhex(t, "90")},
			"READ RECORD 00B2010C Le=00 -> 1-byte response without status word (0s)"},
		{TraceEntry{Command: unhex(t, "0020008004"+pinBlockHex)},
			"malformed command 00200080040000000000000000 -> 0-byte response without status word (0s)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.e.String())
	}
	// A custom masker is used for data.
	e := TraceEntry{Command: unhex(t, "00B2010C00"), Response: unhex(t, "70009000")}
	assert.Equal(t, "READ RECORD 00B2010C Le=00 -> [2 bytes] 9000 (success) (0s)",
		e.Format(func(b []byte) string { return fmt.Sprintf("[%d bytes]", len(b)) }))
}

// A Recorder is read while it records: go test -race checks it.
func TestRecorderConcurrentRead(t *testing.T) {
	rec := NewRecorder(transmitFunc(func(context.Context, []byte) ([]byte, error) { return []byte{0x90, 0}, nil }))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				_, _ = rec.Transmit(context.Background(), unhex(t, "80CA9F3600"))
				_ = rec.Entries()
				_ = rec.WriteTrace(&bytes.Buffer{})
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 200, rec.Len())
}

func TestRecorderSession(t *testing.T) {
	card := &scriptedCard{t: t, script: []step{
		{"00B2010C00", "7001019000", nil},
		{"00B2020C00", "", fmt.Errorf("pcsc: %w", ErrCardRemoved)},
	}}
	rec := NewRecorder(card)
	_, _ = Exchange(context.Background(), rec, ReadRecord(1, 1))
	_, err := Exchange(context.Background(), rec, ReadRecord(1, 2))
	require.ErrorIs(t, err, ErrCardRemoved)
	s := rec.Session("virtual card", "card removed during READ RECORD")
	assert.Equal(t, &Session{
		Source: "virtual card", Proves: "card removed during READ RECORD",
		Exchanges: []SessionExchange{
			{Command: unhex(t, "00B2010C00"), Response: unhex(t, "7001019000")},
			{Command: unhex(t, "00B2020C00"), Error: SessionErrorCardRemoved},
		},
	}, s)
}
