package oda

import (
	"bytes"

	"github.com/emvkit/emvkit/tlv"
)

// Record is one record the kernel read for offline data authentication:
// the records the AFL flags (Book 3 §10.2), in the order they were read.
type Record struct {
	SFI  byte
	Data []byte // READ RECORD response data without SW1 SW2, exactly as received
}

// AppendStaticData appends the static data to be authenticated to dst
// (Book 3 §10.3, Book 2 §5.4 step 5 and §6.4 step 5):
//
//   - for each record of SFI 1 to 10, the value of its template 70 (without
//     tag and length);
//   - for each record of SFI 11 to 30, the whole record, tag 70 and length
//     included;
//   - every record read for offline data authentication must be a single
//     template 70, whatever its SFI: one that is not makes offline data
//     authentication fail ([CheckStaticRecord]);
//   - then, if the Static Data Authentication Tag List (9F4A) is present,
//     the value of the AIP (82). The list may name only tag 82; anything
//     else fails ([CheckSDATagList]).
//
// m names the method whose failure an error reports. The bytes are the
// card's own; nothing is re-encoded.
func AppendStaticData(dst []byte, m Method, records []Record, sdaTagList, aip []byte) ([]byte, error) {
	for i, r := range records {
		if r.SFI < 1 || r.SFI > 30 {
			return dst, fail(m, CheckStaticRecord, ErrFormat, "record %d: SFI %d is not 1 to 30", i, r.SFI)
		}
		tag, val, err := tlv.Single(r.Data)
		if err != nil {
			return dst, fail(m, CheckStaticRecord, ErrFormat, "record %d (SFI %d): %v", i, r.SFI, err)
		}
		if tag != 0x70 {
			return dst, fail(m, CheckStaticRecord, ErrFormat, "record %d (SFI %d) is template %s, not 70", i, r.SFI, tag)
		}
		if r.SFI <= 10 {
			dst = append(dst, val...)
		} else {
			dst = append(dst, r.Data...)
		}
	}
	if len(sdaTagList) == 0 {
		return dst, nil
	}
	if !bytes.Equal(sdaTagList, []byte{0x82}) {
		return dst, fail(m, CheckSDATagList, ErrFormat, "tag list %X names a tag other than 82", sdaTagList)
	}
	if len(aip) != 2 {
		return dst, fail(m, CheckSDATagList, ErrMissingData, "AIP is %d bytes, want 2", len(aip))
	}
	return append(dst, aip...), nil
}

// SSAD is the content of verified Signed Static Application Data.
type SSAD struct {
	// DAC is the Data Authentication Code, kept by the kernel as 9F45.
	DAC [2]byte
	// Recovered is the whole recovered block, 6A .. BC (Book 2 Table 7).
	Recovered []byte
}

// ssadFixed is the size of the fixed fields of recovered SSAD: header,
// format, hash algorithm, DAC, hash, trailer.
const ssadFixed = 1 + 1 + 1 + 2 + hashLen + 1

// VerifySSAD verifies Signed Static Application Data (93) under the Issuer
// Public Key, Book 2 §5.4:
//
//	1 its length equals the issuer modulus length
//	2 recover; trailer BC
//	3 header 6A
//	4 signed data format 03
//	  hash algorithm indicator 01
//	5-7 SHA-1 over format .. pad bytes || static data equals the signed hash
func (k *IssuerKey) VerifySSAD(ssad, staticData []byte) (*SSAD, error) {
	const m = SDA
	if len(ssad) == 0 {
		return nil, fail(m, CheckSSAD, ErrMissingData, "")
	}
	n := k.rsa.size
	if len(ssad) != n {
		return nil, fail(m, CheckSSADLength, ErrLength, "SSAD is %d bytes, issuer modulus %d", len(ssad), n)
	}
	if n < ssadFixed {
		return nil, fail(m, CheckSSADLength, ErrLength, "issuer modulus of %d bytes is too short for SSAD", n)
	}
	rec, err := recoverSigned(m, &k.rsa, ssad, formatSSAD, recoveryChecks{CheckSSADTrailer, CheckSSADHeader, CheckSSADFormat}, nil)
	if err != nil {
		return nil, err
	}
	if rec[2] != HashSHA1 {
		return nil, fail(m, CheckSSADHashAlgorithm, ErrUnsupportedAlgorithm, "hash algorithm indicator %02X", rec[2])
	}
	if !signedHashMatches(rec, staticData) {
		return nil, fail(m, CheckSSADHash, ErrHashMismatch, "")
	}
	return &SSAD{DAC: [2]byte(rec[3:5]), Recovered: rec}, nil
}

// SDA performs Static Data Authentication, Book 2 §5: it checks that the
// card gave the data objects SDA needs (8F, 90, 9F32, 93; a missing one is
// [ErrMissingData]), finds the CA key (§5.2), recovers the Issuer Public
// Key (§5.3) and verifies the Signed Static Application Data (§5.4).
// staticData comes from [AppendStaticData].
func (v *Verifier) SDA(card *CardData, staticData []byte) (*SSAD, error) {
	if err := requireData(SDA, card, required{card.SSAD, CheckSSAD}); err != nil {
		return nil, err
	}
	issuer, err := v.IssuerPublicKey(SDA, card)
	if err != nil {
		return nil, err
	}
	return issuer.VerifySSAD(card.SSAD, staticData)
}
