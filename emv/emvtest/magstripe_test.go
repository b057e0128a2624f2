package emvtest

import (
	"crypto/des"
	"testing"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ccc(data []byte) apdu.Command {
	return apdu.Command{CLA: 0x80, INS: InsComputeCryptographicChecksum, P1: 0x8E, P2: 0x80, Data: data, Le: 256}
}

// cvc3ByHand recomputes CVC3 with crypto/des only, step by step as
// MagStripe documents it: the retail MAC of the track (single DES CBC
// under the left key half, the last block deciphered under the right half
// and enciphered under the left), its 2 rightmost bytes as IVCVC3, then
// triple DES (K1 K2 K1) of IVCVC3 || UN || ATC.
func cvc3ByHand(t *testing.T, key, track []byte, un [4]byte, atc uint16) string {
	t.Helper()
	kl, err := des.NewCipher(key[:8])
	require.NoError(t, err)
	kr, err := des.NewCipher(key[8:])
	require.NoError(t, err)
	data := append(append([]byte(nil), track...), 0x80)
	for len(data)%8 != 0 {
		data = append(data, 0)
	}
	var x [8]byte
	for i := 0; i < len(data); i += 8 {
		for j := range x {
			x[j] ^= data[i+j]
		}
		kl.Encrypt(x[:], x[:])
	}
	kr.Decrypt(x[:], x[:])
	kl.Encrypt(x[:], x[:])
	in := []byte{x[6], x[7], un[0], un[1], un[2], un[3], byte(atc >> 8), byte(atc)}
	kl.Encrypt(in, in)
	kr.Decrypt(in, in)
	kl.Encrypt(in, in)
	return sprintf("%X", in[6:])
}

// Book C-2 mag-stripe mode, the card's side: the mag-stripe record
// (SFI 1 record 1, AFL entry 08010100 first), COMPUTE CRYPTOGRAPHIC
// CHECKSUM refused before GPO (6985), with other P1 P2 (6A86) and with
// UDOL data of the wrong length (6700); its answer 77 holds CVC3 (Track1)
// and (Track2), each the CVC3 of MagStripe recomputed by hand, and the
// ATC GPO counted. An EMV mode card does not know the command (6D00).
func TestComputeCryptographicChecksum(t *testing.T) {
	p := MastercardMagStripe()
	c := NewCard(p)
	aid := h("A0000000041010")
	require.Equal(t, apdu.SWOK, send(t, c, apdu.Select(aid, false)).SW)
	udolData := h("00012345 000000001500 0840")
	assert.Equal(t, apdu.SWConditionsNotSatisfied, send(t, c, ccc(udolData)).SW, "before GPO")
	r := send(t, c, apdu.GetProcessingOptions(h("000000001500 0840 0840 261202 00 11223344")))
	require.Equal(t, apdu.SWOK, r.SW)
	afl, ok := tlv.Find(r.Data, 0x94)
	require.True(t, ok)
	assert.Equal(t, "08010100", sprintf("%X", afl[:4]))
	rec := send(t, c, apdu.ReadRecord(1, 1))
	require.Equal(t, apdu.SWOK, rec.SW)
	assert.Equal(t, "5413330089010087D3012201000000000000", tagHex(t, rec.Data, 0x9F6B))
	assert.Equal(t, "0F8E", tagHex(t, rec.Data, 0x9F66))
	assert.Equal(t, "9F6A049F02065F2A02", tagHex(t, rec.Data, 0x9F69))

	bad := ccc(udolData)
	bad.P1 = 0x80
	assert.Equal(t, apdu.SWIncorrectP1P2, send(t, c, bad).SW)
	assert.Equal(t, apdu.SWWrongLength, send(t, c, ccc(udolData[:11])).SW)
	r = send(t, c, ccc(udolData))
	require.Equal(t, apdu.SWOK, r.SW)
	key := c.apps[0].perso.mkAC // the ICC master key for AC, KDcvc3
	require.Len(t, key, 16)
	un := [4]byte(udolData[:4])
	atc := uint16(p.Applications[0].ATC + 1) // GPO counts the transaction
	want := "770F9F6002" + cvc3ByHand(t, key, []byte(p.Applications[0].MagStripe.Track1), un, atc) +
		"9F6102" + cvc3ByHand(t, key, p.Applications[0].MagStripe.Track2, un, atc) +
		sprintf("9F3602%04X", atc)
	assert.Equal(t, want, sprintf("%X", r.Data))

	e := NewCard(MastercardOffline())
	require.Equal(t, apdu.SWOK, send(t, e, apdu.Select(aid, false)).SW)
	require.Equal(t, apdu.SWOK, send(t, e, apdu.GetProcessingOptions(h("000000001500 0840 0840 261202 00 11223344"))).SW)
	assert.Equal(t, apdu.SWINSNotSupported, send(t, e, ccc(udolData)).SW)
}

func tagHex(t *testing.T, b []byte, tg tlv.Tag) string {
	t.Helper()
	_, v, err := tlv.Single(b)
	require.NoError(t, err)
	x, ok := tlv.Find(v, tg)
	require.True(t, ok, "%s", tg)
	return sprintf("%X", x)
}
