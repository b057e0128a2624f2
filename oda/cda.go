package oda

import (
	"github.com/emvkit/emvkit/tlv"
)

// CDAInput holds what the terminal sent and received around one GENERATE
// AC command that requested CDA. Every field is the exact bytes sent or
// received: the Transaction Data Hash Code is computed over them, never
// over a re-encoding.
type CDAInput struct {
	// UnpredictableNumber is the 9F37 the terminal sent in this command's
	// CDOL data; it is the terminal dynamic data of the SDAD hash.
	UnpredictableNumber []byte
	// PDOLData is the data sent in GET PROCESSING OPTIONS (the value of
	// tag 83), empty when the card had no PDOL.
	PDOLData []byte
	// CDOL1Data is the data sent in the first GENERATE AC.
	CDOL1Data []byte
	// CDOL2Data is the data sent in the second GENERATE AC; nil when
	// verifying the response to the first.
	CDOL2Data []byte
	// Response is this GENERATE AC's response data without SW1 SW2: a
	// format 2 template 77.
	Response []byte
}

// cdaDynamicFixed is the part of CDA's ICC Dynamic Data after the ICC
// Dynamic Number: CID (1), Application Cryptogram (8), Transaction Data
// Hash Code (20) (Book 2 Table 19).
const cdaDynamicFixed = 1 + 8 + hashLen

// VerifyCDA verifies the Signed Dynamic Application Data of a GENERATE AC
// response, Book 2 §6.6.2, for the first or the second GENERATE AC:
//
//   - the response is a format 2 template 77 holding 9F27 and 9F4B
//   - SDAD length equals the ICC modulus length; trailer BC; header 6A;
//     signed data format 05; hash algorithm 01
//   - the ICC Dynamic Data holds the ICC Dynamic Number, the CID, the
//     Application Cryptogram and the Transaction Data Hash Code, and the
//     CID equals the 9F27 of the response
//   - SHA-1 over format .. pad bytes || Unpredictable Number equals the
//     signed hash
//   - the Transaction Data Hash Code equals SHA-1 over PDOL data ||
//     CDOL1 data || CDOL2 data (second GENERATE AC only) || every data
//     object of the response except 9F4B, tag, length and value, in the
//     order received.
//
// The kernel calls VerifyCDA only when the card answered with a TC or
// ARQC: with an AAC the card signs nothing (Book 2 §6.6.1).
func (k *ICCKey) VerifyCDA(in *CDAInput) (*DynamicData, error) {
	d := new(DynamicData)
	if err := k.verifyCDA(in, d, nil); err != nil {
		return nil, err
	}
	return d, nil
}

// verifyCDA is VerifyCDA into d, with the recovered SDAD in out when out
// has room for it (else in a new slice).
func (k *ICCKey) verifyCDA(in *CDAInput, d *DynamicData, out []byte) error {
	const m = CDA
	if len(in.UnpredictableNumber) == 0 {
		return fail(m, CheckInput, ErrInput, "no Unpredictable Number")
	}
	tag, val, err := tlv.Single(in.Response)
	if err != nil {
		return fail(m, CheckResponse, ErrFormat, "%v", err)
	}
	if tag != tagResponseFormat2 {
		return fail(m, CheckResponse, ErrFormat, "response template %s, want 77", tag)
	}
	// One pass over the response: the TDHC input, 9F27 and 9F4B.
	// The TDHC state is not returned to the pool on the early failures:
	// the garbage collector takes it.
	tdhc := getHash()
	tdhc.h.Write(in.PDOLData)
	tdhc.h.Write(in.CDOL1Data)
	tdhc.h.Write(in.CDOL2Data)
	var sdad, cid []byte
	var haveSDAD, haveCID bool
	it := tlv.NewIter(val)
	for it.Next() {
		switch it.Tag() {
		case tagSDAD:
			if haveSDAD {
				return fail(m, CheckResponse, ErrFormat, "9F4B twice in the response")
			}
			sdad, haveSDAD = it.Value(), true
			continue
		case tagCID:
			if haveCID {
				return fail(m, CheckResponse, ErrFormat, "9F27 twice in the response")
			}
			cid, haveCID = it.Value(), true
		}
		tdhc.h.Write(it.Raw())
	}
	if err := it.Err(); err != nil {
		return fail(m, CheckResponse, ErrFormat, "%v", err)
	}
	if !haveCID {
		return fail(m, CheckCID, ErrMissingData, "no 9F27 in the response")
	}
	rec, err := k.recoverSDADIn(m, formatSDAD, sdad, d, out)
	if err != nil {
		return err
	}
	nl := int(d.ICCDynamicData[0])
	if len(d.ICCDynamicData) < 1+nl+cdaDynamicFixed {
		return fail(m, CheckICCDynamicData, ErrLength, "ICC dynamic data of %d bytes, want at least %d", len(d.ICCDynamicData), 1+nl+cdaDynamicFixed)
	}
	p := 1 + nl
	d.CID = d.ICCDynamicData[p]
	d.Cryptogram = d.ICCDynamicData[p+1 : p+9]
	d.TDHC = d.ICCDynamicData[p+9 : p+9+hashLen]
	if len(cid) != 1 || cid[0] != d.CID {
		return fail(m, CheckCID, ErrCIDMismatch, "signed %02X, response %X", d.CID, cid)
	}
	if err := checkSDADHash(m, rec, in.UnpredictableNumber); err != nil {
		return err
	}
	if !tdhc.matches(d.TDHC) {
		return fail(m, CheckTDHC, ErrHashMismatch, "")
	}
	return nil
}

