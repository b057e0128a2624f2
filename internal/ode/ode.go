// Package ode implements the symmetric half of the ECC encryption scheme
// of EMV 4.4 Book 2 Annex A2.3 that ECC offline PIN encipherment (Book 2
// §13.2) uses: the key derivation from a Diffie-Hellman shared secret and
// AES encrypt-then-MAC. The terminal side (package oda) and the virtual
// card (emv/emvtest) share it, so that both ends run the one
// implementation; the curve arithmetic stays with its callers.
//
// The layouts follow Book 2 Annex A2.3 as the emv-rs kernel states them
// (no EMVCo text was available to check them against):
//
//	K_DK = AES-CMAC(0^128, Z)
//	K_i  = AES(K_DK, i || 01 || 00 || UN_KD || A5 A5 A5 || 02 || 00), i = 1..4
//	SV   = N (2 bytes) || 0^112
//	C*   = AES-CTR(K_X, SV, P), the counter the 14 right-hand bytes of SV
//	MAC  = leftmost 8 bytes of AES-CMAC(K_Y, I2BS(len(A), 64) || A || SV || C*)
//	C    = C* || MAC
package ode

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"errors"
)

// Sizes of the scheme.
const (
	KeyLen = 16 // AES-128 session keys
	MACLen = 8
	UNLen  = 8 // UN_KD, the unpredictable number of the key derivation
)

// Keys are the four session keys of Annex A2.3.2: K1 and K2 encrypt and
// authenticate from terminal to card, K3 and K4 from card to terminal.
type Keys struct {
	K1, K2, K3, K4 [KeyLen]byte
}

// Clear overwrites the keys.
func (k *Keys) Clear() { *k = Keys{} }

// ErrMAC: the MAC of a ciphertext does not verify.
var ErrMAC = errors.New("ode: MAC does not verify")

// ErrInput: a length or counter out of range.
var ErrInput = errors.New("ode: invalid input")

// DeriveKeys derives the session keys from Z, the shared secret's x
// coordinate as Annex A2.3.2 encodes it (the caller pads it: N_FIELD
// bytes for P-256, 80 bytes for P-521), and UN_KD.
func DeriveKeys(z, un []byte) (Keys, error) {
	var k Keys
	if len(un) != UNLen || len(z) == 0 {
		return k, ErrInput
	}
	var zero [KeyLen]byte
	kdk := CMAC(zero[:], z)
	defer clear(kdk)
	b, err := aes.NewCipher(kdk)
	if err != nil {
		return k, err
	}
	var block [aes.BlockSize]byte
	block[1], block[2] = 0x01, 0x00
	copy(block[3:11], un)
	block[11], block[12], block[13], block[14], block[15] = 0xA5, 0xA5, 0xA5, 0x02, 0x00
	for i, dst := range []*[KeyLen]byte{&k.K1, &k.K2, &k.K3, &k.K4} {
		block[0] = byte(i + 1)
		b.Encrypt(dst[:], block[:])
	}
	return k, nil
}

// startVariable is SV of Annex A2.3.3 step b: the message counter N in
// the two leftmost bytes, zeros after.
func startVariable(n uint16) [aes.BlockSize]byte {
	var sv [aes.BlockSize]byte
	sv[0], sv[1] = byte(n>>8), byte(n)
	return sv
}

// Encrypt is encrypt-then-MAC, Annex A2.3.3: C* || MAC of plaintext p
// with associated data a, under the encryption key kx and the MAC key ky,
// with message counter n (65535 is refused, step a).
func Encrypt(kx, ky []byte, n uint16, p, a []byte) ([]byte, error) {
	if n == 0xFFFF {
		return nil, ErrInput
	}
	sv := startVariable(n)
	out := make([]byte, len(p), len(p)+MACLen)
	if err := ctr(kx, sv, out, p); err != nil {
		return nil, err
	}
	return append(out, mac(ky, sv, a, out)...), nil
}

// Decrypt checks the MAC and decrypts, Annex A2.3.4, the inverse of
// [Encrypt]. A MAC that does not verify is [ErrMAC] and nothing is
// decrypted.
func Decrypt(kx, ky []byte, n uint16, c, a []byte) ([]byte, error) {
	if n == 0xFFFF || len(c) < MACLen {
		return nil, ErrInput
	}
	sv := startVariable(n)
	body, tag := c[:len(c)-MACLen], c[len(c)-MACLen:]
	if subtle.ConstantTimeCompare(mac(ky, sv, a, body), tag) != 1 {
		return nil, ErrMAC
	}
	out := make([]byte, len(body))
	if err := ctr(kx, sv, out, body); err != nil {
		return nil, err
	}
	return out, nil
}

// ctr is AES-CTR from SV, the 14 right-hand bytes counting blocks (Annex
// A2.3.3 step g); with N in the left-hand bytes and at most 2^112 blocks
// this is the standard big-endian counter mode.
func ctr(k []byte, sv [aes.BlockSize]byte, dst, src []byte) error {
	b, err := aes.NewCipher(k)
	if err != nil {
		return err
	}
	cipher.NewCTR(b, sv[:]).XORKeyStream(dst, src)
	return nil
}

// mac is the 8-byte MAC of step k: AES-CMAC over I2BS(len(A) in bytes, 64)
// || A || SV || C*.
func mac(ky []byte, sv [aes.BlockSize]byte, a, c []byte) []byte {
	msg := make([]byte, 0, 8+len(a)+len(sv)+len(c))
	l := uint64(len(a))
	msg = append(msg, byte(l>>56), byte(l>>48), byte(l>>40), byte(l>>32), byte(l>>24), byte(l>>16), byte(l>>8), byte(l))
	msg = append(msg, a...)
	msg = append(msg, sv[:]...)
	msg = append(msg, c...)
	return CMAC(ky, msg)[:MACLen]
}

// CMAC is AES-CMAC (NIST SP 800-38B, RFC 4493) of msg under key, 16 bytes.
// key must be 16, 24 or 32 bytes; it panics otherwise (every caller here
// passes a fixed-size key).
func CMAC(key, msg []byte) []byte {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	const bs = aes.BlockSize
	var k1, k2, l [bs]byte
	b.Encrypt(l[:], l[:])
	subkey := func(dst, src *[bs]byte) {
		carry := src[0] >> 7
		for i := 0; i < bs-1; i++ {
			dst[i] = src[i]<<1 | src[i+1]>>7
		}
		dst[bs-1] = src[bs-1] << 1
		dst[bs-1] ^= 0x87 * carry
	}
	subkey(&k1, &l)
	subkey(&k2, &k1)
	n := (len(msg) + bs - 1) / bs
	complete := n > 0 && len(msg)%bs == 0
	if n == 0 {
		n = 1
	}
	var x, last [bs]byte
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x[:], x[:], msg[i*bs:(i+1)*bs])
		b.Encrypt(x[:], x[:])
	}
	tail := msg[(n-1)*bs:]
	if complete {
		subtle.XORBytes(last[:], tail, k1[:])
	} else {
		copy(last[:], tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last[:], last[:], k2[:])
	}
	subtle.XORBytes(x[:], x[:], last[:])
	b.Encrypt(x[:], x[:])
	return x[:]
}
