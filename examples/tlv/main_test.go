package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/emvkit/emvkit/tlv"
)

// A READ RECORD response (template 70) with a test card's PAN, track 2
// and cardholder name (Book 3 Annex A).
const record = "7032" +
	"5A084761739001010119" +
	"5F340101" +
	"57114761739001010119D30122011234567890" +
	"5F200E454D564B49542F54455354204341"

func TestRun(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "record.bin")
	require.NoError(t, os.WriteFile(bin, mustHex(t, record), 0o600))
	txt := filepath.Join(dir, "record.txt")
	require.NoError(t, os.WriteFile(txt, []byte("70 32\n5A:08:47:61:73:90:01:01:01:19\n"+record[24:]+"\n"), 0o600))

	masked := []string{
		"70 READ RECORD Response Message Template [50]",
		"  5A Application Primary Account Number (PAN) [8]: 476173******0119",
		"  5F34 Application PAN Sequence Number [1]: 01",
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  []string // lines the output holds
		not   []string // strings it must not hold
	}{
		{"argument", []string{record}, "", masked, []string{"4761739001010119", "EMVKIT/TEST"}},
		{"arguments with spaces", []string{"70", "32", record[4:]}, "", masked, []string{"4761739001010119"}},
		{"stdin", nil, strings.ToLower(record) + "\n", masked, []string{"4761739001010119"}},
		{"stdin dash", []string{"-f", "-"}, record, masked, nil},
		{"binary file", []string{"-f", bin}, "", masked, []string{"4761739001010119"}},
		{"hex file", []string{"-f", txt}, "", masked, []string{"4761739001010119"}},
		{"unmask", []string{"-unmask", record}, "", []string{
			"  5A Application Primary Account Number (PAN) [8]: 4761739001010119",
			`  5F20 Cardholder Name [14]: "EMVKIT/TEST CA"`,
		}, nil},
		// Transaction PIN Data (99) is never shown, even unmasked.
		{"PIN data", []string{"-unmask", "9908" + "0412ACFFFFFFFFFF"}, "", []string{"99 Transaction Personal Identification Number (PIN) Data [8]: (PIN data not shown)\n"}, []string{"0412AC", "12AC"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			require.NoError(t, run(tc.args, strings.NewReader(tc.stdin), &out, &errOut), errOut.String())
			for _, w := range tc.want {
				assert.Contains(t, out.String(), w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, out.String(), n)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		stdin string
		err   string
		out   string
	}{
		{"not hex", []string{"5G"}, "", `not hex: 'G' at digit 2`, ""},
		{"odd digits", []string{"5A0"}, "", "odd number of hex digits (3)", ""},
		{"empty", nil, "", "no data", ""},
		{"binary on stdin", nil, "\x70\x00", "standard input: not hex", ""},
		{"both", []string{"-f", "x", "70"}, "", "not both", ""},
		{"missing file", []string{"-f", "/nonexistent/tlv"}, "", "no such file", ""},
		// Book 3 Annex B: a value running past the end; the objects before
		// it are printed, then the error.
		{"truncated", []string{"5F3401015A0947"}, "", "data ends inside a data object",
			"5F34 Application PAN Sequence Number [1]: 01\nerror: tlv: tag 5A at offset 4: data ends inside a data object\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tc.args, strings.NewReader(tc.stdin), &out, &errOut)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.err)
			assert.Equal(t, tc.out, out.String())
		})
	}
	var out bytes.Buffer
	err := run([]string{"5A0947"}, strings.NewReader(""), &out, &out)
	var pe *tlv.ParseError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, tlv.ErrTruncated)
	assert.Equal(t, 0, pe.Offset)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := decodeHex(s)
	require.NoError(t, err)
	return b
}

// FuzzDecodeHex: the hex reader either fails or gives the bytes whose hex
// is the input without its separators; describing them never panics.
func FuzzDecodeHex(f *testing.F) {
	f.Add(record)
	f.Add("70 32:5A")
	f.Add("0x9F2701")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := decodeHex(s)
		if err != nil {
			if b != nil {
				t.Fatal("bytes with an error")
			}
			return
		}
		clean := strings.NewReplacer(" ", "", "\t", "", "\r", "", "\n", "", ":", "").Replace(s)
		clean = strings.TrimPrefix(strings.TrimPrefix(clean, "0x"), "0X")
		if !strings.EqualFold(hexUpper(b), clean) {
			t.Fatalf("%q decoded to %X", s, b)
		}
		var out bytes.Buffer
		_ = run([]string{"-f", "-"}, strings.NewReader(s), &out, &out)
	})
}

func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, digits[x>>4], digits[x&0x0F])
	}
	return string(out)
}
