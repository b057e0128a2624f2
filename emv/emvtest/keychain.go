package emvtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/emvkit/emvkit/oda"
)

// CAPublicKey is a Certification Authority Public Key as a terminal stores
// it (Book 2 §11.2.2, Table 32): the key a terminal's configuration must
// trust to authenticate the card's data.
type CAPublicKey struct {
	RID      [5]byte // Registered Application Provider Identifier
	Index    byte    // CA Public Key Index (8F)
	Modulus  []byte
	Exponent []byte // 03 or 01 00 01
	// Suite and X are set instead of Modulus and Exponent for the CA ECC
	// key of XDA cards (Book 2 §12.2): the Algorithm Suite Indicator and
	// the x coordinate.
	Suite oda.Suite
	X     []byte
	// Checksum is SHA-1(RID || Index || Modulus || Exponent) (Book 2
	// §11.2.2), for an ECC key SHA-1(RID || Index || X) as oda computes it.
	Checksum [20]byte
}

// CAKey returns the key as package oda's terminal key table holds it (no
// expiry date), ready for [oda.KeyStore.Add].
func (c CAPublicKey) CAKey() oda.CAKey {
	return oda.CAKey{
		RID:      c.RID,
		Index:    c.Index,
		Modulus:  append([]byte(nil), c.Modulus...),
		Exponent: append([]byte(nil), c.Exponent...),
		Suite:    c.Suite,
		X:        append([]byte(nil), c.X...),
		CheckSum: append([]byte(nil), c.Checksum[:]...),
	}
}

// KeyStore returns an oda key store holding the CA public keys of every
// application of the card, for tests that verify the card's data.
func (c *Card) KeyStore() *oda.KeyStore {
	s := oda.NewKeyStore()
	for _, k := range c.CAPublicKeys() {
		if err := s.Add(k.CAKey()); err != nil {
			panic(err) // the checksum is computed from the key itself
		}
	}
	return s
}

// KeyChain is a test CA, issuer and ICC RSA key chain for one RID. Keys are
// generated deterministically from the seed, so the same profile gives the
// same certificates on every run; they are cached per process.
type KeyChain struct {
	rid    [5]byte
	index  byte
	ca     *rsaKey
	issuer *rsaKey
	icc    *rsaKey
	seed   string
	keys   Keys
}

// pinKey returns the ICC PIN Encipherment key pair, generated on first use.
func (kc *KeyChain) pinKey() *rsaKey {
	return deterministicKey(kc.seed, "icc-pin", kc.keys.ICCBits, kc.keys.Exponent)
}

// KeyChainFor returns the key chain a profile's keys make for the RID of an
// application's AID.
func KeyChainFor(k Keys, rid [5]byte) *KeyChain {
	k = k.withDefaults()
	seed := fmt.Sprintf("%s/%X", k.Seed, rid[:])
	return &KeyChain{
		rid:    rid,
		index:  byte(k.CAIndex),
		ca:     deterministicKey(seed, fmt.Sprintf("ca-%02X", k.CAIndex), k.CABits, 3),
		issuer: deterministicKey(seed, "issuer", k.IssuerBits, k.Exponent),
		icc:    deterministicKey(seed, "icc", k.ICCBits, k.Exponent),
		seed:   seed,
		keys:   k,
	}
}

func (k Keys) withDefaults() Keys {
	if k.Seed == "" {
		k.Seed = "emvkit"
	}
	if k.CAIndex == 0 {
		k.CAIndex = 0xE1
	}
	if k.CABits == 0 {
		k.CABits = 1408
	}
	if k.IssuerBits == 0 {
		k.IssuerBits = 1152
	}
	if k.ICCBits == 0 {
		k.ICCBits = 1024
	}
	if k.Exponent == 0 {
		k.Exponent = 3
	}
	if k.ECCSuite == 0 {
		k.ECCSuite = int(oda.SuiteP256SHA256)
	}
	if k.ECCIssuerSuite == 0 {
		k.ECCIssuerSuite = k.ECCSuite
	}
	if k.ECCICCSuite == 0 {
		k.ECCICCSuite = k.ECCSuite
	}
	if k.ECCCAIndex == 0 {
		k.ECCCAIndex = 0xE5
	}
	return k
}

// CAPublicKey returns the chain's CA public key.
func (kc *KeyChain) CAPublicKey() CAPublicKey {
	c := CAPublicKey{RID: kc.rid, Index: kc.index, Modulus: kc.ca.modulus(), Exponent: kc.ca.exponent()}
	h := sha1.New()
	h.Write(c.RID[:])
	h.Write([]byte{c.Index})
	h.Write(c.Modulus)
	h.Write(c.Exponent)
	copy(c.Checksum[:], h.Sum(nil))
	return c
}

// signRecover formats and signs a Book 2 signature with message recovery:
// 6A || fields || SHA-1(fields || extra) || BC, signed with key (Book 2
// §5.1, Annex A2.1). fields must be exactly key size - 22 bytes. A non-nil
// corrupt flips one byte of the hash, so the signature verifies but the
// recovered hash does not match.
func signRecover(key *rsaKey, fields, extra []byte, corrupt bool) []byte {
	n := key.size()
	if len(fields) != n-22 {
		panic(fmt.Sprintf("emvtest: signature fields of %d bytes for a %d-byte key", len(fields), n))
	}
	h := sha1.New()
	h.Write(fields)
	h.Write(extra)
	sum := h.Sum(nil)
	if corrupt {
		sum[19] ^= 0x5A
	}
	block := make([]byte, 0, n)
	block = append(block, 0x6A)
	block = append(block, fields...)
	block = append(block, sum...)
	block = append(block, 0xBC)
	return key.private(block)
}

