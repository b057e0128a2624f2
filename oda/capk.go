package oda

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"time"
)

// Limits on a CA public key, Book 2 §5.1 and §6.1 (N_CA at most 248 bytes).
// The lower bound keeps room for the fixed fields of an issuer certificate
// (36 bytes) and for the smallest keys still found in test tables (512 bits).
const (
	MaxCAModulusLen = 248
	MinCAModulusLen = 64
)

// Algorithm indicators of Book 2 Annex B: B2 (RSA) and B3 (SHA-1).
const (
	HashSHA1 byte = 0x01 // Hash Algorithm Indicator for SHA-1
	KeyRSA   byte = 0x01 // Public Key Algorithm Indicator for RSA
)

// CAKey is a Certification Authority public key as a terminal stores it
// (Book 2 §11.2.2, Tables 30 and 31): identified by the RID and the CA
// Public Key Index (tag 8F on the card, 9F22 in the terminal). It is an RSA
// key (Modulus and Exponent) or, for XDA, an ECC key (Suite and X, Book 2
// §12.2); the store holds both kinds side by side.
type CAKey struct {
	RID      [5]byte
	Index    byte
	Modulus  []byte // RSA: big-endian, N_CA bytes, no leading zero
	Exponent []byte // RSA: 03 or 010001
	// Suite is the Algorithm Suite Indicator of an ECC key (Book 2 Annex
	// B2.4.1, Table 48); zero for an RSA key.
	Suite Suite
	// X is an ECC key's x coordinate, N_FIELD bytes; y is the lower root
	// (Book 2 Annex B2.2.1).
	X []byte
	// Expiry is the last day the key may be used; the zero value means the
	// key table gives no date. A key is refused for transactions dated
	// after it.
	Expiry time.Time
	// HashAlgorithm and KeyAlgorithm are the indicators of the key table;
	// zero means 01 (SHA-1, RSA), the only ones defined for RSA keys.
	HashAlgorithm byte
	KeyAlgorithm  byte
	// CheckSum is the key's check value: SHA-1 over RID, Index, Modulus and
	// Exponent (Book 2 §11.2.2, Table 31), for an ECC key SHA-1 over RID,
	// Index and X. [KeyStore.Add] refuses a key whose check value does not
	// match.
	CheckSum []byte

	rsa rsaKey
	ec  *ECPublicKey
}

// ComputeCheckSum returns SHA-1(RID || Index || Modulus || Exponent), the
// value CheckSum must hold (Book 2 §11.2.2), and for an ECC key
// SHA-1(RID || Index || X). Book 3 Annex A defines the check value over
// "all parts" of an RSA key; for an ECC key the parts are the RID, the
// index and x, hashed the same way (our reading: the key tables we know
// publish no ECC key with its check value).
func (k *CAKey) ComputeCheckSum() [sha1.Size]byte {
	h := sha1.New()
	h.Write(k.RID[:])
	h.Write([]byte{k.Index})
	h.Write(k.Modulus)
	h.Write(k.Exponent)
	h.Write(k.X)
	var sum [sha1.Size]byte
	h.Sum(sum[:0])
	return sum
}

// String names the key: "A000000003/94 (1984 bits)", or for an ECC key
// "A000000003/94 (P-256/SHA-256)".
func (k *CAKey) String() string {
	if k.Suite != 0 {
		return fmt.Sprintf("%X/%02X (%v)", k.RID[:], k.Index, k.Suite)
	}
	return fmt.Sprintf("%X/%02X (%d bits)", k.RID[:], k.Index, 8*len(k.Modulus))
}

