package tlv

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cdol1 is the CDOL1 of the recorded contact Mastercard (testdata
// responses.json, READ RECORD SFI 2 record 2).
const cdol1 = "9F02069F03069F090295055F2A029A039C019F37049F35019F45029F4C089F3403"

func TestParseDOL(t *testing.T) {
	// Book 3 §5.4: a DOL is a list of tags (Annex B1) each followed by a
	// length, with no values.
	tests := []struct {
		name string
		in   string
		want DOL
		err  error
		off  int
		tag  Tag
	}{
		{name: "empty", in: "", want: nil},
		{name: "CDOL1", in: cdol1, want: DOL{
			{0x9F02, 6}, {0x9F03, 6}, {0x9F09, 2}, {0x95, 5}, {0x5F2A, 2}, {0x9A, 3}, {0x9C, 1},
			{0x9F37, 4}, {0x9F35, 1}, {0x9F45, 2}, {0x9F4C, 8}, {0x9F34, 3},
		}},
		{name: "PDOL with a one-entry list", in: "9F3501", want: DOL{{0x9F35, 1}}},
		{name: "three-byte tag", in: "DF811701", want: DOL{{0xDF8117, 1}}},
		{name: "zero length entry", in: "9A00 9C01", want: DOL{{0x9A, 0}, {0x9C, 1}}},
		{name: "81 length", in: "9F4B8180", want: DOL{{0x9F4B, 128}}},
		{name: "tag without length", in: "9F0206 95", err: ErrTruncated, off: 3, tag: 0x95},
		{name: "tag cut in half", in: "9F0206 9F", err: ErrTruncated, off: 3, tag: 0x9F},
		{name: "four-byte tag", in: "DF81810101", err: ErrTagTooLong, tag: 0xDF8181},
		{name: "indefinite length", in: "9F3780", err: ErrIndefiniteLength, tag: 0x9F37},
		{name: "length field too long", in: "5A88FFFFFFFFFFFFFFFF", err: ErrLengthTooLong, tag: 0x5A},
		{name: "long-form length cut", in: "9F3781", err: ErrTruncated, tag: 0x9F37},
		{name: "too many entries", in: strings.Repeat("9C01", MaxDOLEntries+1), err: ErrDOLTooLong, off: 2 * MaxDOLEntries, tag: 0},
		{name: "asks for too much data", in: "86 82FFFF 9C01", err: ErrDOLTooLong, off: 4, tag: 0x9C},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDOL(hx(tt.in))
			if tt.err == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, d)
				assert.Equal(t, hx(tt.in), d.Append([]byte{}), "re-encoded")
				return
			}
			assert.Nil(t, d)
			assert.ErrorIs(t, err, tt.err)
			var de *DOLError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tt.off, de.Offset)
			assert.Equal(t, tt.tag, de.Tag)
			assert.True(t, strings.HasPrefix(err.Error(), "tlv: DOL"), err.Error())
		})
	}
	d, err := ParseDOL(hx(cdol1))
	require.NoError(t, err)
	assert.Equal(t, 43, d.Len())
}

// getter serves values from a map of tag to hex.
func getter(m map[Tag]string) func(Tag) ([]byte, bool) {
	return func(t Tag) ([]byte, bool) {
		v, ok := m[t]
		if !ok {
			return nil, false
		}
		return hx(v), true
	}
}

