package emvtest

import (
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scriptCommands returns the commands (86 values) of a script template.
func scriptCommands(t *testing.T, scripts []byte) [][]byte {
	t.Helper()
	l, err := tlv.Parse(scripts)
	require.NoError(t, err)
	require.Equal(t, 1, l.Len())
	var out [][]byte
	for s := range l.All() {
		for o := range s.Children().All() {
			if o.Tag() == 0x86 {
				out = append(out, o.Value())
			}
		}
	}
	return out
}

// sessionKeys returns the SMI and SMC session keys of the card's first
// application for its current transaction (Book 2 A1.3).
func sessionKeys(t *testing.T, c *Card) (smi, smc []byte) {
	t.Helper()
	a := c.apps[0]
	smi, err := sessionKey(a.perso.mkSMI, a.tx.ac)
	require.NoError(t, err)
	smc, err = sessionKey(a.perso.mkSMC, a.tx.ac)
	require.NoError(t, err)
	return smi, smc
}

// Book 2 §9.2.1.1, §9.2.3, §9.3.1: the exact bytes of format 1 commands.
// Each MAC is recomputed here from the reading the issuer and card take
// (MAC algorithm 3 under SK_SMI over CLA INS P1 P2 80 00 00 00, then the
// data objects before 8E, padding method 2), spelled out block by block
// rather than through scriptMAC.
func TestFormat1CommandLayout(t *testing.T) {
	c := NewCard(VisaSDA())
	cmds := scriptCommands(t, issueScripts(t, c, SMFormat1,
		ApplicationBlock(), PINChange("864209"), PutData(0x9F14, []byte{0x02})))
	require.Len(t, cmds, 3)
	smi, smc := sessionKeys(t, c)
	macOf := func(blocks string) []byte {
		m, err := retailMAC(smi, h(blocks))
		require.NoError(t, err)
		return m
	}

	// APPLICATION BLOCK: no data, only the MAC object; the MAC covers the
	// header block alone, then a block of padding.
	assert.Equal(t, h("8C1E00000A 8E08"), cmds[0][:7])
	assert.Equal(t, macOf("8C1E000080000000 8000000000000000"), cmds[0][7:])
	assert.Len(t, cmds[0], 15)

	// PIN CHANGE/UNBLOCK P2 02: the new PIN block, length-prefixed and
	// padded (LD || D is 9 bytes, so indicator 01), enciphered under
	// SK_SMC in 87, then 8E.
	pin := cmds[1]
	assert.Equal(t, h("8C2400021D 8711 01"), pin[:8])
	crypt := pin[8:24]
	plain, err := tdesDecrypt(smc, crypt)
	require.NoError(t, err)
	assert.Equal(t, h("08 26864209FFFFFFFF 80000000000000"), plain)
	assert.Equal(t, h("8E08"), pin[24:26])
	assert.Equal(t, macOf("8C24000280000000 871101"+hexOf(crypt)+"8000000000"), pin[26:])
	assert.Len(t, pin, 5+0x1D)

	// PUT DATA 9F14: the value in clear in 81.
	assert.Equal(t, h("8CDA9F140D 810102 8E08"), cmds[2][:10])
	assert.Equal(t, macOf("8CDA9F1480000000 8101028000000000"), cmds[2][10:])

	assert.Equal(t, []apdu.SW{apdu.SWOK, apdu.SWOK, apdu.SWOK}, runScriptCommands(t, c, cmds))
	a := c.apps[0]
	assert.True(t, a.blocked)
	assert.Equal(t, PIN("864209"), a.pin)
	assert.Equal(t, 2, a.lcol)
}

func hexOf(b []byte) string { return sprintf("%X", b) }

// runScriptCommands sends each command to the card and returns the status
// words.
func runScriptCommands(t *testing.T, c *Card, cmds [][]byte) []apdu.SW {
	t.Helper()
	var sws []apdu.SW
	for _, cmd := range cmds {
		out, err := c.Transmit(t.Context(), cmd)
		require.NoError(t, err)
		r, err := apdu.ParseResponse(out)
		require.NoError(t, err)
		sws = append(sws, r.SW)
	}
	return sws
}

// Book 2 §9.3.1, ISO/IEC 7816-4 §6: the padding-content indicator of 87
// follows the encipherment (CBC pads: 01; ECB does not: 02; the
// length-prefixed form pads unless LD || D fills its blocks). The card
// takes each, and refuses the other indicator, MACed as sent, with 6988,
// keeping what it had.
func TestFormat1PadIndicatorEachEncipherment(t *testing.T) {
	tests := []struct {
		name  string
		e     Encipherment
		cmd   ScriptCommand
		pi    byte
		check func(t *testing.T, a *appState)
	}{
		{"LengthPrefixed_PIN", EncipherLengthPrefixed, PINChange("864209"), 0x01,
			func(t *testing.T, a *appState) { assert.Equal(t, PIN("864209"), a.pin) }},
		{"ECB_PIN", EncipherECB, PINChange("864209"), 0x02,
			func(t *testing.T, a *appState) { assert.Equal(t, PIN("864209"), a.pin) }},
		{"CBC_PIN", EncipherCBC, PINChange("864209"), 0x01,
			func(t *testing.T, a *appState) { assert.Equal(t, PIN("864209"), a.pin) }},
		{"LengthPrefixed_SevenBytesFillTheBlock", EncipherLengthPrefixed, PutDataConfidential(0xDF01, h("01020304050607")), 0x02,
			func(t *testing.T, a *appState) { assert.Equal(t, h("01020304050607"), a.issuerData(0xDF01).value) }},
		{"CBC_SevenBytes", EncipherCBC, PutDataConfidential(0xDF01, h("01020304050607")), 0x01,
			func(t *testing.T, a *appState) { assert.Equal(t, h("01020304050607"), a.issuerData(0xDF01).value) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newCard := func() *Card {
				p := VisaSDA()
				p.Applications[0].ScriptEncipherment = tc.e
				p.Applications[0].IssuerData = []IssuerDataObject{{Tag: h("DF01"), Value: h("00"), Confidential: true}}
				return NewCard(p)
			}
			c := newCard()
			cmds := scriptCommands(t, issueScripts(t, c, SMFormat1, tc.cmd))
			require.Len(t, cmds, 1)
			assert.Equal(t, byte(0x87), cmds[0][5])
			assert.Equal(t, tc.pi, cmds[0][7], "padding-content indicator")
			assert.Equal(t, []apdu.SW{apdu.SWOK}, runScriptCommands(t, c, cmds))
			tc.check(t, c.apps[0])

			c = newCard()
			before := c.apps[0].pin
			cmds = scriptCommands(t, issueScripts(t, c, SMFormat1, withFault(tc.cmd, SMFaultPadIndicator)))
			assert.Equal(t, tc.pi^0x03, cmds[0][7])
			assert.Equal(t, []apdu.SW{apdu.SWSMDataObjectsIncorrect}, runScriptCommands(t, c, cmds))
			assert.Equal(t, before, c.apps[0].pin)
			assert.Equal(t, h("00"), c.apps[0].issuerData(0xDF01).value)
			assert.True(t, c.apps[0].scriptFailed)
		})
	}
}

func withFault(c ScriptCommand, f SMFault) ScriptCommand {
	c.Fault = f
	return c
}

// format1Command builds a format 1 command with the given data objects
// and a right MAC over them, so that the objects are the only thing a
// test gets wrong.
func format1Command(t *testing.T, c *Card, ins, p1, p2 byte, objects []byte) []byte {
	t.Helper()
	smi, _ := sessionKeys(t, c)
	header := []byte{claSMFormat1, ins, p1, p2, byte(len(objects) + 10)}
	m, err := scriptMAC(smi, SMFormat1, header, c.apps[0].atc, c.apps[0].tx.ac, objects)
	require.NoError(t, err)
	return append(append(header, objects...), tlv.AppendTLV(nil, smTagMAC, m)...)
}

// Book 2 §9.2.1.1, §9.3, ISO/IEC 7816-4 §5.1.3: the status word of each
// format 1 command the card refuses, each wrong in one way only, and the
// card unchanged after it.
func TestFormat1Refusals(t *testing.T) {
	p := VisaSDA()
	p.Applications[0].IssuerData = []IssuerDataObject{{Tag: h("DF01"), Value: h("00"), Confidential: true}}
	tests := []struct {
		name string
		cmd  func(t *testing.T, c *Card) []byte
		sw   apdu.SW
	}{
		{"TamperedMAC", func(t *testing.T, c *Card) []byte {
			cmd := format1Command(t, c, apdu.InsApplicationBlock, 0, 0, nil)
			cmd[len(cmd)-1] ^= 0x80
			return cmd
		}, apdu.SWSMDataObjectsIncorrect},
		{"MACOverAnotherHeader", func(t *testing.T, c *Card) []byte {
			cmd := format1Command(t, c, apdu.InsApplicationUnblock, 0, 0, nil)
			cmd[1] = apdu.InsApplicationBlock // the MAC was for UNBLOCK
			return cmd
		}, apdu.SWSMDataObjectsIncorrect},
		{"NoMACObject", func(t *testing.T, c *Card) []byte {
			return append(h("8CDA9F1403"), tlv.AppendTLV(nil, smTagPlain, []byte{0})...)
		}, apdu.SWSMDataObjectsMissing},
		{"EmptyDataField", func(t *testing.T, c *Card) []byte { return h("8C1E0000") }, apdu.SWSMDataObjectsMissing},
		{"NewPINInClear81", func(t *testing.T, c *Card) []byte {
			return format1Command(t, c, apdu.InsPINChangeUnblock, 0, 2, tlv.AppendTLV(nil, smTagPlain, formatTwoPINBlock("4321")))
		}, apdu.SWSMDataObjectsMissing},
		{"ConfidentialValueInClear81", func(t *testing.T, c *Card) []byte {
			return format1Command(t, c, apdu.InsPutData, 0xDF, 0x01, tlv.AppendTLV(nil, smTagPlain, h("11223344")))
		}, apdu.SWSMDataObjectsMissing},
		{"PlainPutDataIn87", func(t *testing.T, c *Card) []byte {
			return format1Command(t, c, apdu.InsPutData, 0x9F, 0x14, tlv.AppendTLV(nil, smTagCryptogram, h("02 0000000000000000")))
		}, apdu.SWSMDataObjectsIncorrect},
		{"NewPINNotDeciphering", func(t *testing.T, c *Card) []byte {
			return format1Command(t, c, apdu.InsPINChangeUnblock, 0, 2, tlv.AppendTLV(nil, smTagCryptogram, h("01 00112233445566778899AABBCCDDEEFF")))
		}, apdu.SWIncorrectData},
		{"ApplicationBlockWithData", func(t *testing.T, c *Card) []byte {
			return format1Command(t, c, apdu.InsApplicationBlock, 0, 0, tlv.AppendTLV(nil, smTagPlain, []byte{0}))
		}, apdu.SWWrongLength},
		{"UnknownObject", func(t *testing.T, c *Card) []byte {
			return format1Command(t, c, apdu.InsApplicationBlock, 0, 0, tlv.AppendTLV(nil, 0x97, []byte{0}))
		}, apdu.SWSMDataObjectsIncorrect},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCard(p)
			issueScripts(t, c, SMFormat1)
			before := *c.apps[0]
			assert.Equal(t, []apdu.SW{tc.sw}, runScriptCommands(t, c, [][]byte{tc.cmd(t, c)}))
			a := c.apps[0]
			assert.Equal(t, before.blocked, a.blocked)
			assert.Equal(t, before.pin, a.pin)
			assert.Equal(t, before.lcol, a.lcol)
			assert.Equal(t, h("00"), a.issuerData(0xDF01).value)
			assert.True(t, a.scriptFailed)
			assert.Zero(t, a.scriptCount)
		})
	}
	// A class that is neither format: not supported.
	c := NewCard(p)
	issueScripts(t, c, SMFormat1)
	cmd := format1Command(t, c, apdu.InsApplicationBlock, 0, 0, nil)
	cmd[0] = 0x0C
	assert.Equal(t, []apdu.SW{apdu.SWCLANotSupported}, runScriptCommands(t, c, [][]byte{cmd}))
}