// Validate checks the key as [KeyStore.Add] does: the check value
// matching, modulus and exponent within Book 2's limits, and algorithm
// indicators known. The error is a [*KeyError].
func (k *CAKey) Validate() error {
	keyErr := func(err error, format string, args ...any) error {
		return &KeyError{RID: k.RID, Index: k.Index, Err: &detailError{sentinel: err, detail: fmt.Sprintf(format, args...)}}
	}
	// The check value first: a transcription error anywhere in the key
	// data shows as a check value mismatch, the clearest report.
	if len(k.CheckSum) == 0 {
		return keyErr(ErrCheckValue, "no check value")
	}
	sum := k.ComputeCheckSum()
	if !bytes.Equal(sum[:], k.CheckSum) {
		return keyErr(ErrCheckValue, "computed %X, listed %X", sum[:], k.CheckSum)
	}
	if k.Suite != 0 || len(k.X) != 0 {
		return k.validateECC(keyErr)
	}
	if n := len(k.Modulus); n < MinCAModulusLen || n > MaxCAModulusLen {
		return keyErr(ErrLength, "modulus is %d bytes, want %d to %d", n, MinCAModulusLen, MaxCAModulusLen)
	}
	if k.Modulus[0] == 0 {
		return keyErr(ErrFormat, "modulus has a leading zero byte")
	}
	if k.Modulus[len(k.Modulus)-1]&1 == 0 {
		return keyErr(ErrFormat, "modulus is even")
	}
	if !validExponent(k.Exponent) {
		return keyErr(ErrFormat, "exponent %X is not 03 or 010001", k.Exponent)
	}
	if a := k.HashAlgorithm; a != 0 && a != HashSHA1 {
		return keyErr(ErrUnsupportedAlgorithm, "hash algorithm indicator %02X", a)
	}
	if a := k.KeyAlgorithm; a != 0 && a != KeyRSA {
		return keyErr(ErrUnsupportedAlgorithm, "public key algorithm indicator %02X", a)
	}
	return nil
}

// validateECC checks an ECC CA key: a suite this package verifies, no
// RSA parts, x of N_FIELD bytes and a point of the curve by the lower-root
// rule, indicators absent or those of the suite.
func (k *CAKey) validateECC(keyErr func(err error, format string, args ...any) error) error {
	if !k.Suite.Known() {
		return keyErr(ErrUnsupportedAlgorithm, "algorithm suite %02X", byte(k.Suite))
	}
	if len(k.Modulus) != 0 || len(k.Exponent) != 0 {
		return keyErr(ErrFormat, "an ECC key has no modulus or exponent")
	}
	if _, err := NewECPublicKey(k.Suite, k.X); err != nil {
		return keyErr(err, "x coordinate")
	}
	if a := k.HashAlgorithm; a != 0 && a != k.Suite.HashAlgorithm() {
		return keyErr(ErrUnsupportedAlgorithm, "hash algorithm indicator %02X for suite %02X", a, byte(k.Suite))
	}
	if a := k.KeyAlgorithm; a != 0 && a != byte(k.Suite) {
		return keyErr(ErrUnsupportedAlgorithm, "public key algorithm indicator %02X for suite %02X", a, byte(k.Suite))
	}
	return nil
}

// validExponent reports whether e is 03 or 010001: 3 or 2^16+1, the two
// exponents Book 2 allows (§5.1, §6.1), in their minimal encodings.
func validExponent(e []byte) bool {
	switch len(e) {
	case 1:
		return e[0] == 3
	case 3:
		return e[0] == 1 && e[1] == 0 && e[2] == 1
	}
	return false
}

