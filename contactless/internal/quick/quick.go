package quick

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// TTQ bits (Terminal Transaction Qualifiers 9F66) that Book C-3 Annex A and
// Book C-7 Annex A place alike, by byte.
const (
	TTQ1ContactChip  = 0x10 // byte 1 bit 5: EMV contact chip supported
	TTQ1OfflineOnly  = 0x08 // byte 1 bit 4: offline-only reader
	TTQ1OnlinePIN    = 0x04 // byte 1 bit 3: online PIN supported
	TTQ1Signature    = 0x02 // byte 1 bit 2: signature supported
	TTQ2OnlineCrypto = 0x80 // byte 2 bit 8: online cryptogram required
	TTQ2CVMRequired  = 0x40 // byte 2 bit 7: CVM required
	TTQ3CDCVM        = 0x40 // byte 3 bit 7: consumer device CVM supported
)

// CTQ bits (Card Transaction Qualifiers 9F6C: Book C-3 Annex A.2, Book C-7
// Annex A), by byte.
const (
	CTQ1OnlinePIN        = 0x80 // byte 1 bit 8: online PIN required
	CTQ1Signature        = 0x40 // byte 1 bit 7: signature required
	CTQ1OnlineIfODAFails = 0x20 // byte 1 bit 6: go online if ODA fails and the reader is online capable
	CTQ1SwitchIfODAFails = 0x10 // byte 1 bit 5: switch interface if ODA fails and the reader has contact chip
	CTQ1OnlineIfExpired  = 0x08 // byte 1 bit 4: go online if the application expired
	CTQ1SwitchForCash    = 0x04 // byte 1 bit 3: switch interface for cash transactions
	CTQ1SwitchCashback   = 0x02 // byte 1 bit 2: switch interface for cashback transactions
	CTQ2CDCVMPerformed   = 0x80 // byte 2 bit 8: consumer device CVM performed
	CTQ2IssuerUpdate     = 0x40 // byte 2 bit 7: card supports issuer update processing at the POS
)

// Cryptogram types (9F27 bits 8-7).
const (
	AAC  byte = 0x00
	TC   byte = 0x40
	ARQC byte = 0x80
)

// CTQ reports whether bit is set in byte i of a CTQ (false when the card
// sent no CTQ, or one of the wrong length).
func CTQ(ctq []byte, i int, bit byte) bool {
	return len(ctq) == 2 && ctq[i]&bit != 0
}

// CryptogramType is the type of the card's cryptogram: the Cryptogram
// Information Data (9F27) bits 8-7 when the card sent it, else the Issuer
// Application Data's Card Verification Results, byte 5 of the IAD bits 6-5
// (00 AAC, 01 TC, 10 ARQC), when the IAD begins with lenByte: 06 for the
// Visa layout of Book C-3 §5.5.1 (06 DKI CVN 03 CVR), 07 for the UnionPay
// layout (07 DKI CVN 03 CVR algorithm). ok is false for the RFU value 11
// and for an IAD of another layout: a card error.
func CryptogramType(cid, iad []byte, lenByte byte) (byte, bool) {
	if cid != nil {
		t := cid[0] & 0xC0
		return t, t != 0xC0
	}
	if len(iad) >= 5 && iad[0] == lenByte {
		switch (iad[4] >> 4) & 0x03 {
		case 0:
			return AAC, true
		case 1:
			return TC, true
		case 2:
			return ARQC, true
		}
	}
	return 0, false
}

// YMD packs a date as YYMMDD for comparisons.
func YMD(y, m, d int) int { return y*10000 + m*100 + d }

// BCDYMD reads a date n6 YYMMDD (5F24, 5F25) as YMD; false when it is not
// 3 BCD bytes.
func BCDYMD(b []byte) (int, bool) {
	if len(b) != 3 {
		return 0, false
	}
	v := 0
	for _, x := range b {
		if x>>4 > 9 || x&0x0F > 9 {
			return 0, false
		}
		v = v*100 + int(x>>4)*10 + int(x&0x0F)
	}
	return v, true
}

