package oda

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"math/big"
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/emvkit/emvkit/tlv"
)

// Fixed fields of a recovered certificate or signed data block (Book 2
// Tables 6, 7, 13, 14, 17).
const (
	recoveredHeader  = 0x6A
	recoveredTrailer = 0xBC
	hashLen          = sha1.Size // every RSA certificate of Book 2 carries a SHA-1 result
	padByte          = 0xBB
)

// Certificate formats and signed data formats, Book 2 Tables 6, 7, 13, 14,
// 17, and the fDDA format of Book C-3.
const (
	formatIssuerCert = 0x02
	formatSSAD       = 0x03
	formatICCCert    = 0x04
	formatSDAD       = 0x05
	formatFDDA       = 0x95
)

// PublicKey is an RSA public key as EMV carries it: modulus and exponent,
// big-endian, without leading zero bytes in the modulus.
type PublicKey struct {
	Modulus, Exponent []byte

	// rsa is the key as parsed when this package recovered it, kept so
	// that enciphering a PIN with it does not parse the modulus again;
	// used only while Modulus is still the slice it was parsed from.
	rsa *rsaKey
}

// modulusInt returns the modulus as a big.Int, not to be changed: the
// one parsed when the key was recovered if Modulus is still that slice,
// else a new one.
func (k *PublicKey) modulusInt() *big.Int {
	if r := k.rsa; r != nil && len(k.Modulus) > 0 && len(r.src) == len(k.Modulus) && &r.src[0] == &k.Modulus[0] {
		return r.n
	}
	return new(big.Int).SetBytes(k.Modulus)
}

// IssuerKey is an Issuer Public Key recovered from its certificate (tag 90)
// under a CA public key, Book 2 §5.3 / §6.3, Table 13.
type IssuerKey struct {
	PublicKey
	// IssuerIdentifier is the leftmost 3-8 PAN digits, padded with F.
	IssuerIdentifier [4]byte
	Expiry           [2]byte // Certificate Expiration Date, MMYY
	SerialNumber     [3]byte // Certificate Serial Number
	HashAlgorithm    byte
	KeyAlgorithm     byte
	// CA is the key that signed the certificate.
	CA *CAKey
	// Recovered is the whole recovered certificate, 6A .. BC.
	Recovered []byte

	rsa rsaKey
}

// String describes the key without PAN digits.
func (k *IssuerKey) String() string {
	return fmt.Sprintf("issuer public key (%d bits, exponent %X, expires %02X/%02X, serial %X)",
		8*len(k.Modulus), k.Exponent, k.Expiry[0], k.Expiry[1], k.SerialNumber[:])
}

// ICCKey is an ICC Public Key (Book 2 §6.4, Table 14) or an ICC PIN
// Encipherment Public Key (Book 2 §7.1) recovered from its certificate
// under the Issuer Public Key.
type ICCKey struct {
	PublicKey
	PAN           [10]byte // Application PAN as signed, padded with F
	Expiry        [2]byte  // MMYY
	SerialNumber  [3]byte
	HashAlgorithm byte
	KeyAlgorithm  byte
	// Recovered is the whole recovered certificate, 6A .. BC. It holds the
	// PAN: mask it before showing it to a person.
	Recovered []byte

	rsa rsaKey
}

// String describes the key with the PAN masked.
func (k *ICCKey) String() string {
	return fmt.Sprintf("ICC public key (%d bits, exponent %X, PAN %s, expires %02X/%02X)",
		8*len(k.Modulus), k.Exponent, maskPAN(k.PAN[:]), k.Expiry[0], k.Expiry[1])
}

// maskPAN shows a PAN field (F padding removed) masked as tlv.MaskPAN does.
func maskPAN(b []byte) string {
	s := strings.ToUpper(hex.EncodeToString(b))
	return tlv.MaskPAN(strings.TrimRight(s, "F"))
}

// certSpec describes one kind of public key certificate.
type certSpec struct {
	format byte
	idLen  int // issuer identifier (4) or PAN (10)
	c      certChecks
}

type certChecks struct {
	cert, exponent, length, trailer, header, format, keyLength, remainder, hashAlg, hash, id, expiry, keyAlg Check
}

