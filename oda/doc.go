// Package oda implements offline data authentication of EMV 4.4 Book 2:
// CA public keys, the recovery of Issuer and ICC public keys, SDA, DDA,
// CDA, the contactless fDDA variant, and offline PIN encipherment.
package oda
