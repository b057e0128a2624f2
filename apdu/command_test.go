package apdu

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

// ISO 7816-4 §5.1 (EMV Book 1 §9.4.1): the four cases of a short command.
func TestCommandCases(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		hex  string
	}{
		{"case 1: header only", Command{CLA: 0x80, INS: 0xCA, P1: 0x9F, P2: 0x36}, "80CA9F36"},
		{"case 2: Le 1", Command{CLA: 0x00, INS: 0xB2, P1: 1, P2: 0x0C, Le: 1}, "00B2010C01"},
		{"case 2: Le 256 is 00", Command{CLA: 0x00, INS: 0xB2, P1: 1, P2: 0x0C, Le: 256}, "00B2010C00"},
		{"case 3: Lc and data", Command{CLA: 0x00, INS: 0x82, Data: unhex(t, "DEADBEEF")}, "0082000004DEADBEEF"},
		{"case 4: Lc, data, Le 00", Command{CLA: 0x00, INS: 0xA4, P1: 4, Data: unhex(t, "A0000000031010"), Le: 256}, "00A4040007A000000003101000"},
		{"case 4: Le 255", Command{CLA: 0x00, INS: 0x88, Data: []byte{1}, Le: 255}, "008800000101FF"},
		{"case 3: 255 data bytes", Command{CLA: 0x00, INS: 0x82, Data: make([]byte, 255)}, "00820000FF" + strings.Repeat("00", 255)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.cmd.Bytes()
			require.NoError(t, err)
			assert.Equal(t, strings.ToUpper(tt.hex), fmt.Sprintf("%X", b))
			got, err := ParseCommand(b)
			require.NoError(t, err)
			assert.Equal(t, tt.cmd.CLA, got.CLA)
			assert.Equal(t, tt.cmd.INS, got.INS)
			assert.Equal(t, tt.cmd.P1, got.P1)
			assert.Equal(t, tt.cmd.P2, got.P2)
			assert.Equal(t, len(tt.cmd.Data), len(got.Data))
			assert.Equal(t, tt.cmd.Le, got.Le)
			if len(tt.cmd.Data) > 0 {
				assert.Equal(t, tt.cmd.Data, got.Data)
			}
		})
	}
}

func TestCommandBytesRejects(t *testing.T) {
	for _, c := range []Command{
		{Data: make([]byte, 256)},
		{Le: 257},
		{Le: -1},
	} {
		_, err := c.Bytes()
		assert.ErrorIs(t, err, ErrMalformedCommand)
	}
}

// ISO 7816-4 §5.1: what is not a short command APDU.
func TestParseCommandMalformed(t *testing.T) {
	for _, h := range []string{
		"",
		"00",
		"00A404",
		"00A40400000102",     // Lc 00 followed by bytes: extended length, not EMV
		"00A40400050102",     // Lc 5, 2 bytes
		"00A4040002010203FF", // Lc 2, 4 bytes after
	} {
		_, err := ParseCommand(unhex(t, h))
		assert.ErrorIs(t, err, ErrMalformedCommand, h)
	}
}

// A parsed command's Data must not reach into the Le byte of the input, so
// that appending to it cannot change the encoded command.
func TestParseCommandDataCapacity(t *testing.T) {
	b := unhex(t, "00A4040002A0A100")
	c, err := ParseCommand(b)
	require.NoError(t, err)
	_ = append(c.Data, 0xEE)
	assert.Equal(t, byte(0x00), b[len(b)-1])
}

