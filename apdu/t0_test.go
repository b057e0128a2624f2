package apdu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// step is one exchange a scripted card expects: the command it must
// receive and what it answers.
type step struct {
	command  string
	response string
	err      error
}

// scriptedCard answers a fixed script and records what it received. A
// command that differs from the script is answered 6F00 and noted in
// mismatch, so the test can fail on it.
type scriptedCard struct {
	t        testing.TB
	script   []step
	got      [][]byte
	mismatch []string
}

func (c *scriptedCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	c.got = append(c.got, append([]byte(nil), cmd...))
	i := len(c.got) - 1
	if i >= len(c.script) {
		c.mismatch = append(c.mismatch, fmt.Sprintf("exchange %d: unexpected %X", i, cmd))
		return []byte{0x6F, 0x00}, nil
	}
	s := c.script[i]
	if want := unhex(c.t, s.command); !bytes.Equal(want, cmd) {
		c.mismatch = append(c.mismatch, fmt.Sprintf("exchange %d: got %X, want %X", i, cmd, want))
	}
	if s.err != nil {
		return nil, s.err
	}
	return unhex(c.t, s.response), nil
}

func (c *scriptedCard) done(t *testing.T) {
	t.Helper()
	assert.Empty(t, c.mismatch)
	assert.Len(t, c.got, len(c.script), "exchanges used")
}

// The T=0 cases asserted by openemv/emv-utils (emv_ttl_tpdu_test.c), taken
// from TPDU level to APDU level; see testdata/t0_emv_utils.json for the
// source and how they were adapted. EMV Book 1 §9.3.1, Annex A.
func TestT0EMVUtilsCases(t *testing.T) {
	b, err := os.ReadFile("testdata/t0_emv_utils.json")
	require.NoError(t, err)
	var file struct {
		Source string
		Cases  []struct {
			Name      string
			Command   string
			Exchanges []struct{ Command, Response string }
			Result    string
		}
	}
	require.NoError(t, json.Unmarshal(b, &file))
	require.Contains(t, file.Source, "openemv/emv-utils")
	require.Len(t, file.Cases, 14)
	for _, tc := range file.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			card := &scriptedCard{t: t}
			for _, x := range tc.Exchanges {
				card.script = append(card.script, step{command: x.Command, response: x.Response})
			}
			resp, err := NewT0(card).Transmit(context.Background(), unhex(t, tc.Command))
			require.NoError(t, err)
			assert.Equal(t, tc.Result, fmt.Sprintf("%X", resp))
			card.done(t)
		})
	}
}

