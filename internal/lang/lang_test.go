package lang

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Book 4 §11.1: the first of the card's languages the terminal has, else
// the terminal's default.
func TestChoose(t *testing.T) {
	zhen := []string{"zh", "en"}
	for _, tc := range []struct {
		name     string
		pref     string
		terminal []string
		want     string
	}{
		{"first preference the terminal has", "zhen", []string{"en", "zh"}, "zh"},
		{"second preference when the first is missing", "frzh", zhen, "zh"},
		{"upper case read as lower case", "ZHEN", []string{"en", "zh"}, "zh"},
		{"cn is read as zh", "cn", []string{"en", "zh"}, "zh"},
		{"none matches: the terminal's default", "frde", zhen, "zh"},
		{"no preference: the default", "", zhen, "zh"},
		{"nil terminal: English only", "zhen", nil, "en"},
		{"a fault ends the codes read", "z1en", []string{"fr", "en"}, "fr"},
		{"an odd byte is ignored", "enz", []string{"zh", "en"}, "en"},
		{"at most four codes are read", "frdeitesen", []string{"zh", "en"}, "zh"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Choose([]byte(tc.pref), tc.terminal))
		})
	}
}

func TestValid(t *testing.T) {
	assert.True(t, Valid("zh"))
	assert.False(t, Valid("ZH"))
	assert.False(t, Valid("zho"))
	assert.False(t, Valid(""))
}

// FuzzChoose: any Language Preference yields one of the terminal's
// languages.
func FuzzChoose(f *testing.F) {
	for _, s := range []string{"zhen", "cn", "ZH", "z\x00", ""} {
		f.Add([]byte(s))
	}
	terminal := []string{"zh", "en"}
	f.Fuzz(func(t *testing.T, pref []byte) {
		got := Choose(pref, terminal)
		if got != "zh" && got != "en" {
			t.Fatalf("Choose(%q) = %q, not a terminal language", pref, got)
		}
	})
}