// KeyError reports a CA public key refused by [CAKey.Validate],
// [KeyStore.Add] or [LoadKeyStore].
type KeyError struct {
	RID   [5]byte
	Index byte
	Err   error // wraps ErrCheckValue, ErrLength, ErrFormat, ErrUnsupportedAlgorithm or ErrDuplicateKey
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("oda: CA public key %X/%02X: %v", e.RID[:], e.Index, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// ErrDuplicateKey: a key with the same RID and index is already in the store.
var ErrDuplicateKey = errors.New("duplicate RID and index")

type keyID struct {
	rid   [5]byte
	index byte
}

// Revocation is an issuer certificate on a [KeyStore]'s revocation list
// (Book 2 §5.3 step 10, §6.3 step 10): the RID and CA Public Key Index it
// was signed under and its Certificate Serial Number.
type Revocation struct {
	RID    [5]byte
	Index  byte
	Serial [3]byte
}

// KeyStore holds the terminal's CA public keys, keyed by RID and index, and
// its certification revocation list (Book 2 §5.3 step 10, §6.3 step 10).
// It is safe for concurrent reads once filled.
type KeyStore struct {
	keys    map[keyID]*CAKey
	revoked map[Revocation]struct{}
}

// NewKeyStore returns an empty store.
func NewKeyStore() *KeyStore {
	return &KeyStore{keys: make(map[keyID]*CAKey), revoked: make(map[Revocation]struct{})}
}

// Add validates k (see [CAKey.Validate]) and stores a copy of it. A second
// key for the same RID and index is refused with [ErrDuplicateKey].
func (s *KeyStore) Add(k CAKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	id := keyID{k.RID, k.Index}
	if _, ok := s.keys[id]; ok {
		return &KeyError{RID: k.RID, Index: k.Index, Err: ErrDuplicateKey}
	}
	k.Modulus = bytes.Clone(k.Modulus)
	k.Exponent = bytes.Clone(k.Exponent)
	k.CheckSum = bytes.Clone(k.CheckSum)
	if k.Suite != 0 {
		k.X = bytes.Clone(k.X)
		k.HashAlgorithm = k.Suite.HashAlgorithm()
		k.KeyAlgorithm = byte(k.Suite)
		k.ec, _ = NewECPublicKey(k.Suite, k.X) // Validate built it once already
		s.keys[id] = &k
		return nil
	}
	if k.HashAlgorithm == 0 {
		k.HashAlgorithm = HashSHA1
	}
	if k.KeyAlgorithm == 0 {
		k.KeyAlgorithm = KeyRSA
	}
	k.rsa = newRSAKey(k.Modulus, k.Exponent)
	s.keys[id] = &k
	return nil
}

// Key returns the key for a RID (the first five bytes of the AID) and a CA
// Public Key Index. rid may be a whole AID.
func (s *KeyStore) Key(rid []byte, index byte) (*CAKey, bool) {
	if s == nil || len(rid) < 5 {
		return nil, false
	}
	k, ok := s.keys[keyID{[5]byte(rid[:5]), index}]
	return k, ok
}

// Keys returns every key, ordered by RID and index. The keys are the
// store's own: read them, do not change them.
func (s *KeyStore) Keys() []*CAKey {
	out := make([]*CAKey, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := bytes.Compare(out[i].RID[:], out[j].RID[:]); c != 0 {
			return c < 0
		}
		return out[i].Index < out[j].Index
	})
	return out
}

// Revoke puts an issuer certificate on the revocation list: the RID and CA
// Public Key Index it was signed under and its Certificate Serial Number.
func (s *KeyStore) Revoke(rid [5]byte, index byte, serial [3]byte) {
	s.revoked[Revocation{rid, index, serial}] = struct{}{}
}

// Revoked reports whether the issuer certificate is on the revocation list.
func (s *KeyStore) Revoked(rid [5]byte, index byte, serial [3]byte) bool {
	if s == nil {
		return false
	}
	_, ok := s.revoked[Revocation{rid, index, serial}]
	return ok
}

// Revocations returns the revocation list, ordered by RID, index and
// serial number, so that a configuration written from the store (as
// [LoadKeyStore] reads it) is stable. A nil store has none.
func (s *KeyStore) Revocations() []Revocation {
	if s == nil {
		return nil
	}
	out := make([]Revocation, 0, len(s.revoked))
	for r := range s.revoked {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Revocation) int {
		if c := bytes.Compare(a.RID[:], b.RID[:]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Index, b.Index); c != 0 {
			return c
		}
		return bytes.Compare(a.Serial[:], b.Serial[:])
	})
	return out
}

// keyFile is the JSON form read by LoadKeyStore.
type keyFile struct {
	Description string           `json:"description,omitempty"`
	Keys        []keyJSON        `json:"keys"`
	Revocations []revocationJSON `json:"revocations"`
}

type keyJSON struct {
	RID           string `json:"rid"`
	Index         string `json:"index"`
	Modulus       string `json:"modulus,omitempty"`
	Exponent      string `json:"exponent,omitempty"`
	Suite         string `json:"suite,omitempty"`
	X             string `json:"x,omitempty"`
	CheckSum      string `json:"checksum"`
	Expiry        string `json:"expiry,omitempty"`
	HashAlgorithm string `json:"hash_algorithm,omitempty"`
	KeyAlgorithm  string `json:"key_algorithm,omitempty"`
	Kind          string `json:"kind,omitempty"`
	Scheme        string `json:"scheme,omitempty"`
	Note          string `json:"note,omitempty"`
	Source        string `json:"source,omitempty"`
}