var (
	issuerCertSpec = certSpec{format: formatIssuerCert, idLen: 4, c: certChecks{
		cert: CheckIssuerCertificate, exponent: CheckIssuerExponent, length: CheckIssuerCertLength,
		trailer: CheckIssuerCertTrailer, header: CheckIssuerCertHeader, format: CheckIssuerCertFormat,
		keyLength: CheckIssuerKeyLength, remainder: CheckIssuerRemainder, hashAlg: CheckIssuerHashAlgorithm,
		hash: CheckIssuerCertHash, id: CheckIssuerIdentifier, expiry: CheckIssuerCertExpiry, keyAlg: CheckIssuerKeyAlgorithm,
	}}
	iccCertSpec = certSpec{format: formatICCCert, idLen: 10, c: certChecks{
		cert: CheckICCCertificate, exponent: CheckICCExponent, length: CheckICCCertLength,
		trailer: CheckICCCertTrailer, header: CheckICCCertHeader, format: CheckICCCertFormat,
		keyLength: CheckICCKeyLength, remainder: CheckICCRemainder, hashAlg: CheckICCHashAlgorithm,
		hash: CheckICCCertHash, id: CheckICCPAN, expiry: CheckICCCertExpiry, keyAlg: CheckICCKeyAlgorithm,
	}}
)

// certFields is what recoverCert hands back.
type certFields struct {
	recovered []byte
	id        []byte
	expiry    []byte
	serial    []byte
	hashAlg   byte
	keyAlg    byte
	modulus   []byte
	exponent  []byte
}

// recoverCert runs the checks common to the Issuer and ICC public key
// certificates, in the order of Book 2 §5.3 / §6.3 / §6.4:
//
//	1 certificate length = signer's modulus length
//	2 recover; trailer BC
//	3 header 6A
//	4 certificate format
//	5 hash algorithm indicator known (SHA-1)
//	  the key's length fits, the remainder is present when needed
//	6-7 hash over format .. key || remainder || exponent || extra matches
//	8 identity (issuer identifier or PAN) — by the caller's check
//	9 expiry against date
//	10 revocation — by the caller's revoked func (issuer only)
//	11 public key algorithm indicator known (RSA)
//
// and then joins key bytes and remainder into the modulus.
func recoverCert(m Method, spec *certSpec, signer *rsaKey, cert, remainder, exponent, extra []byte,
	matchID func(id []byte) error, date time.Time, revoked func(serial []byte) bool) (f certFields, err error) {
	return recoverCertIn(m, spec, signer, cert, remainder, exponent, extra, matchID, date, revoked, nil)
}

