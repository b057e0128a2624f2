package emv

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/internal/fuzzseed"
)

// sameRecording reports whether a and b are the same recording: the same
// fields, and the same instant written the same way (time.Parse makes a
// new zone for each offset it reads, so the zones are compared by what
// they say).
func sameRecording(a, b *Recording) bool {
	if a == nil || b == nil {
		return a == b
	}
	ta, tb := a.Transaction.Time, b.Transaction.Time
	if !ta.Equal(tb) || ta.String() != tb.String() {
		return false
	}
	x, y := *a, *b
	x.Transaction.Time, y.Transaction.Time = ta.UTC(), tb.UTC()
	return reflect.DeepEqual(&x, &y)
}

// The one-pass reader takes on the kernel object of every recorded
// contact session and decodes it as encoding/json does; what it does not take on
// ReadRecording decodes with encoding/json, errors included.
func TestReadRecordingFast(t *testing.T) {
	sessions := fuzzseed.Sessions(t)
	n := 0
	for _, s := range sessions {
		if len(s.Kernel) == 0 {
			continue
		}
		fast, ok := readRecordingFast(s.Kernel)
		slow, err := readRecordingSlow(s.Kernel)
		if err != nil {
			require.False(t, ok, s.Source) // another kernel's object (contactless)
			continue
		}
		n++
		require.True(t, ok, s.Source)
		require.True(t, sameRecording(slow, fast), "%s\n%+v\n%+v", s.Source, slow, fast)
	}
	require.Greater(t, n, 200)

	for _, in := range []string{
		`{"Terminal": {}}`,                             // another case: encoding/json takes it
		`{"random": "00", "random": "01"}`,             // twice: encoding/json keeps the last
		`{"terminal": null}`,                           // null: encoding/json keeps "null"
		`{"pin": null, "host": null}`,                  // null: none
		`{"expect": {"unused": -9223372036854775808}}`, // the least int
		`{"transaction": {"amount": 18446744073709551616}}`,
		`{"transaction": {"sequence_counter": 4294967296}}`,
		`{"transaction": {"amount": 1.0}}`,
		`{"transaction": {"amount": -1}}`,
		`{"transaction": {"amount": 01}}`,
		`{"transaction": {"amount": "1"}}`,
		`{"transaction": {"time": "2024-01-02"}}`,
		`{"transaction": {"time": 5}}`,
		`{"transaction": {"time": "2024-01-02T03:04:05\u005a"}}`,
		`{"proves": "x"}`,
		`{"random": "\u0041B"}`,
		"{\"random\": \"\xff\"}",
		`{"terminal": {"a": }}`,
		`{"confirm": 1}`,
		`{"expect": {"offered": [["a", 1]]}}`,
		`{} {}`,
		`{}}`,
		` null `,
		`[]`,
		``,
	} {
		_, ok := readRecordingFast([]byte(in))
		assert.False(t, ok, in)
		want, wantErr := readRecordingSlow([]byte(in))
		got, err := ReadRecording([]byte(in))
		assert.Equal(t, wantErr, err, in)
		assert.True(t, sameRecording(want, got), in)
	}
	r, ok := readRecordingFast([]byte(` {"terminal": [1, {"b": "c"}], "pin": [], "confirm": false, "expect": {"unused": -2, "offered": [[], ["a"]], "terminated": {"step": "s", "reason": "r"}, "advice": true}, "transaction": {"type": "00", "amount": 0, "sequence_counter": 4294967295, "time": "2024-01-02T03:04:05+02:00"}}` + "\n"))
	require.True(t, ok)
	assert.Equal(t, `[1, {"b": "c"}]`, string(r.Terminal))
	assert.Equal(t, []string{}, r.PIN)
	assert.Equal(t, new(false), r.Confirm)
	assert.Equal(t, Expectation{Unused: -2, Offered: [][]string{{}, {"a"}}, Terminated: &ExpectedTermination{Step: "s", Reason: "r"}, Advice: new(true)}, r.Expect)
	assert.Equal(t, uint32(4294967295), r.Transaction.SequenceCounter)
	assert.Equal(t, "2024-01-02 03:04:05 +0200 +0200", r.Transaction.Time.String())
}

// FuzzReadRecordingFast: whatever the one-pass reader takes on,
// encoding/json decodes to the same recording; ReadRecording returns what
// encoding/json returns, the same recording or the same error.
func FuzzReadRecordingFast(f *testing.F) {
	for _, s := range fuzzseed.Sessions(f) {
		if len(s.Kernel) > 0 {
			f.Add([]byte(s.Kernel))
		}
	}
	f.Add([]byte(`{"transaction": {"type": "00", "amount": 5, "time": "2024-01-02T03:04:05Z"}, "pin": [], "expect": {"unused": -1, "offered": [["a"]]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		want, wantErr := readRecordingSlow(b)
		if fast, ok := readRecordingFast(b); ok && (wantErr != nil || !sameRecording(want, fast)) {
			t.Fatalf("one-pass reader: %+v\nencoding/json: %+v, %v", fast, want, wantErr)
		}
		got, err := ReadRecording(b)
		if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() || !sameRecording(want, got) {
			t.Fatalf("ReadRecording: %+v, %v\nencoding/json: %+v, %v", got, err, want, wantErr)
		}
	})
}
