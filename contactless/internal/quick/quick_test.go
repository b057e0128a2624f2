package quick

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/contactless/internal/kerneltest"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var h = kerneltest.H

// The cryptogram type: 9F27 first, else the IAD of the kernel's layout
// (Book C-3 §5.5.1: Visa 06...; Book C-7: UnionPay 07...).
func TestCryptogramType(t *testing.T) {
	for _, c := range []struct {
		name     string
		cid, iad string
		lenByte  byte
		want     byte
		ok       bool
	}{
		{"CID TC", "40", "", 0x06, TC, true},
		{"CID ARQC with bits below", "81", "", 0x07, ARQC, true},
		{"CID RFU 11", "C0", "", 0x06, 0, false},
		{"Visa IAD AAC", "", "06010A03000000", 0x06, AAC, true},
		{"Visa IAD TC", "", "06010A03100000", 0x06, TC, true},
		{"UnionPay IAD ARQC", "", "0701010320000001", 0x07, ARQC, true},
		{"UnionPay IAD read as Visa", "", "0701010320000001", 0x06, 0, false},
		{"IAD type 11", "", "0701010330000001", 0x07, 0, false},
		{"IAD too short", "", "07010103", 0x07, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cid []byte
			if c.cid != "" {
				cid = h(c.cid)
			}
			got, ok := CryptogramType(cid, h(c.iad), c.lenByte)
			assert.Equal(t, c.ok, ok)
			if ok {
				assert.Equal(t, c.want, got)
			}
		})
	}
}

func TestTrack2(t *testing.T) {
	t2 := h("6212345678901234D30122010000000000000F")
	assert.Equal(t, "6212345678901234", hex.EncodeToString(PANFromTrack2(t2)))
	exp, ok := Track2Expiry(t2)
	require.True(t, ok)
	assert.Equal(t, YMD(30, 12, 31), exp)
	odd := h("621234567890123D3012")
	assert.Equal(t, "621234567890123f", hex.EncodeToString(PANFromTrack2(odd)), "an odd PAN ends padded with F")
	_, ok = Track2Expiry(h("6212345678901234"))
	assert.False(t, ok, "no separator")
	_, ok = Track2Expiry(h("62D3A12F"))
	assert.False(t, ok, "a non-digit in YYMM")
}

// Book C-3 §5.5.2, Book C-7: expiry (TVR byte 2 bit 7) decides; a future
// effective date only sets byte 2 bit 6.
func TestCheckDates(t *testing.T) {
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	var v tvr.TVR
	assert.True(t, CheckDates(day, h("261201"), nil, nil, &v))
	assert.Equal(t, "0040000000", strings.ToUpper(hex.EncodeToString(v[:])))
	v = tvr.TVR{}
	assert.False(t, CheckDates(day, h("261202"), h("270101"), nil, &v), "expires at the end of its day")
	assert.Equal(t, "0020000000", strings.ToUpper(hex.EncodeToString(v[:])))
	v = tvr.TVR{}
	assert.True(t, CheckDates(day, nil, nil, h("6212D26111"), &v), "track 2 YYMM when 5F24 is absent")
}

func TestAmount(t *testing.T) {
	v, ok := Amount(h("000000049000"))
	assert.True(t, ok)
	assert.Equal(t, uint64(49000), v)
	_, ok = Amount(h("00000004900A"))
	assert.False(t, ok)
	_, ok = Amount(h("0490"))
	assert.False(t, ok)
}

func TestCheckAFL(t *testing.T) {
	n, err := CheckAFL(h("10010100"+"18010200"), 64)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	for name, afl := range map[string]string{
		"SFI 0": "00010100", "bits 3-1 set": "11010100", "first record 0": "10000100",
		"last before first": "10020100", "ODA records beyond the entry": "10010102", "not a multiple of 4": "100101",
	} {
		_, err := CheckAFL(h(afl), 64)
		assert.ErrorIs(t, err, ErrAFL, name)
	}
	_, err = CheckAFL(h("1001FF00"), 64)
	assert.ErrorIs(t, err, ErrAFL, "255 records over the bound")
}

