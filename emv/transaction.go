package emv

import (
	"encoding/hex"
	"fmt"
	"time"
)

// TransactionType is the Transaction Type 9C: the first two digits of the
// ISO 8583 processing code (Book 3 Annex A).
type TransactionType byte

// Transaction types a terminal starts (ISO 8583:1987 processing code).
const (
	Purchase          TransactionType = 0x00 // goods and services
	Cash              TransactionType = 0x01 // cash advance or withdrawal
	PurchaseCashback  TransactionType = 0x09 // goods and services with cashback
	Refund            TransactionType = 0x20 // returns
	BalanceInquiry    TransactionType = 0x30 // available funds inquiry
	BalanceInquiry31  TransactionType = 0x31 // balance inquiry
	PreAuthorisation  TransactionType = 0x03 // check guarantee / pre-authorisation
	CashDisbursement  TransactionType = 0x17 // cash disbursement by the merchant
	PaymentDeposit    TransactionType = 0x21 // deposit
	PreAuthCompletion TransactionType = 0x02 // adjustment
)

var txnNames = map[TransactionType]string{
	Purchase: "purchase", Cash: "cash", PurchaseCashback: "purchase with cashback",
	Refund: "refund", BalanceInquiry: "balance inquiry", BalanceInquiry31: "balance inquiry",
	PreAuthorisation: "pre-authorisation", CashDisbursement: "cash disbursement",
	PaymentDeposit: "deposit", PreAuthCompletion: "adjustment",
}

// String returns the type's name and code: "purchase (00)".
func (t TransactionType) String() string {
	if s := txnStrings[t]; s != "" {
		return s
	}
	return fmt.Sprintf("type %02X", byte(t))
}

// txnStrings holds String of each named type, made once: every receipt
// shows one.
var txnStrings = func() (s [256]string) {
	const digits = "0123456789ABCDEF"
	for t, n := range txnNames {
		s[t] = n + " (" + string([]byte{digits[t>>4], digits[t&0x0F]}) + ")"
	}
	return s
}()

// ParseTransactionType reads a type's name ("purchase", "cash",
// "cashback", "refund", "inquiry", "preauth") or its two hex digits ("09"),
// the two digits of 9C (Book 3 Annex A: n 2). Anything else, "0G" or "9"
// or "009" among them, is an error wrapping [ErrTransaction].
func ParseTransactionType(s string) (TransactionType, error) {
	switch s {
	case "purchase", "goods", "services":
		return Purchase, nil
	case "cash":
		return Cash, nil
	case "cashback":
		return PurchaseCashback, nil
	case "refund":
		return Refund, nil
	case "inquiry", "balance":
		return BalanceInquiry, nil
	case "preauth":
		return PreAuthorisation, nil
	}
	if len(s) == 2 {
		if b, err := hex.DecodeString(s); err == nil {
			return TransactionType(b[0]), nil
		}
	}
	return 0, fmt.Errorf("%w: type %q is neither a name nor two hex digits", ErrTransaction, s)
}

// Transaction is one transaction's data, the terminal-sourced data elements
// that change from one transaction to the next.
type Transaction struct {
	// Type is the Transaction Type 9C. Zero: purchase.
	Type TransactionType

	// Amount is the Amount, Authorised 9F02 in minor units of
	// [Config.Currency]; for purchase with cashback it includes the
	// cashback. At most 999999999999.
	Amount uint64

	// AmountOther is the Amount, Other 9F03 (the cashback part). Zero:
	// none.
	AmountOther uint64

	// Time is the transaction date 9A and time 9F21. Zero: [Config.Time]
	// when the transaction starts.
	Time time.Time

	// SequenceCounter is the Transaction Sequence Counter 9F41, which the
	// terminal increments by one per transaction (Book 4 §6.5.5). At most
	// 99999999.
	SequenceCounter uint32

	// Services marks a purchase of services rather than goods, for the
	// Application Usage Control check (Book 3 §10.4.2). Zero: goods.
	Services bool

	// ForceOnline is the merchant's request to go online: it sets "Merchant
	// forced transaction online" (TVR byte 4 bit 4) during terminal risk
	// management (Book 3 §10.6).
	ForceOnline bool

	// ECBalance makes a balance inquiry (Type [BalanceInquiry] or
	// [BalanceInquiry31]) ask the card's UnionPay electronic cash first
	// (JR/T 0025.13, 余额查询): after application selection the kernel reads
	// 9F79, 9F78, 9F77 and 9F6D with GET DATA and ends with Outcome
	// [BalanceRead] and [Result].ECBalance, without GET PROCESSING OPTIONS
	// or a cryptogram. A card with no electronic cash balance (9F79
	// answered 6A88) gets the Book 3 balance inquiry. The transaction must
	// be known from the start ([Run], or [Start] with a transaction): a
	// [Session] that asks for it later does the Book 3 inquiry. Set with
	// any other type it is an error wrapping [ErrTransaction].
	ECBalance bool
}

const maxAmount = 999999999999

func (t *Transaction) validate() error {
	if t.Amount > maxAmount || t.AmountOther > maxAmount {
		return fmt.Errorf("emv: transaction: amount %d or other %d has more than 12 digits", t.Amount, t.AmountOther)
	}
	if t.AmountOther > t.Amount && t.Type == PurchaseCashback {
		return fmt.Errorf("emv: transaction: cashback %d above the amount authorised %d", t.AmountOther, t.Amount)
	}
	if t.ECBalance && t.Type != BalanceInquiry && t.Type != BalanceInquiry31 {
		return fmt.Errorf("emv: transaction: an electronic cash balance inquiry with type %s", t.Type)
	}
	if t.SequenceCounter > 99999999 {
		return fmt.Errorf("emv: transaction: sequence counter %d has more than 8 digits", t.SequenceCounter)
	}
	return nil
}