// BCDDate reads a Transaction Date 9A (n6 YYMMDD) as a time in 20YY.
func BCDDate(b []byte) (time.Time, bool) {
	if len(b) != 3 {
		return time.Time{}, false
	}
	var d [3]int
	for i, x := range b {
		hi, lo := int(x>>4), int(x&0x0F)
		if hi > 9 || lo > 9 {
			return time.Time{}, false
		}
		d[i] = hi*10 + lo
	}
	if d[1] < 1 || d[1] > 12 || d[2] < 1 || d[2] > 31 {
		return time.Time{}, false
	}
	return time.Date(2000+d[0], time.Month(d[1]), d[2], 0, 0, 0, 0, time.UTC), true
}

// BCDNumber reads packed BCD digits as a number (no check: for values the
// terminal itself encoded).
func BCDNumber(b []byte) int {
	n := 0
	for _, x := range b {
		n = n*100 + int(x>>4)*10 + int(x&0x0F)
	}
	return n
}

// Amount reads an amount n12 (6 BCD bytes: 9F02, 9F5D); false when it is
// not 6 bytes of decimal digits.
func Amount(v []byte) (uint64, bool) {
	if len(v) != 6 {
		return 0, false
	}
	var amount uint64
	for _, b := range v {
		hi, lo := b>>4, b&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		amount = amount*100 + uint64(hi)*10 + uint64(lo)
	}
	return amount, true
}

// PANFromTrack2 is the PAN of Track 2 Equivalent Data (57): the digits
// before the separator D, as cn (padded with F).
func PANFromTrack2(t2 []byte) []byte {
	for i, b := range t2 {
		switch {
		case b>>4 == 0x0D:
			return t2[:i]
		case b&0x0F == 0x0D:
			out := append([]byte(nil), t2[:i+1]...)
			out[i] |= 0x0F
			return out
		}
	}
	return nil
}

// Track2Expiry reads YYMM after the separator of track 2 and takes the
// month's last day (a card expires at the end of its month).
func Track2Expiry(t2 []byte) (int, bool) {
	var digits []byte
	sep := -1
	for _, b := range t2 {
		for _, n := range [2]byte{b >> 4, b & 0x0F} {
			if n == 0x0D && sep < 0 {
				sep = len(digits)
				continue
			}
			digits = append(digits, n)
		}
	}
	if sep < 0 || len(digits) < sep+4 {
		return 0, false
	}
	d := digits[sep : sep+4]
	for _, n := range d {
		if n > 9 {
			return 0, false
		}
	}
	return YMD(int(d[0])*10+int(d[1]), int(d[2])*10+int(d[3]), 31), true
}

// CheckDates is the application expiry check of Book C-3 §5.5.2 and Book
// C-7 (processing restrictions): the Application Expiration Date (5F24, or
// the YYMM of track 2 when the card gave no 5F24) earlier than the
// transaction date sets TVR byte 2 bit 7 and reports true. An Application
// Effective Date (5F25) after the transaction date sets byte 2 bit 6 for
// the issuer; neither book gives it an outcome of its own.
func CheckDates(date time.Time, expiry, effective, track2 []byte, t *tvr.TVR) (expired bool) {
	today := YMD(date.Year()%100, int(date.Month()), date.Day())
	exp, ok := BCDYMD(expiry)
	if !ok {
		exp, ok = Track2Expiry(track2)
	}
	if ok && exp < today {
		t.Set(tvr.ExpiredApplication)
		expired = true
	}
	if eff, ok := BCDYMD(effective); ok && eff > today {
		t.Set(tvr.ApplicationNotYetEffective)
	}
	return expired
}

// ErrAFL reports an Application File Locator entry that cannot be read.
var ErrAFL = errors.New("quick: AFL")

// CheckAFL validates the AFL (Book C-3 §5.3, Book C-7 read application
// data) and returns the number of records it names. Each entry is SFI
// (bits 8-4 of byte 1, 1 to 30, bits 3-1 zero), first record (at least 1),
// last record (not before the first) and the number of records for offline
// data authentication (not more than the entry has). More than max records
// is an error too: the books give no bound, a reader must.
func CheckAFL(afl []byte, max int) (int, error) {
	if len(afl)%4 != 0 {
		return 0, fmt.Errorf("%w: %d bytes", ErrAFL, len(afl))
	}
	total := 0
	for i := 0; i+4 <= len(afl); i += 4 {
		e := afl[i : i+4]
		sfi, first, last, odaN := e[0]>>3, e[1], e[2], int(e[3])
		if e[0]&0x07 != 0 || sfi < 1 || sfi > 30 || first < 1 || last < first || odaN > int(last-first)+1 {
			return 0, fmt.Errorf("%w: entry %X", ErrAFL, e)
		}
		total += int(last-first) + 1
	}
	if total > max {
		return 0, fmt.Errorf("%w: %d records, at most %d", ErrAFL, total, max)
	}
	return total, nil
}