func TestDOLBuildRules(t *testing.T) {
	// Book 3 §5.4, rules for building DOL data.
	tests := []struct {
		name  string
		entry DOLEntry
		have  map[Tag]string
		want  string
	}{
		{"exact length copied", DOLEntry{0x9F37, 4}, map[Tag]string{0x9F37: "DEADBEEF"}, "DEADBEEF"},
		{"n shorter: right-justified, left-padded with 00", DOLEntry{0x9F02, 6}, map[Tag]string{0x9F02: "1000"}, "000000001000"},
		{"n longer: truncated on the left", DOLEntry{0x9F02, 3}, map[Tag]string{0x9F02: "000123456789"}, "456789"},
		{"n date longer: rightmost bytes", DOLEntry{0x9A, 2}, map[Tag]string{0x9A: "240217"}, "0217"},
		{"n empty value: all 00", DOLEntry{0x9C, 1}, map[Tag]string{0x9C: ""}, "00"},
		{"cn shorter: left-justified, padded with FF", DOLEntry{0x5A, 10}, map[Tag]string{0x5A: "5413330089600044"}, "5413330089600044FFFF"},
		{"cn longer: truncated on the right", DOLEntry{0x5A, 5}, map[Tag]string{0x5A: "541333008902001F"}, "5413330089"},
		{"cn empty value: all FF", DOLEntry{0x9F20, 2}, map[Tag]string{0x9F20: ""}, "FFFF"},
		{"b shorter: left-justified, padded with 00", DOLEntry{0x9F37, 6}, map[Tag]string{0x9F37: "DEADBEEF"}, "DEADBEEF0000"},
		{"b longer: truncated on the right", DOLEntry{0x95, 3}, map[Tag]string{0x95: "8000048000"}, "800004"},
		{"an shorter: padded with 00", DOLEntry{0x9F1C, 10}, map[Tag]string{0x9F1C: "5445524D30303031"}, "5445524D303030310000"},
		{"an longer: truncated on the right", DOLEntry{0x8A, 1}, map[Tag]string{0x8A: "3030"}, "30"},
		{"ans shorter: padded with 00", DOLEntry{0x9F16, 16}, map[Tag]string{0x9F16: "4D45524348414E54"}, "4D45524348414E540000000000000000"},
		{"a shorter: padded with 00", DOLEntry{0x5F55, 3}, map[Tag]string{0x5F55: "4245"}, "424500"},
		{"var. shorter: padded with 00", DOLEntry{0x94, 6}, map[Tag]string{0x94: "08010100"}, "080101000000"},
		{"known tag absent: zeros", DOLEntry{0x9F45, 2}, nil, "0000"},
		{"cn tag absent: zeros, not FF", DOLEntry{0x5A, 3}, nil, "000000"},
		{"tag unknown to the terminal: zeros", DOLEntry{0xDF7F, 3}, nil, "000000"},
		{"tag outside the dictionary that the terminal has: binary", DOLEntry{0xDF7F, 3}, map[Tag]string{0xDF7F: "AB"}, "AB0000"},
		{"constructed tag: zeros even when present", DOLEntry{0x70, 4}, map[Tag]string{0x70: "5A0111"}, "00000000"},
		{"zero length entry: nothing", DOLEntry{0x9A, 0}, map[Tag]string{0x9A: "240217"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DOL{tt.entry}
			got := d.Build([]byte{}, getter(tt.have))
			assert.Equal(t, hx(tt.want), got)
			assert.Len(t, got, d.Len())
		})
	}
}

func TestDOLBuildAppends(t *testing.T) {
	d := DOL{{0x9F37, 4}, {0x9C, 1}}
	dst := append(make([]byte, 0, 16), 0x83, 0x05)
	got := d.Build(dst, getter(map[Tag]string{0x9F37: "01020304", 0x9C: "00"}))
	assert.Equal(t, hx("8305 01020304 00"), got)
	assert.Same(t, &dst[:1][0], &got[:1][0], "built in dst's array")
}

func TestDOLBuildZeroAlloc(t *testing.T) {
	d, err := ParseDOL(hx(cdol1))
	require.NoError(t, err)
	values := map[Tag][]byte{
		0x9F02: hx("000000001000"), 0x9F03: hx("000000000000"), 0x9F09: hx("0002"),
		0x95: hx("0000008000"), 0x5F2A: hx("0978"), 0x9A: hx("240217"), 0x9C: hx("00"),
		0x9F37: hx("DEADBEEF"), 0x9F35: hx("22"), 0x9F34: hx("1F0302"),
	}
	get := func(t Tag) ([]byte, bool) { v, ok := values[t]; return v, ok }
	dst := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(100, func() {
		dst = d.Build(dst[:0], get)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, hx("000000001000 000000000000 0002 0000008000 0978 240217 00 DEADBEEF 22 0000 0000000000000000 1F0302"), dst)
}

func TestDOLSplit(t *testing.T) {
	// The CDOL1 data of the recorded contact Mastercard GENERATE AC (ARQC),
	// cut back into its elements as CDA and logs need them.
	d, err := ParseDOL(hx(cdol1))
	require.NoError(t, err)
	data := hx("000000001000000000000000000280000080000036120316008221F60122000000000000000000005E0300")
	l, err := d.Split(data)
	require.NoError(t, err)
	require.Len(t, l, len(d))
	want := []flat{
		{0x9F02, "000000001000"}, {0x9F03, "000000000000"}, {0x9F09, "0002"}, {0x95, "8000008000"},
		{0x5F2A, "0036"}, {0x9A, "120316"}, {0x9C, "00"}, {0x9F37, "8221F601"}, {0x9F35, "22"},
		{0x9F45, "0000"}, {0x9F4C, "0000000000000000"}, {0x9F34, "5E0300"},
	}
	for i, w := range want {
		assert.Equal(t, w.Tag, l[i].Tag)
		assert.Equal(t, hx(w.Value), l[i].Value, w.Tag.String())
	}
	v, ok := d.Value(data, 0x9F37)
	require.True(t, ok)
	assert.Equal(t, hx("8221F601"), v)
	_, ok = d.Value(data, 0x9F26)
	assert.False(t, ok)
	_, ok = d.Value(data[:20], 0x9F37)
	assert.False(t, ok, "data too short for the entry")

	for _, n := range []int{len(data) - 1, len(data) + 1, 0} {
		_, err = d.Split(make([]byte, n))
		assert.ErrorIs(t, err, ErrDOLDataLength)
		var de *DOLError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, n, de.Offset)
	}
	l, err = DOL(nil).Split(nil)
	require.NoError(t, err)
	assert.Empty(t, l)
}

