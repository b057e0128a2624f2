package emvtest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultAnswerSW(t *testing.T) {
	c := NewCard(VisaCDA())
	c.AnswerSW(apdu.InsGetProcessingOptions, apdu.SWConditionsNotSatisfied)
	send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GetProcessingOptions(nil)).SW)
	assert.Equal(t, 0x10, c.ATC(h("A0000000031010")), "the command was not processed")

	// Nth: only the second READ RECORD of SFI 2 record 1 fails.
	c = NewCard(VisaCDA())
	c.Inject(Fault{Match: OnRecord(2, 1), Nth: 2, SW: apdu.SWRecordNotFound})
	send(t, c, apdu.Select(h("A0000000031010"), false))
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.ReadRecord(2, 1)).SW)
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.ReadRecord(1, 1)).SW)
	assert.Equal(t, apdu.SWRecordNotFound, send(t, c, apdu.ReadRecord(2, 1)).SW)
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.ReadRecord(2, 1)).SW)

	// Times: the first two SELECTs of the PSE fail.
	c = NewCard(VisaCDA())
	c.Inject(Fault{Match: OnSelect([]byte("1PAY.SYS.DDF01")), Times: 2, SW: 0x6A81})
	for _, want := range []apdu.SW{0x6A81, 0x6A81, apdu.SWOK} {
		assert.Equal(t, want, send(t, c, apdu.Select([]byte("1PAY.SYS.DDF01"), false)).SW)
	}
}

// SW with ReplaceData answers the data and the status word without
// processing the command: a hostile card's 64 KiB with 9000, or data with
// 61xx.
func TestFaultAnswerSWWithData(t *testing.T) {
	c := NewCard(VisaCDA())
	big := make([]byte, 64<<10)
	c.Inject(Fault{Match: OnINS(apdu.InsReadRecord), SW: apdu.SWOK, Corrupt: ReplaceData, Value: big})
	c.Inject(Fault{Match: OnINS(apdu.InsGetResponse), SW: 0x6110, Corrupt: ReplaceData, Value: h("0102")})
	send(t, c, apdu.Select(h("A0000000031010"), false))
	r := send(t, c, apdu.ReadRecord(30, 9))
	assert.Equal(t, apdu.SWOK, r.SW, "a record the card does not have")
	assert.Len(t, r.Data, 64<<10)
	r = send(t, c, apdu.Command{INS: apdu.InsGetResponse, Le: 256})
	assert.Equal(t, apdu.SW(0x6110), r.SW)
	assert.Equal(t, h("0102"), r.Data)
}

