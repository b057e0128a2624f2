package jsonpath

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type limits struct {
	Floor *uint64 `json:"floor"`
	Max   uint16  `json:"max"`
}

type entry struct {
	ID      Hex             `json:"id"`
	On      bool            `json:"on"`
	Limits  *limits         `json:"limits"`
	Tags    []string        `json:"tags"`
	Comment json.RawMessage `json:"comment"`
}

type doc struct {
	Name    string          `json:"name"`
	Count   int             `json:"count"`
	Inner   limits          `json:"inner"`
	Entries []entry         `json:"entries"`
	Raw     json.RawMessage `json:"raw"`
	Skipped int             `json:"-"`
}

// untagged has a field without a json tag: no key names it.
type untagged struct {
	Untagged int
}

func TestHexMarshal(t *testing.T) {
	b, err := json.Marshal(struct {
		A, B, C Hex
	}{A: Hex{0xa0, 0x01}, B: Hex{}})
	require.NoError(t, err)
	assert.Equal(t, `{"A":"A001","B":"","C":null}`, string(b))
}

func TestDecode(t *testing.T) {
	var d doc
	require.NoError(t, Decode([]byte(`{"name": "x", "count": -2, "inner": {"max": 7}, "raw": {"a": [1, {"b": 2}]},
		"entries": [{"id": "A0 00 01", "on": true, "limits": {"floor": 5}, "tags": ["t"], "comment": "c"}, null, {"limits": null, "id": null}]}`), &d))
	five := uint64(5)
	assert.Equal(t, doc{
		Name: "x", Count: -2, Inner: limits{Max: 7}, Raw: json.RawMessage(`{"a": [1, {"b": 2}]}`),
		Entries: []entry{{ID: Hex{0xA0, 0x00, 0x01}, On: true, Limits: &limits{Floor: &five}, Tags: []string{"t"}, Comment: json.RawMessage(`"c"`)}, {}, {}},
	}, d)

	// null is the same as leaving the key out.
	d = doc{Name: "kept", Inner: limits{Max: 1}}
	require.NoError(t, Decode([]byte(`{"name": null, "inner": null, "entries": null}`), &d))
	assert.Equal(t, doc{Name: "kept", Inner: limits{Max: 1}}, d)
}

// Every error names the JSON path of the value it is about, and says why.
func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, path, reason string
	}{
		{"Empty", ``, "", "the JSON ends early"},
		{"Null", `null`, "", "null, want a JSON object"},
		{"Array", `[]`, "", "a JSON array, want an object"},
		{"Trailing", `{} {}`, "", "data after the configuration object"},
		{"Syntax", `{"name": "x" "count": 1}`, "", `invalid JSON at byte 13: invalid character '"' after object key:value pair`},
		{"UnknownTop", `{"nmae": "x"}`, "nmae", `unknown key "nmae" at the top level`},
		{"UnknownCase", `{"Name": "x"}`, "Name", `unknown key "Name" at the top level`},
		{"DashNoKey", `{"-": 1}`, "-", `unknown key "-" at the top level`},
		{"UnknownDeep", `{"entries": [{}, {"limits": {"flor": 1}}]}`, "entries[1].limits.flor", `unknown key "flor" in entries[1].limits`},
		{"Twice", `{"name": "a", "name": "b"}`, "name", "key given twice"},
		{"TwiceDeep", `{"entries": [{"limits": {"floor": 1, "floor": 2}}]}`, "entries[0].limits.floor", "key given twice"},
		{"TwiceInRaw", `{"raw": {"a": [{"b": 1, "b": 2}]}}`, "raw.a[0].b", "key given twice"},
		{"TwiceInRawComment", `{"entries": [{"comment": {"x": 1, "x": 1}}]}`, "entries[0].comment.x", "key given twice"},
		{"String", `{"name": 1}`, "name", "a JSON number, want a string"},
		{"Int", `{"count": "1"}`, "count", "a JSON string, want an integer"},
		{"IntFraction", `{"count": 1.5}`, "count", "a JSON number 1.5, want an integer"},
		{"Uint16", `{"inner": {"max": 65536}}`, "inner.max", "a JSON number 65536, want an integer from 0 to 65535"},
		{"Uint64Pointer", `{"entries": [{"limits": {"floor": -1}}]}`, "entries[0].limits.floor", "a JSON number -1, want an integer from 0 to 18446744073709551615"},
		{"Bool", `{"entries": [{"on": "yes"}]}`, "entries[0].on", "a JSON string, want true or false"},
		{"HexKind", `{"entries": [{"id": 12}]}`, "entries[0].id", "a JSON number, want a hex string"},
		{"HexDigits", `{"entries": [{"id": "A0G"}]}`, "entries[0].id", `"A0G" is not hex: encoding/hex: invalid byte: U+0047 'G'`},
		{"Strings", `{"entries": [{"tags": "t"}]}`, "entries[0].tags", "a JSON string, want an array of strings"},
		{"ObjectKind", `{"inner": []}`, "inner", "a JSON array, want an object"},
		{"PointerKind", `{"entries": [{"limits": 1}]}`, "entries[0].limits", "a JSON number, want an object"},
		{"ArrayKind", `{"entries": {}}`, "entries", "a JSON object, want an array"},
		{"ElementKind", `{"entries": [1]}`, "entries[0]", "a JSON number, want an object"},
		{"EndsInValue", `{"entries": [{"id": "A0`, "entries[0].id", "the JSON ends early"},
		{"EndsInRaw", `{"raw": {"a": `, "raw", "the JSON ends early"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d doc
			err := Decode([]byte(tc.in), &d)
			var je *Error
			require.ErrorAs(t, err, &je, "%v", err)
			assert.Equal(t, &Error{Path: tc.path, Reason: tc.reason}, je)
			where := tc.path
			if where == "" {
				where = "(the file)"
			}
			assert.EqualError(t, err, "jsonpath: "+where+": "+tc.reason)
		})
	}
	var u untagged
	assert.EqualError(t, Decode([]byte(`{"Untagged": 1}`), &u), `jsonpath: Untagged: unknown key "Untagged" at the top level`)
	var s string
	assert.EqualError(t, Decode([]byte(`{}`), &s), "jsonpath: (the file): cannot decode into *string, want a pointer to a struct")
	assert.EqualError(t, Decode([]byte(`{}`), doc{}), "jsonpath: (the file): cannot decode into jsonpath.doc, want a pointer to a struct")
}

// A raw value nested deeper than encoding/json allows is refused, not
// walked: the depth of the walk is bounded.
func TestDecodeDeepRaw(t *testing.T) {
	in := `{"raw": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	var d doc
	err := Decode([]byte(in), &d)
	var je *Error
	require.ErrorAs(t, err, &je)
	assert.Equal(t, "raw", je.Path)
}

// FuzzDecode: any input decodes or gives an *Error; never a panic. What
// decodes, written back by encoding/json, decodes to the same value.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name": "x", "count": 1, "inner": {"max": 7}, "entries": [{"id": "A000", "on": true, "limits": {"floor": 5}, "tags": ["a"], "comment": {"k": [1]}}], "raw": [{}]}`))
	f.Add([]byte(`{"entries": [{"limits": {"floor": 1, "floor": 2}}]}`))
	f.Add([]byte(`{"raw": {"a": [{"b": 1, "b": 2}]}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"count": 1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d doc
		err := Decode(b, &d)
		if err != nil {
			if je := (*Error)(nil); !errors.As(err, &je) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back doc
		if err := Decode(out, &back); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		again, err := json.Marshal(back)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(out) {
			t.Fatalf("%s\n%s", out, again)
		}
	})
}