// Book 1 §9.3.1 and Annex A, cases the emv-utils set does not cover.
func TestT0Procedures(t *testing.T) {
	sel := "00A4040007A000000003101000"
	gpo := "80A8000002830000"
	tests := []struct {
		name    string
		command string
		script  []step
		want    string
	}{
		{
			name: "answer straight away is passed through", command: sel,
			script: []step{{sel, "6F0A8407A0000000031010A5009000", nil}},
			want:   "6F0A8407A0000000031010A5009000",
		},
		{
			name: "61 00 asks GET RESPONSE with Le 00", command: "00B2010C00",
			script: []step{{"00B2010C00", "6100", nil}, {"00C0000000", "7001019000", nil}},
			want:   "7001019000",
		},
		{
			name: "6C00 re-sends with Le 00", command: "00B2010C01",
			script: []step{{"00B2010C01", "6C00", nil}, {"00B2010C00", "7001019000", nil}},
			want:   "7001019000",
		},
		{
			name: "6Cxx to a case 4 command re-sends it whole", command: gpo,
			script: []step{{gpo, "6C04", nil}, {"80A8000002830004", "800218009000", nil}},
			want:   "800218009000",
		},
		{
			name: "data sent with 6Cxx is dropped", command: "00B2010C00",
			script: []step{{"00B2010C00", "AABB6C03", nil}, {"00B2010C03", "7001019000", nil}},
			want:   "7001019000",
		},
		{
			name: "warning 63xx to a case 4 command: GET RESPONSE 00, warning kept", command: gpo,
			script: []step{{gpo, "6381", nil}, {"00C0000000", "800218009000", nil}},
			want:   "800218006381",
		},
		{
			name: "warning followed by 61xx chain", command: gpo,
			script: []step{{gpo, "6283", nil}, {"00C0000000", "6104", nil}, {"00C0000004", "800218009000", nil}},
			want:   "800218006283",
		},
		{
			name: "warning, then GET RESPONSE refused: the warning stays", command: gpo,
			script: []step{{gpo, "6283", nil}, {"00C0000000", "6985", nil}},
			want:   "6283",
		},
		{
			name: "warning after 6Cxx re-send of the command is still followed", command: gpo,
			script: []step{{gpo, "6C04", nil}, {"80A8000002830004", "6283", nil}, {"00C0000000", "800218009000", nil}},
			want:   "800218006283",
		},
		{
			name: "warning with data is final", command: sel,
			script: []step{{sel, "6F006283", nil}},
			want:   "6F006283",
		},
		{
			name: "warning to a case 2 command is final", command: "00B2010C00",
			script: []step{{"00B2010C00", "6282", nil}},
			want:   "6282",
		},
		{
			name: "warning from a GET RESPONSE is not followed again", command: sel,
			script: []step{{sel, "6102", nil}, {"00C0000002", "6281", nil}},
			want:   "6281",
		},
		{
			name: "61xx to a case 1 command is passed up", command: "80CA9F36",
			script: []step{{"80CA9F36", "6102", nil}},
			want:   "6102",
		},
		{
			name: "61xx to a case 3 command is passed up", command: "0082000004DEADBEEF",
			script: []step{{"0082000004DEADBEEF", "6102", nil}},
			want:   "6102",
		},
		{
			name: "6Cxx to a case 3 command is passed up", command: "0020008008" + pinBlockHex,
			script: []step{{"0020008008" + pinBlockHex, "6C08", nil}},
			want:   "6C08",
		},
		{
			name: "GET RESPONSE sent by the caller is followed like any case 2", command: "00C0000010",
			script: []step{{"00C0000010", "6C08", nil}, {"00C0000008", "01020304050607089000", nil}},
			want:   "01020304050607089000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := &scriptedCard{t: t, script: tt.script}
			resp, err := NewT0(card).Transmit(context.Background(), unhex(t, tt.command))
			require.NoError(t, err)
			assert.Equal(t, tt.want, fmt.Sprintf("%X", resp))
			card.done(t)
		})
	}
}

// endless answers every command with the same response.
type endless struct {
	resp  []byte
	calls int
}

func (e *endless) Transmit(context.Context, []byte) ([]byte, error) {
	e.calls++
	return e.resp, nil
}

