package oda

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cachedCert reports whether verifiedCerts holds cert as verified by k.
func cachedCert(k *ECPublicKey, cert []byte) bool {
	return verifiedCerts.has(certKey(nil, k.Suite, k.pt.compressed(), cert))
}

// Book 2 §12.3, §12.4: a certificate whose signature verified once is
// taken from the cache only for the same signer and the same bytes; a
// certificate changed in one bit, or presented under another CA key with
// the same RID and index, fails as it would the first time, and a failed
// signature is never remembered.
func TestVerifiedCertsExactInputs(t *testing.T) {
	for _, sc := range eccSuiteChains {
		t.Run(sc.name, func(t *testing.T) {
			c := newECCChain(t, sc.ca, sc.issuer, sc.icc)
			ca, err := c.verifier().ECCCAKey(&c.card)
			require.NoError(t, err)
			for range 2 {
				k, err := c.verifier().XDAKey(&c.card, c.iccd)
				require.NoError(t, err)
				assert.Equal(t, c.icc.x, k.X)
			}
			require.True(t, cachedCert(ca.ec, c.card.IssuerCertificate), "the verified issuer certificate is remembered")

			// The same certificate with one bit of its signature flipped.
			good := c.card.IssuerCertificate
			bad := bytes.Clone(good)
			bad[len(bad)-1] ^= 0x01
			c.card.IssuerCertificate = bad
			for range 2 {
				_, err := c.verifier().XDAKey(&c.card, c.iccd)
				requireODAError(t, err, XDA, CheckIssuerCertSignature, ErrSignature)
			}
			assert.False(t, cachedCert(ca.ec, bad), "a failed signature is not remembered")

			// The genuine certificate, but the store's CA key under that
			// RID and index is now another key: its signature fails.
			c.card.IssuerCertificate = good
			other := newECCChain(t, sc.ca, sc.issuer, sc.icc)
			other.ca = newECTestKey(sc.ca, "another CA "+sc.ca.String())
			k := CAKey{RID: [5]byte(testRID), Index: eccTestIndex, Suite: sc.ca, X: other.ca.x, Expiry: ca.Expiry}
			sum := k.ComputeCheckSum()
			k.CheckSum = sum[:]
			store := NewKeyStore()
			require.NoError(t, store.Add(k))
			v := c.verifier()
			v.Keys = store
			_, err = v.XDAKey(&c.card, c.iccd)
			requireODAError(t, err, XDA, CheckIssuerCertSignature, ErrSignature)
		})
	}
}

// The checks that are not the signature are made at every use: a
// remembered certificate still expires, and is still refused for another
// PAN or once revoked.
func TestVerifiedCertsOtherChecksStay(t *testing.T) {
	c := newECCChain(t, SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256)
	_, err := c.verifier().XDAKey(&c.card, c.iccd)
	require.NoError(t, err)

	v := c.verifier()
	v.Date = v.Date.AddDate(6, 0, 0) // past the certificates' 2030-12-31
	_, err = v.XDAKey(&c.card, c.iccd)
	requireODAError(t, err, XDA, CheckIssuerCertExpiry, ErrExpired)

	card := c.card
	card.PAN = h("5413340089020011")
	_, err = c.verifier().XDAKey(&card, c.iccd)
	requireODAError(t, err, XDA, CheckIssuerIdentifier, ErrPANMismatch)

	_, err = c.verifier().XDAKey(&c.card, append(bytes.Clone(c.iccd), 0))
	requireODAError(t, err, XDA, CheckICCCertHash, ErrHashMismatch)

	c.store.Revoke([5]byte(testRID), eccTestIndex, [3]byte{0, 0, 1})
	_, err = c.verifier().XDAKey(&c.card, c.iccd)
	requireODAError(t, err, XDA, CheckIssuerCertRevoked, ErrRevoked)
}

// A key built from a whole point (not by the lower-root rule) has no
// compressed name: its verifications are never remembered.
func TestVerifiedCertsOnlyNamedKeys(t *testing.T) {
	c := newECCChain(t, SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256)
	pub := c.ca.public(t)
	x, y := baseMult(SuiteP256SHA256, c.ca.d.FillBytes(make([]byte, 32)))
	whole := keyWithY(t, SuiteP256SHA256, x, y)
	require.Nil(t, whole.pt.compressed())
	cert := c.card.IssuerCertificate
	keyEnd := eccIssuerFixed + SuiteP256SHA256.FieldLen()
	require.NoError(t, whole.verifyCert(cert, keyEnd))
	require.NoError(t, pub.verifyCert(cert, keyEnd))
	assert.True(t, cachedCert(pub, cert))
}

// The cache holds at most certCacheEntries entries, and is safe for
// concurrent use (run with -race).
func TestVerifiedCertsBounded(t *testing.T) {
	c := certCache{max: 8}
	for i := range 100 {
		c.add(fmt.Appendf(nil, "entry %d", i))
		require.LessOrEqual(t, len(c.seen), 8)
	}
	assert.True(t, c.has([]byte("entry 99")), "the newest entry is kept")

	chain := newECCChain(t, SuiteP256SHA256, SuiteP256SHA256, SuiteP256SHA256)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			for range 4 {
				if _, err := chain.verifier().XDAKey(&chain.card, chain.iccd); err != nil {
					errs[i] = err
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
}
