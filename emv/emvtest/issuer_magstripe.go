package emvtest

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/emvkit/emvkit/tlv"
)

// magstripeAuth is what a mag-stripe mode authorisation carries: the
// tracks as the reader built them (Book C-2 S13.18 to S13.22) and the DF
// Name of the application.
type magstripeAuth struct {
	track2, track1 []byte
	aid            []byte
}

// magstripeRequest reports whether req is a mag-stripe mode authorisation:
// ICC data that parses, has Track 2 Data (9F6B) and no ARQC (9F26).
func magstripeRequest(req *AuthorisationRequest) (magstripeAuth, bool) {
	var m magstripeAuth
	it := tlv.NewIter(req.ICCData)
	for it.Next() {
		switch it.Tag() {
		case 0x9F26:
			return m, false
		case 0x9F6B:
			m.track2 = it.Value()
		case 0x56:
			m.track1 = it.Value()
		case 0x84:
			m.aid = it.Value()
		}
	}
	return m, it.Err() == nil && m.track2 != nil
}

// authoriseMagstripe answers a mag-stripe mode authorisation: the
// application of the request's DF Name (else the first with mag-stripe
// mode), its key (the ICC master key for AC of the PAN in the track and
// the application's PSN, as the card derives it, see [MagStripe]), and
// the CVC3 verified in Track 2 Data and, when the request has it, Track 1
// Data: the reader placed CVC3, the Unpredictable Number (Numeric) and the
// ATC where the card's bitmaps say, and nUN (or (nUN + 5) mod 10 after
// on-device verification) last. The ATC travels as its NATC least
// significant digits only; the issuer tries every ATC with those digits,
// as an issuer that searches a window above the last ATC it saw does. The
// rule decides with "valid" the CVC3's verification; the response has the
// ARC and no ARPC (mag-stripe mode ends at the Online Request).
func (i *Issuer) authoriseMagstripe(req *AuthorisationRequest, m magstripeAuth, cfg IssuerConfig) (*AuthorisationResponse, error) {
	var app *IssuerApplication
	for n := range cfg.Applications {
		a := &cfg.Applications[n]
		if a.MagStripe == nil {
			continue
		}
		if bytes.Equal(a.AID, m.aid) {
			app = a
			break
		}
		if app == nil {
			app = a
		}
	}
	if app == nil {
		return nil, fmt.Errorf("%w: mag-stripe mode for an application without it", ErrAuthorisationRequest)
	}
	pan := req.PAN
	t2, ok := readTrack(m.track2, false)
	if !ok {
		return nil, fmt.Errorf("%w: Track 2 Data (9F6B) is not a track", ErrAuthorisationRequest)
	}
	if pan == "" {
		pan = t2.pan
	}
	if !isDigits(pan) {
		return nil, fmt.Errorf("%w: no PAN in Track 2 Data", ErrAuthorisationRequest)
	}
	k, err := i.derive(pan, app.PSN)
	if err != nil {
		return nil, err
	}
	ms := app.MagStripe
	valid := t2.verify(k.mkAC, ms.Track2, ms.PCVC3Track2, ms.PUNATCTrack2, ms.NATCTrack2, -1)
	if valid >= 0 && m.track1 != nil {
		t1, ok := readTrack(m.track1, true)
		if !ok || ms.Track1 == "" {
			valid = -1
		} else {
			valid = t1.verify(k.mkAC, []byte(ms.Track1), ms.PCVC3Track1, ms.PUNATCTrack1, ms.NATCTrack1, valid)
		}
	}
	d := cfg.Rule(req, valid >= 0)
	resp := &AuthorisationResponse{Approved: d.Approve, ARQCValid: valid >= 0, ARC: d.ARC}
	if resp.ARC == [2]byte{} {
		resp.ARC = ARCDeclined
		if d.Approve {
			resp.ARC = ARCApproved
		}
	}
	resp.ICCData = tlv.AppendTLV(nil, 0x8A, resp.ARC[:])
	return resp, nil
}

// receivedTrack is a track as the reader sent it: its characters as
// digits (track 2: one a nibble; track 1: ASCII), where its discretionary
// data ends, and the PAN.
type receivedTrack struct {
	digits []byte // 0-9 where a digit is; other characters kept as they are
	ddEnd  int
	ddLen  int
	pan    string
}

