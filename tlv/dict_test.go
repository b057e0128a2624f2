package tlv

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDictionaryRows(t *testing.T) {
	require.Greater(t, len(elements), 150)
	for _, e := range elements {
		t.Run(e.Tag.String(), func(t *testing.T) {
			assert.NotEmpty(t, e.Name)
			assert.NotEqual(t, "?", e.Format.String(), "format")
			assert.NotEqual(t, "?", e.Source.String(), "source")
			assert.NotEmpty(t, e.Spec)
			assert.LessOrEqual(t, e.MinLen, e.MaxLen)
			assert.LessOrEqual(t, e.MaxLen, 0xFFFF)
			// The tag is well formed (Book 3 Annex B1) and reads back.
			enc := AppendTag(nil, e.Tag)
			tag, hdr, n, _, err := readTagLength(append(enc, 0x00))
			require.NoError(t, err)
			assert.Equal(t, e.Tag, tag)
			assert.Equal(t, len(enc)+1, hdr)
			assert.Zero(t, n)
			if e.Tag.Constructed() {
				assert.Equal(t, FormatVar, e.Format, "a template's format is var.")
			}
			for _, tpl := range e.Templates {
				_, ok := Lookup(tpl)
				assert.True(t, ok, "template %s is in the dictionary", tpl)
			}
		})
	}
}

// Book 3 Annex A1 (EMV 4.4): the data elements of format n and cn. Listed
// from the book's Format column; cross-checked against openemv/emv-utils
// src/emv_tlv.c (emv_tlv_is_format_n, emv_tlv_is_format_cn).
var (
	annexAFormatN = []Tag{
		0x42, 0x5F24, 0x5F25, 0x5F28, 0x5F2A, 0x5F30, 0x5F34, 0x5F36, 0x5F57, 0x9A, 0x9C,
		0x9F01, 0x9F02, 0x9F03, 0x9F0C, 0x9F11, 0x9F15, 0x9F19, 0x9F1A, 0x9F21, 0x9F25,
		0x9F35, 0x9F39, 0x9F3B, 0x9F3C, 0x9F3D, 0x9F41, 0x9F42, 0x9F43, 0x9F44,
	}
	annexAFormatCN = []Tag{0x5A, 0x9F20}
)

