package emvtest

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The symmetric cryptography of EMV Book 2 Annex A1, as an issuer and its
// cards compute it: ICC master key derivation (Option A), the EMV Common
// Session Key derivation, ISO/IEC 9797-1 MAC algorithm 3 and the ARPC
// methods. Keys are double-length 3DES keys (16 bytes).

// errKeyLength reports a key that is not a double-length DES key.
var errKeyLength = errors.New("emvtest: 3DES key must be 16 bytes")

// tdes returns a two-key triple-DES block cipher for a 16-byte key.
func tdes(key []byte) (cipher.Block, error) {
	if len(key) != 16 {
		return nil, errKeyLength
	}
	k := make([]byte, 24)
	copy(k, key)
	copy(k[16:], key[:8])
	return des.NewTripleDESCipher(k)
}

// tdesEncrypt enciphers whole 8-byte blocks in ECB mode.
func tdesEncrypt(key, data []byte) ([]byte, error) { return tdesECB(key, data, false) }

// tdesDecrypt deciphers whole 8-byte blocks in ECB mode.
func tdesDecrypt(key, data []byte) ([]byte, error) { return tdesECB(key, data, true) }

func tdesECB(key, data []byte, decrypt bool) ([]byte, error) {
	b, err := tdes(key)
	if err != nil {
		return nil, err
	}
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("emvtest: 3DES ECB data of %d bytes is not whole blocks", len(data))
	}
	op := b.Encrypt
	if decrypt {
		op = b.Decrypt
	}
	out := make([]byte, len(data))
	for i := 0; i < len(data); i += 8 {
		op(out[i:i+8], data[i:i+8])
	}
	return out, nil
}

// oddParity sets the low bit of every byte so that each has odd parity, as
// DES keys are written (Book 2 A1.4.1 and A1.3.1 ask for it after derivation).
func oddParity(k []byte) {
	for i, b := range k {
		n := 0
		for v := b >> 1; v != 0; v >>= 1 {
			n += int(v & 1)
		}
		if n%2 == 0 {
			k[i] = b&0xFE | 1
		} else {
			k[i] = b & 0xFE
		}
	}
}

// pad2 applies ISO/IEC 9797-1 padding method 2: a mandatory 80 byte, then
// 00 bytes to a multiple of 8 (Book 2 A1.2.1).
func pad2(data []byte) []byte {
	out := make([]byte, 0, len(data)+8)
	out = append(out, data...)
	out = append(out, 0x80)
	for len(out)%8 != 0 {
		out = append(out, 0)
	}
	return out
}

// retailMAC computes ISO/IEC 9797-1 MAC algorithm 3 with single-DES blocks
// (the "retail MAC": DES CBC under the left key half, then the last block
// deciphered under the right half and enciphered again under the left) over
// data already padded to whole blocks. Book 2 A1.2.1.
func retailMAC(key, padded []byte) ([]byte, error) {
	if len(key) != 16 {
		return nil, errKeyLength
	}
	if len(padded) == 0 || len(padded)%8 != 0 {
		return nil, fmt.Errorf("emvtest: MAC input of %d bytes is not whole blocks", len(padded))
	}
	kl, err := des.NewCipher(key[:8])
	if err != nil {
		return nil, err
	}
	kr, err := des.NewCipher(key[8:])
	if err != nil {
		return nil, err
	}
	h := make([]byte, 8)
	for i := 0; i < len(padded); i += 8 {
		for j := range 8 {
			h[j] ^= padded[i+j]
		}
		kl.Encrypt(h, h)
	}
	kr.Decrypt(h, h)
	kl.Encrypt(h, h)
	return h, nil
}

// mac computes MAC algorithm 3 with padding method 2, the padding EMV uses
// for application cryptograms, ARPC method 2 and secure messaging.
func mac(key, data []byte) ([]byte, error) { return retailMAC(key, pad2(data)) }

// deriveICCMasterKey derives the ICC master key from an issuer master key:
// Option A (Book 2 A1.4.1) for PANs of up to 16 digits, Option B (A1.4.2)
// for longer ones.
func deriveICCMasterKey(imk []byte, pan, psn string) ([]byte, error) {
	if psn == "" {
		psn = "00"
	}
	if len(pan) > 16 {
		return deriveOptionB(imk, pan, psn)
	}
	return deriveOptionA(imk, pan, psn)
}

