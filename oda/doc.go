// Package oda implements offline data authentication of EMV 4.4 Book 2:
// the terminal's CA public keys, the recovery of Issuer and ICC public
// keys from their certificates, Static Data Authentication (SDA), Dynamic
// Data Authentication (DDA), Combined DDA/Application Cryptogram
// Generation (CDA), the fDDA variant of the contactless kernels,
// Extended Data Authentication with elliptic curves (XDA, Book 2 §12), and
// the public key side of offline PIN encipherment, RSA (§7) and ECC (§13).
//
// It owns the cryptographic checks, not the flow: the kernel (package emv)
// reads the card, decides which method applies (Book 3 §10.3), calls this
// package, and sets the TVR and TSI bits from the result as the table
// below says. Nothing here talks to a card; every input is the card's own
// bytes, kept exactly as received (the hashes of SDA, DDA and CDA cover
// the card's encodings, never a re-encoding).
//
// # CA public keys
//
// A [KeyStore] holds [CAKey] values keyed by RID and CA Public Key Index
// (Book 2 §11.2.2, Tables 30 and 31), each with its SHA-1 check value,
// verified when the key is added: a key whose check value does not match
// its RID, index, modulus and exponent is refused with a [*KeyError]
// wrapping [ErrCheckValue]. The store also holds the certification
// revocation list (RID, index, Certificate Serial Number; Book 2 §5.3 step
// 10). Keys are built in code ([KeyStore.Add]) or read from JSON
// ([LoadKeyStore] documents the format). testdata/capk.json holds the
// EMVCo and scheme test keys with their sources.
//
// # Methods
//
// Inputs come as a [CardData] (the card's data objects) and a [Verifier]
// (the key store and the transaction date, which the caller injects so
// that recorded sessions verify on any day).
//
//	SDA   static := AppendStaticData(nil, oda.SDA, records, tag9F4A, aip)
//	      ssad, err := v.SDA(card, static)             // Book 2 §5; ssad.DAC is 9F45
//	DDA   dol, _, err := SelectDDOL(card9F49, defaultDDOL) // Book 2 §6.5.1
//	      icc, err := v.ICCPublicKey(oda.DDA, card, static) // Book 2 §6.2-§6.4
//	      d, err := icc.VerifyDDA(internalAuthResponse, ddolData) // d.ICCDynamicNumber is 9F4C
//	CDA   icc, err := v.ICCPublicKey(oda.CDA, card, static)
//	      d, err := icc.VerifyCDA(&oda.CDAInput{...})  // after each GENERATE AC with CDA
//	      icc, err := v.CDAKey(&store, card, static)   // or the key once into a CDAStore,
//	      d, err := store.VerifyCDA(&oda.CDAInput{...}) // then each GENERATE AC's SDAD
//	fDDA  d, err := icc.VerifyFDDA(sdad, &oda.FDDAInput{...})
//	PIN   key, err := v.PINKey(card, static)           // Book 2 §7.1
//	      key, err := v.PINKeyIn(&pinStore, card, static) // the same into a PINKeyStore
//	      block, err := EncipherPIN(&key.PublicKey, pinBlock, challenge, rand) // Book 2 §7.2
//	      block, err := EncipherPINTo(buf[:0], &key.PublicKey, pinBlock, challenge, rand) // into buf
//
// # XDA and the ECC keys
//
// XDA signs with EC-SDSA (Book 2 Annex A2.2) on P-256 with SHA-256 (suite
// 10) or P-521 with SHA-512 (suite 11), computed with filippo.io/nistec
// (crypto/ecdsa implements ECDSA, another signature). Keys travel as their
// x coordinate; [NewECPublicKey] rebuilds y as the lower root, y <= (p-1)/2
// (Annex B2.2.1), which long-term keys are generated to meet (B2.2.4).
// The CA ECC keys sit in the same [KeyStore] as the RSA keys ([CAKey]
// Suite and X; [LoadKeyStore] documents their JSON). The certificates come
// in clear with their signature appended, so each check reads the card's
// bytes directly:
//
//	XDA   iccd, _ := AppendICCD(nil, records, aip, terminalAID, pdol) // Book 3 §10.3
//	      icc, err := v.XDAKey(card, iccd)            // Book 2 §12.2-§12.4
//	      err = icc.VerifyXDA(&oda.XDAInput{...})     // after each GENERATE AC with XDA, §12.5.3
//	ECC PIN key, err := v.ECCPINKey(card, iccd)        // 9F2D, an ODE suite, §13.1
//	      data, err := EncipherPINECC(key, pinBlock, challenge, rand) // §13.2
//
// [CAKeyMissing] tells the failures the kernel reports as "CA ECC key
// missing" from the others, "ECC key recovery failed" (Book 3 §10.3).
//
// # Errors and the TVR
//
// Every failure is an [*Error] naming the [Method] and the [Check] that
// failed; it wraps a sentinel (errors.Is) for what callers branch on. The
// kernel maps an error to TVR byte 1 (Book 3 Annex C5) like this:
//
//	Method of the *Error          TVR bit to set
//	SDA                           byte 1 bit 7  SDA failed
//	DDA                           byte 1 bit 4  DDA failed
//	CDA                           byte 1 bit 3  CDA failed
//	fDDA                          byte 1 bit 4  DDA failed (unless the contactless
//	                                            kernel's book says otherwise)
//	XDA, CAKeyMissing(err)        byte 5 bit 3  CA ECC key missing
//	XDA, key chain                byte 5 bit 2  ECC key recovery failed (set
//	                                            after the first GENERATE AC)
//	XDA, VerifyXDA                byte 4 bit 1  XDA signature verification failed
//	PIN                           no ODA bit: the enciphered offline PIN CVM
//	                                            cannot be performed (Book 3 §10.5.1)
//	any, errors.Is ErrMissingData also byte 1 bit 6  ICC data missing
//
// Independently of any error, the kernel sets byte 1 bit 2 "SDA selected"
// whenever it performs SDA, byte 1 bit 1 "XDA selected" whenever it
// selects XDA, and TSI byte 1 bit 8 "Offline data
// authentication was performed" whenever it performs any method (Book 3
// §10.3).
//
// The checks, by step, with the sentinel each wraps:
//
//	Check                               Book 2                 Sentinel
//	terminal input                      (inputs)               ErrInput
//	CA public key index                 §5.2, §6.2             ErrMissingData (8F absent), ErrFormat
//	CA public key                       §5.2, §6.2             ErrCAKeyUnknown
//	CA public key expiry                §11.2 key management   ErrExpired
//	issuer certificate                  §5.1.1, §6.1.1         ErrMissingData (90 absent)
//	issuer public key exponent          §5.1.1, §6.1.1         ErrMissingData (9F32 absent), ErrFormat
//	issuer certificate length           §5.3 step 1            ErrLength
//	issuer certificate trailer          §5.3 step 2            ErrFormat
//	issuer certificate header           §5.3 step 3            ErrFormat
//	issuer certificate format           §5.3 step 4            ErrFormat
//	issuer certificate hash algorithm   §5.3 step 5-6          ErrUnsupportedAlgorithm
//	issuer public key length            Table 13, §5.1         ErrLength, ErrFormat
//	issuer public key remainder         Table 13               ErrMissingData (92 absent), ErrLength
//	issuer certificate hash             §5.3 steps 5-7         ErrHashMismatch
//	issuer identifier vs PAN            §5.3 step 8            ErrPANMismatch
//	issuer certificate expiry           §5.3 step 9            ErrExpired, ErrFormat
//	issuer certificate revocation       §5.3 step 10           ErrRevoked
//	issuer public key algorithm         §5.3 step 11           ErrUnsupportedAlgorithm
//	ICC certificate ...                 §6.4 steps 1-10, the same checks (9F46, 9F47,
//	                                    9F48; 9F2D, 9F2E, 9F2F for PIN), with
//	ICC certificate PAN                 §6.4 step 8            ErrPANMismatch
//	static data record                  Book 3 §10.3           ErrFormat (SFI 1-10 record not 70)
//	SDA tag list                        Book 3 §10.3           ErrFormat (not only 82), ErrMissingData
//	signed static data                  §5.1.1                 ErrMissingData (93 absent)
//	signed static data length/trailer/header/format/hash algorithm/hash
//	                                    §5.4 steps 1-7         ErrLength, ErrFormat, ErrUnsupportedAlgorithm,
//	                                                           ErrHashMismatch
//	DDOL                                §6.5.1                 ErrMissingData (no card and no default DDOL),
//	                                                           ErrFormat (unreadable, no 9F37)
//	response format                     Book 3 §6.5.9.4, §6.5.5.4 ErrFormat
//	signed dynamic data                 §6.5.2, §6.6.2         ErrMissingData (9F4B absent)
//	signed dynamic data length/trailer/header/format/hash algorithm
//	                                    §6.5.2, §6.6.2 1-4     ErrLength, ErrFormat, ErrUnsupportedAlgorithm
//	ICC dynamic data                    Tables 18, 19          ErrLength
//	cryptogram information data         §6.6.2                 ErrMissingData (9F27 absent), ErrCIDMismatch
//	signed dynamic data hash            §6.5.2, §6.6.2         ErrHashMismatch
//	transaction data hash code          §6.6.2                 ErrHashMismatch
//	card authentication related data    Book C-3 (fDDA)        ErrFormat
//	PIN encipherment key, PIN block,
//	ICC unpredictable number, random    §7.2, §13.2            ErrInput, ErrLength, ErrFormat
//
// The checks of XDA (Method XDA; the ODE key of §13.1 under PIN):
//
//	Check                               Book 2                 Sentinel
//	CA public key index, CA public key  §12.2                  ErrMissingData, ErrFormat, ErrCAKeyUnknown
//	                                                           (no key, or an RSA key), ErrExpired
//	issuer certificate                  Table 35               ErrMissingData (90 absent)
//	issuer certificate length           Table 35               ErrLength (fixed fields, or 21 + N_FIELD + N_SIG)
//	issuer certificate format/encoding  Table 35               ErrFormat (not 12, not 00)
//	issuer public key algorithm         Table 48               ErrUnsupportedAlgorithm (suite not 10 or 11)
//	issuer certificate CA key           Table 35               ErrFormat (RID or index not the CA key's)
//	issuer certificate signature        Annex A2.2.3           ErrSignature
//	issuer identifier vs PAN            §12.3                  ErrPANMismatch (3 to 10 digits)
//	issuer certificate expiry           §12.3                  ErrExpired, ErrFormat (YYYYMMDD)
//	issuer certificate revocation       §12.3                  ErrRevoked
//	issuer public key point             Annex B2.2.1           ErrFormat (x on no point)
//	ICC certificate ...                 Table 36, the same, plus:
//	ICCD hash encoding                  Table 36               ErrFormat (not 00)
//	ICC certificate hash algorithm      Table 47               ErrUnsupportedAlgorithm (not 02 or 03)
//	ICC certificate hash                Book 3 §10.3           ErrHashMismatch (ICCD Hash)
//	ICC certificate expiry              Table 36               ErrExpired, ErrFormat (YYYYMMDD HHMM, UTC)
//	response format, signed dynamic
//	data (length, format 15, signature) §12.5.3                ErrFormat, ErrMissingData, ErrLength, ErrSignature
//
// Where a data object is missing, the check reports [ErrMissingData] before
// any cryptography runs ([Verifier.SDA] and [Verifier.ICCPublicKey] check
// presence first), so "ICC data missing" is set whatever else is wrong.
//
// # Secrets and PANs
//
// Error texts never contain PAN digits or PIN data. [ICCKey.String] masks
// the PAN; [ICCKey.Recovered] holds it in clear (it is the certificate), so
// mask it before showing it. [EncipherPIN] and [EncipherPINTo] wipe their plaintext buffer.
//
// # Cost
//
// Each recovery is one modular exponentiation (math/big) with the key's
// exponent (3 or 65537), one SHA-1 and a few small allocations (none in a
// [CDAStore]); issuer and ICC key recovery plus one CDA verification cost
// about 1.05-1.15 times the three bare exponentiations (see BenchmarkODA). An XDA signature costs
// one nistec ScalarBaseMult and one ScalarMult and little else (about
// 1.0-1.2 times them, see BenchmarkXDA); the key chain adds two more
// verifications and two square roots.
package oda