// recoverCertIn is recoverCert with the recovered certificate and the
// key's modulus and exponent in st; with a nil st they are allocated.
func recoverCertIn(m Method, spec *certSpec, signer *rsaKey, cert, remainder, exponent, extra []byte,
	matchID func(id []byte) error, date time.Time, revoked func(serial []byte) bool, st *keyStorage) (f certFields, err error) {
	c := &spec.c
	// Step 9 needs the transaction date; without it nothing is checked.
	if date.IsZero() {
		return f, fail(m, CheckInput, ErrInput, "no transaction date")
	}
	if len(cert) == 0 {
		return f, fail(m, c.cert, ErrMissingData, "")
	}
	if len(exponent) == 0 {
		return f, fail(m, c.exponent, ErrMissingData, "")
	}
	if !validExponent(exponent) {
		return f, fail(m, c.exponent, ErrFormat, "exponent %X is not 03 or 010001", exponent)
	}
	n := signer.size
	// Fixed part: header, format, identity, expiry (2), serial (3), two
	// algorithm indicators, key length, exponent length, hash, trailer.
	fixed := 2 + spec.idLen + 2 + 3 + 4 + hashLen + 1
	// Step 1.
	if len(cert) != n {
		return f, fail(m, c.length, ErrLength, "certificate is %d bytes, signer's modulus %d", len(cert), n)
	}
	if n <= fixed {
		return f, fail(m, c.length, ErrLength, "signer's modulus of %d bytes is too short for a certificate", n)
	}
	// Steps 2-4.
	var recBuf, keyBuf []byte
	if st != nil {
		recBuf, keyBuf = st.rec[:0], st.key[:0]
	}
	rec, err := recoverSigned(m, signer, cert, spec.format, recoveryChecks{c.trailer, c.header, c.format}, recBuf)
	if err != nil {
		return f, err
	}
	f.recovered = rec
	p := 2
	f.id = rec[p : p+spec.idLen]
	p += spec.idLen
	f.expiry = rec[p : p+2]
	f.serial = rec[p+2 : p+5]
	f.hashAlg = rec[p+5]
	f.keyAlg = rec[p+6]
	keyLen := int(rec[p+7])
	expLen := int(rec[p+8])
	keyField := rec[p+9 : n-hashLen-1]
	// Step 5: the hash algorithm must be known before hashing.
	if f.hashAlg != HashSHA1 {
		return f, fail(m, c.hashAlg, ErrUnsupportedAlgorithm, "hash algorithm indicator %02X", f.hashAlg)
	}
	// The key may not be longer than its signer's (N_I <= N_CA, N_IC <= N_I,
	// Book 2 §5.1, §6.1), and what does not fit in the certificate comes
	// from the remainder (Tables 13 and 14).
	if keyLen == 0 || keyLen > n {
		return f, fail(m, c.keyLength, ErrLength, "key length %d, signer's modulus %d", keyLen, n)
	}
	if keyLen > len(keyField) {
		want := keyLen - len(keyField)
		if len(remainder) == 0 {
			return f, fail(m, c.remainder, ErrMissingData, "%d bytes needed", want)
		}
		if len(remainder) != want {
			return f, fail(m, c.remainder, ErrLength, "remainder is %d bytes, want %d", len(remainder), want)
		}
	}
	// Steps 6 and 7: SHA-1 over format .. key field, remainder (if
	// present), exponent, and the static data for an ICC certificate.
	if !signedHashMatches(rec, remainder, exponent, extra) {
		return f, fail(m, c.hash, ErrHashMismatch, "")
	}
	// Step 8.
	if err := matchID(f.id); err != nil {
		return f, fail(m, c.id, ErrPANMismatch, "%v", err)
	}
	// Step 9.
	if err := checkExpiry(f.expiry, date); err != nil {
		if err == ErrExpired {
			return f, fail(m, c.expiry, ErrExpired, "certificate expired end of %02X/%02X", f.expiry[0], f.expiry[1])
		}
		return f, fail(m, c.expiry, ErrFormat, "expiration date %X: %v", f.expiry, err)
	}
	// Step 10.
	if revoked != nil && revoked(f.serial) {
		return f, fail(m, CheckIssuerCertRevoked, ErrRevoked, "serial number %X", f.serial)
	}
	// Step 11.
	if f.keyAlg != KeyRSA {
		return f, fail(m, c.keyAlg, ErrUnsupportedAlgorithm, "public key algorithm indicator %02X", f.keyAlg)
	}
	// The signed exponent length must describe the exponent the card gave.
	if expLen != len(exponent) {
		return f, fail(m, c.keyLength, ErrLength, "exponent length %d, exponent is %d bytes", expLen, len(exponent))
	}
	// Join the key's leftmost digits and the remainder; the key gets its
	// own copy of modulus and exponent, in one allocation or in st.
	if keyField[0] == 0 {
		return f, fail(m, c.keyLength, ErrFormat, "modulus has a leading zero byte")
	}
	buf := keyBuf
	if cap(buf) < keyLen+len(exponent) {
		buf = make([]byte, 0, keyLen+len(exponent))
	}
	if keyLen <= len(keyField) {
		buf = append(buf, keyField[:keyLen]...)
	} else {
		buf = append(append(buf, keyField...), remainder...)
	}
	buf = append(buf, exponent...)
	f.modulus, f.exponent = buf[:keyLen:keyLen], buf[keyLen:]
	return f, nil
}

// checkExpiry checks a Certificate Expiration Date (MMYY, BCD): the
// certificate is valid through the last day of that month (Book 2 §5.3
// step 9). YY 00-49 is 20YY, 50-99 is 19YY.
func checkExpiry(mmyy []byte, date time.Time) error {
	mm, ok1 := bcd(mmyy[0])
	yy, ok2 := bcd(mmyy[1])
	if !ok1 || !ok2 || mm < 1 || mm > 12 {
		return fmt.Errorf("not a valid MMYY date")
	}
	year := 2000 + yy
	if yy >= 50 {
		year = 1900 + yy
	}
	if y, m := date.Year(), int(date.Month()); y > year || y == year && m > mm {
		return ErrExpired
	}
	return nil
}