func TestVectorsEmvUtilsDOL(t *testing.T) {
	v := loadVectors(t).EmvUtilsDOL
	require.NotEmpty(t, v.Iterate)
	for _, c := range v.Iterate {
		t.Run("iterate "+c.DOL, func(t *testing.T) {
			d, err := ParseDOL(hx(c.DOL))
			if c.Entries != nil {
				require.NoError(t, err)
				require.Len(t, d, len(c.Entries))
				for i, e := range c.Entries {
					assert.Equal(t, DOLEntry{parseTag(t, e.Tag), e.Length}, d[i])
				}
				return
			}
			// The entries before the bad one are well formed; the error
			// points at the entry after them.
			assert.ErrorIs(t, err, ErrTruncated)
			var de *DOLError
			require.ErrorAs(t, err, &de)
			var before DOL
			for _, e := range c.Before {
				before = append(before, DOLEntry{parseTag(t, e.Tag), e.Length})
			}
			assert.Equal(t, len(before.Append(nil)), de.Offset)
		})
	}
	require.Len(t, v.ComputeLength, 2)
	for _, c := range v.ComputeLength {
		d, err := ParseDOL(hx(c.DOL))
		if c.Length == nil {
			assert.Error(t, err, c.DOL)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, *c.Length, d.Len())
	}
	require.Len(t, v.BuildData, 2)
	for _, c := range v.BuildData {
		t.Run(c.Name, func(t *testing.T) {
			d, err := ParseDOL(hx(c.DOL))
			require.NoError(t, err)
			get := func(tag Tag) ([]byte, bool) {
				for _, src := range [][]struct {
					Tag   string `json:"tag"`
					Value string `json:"value"`
				}{c.Source1, c.Source2} {
					for _, e := range src {
						if parseTag(t, e.Tag) == tag {
							return hx(e.Value), true
						}
					}
				}
				return nil, false
			}
			got := d.Build(nil, get)
			assert.Equal(t, hx(c.Expected), got)
			assert.Len(t, got, d.Len())
		})
	}
}

// AppendDOL gives ParseDOL's entries after those already in dst, and
// counts the entry bound per DOL.
func TestAppendDOLIsParseDOL(t *testing.T) {
	raw := []byte{0x9F, 0x02, 0x06, 0x9F, 0x37, 0x04, 0x95, 0x05, 0xDF, 0x81, 0x01, 0x02}
	want, err := ParseDOL(raw)
	require.NoError(t, err)
	prev := DOL{{Tag: 0x5A, Len: 10}}
	got, err := AppendDOL(prev, raw)
	require.NoError(t, err)
	assert.Equal(t, append(DOL{{Tag: 0x5A, Len: 10}}, want...), got)

	full := make(DOL, MaxDOLEntries)
	long := make([]byte, 0, 2*MaxDOLEntries)
	for range MaxDOLEntries {
		long = append(long, 0x9A, 0x01)
	}
	d, err := AppendDOL(full, long)
	require.NoError(t, err, "the bound is for the DOL read, not for dst")
	assert.Len(t, d, 2*MaxDOLEntries)
	_, err = AppendDOL(nil, append(long, 0x9A, 0x01))
	assert.ErrorIs(t, err, ErrDOLTooLong)
	d, err = AppendDOL(prev, []byte{0x9F})
	assert.Error(t, err)
	assert.Nil(t, d)
}
