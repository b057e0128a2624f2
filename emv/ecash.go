package emv

import "log/slog"

// ECBalance is what a UnionPay card's electronic cash (EC, JR/T 0025.13)
// holds, read with GET DATA by an electronic cash balance inquiry
// ([Transaction].ECBalance). Amounts are in minor units of the
// application's currency (fen for CNY). A limit the card does not give
// (GET DATA answered 6A88, or with anything but its n 12 value) is nil.
type ECBalance struct {
	// Balance is the EC Balance 9F79: what the card may still spend
	// offline.
	Balance uint64 `json:"balance"`
	// BalanceLimit is the EC Balance Limit 9F77: the most the balance may
	// be loaded to.
	BalanceLimit *uint64 `json:"balance_limit,omitempty"`
	// SingleTransactionLimit is the EC Single Transaction Limit 9F78.
	SingleTransactionLimit *uint64 `json:"single_transaction_limit,omitempty"`
	// ResetThreshold is the EC Reset Threshold 9F6D: below it the card
	// asks to go online to be loaded again.
	ResetThreshold *uint64 `json:"reset_threshold,omitempty"`
}

// ecBalanceTags are the objects an electronic cash balance inquiry reads,
// in the order it asks for them.
var ecBalanceTags = [...]uint16{0x9F79, 0x9F78, 0x9F77, 0x9F6D}

// readECBalance is the electronic cash balance inquiry of JR/T 0025.13
// (余额查询): once the application is selected, the terminal reads the
// balance and the limits with GET DATA (Book 3 §6.5.7) and shows them; the
// card is not asked for processing options or a cryptogram. It reports
// whether the inquiry was answered: false when the card has no electronic
// cash balance (GET DATA 9F79 answered 6A88, or with anything but a 9F79 of
// six BCD bytes), and the transaction then goes on as the Book 3 balance
// inquiry it also is, to the issuer. JR/T 0025.13 leaves open what a
// terminal does with such a card; a counter terminal asks the issuer, as
// it does for a card without a chip balance.
func (s *transactionState) readECBalance() (bool, error) {
	var vals [len(ecBalanceTags)]*uint64
	for i, tag := range ecBalanceTags {
		v, ok, err := s.getData(tag, 6)
		if err != nil {
			return false, err
		}
		if ok {
			if d, digits := bcdValue(v); digits {
				vals[i] = &d
			}
		}
		if i == 0 && vals[0] == nil {
			s.log.LogAttrs(s.ctx, slog.LevelInfo, "emv: no electronic cash balance, balance inquiry goes online")
			return false, nil
		}
	}
	s.res.ECBalance = &ECBalance{
		Balance:                *vals[0],
		SingleTransactionLimit: vals[1],
		BalanceLimit:           vals[2],
		ResetThreshold:         vals[3],
	}
	s.res.Outcome = BalanceRead
	return true, nil
}

// bcdValue reads an n value (Book 3 §4.3): two BCD digits per byte; it
// reports false when a nibble is not a digit.
func bcdValue(v []byte) (uint64, bool) {
	var n uint64
	for _, c := range v {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		n = n*100 + uint64(hi)*10 + uint64(lo)
	}
	return n, true
}