func bcd(b byte) (int, bool) {
	hi, lo := b>>4, b&0x0F
	return int(hi)*10 + int(lo), hi <= 9 && lo <= 9
}

// matchIssuerIdentifier checks Book 2 §5.3 step 8: the Issuer Identifier
// (the leftmost 3 to 8 PAN digits, padded on the right with F) matches the
// leftmost digits of the Application PAN. The ECC issuer certificate's
// identifier (Book 2 §12.3, Table 35) is 5 bytes, 3 to 10 digits: the rule
// is the same over the identifier's length.
func matchIssuerIdentifier(pan []byte) func(id []byte) error {
	return func(id []byte) error {
		digits, most := 0, 2*len(id)
		for i := 0; i < most; i++ {
			d := nibble(id, i)
			if d == 0xF {
				for j := i + 1; j < most; j++ {
					if nibble(id, j) != 0xF {
						return fmt.Errorf("issuer identifier has a digit after its F padding")
					}
				}
				break
			}
			if d > 9 {
				return fmt.Errorf("issuer identifier is not BCD")
			}
			if i >= 2*len(pan) || nibble(pan, i) != d {
				return fmt.Errorf("issuer identifier differs from the leftmost PAN digits")
			}
			digits++
		}
		if digits < 3 {
			return fmt.Errorf("issuer identifier has %d digits, want 3 to %d", digits, most)
		}
		return nil
	}
}

// matchPAN checks Book 2 §6.4 step 8: the PAN in the ICC certificate equals
// the Application PAN (5A), both padded on the right with F to 10 bytes.
func matchPAN(pan []byte) func(id []byte) error {
	return func(id []byte) error {
		if len(pan) == 0 {
			return fmt.Errorf("no application PAN")
		}
		if len(pan) > 10 {
			return fmt.Errorf("application PAN is %d bytes, longer than 10", len(pan))
		}
		for i := range id {
			want := byte(0xFF)
			if i < len(pan) {
				want = pan[i]
			}
			if id[i] != want {
				return fmt.Errorf("certificate PAN differs from the application PAN")
			}
		}
		return nil
	}
}

func nibble(b []byte, i int) byte {
	if i/2 >= len(b) {
		return 0xF
	}
	if i%2 == 0 {
		return b[i/2] >> 4
	}
	return b[i/2] & 0x0F
}

// recoveryChecks names the checks of steps 2-4 for one kind of signed block.
type recoveryChecks struct{ trailer, header, format Check }

// recoverSigned runs steps 2-4 common to every signed block of Book 2
// (certificates §5.3 / §6.3 / §6.4, SSAD §5.4, SDAD §6.5.2 / §6.6.2):
// recover sig with the signer's key, then check trailer BC, header 6A and
// the format byte. The caller has checked step 1, len(sig) == k.size.
// The recovered block is in out when it has room, else in a new slice.
func recoverSigned(m Method, k *rsaKey, sig []byte, format byte, c recoveryChecks, out []byte) ([]byte, error) {
	n := k.size
	rec := k.recoverTo(sig, out)
	if rec[n-1] != recoveredTrailer {
		return nil, fail(m, c.trailer, ErrFormat, "trailer %02X, want BC", rec[n-1])
	}
	if rec[0] != recoveredHeader {
		return nil, fail(m, c.header, ErrFormat, "header %02X, want 6A", rec[0])
	}
	if rec[1] != format {
		return nil, fail(m, c.format, ErrFormat, "format %02X, want %02X", rec[1], format)
	}
	return rec, nil
}

// signedHashMatches reports whether the hash a recovered block carries
// (the 20 bytes before the trailer) equals SHA-1 over the block from its
// format byte to the end of the field before the hash, followed by data:
// Book 2 §5.3 / §6.3 / §6.4 steps 5-7, §5.4 steps 5-7, §6.5.2 steps 5-7.
func signedHashMatches(rec []byte, data ...[]byte) bool {
	n := len(rec)
	hs := getHash()
	hs.h.Write(rec[1 : n-hashLen-1])
	for _, d := range data {
		hs.h.Write(d)
	}
	return hs.matches(rec[n-hashLen-1 : n-1])
}

// recover applies the RSA public operation to sig (Book 2 Annex A2.1, the
// recovery function) and returns the result as size bytes. sig must be
// size bytes long. One modular exponentiation, no other big work.
func (k *rsaKey) recover(sig []byte) []byte { return k.recoverTo(sig, nil) }

