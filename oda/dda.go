package oda

import (
	"github.com/emvkit/emvkit/tlv"
)

// Tags this package reads from card responses.
const (
	tagResponseFormat1 tlv.Tag = 0x80
	tagResponseFormat2 tlv.Tag = 0x77
	tagSDAD            tlv.Tag = 0x9F4B
	tagCID             tlv.Tag = 0x9F27
	tagUN              tlv.Tag = 0x9F37
)

// SelectDDOL returns the DDOL to build the INTERNAL AUTHENTICATE data
// from, Book 2 §6.5.1 and Book 3 §10.3: the card's DDOL (9F49) when it has
// one, else the terminal's Default DDOL. With neither, DDA fails and the
// kernel sets "ICC data missing" ([ErrMissingData]). A DDOL that cannot be
// read, or that does not ask for the Unpredictable Number (9F37), makes DDA
// fail ([ErrFormat]).
func SelectDDOL(cardDDOL, defaultDDOL []byte) (dol tlv.DOL, usedDefault bool, err error) {
	raw := cardDDOL
	if len(raw) == 0 {
		raw, usedDefault = defaultDDOL, true
	}
	if len(raw) == 0 {
		return nil, usedDefault, fail(DDA, CheckDDOL, ErrMissingData, "no DDOL in the card and no default DDOL")
	}
	dol, err = tlv.ParseDOL(raw)
	if err != nil {
		return nil, usedDefault, fail(DDA, CheckDDOL, ErrFormat, "%v", err)
	}
	for _, e := range dol {
		if e.Tag == tagUN {
			return dol, usedDefault, nil
		}
	}
	return nil, usedDefault, fail(DDA, CheckDDOL, ErrFormat, "DDOL %X does not ask for the Unpredictable Number 9F37", raw)
}

// DynamicData is the content of verified Signed Dynamic Application Data
// (Book 2 Tables 17, 18 and 19).
type DynamicData struct {
	// ICCDynamicNumber is kept by the kernel as 9F4C.
	ICCDynamicNumber []byte
	// ICCDynamicData is the whole ICC Dynamic Data field (length L_DD).
	ICCDynamicData []byte
	// CID, Cryptogram and TDHC are set for CDA only: the Cryptogram
	// Information Data, the Application Cryptogram (kept as 9F26) and the
	// Transaction Data Hash Code, as signed.
	CID        byte
	Cryptogram []byte
	TDHC       []byte
	// Recovered is the whole recovered block, 6A .. BC.
	Recovered []byte
}

// sdadFixed is the size of the fixed fields of recovered SDAD: header,
// format, hash algorithm, L_DD, hash, trailer.
const sdadFixed = 1 + 1 + 1 + 1 + hashLen + 1

// recoverSDAD runs the first checks of Book 2 §6.5.2 / §6.6.2 on Signed
// Dynamic Application Data: length equal to the ICC modulus (step 1),
// trailer BC (2), header 6A (3), signed data format (4), hash algorithm
// indicator, and the ICC Dynamic Data length and ICC Dynamic Number
// length within their bounds (Table 18). The hash is the caller's.
func (k *ICCKey) recoverSDAD(m Method, format byte, sdad []byte) (rec []byte, d *DynamicData, err error) {
	d = new(DynamicData)
	if rec, err = k.recoverSDADIn(m, format, sdad, d, nil); err != nil {
		return nil, nil, err
	}
	return rec, d, nil
}