type revocationJSON struct {
	RID    string `json:"rid"`
	Index  string `json:"index"`
	Serial string `json:"serial"`
	Source string `json:"source,omitempty"`
}

// LoadKeyStore reads CA public keys and revocations from JSON and returns a
// store holding them. Every key is validated as by [KeyStore.Add]; the
// first bad key stops loading with its [*KeyError]. Every other error is
// a [*KeyFileError] naming the JSON path of the value at fault. Unknown
// fields are errors. The format (hex in upper or lower case, no separators):
//
//	{
//	  "description": "informative text",
//	  "keys": [
//	    {
//	      "rid": "A000000003", "index": "94",
//	      "modulus": "ACD2...", "exponent": "03",
//	      "checksum": "C4A3C43CCF87327D136B804160E47D43B60E6E0F",
//	      "expiry": "2030-12-31",          // optional, YYYY-MM-DD
//	      "hash_algorithm": "01",          // optional, default 01
//	      "key_algorithm": "01",           // optional, default 01
//	      "scheme": "Visa", "kind": "test", "note": "...",
//	      "source": "where the values come from"  // informative only
//	    },
//	    {
//	      "rid": "A000000003", "index": "E1",  // an ECC key for XDA
//	      "suite": "10",                       // Algorithm Suite Indicator: 10 or 11
//	      "x": "09B5...",                      // x coordinate, N_FIELD bytes
//	      "checksum": "...",                   // SHA-1(RID || index || x)
//	      "expiry": "2030-12-31"               // optional, as for RSA
//	    }
//	  ],
//	  "revocations": [
//	    {"rid": "A000000003", "index": "94", "serial": "000001"}
//	  ]
//	}
func LoadKeyStore(r io.Reader) (*KeyStore, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, &KeyFileError{Path: te.Field, Err: fmt.Errorf("a JSON %s cannot be %s", te.Value, te.Type)}
		}
		return nil, &KeyFileError{Err: err}
	}
	s := NewKeyStore()
	for i, kj := range f.Keys {
		k, err := kj.key()
		if err != nil {
			path := fmt.Sprintf("keys[%d]", i)
			if fe := (*fieldError)(nil); errors.As(err, &fe) {
				path, err = path+"."+fe.name, fe.err
			}
			return nil, &KeyFileError{Path: path, Err: err}
		}
		if err := s.Add(k); err != nil {
			return nil, err // names the key by its RID and index
		}
	}
	for i, rj := range f.Revocations {
		var v [3][]byte
		for j, fl := range []struct {
			name, in string
			n        int
		}{{"rid", rj.RID, 5}, {"index", rj.Index, 1}, {"serial", rj.Serial, 3}} {
			b, err := hexFixed(fl.in, fl.n)
			if err != nil {
				return nil, &KeyFileError{Path: fmt.Sprintf("revocations[%d].%s", i, fl.name), Err: err}
			}
			v[j] = b
		}
		s.Revoke([5]byte(v[0]), v[1][0], [3]byte(v[2]))
	}
	return s, nil
}

// KeyFileError reports a CA key file [LoadKeyStore] cannot read: Path is
// the JSON path of the value at fault ("keys[2].modulus",
// "revocations[0].serial"; "keys.modulus" for a JSON type error, which
// encoding/json reports without the index), empty when the file is not
// JSON or has an unknown field.
type KeyFileError struct {
	Path string
	Err  error
}

func (e *KeyFileError) Error() string {
	msg := strings.TrimPrefix(strings.TrimPrefix(e.Err.Error(), "json: "), "oda: ")
	if e.Path == "" {
		return "oda: CA key file: " + msg
	}
	return "oda: CA key file: " + e.Path + ": " + msg
}

func (e *KeyFileError) Unwrap() error { return e.Err }

// fieldError names the field of a key entry that cannot be read.
type fieldError struct {
	name string
	err  error
}

func (e *fieldError) Error() string { return e.name + ": " + e.err.Error() }