// recoverTo is recover with the result in out when out has room for
// size bytes, else in a new slice.
func (k *rsaKey) recoverTo(sig, out []byte) []byte {
	t := getBigTemps()
	t.x.SetBytes(sig)
	t.exp(k.e, k.n)
	if cap(out) < k.size {
		out = make([]byte, k.size)
	}
	out = fillBytes(&t.z, out[:k.size])
	// Certificates and signatures are public: nothing to wipe.
	bigTempsPool.Put(t)
	return out
}

// fillBytes is big.Int.FillBytes for a non-negative x that fits buf,
// eight bytes at a time where the words are 64 bits rather than a byte
// at a time: buf holds x big-endian, zero-padded on the left.
func fillBytes(x *big.Int, buf []byte) []byte {
	clear(buf)
	i := len(buf)
	for _, w := range x.Bits() {
		if bits.UintSize == 64 && i >= 8 {
			binary.BigEndian.PutUint64(buf[i-8:i], uint64(w))
			i -= 8
			continue
		}
		for range bits.UintSize / 8 {
			if i == 0 {
				if w != 0 {
					panic("oda: fillBytes: buffer too small")
				}
				break
			}
			i--
			buf[i] = byte(w)
			w >>= 8
		}
	}
	return buf
}

// bigTemps are the operand, the result and the scratch of one RSA public
// operation, reused from one operation to the next (a transaction makes
// five) so that their words are allocated once.
//
// plain is room for the plaintext of a PIN encipherment (EncipherPIN),
// wiped with the rest by putBigTemps.
type bigTemps struct {
	x, z, base, prod, quo big.Int
	plain                 [MaxCAModulusLen]byte
}

var bigTempsPool = sync.Pool{New: func() any { return new(bigTemps) }}

func getBigTemps() *bigTemps { return bigTempsPool.Get().(*bigTemps) }

// putBigTemps wipes t, which may have held a PIN block, and gives it back.
func putBigTemps(t *bigTemps) {
	for _, v := range [...]*big.Int{&t.x, &t.z, &t.base, &t.prod, &t.quo} {
		w := v.Bits()
		clear(w[:cap(w)])
		v.SetInt64(0)
	}
	clear(t.plain[:])
	bigTempsPool.Put(t)
}

// exp sets t.z to t.x^e mod n, the RSA public operation. For an exponent
// of one word (Book 2 allows only 3 and 2^16+1) it squares and multiplies
// in t's own words, reducing after each product: big.Int.Exp computes the
// same with temporaries it allocates at each call, and for 3 it reduces
// once, after the cube. Another exponent, or a modulus that is not
// positive (no key of Book 2 has one), goes to big.Int.Exp.
func (t *bigTemps) exp(e, n *big.Int) {
	if e.Sign() <= 0 || !e.IsUint64() || n.Sign() <= 0 {
		t.z.Exp(&t.x, e, n)
		return
	}
	y := e.Uint64()
	// The base is x itself when it is below n, as a signature of Book 2
	// is (else x mod n); the first square reads it, so that neither is
	// copied into t.z first.
	base := &t.x
	if t.x.Cmp(n) >= 0 {
		t.quo.QuoRem(&t.x, n, &t.base)
		base = &t.base
	}
	z := base
	for i := bits.Len64(y) - 2; i >= 0; i-- {
		t.prod.Mul(z, z)
		t.quo.QuoRem(&t.prod, n, &t.z)
		z = &t.z
		if y>>uint(i)&1 == 1 {
			t.prod.Mul(z, base)
			t.quo.QuoRem(&t.prod, n, &t.z)
		}
	}
	if z != &t.z { // y is 1
		t.z.Set(z)
	}
}

// hashState is a SHA-1 state with room for its result, recycled through
// hashers so that hashing allocates nothing in steady state.
type hashState struct {
	h   hash.Hash
	sum [hashLen]byte
}

var hashers = sync.Pool{New: func() any { return &hashState{h: sha1.New()} }}

func getHash() *hashState {
	s := hashers.Get().(*hashState)
	s.h.Reset()
	return s
}

// matches finishes the hash and reports whether it equals want; the state
// goes back to the pool.
func (s *hashState) matches(want []byte) bool {
	ok := bytes.Equal(s.h.Sum(s.sum[:0]), want)
	hashers.Put(s)
	return ok
}
