package emv

import (
	"bytes"
	"time"

	"github.com/emvkit/emvkit/cvm"
	"github.com/emvkit/emvkit/internal/calendar"
	"github.com/emvkit/emvkit/tvr"
)

// Application Usage Control 9F07 bits (Book 3 Annex C2).
const (
	aucDomesticCash          = 0x80 // byte 1
	aucInternationalCash     = 0x40
	aucDomesticGoods         = 0x20
	aucInternationalGoods    = 0x10
	aucDomesticServices      = 0x08
	aucInternationalServices = 0x04
	aucATM                   = 0x02
	aucNonATM                = 0x01
	aucDomesticCashback      = 0x80 // byte 2
	aucInternationalCashback = 0x40
)

// checkProcessingRestrictions compares the card's application with the
// terminal's and the transaction (Book 3 §10.4): application versions,
// Application Usage Control, effective and expiry dates. Each failure sets
// a TVR bit; none stops the transaction.
func (s *transactionState) checkProcessingRestrictions() error {
	s.step = StepProcessingRestrictions

	// §10.4.1 Application Version Number: the card's 9F08 against the
	// terminal's 9F09; absent in the card, they are presumed compatible.
	if icc, ok := s.cardData.get(0x9F08); ok && s.params.Version != nil && !bytes.Equal(icc, s.params.Version) {
		s.setTVR(tvr.DifferentApplicationVersions)
	}

	// §10.4.2 Application Usage Control.
	if auc, ok := s.cardData.get(0x9F07); ok && len(auc) >= 2 {
		if !s.usageAllowed(auc) {
			s.setTVR(tvr.ServiceNotAllowed)
		}
	}

	// §10.4.3 Application Effective/Expiration Dates. A date that is not
	// a valid YYMMDD cannot show the application effective or unexpired
	// (the book is silent): its bit is set as for a date not yet reached
	// or passed.
	today := dayOf(s.txn.Time)
	if eff, ok := s.cardData.get(0x5F25); ok {
		if d, ok := parseDay(eff); !ok || today < d {
			s.setTVR(tvr.ApplicationNotYetEffective)
		}
	}
	if d, ok := parseDay(s.cardData.val(0x5F24)); !ok || today > d {
		s.setTVR(tvr.ExpiredApplication)
	}
	return nil
}

// day is a calendar date as the number yyyymmdd: days compare as the
// dates do, without the time package's calendar arithmetic.
type day int

// dayOf is the date of t in t's location, as dateOnly takes it.
func dayOf(t time.Time) day {
	y, m, d := t.Date()
	return day(y*10000 + int(m)*100 + d)
}

// parseDay reads a date YYMMDD (n6) as a day, years 00-49 as 20YY and
// 50-99 as 19YY (Book 3 Annex A, note on dates). An invalid date is not
// ok.
func parseDay(b []byte) (day, bool) {
	if len(b) != 3 {
		return 0, false
	}
	v, ok := fromBCD(b)
	if !ok {
		return 0, false
	}
	yy, mm, dd := int(v/10000), int(v/100%100), int(v%100)
	year := 2000 + yy
	if yy >= 50 {
		year = 1900 + yy
	}
	if mm < 1 || mm > 12 || dd < 1 || dd > calendar.DaysIn(year, mm) {
		return 0, false // 31 April and the like
	}
	return day(year*10000 + mm*100 + dd), true
}

// isATM reports whether the terminal is an ATM for the Application Usage
// Control check (Book 3 §10.4.2): Book 4 Annex A1 names an ATM as an
// unattended financial institution terminal, Terminal Type 14, 15 or 16,
// with the cash capability (9F40 byte 1 bit 8). A bank teller's terminal
// (11, 12, 13) is attended and not an ATM, cash capability or not.
func (s *transactionState) isATM() bool {
	add := s.cfg.additionalCapabilities()
	switch s.cfg.terminalType() {
	case 0x14, 0x15, 0x16:
		return add[0]&0x80 != 0
	}
	return false
}

// usageAllowed applies the Application Usage Control checks of
// Book 3 §10.4.2.
func (s *transactionState) usageAllowed(auc []byte) bool {
	if s.isATM() {
		if auc[0]&aucATM == 0 {
			return false
		}
	} else if auc[0]&aucNonATM == 0 {
		return false
	}
	icc, ok := s.cardData.get(0x5F28) // Issuer Country Code
	if !ok {
		// Without the issuer's country only the environment is checked.
		return true
	}
	domestic := bytes.Equal(icc, s.termData.val(0x9F1A))
	pick := func(dom, intl byte) byte {
		if domestic {
			return dom
		}
		return intl
	}
	t := s.txn.Type
	// What the transaction is for, by the table the CVM conditions read
	// too (cvm.ClassifyTransaction); the other types (refunds, inquiries)
	// have no usage control bits.
	switch class := cvm.ClassifyTransaction(byte(t)); class {
	case cvm.ClassCash:
		return auc[0]&pick(aucDomesticCash, aucInternationalCash) != 0
	case cvm.ClassGoodsAndServices, cvm.ClassCashback:
		goodsOrServices := pick(aucDomesticGoods, aucInternationalGoods)
		if s.txn.Services {
			goodsOrServices = pick(aucDomesticServices, aucInternationalServices)
		}
		if auc[0]&goodsOrServices == 0 {
			return false
		}
		if class == cvm.ClassCashback || s.txn.AmountOther > 0 {
			return auc[1]&pick(aucDomesticCashback, aucInternationalCashback) != 0
		}
	}
	return true
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