// A card answering 61xx or 6Cxx forever is stopped after MaxRounds added
// exchanges, and one that sends too much after MaxResponse bytes.
func TestT0Bounds(t *testing.T) {
	ctx := context.Background()
	read := ReadRecord(1, 1)
	cmd, _ := read.Bytes()
	for _, resp := range []string{"6110", "6C10", "00006110"} {
		t.Run("endless "+resp, func(t *testing.T) {
			card := &endless{resp: unhex(t, resp)}
			_, err := (&T0{Card: card, MaxRounds: 5, MaxResponse: 1 << 20}).Transmit(ctx, cmd)
			require.ErrorIs(t, err, ErrTooManyRounds)
			var te *T0Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, 5, te.Rounds)
			assert.Equal(t, 6, card.calls, "the command and 5 rounds")
			assert.Equal(t, "READ RECORD", te.Command.Name())
		})
	}
	t.Run("default round limit", func(t *testing.T) {
		card := &endless{resp: unhex(t, "6101")}
		_, err := NewT0(card).Transmit(ctx, cmd)
		require.ErrorIs(t, err, ErrTooManyRounds)
		assert.Equal(t, DefaultT0MaxRounds+1, card.calls)
	})
	t.Run("response too long", func(t *testing.T) {
		card := &endless{resp: append(make([]byte, 255), 0x61, 0x00)}
		_, err := NewT0(card).Transmit(ctx, cmd)
		require.ErrorIs(t, err, ErrResponseTooLong)
		var te *T0Error
		require.ErrorAs(t, err, &te)
		assert.Equal(t, DefaultT0MaxResponse/255*255+255, te.Length, "the answer that went over counts")
		assert.Equal(t, DefaultT0MaxResponse, te.Limit)
		assert.Equal(t, "apdu: T=0: READ RECORD: response too long (16 rounds, 4335 data bytes, limit 4096)", err.Error())
	})
	// ISO 7816-4 §5.1: a short Le asks for 256 bytes at most, so one answer
	// with more is refused whether it comes first, in a GET RESPONSE
	// round or with 6Cxx, and whatever MaxResponse allows.
	for _, tt := range []struct {
		name   string
		script []step
		max    int
		rounds int
		length int
		limit  int
	}{
		{name: "direct answer of 64 KiB", script: []step{{"00B2010C00", countingHex(65536) + "9000", nil}},
			length: 65536, limit: MaxShortResponse},
		{name: "direct answer of 257 bytes", script: []step{{"00B2010C00", countingHex(257) + "9000", nil}},
			length: 257, limit: MaxShortResponse},
		{name: "direct answer above MaxResponse", max: 100, script: []step{{"00B2010C00", countingHex(101) + "9000", nil}},
			length: 101, limit: 100},
		{name: "GET RESPONSE round of 257 bytes", max: 1 << 20, script: []step{{"00B2010C00", "6100", nil}, {"00C0000000", countingHex(257) + "9000", nil}},
			rounds: 1, length: 257, limit: MaxShortResponse},
		{name: "6Cxx with 257 bytes", max: 1 << 20, script: []step{{"00B2010C00", countingHex(257) + "6C10", nil}},
			length: 257, limit: MaxShortResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			card := &scriptedCard{t: t, script: tt.script}
			resp, err := (&T0{Card: card, MaxResponse: tt.max}).Transmit(ctx, cmd)
			require.ErrorIs(t, err, ErrResponseTooLong)
			assert.Nil(t, resp)
			var te *T0Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "READ RECORD", te.Command.Name())
			assert.Equal(t, tt.rounds, te.Rounds)
			assert.Equal(t, tt.length, te.Length)
			assert.Equal(t, tt.limit, te.Limit)
		})
	}
	t.Run("256 bytes straight away are accepted", func(t *testing.T) {
		card := &scriptedCard{t: t, script: []step{{"00B2010C00", countingHex(256) + "9000", nil}}}
		resp, err := NewT0(card).Transmit(ctx, cmd)
		require.NoError(t, err)
		assert.Len(t, resp, 258)
	})
	t.Run("exactly at the limit is accepted", func(t *testing.T) {
		card := &scriptedCard{t: t, script: []step{
			{"00B2010C00", "0102036103", nil}, {"00C0000003", "0405069000", nil},
		}}
		resp, err := (&T0{Card: card, MaxResponse: 6, MaxRounds: 1}).Transmit(ctx, cmd)
		require.NoError(t, err)
		assert.Equal(t, "0102030405069000", fmt.Sprintf("%X", resp))
	})
}

