package apdu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func session(t testing.TB, pairs ...string) *Session {
	t.Helper()
	s := &Session{Source: "test", Proves: "replay"}
	for i := 0; i < len(pairs); i += 2 {
		x := SessionExchange{Command: unhex(t, pairs[i])}
		if pairs[i+1] == SessionErrorCardRemoved {
			x.Error = SessionErrorCardRemoved
		} else {
			x.Response = unhex(t, pairs[i+1])
		}
		s.Exchanges = append(s.Exchanges, x)
	}
	return s
}

func transmitHex(t testing.TB, tr Transceiver, cmd string) (string, error) {
	t.Helper()
	resp, err := tr.Transmit(context.Background(), unhex(t, cmd))
	return fmt.Sprintf("%X", resp), err
}

// A strict replay answers in order and fails on the first command that
// differs, and on every command after it.
func TestReplayStrict(t *testing.T) {
	s := session(t,
		"00A404000E315041592E5359532E444446303100", "6A82",
		"80A8000002830000", "80060800080101009000",
		"00B2010C00", "7001019000",
	)
	r := NewReplay(s, ReplayStrict)
	got, err := transmitHex(t, r, "00A404000E315041592E5359532E444446303100")
	require.NoError(t, err)
	assert.Equal(t, "6A82", got)
	got, err = transmitHex(t, r, "80A8000002830000")
	require.NoError(t, err)
	assert.Equal(t, "80060800080101009000", got)
	assert.Equal(t, 1, r.Remaining())

	_, err = transmitHex(t, r, "00B2020C00")
	require.ErrorIs(t, err, ErrReplayMismatch)
	var re *ReplayError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 2, re.Index)
	assert.Equal(t, unhex(t, "00B2010C00"), re.Expected)
	assert.Equal(t, unhex(t, "00B2020C00"), re.Got)
	assert.EqualError(t, err, "apdu: replay: exchange 2: command differs from the recording: expected READ RECORD 00B2010C Le=00, got READ RECORD 00B2020C Le=00")

	// It keeps failing, even with the right command, and Close says so.
	_, err2 := transmitHex(t, r, "00B2010C00")
	assert.Same(t, err, err2)
	assert.Same(t, err, r.Close())
}

func TestReplayExhaustedAndUnused(t *testing.T) {
	r := NewReplay(session(t, "0084000000", "01020304050607089000"), ReplayStrict)
	_, err := transmitHex(t, r, "0084000000")
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = transmitHex(t, r, "0084000000")
	require.ErrorIs(t, err, ErrReplayExhausted)
	assert.EqualError(t, err, "apdu: replay: command after the end of the recording: got GET CHALLENGE 00840000 Le=00")

	r = NewReplay(session(t, "0084000000", "9000", "80CA9F3600", "9F360200019000", "80CA9F1300", "9F130200009000"), ReplayStrict)
	_, err = transmitHex(t, r, "0084000000")
	require.NoError(t, err)
	err = r.Close()
	require.ErrorIs(t, err, ErrReplayUnused)
	var re *ReplayError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 1, re.Index)
	assert.Equal(t, 2, re.Unused)
	assert.EqualError(t, err, "apdu: replay: recorded exchanges left unused: 2, the first is exchange 1, GET DATA 80CA9F36 Le=00")
}

// Sensitive commands match on header, Lc and Le; their data is never
// compared nor shown (Book 3 §6.5.12).
func TestReplaySensitive(t *testing.T) {
	pin := unhex(t, pinBlockHex)
	verify, _ := Verify(VerifyPlaintextPIN, pin).Bytes()
	s := session(t, "0020008008"+"0000000000000000", "9000")
	r := NewReplay(s, ReplayStrict)
	got, err := r.Transmit(context.Background(), verify)
	require.NoError(t, err)
	assert.Equal(t, []byte{0x90, 0x00}, got)

	for _, other := range []Command{
		Verify(VerifyEncipheredPIN, pin),               // P2 differs
		Verify(VerifyPlaintextPIN, pin[:7]),            // Lc differs
		{INS: InsVerify, P2: 0x80, Data: pin, Le: 256}, // Le differs: strict only
	} {
		b, _ := other.Bytes()
		modes := []ReplayMode{ReplayStrict, ReplayByCommand}
		if other.Le != 0 {
			modes = modes[:1] // by command ignores Le, as for every command
		}
		for _, mode := range modes {
			r := NewReplay(s, mode)
			_, err := r.Transmit(context.Background(), b)
			require.ErrorIs(t, err, ErrReplayMismatch)
			var re *ReplayError
			require.ErrorAs(t, err, &re)
			assert.False(t, leaks(fmt.Sprintf("%v %+v %#v %X", err, err, re, re.Got), pin))
			assert.Contains(t, err.Error(), "redacted")
		}
	}
}