// ErrRecordRead reports a READ RECORD answered with another status word
// than 9000, or a record that is not one template (70 for SFI 1 to 10).
var ErrRecordRead = errors.New("quick: record")

// ReadRecords reads the records of a checked AFL (see [CheckAFL]) of total
// records, in order: read sends READ RECORD (a link failure comes back as
// its error, link true); add takes the value of each template 70. A status
// word other than 9000, a record that is not one BER-TLV object, one of SFI
// 1 to 10 that is not a template 70, or an error from add ends the reading
// with link false: the books treat each as a card error. The records the
// AFL flags for offline data authentication are returned exactly as
// received.
func ReadRecords(afl []byte, total int, read func(sfi, rec byte) (apdu.Response, error), add func(v []byte) error) (recs []oda.Record, link bool, err error) {
	if total > 0 {
		recs = make([]oda.Record, 0, total)
	}
	for i := 0; i+4 <= len(afl); i += 4 {
		sfi, first, last, odaN := afl[i]>>3, afl[i+1], afl[i+2], int(afl[i+3])
		for rec := int(first); rec <= int(last); rec++ {
			r, err := read(sfi, byte(rec))
			if err != nil {
				return nil, true, err
			}
			if r.SW != apdu.SWOK {
				return nil, false, fmt.Errorf("%w: SFI %d record %d: SW %s", ErrRecordRead, sfi, rec, r.SW)
			}
			t, v, err := tlv.Single(r.Data)
			if err != nil || (sfi <= 10 && t != 0x70) {
				return nil, false, fmt.Errorf("%w: SFI %d record %d: not one template 70", ErrRecordRead, sfi, rec)
			}
			if t == 0x70 {
				if err := add(v); err != nil {
					return nil, false, fmt.Errorf("%w: SFI %d record %d: %v", ErrRecordRead, sfi, rec, err)
				}
			}
			if rec-int(first) < odaN {
				recs = append(recs, oda.Record{SFI: sfi, Data: r.Data})
			}
		}
	}
	return recs, false, nil
}

// ErrCTQMismatch reports an fDDA version 01 whose 9F69 carries a CTQ that
// differs from the 9F6C the card returned: the consumer device CVM the
// card claims is not the one it signed.
var ErrCTQMismatch = errors.New("quick: CTQ in 9F69 differs from 9F6C")

// FDDA is the input of fast DDA (Book C-3 Annex C, Book C-7 fDDA): the
// card's key chain, the records the AFL flags for ODA, the SDAD and the
// terminal data the card signed.
type FDDA struct {
	Keys *oda.KeyStore // nil: no keys, the key chain fails
	Date time.Time
	AID  []byte

	AIP, PAN, SDATagList                      []byte
	CAIndex, IssuerCert, IssuerRem, IssuerExp []byte
	ICCCert, ICCRem, ICCExp                   []byte
	Records                                   []oda.Record

	SDAD, CardAuthData, CTQ []byte // 9F4B, 9F69, 9F6C

	UnpredictableNumber, Amount, Currency []byte // as the card got them
}

