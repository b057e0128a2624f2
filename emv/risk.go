package emv

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/emvkit/emvkit/apdu"
	"github.com/emvkit/emvkit/tlv"
	"github.com/emvkit/emvkit/tvr"
)

// manageTerminalRisk performs terminal risk management (Book 3 §10.6):
// exception file, floor limit, random transaction selection and velocity
// checking. It runs when the AIP asks for it (byte 1 bit 4), or always
// when the terminal's AppParams.AlwaysManageRisk says its scheme requires
// it; the merchant's forcing online is honoured either way.
func (s *transactionState) manageTerminalRisk() error {
	s.step = StepTerminalRiskManagement
	if s.txn.ForceOnline {
		s.setTVR(tvr.MerchantForcedOnline)
	}
	if s.aip[0]&0x08 == 0 && !s.alwaysManageRisk() {
		return nil
	}
	// The terminal's callbacks get copies: they cannot change the card's
	// data. Without a callback, nothing is copied.
	var pan, psn []byte
	copies := func() {
		if pan == nil && psn == nil {
			pan, psn = bytes.Clone(s.cardData.val(0x5A)), bytes.Clone(s.cardData.val(0x5F34))
		}
	}
	if f := s.term.terminal().ExceptionFile; f != nil {
		copies()
		if f(pan, psn) {
			s.setTVR(tvr.CardOnExceptionFile)
		}
	}

	// §10.6.1 Floor limit, with the most recent logged transaction of the
	// same card (split sales).
	amount := s.txn.Amount
	if log := s.term.terminal().TransactionLog; log != nil {
		copies()
		if prev, ok := log.RecentAmount(pan, psn); ok {
			amount += prev
		}
	}
	floor := s.floorLimit()
	if amount >= floor {
		s.setTVR(tvr.FloorLimitExceeded)
	}

	// §10.6.2 Random transaction selection, online-capable terminals only,
	// for amounts below the floor limit.
	if rs := s.params.RandomSelection; rs != nil && s.cfg.OnlineCapable() && s.txn.Amount < floor {
		selected, err := s.randomlySelected(rs, s.txn.Amount, floor)
		if err != nil {
			return err
		}
		if selected {
			s.setTVR(tvr.SelectedRandomlyForOnline)
		}
	}

	// §10.6.3 Velocity checking, when the card has both offline limits.
	lcol, hasL := s.cardData.get(0x9F14)
	ucol, hasU := s.cardData.get(0x9F23)
	if hasL && hasU && len(lcol) == 1 && len(ucol) == 1 {
		if err := s.checkVelocity(int(lcol[0]), int(ucol[0])); err != nil {
			return err
		}
	}
	s.setTSI(tvr.TerminalRiskManagementPerformed)
	return nil
}

// randomlySelected draws a number from 1 to 99 and compares it with the
// target percentage: TargetPercent below the threshold, rising linearly to
// MaxTargetPercent at the floor limit (the biased selection of
// Book 3 §10.6.2).
func (s *transactionState) randomlySelected(rs *RandomSelection, amount, floor uint64) (bool, error) {
	n, err := s.random1to99()
	if err != nil {
		return false, err
	}
	target := uint64(rs.TargetPercent)
	if amount >= rs.Threshold && floor > rs.Threshold {
		// Transaction Target Percent = ((Max - Target) * (amount -
		// threshold) / (floor - threshold)) + Target
		target += uint64(rs.MaxTargetPercent-rs.TargetPercent) * (amount - rs.Threshold) / (floor - rs.Threshold)
	}
	return uint64(n) <= target, nil
}

// random1to99 returns a uniformly distributed number from 1 to 99 from the
// configured random source, by rejection sampling.
func (s *transactionState) random1to99() (int, error) {
	var b [1]byte
	for range 64 {
		if _, err := io.ReadFull(s.cfg.rand(), b[:]); err != nil {
			return 0, s.fail("random source", err)
		}
		if b[0] < 198 {
			return int(b[0])%99 + 1, nil
		}
	}
	return 0, s.fail("random source gives no usable byte", io.ErrUnexpectedEOF)
}

// checkVelocity reads the ATC and the Last Online ATC Register with GET
// DATA and compares their difference with the card's offline limits
// (Book 3 §10.6.3).
func (s *transactionState) checkVelocity(lcol, ucol int) error {
	atc, okATC, err := s.getData(0x9F36, 2)
	if err != nil {
		return err
	}
	last, okLast, err := s.getData(0x9F13, 2)
	if err != nil {
		return err
	}
	// "New card" is set whenever the Last Online ATC Register is returned
	// and is zero, even if the ATC was not (Book 3 §10.6.3).
	if okLast && binary.BigEndian.Uint16(last) == 0 {
		s.setTVR(tvr.NewCard)
	}
	if !okATC || !okLast {
		// Either cannot be had: both limits are taken as exceeded.
		s.setTVR(tvr.LowerConsecutiveOfflineLimitExceeded)
		s.setTVR(tvr.UpperConsecutiveOfflineLimitExceeded)
		return nil
	}
	a := int(binary.BigEndian.Uint16(atc))
	l := int(binary.BigEndian.Uint16(last))
	if a <= l {
		s.setTVR(tvr.LowerConsecutiveOfflineLimitExceeded)
		s.setTVR(tvr.UpperConsecutiveOfflineLimitExceeded)
	} else if a-l > lcol {
		// The upper limit is compared only once the lower one is
		// exceeded (Book 3 §10.6.3): a card whose UCOL is below its LCOL
		// exceeds neither while the count lies between them.
		s.setTVR(tvr.LowerConsecutiveOfflineLimitExceeded)
		if a-l > ucol {
			s.setTVR(tvr.UpperConsecutiveOfflineLimitExceeded)
		}
	}
	return nil
}

// getData sends GET DATA for a primitive data object and returns its value
// if the card answered 9000 with exactly that object of length n.
func (s *transactionState) getData(tag uint16, n int) ([]byte, bool, error) {
	r, err := s.transmit(apdu.GetData(tag))
	if err != nil {
		return nil, false, err
	}
	if r.SW != apdu.SWOK {
		return nil, false, nil
	}
	t, v, err := tlv.Single(r.Data)
	if err != nil || t != tlv.Tag(tag) || len(v) != n {
		return nil, false, nil
	}
	return v, true, nil
}

// alwaysManageRisk reports whether the terminal performs terminal risk
// management whatever the AIP says (AppParams.AlwaysManageRisk).
func (s *transactionState) alwaysManageRisk() bool {
	return s.params.AlwaysManageRisk != nil && *s.params.AlwaysManageRisk
}
