package oda

import (
	"hash"
	"sync"
)

// verifiedCerts remembers the ECC certificates whose EC-SDSA signature
// has verified (Book 2 §12.3, §12.4: the Issuer and ICC ECC Public Key
// Certificates, and the ICC ECC certificate for ODE). A terminal meets
// the same certificates again and again (every card of an issuer carries
// its Issuer certificate; a card's own come back at every tap, and its
// Issuer certificate a second time for the PIN key), and a P-521
// verification costs two scalar multiplications.
//
// An entry is the exact bytes of the verification's inputs: the signer's
// suite and point (its compressed encoding, kept by the key since it was
// built, so that a change to the exported X cannot alias another key),
// and the whole certificate (the signed fields and the signature after
// them). A hit is taken only for identical bytes, for which the
// verification, a pure function of them, would succeed again; a signature
// that fails is never remembered. Only the signature is remembered: every
// other check of a certificate (format, lengths, CA key, issuer
// identifier, expiry against the transaction's date, revocation, the
// certified key's point) is made at each use.
var verifiedCerts = certCache{max: certCacheEntries}

// certCacheEntries bounds verifiedCerts: a terminal's issuers and the
// cards of a day's taps fit; when it is full an entry is dropped for the
// new one.
const certCacheEntries = 512

// certCacheMaxKey: certificates longer than this (a P-521 ICC certificate
// under a P-521 issuer is 246 bytes) are verified without the cache.
const certCacheMaxKey = 512

// certCache is a bounded set of verified (signer, certificate) inputs,
// safe for concurrent use.
type certCache struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

// certKey appends the entry of cert verified by the point enc of suite
// to dst: the suite, the length of enc, enc, then the certificate.
func certKey(dst []byte, suite Suite, enc, cert []byte) []byte {
	dst = append(dst, byte(suite), byte(len(enc)))
	dst = append(dst, enc...)
	return append(dst, cert...)
}

// has reports whether key has been remembered.
func (c *certCache) has(key []byte) bool {
	c.mu.Lock()
	_, ok := c.seen[string(key)]
	c.mu.Unlock()
	return ok
}

// add remembers key, dropping an entry first when the cache is full.
func (c *certCache) add(key []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	if len(c.seen) >= c.max {
		for old := range c.seen {
			delete(c.seen, old)
			break
		}
	}
	c.seen[string(key)] = struct{}{}
}

// verifyCert verifies the EC-SDSA signature of a certificate under k: the
// signature is cert[signed:], over cert[:signed]. It is k.verify, the
// result of a signature that verified remembered by verifiedCerts.
func (k *ECPublicKey) verifyCert(cert []byte, signed int) error {
	write := func(h hash.Hash) { h.Write(cert[:signed]) }
	var enc []byte
	if k.pt != nil {
		enc = k.pt.compressed()
	}
	if len(enc) == 0 || len(enc) > 0xFF || len(enc)+len(cert) > certCacheMaxKey {
		return k.verify(cert[signed:], write)
	}
	var buf [2 + certCacheMaxKey]byte
	key := certKey(buf[:0], k.Suite, enc, cert)
	if verifiedCerts.has(key) {
		return nil
	}
	if err := k.verify(cert[signed:], write); err != nil {
		return err
	}
	verifiedCerts.add(key)
	return nil
}