func TestDictionaryAnnexAFormats(t *testing.T) {
	var n, cn []Tag
	for _, e := range elements {
		if e.Spec != book3 {
			continue
		}
		switch e.Format {
		case FormatN:
			n = append(n, e.Tag)
		case FormatCN:
			cn = append(cn, e.Tag)
		}
	}
	sorted := func(s []Tag) []Tag {
		s = append([]Tag(nil), s...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s
	}
	assert.Equal(t, sorted(annexAFormatN), sorted(n))
	assert.Equal(t, sorted(annexAFormatCN), sorted(cn))
}

func TestLookup(t *testing.T) {
	tests := []struct {
		tag       Tag
		name      string
		format    Format
		min, max  int
		templates []Tag
		source    string
		sensitive bool
	}{
		// Book 3 Annex A1 rows.
		{0x9F02, "Amount, Authorised (Numeric)", FormatN, 6, 6, nil, "Terminal", false},
		{0x5A, "Application Primary Account Number (PAN)", FormatCN, 1, 10, []Tag{0x70, 0x77}, "ICC", true},
		{0x57, "Track 2 Equivalent Data", FormatB, 0, 19, []Tag{0x70, 0x77}, "ICC", true},
		{0x9F26, "Application Cryptogram", FormatB, 8, 8, []Tag{0x77, 0x80}, "ICC", false},
		{0x9F27, "Cryptogram Information Data (CID)", FormatB, 1, 1, []Tag{0x77, 0x80}, "ICC", false},
		{0x9F10, "Issuer Application Data (IAD)", FormatB, 0, 32, []Tag{0x77, 0x80}, "ICC", false},
		{0x9F36, "Application Transaction Counter (ATC)", FormatB, 2, 2, []Tag{0x77, 0x80}, "ICC", false},
		{0x9F37, "Unpredictable Number", FormatB, 4, 4, nil, "Terminal", false},
		{0x8A, "Authorisation Response Code", FormatAN, 2, 2, nil, "Issuer/Terminal", false},
		{0x86, "Issuer Script Command", FormatB, 0, 261, []Tag{0x71, 0x72}, "Issuer", false},
		{0x71, "Issuer Script Template 1", FormatVar, 0, 0xFFFF, nil, "Issuer", false},
		{0x72, "Issuer Script Template 2", FormatVar, 0, 0xFFFF, nil, "Issuer", false},
		{0x9F4B, "Signed Dynamic Application Data (SDAD)", FormatB, 1, 248, []Tag{0x77, 0x80}, "ICC", false},
		{0x5F20, "Cardholder Name", FormatANS, 2, 26, []Tag{0x70, 0x77}, "ICC", true},
		{0x5F55, "Issuer Country Code (alpha2 format)", FormatA, 2, 2, []Tag{0xBF0C, 0x73}, "ICC", false},
		{0x94, "Application File Locator (AFL)", FormatVar, 0, 252, []Tag{0x77, 0x80}, "ICC", false},
		{0x99, "Transaction Personal Identification Number (PIN) Data", FormatB, 0, 252, nil, "Terminal", true},
		// Contactless and scheme tags.
		{0x9F66, "Terminal Transaction Qualifiers (TTQ) / PUNATC (Track2)", FormatB, 2, 4, nil, "ICC/Terminal", false},
		{0x9F6C, "Card Transaction Qualifiers (CTQ) / Mag-stripe Application Version Number (Card)", FormatB, 2, 2, []Tag{0x70, 0x77}, "ICC", false},
		{0x9F6E, "Form Factor Indicator (FFI) / Third Party Data", FormatB, 4, 32, []Tag{0x70, 0x77, 0xBF0C}, "ICC", false},
		{0x9F69, "Card Authentication Related Data / UDOL", FormatB, 0, 252, []Tag{0x70, 0x77}, "ICC", false},
		{0x9F7C, "Customer Exclusive Data (CED) / Merchant Custom Data", FormatB, 0, 32, []Tag{0x77, 0x80}, "ICC/Terminal", false},
		{0x9F5B, "Issuer Script Results", FormatB, 0, 252, nil, "Terminal", false},
		{0x9F6B, "Track 2 Data", FormatB, 0, 19, []Tag{0x70}, "ICC", true},
		{0xDF8129, "Outcome Parameter Set", FormatB, 8, 8, nil, "Terminal", false},
		{0xDF8123, "Reader Contactless Floor Limit", FormatN, 6, 6, nil, "Terminal", false},
		// UnionPay (UICS, JR/T 0025) rows, and the tags it shares with
		// Book C-2 under both names.
		{0x9F61, "CVC3 (Track2) / Cardholder ID Number", FormatAN, 1, 40, []Tag{0x70, 0x77}, "ICC", true},
		{0x9F62, "PCVC3 (Track1) / Cardholder ID Type", FormatB, 1, 6, []Tag{0x70}, "ICC", false},
		{0x9F6D, "Mag-stripe Application Version Number (Reader) / Contactless Reader Capabilities / EC Reset Threshold", FormatB, 1, 6, nil, "ICC/Terminal", false},
		{0x9F74, "EC Issuer Authorization Code", FormatA, 6, 6, []Tag{0x70, 0x77}, "ICC", false},
		{0x9F77, "EC Balance Limit", FormatN, 6, 6, []Tag{0x70, 0x77}, "ICC", false},
		{0x9F78, "EC Single Transaction Limit", FormatN, 6, 6, []Tag{0x70, 0x77}, "ICC", false},
		{0x9F79, "EC Balance", FormatN, 6, 6, []Tag{0x70, 0x77}, "ICC", false},
		{0x9F7A, "EC Terminal Support Indicator", FormatB, 1, 1, nil, "Terminal", false},
		{0x9F7B, "EC Terminal Transaction Limit", FormatN, 6, 6, nil, "Terminal", false},
		{0x9F51, "Application Currency Code (UICS)", FormatN, 2, 2, []Tag{0x70, 0x77}, "ICC", false},
		{0xDF4F, "Load Log Format", FormatB, 0, 252, nil, "ICC", false},
	}
	for _, tt := range tests {
		t.Run(tt.tag.String(), func(t *testing.T) {
			e, ok := Lookup(tt.tag)
			require.True(t, ok)
			assert.Equal(t, tt.tag, e.Tag)
			assert.Equal(t, tt.name, e.Name)
			assert.Equal(t, tt.format, e.Format)
			assert.Equal(t, tt.min, e.MinLen)
			assert.Equal(t, tt.max, e.MaxLen)
			assert.Equal(t, tt.templates, e.Templates)
			assert.Equal(t, tt.source, e.Source.String())
			assert.Equal(t, tt.sensitive, e.Sensitive)
		})
	}
	for _, unknown := range []Tag{0x00, 0xDF7F, 0x9F7F, 0xBF63, 0xDF8180} {
		_, ok := Lookup(unknown)
		assert.False(t, ok, unknown.String())
	}
}

func TestFormatAndSourceStrings(t *testing.T) {
	assert.Equal(t, []string{"b", "n", "cn", "a", "an", "ans", "var.", "?", "?"}, []string{
		FormatB.String(), FormatN.String(), FormatCN.String(), FormatA.String(), FormatAN.String(),
		FormatANS.String(), FormatVar.String(), Format(0).String(), Format(99).String(),
	})
	assert.Equal(t, "ICC/Issuer/Terminal", (SourceICC | SourceIssuer | SourceTerminal).String())
	assert.Equal(t, "?", Source(0).String())
}