// ReplayByCommand: a recording made by another terminal answers by CLA INS
// P1 P2 (and DF name for SELECT), whatever the PDOL and CDOL data.
func TestReplayByCommand(t *testing.T) {
	s := session(t,
		"00A4040007A000000003101000", "6F008407A00000000310109000",
		"80A80000048302AAAA00", "80060800080101009000", // other terminal's PDOL data
		"00B2010C00", "7001019000",
		"80AE80000412345678"+"00", "77009000",
		"80CA9F1700", "9F1701039000", // never asked
	)
	r := NewReplay(s, ReplayByCommand)
	// Our kernel sends different PDOL data and reads before... in its own order.
	got, err := transmitHex(t, r, "00A4040007A000000003101000")
	require.NoError(t, err)
	assert.Equal(t, "6F008407A00000000310109000", got)
	got, err = transmitHex(t, r, "80A8000002830000")
	require.NoError(t, err)
	assert.Equal(t, "80060800080101009000", got)
	got, err = transmitHex(t, r, "00B2010C00")
	require.NoError(t, err)
	assert.Equal(t, "7001019000", got)
	got, err = transmitHex(t, r, "80AE800002BBBB00")
	require.NoError(t, err)
	assert.Equal(t, "77009000", got)

	// SELECT of another DF name has no answer; the replay then fails.
	_, err = transmitHex(t, r, "00A4040007A000000004101000")
	require.ErrorIs(t, err, ErrReplayMismatch)
	var re *ReplayError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, 4, re.Index, "the first unused exchange")
	_, err = transmitHex(t, r, "80CA9F1700")
	assert.ErrorIs(t, err, ErrReplayMismatch)

	// The same READ RECORD asked twice gets the recording's one answer once.
	r = NewReplay(s, ReplayByCommand)
	_, err = transmitHex(t, r, "00B2010C00")
	require.NoError(t, err)
	_, err = transmitHex(t, r, "00B2010C00")
	require.ErrorIs(t, err, ErrReplayMismatch)

	// A GENERATE AC asking another cryptogram (P1) does not match.
	r = NewReplay(s, ReplayByCommand)
	_, err = transmitHex(t, r, "80AE400002BBBB00")
	require.ErrorIs(t, err, ErrReplayMismatch)

	// Unused exchanges are reported by Close; a caller may accept that.
	r = NewReplay(s, ReplayByCommand)
	_, err = transmitHex(t, r, "80CA9F1700")
	require.NoError(t, err)
	assert.ErrorIs(t, r.Close(), ErrReplayUnused)
}

// A recorded card removal replays as an error wrapping ErrCardRemoved,
// through the T=0 wrapper and a Recorder.
func TestReplayCardRemoved(t *testing.T) {
	s := session(t, "00B2010C00", "6110", "00C0000010", SessionErrorCardRemoved)
	_, err := Exchange(context.Background(), NewRecorder(NewT0(NewReplay(s, ReplayStrict))), ReadRecord(1, 1))
	require.ErrorIs(t, err, ErrCardRemoved)

	s.Exchanges[1].Error = "reader timed out"
	_, err = Exchange(context.Background(), NewT0(NewReplay(s, ReplayStrict)), ReadRecord(1, 1))
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrCardRemoved))
	assert.Contains(t, err.Error(), "recorded transport error: reader timed out")
}

func TestReplayContext(t *testing.T) {
	r := NewReplay(session(t, "0084000000", "9000"), ReplayStrict)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Transmit(ctx, unhex(t, "0084000000"))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, r.Remaining(), "a cancelled call uses nothing")
}

// A Recorder's session replays the same run byte for byte.
func TestRecordThenReplay(t *testing.T) {
	card := &scriptedCard{t: t, script: []step{
		{"00A404000E315041592E5359532E444446303100", "6126", nil},
		{"00C0000026", "6F24840E315041592E5359532E4444463031A5128801015F2D08656E6573667264659F1101019000", nil},
		{"0020008008" + pinBlockHex, "9000", nil},
	}}
	rec := NewRecorder(card)
	t0 := NewT0(rec)
	ctx := context.Background()
	first, err := Exchange(ctx, t0, Select([]byte("1PAY.SYS.DDF01"), false))
	require.NoError(t, err)
	_, err = Exchange(ctx, t0, Verify(VerifyPlaintextPIN, unhex(t, pinBlockHex)))
	require.NoError(t, err)
	card.done(t)

	replay := NewReplay(rec.Session("test", "record then replay"), ReplayStrict)
	t0 = NewT0(replay)
	again, err := Exchange(ctx, t0, Select([]byte("1PAY.SYS.DDF01"), false))
	require.NoError(t, err)
	assert.Equal(t, first, again)
	_, err = Exchange(ctx, t0, Verify(VerifyPlaintextPIN, unhex(t, "2412345FFFFFFFFF")))
	require.NoError(t, err, "a VERIFY matches on header and Lc")
	assert.NoError(t, replay.Close())
}

func TestReplayConcurrent(t *testing.T) {
	s := &Session{Source: "s", Proves: "p"}
	for range 100 {
		s.Exchanges = append(s.Exchanges, SessionExchange{Command: unhex(t, "80CA9F3600"), Response: unhex(t, "9000")})
	}
	r := NewReplay(s, ReplayStrict)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 25 {
				_, err := r.Transmit(context.Background(), unhex(t, "80CA9F3600"))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.NoError(t, r.Close())
}

func TestReplayByCommandExhausted(t *testing.T) {
	r := NewReplay(session(t, "80CA9F3600", "9F360200019000"), ReplayByCommand)
	_, err := transmitHex(t, r, "80CA9F3600")
	require.NoError(t, err)
	_, err = transmitHex(t, r, "80CA9F3600")
	require.ErrorIs(t, err, ErrReplayExhausted)
	assert.EqualError(t, err, "apdu: replay: command after the end of the recording: got GET DATA 80CA9F36 Le=00")
}
