package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
)

// Valid agrees with json.Valid on well-formed and broken JSON (RFC 8259),
// nesting limit included.
func TestValid(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{}`, true},
		{` {"a": [1, -0.5e+3, true, false, null, "x\u00e9\n\"", {}]} `, true},
		{`"\u12"`, false},
		{`"\x"`, false},
		{"\"a\tb\"", false},
		{"\"\xff\"", true},
		{`01`, false},
		{`1.`, false},
		{`1e`, false},
		{`-`, false},
		{`{"a" 1}`, false},
		{`{"a":1,}`, false},
		{`[1,]`, false},
		{`[1 2]`, false},
		{`{} {}`, false},
		{`tru`, false},
		{`nul`, false},
		{``, false},
		{`{"a":`, false},
		{`"abc`, false},
		{deep(MaxDepth), true},
		{deep(MaxDepth + 1), false},
	} {
		if got := Valid([]byte(tc.in)); got != tc.want {
			t.Errorf("Valid(%.40q) = %v, want %v", tc.in, got, tc.want)
		}
		if got := json.Valid([]byte(tc.in)); got != tc.want {
			t.Errorf("json.Valid(%.40q) = %v: the table is wrong", tc.in, got)
		}
	}
}

// FuzzValid: Valid says what json.Valid says, and Skip ends where the value
// ends.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5e-3, "x\u0041"], "b": {"c": null}}`, `[true, false]`, `"\\/"`, `-0`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid %v", b, got, want)
		}
		i := Space(b, 0)
		if end, ok := Skip(b, i); ok && !json.Valid(b[i:end]) {
			t.Fatalf("Skip(%q) took %q, not valid", b, b[i:end])
		}
	})
}