func TestFaultCorruptions(t *testing.T) {
	record := func(t *testing.T, f Fault) apdu.Response {
		c := NewCard(VisaCDA())
		f.Match = OnRecord(2, 1)
		c.Inject(f)
		send(t, c, apdu.Select(h("A0000000031010"), false))
		r := send(t, c, apdu.ReadRecord(2, 1))
		require.Equal(t, apdu.SWOK, r.SW, "corruptions keep the status word")
		return r
	}
	clean := func(t *testing.T) []byte {
		c := NewCard(VisaCDA())
		send(t, c, apdu.Select(h("A0000000031010"), false))
		return send(t, c, apdu.ReadRecord(2, 1)).Data
	}(t)

	t.Run("broken TLV", func(t *testing.T) {
		r := record(t, Fault{Corrupt: BreakTLV})
		_, _, err := tlv.Single(r.Data)
		assert.ErrorIs(t, err, tlv.ErrTruncated)
		assert.Len(t, r.Data, len(clean))
	})
	t.Run("truncated", func(t *testing.T) {
		r := record(t, Fault{Corrupt: TruncateData})
		assert.Equal(t, clean[:len(clean)-1], r.Data)
		_, _, err := tlv.Single(r.Data)
		assert.ErrorIs(t, err, tlv.ErrTruncated)
	})
	t.Run("duplicate tag", func(t *testing.T) {
		r := record(t, Fault{Corrupt: DuplicateTag, Tag: 0x5A})
		_, v, err := tlv.Single(r.Data)
		require.NoError(t, err)
		n := 0
		it := tlv.NewIter(v)
		for it.Next() {
			if it.Tag() == 0x5A {
				n++
			}
		}
		assert.Equal(t, 2, n)
	})
	t.Run("missing mandatory tag", func(t *testing.T) {
		r := record(t, Fault{Corrupt: DropTag, Tag: 0x8C})
		_, found := tlv.Find(r.Data, 0x8C)
		assert.False(t, found)
		_, found = tlv.Find(r.Data, 0x8D)
		assert.True(t, found)
	})
	t.Run("wrong length", func(t *testing.T) {
		r := record(t, Fault{Corrupt: ReplaceValue, Tag: 0x5F24, Value: h("3012")})
		assert.Equal(t, h("3012"), find(t, r.Data, 0x5F24))
		_, _, err := tlv.Single(r.Data)
		assert.NoError(t, err, "still well-formed TLV")
	})
	t.Run("flipped byte", func(t *testing.T) {
		r := record(t, Fault{Corrupt: FlipLastByte})
		assert.Equal(t, clean[len(clean)-1]^0xFF, r.Data[len(r.Data)-1])
	})
	t.Run("replaced data", func(t *testing.T) {
		r := record(t, Fault{Corrupt: ReplaceData, Value: h("7003010203")})
		assert.Equal(t, h("7003010203"), r.Data)
	})
	t.Run("missing AC in GENERATE AC", func(t *testing.T) {
		c := NewCard(VisaCDA())
		c.Inject(Fault{Match: OnINS(apdu.InsGenerateAC), Corrupt: DropTag, Tag: 0x9F26})
		startTransaction(t, c, h("A0000000031010"), nil)
		r := send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
		_, found := tlv.Find(r.Data, 0x9F26)
		assert.False(t, found)
		assert.Equal(t, []byte{0x80}, find(t, r.Data, 0x9F27))
	})
}

func TestRemoveAt(t *testing.T) {
	c := NewCard(VisaCDA())
	c.RemoveAt(3)
	ctx := context.Background()
	sel, _ := apdu.Select([]byte("1PAY.SYS.DDF01"), false).Bytes()
	for i := 1; i <= 4; i++ {
		out, err := c.Transmit(ctx, sel)
		if i < 3 {
			require.NoError(t, err)
			assert.Equal(t, h("9000"), out[len(out)-2:])
			continue
		}
		assert.ErrorIs(t, err, apdu.ErrCardRemoved, "command %d", i)
		assert.Nil(t, out)
	}
	assert.True(t, c.Removed())
	ex := c.Exchanges()
	require.Len(t, ex, 4)
	assert.ErrorIs(t, ex[3].Err, apdu.ErrCardRemoved)
	s := c.Session("emvtest visa-cda", "card removal at the third command")
	assert.Equal(t, apdu.SessionErrorCardRemoved, s.Exchanges[2].Error)
	assert.Empty(t, s.Exchanges[2].Response)

	c.Insert()
	out, err := c.Transmit(ctx, sel)
	require.NoError(t, err)
	assert.Equal(t, h("9000"), out[len(out)-2:])
}

func TestSlowCard(t *testing.T) {
	c := NewCard(VisaCDA())
	var slept []time.Duration
	c.SetSleep(func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	})
	c.SetDelay(20 * time.Millisecond)
	c.Inject(Fault{Match: OnINS(apdu.InsGenerateAC), Delay: time.Second})
	startTransaction(t, c, h("A0000000031010"), nil)
	send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data))
	assert.Equal(t, []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 1020 * time.Millisecond}, slept)

	// With the real sleep, the context ends the wait.
	c = NewCard(VisaCDA())
	c.SetDelay(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Transmit(ctx, h("00A404000E315041592E5359532E444446303100"))
	assert.ErrorIs(t, err, context.Canceled)
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = c.Transmit(ctx, h("00A404000E315041592E5359532E444446303100"))
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
}