func TestReadRecords(t *testing.T) {
	afl := h("10010101" + "18010100")
	records := map[[2]byte]apdu.Response{
		{2, 1}: {Data: h("70035A0162"), SW: apdu.SWOK},
		{3, 1}: {Data: h("70039F0800"), SW: apdu.SWOK},
	}
	var got []string
	read := func(sfi, rec byte) (apdu.Response, error) { return records[[2]byte{sfi, rec}], nil }
	add := func(v []byte) error { got = append(got, hex.EncodeToString(v)); return nil }
	recs, link, err := ReadRecords(afl, 2, read, add)
	require.NoError(t, err)
	assert.False(t, link)
	assert.Equal(t, []string{"5a0162", "9f0800"}, got)
	require.Len(t, recs, 1, "only the record the AFL flags for ODA")
	assert.Equal(t, byte(2), recs[0].SFI)

	records[[2]byte{3, 1}] = apdu.Response{SW: 0x6A83}
	_, link, err = ReadRecords(afl, 2, read, add)
	assert.False(t, link)
	assert.ErrorIs(t, err, ErrRecordRead)

	boom := errors.New("link down")
	_, link, err = ReadRecords(afl, 2, func(byte, byte) (apdu.Response, error) { return apdu.Response{}, boom }, add)
	assert.True(t, link)
	assert.ErrorIs(t, err, boom)
}

// Book C-3 §5.7, Book C-7: the CVM from the CTQ and the TTQ.
func TestChooseCVM(t *testing.T) {
	for _, c := range []struct {
		name   string
		ttq    string
		ctq    string // "" absent
		online bool
		want   contactless.CVM
		ok     bool
	}{
		{"CDCVM performed, reader supports it", "36404080", "0080", false, contactless.CVMConfirmationCodeVerified, true},
		{"CDCVM performed, reader without CDCVM, no CVM required", "36000080", "0080", false, contactless.CVMNoCVM, true},
		{"online PIN online", "36404080", "8000", true, contactless.CVMOnlinePIN, true},
		{"online PIN on a TC fails", "36404080", "8000", false, contactless.CVMNA, false},
		{"signature", "36404080", "4000", false, contactless.CVMObtainSignature, true},
		{"no CVM required", "36004080", "0000", false, contactless.CVMNoCVM, true},
		{"no CTQ: reader's signature", "36404080", "", false, contactless.CVMObtainSignature, true},
		{"no CTQ: reader's online PIN", "34404080", "", true, contactless.CVMOnlinePIN, true},
		{"no CTQ, offline, reader has only online PIN", "34404080", "", false, contactless.CVMNA, false},
		{"CTQ names no CVM", "36404080", "0000", false, contactless.CVMNA, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ctq []byte
			if c.ctq != "" {
				ctq = h(c.ctq)
			}
			got, ok := ChooseCVM([4]byte(h(c.ttq)), ctq, c.online)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.ok, ok)
		})
	}
}

func TestTerminal(t *testing.T) {
	var tm Terminal
	tm.Index(h("9F1A0201565F2A020156" + "9F1A020840"))
	v, ok := tm.Find(0x9F1A)
	assert.True(t, ok)
	assert.Equal(t, "0156", hex.EncodeToString(v), "the first object with the tag")
	_, ok = tm.Find(0x9F02)
	assert.False(t, ok)
}

// FuzzParsers: the byte readers of the quick kernels never panic, and
// what CheckAFL accepts ReadRecords walks with exactly that many reads.
func FuzzParsers(f *testing.F) {
	f.Add(h("10010101180102006212345678901234D3012201"))
	f.Add([]byte{0xD0})
	f.Fuzz(func(t *testing.T, b []byte) {
		PANFromTrack2(b)
		Track2Expiry(b)
		Amount(b)
		BCDYMD(b)
		BCDDate(b)
		CryptogramType(nil, b, 0x07)
		var tm Terminal
		tm.Index(b)
		n, err := CheckAFL(b, 64)
		if err != nil {
			return
		}
		reads := 0
		_, _, err = ReadRecords(b, n, func(byte, byte) (apdu.Response, error) {
			reads++
			return apdu.Response{Data: []byte{0x70, 0x00}, SW: apdu.SWOK}, nil
		}, func([]byte) error { return nil })
		if err != nil || reads != n {
			t.Fatalf("AFL %X: %d reads for %d records, %v", b, reads, n, err)
		}
	})
}
