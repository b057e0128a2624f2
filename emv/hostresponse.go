package emv

import (
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/tlv"
)

// ErrHostResponse reports an acquirer's answer [ParseHostResponse] cannot
// read; the error that wraps it says what and where.
var ErrHostResponse = errors.New("emv: host response")

// MaxHostResponse bounds the field 55 [ParseHostResponse] reads: ISO 8583
// gives field 55 at most 999 bytes (LLLVAR), and an answer longer than
// this is not one.
const MaxHostResponse = 999

// ParseHostResponse turns an acquirer's answer to an authorisation
// request into the [OnlineResponse] the kernel takes: responseCode is ISO
// 8583 field 39 (two characters, "00" approved), field55 the ICC data of
// the answer, BER-TLV (Book 3 §10.9, §10.10):
//
//   - 8A Authorisation Response Code, which the card is given; without
//     it, field 39 is the ARC;
//   - 91 Issuer Authentication Data (ARPC and its data), 8 to 16 bytes;
//   - 71 and 72 issuer script templates, kept whole and in order;
//   - anything else (the issuer's own tags) is left out.
//
// The answer is approved when the response code is one of ISO 8583's
// approvals: 00 (approved), 08 (honour with identification), 10
// (approved for a partial amount; the terminal settles the amount) or 11
// (approved, VIP); responseCode "" takes the decision from 8A with the
// same codes. A field 55 that does not parse, holds 8A or 91 twice, or
// values of the wrong length, returns an error wrapping
// [ErrHostResponse] that names the data object; so does an answer with
// neither a response code nor an 8A.
func ParseHostResponse(responseCode string, field55 []byte) (*OnlineResponse, error) {
	if len(field55) > MaxHostResponse {
		return nil, fmt.Errorf("%w: field 55 of %d bytes, at most %d", ErrHostResponse, len(field55), MaxHostResponse)
	}
	if responseCode != "" && !isAlphanumeric(responseCode, 2) {
		return nil, fmt.Errorf("%w: response code (field 39) %q is not two alphanumeric characters", ErrHostResponse, responseCode)
	}
	r := &OnlineResponse{ARC: responseCode}
	var seenARC, seenIAD bool
	it := tlv.NewIter(field55)
	for it.Next() {
		switch t, v := it.Tag(), it.Value(); t {
		case 0x8A:
			if seenARC {
				return nil, fmt.Errorf("%w: 8A twice in field 55", ErrHostResponse)
			}
			if !isAlphanumeric(string(v), 2) {
				return nil, fmt.Errorf("%w: 8A Authorisation Response Code of %d bytes is not an 2", ErrHostResponse, len(v))
			}
			seenARC, r.ARC = true, string(v)
		case 0x91:
			if seenIAD {
				return nil, fmt.Errorf("%w: 91 twice in field 55", ErrHostResponse)
			}
			if len(v) < 8 || len(v) > 16 {
				return nil, fmt.Errorf("%w: 91 Issuer Authentication Data of %d bytes, not 8 to 16", ErrHostResponse, len(v))
			}
			seenIAD, r.IssuerAuthData = true, append([]byte(nil), v...)
		case 0x71, 0x72:
			r.Scripts = append(r.Scripts, it.Raw()...)
		}
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("%w: field 55: %w", ErrHostResponse, err)
	}
	if r.ARC == "" {
		return nil, fmt.Errorf("%w: no response code (field 39) and no 8A", ErrHostResponse)
	}
	decision := responseCode
	if decision == "" {
		decision = r.ARC
	}
	switch decision {
	case "00", "08", "10", "11":
		r.Approved = true
	}
	return r, nil
}
