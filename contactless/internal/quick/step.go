package quick

import (
	"context"
	"errors"
	"fmt"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/contactless"
	"github.com/emvkit/emvkit/oda"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// LinkError is a failure of the card link: the kernel stops and returns it.
type LinkError struct{ Err error }

func (e *LinkError) Error() string { return e.Err.Error() }
func (e *LinkError) Unwrap() error { return e.Err }

// Transmit sends one command to the card. A response without a status
// word is a card error and comes back as SW 0000; a link failure comes
// back as a *LinkError whose message starts with pkg, the kernel's package
// name.
func Transmit(ctx context.Context, card apdu.Transceiver, c apdu.Command, pkg string) (apdu.Response, error) {
	r, err := apdu.Exchange(ctx, card, c)
	if err != nil {
		if errors.Is(err, apdu.ErrShortResponse) {
			return apdu.Response{}, nil
		}
		return apdu.Response{}, &LinkError{fmt.Errorf("%s: %s: %w", pkg, c.Name(), err)}
	}
	return r, nil
}

// AID is the AID of the selected application: the combination's when the
// Entry Point gave one of at least 5 bytes, else the DF Name (84) of the
// FCI.
func AID(a *contactless.Activation) []byte {
	if a.Combination != nil && len(a.Combination.AID) >= 5 {
		return a.Combination.AID
	}
	v, _ := tlv.Find(a.FCI, 0x84)
	return v
}

// ReadAFL checks the AFL (see [CheckAFL]) and reads its records (see
// [ReadRecords]). An AFL that cannot be read comes back as an error
// wrapping [ErrAFL], with link false.
func ReadAFL(afl []byte, max int, read func(sfi, rec byte) (apdu.Response, error), add func(v []byte) error) (recs []oda.Record, link bool, err error) {
	total, err := CheckAFL(afl, max)
	if err != nil {
		return nil, false, err
	}
	return ReadRecords(afl, total, read, add)
}

// VerifyCardholder chooses the CVM as [ChooseCVM] does; a CVM the
// transaction needs and cannot have sets TVR byte 3 bit 8 (cardholder
// verification was not successful), and the kernels decline.
func VerifyCardholder(ttq [4]byte, ctq []byte, online bool, t *tvr.TVR) (contactless.CVM, bool) {
	cvm, ok := ChooseCVM(ttq, ctq, online)
	if !ok {
		t.Set(tvr.CardholderVerificationNotSuccessful)
	}
	return cvm, ok
}

// AuthenticateFDDA is the offline data authentication step of Book C-3
// §5.6 and Book C-7 around verify, the kernel's own check of the card's
// fDDA: a card that does not support fDDA (AIP byte 1 bit 6) sets TVR byte
// 1 bit 8 (ODA not performed) and fails; a failure of verify, returned as
// err, sets byte 1 bit 4 (DDA failed: fDDA has no bit of its own) and, for
// missing data, byte 1 bit 6 (ICC data missing).
func AuthenticateFDDA(aip []byte, t *tvr.TVR, verify func() error) (ok bool, err error) {
	if aip[0]&0x20 == 0 {
		t.Set(tvr.OfflineDataAuthNotPerformed)
		return false, nil
	}
	if err := verify(); err != nil {
		t.Set(tvr.DDAFailed)
		if errors.Is(err, oda.ErrMissingData) {
			t.Set(tvr.ICCDataMissing)
		}
		return false, err
	}
	return true, nil
}
