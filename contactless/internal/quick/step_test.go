package quick

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The status words of GET PROCESSING OPTIONS (Book C-3 §5.2.2, Book C-7
// alike) and their outcomes.
func TestGPOStatus(t *testing.T) {
	assert.Nil(t, GPOStatus(apdu.SWOK, "zh"))
	for sw, want := range map[apdu.SW]contactless.OutcomeStatus{
		0x6984: contactless.StatusTryAnotherInterface,
		0x6985: contactless.StatusSelectNext,
		0x6986: contactless.StatusTryAgain,
		0x6A81: contactless.StatusEndApplication,
		0x0000: contactless.StatusEndApplication,
	} {
		out := GPOStatus(sw, "zh")
		require.NotNil(t, out, "%s", sw)
		assert.Equal(t, want, out.Parameters.Status, "%s", sw)
		assert.False(t, out.Parameters.DataRecordPresent, "%s", sw)
	}
	see := GPOStatus(0x6986, "zh").Parameters
	assert.Equal(t, contactless.StartB, see.Start)
	assert.Equal(t, HoldTime, see.FieldOffRequest)
	assert.Equal(t, contactless.MsgSeePhone, see.UIRequestOnOutcome.Message)
	assert.Equal(t, "zh", see.UIRequestOnOutcome.LanguagePreference)
	assert.Equal(t, contactless.MsgPresentCard, see.UIRequestOnRestart.Message)
	assert.Equal(t, contactless.InterfaceContactChip, GPOStatus(0x6984, "").Parameters.AlternateInterfacePreference)
	assert.Equal(t, contactless.StartC, GPOStatus(0x6985, "").Parameters.Start)
}

// Each data object once (Book C-3 §5.3), and a bound on how many.
func TestObjects(t *testing.T) {
	var o Objects
	require.NoError(t, o.Add(0x82))
	assert.EqualError(t, o.Add(0x82), "data object 82 twice")
	for i := 1; i < 64; i++ {
		require.NoError(t, o.Add(tlv.Tag(0xDF00+i)))
	}
	assert.EqualError(t, o.Add(0x57), "too many data objects")
}

// The format 2 response and the lengths both books require.
func TestParseGPOResponse(t *testing.T) {
	var got []tlv.Tag
	add := func(tg tlv.Tag, _ []byte) error { got = append(got, tg); return nil }
	require.NoError(t, ParseGPOResponse(h("7708820220009F360100"), add))
	assert.Equal(t, []tlv.Tag{0x82, 0x9F36}, got)
	assert.EqualError(t, ParseGPOResponse(h("800420000001"), add), "template 80, want 77")

	g := GPOResponse{AIP: h("2000"), ATC: h("0001"), AC: h("0102030405060708"), IAD: h("06011203900000")}
	assert.EqualError(t, g.Check(), "57 missing or 0 bytes")
	g.Track2 = h("4761739001010010D29122011143878089")
	require.NoError(t, g.Check())
	g.AFL = h("080101")
	assert.EqualError(t, g.Check(), "AFL of 3 bytes")
	g.AFL, g.OfflineAmount = nil, h("0100")
	assert.EqualError(t, g.Check(), "9F5D of 2 bytes")
}

// A CVM that cannot be had sets TVR byte 3 bit 8.
func TestVerifyCardholder(t *testing.T) {
	var v tvr.TVR
	cvm, ok := VerifyCardholder([4]byte{0x20, TTQ2CVMRequired, 0, 0}, h("0000"), true, &v)
	assert.False(t, ok)
	assert.Equal(t, contactless.CVMNA, cvm)
	assert.Equal(t, tvr.TVR{0, 0, 0x80, 0, 0}, v)
	v = tvr.TVR{}
	cvm, ok = VerifyCardholder([4]byte{0x20 | TTQ1OnlinePIN, TTQ2CVMRequired, 0, 0}, h("8000"), true, &v)
	assert.True(t, ok)
	assert.Equal(t, contactless.CVMOnlinePIN, cvm)
	assert.Equal(t, tvr.TVR{}, v)
}

// The TVR bits of fDDA (Book C-3 §5.6): not supported, failed, data
// missing.
func TestAuthenticateFDDA(t *testing.T) {
	called := false
	var v tvr.TVR
	ok, err := AuthenticateFDDA(h("0000"), &v, func() error { called = true; return nil })
	assert.False(t, ok)
	assert.NoError(t, err)
	assert.False(t, called, "fDDA not supported: no check")
	assert.Equal(t, tvr.TVR{0x80, 0, 0, 0, 0}, v)

	v = tvr.TVR{}
	bad := errors.New("bad signature")
	ok, err = AuthenticateFDDA(h("2000"), &v, func() error { return bad })
	assert.False(t, ok)
	assert.Same(t, bad, err)
	assert.Equal(t, tvr.TVR{0x08, 0, 0, 0, 0}, v)

	v = tvr.TVR{}
	_, err = AuthenticateFDDA(h("2000"), &v, func() error { return &oda.Error{Method: oda.FDDA, Check: oda.CheckSDAD, Err: oda.ErrMissingData} })
	assert.ErrorIs(t, err, oda.ErrMissingData)
	assert.Equal(t, tvr.TVR{0x28, 0, 0, 0, 0}, v)

	v = tvr.TVR{}
	ok, err = AuthenticateFDDA(h("2000"), &v, func() error { return nil })
	assert.True(t, ok)
	assert.NoError(t, err)
	assert.Equal(t, tvr.TVR{}, v)
}

// The AID: the combination's, else 84 of the FCI.
func TestAID(t *testing.T) {
	fci := h("6F098407A0000003330101")
	assert.Equal(t, h("A0000003330101"), AID(&contactless.Activation{FCI: fci}))
	assert.Equal(t, h("A000000333010102"), AID(&contactless.Activation{FCI: fci, Combination: &contactless.Combination{AID: h("A000000333010102")}}))
}

// The Data Record in the kernel's order, objects without a value left out.
func TestDataRecord(t *testing.T) {
	got := DataRecord(nil, []tlv.Tag{0x9F26, 0x95, 0x9F27}, func(tg tlv.Tag) []byte {
		if tg == 0x95 {
			return nil
		}
		return []byte{byte(tg)}
	})
	assert.Equal(t, h("9F2601269F270127"), got)
}

// The terminal side of initiate application processing (Book C-3 §5.2.1):
// the TTQ of pre-processing else 9F66, the date 9A else the activation's
// time, the Unpredictable Number, and the values the PDOL and the Data
// Record read.
func TestReader(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	a := &contactless.Activation{
		TerminalData: h("9F6604B6004000 9A03261203 9F0206000000001000"),
		Time:         func() time.Time { return at },
		Rand:         bytes.NewReader(h("11223344")),
	}
	var r Reader
	require.NoError(t, r.Begin(a))
	assert.Equal(t, [4]byte(h("B6004000")), r.TTQ, "no TTQ from pre-processing: the terminal's")
	assert.Equal(t, time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), r.Date)
	assert.Equal(t, [4]byte(h("11223344")), r.UN)

	d, err := tlv.ParseDOL(h("9F66049F02069F3704"))
	require.NoError(t, err)
	r.TVR.Set(tvr.ExpiredApplication)
	r.SetPDOL(d)
	assert.Equal(t, h("B6004000 000000001000 11223344"), r.PDOLData)
	r.TTQ[0] = 0x36
	v, _ := r.SignedValue(0x9F66)
	assert.Equal(t, h("B6004000"), v, "as the card got it")
	v, _ = r.TerminalValue(0x9F66)
	assert.Equal(t, h("36004000"), v)
	v, _ = r.SignedValue(0x95)
	assert.Equal(t, h("0040000000"), v, "not in the PDOL: the kernel's")

	a.Indicators.TTQ = [4]byte(h("3600C000"))
	a.Rand = bytes.NewReader(h("0102"))
	var r2 Reader
	assert.Error(t, r2.Begin(a), "a short random source: no unpredictable number")
	assert.Equal(t, [4]byte(h("3600C000")), r2.TTQ)
}