// The exact bytes of every builder: Book 1 §11.2, §11.3; Book 3 §6.5.
func TestBuilders(t *testing.T) {
	tests := []struct {
		name string
		cmd  Command
		hex  string
	}{
		// Book 1 §11.3.2: P1 04 select by name, P2 00 first or only, 02 next.
		{"SELECT first (PSE)", Select([]byte("1PAY.SYS.DDF01"), false), "00A404000E315041592E5359532E444446303100"},
		{"SELECT next", Select(unhex(t, "A0000000031010"), true), "00A4040207A000000003101000"},
		// Book 1 §11.2.2: P2 = SFI<<3 | 100.
		{"READ RECORD SFI 1 record 1", ReadRecord(1, 1), "00B2010C00"},
		{"READ RECORD SFI 2 record 3", ReadRecord(2, 3), "00B2031400"},
		{"READ RECORD SFI 30 record 255", ReadRecord(30, 255), "00B2FFF400"},
		// Book 3 §6.5.8.3: data is the template 83 holding the PDOL data.
		{"GPO empty PDOL", GetProcessingOptions(nil), "80A8000002830000"},
		{"GPO with PDOL data", GetProcessingOptions(unhex(t, "E0B0C8")), "80A8000005830 3E0B0C800"},
		{"GPO 128-byte PDOL data", GetProcessingOptions(make([]byte, 128)), "80A8000083838180" + strings.Repeat("00", 128) + "00"},
		// Book 3 §6.5.5.2 Table 12: P1 b8-b7 00 AAC, 01 TC, 10 ARQC; b5 CDA.
		{"GENERATE AC AAC", GenerateAC(RefAAC, []byte{1, 2}), "80AE0000020102" + "00"},
		{"GENERATE AC TC", GenerateAC(RefTC, []byte{1}), "80AE40000101" + "00"},
		{"GENERATE AC ARQC", GenerateAC(RefARQC, []byte{1}), "80AE80000101" + "00"},
		{"GENERATE AC ARQC with CDA", GenerateAC(RefARQC|RefCDA, []byte{1}), "80AE90000101" + "00"},
		{"GENERATE AC TC with CDA", GenerateAC(RefTC|RefCDA, []byte{1}), "80AE50000101" + "00"},
		// Book 3 §6.5.7.
		{"GET DATA ATC", GetData(0x9F36), "80CA9F3600"},
		{"GET DATA Last Online ATC Register", GetData(0x9F13), "80CA9F1300"},
		{"GET DATA PIN Try Counter", GetData(0x9F17), "80CA9F1700"},
		// Book 3 §6.5.9 (case 4), §6.5.4 (case 3), §6.5.6 (case 2).
		{"INTERNAL AUTHENTICATE", InternalAuthenticate(unhex(t, "12345678")), "008800000412345678" + "00"},
		{"EXTERNAL AUTHENTICATE", ExternalAuthenticate(unhex(t, "1122334455667788 3030")), "008200000A11223344556677883030"},
		{"GET CHALLENGE", GetChallenge(), "0084000000"},
		// Book 3 §6.5.12: P2 80 plaintext PIN, 88 enciphered PIN; case 3.
		{"VERIFY plaintext", Verify(VerifyPlaintextPIN, unhex(t, "241234FFFFFFFFFF")), "0020008008241234FFFFFFFFFF"},
		{"VERIFY enciphered", Verify(VerifyEncipheredPIN, []byte{1, 2, 3}), "0020008803010203"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.cmd.Bytes()
			require.NoError(t, err)
			assert.Equal(t, strings.ReplaceAll(tt.hex, " ", ""), fmt.Sprintf("%X", b))
		})
	}
}

func TestCommandName(t *testing.T) {
	for ins, want := range map[byte]string{
		0xA4: "SELECT", 0xB2: "READ RECORD", 0xA8: "GET PROCESSING OPTIONS",
		0xAE: "GENERATE AC", 0xCA: "GET DATA", 0x88: "INTERNAL AUTHENTICATE",
		0x82: "EXTERNAL AUTHENTICATE", 0x84: "GET CHALLENGE", 0x20: "VERIFY",
		0xC0: "GET RESPONSE", 0x24: "PIN CHANGE/UNBLOCK", 0x1E: "APPLICATION BLOCK",
		0x18: "APPLICATION UNBLOCK", 0x16: "CARD BLOCK", 0xDA: "PUT DATA",
		0xDC: "UPDATE RECORD", 0x77: "INS 77",
	} {
		assert.Equal(t, want, Command{INS: ins}.Name())
	}
}

// pinBlock is a plaintext offline PIN block (Book 3 §6.5.12, ISO 9564
// format 2, PIN 1234); tests assert it never shows.
const pinBlockHex = "241234FFFFFFFFFF"