func (kj keyJSON) key() (CAKey, error) {
	var k CAKey
	rid, err := hexFixed(kj.RID, 5)
	if err != nil {
		return k, &fieldError{"rid", err}
	}
	idx, err := hexFixed(kj.Index, 1)
	if err != nil {
		return k, &fieldError{"index", err}
	}
	k.RID, k.Index = [5]byte(rid), idx[0]
	fields := []struct {
		name string
		in   string
		out  *[]byte
	}{{"modulus", kj.Modulus, &k.Modulus}, {"exponent", kj.Exponent, &k.Exponent}, {"x", kj.X, &k.X}, {"checksum", kj.CheckSum, &k.CheckSum}}
	for _, f := range fields {
		if *f.out, err = hex.DecodeString(f.in); err != nil {
			return k, &fieldError{f.name, err}
		}
	}
	for _, a := range []struct {
		name string
		in   string
		out  *byte
	}{{"hash_algorithm", kj.HashAlgorithm, &k.HashAlgorithm}, {"key_algorithm", kj.KeyAlgorithm, &k.KeyAlgorithm}} {
		if a.in == "" {
			continue
		}
		b, err := hexFixed(a.in, 1)
		if err != nil {
			return k, &fieldError{a.name, err}
		}
		*a.out = b[0]
	}
	if kj.Suite != "" {
		b, err := hexFixed(kj.Suite, 1)
		if err != nil {
			return k, fmt.Errorf("suite: %w", err)
		}
		k.Suite = Suite(b[0])
	}
	if kj.Expiry != "" {
		if k.Expiry, err = time.Parse(time.DateOnly, kj.Expiry); err != nil {
			return k, &fieldError{"expiry", err}
		}
	}
	return k, nil
}

func hexFixed(s string, n int) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if len(b) != n {
		return nil, fmt.Errorf("%q is %d bytes, want %d", s, len(b), n)
	}
	return b, nil
}

// rsaKey is a public key prepared for the RSA public operation.
type rsaKey struct {
	n    *big.Int
	e    *big.Int
	size int    // modulus length in bytes
	src  []byte // the modulus bytes n was set from
}

// The two exponents of Book 2, shared (big.Int.Exp does not change its
// exponent argument).
var (
	bigThree = big.NewInt(3)
	bigF4    = big.NewInt(65537)
)

func newRSAKey(modulus, exponent []byte) rsaKey {
	return newRSAKeyIn(modulus, exponent, nil)
}

// newRSAKeyIn is newRSAKey with the modulus's big.Int and its words in
// st when st is not nil (the modulus fits: it is at most
// MaxCAModulusLen bytes), else allocated.
func newRSAKeyIn(modulus, exponent []byte, st *keyStorage) rsaKey {
	e := exponentInt(exponent)
	if st == nil || len(modulus) > MaxCAModulusLen {
		return rsaKey{n: new(big.Int).SetBytes(modulus), e: e, size: len(modulus), src: modulus}
	}
	// SetBytes takes the words it needs from the slice n holds when it
	// has the room: the empty slice of st.words has it.
	st.n.SetBits(st.words[:0])
	st.n.SetBytes(modulus)
	return rsaKey{n: &st.n, e: e, size: len(modulus), src: modulus}
}

// keyStorage is room for one key recovered from its certificate: the
// recovered certificate, the key's modulus and exponent, and the
// modulus as a big.Int with its words, so that recovering the key
// allocates nothing. Every key of Book 2 fits: a certificate is as long
// as its signer's modulus, and no modulus is longer than a CA's
// (N_IC <= N_I <= N_CA <= 248, Book 2 §5.1, §6.1).
type keyStorage struct {
	rec   [MaxCAModulusLen]byte
	key   [MaxCAModulusLen + 3]byte // modulus || exponent (03 or 010001)
	n     big.Int
	words [maxModulusWords]big.Word
}

// maxModulusWords is the number of big.Words in the longest modulus.
const maxModulusWords = (MaxCAModulusLen + bits.UintSize/8 - 1) / (bits.UintSize / 8)

// exponentInt returns the exponent as a big.Int, not to be changed: one
// of the two shared ones for 03 and 01 00 01.
func exponentInt(exponent []byte) *big.Int {
	switch {
	case len(exponent) == 1 && exponent[0] == 3:
		return bigThree
	case len(exponent) == 3 && exponent[0] == 1 && exponent[1] == 0 && exponent[2] == 1:
		return bigF4
	}
	return new(big.Int).SetBytes(exponent)
}