// Cash and cashback on a reader with contact chip (Book C-3 §5.5.3).
func TestSwitchForCash(t *testing.T) {
	r := Reader{TTQ: [4]byte{TTQ1ContactChip, 0, 0, 0}}
	cash, cashback := &contactless.Transaction{Type: 0x01}, &contactless.Transaction{Type: 0x09}
	assert.True(t, r.SwitchForCash(cash, h("0400")))
	assert.False(t, r.SwitchForCash(cash, h("0200")), "the cashback bit does not switch cash")
	assert.True(t, r.SwitchForCash(cashback, h("0200")))
	disbursement := &contactless.Transaction{Type: 0x17}
	assert.True(t, r.SwitchForCash(disbursement, h("0400")), "a cash disbursement is cash (Book 3 Annex C)")
	assert.False(t, r.SwitchForCash(disbursement, h("0200")))
	assert.False(t, r.SwitchForCash(&contactless.Transaction{}, h("0600")), "a purchase")
	assert.False(t, r.SwitchForCash(cash, nil), "no CTQ")
	r.Term.Index(h("9C0101"))
	assert.True(t, r.SwitchForCash(nil, h("0400")), "the terminal's 9C")
	r.TTQ[0] = 0
	assert.False(t, r.SwitchForCash(cash, h("0400")), "no contact chip")
}

// The exception file (Book C-3 §5.5.2): 5A, else track 2's PAN.
func TestExceptionFile(t *testing.T) {
	var asked []byte
	list := func(pan, _ []byte) bool { asked = pan; return true }
	var r Reader
	assert.False(t, r.ExceptionFile(nil, h("4761"), nil, nil))
	assert.Equal(t, tvr.TVR{}, r.TVR)
	assert.True(t, r.ExceptionFile(list, nil, h("4761739001010010D29122"), h("01")))
	assert.Equal(t, h("4761739001010010"), asked)
	assert.Equal(t, tvr.TVR{0x10, 0, 0, 0, 0}, r.TVR)
}

// The Data Record's terminal side: the final TVR, not the one the PDOL sent.
func TestRecordValue(t *testing.T) {
	d, err := tlv.ParseDOL(h("9505 9F1A02"))
	require.NoError(t, err)
	r := Reader{TTQ: [4]byte(h("3600C000")), UN: [4]byte(h("11223344"))}
	r.Term.Index(h("9F1A020840 5F2A020840"))
	r.SetPDOL(d)
	r.TVR.Set(tvr.ExpiredApplication)
	assert.Equal(t, h("0040000000"), r.RecordValue(0x95))
	assert.Equal(t, h("11223344"), r.RecordValue(0x9F37))
	assert.Equal(t, h("3600C000"), r.RecordValue(0x9F66))
	assert.Equal(t, h("0840"), r.RecordValue(0x9F1A))
	assert.Equal(t, h("0840"), r.RecordValue(0x5F2A))
	assert.Nil(t, r.RecordValue(0x9F02))
}