// recoverSDADIn is recoverSDAD into d, with the recovered block in out
// when out has room for it (else in a new slice).
func (k *ICCKey) recoverSDADIn(m Method, format byte, sdad []byte, d *DynamicData, out []byte) (rec []byte, err error) {
	if len(sdad) == 0 {
		return nil, fail(m, CheckSDAD, ErrMissingData, "")
	}
	n := k.rsa.size
	if len(sdad) != n {
		return nil, fail(m, CheckSDADLength, ErrLength, "SDAD is %d bytes, ICC modulus %d", len(sdad), n)
	}
	if n < sdadFixed+3 {
		return nil, fail(m, CheckSDADLength, ErrLength, "ICC modulus of %d bytes is too short for SDAD", n)
	}
	rec, err = recoverSigned(m, &k.rsa, sdad, format, recoveryChecks{CheckSDADTrailer, CheckSDADHeader, CheckSDADFormat}, out)
	if err != nil {
		return nil, err
	}
	if rec[2] != HashSHA1 {
		return nil, fail(m, CheckSDADHashAlgorithm, ErrUnsupportedAlgorithm, "hash algorithm indicator %02X", rec[2])
	}
	ldd := int(rec[3])
	if ldd > n-sdadFixed {
		return nil, fail(m, CheckICCDynamicData, ErrLength, "ICC dynamic data length %d, room for %d", ldd, n-sdadFixed)
	}
	idd := rec[4 : 4+ldd : 4+ldd]
	// Table 18: the ICC Dynamic Number, 2 to 8 bytes, preceded by its length.
	if ldd < 1 {
		return nil, fail(m, CheckICCDynamicData, ErrLength, "no ICC dynamic number")
	}
	nl := int(idd[0])
	if nl < 2 || nl > 8 || 1+nl > ldd {
		return nil, fail(m, CheckICCDynamicData, ErrLength, "ICC dynamic number length %d in %d bytes of dynamic data", nl, ldd)
	}
	*d = DynamicData{ICCDynamicNumber: idd[1 : 1+nl], ICCDynamicData: idd, Recovered: rec}
	return rec, nil
}

// checkSDADHash compares the signed hash with SHA-1 over format .. pad
// bytes followed by the terminal dynamic data (Book 2 §6.5.2 steps 5-7,
// §6.6.2; fDDA signs four pieces, DDA and CDA one).
func checkSDADHash(m Method, rec []byte, terminalData ...[]byte) error {
	if !signedHashMatches(rec, terminalData...) {
		return fail(m, CheckSDADHash, ErrHashMismatch, "")
	}
	return nil
}

// VerifyDDA verifies the response to INTERNAL AUTHENTICATE, Book 2 §6.5.2.
// response is the response data without SW1 SW2: format 1 (80 holding the
// SDAD) or format 2 (77 holding 9F4B). ddolData is the data the terminal
// sent in the command (built from the DDOL, Book 3 §10.3); it is the
// terminal dynamic data of the hash.
func (k *ICCKey) VerifyDDA(response, ddolData []byte) (*DynamicData, error) {
	sdad, err := signedDynamicData(DDA, response)
	if err != nil {
		return nil, err
	}
	rec, d, err := k.recoverSDAD(DDA, formatSDAD, sdad)
	if err != nil {
		return nil, err
	}
	if err := checkSDADHash(DDA, rec, ddolData); err != nil {
		return nil, err
	}
	return d, nil
}

// signedDynamicData finds the SDAD in an INTERNAL AUTHENTICATE response
// (Book 3 §6.5.9.4): the value of a format 1 template 80, or the 9F4B
// inside a format 2 template 77.
func signedDynamicData(m Method, response []byte) ([]byte, error) {
	tag, val, err := tlv.Single(response)
	if err != nil {
		return nil, fail(m, CheckResponse, ErrFormat, "%v", err)
	}
	switch tag {
	case tagResponseFormat1:
		return val, nil
	case tagResponseFormat2:
		var sdad []byte
		found := false
		it := tlv.NewIter(val)
		for it.Next() {
			if it.Tag() == tagSDAD {
				if found {
					return nil, fail(m, CheckResponse, ErrFormat, "9F4B twice in the response")
				}
				sdad, found = it.Value(), true
			}
		}
		if err := it.Err(); err != nil {
			return nil, fail(m, CheckResponse, ErrFormat, "%v", err)
		}
		if !found {
			return nil, fail(m, CheckSDAD, ErrMissingData, "no 9F4B in the response")
		}
		return sdad, nil
	}
	return nil, fail(m, CheckResponse, ErrFormat, "response template %s, want 80 or 77", tag)
}
