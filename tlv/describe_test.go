package tlv

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func describeString(t *testing.T, b []byte, unmasked bool) (string, error) {
	t.Helper()
	var sb strings.Builder
	var err error
	if unmasked {
		err = DescribeUnmasked(&sb, b)
	} else {
		err = Describe(&sb, b)
	}
	return sb.String(), err
}

// TestMaskID: only the last four characters of an identity document
// number longer than eight stay; a shorter one is hidden whole.
func TestMaskID(t *testing.T) {
	assert.Equal(t, "**************0010", MaskID("110101198606200010"))
	assert.Equal(t, "*****4567", MaskID("G01234567"))
	assert.Equal(t, "********", MaskID("12345678"))
	assert.Equal(t, "", MaskID(""))
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		unmasked bool
		want     string
	}{
		{
			name: "FCI with nested templates, text and binary",
			in:   "6F1C8407A0000000041010A511500F505043204D434420303420207632309000",
			want: `6F File Control Information (FCI) Template [28]
  84 Dedicated File (DF) Name [7]: A0000000041010
  A5 File Control Information (FCI) Proprietary Template [17]
    50 Application Label [15]: "PPC MCD 04  v20"
90 Issuer Public Key Certificate [0]: (empty)
`,
		},
		{
			name: "record: PAN masked to first 6 and last 4, dates, numbers",
			in:   "701F 5A085413330089600044 5F2403141231 5F25030401015F280200565F340101",
			want: `70 READ RECORD Response Message Template [31]
  5A Application Primary Account Number (PAN) [8]: 541333******0044
  5F24 Application Expiration Date [3]: 141231 (2014-12-31)
  5F25 Application Effective Date [3]: 040101 (2004-01-01)
  5F28 Issuer Country Code [2]: 0056
  5F34 Application PAN Sequence Number [1]: 01
`,
		},
		{
			name:     "record unmasked",
			in:       "700A 5A085413330089600044",
			unmasked: true,
			want: `70 READ RECORD Response Message Template [10]
  5A Application Primary Account Number (PAN) [8]: 5413330089600044
`,
		},
		{
			name: "track 2, name and track 1 discretionary data masked",
			in:   "57104761340000000050D17122011252345F" + "5F2010" + "4341524420352F5649534120544553" + "54" + "9F1F0431323532",
			want: `57 Track 2 Equivalent Data [16]: 476134******0050D**************
5F20 Cardholder Name [16]: (masked)
9F1F Track 1 Discretionary Data [4]: (masked)
`,
		},
		{
			name:     "track 2, name and track 1 discretionary data unmasked",
			in:       "57104761340000000050D17122011252345F" + "5F2010" + "4341524420352F5649534120544553" + "54" + "9F1F0431323532",
			unmasked: true,
			want: `57 Track 2 Equivalent Data [16]: 4761340000000050D17122011252345
5F20 Cardholder Name [16]: "CARD 5/VISA TEST"
9F1F Track 1 Discretionary Data [4]: "1252"
`,
		},
		{
			name: "mag-stripe track 1 and track 2 data (Book C-2) masked",
			in: "56" + "1A" + "42353431333333303035363030333531315E4A4F484E5E3235" + "31" +
				"9F6B" + "08" + "5413330056003511",
			want: `56 Track 1 Data [26]: "B541333******3511^****^***"
9F6B Track 2 Data [8]: (masked)
`,
		},
		{
			// Record 2 of the UnionPay test card 6210948000000011
			// (binaryfoo/emv-bertlv src/test/resources/cases/contact-upi-in.txt
			// at dda526e6): the name in GBK, the cardholder's ID number
			// 9F61 and its type 9F62 (00: resident identity card,
			// JR/T 0025.5 Annex A). The number is cardholder data: masked.
			name: "UnionPay cardholder ID number masked, ID type shown",
			in: "70365F201AD2F8C1AA3632B1EAD7BCBFA840B2E2CAD4D7A8D3C343617264739F6112" +
				"3131303130313139383630363230303031309F620100",
			want: `70 READ RECORD Response Message Template [54]
  5F20 Cardholder Name [26]: (masked)
  9F61 CVC3 (Track2) / Cardholder ID Number [18]: (masked)
  9F62 PCVC3 (Track1) / Cardholder ID Type [1]: 00
`,
		},
		{
			name:     "UnionPay cardholder ID number unmasked",
			in:       "9F6112313130313031313938363036323030303130",
			unmasked: true,
			want:     "9F61 CVC3 (Track2) / Cardholder ID Number [18]: \"110101198606200010\"\n",
		},
		{
			// GET DATA answers of a UnionPay electronic cash application:
			// balance, balance limit, single transaction limit (n 12).
			name: "UnionPay electronic cash amounts as digits",
			in:   "9F7906000000000797 9F7706000000100000 9F7806000000050000 9F7406454343303031",
			want: `9F79 EC Balance [6]: 000000000797
9F77 EC Balance Limit [6]: 000000100000
9F78 EC Single Transaction Limit [6]: 000000050000
9F74 EC Issuer Authorization Code [6]: "ECC001"
`,
		},
		{
			name:     "PIN data is never shown, even unmasked",
			in:       "9908 241234FFFFFFFFFF",
			unmasked: true,
			want:     "99 Transaction Personal Identification Number (PIN) Data [8]: (PIN data not shown)\n",
		},
		{
			name: "time, amounts, bad numeric, bad date, unknown tag, format 1",
			in:   "9F2103123456 9F0206000000001000 9C01FF 9A03991332 DF7F02ABCD 800400010203",
			want: `9F21 Transaction Time [3]: 123456 (12:34:56)
9F02 Amount, Authorised (Numeric) [6]: 000000001000
9C Transaction Type [1]: FF (not numeric)
9A Transaction Date [3]: 991332 (not a date)
DF7F (unknown tag) [2]: ABCD
80 Response Message Template Format 1 [4]: 00010203
`,
		},
		{
			name: "text that is not printable is shown in hex",
			in:   "5007 56495341 0A 4142",
			want: "50 Application Label [7]: 564953410A4142\n",
		},
		{
			name: "DOLs list their entries; a bad DOL stays hex",
			in:   "8C0C 9F02069F1A029F3704DF7F01 9F3801 9F",
			want: `8C Card Risk Management Data Object List 1 (CDOL1) [12]: 9F02069F1A029F3704DF7F01
  - 9F02 Amount, Authorised (Numeric) [6]
  - 9F1A Terminal Country Code [2]
  - 9F37 Unpredictable Number [4]
  - DF7F (unknown tag) [1]
9F38 Processing Options Data Object List (PDOL) [1]: 9F
`,
		},
		{
			name: "padding is skipped",
			in:   "00 9F3602 0041 FFFF",
			want: "9F36 Application Transaction Counter (ATC) [2]: 0041\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := describeString(t, hx(tt.in), tt.unmasked)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDescribeMalformed(t *testing.T) {
	// What parsed is printed, then the error, which is returned.
	got, err := describeString(t, hx("77 0E 9F2701 80 9F3602 0041 9F26 08 0102"), false)
	requireParseError(t, err, ErrTruncated, 11, 0x9F26)
	assert.Equal(t, `77 Response Message Template Format 2 [14]
  9F27 Cryptogram Information Data (CID) [1]: 80
  9F36 Application Transaction Counter (ATC) [2]: 0041
error: tlv: tag 9F26 at offset 11: data ends inside a data object
`, got)

	got, err = describeString(t, hx("5A88FFFFFFFFFFFFFFFF"), false)
	requireParseError(t, err, ErrLengthTooLong, 0, 0x5A)
	assert.Equal(t, "error: tlv: tag 5A at offset 0: length field longer than 3 bytes\n", got)

	got, err = describeString(t, nested(MaxDepth+1), false)
	requireParseError(t, err, ErrTooDeep, 2*MaxDepth, 0x70)
	assert.Equal(t, MaxDepth, strings.Count(got, "70 READ RECORD"))
	assert.True(t, strings.HasSuffix(got, "error: tlv: tag 70 at offset 32: constructed objects nested too deep\n"), got)
}

// failWriter fails after n writes.
type failWriter struct{ n int }

var errWrite = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errWrite
	}
	w.n--
	return len(p), nil
}

