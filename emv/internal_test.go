package emv

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/cvm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Book 3 §10.2: the AFL checks.
func TestParseAFL(t *testing.T) {
	tests := []struct {
		name string
		afl  []byte
		want []aflEntry
		err  string
	}{
		{"OneEntry", []byte{0x08, 0x01, 0x03, 0x01}, []aflEntry{{1, 1, 3, 1}}, ""},
		{"SFI30", []byte{0xF0, 0x02, 0x02, 0x00}, []aflEntry{{30, 2, 2, 0}}, ""},
		{"AllRecordsForODA", []byte{0x10, 0x01, 0x04, 0x04, 0x18, 0x01, 0x01, 0x00}, []aflEntry{{2, 1, 4, 4}, {3, 1, 1, 0}}, ""},
		{"Empty", nil, nil, "not a non-empty multiple of 4"},
		{"NotMultipleOf4", []byte{0x08, 0x01, 0x01}, nil, "not a non-empty multiple of 4"},
		{"SFIZero", []byte{0x00, 0x01, 0x01, 0x00}, nil, "SFI byte 00"},
		{"SFI31", []byte{0xF8, 0x01, 0x01, 0x00}, nil, "SFI byte F8"},
		{"LowBitsSet", []byte{0x09, 0x01, 0x01, 0x00}, nil, "SFI byte 09"},
		{"FirstRecordZero", []byte{0x08, 0x00, 0x01, 0x00}, nil, "first record 0"},
		{"LastBeforeFirst", []byte{0x08, 0x03, 0x02, 0x00}, nil, "last record 2 before first 3"},
		{"TooManyODARecords", []byte{0x08, 0x01, 0x02, 0x03}, nil, "3 ODA records of 2"},
		{"SecondEntryBad", []byte{0x08, 0x01, 0x01, 0x00, 0x10, 0x00, 0x01, 0x00}, nil, "AFL entry 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAFL(tc.afl)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// Book 3 Annex A: dates YYMMDD, years 00-49 are 20YY and 50-99 19YY.
func TestParseDate(t *testing.T) {
	tests := []struct {
		in   []byte
		want time.Time
		ok   bool
	}{
		{[]byte{0x30, 0x12, 0x31}, time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{[]byte{0x49, 0x01, 0x01}, time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{[]byte{0x50, 0x01, 0x01}, time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{[]byte{0x24, 0x02, 0x29}, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{[]byte{0x25, 0x02, 0x29}, time.Time{}, false}, // not a leap year
		{[]byte{0x25, 0x04, 0x31}, time.Time{}, false},
		{[]byte{0x25, 0x13, 0x01}, time.Time{}, false},
		{[]byte{0x25, 0x00, 0x01}, time.Time{}, false},
		{[]byte{0x25, 0x01, 0x00}, time.Time{}, false},
		{[]byte{0x2A, 0x01, 0x01}, time.Time{}, false},
		{[]byte{0x25, 0x01}, time.Time{}, false},
		{nil, time.Time{}, false},
	}
	for _, tc := range tests {
		got, ok := parseDate(tc.in)
		assert.Equal(t, tc.ok, ok, "%X", tc.in)
		assert.Equal(t, tc.want, got, "%X", tc.in)
	}
}

func TestBCD(t *testing.T) {
	assert.Equal(t, []byte{0x00, 0x00, 0x00, 0x01, 0x23, 0x45}, bcd(12345, 6))
	assert.Equal(t, []byte{0x08, 0x40}, bcd(840, 2))
	assert.Equal(t, []byte{0x99}, bcd(12399, 1), "the leftmost digits are cut")
	v, ok := fromBCD([]byte{0x01, 0x23})
	assert.True(t, ok)
	assert.Equal(t, uint64(123), v)
	_, ok = fromBCD([]byte{0x1A})
	assert.False(t, ok)
	assert.Equal(t, "476173******0119", maskPAN([]byte{0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19}))
	assert.Equal(t, "541333*******0114", maskPAN([]byte{0x54, 0x13, 0x33, 0x00, 0x89, 0x02, 0x00, 0x11, 0x4F}))
	// A PAN too short for 6 + 4 digits to hide anything is masked whole,
	// as everywhere else (tlv.MaskPAN).
	assert.Equal(t, "******", maskPAN([]byte{0x12, 0x34, 0x56, 0xFF}))
	assert.Equal(t, "********", maskPAN([]byte{0x12, 0x34, 0x56, 0x78}))
}

// Book 1 §11.3.4: the FCI of an ADF or DDF.
func TestParseFCI(t *testing.T) {
	good := []byte{0x6F, 0x14, 0x84, 0x07, 0xA0, 0, 0, 0, 3, 0x10, 0x10, 0xA5, 0x09, 0x50, 0x04, 'V', 'I', 'S', 'A', 0x87, 0x01, 0x81}
	f, err := parseFCI(good)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xA0, 0, 0, 0, 3, 0x10, 0x10}, f.dfName)
	assert.Equal(t, "VISA", f.label)
	assert.Equal(t, byte(0x81), f.priority)
	assert.False(t, f.hasPDOL)

	for name, b := range map[string][]byte{
		"NotTemplate6F": {0x70, 0x02, 0x84, 0x00},
		"NoA5":          {0x6F, 0x04, 0x84, 0x02, 0xA0, 0x00},
		"NoDFName":      {0x6F, 0x02, 0xA5, 0x00},
		"Truncated":     good[:len(good)-1],
		"Trailing":      append(append([]byte{}, good...), 0x50),
	} {
		_, err := parseFCI(b)
		assert.Error(t, err, name)
	}
}

// An abandoned link refuses every later command at once, without calling
// the card: its earlier call may still be running.
func TestWaitLinkUnusableOnceAbandoned(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var calls atomic.Int32
	card := transceiverFunc(func(ctx context.Context, b []byte) ([]byte, error) {
		if calls.Add(1) == 1 {
			<-release
		}
		return []byte{0x90, 0x00}, nil
	})
	l := &waitLink{card: card}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := l.Transmit(ctx, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00})
	require.ErrorIs(t, err, ErrCardLinkAbandoned)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	start := time.Now()
	_, err = l.Transmit(context.Background(), []byte{0x00, 0xB2, 0x02, 0x0C, 0x00})
	require.ErrorIs(t, err, ErrCardLinkAbandoned)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, "emv: card link abandoned with a command outstanding: READ RECORD has not returned", err.Error())
	assert.Less(t, time.Since(start), 100*time.Millisecond)
	assert.Equal(t, int32(1), calls.Load(), "the later command was not sent")
}

type transceiverFunc func(ctx context.Context, b []byte) ([]byte, error)

func (f transceiverFunc) Transmit(ctx context.Context, b []byte) ([]byte, error) { return f(ctx, b) }

// A PIN answered to a Session after the kernel stopped waiting does not
// stay in the request's channel: it is zeroed, whether it came before the
// kernel gave up (drained) or after (refused).
func TestSessionPINAnsweredLateIsZeroed(t *testing.T) {
	newPIN := func(t *testing.T) cvm.PIN {
		p, err := cvm.NewPIN([]byte("1234"))
		require.NoError(t, err)
		return p
	}
	t.Run("answered after the kernel stopped waiting", func(t *testing.T) {
		ss := &sessionSeam{terminalSeam{&Terminal{}}, &Session{reqs: make(chan Request)}}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := sessionPINPad{ss}.EnterOfflinePIN(ctx, cvm.PINRequest{})
			errc <- err
		}()
		r := (<-ss.s.reqs).(*EnterPIN)
		cancel()
		require.ErrorIs(t, <-errc, context.Canceled)
		pin := newPIN(t)
		r.AnswerPIN(pin)
		assert.Equal(t, 0, pin.Len(), "the PIN is zeroed")
		assert.Empty(t, r.reply, "nothing left in the channel")
	})
	t.Run("answered before the kernel gave up", func(t *testing.T) {
		r := &EnterPIN{reply: make(chan pinReply, 1)}
		pin := newPIN(t)
		r.AnswerPIN(pin)
		require.Len(t, r.reply, 1)
		r.abandon()
		assert.Equal(t, 0, pin.Len(), "the PIN waiting in the channel is zeroed")
		assert.Empty(t, r.reply)
	})
	t.Run("online PIN block", func(t *testing.T) {
		r := &EnterPIN{reply: make(chan pinReply, 1)}
		r.abandon()
		b := cvm.NewOnlinePINBlock(cvm.PINBlockFormat(0), []byte{0x04, 0x12, 0xAC, 0x89, 0xAB, 0xCD, 0xEF, 0x67}, nil)
		r.AnswerOnlinePIN(b)
		assert.True(t, b.IsZero(), "the block is zeroed")
		assert.Empty(t, r.reply)
	})
	t.Run("answered in time is handed over intact", func(t *testing.T) {
		r := &EnterPIN{reply: make(chan pinReply, 1)}
		pin := newPIN(t)
		r.AnswerPIN(pin)
		a := <-r.reply
		assert.Equal(t, 4, a.pin.Len())
		a.zero()
	})
}

// TestGetProcessingOptionsInArena holds the kernel's GET PROCESSING
// OPTIONS, built in the arena, to apdu.GetProcessingOptions (Book 3
// §6.5.8): the same bytes for PDOL data of every length class, in the
// arena or, once it is full, out of it.
func TestGetProcessingOptionsInArena(t *testing.T) {
	for _, used := range []int{0, arenaSize - 2} {
		for _, n := range []int{0, 1, 0x7F, 0x80, 252} {
			s := &transactionState{arenaUsed: used}
			pdol := bytes.Repeat([]byte{0xA5}, n)
			want, err := apdu.GetProcessingOptions(pdol).Bytes()
			require.NoError(t, err)
			got, err := s.getProcessingOptions(pdol).Bytes()
			require.NoError(t, err)
			assert.Equal(t, want, got, "%d bytes of PDOL data, arena at %d", n, used)
		}
	}
}

// TestParseDayMatchesParseDate holds the day numbers of the processing
// restrictions (Book 3 §10.4.3) to parseDate and the time package, for
// every YYMMDD with month 00-13 and day 00-32, and their order to
// time.Time's.
func TestParseDayMatchesParseDate(t *testing.T) {
	today := time.Date(2026, 2, 28, 23, 59, 0, 0, time.FixedZone("x", -5*3600))
	for yy := 0; yy < 100; yy++ {
		for mm := 0; mm <= 13; mm++ {
			for dd := 0; dd <= 32; dd++ {
				b := []byte{toBCD(yy), toBCD(mm), toBCD(dd)}
				d, ok := parseDay(b)
				tm, tok := parseDate(b)
				require.Equal(t, tok, ok, "%X", b)
				if !ok {
					continue
				}
				require.Equal(t, day(tm.Year()*10000+int(tm.Month())*100+tm.Day()), d, "%X", b)
				require.Equal(t, dateOnly(today).Before(tm), dayOf(today) < d, "%X", b)
				require.Equal(t, dateOnly(today).After(tm), dayOf(today) > d, "%X", b)
			}
		}
	}
	_, ok := parseDay([]byte{0x26, 0x02})
	assert.False(t, ok, "two bytes")
	_, ok = parseDay([]byte{0x26, 0x0A, 0x01})
	assert.False(t, ok, "not BCD")
}

// parseDate is parseDay through the time package, which the day numbers
// are held to: a date YYMMDD (n6), years 00-49 as 20YY and 50-99 as 19YY
// (Book 3 Annex A, note on dates). An invalid date is not ok.
func parseDate(b []byte) (time.Time, bool) {
	if len(b) != 3 {
		return time.Time{}, false
	}
	v, ok := fromBCD(b)
	if !ok {
		return time.Time{}, false
	}
	yy, mm, dd := int(v/10000), int(v/100%100), int(v%100)
	if mm < 1 || mm > 12 || dd < 1 || dd > 31 {
		return time.Time{}, false
	}
	year := 2000 + yy
	if yy >= 50 {
		year = 1900 + yy
	}
	t := time.Date(year, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if t.Day() != dd {
		return time.Time{}, false // 31 April and the like
	}
	return t, true
}

// release clears the static data buffer it keeps for the next transaction
// (the card's records) and keeps none larger than maxKeptStatic.
func TestReleaseBoundsStaticBuffer(t *testing.T) {
	for _, size := range []int{maxKeptStatic, maxKeptStatic + 1} {
		s := newState(context.Background(), nil, &Config{}, terminalSeam{&Terminal{}})
		m := s.stateMaps
		m.static = bytes.Repeat([]byte{0x5A}, size)[:0]
		buf := m.static[:size]
		s.release()
		assert.Equal(t, make([]byte, size), buf, "cleared")
		if size > maxKeptStatic {
			assert.Nil(t, m.static, "%d bytes are not kept", size)
		} else {
			assert.Equal(t, size, cap(m.static), "%d bytes are kept", size)
		}
	}
}