// Book 3 §6.5.2: APPLICATION UNBLOCK in format 1, sent to the blocked
// application in a session the issuer controls, gives it back.
func TestFormat1ApplicationUnblock(t *testing.T) {
	p := VisaSDA()
	c := NewCard(p)
	aid := p.Applications[0].AID
	assert.Equal(t, []apdu.SW{apdu.SWOK}, runScripts(t, c, issueScripts(t, c, SMFormat1, ApplicationBlock())))
	assert.Equal(t, apdu.SWWarningSelectedFileInvalidated, send(t, c, apdu.Select(aid, false)).SW)
	assert.Equal(t, []apdu.SW{apdu.SWOK}, runScripts(t, c, issueScripts(t, c, SMFormat1, ApplicationUnblock())))
	assert.Equal(t, apdu.SWOK, send(t, c, apdu.Select(aid, false)).SW)
	assert.False(t, c.ApplicationBlocked(aid))
}

// Book 2 §9.2.1.1: the form parseFormat1 accepts, and the status word of
// each data field out of it.
func TestParseFormat1(t *testing.T) {
	mac := "8E08 0102030405060708"
	good := map[string]struct {
		plain, crypt []byte
		pi           byte
		covered      string
	}{
		mac:                                {covered: ""},
		"8101AA" + mac:                     {plain: h("AA"), covered: "8101AA"},
		"8100" + mac:                       {plain: []byte{}, covered: "8100"},
		"870201BB" + mac:                   {crypt: h("BB"), pi: 0x01, covered: "870201BB"},
		"870102" + mac:                     {crypt: []byte{}, pi: 0x02, covered: "870102"},
		"818181" + repeat("AA", 129) + mac: {plain: h(repeat("AA", 129)), covered: "818181" + repeat("AA", 129)},
	}
	for in, want := range good {
		f, sw := parseFormat1(h(in))
		require.Equal(t, apdu.SWOK, sw, in)
		assert.Equal(t, h("0102030405060708"), f.mac, in)
		assert.Equal(t, h(want.covered), f.covered, in)
		assert.Equal(t, want.crypt != nil, f.data.enciphered, in)
		if want.crypt != nil {
			assert.Equal(t, want.crypt, f.data.cryptogram, in)
			assert.Equal(t, want.pi, f.data.pi, in)
		} else {
			assert.Equal(t, want.plain, f.data.value, in)
		}
	}
	bad := map[string]apdu.SW{
		"":                              apdu.SWSMDataObjectsMissing,
		"8101AA":                        apdu.SWSMDataObjectsMissing,
		"8E04 01020304":                 apdu.SWSMDataObjectsIncorrect, // a 4-byte MAC: ours are 8
		"8E09 010203040506070809":       apdu.SWSMDataObjectsIncorrect,
		"8001AA" + mac:                  apdu.SWSMDataObjectsIncorrect, // even tag: not covered by the MAC
		"8601BB" + mac:                  apdu.SWSMDataObjectsIncorrect,
		"8700" + mac:                    apdu.SWSMDataObjectsIncorrect, // no indicator
		"8101AA8101AA" + mac:            apdu.SWSMDataObjectsIncorrect,
		"8101AA870101" + mac:            apdu.SWSMDataObjectsIncorrect,
		mac + "8101AA":                  apdu.SWSMDataObjectsIncorrect,
		mac + mac:                       apdu.SWSMDataObjectsIncorrect,
		"8101AA00" + mac:                apdu.SWSMDataObjectsIncorrect, // padding between objects
		"00" + mac:                      apdu.SWSMDataObjectsIncorrect,
		mac + "00":                      apdu.SWSMDataObjectsIncorrect,
		"8102AA":                        apdu.SWSMDataObjectsIncorrect, // past the end
		"818101AA" + mac:                apdu.SWSMDataObjectsIncorrect, // non-minimal length
		"9F1801AA" + mac:                apdu.SWSMDataObjectsIncorrect,
		"8E08 01020304050607":           apdu.SWSMDataObjectsIncorrect,
		"8E8408000000 0102030405060708": apdu.SWSMDataObjectsIncorrect,
	}
	for in, want := range bad {
		f, sw := parseFormat1(h(in))
		assert.Equal(t, want, sw, "%q", in)
		assert.Nil(t, f.mac, "%q", in)
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// FuzzParseFormat1: the card's format 1 parser never panics; what it
// accepts is exactly the covered objects followed by an 8-byte 8E, the
// covered part re-encodes from what was parsed, and a refusal is 6987 or
// 6988 with nothing parsed.
func FuzzParseFormat1(f *testing.F) {
	for _, s := range []string{
		"8E080102030405060708",
		"810102 8E080102030405060708",
		"87110100112233445566778899AABBCCDDEEFF 8E080102030405060708",
		"8E08", "87", "8101", "8181", "8E8408",
	} {
		f.Add(h(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, sw := parseFormat1(data)
		if sw != apdu.SWOK {
			if sw != apdu.SWSMDataObjectsMissing && sw != apdu.SWSMDataObjectsIncorrect {
				t.Fatalf("status %s", sw)
			}
			if p.mac != nil || p.covered != nil {
				t.Fatal("refused, yet parsed")
			}
			return
		}
		if len(p.mac) != scriptMACLen {
			t.Fatalf("MAC of %d bytes", len(p.mac))
		}
		whole := tlv.AppendTLV(append([]byte(nil), p.covered...), smTagMAC, p.mac)
		if string(whole) != string(data) {
			t.Fatalf("covered || 8E is % X, input % X", whole, data)
		}
		var again []byte
		switch {
		case p.data.enciphered:
			again = tlv.AppendTLV(nil, smTagCryptogram, append([]byte{p.data.pi}, p.data.cryptogram...))
		case p.data.value != nil:
			again = tlv.AppendTLV(nil, smTagPlain, p.data.value)
		}
		if string(again) != string(p.covered) {
			t.Fatalf("re-encoded % X, covered % X", again, p.covered)
		}
	})
}