// Transport errors come through every wrapper: errors.Is(err,
// ErrCardRemoved) holds whether the card left on the command or in a
// GET RESPONSE round.
func TestT0TransportErrors(t *testing.T) {
	ctx := context.Background()
	removed := fmt.Errorf("reader: %w", ErrCardRemoved)
	card := &scriptedCard{t: t, script: []step{{"00B2010C00", "", removed}}}
	_, err := NewT0(card).Transmit(ctx, unhex(t, "00B2010C00"))
	assert.ErrorIs(t, err, ErrCardRemoved)

	card = &scriptedCard{t: t, script: []step{{"00B2010C00", "6110", nil}, {"00C0000010", "", removed}}}
	_, err = NewT0(card).Transmit(ctx, unhex(t, "00B2010C00"))
	assert.ErrorIs(t, err, ErrCardRemoved)
	assert.Contains(t, err.Error(), "round 1 of READ RECORD")

	// Through a Recorder and a T0 both ways round.
	card = &scriptedCard{t: t, script: []step{{"00B2010C00", "6110", nil}, {"00C0000010", "", removed}}}
	_, err = Exchange(ctx, NewRecorder(NewT0(card)), ReadRecord(1, 1))
	assert.ErrorIs(t, err, ErrCardRemoved)
	card = &scriptedCard{t: t, script: []step{{"00B2010C00", "6110", nil}, {"00C0000010", "", removed}}}
	rec := NewRecorder(card)
	_, err = Exchange(ctx, NewT0(rec), ReadRecord(1, 1))
	assert.ErrorIs(t, err, ErrCardRemoved)
	assert.ErrorIs(t, rec.Entries()[1].Err, ErrCardRemoved)

	// A short response in a round.
	card = &scriptedCard{t: t, script: []step{{"00B2010C00", "6110", nil}, {"00C0000010", "90", nil}}}
	_, err = NewT0(card).Transmit(ctx, unhex(t, "00B2010C00"))
	assert.ErrorIs(t, err, ErrShortResponse)

	// A malformed command is refused before anything is sent.
	card = &scriptedCard{t: t}
	_, err = NewT0(card).Transmit(ctx, unhex(t, "00B201"))
	assert.ErrorIs(t, err, ErrMalformedCommand)
	assert.Empty(t, card.got)

	// A context ended between rounds stops the procedure.
	cctx, cancel := context.WithCancel(ctx)
	cancelling := transmitFunc(func(context.Context, []byte) ([]byte, error) {
		cancel()
		return []byte{0x61, 0x10}, nil
	})
	_, err = NewT0(cancelling).Transmit(cctx, unhex(t, "00B2010C00"))
	assert.ErrorIs(t, err, context.Canceled)
}

type transmitFunc func(context.Context, []byte) ([]byte, error)

func (f transmitFunc) Transmit(ctx context.Context, b []byte) ([]byte, error) { return f(ctx, b) }

func TestT0ErrorUnwrap(t *testing.T) {
	err := error(&T0Error{Command: Verify(VerifyPlaintextPIN, unhex(t, pinBlockHex)).Redacted(), Rounds: 2, Err: ErrTooManyRounds})
	assert.True(t, errors.Is(err, ErrTooManyRounds))
	assert.False(t, leaks(fmt.Sprintf("%v %+v %#v", err, err, err), unhex(t, pinBlockHex)))
}

// countingHex returns n data bytes in hex, counting up.
func countingHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return fmt.Sprintf("%X", b)
}

// TestShortCaseMatchesParseCommand holds the check T0 makes of every
// command against ParseCommand, for every body length around each Lc
// (ISO 7816-4 §5.1 cases 1 to 4, extended lengths refused).
func TestShortCaseMatchesParseCommand(t *testing.T) {
	for n := 0; n <= 4+1+255+2; n++ {
		for _, lc := range []byte{0x00, 0x01, 0x02, 0x7F, 0xFF} {
			b := make([]byte, n)
			if n > 4 {
				b[4] = lc
			}
			hasLe, hasData, ok := shortCase(b)
			c, err := ParseCommand(b)
			require.Equal(t, err == nil, ok, "%d bytes, Lc %02X", n, lc)
			if ok {
				assert.Equal(t, c.Le != 0, hasLe, "%d bytes, Lc %02X: Le", n, lc)
				assert.Equal(t, len(c.Data) > 0, hasData, "%d bytes, Lc %02X: data", n, lc)
			}
		}
	}
}