// issuerCertificate builds the Issuer Public Key Certificate (90) signed by
// the CA and the Issuer Public Key Remainder (92), Book 2 §5.3 Table 6.
// issuerID is 3 to 8 PAN digits, expiry MMYY.
func issuerCertificate(ca, issuer *rsaKey, issuerID, expiry string, serial []byte) (cert, remainder []byte) {
	nCA := ca.size()
	mod := issuer.modulus()
	fields := make([]byte, 0, nCA-22)
	fields = append(fields, 0x02)
	fields = append(fields, cnPad(issuerID, 4)...)
	fields = append(fields, mustHex(expiry)...)
	fields = append(fields, serial...)
	fields = append(fields, 0x01, 0x01, byte(len(mod)), byte(len(issuer.exponent())))
	fields, remainder = appendKeyField(fields, mod, nCA-36)
	extra := append(append([]byte{}, remainder...), issuer.exponent()...)
	return signRecover(ca, fields, extra, false), remainder
}

// iccCertificate builds the ICC Public Key Certificate (9F46) signed by the
// issuer over the static data to be authenticated, and the ICC Public Key
// Remainder (9F48), Book 2 §6.4 Table 14. The same layout serves the ICC PIN
// Encipherment Public Key Certificate (9F2D, Book 2 §7.1) with no static
// data.
func iccCertificate(issuer, icc *rsaKey, pan, expiry string, serial, static []byte) (cert, remainder []byte) {
	nI := issuer.size()
	mod := icc.modulus()
	fields := make([]byte, 0, nI-22)
	fields = append(fields, 0x04)
	fields = append(fields, cnPad(pan, 10)...)
	fields = append(fields, mustHex(expiry)...)
	fields = append(fields, serial...)
	fields = append(fields, 0x01, 0x01, byte(len(mod)), byte(len(icc.exponent())))
	fields, remainder = appendKeyField(fields, mod, nI-42)
	extra := make([]byte, 0, len(remainder)+3+len(static))
	extra = append(extra, remainder...)
	extra = append(extra, icc.exponent()...)
	extra = append(extra, static...)
	return signRecover(issuer, fields, extra, false), remainder
}

// signedStaticData builds the Signed Static Application Data (93) with the
// Data Authentication Code, Book 2 §5.4 Table 7.
func signedStaticData(issuer *rsaKey, dac, static []byte, corrupt bool) []byte {
	nI := issuer.size()
	fields := make([]byte, 0, nI-22)
	fields = append(fields, 0x03, 0x01)
	fields = append(fields, dac...)
	for len(fields) < nI-22 {
		fields = append(fields, 0xBB)
	}
	return signRecover(issuer, fields, static, corrupt)
}

// signedDynamicData builds Signed Dynamic Application Data (9F4B) over the
// ICC Dynamic Data and the terminal's data, Book 2 §6.5.2 Table 17 (DDA:
// the DDOL data; CDA: the Unpredictable Number, §6.6.1).
func signedDynamicData(icc *rsaKey, iccDynamic, terminal []byte, corrupt bool) []byte {
	return signedDynamicDataFormat(icc, 0x05, iccDynamic, terminal, corrupt)
}

// signedDynamicDataFormat is signedDynamicData with another Signed Data
// Format: 95 for the fDDA of Book C-3.
func signedDynamicDataFormat(icc *rsaKey, format byte, iccDynamic, terminal []byte, corrupt bool) []byte {
	n := icc.size()
	fields := make([]byte, 0, n-22)
	fields = append(fields, format, 0x01, byte(len(iccDynamic)))
	fields = append(fields, iccDynamic...)
	for len(fields) < n-22 {
		fields = append(fields, 0xBB)
	}
	return signRecover(icc, fields, terminal, corrupt)
}

// cnPad writes digits as compressed numeric of n bytes, padded with F.
func cnPad(digits string, n int) []byte {
	s := digits + strings.Repeat("F", 2*n)
	b, _ := hex.DecodeString(s[:2*n])
	return b
}

// BuiltinCAPublicKeys returns the CA public keys that sign the built-in
// profiles' cards (default key seed, index E1), one per RID they use, in
// RID order. testdata/cards/ca-keys.json holds the same keys in the format
// of oda.LoadKeyStore.
func BuiltinCAPublicKeys() []CAPublicKey {
	seen := map[[5]byte]bool{}
	var out []CAPublicKey
	for _, name := range BuiltinProfiles() {
		p := BuiltinProfile(name)
		for _, a := range p.Applications {
			var rid [5]byte
			copy(rid[:], a.AID)
			if seen[rid] {
				continue
			}
			seen[rid] = true
			out = append(out, KeyChainFor(p.Keys, rid).CAPublicKey())
		}
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].RID[:]) < string(out[j].RID[:]) })
	return out
}

// appendKeyField appends to fields the part of a public key modulus that a
// certificate has room for, padded with BB when the modulus is shorter, and
// returns the leftmost digits that did not fit as the remainder (Book 2
// §5.3 Table 6, §6.4 Table 14).
func appendKeyField(fields, mod []byte, room int) (out, remainder []byte) {
	if len(mod) > room {
		return append(fields, mod[:room]...), mod[room:]
	}
	fields = append(fields, mod...)
	for range room - len(mod) {
		fields = append(fields, 0xBB)
	}
	return fields, nil
}