// readTrack finds the discretionary data of a track: track 2 digits after
// the separator D, YYMM and the service code, up to the F padding; track
// 1 characters after the second ^, YYMM and the service code.
func readTrack(b []byte, ascii bool) (receivedTrack, bool) {
	var t receivedTrack
	start := -1
	if ascii {
		seps := 0
		for i, c := range b {
			t.digits = append(t.digits, c-'0')
			if c == '^' {
				seps++
				if seps == 1 && i > 1 {
					t.pan = string(b[1:i])
				}
				if seps == 2 {
					start = i + 1 + 7
				}
			}
		}
		t.ddEnd = len(b)
	} else {
		for _, c := range b {
			t.digits = append(t.digits, c>>4, c&0x0F)
		}
		t.ddEnd = len(t.digits)
		for t.ddEnd > 0 && t.digits[t.ddEnd-1] == 0x0F {
			t.ddEnd--
		}
		for i, d := range t.digits[:t.ddEnd] {
			if d == 0x0D {
				var p []byte
				for _, x := range t.digits[:i] {
					p = append(p, '0'+x)
				}
				t.pan = string(p)
				start = i + 1 + 7
				break
			}
		}
	}
	if start < 0 || start >= t.ddEnd {
		return t, false
	}
	t.ddLen = t.ddEnd - start
	return t, true
}

// digitsAt reads n digits at the 1 bits of bitmap, after skipping the
// lowest skip of them (bit 0 the last digit of the discretionary data),
// as a number whose least significant digit is at the lowest bit.
func (t receivedTrack) digitsAt(bitmap uint64, skip, n int) (uint64, bool) {
	var v, p uint64 = 0, 1
	for bit := 0; bit < 64 && n > 0; bit++ {
		if bitmap&(1<<bit) == 0 {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if bit >= t.ddLen {
			return 0, false
		}
		d := t.digits[t.ddEnd-1-bit]
		if d > 9 {
			return 0, false
		}
		v += uint64(d) * p
		p *= 10
		n--
	}
	return v, n == 0
}

// verify checks the CVC3 of one track against the card's key and the
// personalised track it was computed over (Book C-2 S13.18 to S13.22 read
// backwards), trying every ATC whose NATC least significant digits are
// the track's; atc ≥ 0 fixes the ATC (Track 1 after Track 2). It returns
// the ATC that verified, or -1.
func (t receivedTrack) verify(key, track, pcvc3, punatc []byte, natc, atc int) int {
	var pc, pu uint64
	for _, b := range pcvc3 {
		pc = pc<<8 | uint64(b)
	}
	for _, b := range punatc {
		pu = pu<<8 | uint64(b)
	}
	nUN := bits.OnesCount64(pu) - natc
	q := bits.OnesCount64(pc)
	if nUN < 0 || nUN > 8 || natc > 5 || q > 5 {
		return -1
	}
	cvc, ok1 := t.digitsAt(pc, 0, q)
	un, ok2 := t.digitsAt(pu, 0, nUN)
	atcLow, ok3 := t.digitsAt(pu, nUN, natc)
	last := t.digits[t.ddEnd-1]
	if !ok1 || !ok2 || !ok3 || (int(last) != nUN && int(last) != (nUN+5)%10) {
		return -1
	}
	var unNum [4]byte
	for i, n := 3, un; i >= 0; i-- {
		unNum[i] = byte(n%10) | byte(n/10%10)<<4
		n /= 100
	}
	mod := uint64(1)
	for range q {
		mod *= 10
	}
	step := 1
	for range natc {
		step *= 10
	}
	from, to := int(atcLow), 0xFFFF
	if atc >= 0 {
		from, to = atc, atc
	}
	iv, err := ivCVC3(key, track)
	if err != nil {
		return -1
	}
	for a := from; a <= to; a += step {
		if a%step != int(atcLow)%step {
			continue
		}
		c, err := cvc3With(key, iv, unNum, uint16(a))
		if err == nil && (uint64(c[0])<<8|uint64(c[1]))%mod == cvc {
			return a
		}
	}
	return -1
}