// CDAStore is room for CDA verifications by [Verifier.CDAKey] and
// [CDAStore.VerifyCDA]: the Issuer and ICC Public Keys with what they hold (recovered
// certificates, moduli and exponents), the recovered SDAD and its
// [DynamicData], so that the verification allocates nothing. The zero
// value is ready; a store is reused from one verification to the next
// and is not for concurrent use. It holds card data, the PAN among it:
// clear it (*st = CDAStore{}) when it is kept past the transaction.
type CDAStore struct {
	issuer   IssuerKey
	icc      ICCKey
	d        DynamicData
	issuerSt keyStorage
	iccSt    keyStorage
	sdad     [MaxCAModulusLen]byte
}

// CDAKey is ICCPublicKey(CDA, card, staticData) into st: the same checks,
// in the same order, with the same errors, and the same key on success,
// which lives in st until st is used again. A kernel that verifies more
// than one SDAD with the key (the first and the second GENERATE AC of a
// contact transaction, Book 2 §6.6) recovers it once with CDAKey and
// verifies each with [CDAStore.VerifyCDA]. On failure st holds no key.
func (v *Verifier) CDAKey(st *CDAStore, card *CardData, staticData []byte) (*ICCKey, error) {
	if err := v.iccPublicKey(CDA, card, staticData, &st.issuer, &st.issuerSt, &st.icc, &st.iccSt); err != nil {
		st.icc = ICCKey{}
		return nil, err
	}
	return &st.icc, nil
}

// VerifyCDA is the VerifyCDA(in) of the ICC Public Key that
// [Verifier.CDAKey] recovered into st: the same checks and errors, with
// the recovered SDAD and the DynamicData in st. What it returns holds
// until st is used again: a second verification overwrites the first's
// DynamicData and the bytes its slices refer to. Without a key in st it
// fails with [CheckInput].
func (st *CDAStore) VerifyCDA(in *CDAInput) (*DynamicData, error) {
	if st.icc.rsa.n == nil {
		return nil, fail(CDA, CheckInput, ErrInput, "no ICC Public Key recovered into the store")
	}
	if err := st.icc.verifyCDA(in, &st.d, st.sdad[:0]); err != nil {
		return nil, err
	}
	return &st.d, nil
}

// FDDAInput holds the terminal data that fDDA signs (Book C-3, Kernel 3
// fDDA): the terminal's Unpredictable Number and, for fDDA version 01,
// the amount, the currency and the card's Card Authentication Related Data.
type FDDAInput struct {
	UnpredictableNumber []byte // 9F37 sent in the PDOL data
	Amount              []byte // 9F02 Amount, Authorised
	CurrencyCode        []byte // 5F2A Transaction Currency Code
	// CardAuthData is the card's 9F69 Card Authentication Related Data:
	// its first byte is the fDDA version. Absent means version 00.
	CardAuthData []byte
}

// VerifyFDDA verifies the Signed Dynamic Application Data (9F4B) a
// contactless card returns in its GET PROCESSING OPTIONS or READ RECORD
// response (fast DDA, Book C-3). The checks are those of Book 2 §6.5.2 with
// signed data format 95, and the terminal dynamic data of the hash depends
// on the fDDA version in 9F69: version 00 (or no 9F69) signs the
// Unpredictable Number alone; version 01 signs Unpredictable Number ||
// Amount, Authorised || Transaction Currency Code || 9F69.
func (k *ICCKey) VerifyFDDA(sdad []byte, in *FDDAInput) (*DynamicData, error) {
	const m = FDDA
	if len(in.UnpredictableNumber) != 4 {
		return nil, fail(m, CheckInput, ErrInput, "Unpredictable Number is %d bytes, want 4", len(in.UnpredictableNumber))
	}
	var amount, currency, cad []byte
	if len(in.CardAuthData) > 0 {
		switch in.CardAuthData[0] {
		case 0x00:
		case 0x01:
			if len(in.Amount) != 6 || len(in.CurrencyCode) != 2 {
				return nil, fail(m, CheckInput, ErrInput, "amount of %d bytes and currency of %d, want 6 and 2", len(in.Amount), len(in.CurrencyCode))
			}
			amount, currency, cad = in.Amount, in.CurrencyCode, in.CardAuthData
		default:
			return nil, fail(m, CheckCardAuthData, ErrFormat, "fDDA version %02X", in.CardAuthData[0])
		}
	}
	rec, d, err := k.recoverSDAD(m, formatFDDA, sdad)
	if err != nil {
		return nil, err
	}
	if err := checkSDADHash(m, rec, in.UnpredictableNumber, amount, currency, cad); err != nil {
		return nil, err
	}
	return d, nil
}