func TestDescribeWriterError(t *testing.T) {
	b := hx("6F1C8407A0000000041010A511500F505043204D434420303420207632309000")
	for n := 0; n < 4; n++ {
		assert.ErrorIs(t, Describe(&failWriter{n: n}, b), errWrite, "after %d writes", n)
	}
	assert.ErrorIs(t, Describe(&failWriter{n: 0}, hx("9F")), errWrite)
	assert.NoError(t, Describe(&failWriter{n: 5}, b))
}

func TestMaskPAN(t *testing.T) {
	tests := []struct{ pan, want string }{
		{"5413330089600044", "541333******0044"},
		{"374245001741007", "374245*****1007"},
		{"6210948000000011123", "621094*********1123"},
		{"54133300896", "541333*0896"},
		{"5413330089", "**********"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, MaskPAN(tt.pan), tt.pan)
	}
}

func TestDescribeRecordedResponsesMaskPANs(t *testing.T) {
	// No full PAN of the recorded cards reaches masked output. Each PAN
	// listed is one the recorded responses hold (the unmasked description
	// shows it), so that there is something to hide.
	pans := []string{"5413330089600044", "4761340000000050", "4871780082770574"}
	shown := map[string]bool{}
	for _, r := range loadResponses(t) {
		got, err := describeString(t, hx(r.ResponseData), false)
		require.NoError(t, err, r.Trace)
		plain, err := describeString(t, hx(r.ResponseData), true)
		require.NoError(t, err, r.Trace)
		for _, pan := range pans {
			assert.NotContains(t, got, pan, r.Trace+" "+r.Command)
			if strings.Contains(plain, pan) {
				shown[pan] = true
			}
		}
	}
	for _, pan := range pans {
		assert.True(t, shown[pan], "PAN %s is in no recorded response", pan)
	}
}