// Verify checks the key chain under the CA key of the card's RID and 8F,
// over the static data of the records (with the AIP when 9F4A names it),
// then the SDAD with Signed Data Format 95, hashed over the Unpredictable
// Number for fDDA version 00 (or no 9F69) and over Unpredictable Number ||
// Amount, Authorised || Transaction Currency Code || 9F69 for version 01.
// When 9F69 of version 01 carries the CTQ (bytes 6-7) it must equal 9F6C.
func (f *FDDA) Verify() error {
	if f.SDAD == nil {
		return &oda.Error{Method: oda.FDDA, Check: oda.CheckSDAD, Err: oda.ErrMissingData}
	}
	n := len(f.AIP)
	for _, r := range f.Records {
		n += len(r.Data)
	}
	static, err := oda.AppendStaticData(make([]byte, 0, n), oda.FDDA, f.Records, f.SDATagList, f.AIP)
	if err != nil {
		return err
	}
	v := oda.Verifier{Keys: f.Keys, Date: f.Date}
	if v.Keys == nil {
		v.Keys = oda.NewKeyStore()
	}
	card := oda.CardData{
		AID: f.AID, CAKeyIndex: f.CAIndex, PAN: f.PAN,
		IssuerCertificate: f.IssuerCert, IssuerRemainder: f.IssuerRem, IssuerExponent: f.IssuerExp,
		ICCCertificate: f.ICCCert, ICCRemainder: f.ICCRem, ICCExponent: f.ICCExp,
	}
	icc, err := v.ICCPublicKey(oda.FDDA, &card, static)
	if err != nil {
		return err
	}
	if _, err := icc.VerifyFDDA(f.SDAD, &oda.FDDAInput{
		UnpredictableNumber: f.UnpredictableNumber, Amount: f.Amount, CurrencyCode: f.Currency, CardAuthData: f.CardAuthData,
	}); err != nil {
		return err
	}
	if cad := f.CardAuthData; len(cad) >= 7 && cad[0] == 0x01 && f.CTQ != nil && !bytes.Equal(cad[5:7], f.CTQ) {
		return ErrCTQMismatch
	}
	return nil
}

// ChooseCVM chooses the CVM from the TTQ and the CTQ (Book C-3 §5.7, Book
// C-7 cardholder verification). The card's CTQ comes first, each bit only
// when the reader supports that CVM: consumer device CVM performed (byte 2
// bit 8, with TTQ byte 3 bit 7) is Confirmation Code Verified; online PIN
// required (byte 1 bit 8, with TTQ byte 1 bit 3) is Online PIN, for an
// online transaction only (a TC cannot carry a PIN to the issuer);
// signature required (byte 1 bit 7, with TTQ byte 1 bit 2) is Obtain
// Signature. When none applies and the reader requires a CVM (TTQ byte 2
// bit 7): a card without a CTQ gets the reader's own, signature if
// supported, else online PIN for an online transaction; a card whose CTQ
// names no CVM the reader can do fails CVM processing (ok false, the
// kernels decline). Otherwise No CVM.
func ChooseCVM(ttq [4]byte, ctq []byte, online bool) (cvm contactless.CVM, ok bool) {
	switch {
	case CTQ(ctq, 1, CTQ2CDCVMPerformed) && ttq[2]&TTQ3CDCVM != 0:
		return contactless.CVMConfirmationCodeVerified, true
	case online && CTQ(ctq, 0, CTQ1OnlinePIN) && ttq[0]&TTQ1OnlinePIN != 0:
		return contactless.CVMOnlinePIN, true
	case CTQ(ctq, 0, CTQ1Signature) && ttq[0]&TTQ1Signature != 0:
		return contactless.CVMObtainSignature, true
	case ttq[1]&TTQ2CVMRequired == 0:
		return contactless.CVMNoCVM, true
	case ctq == nil && ttq[0]&TTQ1Signature != 0:
		return contactless.CVMObtainSignature, true
	case ctq == nil && online && ttq[0]&TTQ1OnlinePIN != 0:
		return contactless.CVMOnlinePIN, true
	}
	return contactless.CVMNA, false
}

// TagValue is one primitive data object.
type TagValue struct {
	Tag   tlv.Tag
	Value []byte
}

// Terminal indexes the Entry Point's terminal data (primitive objects, Book
// B §3.4.1.1) once, so that the PDOL and the Data Record look values up
// without decoding it again; objects beyond the index's room and after a
// malformed one are not seen, as tlv.Find would not see the latter.
type Terminal struct {
	objs [32]TagValue
	n    int
}

// Index reads data into the index.
func (t *Terminal) Index(data []byte) {
	t.n = 0
	it := tlv.NewIter(data)
	for t.n < len(t.objs) && it.Next() {
		t.objs[t.n] = TagValue{it.Tag(), it.Value()}
		t.n++
	}
}

// Find is the first terminal data object with the tag.
func (t *Terminal) Find(tag tlv.Tag) ([]byte, bool) {
	for _, tv := range t.objs[:t.n] {
		if tv.Tag == tag {
			return tv.Value, true
		}
	}
	return nil, false
}