// deriveOptionB is Book 2 A1.4.2: X = PAN || PSN ("00" when absent), with
// a leading 0 if of odd length, as BCD; the decimal digits of SHA-1(X) in
// order, then if fewer than 16 its hexadecimal letters A-F as 0-5, give
// the 16 digits Y that Option A then enciphers.
func deriveOptionB(imk []byte, pan, psn string) ([]byte, error) {
	x := pan + psn
	if !isDigits(x) {
		return nil, fmt.Errorf("emvtest: PAN and PSN must be decimal digits")
	}
	if len(x)%2 == 1 {
		x = "0" + x
	}
	xb, err := hex.DecodeString(x)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(xb)
	digest := strings.ToUpper(hex.EncodeToString(sum[:]))
	y := make([]byte, 0, 16)
	for i := 0; i < len(digest) && len(y) < 16; i++ {
		if c := digest[i]; c <= '9' {
			y = append(y, c)
		}
	}
	for i := 0; i < len(digest) && len(y) < 16; i++ {
		if c := digest[i]; c >= 'A' {
			y = append(y, '0'+c-'A')
		}
	}
	return deriveOptionA(imk, string(y), "")
}

// deriveOptionA derives the ICC master key from an issuer master key by
// Option A of Book 2 A1.4.1: Y is the rightmost 16 digits of PAN || PSN
// (the caller makes the PSN "00" when the card has none); the key is 3DES(IMK)[Y] ||
// 3DES(IMK)[Y xor FF..FF], with odd parity. pan and psn are decimal digit
// strings.
func deriveOptionA(imk []byte, pan, psn string) ([]byte, error) {
	digits := pan + psn
	for _, c := range digits {
		if c < '0' || c > '9' {
			return nil, fmt.Errorf("emvtest: PAN and PSN must be decimal digits")
		}
	}
	if len(digits) < 16 {
		digits = strings.Repeat("0", 16-len(digits)) + digits
	}
	y, err := hex.DecodeString(digits[len(digits)-16:])
	if err != nil {
		return nil, err
	}
	in := make([]byte, 16)
	copy(in, y)
	for i := range 8 {
		in[8+i] = y[i] ^ 0xFF
	}
	mk, err := tdesEncrypt(imk, in)
	if err != nil {
		return nil, err
	}
	oddParity(mk)
	return mk, nil
}

// sessionKey derives an EMV Common Session Key (Book 2 A1.3.1) from the
// 16-byte ICC master key mk and the 8-byte diversification value r:
// SK = 3DES(MK)[R0 R1 F0 R3..R7] || 3DES(MK)[R0 R1 0F R3..R7], odd parity.
// For application cryptograms R is ATC || 00 00 00 00 00 00; for secure
// messaging R is the application cryptogram of the transaction.
func sessionKey(mk, r []byte) ([]byte, error) {
	if len(r) != 8 {
		return nil, fmt.Errorf("emvtest: session key diversification value of %d bytes, want 8", len(r))
	}
	in := make([]byte, 16)
	copy(in, r)
	copy(in[8:], r)
	in[2] = 0xF0
	in[10] = 0x0F
	sk, err := tdesEncrypt(mk, in)
	if err != nil {
		return nil, err
	}
	oddParity(sk)
	return sk, nil
}

// acSessionKeyR is the diversification value for the application
// cryptogram session key: ATC || 00 00 00 00 00 00 (Book 2 A1.3.1).
func acSessionKeyR(atc uint16) []byte {
	return []byte{byte(atc >> 8), byte(atc), 0, 0, 0, 0, 0, 0}
}

// arpcMethod1 computes ARPC method 1 (Book 2 §8.2.1):
// 3DES(key)[ARQC xor (ARC || 00 00 00 00 00 00)].
func arpcMethod1(key, arqc []byte, arc [2]byte) ([]byte, error) {
	if len(arqc) != 8 {
		return nil, fmt.Errorf("emvtest: ARQC of %d bytes, want 8", len(arqc))
	}
	x := make([]byte, 8)
	copy(x, arqc)
	x[0] ^= arc[0]
	x[1] ^= arc[1]
	return tdesEncrypt(key, x)
}

// arpcMethod2 computes ARPC method 2 (Book 2 §8.2.2): the leftmost four
// bytes of MAC algorithm 3 (padding method 2) over ARQC || CSU ||
// Proprietary Authentication Data.
func arpcMethod2(key, arqc []byte, csu [4]byte, pad []byte) ([]byte, error) {
	if len(arqc) != 8 {
		return nil, fmt.Errorf("emvtest: ARQC of %d bytes, want 8", len(arqc))
	}
	if len(pad) > 8 {
		return nil, fmt.Errorf("emvtest: proprietary authentication data of %d bytes, at most 8", len(pad))
	}
	in := make([]byte, 0, 20)
	in = append(in, arqc...)
	in = append(in, csu[:]...)
	in = append(in, pad...)
	m, err := mac(key, in)
	if err != nil {
		return nil, err
	}
	return m[:4], nil
}