// leaks reports whether s shows the PIN block in any form a formatter
// could produce: hex either case, with or without spaces, or decimal
// bytes.
func leaks(s string, pin []byte) bool {
	forms := []string{
		fmt.Sprintf("%X", pin), fmt.Sprintf("%x", pin),
		fmt.Sprintf("% X", pin), fmt.Sprintf("% x", pin),
		strings.Trim(fmt.Sprint(pin), "[]"), string(pin),
		fmt.Sprintf("%#v", pin),
	}
	for _, f := range forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	// The PIN digits themselves next to the format nibble.
	return strings.Contains(strings.ToUpper(s), "241234F")
}

// Secrets: the data of a sensitive command never reaches any fmt verb.
func TestSensitiveCommandNeverPrinted(t *testing.T) {
	pin := unhex(t, pinBlockHex)
	for _, c := range []Command{
		Verify(VerifyPlaintextPIN, pin),
		{CLA: 0x84, INS: InsPINChangeUnblock, P2: 0x01, Data: pin},
	} {
		require.True(t, c.Sensitive())
		se := &StatusError{Command: c, SW: 0x63C2}
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			assert.False(t, leaks(fmt.Sprintf(verb, c), pin), verb)
			assert.False(t, leaks(fmt.Sprintf(verb, &c), pin), verb)
			assert.False(t, leaks(fmt.Sprintf(verb, se), pin), verb)
			assert.False(t, leaks(fmt.Sprintf(verb, *se), pin), verb)
			assert.False(t, leaks(fmt.Sprintf(verb, []Command{c}), pin), verb)
		}
		assert.Contains(t, c.String(), "[8 bytes redacted]")
		r := c.Redacted()
		assert.Equal(t, make([]byte, 8), r.Data)
		assert.Equal(t, pin, c.Data, "Redacted must not change the original")
	}
	// A command that is not sensitive shows its data.
	sel := Select(unhex(t, "A0000000031010"), false)
	assert.Equal(t, "SELECT 00A40400 Lc=07 A0000000031010 Le=00", sel.String())
	assert.Equal(t, sel, sel.Redacted())
	assert.Equal(t, "apdu.Command(SELECT 00A40400 Lc=07 A0000000031010 Le=00)", fmt.Sprintf("%#v", sel))
}

func TestStatusError(t *testing.T) {
	err := error(&StatusError{Command: GetProcessingOptions(nil), SW: SWConditionsNotSatisfied})
	assert.Equal(t, "apdu: GET PROCESSING OPTIONS answered 6985 (conditions of use not satisfied)", err.Error())
	var se *StatusError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, SWConditionsNotSatisfied, se.SW)
	err = &StatusError{Command: Verify(VerifyPlaintextPIN, unhex(t, pinBlockHex)), SW: 0x63C1}
	assert.Equal(t, "apdu: VERIFY answered 63C1 (verification failed, 1 tries left)", err.Error())
}

// ISO 7816-4 §5.1: a response is data followed by SW1 SW2.
func TestParseResponse(t *testing.T) {
	r, err := ParseResponse(unhex(t, "6F0184 9000"))
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "6F0184"), r.Data)
	assert.Equal(t, SWOK, r.SW)
	assert.Equal(t, unhex(t, "6F01849000"), r.Bytes())

	r, err = ParseResponse(unhex(t, "6A82"))
	require.NoError(t, err)
	assert.Empty(t, r.Data)
	assert.Equal(t, SWFileNotFound, r.SW)

	for _, b := range [][]byte{nil, {0x90}} {
		_, err = ParseResponse(b)
		assert.ErrorIs(t, err, ErrShortResponse)
	}
}

// A Response printed by any verb masks the PAN.
func TestResponseString(t *testing.T) {
	r := Response{Data: unhex(t, "70065A0447617390"), SW: SWOK}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d"} {
		s := fmt.Sprintf(verb, r)
		assert.NotContains(t, s, "47617390", verb)
		assert.NotContains(t, s, "71 97 115 144", verb)
	}
	assert.Equal(t, "70065A04******** 9000 (success)", r.String())
	assert.Equal(t, "6A82 (file or application not found)", Response{SW: SWFileNotFound}.String())
}