// Compressed numeric (Book 3 §4.3, format cn): digits up to the first F.
// Digits is lenient: it stops at the first nibble that is not a digit.
func TestDigits(t *testing.T) {
	assert.Equal(t, "4761739001010119", Digits([]byte{0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19}))
	assert.Equal(t, "541333008902001", Digits([]byte{0x54, 0x13, 0x33, 0x00, 0x89, 0x02, 0x00, 0x1F}))
	assert.Equal(t, "01", Digits([]byte{0x01}))
	assert.Equal(t, "", Digits(nil))
	assert.Equal(t, "12", Digits([]byte{0x12, 0xA3}), "a non-digit nibble ends the digits")
}

// MaskTrack2 is Describe's rule for 57 (Book 3 Annex A1): the PAN masked,
// the separator, a '*' per digit after it, the F pad dropped.
func TestMaskTrack2(t *testing.T) {
	tests := []struct{ track2, want string }{
		{"4761739001010119D3012201123456789F", "476173******0119D****************"},
		{"5413330089600044D2512201", "541333******0044D*******"},
		{"5413330089D2512F", "**********D****"},
		{"4761739001010119", "(masked)"},
		{"", "(masked)"},
	}
	for _, tt := range tests {
		got := MaskTrack2(hx(tt.track2))
		assert.Equal(t, tt.want, got, tt.track2)
		if len(tt.track2) > 16 {
			assert.NotContains(t, got, tt.track2[:16])
		}
	}
}
