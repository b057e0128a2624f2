package oda

import (
	"crypto/sha1"
	"encoding/json"
	"math/big"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testKey is an RSA key pair from testdata/testkeys.json (generated at
// random for these tests only) that can sign, i.e. apply the private
// exponent as a card or certification authority would.
type testKey struct {
	name     string
	n, d     *big.Int
	modulus  []byte
	exponent []byte
}

func (k *testKey) size() int { return len(k.modulus) }

// sign applies the private key: the inverse of the recovery function.
func (k *testKey) sign(plain []byte) []byte {
	if len(plain) != k.size() {
		panic("sign: wrong length")
	}
	x := new(big.Int).SetBytes(plain)
	return x.Exp(x, k.d, k.n).FillBytes(make([]byte, k.size()))
}

func (k *testKey) public() PublicKey { return PublicKey{Modulus: k.modulus, Exponent: k.exponent} }

var (
	testKeysOnce sync.Once
	testKeysMap  map[string]*testKey
)

func loadTestKey(t testing.TB, name string) *testKey {
	testKeysOnce.Do(func() {
		raw, err := os.ReadFile("testdata/testkeys.json")
		if err != nil {
			panic(err)
		}
		var f struct {
			Keys []struct {
				Name     string `json:"name"`
				Modulus  string `json:"modulus"`
				Exponent string `json:"exponent"`
				Private  string `json:"private_exponent"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			panic(err)
		}
		testKeysMap = make(map[string]*testKey)
		for _, k := range f.Keys {
			tk := &testKey{name: k.Name, modulus: h(k.Modulus), exponent: h(k.Exponent)}
			tk.n = new(big.Int).SetBytes(tk.modulus)
			tk.d = new(big.Int).SetBytes(h(k.Private))
			testKeysMap[k.Name] = tk
		}
	})
	k, ok := testKeysMap[name]
	require.True(t, ok, name)
	return k
}

// certTemplate is the plaintext of an Issuer (format 02) or ICC (format 04)
// public key certificate, Book 2 Tables 13 and 14, with every field
// settable so a test can break exactly one.
type certTemplate struct {
	header, format, trailer byte
	id                      []byte // issuer identifier (4) or PAN (10)
	expiry                  []byte // MMYY
	serial                  []byte
	hashAlg, keyAlg         byte
	keyLen, expLen          int // as signed; -1 means from the key
	key                     *testKey
	exponent                []byte // signed into the hash; nil means the key's
	extra                   []byte // static data in the hash (ICC certificates)
	breakHash               bool   // flip a bit of the hash after computing it
	remainderOverride       []byte // remainder handed to the card instead of the right one
}

func newIssuerTemplate(issuer *testKey) certTemplate {
	return certTemplate{header: 0x6A, format: 0x02, trailer: 0xBC, id: h("541333FF"), expiry: h("1230"),
		serial: h("000001"), hashAlg: 1, keyAlg: 1, keyLen: -1, expLen: -1, key: issuer}
}

func newICCTemplate(icc *testKey, pan []byte, static []byte) certTemplate {
	id := make([]byte, 10)
	for i := range id {
		id[i] = 0xFF
	}
	copy(id, pan)
	return certTemplate{header: 0x6A, format: 0x04, trailer: 0xBC, id: id, expiry: h("1230"),
		serial: h("123456"), hashAlg: 1, keyAlg: 1, keyLen: -1, expLen: -1, key: icc, extra: static}
}

// build returns the certificate (signed by signer) and the remainder the
// card would hold.
func (c certTemplate) build(signer *testKey) (cert, remainder []byte) {
	n := signer.size()
	exp := c.exponent
	if exp == nil {
		exp = c.key.exponent
	}
	keyLen, expLen := c.keyLen, c.expLen
	if keyLen < 0 {
		keyLen = c.key.size()
	}
	if expLen < 0 {
		expLen = len(c.key.exponent)
	}
	plain := []byte{c.header, c.format}
	plain = append(plain, c.id...)
	plain = append(plain, c.expiry...)
	plain = append(plain, c.serial...)
	plain = append(plain, c.hashAlg, c.keyAlg, byte(keyLen), byte(expLen))
	field := n - len(plain) - hashLen - 1
	mod := c.key.modulus
	if len(mod) > field {
		plain = append(plain, mod[:field]...)
		remainder = mod[field:]
	} else {
		plain = append(plain, mod...)
		for len(plain) < n-hashLen-1 {
			plain = append(plain, 0xBB)
		}
	}
	if c.remainderOverride != nil {
		remainder = c.remainderOverride
	}
	hs := sha1.New()
	hs.Write(plain[1:])
	hs.Write(remainder)
	hs.Write(exp)
	hs.Write(c.extra)
	sum := hs.Sum(nil)
	if c.breakHash {
		sum[7] ^= 0x01
	}
	plain = append(plain, sum...)
	plain = append(plain, c.trailer)
	return signer.sign(plain), remainder
}

// sdadTemplate is the plaintext of Signed Static or Dynamic Application
// Data (Book 2 Tables 7 and 17).
type sdadTemplate struct {
	header, format, hashAlg, trailer byte
	lddOverride                      int // -1: len(dynamic)
	dynamic                          []byte
	terminal                         [][]byte // terminal data in the hash
	breakHash                        bool
}

func (s sdadTemplate) build(signer *testKey) []byte {
	n := signer.size()
	plain := []byte{s.header, s.format, s.hashAlg}
	if s.format != 0x03 {
		ldd := s.lddOverride
		if ldd < 0 {
			ldd = len(s.dynamic)
		}
		plain = append(plain, byte(ldd))
	}
	plain = append(plain, s.dynamic...)
	for len(plain) < n-hashLen-1 {
		plain = append(plain, 0xBB)
	}
	hs := sha1.New()
	hs.Write(plain[1:])
	for _, t := range s.terminal {
		hs.Write(t)
	}
	sum := hs.Sum(nil)
	if s.breakHash {
		sum[0] ^= 0x80
	}
	plain = append(plain, sum...)
	plain = append(plain, s.trailer)
	return signer.sign(plain)
}

// chain is a complete test card: a CA key in a store, an issuer key
// certified by it and an ICC key certified by the issuer key.
type chain struct {
	ca, issuer, icc *testKey
	store           *KeyStore
	caKey           *CAKey
	card            CardData
	static          []byte
	date            time.Time
	issuerTmpl      certTemplate
	iccTmpl         certTemplate
}

var testRID = h("A000000999")

const testIndex = 0xE1

func newChain(t testing.TB, ca, issuer, icc string) *chain {
	c := &chain{ca: loadTestKey(t, ca), issuer: loadTestKey(t, issuer), icc: loadTestKey(t, icc)}
	k := CAKey{RID: [5]byte(testRID), Index: testIndex, Modulus: c.ca.modulus, Exponent: c.ca.exponent,
		Expiry: time.Date(2031, 12, 31, 0, 0, 0, 0, time.UTC)}
	sum := k.ComputeCheckSum()
	k.CheckSum = sum[:]
	c.store = NewKeyStore()
	require.NoError(t, c.store.Add(k))
	c.caKey, _ = c.store.Key(testRID, testIndex)
	pan := h("5413330089020011")
	c.static = h("5F24032512315A0854133300890200115F3401019F0702FF00" + "3900")
	c.date = time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC)
	c.card = CardData{AID: h("A0000009991010"), CAKeyIndex: []byte{testIndex}, PAN: pan,
		IssuerExponent: c.issuer.exponent, ICCExponent: c.icc.exponent}
	c.issuerTmpl = newIssuerTemplate(c.issuer)
	c.iccTmpl = newICCTemplate(c.icc, pan, c.static)
	c.sign()
	return c
}

// sign (re)builds the certificates from the templates.
func (c *chain) sign() {
	c.card.IssuerCertificate, c.card.IssuerRemainder = c.issuerTmpl.build(c.ca)
	c.card.ICCCertificate, c.card.ICCRemainder = c.iccTmpl.build(c.issuer)
}

func (c *chain) verifier() *Verifier { return &Verifier{Keys: c.store, Date: c.date} }