// Recording keeps every exchange, with the PIN of VERIFY zeroed, and writes
// an apdu session file that reads back.
func TestRecordingAndSession(t *testing.T) {
	c := NewCard(VisaSDA())
	send(t, c, apdu.Select(h("A0000000031010"), false))
	send(t, c, apdu.Verify(apdu.VerifyPlaintextPIN, h("241234FFFFFFFFFF")))
	ex := c.Exchanges()
	require.Len(t, ex, 2)
	assert.Equal(t, h("0020008008 0000000000000000"), ex[1].Command)
	assert.Equal(t, h("9000"), ex[1].Response)
	s := c.Session("emvtest profile visa-sda", "SELECT and plaintext PIN (Book 3 §6.5.12)")
	var buf bytes.Buffer
	require.NoError(t, s.Write(&buf))
	assert.NotContains(t, buf.String(), "241234")
	back, err := apdu.ReadSession(&buf)
	require.NoError(t, err)
	require.Len(t, back.Exchanges, 2)
	assert.Equal(t, ex[0].Command, back.Exchanges[0].Command)
	assert.Equal(t, ex[0].Response, back.Exchanges[0].Response)
	c.ClearExchanges()
	assert.Empty(t, c.Exchanges())
	assert.Equal(t, 2, c.Commands())

	// The PIN never shows in a printed profile.
	printed := fmtAll(VisaSDA())
	assert.NotContains(t, printed, "1234")
	assert.Contains(t, printed, "[PIN]")
}

func fmtAll(p *Profile) string {
	var b bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		b.WriteString(sprintf(verb, p.Applications[0]))
	}
	return b.String()
}

// A printed profile shows neither PAN nor track 2.
func TestProfilePrintsNoPAN(t *testing.T) {
	p := VisaCDA()
	for _, s := range []string{sprintf("%v", p), sprintf("%+v", *p), sprintf("%#v", p), sprintf("%s", p)} {
		assert.NotContains(t, s, "4761739001010119")
		assert.Contains(t, s, "visa-cda")
	}
}

// SetRand feeds GET CHALLENGE; Reset clears the selection but keeps the
// counters.
func TestSetRandAndReset(t *testing.T) {
	c := NewCard(VisaCDA())
	c.SetRand(bytes.NewReader(h("0102030405060708")))
	assert.Equal(t, h("0102030405060708"), send(t, c, apdu.GetChallenge()).Data)
	startTransaction(t, c, h("A0000000031010"), nil)
	assert.Equal(t, c.ATR(), c.Reset())
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, apdu.GetProcessingOptions(nil)).SW, "nothing selected after reset")
	assert.Equal(t, 0x11, c.ATC(h("A0000000031010")))
	assert.Equal(t, -1, c.ATC(h("A000000099")))
}

// A random source that runs dry makes the card answer 6F00, not panic.
func TestRandomSourceExhausted(t *testing.T) {
	c := NewCard(VisaCDA())
	c.SetRand(bytes.NewReader(nil))
	assert.Equal(t, apdu.SWNoPreciseDiagnosis, send(t, c, apdu.GetChallenge()).SW)
	startTransaction(t, c, h("A0000000031010"), nil)
	assert.Equal(t, apdu.SWNoPreciseDiagnosis, send(t, c, apdu.InternalAuthenticate(h("01020304"))).SW)
	assert.Equal(t, apdu.SWNoPreciseDiagnosis, send(t, c, apdu.GenerateAC(apdu.RefARQC|apdu.RefCDA, cdol1Data)).SW)
	// Without CDA no randomness is needed.
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.GenerateAC(apdu.RefARQC, cdol1Data)).SW)
}
